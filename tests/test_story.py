"""What the videos say, and that it is true: events as a viewer sees them, notes tied to what happens, one caption at
a time with time to read it, and only states the model had."""

import json
import re

import numpy as np
import pytest
from conftest import ROOT, SCENES, decode, run, synthetic
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.legend import Legend

from tp1viz import events, pacing, placing
from tp1viz.captions import Cue, Line, timestamp, webvtt
from tp1viz.layouts import DESIGN_PX, LAYOUTS, fit_ylim
from tp1viz.recorder import record_scene
from tp1viz.scenes import load_catalog
from tp1viz.trajectory import Units, load_runs

MEDIA = ROOT / "media"
CUE = re.compile(r"(\d+)\n(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d)\.(\d{3})\n(.+)", re.DOTALL)
PAGE = ("linear_sgd", "pow_fn_w_linear_model", "pow_fn_w_non_linear_model")  # the course page's three videos
VIDEOS = [name for name, scene in SCENES.items() if scene.kind == "video"]


def cues(path) -> list[tuple[float, float, str]]:
    """A WebVTT file's cues as (start, end, text with its line breaks), checking its header and each block's form."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("WEBVTT\n\n"), text[:20]
    said = []
    for block in text[len("WEBVTT\n\n") :].strip().split("\n\n"):
        match = CUE.fullmatch(block)
        assert match, block
        numbers = [int(group) for group in match.groups()[1:7]]
        said.append((numbers[0] * 60 + numbers[1] + numbers[2] / 1000, numbers[3] * 60 + numbers[4] + numbers[5] / 1000,
                     match[8]))  # fmt: skip
    return said


def manifest() -> dict:
    return json.loads((MEDIA / "manifest.json").read_text())["outputs"]


def committed(name: str) -> list:
    return load_runs(MEDIA / "trajectories" / f"{name}.npz")


# -- the rules, on runs made to show them --------------------------------------------------------------------------


def test_a_noisy_minibatch_loss_settles_where_its_noise_band_begins():
    rng = np.random.default_rng(0)
    steps = np.arange(401)
    loss = 2.0 + 40 * np.exp(-steps / 10) + rng.normal(0, 0.3, steps.size)  # settles near step 60, then jitters
    step = events.settled_loss_step(loss)
    assert 40 <= step <= 75, step
    tail = loss[-40:]
    band = max(0.01 * (loss[0] - np.median(tail)), 3 * tail.std())
    smooth = np.array([np.median(loss[max(0, k - 2) : k + 3]) for k in range(len(loss))])  # a running median of 5
    assert np.all(np.abs(smooth[step:] - np.median(tail)) <= band)  # from its step on, it stays
    assert abs(smooth[step - 1] - np.median(tail)) > band  # and not a step earlier
    assert not events.spike_events(loss)  # jitter on a flat tail is no spike
    assert events.settled_loss_step(10 * np.exp(-np.arange(201) / 150)) is None  # still falling at the end


def test_a_jump_that_comes_back_is_a_spike_and_one_that_stays_is_a_divergence():
    fall = np.exp(-np.arange(60) / 8)
    spiked = fall.copy()
    spiked[30:34] = [0.2, 0.5, 0.3, 0.1]  # up from 0.024, back down
    (spike,) = events.spike_events(spiked)
    assert spike.step == 30 and "peaks at 0.5 at step 31, 18.8 times as high" in spike.detail, spike.detail
    assert spike.said == "The loss jumps to 19 times its lowest."
    assert events.diverged_step(spiked) is None
    blown = np.concatenate([fall[:20], 3.0 ** np.arange(1, 41)])  # past 10x its start from step 22 on
    assert events.diverged_step(blown) == 22
    assert events.diverged_step(np.concatenate([fall[:20], [5.0, np.inf, np.nan]])) == 21


def test_convergence_waits_for_the_drawn_model_to_stop_moving():
    # The loss is flat from step 20, but the line keeps creeping up: 0.1 data units a step for 80 steps.
    steps = np.arange(201)
    creep = np.minimum(steps, 100) * 0.1
    grid = np.tile(np.linspace(-5, 5, 64), (201, 1)) + creep[:, None]
    loss = 1 + 9 * np.exp(-steps / 4)
    run_ = synthetic(loss, grid, y=np.linspace(-5, 5, 20))
    (converged,) = [event for event in events.detect(run_) if event.kind == "converged"]
    scale = fit_scale(run_)
    moved_after = [(creep[-1] - creep[k]) * scale for k in (converged.step - 1, converged.step)]
    assert moved_after[0] > events.STILL_PX >= moved_after[1], (converged.step, moved_after)  # the first still step
    assert converged.step > 80  # not step 20, where the loss stopped falling


def fit_scale(run_) -> float:
    """Px per data unit of a lone fit panel, from its rectangle and limits (what the drawing gives it)."""
    low, high = fit_ylim(run_)
    return LAYOUTS["fit"].fit[3] * DESIGN_PX / (high - low)


def test_a_line_that_swings_past_its_best_fit_oscillates_and_a_steady_one_does_not():
    steps = np.arange(60)
    error = 3 * (-0.9) ** steps  # the slope flips sign every step, shrinking
    grid = np.linspace(-1, 1, 32)[None, :] * (-1 + error[:, None])
    loss = 1 + error**2
    (swing,) = [event for event in events.detect(synthetic(loss, grid)) if event.kind == "oscillating"]
    assert swing.step == 2 and swing.said == "Each step overshoots: the model swings past the best fit."
    steady = np.linspace(-1, 1, 32)[None, :] * (-1 + 3 * 0.9 ** steps[:, None])
    assert not [e for e in events.detect(synthetic(1 + (3 * 0.9**steps) ** 2, steady)) if e.kind == "oscillating"]
    noisy = synthetic(loss, grid, batch_size=10)  # a minibatch run's swings are its batches: noise, not this
    assert not [event for event in events.detect(noisy) if event.kind == "oscillating"]


def settling(final: float, steps: int = 201) -> np.ndarray:
    """A loss that falls fast to `final` and stays there."""
    return final + np.exp(-np.arange(steps) / 5)


def test_a_poor_fit_says_what_it_falls_short_of():
    x = np.linspace(-1, 1, 100)
    y = x**2 - np.mean(x**2)
    best = np.mean((y - np.mean(y)) ** 2)  # the best line through a symmetric parabola is flat: its variance
    flat, floor = np.zeros((201, 8)), 0.2**2 / 12
    line = synthetic(settling(best), flat, params=np.zeros((201, 2)), noise_floor=floor, x=x, y=y)
    (poor,) = [event for event in events.detect(line) if event.kind == "poor fit"]
    assert poor.said == f"A line cannot bend: {best / floor:.2g} times the noise (0.0033)."
    stuck = synthetic(settling(3 * best), flat, params=np.zeros((201, 2)), x=x, y=y)  # settled above the best line
    assert [e.said for e in events.detect(stuck) if e.kind == "poor fit"] == [
        f"A poor fit: 3 times the best line's loss ({best:.2g})."]  # fmt: skip
    falling = synthetic(3 * best * np.exp(-np.arange(201) / 300), flat, params=np.zeros((201, 2)), x=x, y=y)
    assert not [e for e in events.detect(falling) if e.kind == "poor fit"]  # on its way: its panel says so
    net = synthetic(settling(0.06), flat, noise_floor=floor, x=x, y=y)  # a hidden layer: no best line
    told = [e.said for e in events.detect(net) if e.kind == "poor fit"]
    assert told == ["A poor fit: 18 times the data's noise (0.0033)."]
    good = synthetic(settling(0.0036), flat, noise_floor=floor, x=x, y=y)
    assert not [e for e in events.detect(good) if e.kind == "poor fit"]


def test_a_net_whose_units_all_died_is_called_a_flat_line():
    x = np.linspace(-1, 1, 20)
    dead = Units(w=np.ones((3, 4)), b=np.full((3, 4), -5.0), v=np.ones((3, 4)), c=np.zeros(3))  # off for every x
    (event,) = events.dead_unit_events(synthetic(np.ones(3), np.zeros((3, 8)), x=x, units=dead))
    assert event.text == "all 4 units dead · step 0"
    assert event.said == "Every unit is dead from the start: the net is a flat line."  # none died in training
    one_left = Units(w=np.ones((3, 4)), b=np.array([[0.5, -5, -5, -5]] * 3), v=np.ones((3, 4)), c=np.zeros(3))
    (event,) = events.dead_unit_events(synthetic(np.ones(3), np.zeros((3, 8)), x=x, units=one_left))
    assert event.said == "3 of 4 units dead from the start: it can bend only once."
    dying = Units(w=np.ones((3, 4)), b=np.array([[0.5, 0.5, -5, -5], [0.5, -5, -5, -5], [0.5, -5, -5, -5]]),
                  v=np.ones((3, 4)), c=np.zeros(3))  # fmt: skip
    (event,) = events.dead_unit_events(synthetic(np.ones(3), np.zeros((3, 8)), x=x, units=dying))
    assert event.step == 1 and event.said == "3 of 4 units dead (2 from the start): it can bend only once."


# -- the course's videos, as committed -------------------------------------------------------------------------


def test_every_caption_is_one_at_a_time_short_and_slow_enough_to_read():
    for name in VIDEOS:
        said = cues(MEDIA / "videos" / f"{name}.vtt")
        entry = manifest()[f"videos/{name}.mp4"]
        assert said[0][0] == 0 and said[-1][1] == pytest.approx(entry["duration"], abs=1e-3), name
        for (start, end, text), following in zip(said, [*said[1:], None], strict=True):
            lines = text.split("\n")
            assert len(lines) <= 2 and all(len(line) <= 42 for line in lines), (name, text)  # two lines of 42
            assert end - start >= 1.5 and len(" ".join(lines)) / (end - start) <= 17, (name, text)  # time to read
            assert following is None or end <= following[0], (name, text)  # the next comes after: one at a time


def test_every_note_and_event_stays_on_screen_at_least_two_and_a_half_seconds():
    for name in VIDEOS:
        scene = SCENES[name]
        runs = committed(name)
        animation = scene.animation(runs)
        for cue in animation.said:
            if cue.line.kind not in ("start", "end"):
                assert cue.end - cue.start >= 2.5 - 1e-9, (name, cue)
        notes = [overlay for overlay in animation.overlays if overlay.by_frame]
        assert len(notes) == sum(cue.line.kind == "note" for cue in animation.said)
        for note in notes:  # the box in the picture, not only the caption: it stays while it is read
            assert note.last - note.first + 1 >= 2.5 * scene.fps, (name, note.artists[0].get_text())


def test_the_videos_last_what_their_lesson_needs():
    durations = {name: manifest()[f"videos/{name}.mp4"]["duration"] for name in VIDEOS}
    for name in PAGE:
        assert 10 <= durations[name] <= 20, (name, durations[name])
    assert max(durations.values()) <= 30, durations


def test_the_transcript_and_the_manifest_tell_what_the_captions_tell():
    for name in VIDEOS:
        scene, runs = SCENES[name], committed(name)
        said = scene.animation(runs).said
        assert [text.replace("\n", " ") for _, _, text in cues(MEDIA / "videos" / f"{name}.vtt")] == [
            cue.text for cue in said]  # fmt: skip
        transcript = (MEDIA / "videos" / f"{name}.txt").read_text(encoding="utf-8-sig").splitlines()
        assert transcript[0] == f"{name}: {scene.heading}" and transcript[2:] == [
            f"[{timestamp(cue.start).rsplit('.', 1)[0]}] {cue.line.told}" for cue in said]  # fmt: skip
        recorded = [{"run": e.run, "kind": e.kind, "step": e.step, "text": e.text} for r in runs for e in r.events]
        assert manifest()[f"videos/{name}.mp4"]["events"] == recorded
        told = " ".join(cue.line.told for cue in said)
        for event in (event for r in runs for event in r.events):  # every event in full (its run named, if several)
            assert event.detail.split(": ", 1)[1] in told, (name, event)


def red_rows(frame: np.ndarray, rect, size: int) -> np.ndarray:
    """(columns,) where the model's red sits in each column of a panel: the mean row, weighted by how red each
    pixel is (an encoder's noise moves a weighted mean by a fraction of a pixel, a threshold's by whole ones); NaN
    where a column holds no red."""
    left, bottom, width, height = rect
    top, first = int(size * (1 - bottom - height)) + 3, int(size * left) + 3
    patch = frame[top : int(size * (1 - bottom)) - 3, first : int(size * (left + width)) - 3].astype(float)
    redness = np.clip(patch[..., 0] - patch[..., 1:].max(axis=-1) - 60, 0, None)  # white, grey, blue, a note's gold: 0
    rows = np.arange(patch.shape[0])[:, None]
    with np.errstate(invalid="ignore"):
        centre = (redness * rows).sum(axis=0) / redness.sum(axis=0)
    red = redness > 50
    first = np.argmax(red, axis=0)
    last = red.shape[0] - 1 - np.argmax(red[::-1], axis=0)
    one_line = red.any(axis=0) & (last - first <= 8)  # a column with red in two places (a key's sample) tells nothing
    return np.where(one_line, centre, np.nan)


def test_a_converged_model_moves_at_most_two_pixels_to_the_end_of_its_video():
    checked = 0
    for name in VIDEOS:
        scene, runs = SCENES[name], committed(name)
        rects = LAYOUTS[scene.layout].fit_rects(len(runs))
        plan = scene.plan(runs)
        frames = None
        for run_, rect in zip(runs, rects, strict=True):
            converged = next((event.step for event in run_.events if event.kind == "converged"), None)
            if converged is None:
                continue
            frames = frames if frames is not None else decode(MEDIA / "videos" / f"{name}.mp4")[0]
            start = plan.frame_of(converged)
            reference = red_rows(frames[start], rect, scene.size)
            for index in range(start + 1, len(frames), 3):
                rows = red_rows(frames[index], rect, scene.size)
                both = np.isfinite(reference) & np.isfinite(rows)
                assert both.sum() > 50, (name, index)
                moved = np.abs(rows[both] - reference[both])  # px, column by column
                assert np.percentile(moved, 95) <= 2.0, (name, converged, index)  # a column or two: encoder noise
            checked += 1
    assert checked >= 6  # the page's three and more


# -- only states the model had -------------------------------------------------------------------------------------


def slope_errors(run_) -> np.ndarray:
    """(steps+1,) a linear net's slope minus the least-squares slope (computed here, not by tp1viz), as far as a
    viewer sees it: an error that tilts the line by less than a pixel across the panel reads as none (0)."""
    x, y = run_.x.astype(float), run_.y.astype(float)
    errors = run_.params[:, 0].astype(float) - np.polyfit(x, y, 1)[0]
    tilt_px = np.abs(errors) * np.ptp(x) * 0.505 * DESIGN_PX / (1.16 * np.ptp(y))  # the panel holds the data, padded
    return np.where(tilt_px >= 1, errors, 0.0)


def test_no_in_between_frame_crosses_a_swing_or_a_divergence():
    sweep = SCENES["lr_sweep"]
    oscillating = SCENES["linear_sgd"].with_overrides(lr=0.06)
    for scene, runs in ((sweep, committed("lr_sweep")), (oscillating, record_scene(oscillating))):
        plan = scene.plan(runs)
        glides = {(int(a), int(b)) for a, b, t in zip(plan.start, plan.end, plan.t, strict=True) if t < 1}
        assert glides or scene is sweep  # the near-limit run glides nowhere it swings
        for run_ in runs:
            errors, loss = slope_errors(run_), run_.loss
            for a, b in glides:
                between = slice(a, b + 1)
                assert np.all(np.diff(loss[between]) <= 0), (scene.name, a, b)  # no rise (a spike, a divergence)
                signs = np.sign(errors[between])
                assert not ((signs > 0).any() and (signs < 0).any()), (scene.name, a, b)  # no swing past the best
        if scene is oscillating:
            swings = np.flatnonzero(np.sign(slope_errors(runs[0])[1:]) != np.sign(slope_errors(runs[0])[:-1])) + 1
            assert swings.size > 10 and all(not (a < k <= b) for a, b in glides for k in swings)


def test_an_in_between_frame_says_it_moves_between_two_steps():
    scene, runs = SCENES["linear_sgd"], committed("linear_sgd")
    animation = scene.animation(runs)
    plan, loss = animation.plan, runs[0].loss
    between = [index for index in range(len(plan)) if plan.t[index] < 1]
    assert between
    for index in between[:: max(1, len(between) // 12)]:
        moment = animation.moment(index)
        a, b = moment.start, moment.end
        animation.draw(moment, index)
        status = animation.status_text(moment)
        assert status.startswith(f"step {a:>3}→{b}/200") and f"loss {loss[a]:#.4g}→{loss[b]:#.4g}" in status
        (x,), (y,) = animation.loss.markers[0].get_data()
        assert a < x < b and min(loss[a], loss[b]) <= y <= max(loss[a], loss[b])  # the dot, between the two


# -- every word true, under other seeds and learning rates -----------------------------------------------------


def swings(run_, step: int, count: int = 3) -> bool:
    """Whether the drawn curve reverses its move `count` times in a row from `step` (computed here)."""
    moves = np.diff(run_.grid_pred.astype(float), axis=0)  # moves[k - 1]: into step k
    dots = [float(np.dot(moves[k - 1], moves[k - 2])) for k in range(step, step + count)]
    return all(dot < 0 for dot in dots)


def overshoots_further(run_, step: int) -> bool:
    """Above the stability limit 1 / mean(x²), computed here, with the loss climbing from the step."""
    lr = run_.meta["run"]["lr"]
    climbing = np.all(np.diff(run_.loss[step : step + 4]) > 0) or not np.isfinite(run_.loss[step + 1])
    return lr > 1 / np.mean(run_.x.astype(float) ** 2) and bool(climbing)


def u_shaped_near_the_noise(run_, step: int) -> bool:
    curve = run_.grid_pred[-1].astype(float)
    ends, middle = (curve[0] + curve[-1]) / 2, curve[len(curve) // 2]
    return run_.loss[-1] < 3 * 0.2**2 / 12 and ends - middle > 0.5


def pieces_sum_to_the_curve(run_, step: int) -> bool:
    """The bias plus every unit's piece is the net's curve at this step."""
    pieces = run_.units.contributions(run_.grid_x, step).sum(axis=0)
    return np.allclose(pieces + run_.units.c[step], run_.grid_pred[step], atol=1e-4)


def live_units(run_, step: int) -> int:
    """How many hidden units are not zero at every data point at this step."""
    return int((~run_.units.dead(run_.x)[run_.row(step)]).sum())


def share_moved(run_, step: int, parameter: int) -> float:
    """How much of its way (start to end) a parameter has gone by a step."""
    return float((run_.params[step, parameter] - run_.params[0, parameter])
                 / (run_.params[-1, parameter] - run_.params[0, parameter]))  # fmt: skip


def walks_w_first(run_, step: int) -> bool:
    done = (run_.params[step] - run_.params[0]) / (run_.params[-1] - run_.params[0])
    return done[0] > 0.8 and done[1] < 0.5


def least_squares_of(run_) -> tuple[float, float, float]:
    """(w, b, MSE) of the least-squares line through a run's points, from the normal equations (worked out here)."""
    x, y = run_.x.astype(float), run_.y.astype(float)
    w = np.sum((x - x.mean()) * (y - y.mean())) / np.sum((x - x.mean()) ** 2)
    b = y.mean() - w * x.mean()
    return w, b, float(np.mean((w * x + b - y) ** 2))


def gradient_of(run_, step: int) -> np.ndarray:
    """(dL/dw, dL/db) of a linear net's MSE at a step, by hand."""
    x, y = run_.x.astype(float), run_.y.astype(float)
    w, b = run_.params[step].astype(float)
    return np.array([2 * np.mean((w * x + b - y) * x), 2 * np.mean(w * x + b - y)])


def mse_is_mean_of_squares(run_, step: int) -> bool:
    w, b = run_.params[step].astype(float)
    return np.isclose(np.mean((w * run_.x.astype(float) + b - run_.y) ** 2), run_.loss[step], rtol=1e-4)


def lands_on_least_squares(run_, step: int) -> bool:
    """The trained line and the least-squares line less than a pixel apart anywhere across the 512 px video's panel."""
    w, b, _ = least_squares_of(run_)
    tw, tb = run_.params[step].astype(float)
    gap = np.abs((tw - w) * run_.grid_x + (tb - b)).max()
    low, high = fit_ylim(run_)
    return gap * 0.43 * DESIGN_PX / (high - low) < 1.0


def hinges(run_, step: int) -> np.ndarray:
    """The sorted x where a ReLU net's live units switch on (-b / w), worked out here."""
    w, b = run_.units.w[step].astype(float), run_.units.b[step].astype(float)
    live = (np.maximum(np.outer(run_.x.astype(float), w) + b, 0) > 0).any(axis=0) & (w != 0)
    return np.sort(-b[live] / w[live])


def turns(run_, step: int) -> int:
    """How often a run's path in (w, b) turns back (a move against the one before it) up to a step."""
    moves = np.diff(run_.params[: step + 1].astype(float), axis=0)
    return int((np.sum(moves[1:] * moves[:-1], axis=1) < 0).sum())


def zero_then_straight(run_, step: int, unit: int) -> bool:
    """A unit's piece on the grid, worked out from its weights: zero on one side of its hinge, a straight line
    with slope v w on the other."""
    w, b, v = (float(part[step, unit]) for part in (run_.units.w, run_.units.b, run_.units.v))
    x = run_.grid_x.astype(float)
    piece = v * np.maximum(w * x + b, 0)
    on = w * x + b > 0
    return bool(
        np.all(piece[~on] == 0) and np.allclose(np.diff(piece[on]) / np.diff(x[on]), v * w, rtol=1e-6)
        if on.sum() > 1
        else np.all(piece[~on] == 0)
    )


def failed(run_) -> bool:
    return run_.loss[-1] > 3 * run_.meta["run"]["noise_floor"]


def never_settles(runs, step: int) -> bool:
    sgd = next(r for r in runs if r.meta["run"]["batch_size"])
    tail = sgd.grid_pred[-len(sgd.loss) // 10 :].astype(float)
    low, high = fit_ylim(*runs)
    return np.abs(np.diff(tail, axis=0)).max() * 0.17 * DESIGN_PX / (high - low) > 2  # px of its small panel


CLAIMS = {  # every course note, and an oracle for what it says (given the scene's runs and the note's step and run)
    "Random initial weights: this line knows nothing of the data yet.": lambda runs, step, r: step == 0,
    "The learning rate is too large: each update jumps past the best line.": lambda runs, step, r:
        swings(runs[0], step),
    "Above the stability limit, every update overshoots further.": lambda runs, step, r:
        overshoots_further(runs[0], step),
    "The same one-layer net: whatever its weights, it draws a straight line.": lambda runs, step, r:
        runs[0].params.shape[1] == 2,
    "A line cannot bend: the best one through a parabola is nearly flat.": lambda runs, step, r:
        abs(np.polyfit(runs[0].x, runs[0].y, 1)[0]) < 0.05 and runs[0].params.shape[1] == 2,
    "Ten ReLU units: each can bend the line once.": lambda runs, step, r: runs[0].units.w.shape[1] == 10,
    "This learning rate is close to unstable here: each step overshoots.": lambda runs, step, r: swings(runs[0], step),
    "The bends now shape the U, down near the noise.": lambda runs, step, r: u_shaped_near_the_noise(runs[0], step),
    "Each point here is one line y = w x + b; its colour is that line's loss.": lambda runs, step, r:
        runs[0].landscape.kind == "exact",
    "SGD walks downhill: steep in w first, then slowly along b.": lambda runs, step, r: walks_w_first(runs[0], step),
    "31 weights: the loss is cut along the plane the path moves in most.": lambda runs, step, r:
        runs[0].params.shape[1] == 31 and runs[0].landscape.kind == "pca",
    "Same data, same start: only the learning rate differs.": lambda runs, step, r:
        all(np.array_equal(x.params[0], runs[0].params[0]) for x in runs)
        and len({x.meta["run"]["lr"] for x in runs}) == len(runs),
    "Above the limit 1 / mean(x²), every step overshoots further.": lambda runs, step, r:
        overshoots_further(runs[r], step),
    "GD takes all 100 points at every step; SGD takes 10.": lambda runs, step, r:
        [x.meta["run"]["batch_size"] for x in runs] == [0, 10] and len(runs[0].x) == 100,
    "SGD never settles: each batch pulls the line its own way.": lambda runs, step, r: never_settles(runs, step),
    "The hollow points are held out: the model never trains on them.": lambda runs, step, r: runs[0].test is not None,
    "The test loss settles beside the training loss: the line generalises.": lambda runs, step, r:
        runs[0].test.loss[step] < 1.5 * runs[0].loss[step] and runs[0].test.loss[-1] <= 1.1 * runs[0].test.loss.min(),
    "Only the 15 filled points train the net; the 30 hollow ones test it.": lambda runs, step, r:
        (len(runs[0].x), len(runs[0].test.x)) == (15, 30),
    "From here the test loss climbs while the training loss falls: it learns the noise.": lambda runs, step, r:
        runs[0].test.loss[-1] > runs[0].test.loss[step] and runs[0].loss[-1] < runs[0].loss[step],
    "Each colour is one unit: zero on one side of its hinge (▲), straight on the other.": lambda runs, step, r:
        runs[0].units is not None and all(zero_then_straight(runs[0], step, unit)
                                          for unit in range(runs[0].units.w.shape[1])),
    "The red curve is the bias (dashed) plus every piece: it bends at each hinge.": lambda runs, step, r:
        live_units(runs[0], step) >= 2 and pieces_sum_to_the_curve(runs[0], step),
    "Built again: the bias, then each live unit's piece, left to right.": lambda runs, step, r:
        step == runs[0].steps and live_units(runs[0], step) >= 2 and pieces_sum_to_the_curve(runs[0], step),
    "Each grey gap is one point's error; below it, the error squared.": lambda runs, step, r:
        step == 0 and mse_is_mean_of_squares(runs[0], 0),
    "The MSE is the mean of the squares: the dashed line below.": lambda runs, step, r:
        mse_is_mean_of_squares(runs[0], step),
    "The line stops where the mean of the squares is lowest.": lambda runs, step, r:
        runs[0].loss[step] <= 1.02 * least_squares_of(runs[0])[2] and lands_on_least_squares(runs[0], runs[0].steps),
    "White: minus the gradient, downhill. Red: the step, lr times it.": lambda runs, step, r:
        step == 0 and not runs[0].meta["run"]["batch_size"] and np.allclose(
            runs[0].params[1] - runs[0].params[0], -runs[0].meta["run"]["lr"] * gradient_of(runs[0], 0), rtol=2e-3),
    "Each update is w ← w − lr·dL/dw; the lines of numbers show it.": lambda runs, step, r: np.allclose(
        runs[0].params[step + 1] - runs[0].params[step], -runs[0].meta["run"]["lr"] * gradient_of(runs[0], step),
        rtol=2e-3, atol=1e-6),
    "Steep in w, so w moves first; b crawls: its slope is gentle.": lambda runs, step, r:
        abs(gradient_of(runs[0], 0)[0]) > 10 * abs(gradient_of(runs[0], 0)[1])
        and share_moved(runs[0], step, 0) > 5 * share_moved(runs[0], step, 1),
    "b is still crawling: near the bottom, its gradient is small.": lambda runs, step, r:
        step == runs[0].steps and runs[0].loss[step] <= 1.05 * least_squares_of(runs[0])[2]
        and abs(runs[0].params[step][1] - least_squares_of(runs[0])[1]) > 1e-3
        and abs(gradient_of(runs[0], step)[1]) < 0.2,
    "At the bottom the gradient is near zero, and so is each step.": lambda runs, step, r:
        np.linalg.norm(gradient_of(runs[0], step)) < 0.01 * np.linalg.norm(gradient_of(runs[0], 0)),
    "GD's path is smooth; SGD's zigzags: each batch pulls its own way.": lambda runs, step, r:
        [x.meta["run"]["batch_size"] for x in runs] == [0, 10] and turns(runs[0], step) == 0
        and turns(runs[1], step) >= 5,
    "The page's net from five random starts, on the same data.": lambda runs, step, r:
        step == 0 and len(runs) == 5 and all(np.array_equal(x.y, runs[0].y) for x in runs)
        and len({x.params[0].tobytes() for x in runs}) == 5 and {x.meta["run"]["lr"] for x in runs} == {0.5},
    "Not every start works: a failed start stays far above the noise.": lambda runs, step, r:
        failed(runs[r]) and runs[r].loss[step] > 3 * runs[r].meta["run"]["noise_floor"],
    "The rest end near the noise, with their bends (dots) in other places.": lambda runs, step, r:
        len([x for x in runs if not failed(x)]) >= 2 and any(
            len(hinges(a, -1)) != len(hinges(b, -1)) or np.abs(hinges(a, -1) - hinges(b, -1)).max() > 0.05
            for a in runs for b in runs if a is not b and not failed(a) and not failed(b)),
    "Dashed: the best line, solved in one formula (least squares).": lambda runs, step, r:
        step == 0 and runs[0].params.shape[1] == 2,
    "Training with MSE lands on the same line: it is least squares.": lambda runs, step, r:
        lands_on_least_squares(runs[0], step),
}  # fmt: skip


def event_is_true(event, runs) -> bool:
    """An independent look at the numbers for each kind of event a caption tells."""
    run_ = runs[event.run]
    loss = np.asarray(run_.loss, float)
    if event.kind == "spike":
        return loss[event.step] >= 2 * loss[: event.step].min()
    if event.kind == "diverged":
        after = loss[event.step :]
        return bool(np.all(~np.isfinite(after) | (after > 10 * loss[0])))
    if event.kind == "oscillating":
        return swings(run_, event.step)
    if event.kind == "dead units":
        w, b = run_.units.w[-1].astype(float), run_.units.b[-1].astype(float)
        dead = int((np.maximum(np.outer(run_.x, w) + b, 0) == 0).all(axis=0).sum())
        return event.said.startswith(f"{dead} of ") or (event.said.startswith("Every unit") and dead == len(w))
    if event.kind == "poor fit":
        floor, final = run_.meta["run"].get("noise_floor"), np.median(loss[-len(loss) // 10 :])
        best = np.mean((np.polyval(np.polyfit(run_.x, run_.y, 1), run_.x) - run_.y) ** 2)
        times = float(re.search(r"([\d.]+) times", event.said)[1])
        reference = best if "best line" in event.said else floor
        return abs(final / reference - times) <= 0.06 * times and final / reference > 1.5
    if event.kind == "early stopping":
        return event.step == int(np.argmin(run_.test.loss))
    return event.kind == "converged"  # measured on the decoded frames above


def told_runs():
    """(name, scene, runs) of every course video as committed, the page's ReLU net from seeds 1 to 5, and the page's
    first video at a learning rate that swings and one that diverges."""
    yield from ((name, SCENES[name], committed(name)) for name in VIDEOS)
    for seed in range(1, 6):
        scene = SCENES["pow_fn_w_non_linear_model"].with_overrides(seed=seed)
        yield f"pow_fn_w_non_linear_model --seed {seed}", scene, record_scene(scene)
    for lr in (0.06, 0.2):
        scene = SCENES["linear_sgd"].with_overrides(lr=lr)
        yield f"linear_sgd --lr {lr}", scene, record_scene(scene)
    for name, overrides in (("mse_residuals", {"seed": 2}), ("gradient_step", {"seed": 2}),
                            ("gradient_step", {"seed": 3}), ("gradient_step", {"lr": 0.02}),
                            ("least_squares", {"lr": 0.005}), ("least_squares", {"seed": 4}),
                            ("many_solutions", {"seed": 2}), ("gd_vs_sgd", {"seed": 3}),
                            ("pow_fn_w_non_linear_model", {"lr": 1.0}), ("relu_pieces", {"seed": 1}),
                            ("gradient_step", {"lr": 0.06}), ("train_vs_test", {"lr": 0.06})):  # fmt: skip
        scene = SCENES[name].with_overrides(**overrides)
        yield f"{name} " + " ".join(f"--{key} {value}" for key, value in overrides.items()), scene, record_scene(scene)


@pytest.fixture(scope="module")
def told():
    return [(name, scene, runs, scene.story(runs)) for name, scene, runs in told_runs()]


def test_every_note_and_every_event_says_only_what_its_run_does(told):
    for name, _, runs, story in told:
        for line in story:
            if line.kind == "note":
                assert line.said in CLAIMS, f"{name}: no oracle for the note {line.said!r}"
                assert CLAIMS[line.said](runs, line.step, line.run or 0), (name, line.said, line.step)
        for event in (event for run_ in runs for event in run_.events):
            assert event_is_true(event, runs), (name, event)


def test_failures_are_named_in_plain_words(told):
    said = {name: " ".join(line.said for line in story) for name, _, _, story in told}
    assert (
        "Every unit is dead (3 from the start): the net is a flat line." in said["pow_fn_w_non_linear_model --seed 1"]
    )
    assert "A poor fit: 28 times the data's noise" in said["pow_fn_w_non_linear_model --seed 1"]
    assert "9 of 10 units dead (4 from the start): it can bend only once." in said["pow_fn_w_non_linear_model --seed 3"]
    assert "A poor fit: 18 times the data's noise" in said["pow_fn_w_non_linear_model --seed 3"]
    for seed in (1, 3):  # and the course's claim that the net fits is not made of them
        assert "The bends now shape the U" not in said[f"pow_fn_w_non_linear_model --seed {seed}"]
    assert "each update jumps past the best line" in said["linear_sgd --lr 0.06"]
    assert "every update overshoots further" in said["linear_sgd --lr 0.2"]
    assert "A line cannot bend" in said["pow_fn_w_linear_model"]


def test_a_diverging_run_shows_its_loss_climbing(told):
    ((scene, runs),) = [(scene, runs) for name, scene, runs, _ in told if name == "linear_sgd --lr 0.2"]
    animation = scene.animation(runs)
    last = animation.draw(animation.moment(len(animation.plan) - 1), len(animation.plan) - 1)[..., :3]
    ax = animation.loss.lines[0].axes
    box = ax.get_window_extent()
    rows, columns = slice(int(512 - box.y1) + 2, int(512 - box.y0) - 2), slice(int(box.x0) + 2, int(box.x1) - 2)
    red = (last[rows, columns, 0] > 170) & (last[rows, columns, 1] < 110)
    used = np.flatnonzero(red.any(axis=1))
    assert ax.get_yscale() == "log" and used.max() - used.min() > 0.6 * red.shape[0]  # from the foot to the top


# -- notes: where they sit, when they are told ---------------------------------------------------------------------


def colour_hits(patch: np.ndarray, landscape: bool = False) -> int:
    """Pixels of the data's blue, the model's red or the test points' green in a patch of a frame (on a landscape,
    whose colours are the loss's, only the path's red)."""
    r, g, b = (patch[..., i].astype(int) for i in range(3))
    red = (r > 170) & (g < 110) & (b < 110)
    if landscape:
        return int(red.sum())
    blue = (b > 150) & (r < 120) & (g < 170)
    green = (g > r + 40) & (g > b + 40)
    return int((red | blue | green).sum())


def test_a_note_covers_no_data_point_no_curve_and_no_label_while_it_is_shown(told):
    for name, scene, runs, _ in told:
        animation = scene.with_overrides(size=512).animation(runs)
        for overlay in (overlay for overlay in animation.overlays if overlay.by_frame):
            left, bottom, right, top = overlay.box
            rows, columns = slice(int(512 - top), int(512 - bottom)), slice(int(left), int(right))
            for index in sorted({overlay.first, (overlay.first + overlay.last) // 2, overlay.last}):
                under = animation.draw(animation.moment(index), index, notes=False)[rows, columns, :3]
                on_landscape = getattr(animation, "landscape", None) is not None and overlay.artists[0].axes is \
                    animation.landscape.path.axes  # fmt: skip
                assert colour_hits(under, on_landscape) == 0, (name, overlay.artists[0].get_text(), index)


NOTED = """
[noted]
kind = "video"
title = "Noted"
dataset = "linear"
model = "linear"
lr = 0.005
steps = 40
size = 128
notes = [{ step = 5, text = "the slope turns" }, NOTE]
"""


@pytest.mark.parametrize(
    "note, message",
    [
        ('{ step = 41, text = "late" }', "key 'notes'[1].step: 41 is not in 0..40 (the scene's steps)"),
        ('{ step = -1, text = "early" }', "key 'notes'[1].step: -1 is not in 0..40 (the scene's steps)"),
        ("{ step = 3 }", 'key \'notes\'[1]: a note is { step = N, text = "..." } or { at = "event", text = "..." }'),
        ('{ step = 3, at = "spike", text = "a" }', "key 'notes'[1]: a note is { step = N, text"),
        ('{ at = "landing", text = "a" }', "key 'notes'[1].at: 'landing' is not one of converged, spike, diverged"),
        ('{ at = "spike", unless = ["nothing"], text = "a" }', "key 'notes'[1].unless: 'nothing' is not one of"),
        ('{ at = "spike", run = "fast", text = "a" }', "key 'notes'[1].run: 'fast' is not the label of one of"),
        ('{ step = 3, panel = "landscape", text = "a" }', "key 'notes'[1].panel: the fit layout draws no landscape"),
        ('{ step = 3.5, text = "a" }', "key 'notes'[1].step"),
        ('{ step = 3, text = "' + "wide " * 18 + '" }', "key 'notes'[1].text"),
        ('{ step = 5, text = "again" }', "key 'notes': two notes at one step"),
    ],
)
def test_a_bad_note_is_one_line_naming_the_scene(tmp_path, note, message):
    path = tmp_path / "noted.toml"
    path.write_text(NOTED.replace("NOTE", note))
    result = run("render", "noted", "--scenes", path, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {path}: scene 'noted': ") and message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and not (tmp_path / "out").exists()


def test_a_note_at_an_event_is_told_there_and_left_out_without_one(tmp_path):
    path = tmp_path / "noted.toml"
    anchored = ('{ at = "converged", text = "settled" }, { at = "diverged", text = "never here" }, '
                '{ step = 30, unless = "converged", text = "not told either" }')  # fmt: skip
    path.write_text(NOTED.replace("steps = 40", "steps = 120").replace("NOTE", anchored))
    scene = load_catalog([path])["noted"]
    runs = record_scene(scene)
    story = scene.story(runs)
    (converged,) = [event for event in runs[0].events if event.kind == "converged"]
    (note,) = [line for line in story if line.said == "settled"]
    assert note.step == converged.step and note.told.startswith(converged.detail)  # the event's own words join it
    assert not [line for line in story if line.kind == "converged"]  # told once: by the note
    assert not [line for line in story if line.said in ("never here", "not told either")]
    diverging = scene.with_overrides(lr=0.2)
    said = [line.said for line in diverging.story(record_scene(diverging))]
    assert "never here" in said and "settled" not in said and "not told either" in said


def test_a_note_is_held_while_it_is_read_and_its_stretch_gets_time(tmp_path):
    path = tmp_path / "noted.toml"
    late = '{ step = 100, text = "still creeping, a little each step" }, { step = 150, text = "and still" }'
    paced = 'steps = 200\npace = "change"\nmax_seconds = 3'
    path.write_text(NOTED.replace("steps = 40", paced).replace("NOTE", late))
    scene = load_catalog([path])["noted"]
    runs = record_scene(scene)
    plan = scene.plan(runs)
    for step, text in ((5, "the slope turns"), (100, "still creeping, a little each step"), (150, "and still")):
        assert len(plan.frames_of(step)) >= round(max(2.5, len(text) / 15) * 30)  # the video stops while it is read
    following = min(line.step for line in scene.story(runs) if line.step > 100)  # the next thing said
    phase = {int(step) for step in plan.shown[plan.frame_of(100) : plan.frame_of(following)]} - {100}
    assert following > 102 and phase == set(range(101, following))  # the creep it talks about, step by step


# -- pacing ------------------------------------------------------------------------------------------------------


CHANGES = st.lists(st.floats(0, 50), min_size=2, max_size=400).map(np.array)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    change=CHANGES,
    settled=st.integers(0, 400),
    fps=st.integers(1, 60),
    seconds=st.none() | st.floats(1, 20),
    marks=st.lists(st.integers(0, 400), max_size=6, unique=True).map(sorted),
)
def test_a_plan_shows_real_steps_in_order_and_every_step_to_convergence(change, settled, fps, seconds, marks):
    steps = len(change) - 1
    smooth = np.arange(steps + 1) % 7 != 3  # some steps a glide may not cross
    motion = pacing.plan("change", steps, fps, seconds, change, min(settled, steps), marks, smooth)
    frames = pacing.budget(steps, fps, seconds)
    assert len(motion) <= frames
    assert np.all(np.diff(motion.shown) >= 0)  # the step never goes backwards
    assert np.all((motion.t > 0) & (motion.t <= 1)) and np.all(motion.start <= motion.end)
    assert motion.shown[0] == 0 and motion.shown[-1] == steps and motion.t[-1] == 1  # the real start and end
    for a, b, t in zip(motion.start, motion.end, motion.t, strict=True):
        assert t == 1 or smooth[a + 1 : b + 1].all()  # no glide across a step it may not cross
    exact = set(motion.end[motion.t >= 1])
    if min(settled, steps) + 1 <= frames and len(pacing.shown_steps(change, settled)) <= frames:
        assert set(range(min(settled, steps) + 1)) <= exact  # every step before convergence, exactly
    assert {mark for mark in marks if mark <= steps} <= exact or len(marks) > frames // 2  # every event's step
    held = motion.held({mark: 5 for mark in marks if mark <= steps})
    for step in range(steps + 1):  # the frame for a step shows it exactly, or the last step before it shown
        frame = held.frame_of(step)
        assert held.t[frame] == 1 and held.shown[frame] <= step


def test_a_long_run_is_bounded_by_max_seconds(tmp_path, monkeypatch):
    from tp1viz import recorder

    monkeypatch.setattr(recorder, "SPARSE_FROM", 500)  # the long-run path at a sixth of its steps (and time)
    result = run("render", "linear_sgd", "--steps", 3000, "--max-seconds", 2, "--size", 128, "--out", tmp_path, "-q")
    assert result.exit_code == 0, result.output
    frames, _ = decode(tmp_path / "videos" / "linear_sgd.mp4")
    (run_,) = load_runs(tmp_path / "trajectories" / "linear_sgd.npz")
    plan = SCENES["linear_sgd"].with_overrides(steps=3000, max_seconds=2, size=128).plan([run_])
    moving = len(np.unique(np.column_stack([plan.start, plan.end, plan.t]), axis=0))
    assert len(frames) == len(plan) and moving <= 2 * 30  # the motion in 2 s; the rest is pauses to read
    # the loss at every step; snapshots only of steps shown and the few kept to find events at
    assert len(run_.loss) == 3001 and len(run_.kept) <= 2 * 30 + 2 + recorder.EVENT_SNAPSHOTS
    assert run_.kept[0] == 0 and run_.kept[-1] == 3000
    assert len(run_.kept) >= 10  # the first pass planned a motion to keep, not just the two ends
    assert set(plan.steps) <= set(run_.kept)  # every step the video draws was kept


def test_caption_text_is_wrapped_escaped_and_long_videos_count_hours():
    def cue(start, end, text):
        return Cue(start, end, Line(0, text, text, "note"))

    text = webvtt([cue(0, 1, 'a --> b & <i>c</i> x<y "q"'), cue(3599.5, 3661.25, "late " * 10)])
    assert 'a --&gt; b &amp; &lt;i&gt;c&lt;/i&gt; x&lt;y "q"' in text and text.count("-->") == 2
    assert "59:59.500 --> 01:01:01.250\nlate late late late late late late late\nlate late" in text
    assert [timestamp(s) for s in (0, 59.9994, 3600)] == ["00:00.000", "00:59.999", "01:00:00.000"]


def test_every_readout_line_fits_its_frame(told):
    checked = 0
    for name, scene, runs, _ in told:
        animation = scene.animation(runs)
        for line, readout in ((line, readout) for readout in getattr(animation, "readouts", ())
                              for frame in range(0, len(animation.plan), 5)
                              for line in animation.readout_lines(animation.moment(frame))):  # fmt: skip
            right = readout.column + len(line) * readout.advance + readout.PAD
            assert right <= animation.size - 4, (name, line)
            checked += 1
    assert checked > 1000


def test_one_run_converges_at_one_step_in_every_video_that_draws_it():
    page = committed("linear_sgd")[0]
    drawn_again = [committed(name)[0] for name in ("loss_landscape", "mse_residuals", "gradient_step")]
    drawn_again += [run_ for run_ in committed("lr_sweep") if run_.meta["run"]["lr"] == page.meta["run"]["lr"]]
    converged = [event.step for event in page.events if event.kind == "converged"]
    assert len(drawn_again) == 4 and converged
    for run_ in drawn_again:
        np.testing.assert_array_equal(run_.loss, page.loss)  # the same run ...
        assert [event.step for event in run_.events if event.kind == "converged"] == converged  # ... the same words
    largest = max(rect[3] for layout in LAYOUTS.values() for rect in layout.fit_rects(1))
    assert LAYOUTS["fit"].fit_rects(1)[0][3] == largest  # still there is still in every smaller panel


# -- nothing on screen hides or mislabels what it talks about -------------------------------------------------------


def event_labels(animation) -> list[tuple[tuple, tuple, np.ndarray | None]]:
    """(marker's point, label's box, leader's points or None) of each event on the loss panel, in display px, read
    from the artists the frame draws."""
    renderer, ax = animation.canvas.get_renderer(), animation.loss.lines[0].axes
    found = []
    for overlay in (overlay for overlay in animation.overlays if not overlay.by_frame):
        texts = [artist for artist in overlay.artists if hasattr(artist, "get_text")]
        if not texts or texts[0].axes is not ax:
            continue
        lines = [artist for artist in overlay.artists if not hasattr(artist, "get_text")]
        marker = next(line for line in lines if line.get_marker() == "D")
        point = tuple(marker.get_transform().transform(np.column_stack(marker.get_data()))[0])
        extent = texts[0].get_window_extent(renderer)
        leader = next((line for line in lines if line is not marker), None)
        if leader is not None:
            leader = placing.densify(*leader.get_transform().transform(np.column_stack(leader.get_data())).T)
        found.append((point, (extent.x0, extent.y0, extent.x1, extent.y1), leader))
    return found


def dashed_references(animation) -> list[float]:
    """The display y of each dashed line across the loss panel (the noise floor, the least-squares loss)."""
    ax = animation.loss.lines[0].axes
    return [ax.transData.transform((0, line.get_ydata()[0]))[1] for line in ax.lines
            if line.get_linestyle() not in ("-", "None") and not line.get_animated()]  # fmt: skip


def loss_lines(animation) -> list[np.ndarray]:
    """Each loss line as the last frame draws it (whole, clipped to the panel), in display px."""
    panel = animation.loss
    ax = panel.lines[0].axes
    return [placing.densify(*ax.transData.transform(np.column_stack([panel.steps, np.clip(loss, *ax.get_ylim())])).T)
            for loss in panel.losses]  # fmt: skip


def floor_label(animation):
    ax = animation.loss.lines[0].axes
    return next((text for text in ax.texts if text.get_text().startswith("noise floor ")), None)


def inside_box(points: np.ndarray, box, grow: float = 0.0) -> np.ndarray:
    left, bottom, right, top = box
    return ((points[:, 0] >= left - grow) & (points[:, 0] <= right + grow) & (points[:, 1] >= bottom - grow)
            & (points[:, 1] <= top + grow))  # fmt: skip


def test_each_event_label_sits_by_its_own_marker_and_its_leader_crosses_no_other(told):
    reach = 4.0  # px: a 5 pt diamond's half diagonal, and a little
    checked = 0
    for name, scene, runs, _ in told:
        animation = scene.with_overrides(size=512).animation(runs)
        labels = event_labels(animation)
        floor = floor_label(animation)
        renderer = animation.canvas.get_renderer()
        words = [box for _, box, _ in labels]
        if floor is not None:
            extent = floor.get_window_extent(renderer)
            words.append((extent.x0, extent.y0, extent.x1, extent.y1))
        for index, (point, box, leader) in enumerate(labels):
            others = [other for other, _, _ in labels if np.hypot(*np.subtract(other, point)) > 2 * reach]  # apart
            own = placing.distance(np.array(box), point)
            apart = leader is not None and all(placing.distance(np.array(box), other) > 12 for other in others)
            for other in others:  # by its own marker; or, where markers crowd, off by itself at the end of its leader
                assert own < placing.distance(np.array(box), other) or apart, (name, "nearer another marker", index)
                if leader is not None:
                    assert np.hypot(*(leader - other).T).min() > reach, (name, "leader through a marker", index)
            for other_index, other_box in enumerate(words):
                if other_index == index:
                    continue
                assert not placing.overlapping(np.array([box]), np.array(other_box))[0], (name, "labels overlap")
                if leader is not None:
                    assert not inside_box(leader, other_box).any(), (name, "leader through a label", index)
            for y in dashed_references(animation):
                assert not box[1] - 1 <= y <= box[3] + 1, (name, "a dashed line through a label", index)
            for line in loss_lines(animation):
                assert not inside_box(line, box).any(), (name, "a loss line through a label", index)
            checked += 1
    assert checked >= 20


def test_the_noise_floor_is_named_clear_of_its_own_dashed_line(told):
    named = 0
    for name, scene, runs, _ in told:
        animation = scene.with_overrides(size=512).animation(runs)
        label = floor_label(animation)
        if label is None:
            continue
        extent = label.get_window_extent(animation.canvas.get_renderer())
        (y,) = dashed_references(animation)
        assert not extent.y0 - 1 <= y <= extent.y1 + 1, (name, y, extent)
        panel = animation.loss.lines[0].axes.get_window_extent()
        assert panel.x0 <= extent.x0 and extent.x1 <= panel.x1 and panel.y0 <= extent.y0 and extent.y1 <= panel.y1
        named += 1
    assert named >= 3


def legend_box(legend, renderer) -> tuple:
    extent = legend.get_window_extent(renderer)
    return (extent.x0, extent.y0, extent.x1, extent.y1)


def drawn_on_fit(animation, moments) -> np.ndarray:
    """(N, 2) display px of every data point and every place a run's curve takes at these moments, worked out from the
    recorded runs (each run in its own panel, or all in one)."""
    fits = getattr(animation, "fits", None) or [animation.fit] * len(animation.runs)
    found = []
    for one, fit in zip(animation.runs, fits, strict=True):
        ax = fit.curve.axes
        low, high = ax.get_ylim()
        points = [np.column_stack([one.x, one.y])] + ([np.column_stack([one.test.x, one.test.y])] if one.test else [])
        found.append(ax.transData.transform(np.concatenate(points).astype(float)))
        for moment in moments:
            values = moment.blend(one, one.grid_pred.astype(float))
            inside = np.isfinite(values) & (values >= low) & (values <= high)
            xy = ax.transData.transform(np.column_stack([one.grid_x, np.where(inside, values, np.nan)]))
            found.append(placing.densify(*xy.T))
    points = np.concatenate(found)
    return points[np.isfinite(points).all(axis=1)]


FIT_KEYED = ("gd_vs_sgd", "least_squares", "many_solutions", "train_vs_test", "overfitting")  # keys in the fit panel


@pytest.mark.parametrize("name", FIT_KEYED)
def test_a_key_in_a_fit_panel_covers_no_data_point_and_no_curve_of_the_whole_video(name):
    animation = SCENES[name].animation(committed(name))
    renderer = animation.canvas.get_renderer()
    ax = animation.fit.curve.axes
    panel = ax.get_window_extent()
    last = animation.moments(int(animation.plan.frames_of(animation.steps)[0]), len(animation.plan) - 1)
    whole = animation.moments(0, len(animation.plan) - 1)
    keys = [(legend, whole) for legend in [*ax.get_children(), *animation.fig.legends]
            if isinstance(legend, Legend) and not legend.get_animated()]  # fmt: skip
    keys += [(artist, last) for overlay in animation.overlays for artist in overlay.artists
             if isinstance(artist, Legend) and artist.axes is ax]  # the final key, from the last step  # fmt: skip
    assert keys, name
    for legend, moments in keys:
        box = legend_box(legend, renderer)
        if not placing.overlapping(np.array([box]), np.array([panel.x0, panel.y0, panel.x1, panel.y1]))[0]:
            continue  # outside the panel: beside it, or in the status line's row
        covered = inside_box(drawn_on_fit(animation, moments), box, grow=2)
        assert not covered.any(), (name, [text.get_text() for text in legend.get_texts()], int(covered.sum()))


def test_the_status_line_fits_its_room_beside_the_keys_on_every_frame():
    for name in VIDEOS:
        animation = SCENES[name].animation(committed(name))
        renderer = animation.canvas.get_renderer()
        status = animation.status
        longest = max(len(animation.status_text(moment)) for moment in animation.moments(0, len(animation.plan) - 1))
        right = status.column + longest * status.advance
        assert right <= animation.size - 4, name
        top = animation.size - status.row  # the status line's cells, in display px (y up)
        for legend in animation.fig.legends:
            box = legend_box(legend, renderer)
            assert box[0] >= right + 2 or box[1] >= top, (name, right, box)


def axis_labels_and_keys_clear(animation, name: str) -> int:
    """Every panel's axis names lie on the frame, and no "diverged at step K" box covers a key; the count checked."""
    renderer = animation.canvas.get_renderer()
    animation.draw(animation.moment(len(animation.plan) - 1), len(animation.plan) - 1)
    checked = 0
    for ax in animation.fig.axes:
        for label in (ax.xaxis.label, ax.yaxis.label):
            if label.get_text():
                extent = label.get_window_extent(renderer)
                assert extent.x0 >= 0 and extent.y0 >= 0 and extent.x1 <= animation.size, (name, label.get_text())
                checked += 1
    keys = [legend for ax in animation.fig.axes for legend in ax.get_children() if isinstance(legend, Legend)]
    fits = getattr(animation, "fits", None) or [getattr(animation, "fit", None)]
    for fit in (fit for fit in fits if fit is not None and fit.diverged_at is not None):
        fit.diverged_label.update_bbox_position_size(renderer)
        box = legend_box(fit.diverged_label.get_bbox_patch(), renderer)  # its box, not only its words
        for legend in [*keys, *animation.fig.legends]:
            assert not placing.overlapping(np.array([box]), np.array(legend_box(legend, renderer)))[0], name
            checked += 1
    return checked


def test_axis_names_stay_on_the_frame_and_a_divergence_covers_no_key(told):
    checked = sum(axis_labels_and_keys_clear(scene.animation(runs), name) for name, scene, runs, _ in told)
    scene = SCENES["train_vs_test"].with_overrides(lr=0.06)  # its loss climbs to 1e15: long tick labels
    checked += axis_labels_and_keys_clear(scene.animation(record_scene(scene)), "train_vs_test --lr 0.06")
    assert checked > 60

"""What the videos say: events found in the recorded numbers, authors' notes, captions, and pacing by change."""

import json
import re

import numpy as np
import pytest
from conftest import ROOT, SCENES, decode, run
from hypothesis import given, settings
from hypothesis import strategies as st

from tp1viz import events, pacing
from tp1viz.captions import told_of
from tp1viz.compare import static_share
from tp1viz.scenes import load_catalog
from tp1viz.trajectory import load_runs

MEDIA = ROOT / "media"
UPPER_PANEL = (0.08, 0.62)  # the fit panel's rows, as fractions of the frame's height
CUE = re.compile(r"(\d+)\n(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d)\.(\d{3})\n(.+)")


def cues(path) -> list[tuple[float, float, str]]:
    """A WebVTT file's cues as (start, end, text), checking its header and that each block is well formed."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("WEBVTT\n\n"), text[:20]
    said = []
    for block in text[len("WEBVTT\n\n") :].strip().split("\n\n"):
        match = CUE.fullmatch(block)
        assert match, block
        numbers = [int(group) for group in match.groups()[1:7]]
        start = numbers[0] * 60 + numbers[1] + numbers[2] / 1000
        end = numbers[3] * 60 + numbers[4] + numbers[5] / 1000
        assert start < end, block
        said.append((start, end, match[8]))
    return said


def video_seconds(path) -> float:
    """The length of a committed video, from its manifest entry (whose frame count `--check` holds true)."""
    entry = json.loads((MEDIA / "manifest.json").read_text())["outputs"][path.relative_to(MEDIA).as_posix()]
    return entry["frames"] / entry["fps"]


# -- the rules, on losses made to show them ------------------------------------------------------------------------


def test_a_noisy_minibatch_loss_converges_where_its_noise_band_begins():
    rng = np.random.default_rng(0)
    steps = np.arange(401)
    loss = 2.0 + 40 * np.exp(-steps / 10) + rng.normal(0, 0.3, steps.size)  # settles near step 60, then jitters
    (event,) = events.converged_event(loss)
    assert 40 <= event.step <= 75, event
    tail = loss[-40:]
    band = max(0.01 * (loss[0] - np.median(tail)), 3 * tail.std())
    smooth = np.array([np.median(loss[max(0, k - 2) : k + 3]) for k in range(len(loss))])  # a running median of 5
    assert np.all(np.abs(smooth[event.step :] - np.median(tail)) <= band)  # from its step on, it stays
    assert abs(smooth[event.step - 1] - np.median(tail)) > band  # and not a step earlier
    assert np.mean(np.abs(loss[event.step :] - np.median(tail)) > band) < 0.05  # a stray batch, now and then
    assert not events.spike_events(loss, len(loss))  # jitter on a flat tail is no spike


def test_a_loss_still_falling_at_the_end_has_not_converged():
    loss = 10 * np.exp(-np.arange(201) / 150)
    assert events.still_falling(loss)
    assert events.settled_step(loss) == 0


def test_a_jump_that_comes_back_is_a_spike_and_one_that_stays_is_a_divergence():
    fall = np.exp(-np.arange(60) / 8)
    spiked = fall.copy()
    spiked[30:34] = [0.2, 0.5, 0.3, 0.1]  # up from 0.024, back down
    (spike,) = events.spike_events(spiked, len(spiked))
    assert spike.step == 30 and "peaks at 0.5 at step 31, 18.8 times as high" in spike.detail, spike.detail
    assert events.diverged_step(spiked) is None
    blown = np.concatenate([fall[:20], 3.0 ** np.arange(1, 41)])  # past 10x its start from step 22 on
    assert events.diverged_step(blown) == 22
    overflowed = np.concatenate([fall[:20], [5.0, np.inf, np.nan]])
    assert events.diverged_step(overflowed) == 21


# -- the course's videos -------------------------------------------------------------------------------------------


def test_every_committed_video_has_captions_that_tell_its_events():
    manifest = json.loads((MEDIA / "manifest.json").read_text())["outputs"]
    videos = [scene for scene in SCENES.values() if scene.kind == "video"]
    assert len(videos) >= 7
    for scene in videos:
        said = cues(MEDIA / "videos" / f"{scene.name}.vtt")
        length = video_seconds(MEDIA / "videos" / f"{scene.name}.mp4")
        assert said[0][0] == 0 and said[0][2].startswith(f"{scene.heading}. Step 0:"), said[0]
        assert said[-1][2].startswith(f"Step {scene.steps}, the end: ") and said[-1][1] == pytest.approx(length, 1e-3)
        runs = load_runs(MEDIA / "trajectories" / f"{scene.name}.npz")
        recorded = [{"run": e.run, "kind": e.kind, "step": e.step, "text": e.text} for r in runs for e in r.events]
        assert manifest[f"videos/{scene.name}.mp4"]["events"] == recorded
        for event in (e for r in runs for e in r.events):
            assert any(text == told_of(event, runs) for _, _, text in said), (scene.name, event)
        for step, text in scene.notes:
            assert any(text_ == f"Note at step {step}: {text}" for _, _, text_ in said), (scene.name, step)
        transcript = (MEDIA / "videos" / f"{scene.name}.txt").read_text(encoding="utf-8-sig").splitlines()
        assert transcript[0] == f"{scene.name}: {scene.heading}" and len(transcript) == 2 + len(said)
        assert [line.split("] ", 1)[1] for line in transcript[2:]] == [text for _, _, text in said]


@pytest.mark.parametrize(
    "scene, kind, step",
    [("linear_sgd", "converged", 14), ("pow_fn_w_non_linear_model", "spike", 33), ("lr_sweep", "diverged", 7)],
)
def test_the_course_videos_name_what_the_page_asks_about(scene, kind, step):
    said = [text for _, _, text in cues(MEDIA / "videos" / f"{scene}.vtt")]
    assert any(re.match(rf"Step {step}(, [^:]+)?: {kind}; ", text) for text in said), said
    runs = load_runs(MEDIA / "trajectories" / f"{scene}.npz")
    (found,) = [e for r in runs for e in r.events if e.kind == kind]
    assert found.step == step
    if scene == "lr_sweep":  # of four runs, the one that diverged is named
        assert "Step 7, above the limit: diverged; the loss passed 10 times its start." in said
    if kind == "converged":  # the page: "converges very fast"; by step 14 the loss is within 1% of its whole fall
        loss = runs[0].loss
        assert abs(loss[step] - loss[-1]) < 0.01 * (loss[0] - loss[-1])
        assert abs(loss[step - 3] - loss[-1]) > 0.01 * (loss[0] - loss[-1])


def test_seed_1_kills_units_and_its_captions_say_so(tmp_path):
    result = run("render", "pow_fn_w_non_linear_model", "--seed", 1, "--size", 128, "--out", tmp_path, "-q")
    assert result.exit_code == 0, result.output
    (run_,) = load_runs(tmp_path / "trajectories" / "pow_fn_w_non_linear_model.npz")
    assert run_.loss[-1] == pytest.approx(0.093, abs=0.002)  # the flat line the page's net can end as
    # Dead, computed here from the final weights: a unit whose ReLU is zero at every data point.
    w, b = run_.units.w[-1], run_.units.b[-1]
    dead = (np.maximum(np.outer(run_.x, w) + b, 0) == 0).all(axis=0)
    (event,) = [e for e in run_.events if e.kind == "dead units"]
    assert event.text == f"{dead.sum()} dead units · step {event.step}" and dead.sum() >= 5
    said = [text for _, _, text in cues(tmp_path / "videos" / "pow_fn_w_non_linear_model.vtt")]
    assert any(text.startswith(f"Step {event.step}: {dead.sum()} of 10 hidden units dead;") for text in said), said
    assert "dead" in event.text


# -- notes ---------------------------------------------------------------------------------------------------------

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
        ("{ step = 3 }", "key 'notes'[1]: a note is { step = N, text = \"...\" }"),
        ('{ step = 3, text = "a", at = 2 }', "key 'notes'[1]: a note is { step = N, text = \"...\" }"),
        ('{ step = 3.5, text = "a" }', "key 'notes'[1].step"),
        ('{ step = 3, text = "' + "x" * 121 + '" }', "key 'notes'[1].text"),
    ],
)
def test_a_bad_note_is_one_line_naming_the_scene(tmp_path, note, message):
    path = tmp_path / "noted.toml"
    path.write_text(NOTED.replace("NOTE", note))
    result = run("render", "noted", "--scenes", path, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {path}: scene 'noted': ") and message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and not (tmp_path / "out").exists()


def test_a_note_shows_from_its_step_for_three_seconds_and_one_past_a_shortened_run_is_dropped(tmp_path):
    path = tmp_path / "noted.toml"
    first = '{ step = 5, text = "the slope turns first: watch the line swing round to follow the cloud of data" }'
    later = '{ step = 20, text = "the bias creeps" }, { step = 140, text = "nearly" }'
    path.write_text(
        NOTED.replace("steps = 40", "steps = 150")
        .replace("NOTE", later)
        .replace('{ step = 5, text = "the slope turns" }', first)
    )
    assert run("render", "noted", "--scenes", path, "--out", tmp_path / "full", "-q").exit_code == 0
    said = cues(tmp_path / "full" / "videos" / "noted.vtt")
    (at,) = [start for start, _, text in said if text.startswith("Note at step 5: the slope turns first")]
    assert at == pytest.approx(5 / 30, abs=1e-3)  # pace steps at 30 fps: step 5 is frame 5
    frames, _ = decode(tmp_path / "full" / "videos" / "noted.mp4")
    cream = (np.abs(frames.astype(int) - [255, 251, 230]).sum(axis=-1) < 12).sum(axis=(1, 2))  # the note's box
    assert np.flatnonzero(cream[:140] > 20).tolist() == list(range(5, 20 + 90))  # from its step, for 3 s ...
    big, small = np.median(cream[5:20]), np.median(cream[20:110])  # the first note's box, the second's
    assert small < 0.7 * big and cream[20:110].max() < 1.3 * small  # the first leaves when the second comes
    assert run("render", "noted", "--scenes", path, "--steps", 100, "--out", tmp_path / "short", "-q").exit_code == 0
    short = [text for _, _, text in cues(tmp_path / "short" / "videos" / "noted.vtt")]
    assert not any("nearly" in text for text in short)


# -- pacing --------------------------------------------------------------------------------------------------------


def test_pacing_by_change_leaves_few_static_frames(tmp_path):
    out = {}
    for pace in ("change", "steps"):  # one folder: the second draws the first's recorded runs
        result = run("render", "linear_sgd", "--pace", pace, "--size", 128, "--out", tmp_path, "-q")
        assert result.exit_code == 0, result.output
        frames, _ = decode(tmp_path / "videos" / "linear_sgd.mp4")
        out[pace] = static_share(frames, SCENES["linear_sgd"].hold_frames, *UPPER_PANEL)
    assert out["change"] <= 0.35, out
    assert out["steps"] >= 0.6, out  # the measure tells: a frame a step is mostly static


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
    plan = pacing.plan("change", steps, fps, seconds, change, min(settled, steps), marks)
    frames = pacing.budget(steps, fps, seconds)
    assert len(plan) <= frames
    assert np.all(np.diff(plan.shown) >= 0)  # the step never goes backwards
    assert np.all((plan.t > 0) & (plan.t <= 1)) and np.all(plan.start <= plan.end)
    assert plan.shown[0] == 0 and plan.shown[-1] == steps and plan.t[-1] == 1  # the real start and end
    exact = set(plan.end[plan.t >= 1])
    if min(settled, steps) + 1 <= frames and len(pacing.shown_steps(change, settled)) <= frames:
        assert set(range(min(settled, steps) + 1)) <= exact  # every step before convergence, exactly
    assert {mark for mark in marks if mark <= steps} <= exact or len(marks) > frames // 2  # every event's step
    for step in range(steps + 1):  # the frame for a step shows it, or the last step before it shown
        assert plan.shown[plan.frame_of(step)] <= step


def test_a_long_run_is_bounded_by_max_seconds(tmp_path, monkeypatch):
    from tp1viz import recorder

    monkeypatch.setattr(recorder, "SPARSE_FROM", 500)  # the long-run path at a sixth of its steps (and time)
    result = run("render", "linear_sgd", "--steps", 3000, "--max-seconds", 2, "--size", 128, "--out", tmp_path, "-q")
    assert result.exit_code == 0, result.output
    frames, meta = decode(tmp_path / "videos" / "linear_sgd.mp4")
    assert len(frames) == 2 * 30 + SCENES["linear_sgd"].hold_frames
    (run_,) = load_runs(tmp_path / "trajectories" / "linear_sgd.npz")
    assert len(run_.loss) == 3001 and len(run_.kept) <= 2 * 30 + 2  # the loss at every step; snapshots only shown
    assert run_.kept[0] == 0 and run_.kept[-1] == 3000
    said = cues(tmp_path / "videos" / "linear_sgd.vtt")
    assert said[-1][2].startswith("Step 3000, the end: ")
    assert set(range(15)) <= set(run_.kept)  # every step to convergence (14) kept exactly


def test_caption_text_is_escaped_and_long_videos_count_hours():
    from tp1viz.captions import Cue, timestamp, webvtt

    text = webvtt([Cue(0, 1, 'a --> b & <i>c</i> x<y "q"'), Cue(3599.5, 3661.25, "late")])
    assert 'a --&gt; b &amp; &lt;i&gt;c&lt;/i&gt; x&lt;y "q"' in text and text.count("-->") == 2
    assert "59:59.500 --> 01:01:01.250" in text
    assert [timestamp(s) for s in (0, 59.9994, 3600)] == ["00:00.000", "00:59.999", "01:00:00.000"]


def test_a_note_in_a_fast_stretch_gets_its_own_frame_and_its_time(tmp_path):
    path = tmp_path / "noted.toml"
    fast = '{ step = 100, text = "still creeping" }, { step = 150, text = "and still" }'
    path.write_text(NOTED.replace("steps = 40", 'steps = 200\npace = "change"\nmax_seconds = 3').replace("NOTE", fast))
    assert run("render", "noted", "--scenes", path, "--out", tmp_path / "out", "-q").exit_code == 0
    scene = load_catalog([path])["noted"]
    (run_,) = load_runs(tmp_path / "out" / "trajectories" / "noted.npz")
    plan = scene.plan([run_])
    exact = set(plan.end[plan.t >= 1].tolist())
    assert {5, 100, 150} <= exact  # each note's step is a frame of its own, though the picture barely moves
    said = {text: start for start, _, text in cues(tmp_path / "out" / "videos" / "noted.vtt")}
    for step in (100, 150):
        start = next(at for text, at in said.items() if text.startswith(f"Note at step {step}:"))
        assert start == pytest.approx(plan.frame_of(step) / 30, abs=1e-3) and plan.shown[plan.frame_of(step)] == step


def test_a_capped_video_a_frame_a_step_still_shows_its_events_steps():
    runs = load_runs(MEDIA / "trajectories" / "linear_sgd.npz")
    scene = SCENES["linear_sgd"].with_overrides(pace="steps")  # 201 steps in its 3 s: 90 frames
    plan = scene.plan(runs)
    assert len(plan) <= 90 and 14 in plan.shown.tolist() and 20 in plan.shown.tolist()  # converged; a note


def test_two_notes_at_one_step_are_refused(tmp_path):
    path = tmp_path / "noted.toml"
    path.write_text(NOTED.replace("NOTE", '{ step = 5, text = "again" }'))
    result = run("render", "noted", "--scenes", path, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "key 'notes'[1].step: 5 has a note already; one note a step (they share a corner)" in result.stderr

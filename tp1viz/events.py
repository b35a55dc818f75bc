"""What happens in a run, read from its recorded numbers: each event's rule, defined once, here.

Every word a video says of a run (its labels, captions, notes anchored to an event, the manifest's
`diverged_at`, the command line's warning) comes from these events, so they all agree. The rules, and why, are
in docs/pages/videos.md.
"""

import numpy as np

from .layouts import LAYOUTS, OFF_CHART, Scale, scales
from .trajectory import EVENT_KINDS, Event, Trajectory
from .words import sig

TAIL = 0.1  # the last tenth of a run tells where its loss settled
CLOSE_SHARE = 0.01  # "close to the final loss": within 1% of the whole fall ...
CLOSE_NOISE = 3.0  # ... or within 3 standard deviations of the tail, which a minibatch run needs
STILL_PX = 0.75  # converged: from here the drawn model strays less than this from where it is (px at 512 px)
SPIKE_RATIO = 2.0  # a spike: the loss at least doubles its lowest value so far ...
SPIKE_SHARE = 0.05  # ... and rises by at least 5% of the whole fall (not jitter on a flat tail)
DIVERGED_RATIO = OFF_CHART  # diverged: the loss overflowed, or climbed past 10 times its start and stayed there
REVERSED = -0.5  # oscillating: the curve's move points back against the one before (their cosine is below this) ...
VISIBLE_SWING = 0.5  # ... both moving it this far somewhere (px at 512 px), which a blend across would show ...
REVERSALS = 3  # ... this many times in a row
POOR_BEST = 1.5  # a poor fit: the final loss above 1.5 times the best its model class can do on the data ...
POOR_FLOOR = 3.0  # ... or above 3 times the data's noise floor (the variance of the noise it was drawn with)
FEW_BENDS = 2  # a ReLU net with this many units left alive or fewer is told it can bend only that often
OVERFIT_RISE = 0.1  # early stopping: the test loss ends at least 10% above its lowest, so stopping there matters
KINDS = EVENT_KINDS


def detect(run: Trajectory, scale: Scale | None = None, index: int = 0) -> tuple[Event, ...]:
    """The run's events, in step order. Swings and convergence are measured in pixels of `scale`; the course's
    is the run's own (its_scale), so every video of one run names the same steps."""
    scale = scale or its_scale(run)
    loss = np.asarray(run.loss, np.float64)
    diverged = diverged_step(loss)
    if diverged is not None:  # a diverging run's jumps and swings are its divergence, told once
        events = [diverged_event(loss, diverged)]
    else:
        events = oscillating_events(run, scale) + spike_events(loss)
        converged = converged_step(run, scale)
        if converged is not None:
            events.append(converged_event(loss, converged))
        settled = settled_loss_step(loss)
        if settled is not None:  # a loss still falling is on its way, not a poor fit (its panel says it still moves)
            events += poor_fit_events(run, converged if converged is not None else settled)
    if run.units is not None and len(run.units.w):
        events += dead_unit_events(run)
    if run.test is not None and diverged is None:  # a diverging run's test loss rises too: not from noise fitted
        events += early_stopping_events(run.test.loss)
    told = (Event(e.kind, e.step, e.text, e.detail, index, e.said) for e in events)
    return tuple(sorted(told, key=lambda e: (e.step, KINDS.index(e.kind))))


def its_scale(run: Trajectory) -> Scale:
    """The run alone in the fit layout, the largest fit panel of any layout: a model it shows still is still in
    every video of the run, and the same run (linear_sgd's, drawn by five scenes) converges at one step in all."""
    return scales("fit", [run])[0]


def detect_scene(runs: list, layout: str) -> list:
    """Every run of a scene with the events its layout tells, each measured on the run's own scale."""
    import dataclasses

    tells = LAYOUTS[layout].tells
    return [dataclasses.replace(run, events=tuple(event for event in detect(run, index=index)
                                                  if tells is None or event.kind in tells))
            for index, run in enumerate(runs)]  # fmt: skip


def first(runs: list, kind: str) -> Event | None:
    """The earliest event of this kind in any of the runs."""
    found = [event for run in runs for event in run.events if event.kind == kind]
    return min(found, key=lambda event: event.step) if found else None


def diverged_at(runs: list) -> int | None:
    """The step at which a run of these diverged (the earliest), or None: the one answer for every word of it."""
    event = first(runs, "diverged")
    return None if event is None else event.step


def outcome(run: Trajectory) -> str:
    """The run's end in a word, from its last say: diverged, oscillating, converged; else still moving (noisy, for a
    minibatch run)."""
    said = [event for event in run.events if event.kind in ("diverged", "oscillating", "converged")]
    if said:
        return max(said, key=lambda event: event.step).kind
    return "noisy" if run.meta.get("run", {}).get("batch_size") else "still moving"


# ---- divergence -------------------------------------------------------------------------------------


def diverged_step(loss: np.ndarray) -> int | None:
    """The step from which the loss stays above DIVERGED_RATIO times its start (or not finite) to the end; a
    jump that comes back down is a spike, not a divergence."""
    bad = ~np.isfinite(loss) | (loss > DIVERGED_RATIO * loss[0])
    if not bad[-1]:
        overflowed = np.flatnonzero(~np.isfinite(loss))  # overflowed, NaN: it cannot come back
        return int(overflowed[0]) if overflowed.size else None
    good = np.flatnonzero(~bad)
    return int(good[-1]) + 1 if good.size else 0


def diverged_event(loss: np.ndarray, step: int) -> Event:
    how = "overflowed" if not np.isfinite(loss[step]) else f"passed {DIVERGED_RATIO:g} times its start"
    return Event(
        "diverged",
        step,
        f"diverged · step {step}",
        f"Step {step}: diverged; the loss {how} and never "
        "came back: each update overshot further than the last.",  # fmt: skip
        said="The loss explodes: each step overshoots further than the last.",
    )


# ---- convergence: where the viewer sees the model stop --------------------------------------------------


def stray(rows: np.ndarray) -> np.ndarray:
    """(snapshots,) how far (in the rows' units) the drawn thing gets from where it is at each snapshot, at
    any later one: rows (snapshots, points)."""
    later_high = np.maximum.accumulate(rows[::-1], axis=0)[::-1]
    later_low = np.minimum.accumulate(rows[::-1], axis=0)[::-1]
    return np.max(np.maximum(later_high - rows, rows - later_low), axis=1)


def still_from(run: Trajectory, scale: Scale) -> np.ndarray:
    """(snapshots,) in px at the design size, how far the model's curve (and its point on a landscape) strays
    from each snapshot later on. A curve beyond the panel is not seen to move; a long run that kept only some
    snapshots is bounded by how far its curve moved at each step since."""
    if run.snapshot_steps is not None:
        moved = np.nan_to_num(np.asarray(run.change, np.float64), nan=np.inf) * scale.fit
        after = np.cumsum(moved[::-1])[::-1] - moved  # (steps+1,) all movement after each step
        return after[run.kept]
    low, high = scale.ylim
    seen = [stray(np.clip(run.grid_pred.astype(np.float64), low, high)) * scale.fit]
    if scale.landscape is not None:
        path = np.column_stack([run.landscape.path_u * scale.landscape[0], run.landscape.path_v * scale.landscape[1]])
        seen.append(stray(np.nan_to_num(path.astype(np.float64), nan=np.inf)))
    return np.max(seen, axis=0)


def settled_loss_step(loss: np.ndarray) -> int | None:
    """The step from which the loss stays close to where it settled (None if it still falls in its last tenth)."""
    window = max(1, int(TAIL * len(loss)))
    recent = loss[-2 * window : -window].mean() - loss[-window:].mean()
    if recent > CLOSE_SHARE * max(loss[0] - loss.min(), 1e-300):
        return None
    tail = loss[-max(2, int(TAIL * len(loss))) :]
    final = float(np.median(tail))
    if loss[0] - final <= 0:
        return None
    band = max(CLOSE_SHARE * (loss[0] - final), CLOSE_NOISE * float(np.std(tail)))
    outside = np.flatnonzero(np.abs(running_median(loss) - final) > band)
    return int(outside[-1]) + 1 if outside.size else 0


def converged_step(run: Trajectory, scale: Scale) -> int | None:
    """The first step from which the drawn model moves less than STILL_PX for the rest of the run and the loss
    stays settled; None if that comes only in the run's last tenth (nothing is left to show it still)."""
    loss = np.asarray(run.loss, np.float64)
    settled = settled_loss_step(loss)
    if settled is None:
        return None
    kept = run.kept
    still = np.flatnonzero((still_from(run, scale) <= STILL_PX) & (kept >= settled))
    if not still.size or kept[still[0]] > (1 - TAIL) * (len(loss) - 1):
        return None
    return int(kept[still[0]])


def converged_event(loss: np.ndarray, step: int) -> Event:
    final = float(np.median(loss[step:]))
    return Event("converged", step, f"converged · step {step}",
                 f"Step {step}: converged; from here the drawn model moves less than {STILL_PX:g} px, and the loss "
                 f"stays near {final:.4g}.",
                 said=f"The model has stopped moving: loss {sig(final)}.")  # fmt: skip


def running_median(loss: np.ndarray) -> np.ndarray:
    """The loss through a centred running median of a few steps (a hundredth of the run, 3 to 25): one noisy
    batch out of hundreds passes 3 standard deviations, and must not push convergence to the end of the run."""
    window = min(25, max(3, len(loss) // 100 | 1))
    if len(loss) < window:
        return loss
    padded = np.pad(loss, window // 2, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, window), axis=1)


# ---- what goes wrong --------------------------------------------------------------------------------------


def reversing(run: Trajectory, scale: Scale) -> np.ndarray:
    """(steps+1,) whether the curve's move into each step swings back against its move into the step before
    (their directions more than 120° apart), both moves big enough to see (VISIBLE_SWING px): a viewer sees the
    model swing. Only for a run that kept every snapshot."""
    flags = np.zeros(len(run.loss), bool)
    if run.snapshot_steps is not None or len(run.loss) < 3:
        return flags
    low, high = scale.ylim
    moves = np.diff(np.clip(np.asarray(run.grid_pred, np.float64), low, high), axis=0) * scale.fit  # (steps, g) px
    if not np.isfinite(moves).all():
        moves = np.nan_to_num(moves)
    sizes = np.linalg.norm(moves, axis=1)
    cosine = np.einsum("ij,ij->i", moves[1:], moves[:-1]) / np.maximum(sizes[1:] * sizes[:-1], 1e-300)
    seen = np.abs(moves).max(axis=1)
    flags[2:] = (cosine < REVERSED) & (np.minimum(seen[1:], seen[:-1]) >= VISIBLE_SWING)
    return flags


def oscillating_events(run: Trajectory, scale: Scale) -> list[Event]:
    """The first step of REVERSALS swings in a row, each back against the last: the steps overshoot. A minibatch
    run's curve swings by chance (each batch pulls its own way); that is noise, not this."""
    if run.meta.get("run", {}).get("batch_size"):
        return []
    flags = reversing(run, scale)
    in_a_row = np.convolve(flags, np.ones(REVERSALS, int), mode="full")[: len(flags)]
    found = np.flatnonzero(in_a_row >= REVERSALS)
    if not found.size:
        return []
    step = int(found[0]) - REVERSALS + 1
    count = int(flags.sum())
    return [Event("oscillating", step, f"oscillating · step {step}",
                  f"Step {step}: oscillating; from here the model swings back and forth ({count} of its "
                  f"{len(flags) - 1} moves reverse the one before): each step overshoots the lowest loss.",
                  said="Each step overshoots: the model swings past the best fit.")]  # fmt: skip


def spike_events(loss: np.ndarray) -> list[Event]:
    """Each stretch where the loss jumps well above its lowest value so far, at the stretch's first step."""
    until = len(loss)
    lowest = np.minimum.accumulate(loss)
    fall = max(loss[0] - float(np.min(loss)), 1e-300)
    before, now = lowest[:-1], loss[1:]
    jump = np.zeros(until, bool)
    jump[1:] = (now >= SPIKE_RATIO * before) & (now - before >= SPIKE_SHARE * fall)
    events, step = [], 1
    while step < until:
        if not jump[step]:
            step += 1
            continue
        end = step + int(np.argmin(jump[step:])) if not jump[step:].all() else until  # the stretch is step..end-1
        peak = step + int(np.argmax(loss[step:end]))
        before = lowest[step - 1]
        peaks = f"{loss[peak]:.4g}" if peak == step else f"{loss[peak]:.4g} at step {peak}"
        times = loss[peak] / before
        events.append(Event("spike", step, f"spike · step {step}",
                            f"Step {step}: spike; the loss jumps from its lowest so far, {before:.4g}, and peaks "
                            f"at {peaks}, {times:.1f} times as high.",
                            said=f"The loss jumps to {sig(times)} times its lowest."))  # fmt: skip
        step = end
    return events


def least_squares_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(w, b) of the straight line with the lowest MSE on these points, in closed form: what a linear net trained
    long enough with MSE settles on."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    w, b = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)[0]
    return float(w), float(b)


def least_squares_loss(x: np.ndarray, y: np.ndarray) -> float:
    """The lowest MSE any straight line reaches on these points: the best a linear net can do."""
    w, b = least_squares_line(x, y)
    return float(np.mean((w * np.asarray(x, np.float64) + b - np.asarray(y, np.float64)) ** 2))


def is_linear_net(run: Trajectory) -> bool:
    """A Linear(1, 1) net: a weight and a bias, no hidden layer."""
    return run.units is None and run.params.ndim == 2 and run.params.shape[1] == 2


def poor_fit_events(run: Trajectory, step: int) -> list[Event]:
    """A settled loss well above the best the model class can do here (a line: least squares), or well above the
    noise the data were drawn with; told at `step` (where the run settled), saying which."""
    final = float(np.median(run.loss[-max(1, int(TAIL * len(run.loss))) :]))
    floor = run.meta.get("run", {}).get("noise_floor")
    best = least_squares_loss(run.x, run.y) if is_linear_net(run) else None
    if best is not None and final > POOR_BEST * max(best, 1e-9 * float(np.var(run.y)) or 1e-300):
        times = final / best
        return [Event("poor fit", step, f"poor fit · {sig(times)}× the best line",
                      f"Step {step}: a poor fit; the loss, {final:.4g}, is {times:.1f} times the lowest a straight "
                      f"line reaches on these points ({best:.4g}).",
                      said=f"A poor fit: {sig(times)} times the best line's loss ({sig(best)}).")]  # fmt: skip
    if floor and final > POOR_FLOOR * floor:
        times = final / floor
        verdict = "poor fit"
        if best is not None:  # the best line, and still far above the noise: the data are not a line
            said, verdict = f"A line cannot bend: {sig(times)} times the noise ({sig(floor)}).", "a line cannot bend"
        else:
            said = f"A poor fit: {sig(times)} times the data's noise ({sig(floor)})."
        return [Event("poor fit", step, f"{verdict} · {sig(times)}× the noise",
                      f"Step {step}: a poor fit; the loss, {final:.4g}, is {times:.1f} times the variance of the "
                      f"noise the data were drawn with ({floor:.4g}), the lowest a model could expect to reach.",
                      said=said)]  # fmt: skip
    return []


def dead_unit_events(run: Trajectory) -> list[Event]:
    """The hidden units dead at the end (zero for every input), from the step since which all of them are; a net
    left with none is a constant, one left with a few can bend only that often."""
    dead = run.units.dead(run.x)  # (snapshots, h)
    final = dead[-1]
    count, units = int(final.sum()), dead.shape[1]
    if count == 0:
        return []
    alive_before = np.flatnonzero(~dead[:, final].all(axis=1))
    row = int(alive_before[-1]) + 1 if alive_before.size else 0
    step = int(run.kept[row])
    alive, one = units - count, count == 1
    from_start = int((dead[0] & final).sum())  # dead before the first step: they never died in training
    what = "units" if not one else "unit"
    since = "" if not from_start else (" from the start" if from_start == count else f" ({from_start} from the start)")
    verb = "it outputs" if one else "they output"
    detail = (f"Step {step}: {count} of {units} hidden {what} dead{since}; from here {verb}"
              f" zero for every input, so no gradient reaches {'it' if one else 'them'} and "
              f"{'it stops' if one else 'they stop'} learning.")  # fmt: skip
    if alive == 0:
        return [Event("dead units", step, f"all {units} units dead · step {step}",
                      detail + " With no unit alive, the net is a constant: a flat line.",
                      said=f"Every unit is dead{since}: the net is a flat line." if from_start
                      else "Every unit has died: the net is now a flat line.")]  # fmt: skip
    dead_words = f"{count} of {units} units {'dead' + since if from_start else 'died'}"  # died: in training
    if alive <= FEW_BENDS:
        bends = "once" if alive == 1 else f"{alive} times"
        return [Event("dead units", step, f"{count} dead units · step {step}",
                      detail + f" The {alive} left can bend the curve at most {bends}.",
                      said=f"{dead_words}: it can bend only {bends}.")]  # fmt: skip
    return [Event("dead units", step, f"{count} dead {what} · step {step}", detail,
                  said=f"{dead_words}." if from_start else f"{dead_words}: zero for every input.")]  # fmt: skip


def early_stopping_events(test_loss: np.ndarray) -> list[Event]:
    """The step with the lowest loss on the held-out points, when the test loss rises well above it later:
    where training should have stopped, before the model went on to fit the training points' noise."""
    test_loss = np.asarray(test_loss, np.float64)
    if not np.isfinite(test_loss).all():
        return []
    step = int(np.argmin(test_loss))
    lowest, final = float(test_loss[step]), float(test_loss[-1])
    if step == len(test_loss) - 1 or final < (1 + OVERFIT_RISE) * lowest:
        return []
    rise = 100 * (final / lowest - 1)
    return [Event("early stopping", step, f"early stopping · step {step}",
                  f"Step {step}: early stopping; the test loss is lowest here, {lowest:.4g}. Trained on, the model "
                  f"fits the training points' noise, and the test loss ends at {final:.4g}, {rise:.0f}% higher.",
                  said="The test loss is lowest here: stop now.")]  # fmt: skip

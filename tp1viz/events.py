"""What happens in a run, read from its recorded numbers alone: convergence, spikes, divergence, dead units.

Each rule is stated in the README ("What the videos say"); the thresholds are here, with why.
"""

import numpy as np

from .trajectory import Event, Trajectory

TAIL = 0.1  # the last tenth of a run tells where its loss settled
CLOSE_SHARE = 0.01  # "close to the final loss": within 1% of the whole fall ...
CLOSE_NOISE = 3.0  # ... or within 3 standard deviations of the tail, which a minibatch run needs
SPIKE_RATIO = 2.0  # a spike: the loss at least doubles its lowest value so far ...
SPIKE_SHARE = 0.05  # ... and rises by at least 5% of the whole fall (not jitter on a flat tail)
DIVERGED_RATIO = 10.0  # diverged: the loss overflowed, or climbed past 10 times its start
OVERFIT_RISE = 0.1  # early stopping: the test loss ends at least 10% above its lowest, so stopping there matters


def detect(run: Trajectory, index: int = 0) -> tuple[Event, ...]:
    """The run's events, in step order; `index` says which run of a scene it is."""
    loss = np.asarray(run.loss, np.float64)
    diverged = diverged_step(loss)
    events = [] if diverged is None else [diverged_event(loss, diverged)]
    if diverged is None and not still_falling(loss):
        events += converged_event(loss)
    if diverged is None:  # a diverging run's jumps are its divergence, told once
        events += spike_events(loss, until=len(loss))
    if run.units is not None and len(run.units.w):
        events += dead_unit_events(run)
    if run.test is not None:
        events += early_stopping_events(run.test.loss)
    return tuple(sorted((Event(e.kind, e.step, e.text, e.detail, index) for e in events), key=lambda e: e.step))


def still_falling(loss: np.ndarray) -> bool:
    """Whether the loss falls, over its last tenth, by more than 1% of its whole fall: not settled yet."""
    window = max(1, int(TAIL * len(loss)))
    recent = loss[-2 * window : -window].mean() - loss[-window:].mean()
    return bool(recent > CLOSE_SHARE * max(loss[0] - loss.min(), 1e-300))


def settled_step(loss: np.ndarray) -> int:
    """Up to where every step of the run must be shown: where it diverges or converges; 0 if it does neither
    (a run still creeping at the end has no convergence to show, only its moves)."""
    loss = np.asarray(loss, np.float64)
    diverged = diverged_step(loss)
    if diverged is not None:
        return diverged
    converged = [] if still_falling(loss) else converged_event(loss)
    return converged[0].step if converged else 0


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
    return Event("diverged", step, f"diverged · step {step}", f"Step {step}: diverged; the loss {how}.")


def converged_event(loss: np.ndarray) -> list[Event]:
    """The step from which the loss stays close to where it settled, if it fell and settled before the end."""
    tail = loss[-max(2, int(TAIL * len(loss))) :]
    final = float(np.median(tail))
    fall = loss[0] - final
    if fall <= 0:
        return []
    band = max(CLOSE_SHARE * fall, CLOSE_NOISE * float(np.std(tail)))
    outside = np.flatnonzero(np.abs(running_median(loss) - final) > band)
    step = int(outside[-1]) + 1 if outside.size else 0
    if step > (1 - TAIL) * (len(loss) - 1):
        return []  # still moving in the last tenth: not settled
    return [Event("converged", step, f"converged · step {step}",
                  f"Step {step}: converged; from here the loss stays within {band:.3g} of {final:.4g}.")]  # fmt: skip


def running_median(loss: np.ndarray) -> np.ndarray:
    """The loss through a centred running median of a few steps (a hundredth of the run, 3 to 25): one noisy
    batch out of hundreds passes 3 standard deviations, and must not push convergence to the end of the run."""
    window = min(25, max(3, len(loss) // 100 | 1))
    if len(loss) < window:
        return loss
    padded = np.pad(loss, window // 2, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, window), axis=1)


def spike_events(loss: np.ndarray, until: int) -> list[Event]:
    """Each stretch where the loss jumps well above its lowest value so far, at the stretch's first step."""
    lowest = np.minimum.accumulate(loss)
    fall = max(loss[0] - float(np.min(loss[:until])), 1e-300)
    before, now = lowest[: until - 1], loss[1:until]
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
        events.append(Event("spike", step, f"spike · step {step}",
                            f"Step {step}: spike; the loss jumps from its lowest so far, {before:.4g}, and peaks "
                            f"at {peaks}, {loss[peak] / before:.1f} times as high."))  # fmt: skip
        step = end
    return events


def dead_unit_events(run: Trajectory) -> list[Event]:
    """The hidden units dead at the end (zero for every input), from the step since which all of them are."""
    dead = run.units.dead(run.x)  # (snapshots, h)
    final = dead[-1]
    count = int(final.sum())
    if count == 0:
        return []
    alive_before = np.flatnonzero(~dead[:, final].all(axis=1))
    row = int(alive_before[-1]) + 1 if alive_before.size else 0
    step = int(run.kept[row])
    one = count == 1
    units, they, output, them, stop = ("unit", "it", "outputs", "it", "stops") if one else \
        ("units", "they", "output", "them", "stop")  # fmt: skip
    detail = (f"Step {step}: {count} of {dead.shape[1]} hidden {units} dead; from here {they} {output} zero for "
              f"every input, so no gradient reaches {them} and {they} {stop} learning.")  # fmt: skip
    return [Event("dead units", step, f"{count} dead {units} · step {step}", detail)]


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
    return [Event("early stopping", step, f"early stopping · step {step}",
                  f"Step {step}: early stopping; the test loss is lowest here, {lowest:.4g}. Trained on, the model "
                  f"fits the training points' noise, and the test loss ends at {final:.4g}, "
                  f"{100 * (final / lowest - 1):.0f}% higher.")]  # fmt: skip

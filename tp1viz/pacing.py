"""Which step each frame of a video shows: one frame a step, or frames where the picture changes.

A plan says, for every frame, the snapshot it starts from, the one it moves toward, and how far (t in (0, 1]):
t = 1 is an exact frame, the recorded model itself; a frame with t < 1 is an in-between the video glides
through, whose status line still shows the step it comes from. The step shown never goes backwards.
"""

from dataclasses import dataclass

import numpy as np

from .layouts import FIT_PANEL_PX, MAX_OVERSHOOT

MIN_MOVE = 2.0  # px: after convergence, a step is shown when the picture has moved this much since the last
LONGEST_GLIDE = 0.5  # seconds: the most frames any one step's change may take


@dataclass(frozen=True, eq=False)
class Plan:
    start: np.ndarray  # (frames,) the step each frame comes from
    end: np.ndarray  # (frames,) the step it moves toward; start == end on an exact frame
    t: np.ndarray  # (frames,) how far, 1 on an exact frame

    def __len__(self) -> int:
        return len(self.t)

    @property
    def shown(self) -> np.ndarray:
        """The step each frame's status line shows."""
        return np.where(self.t >= 1, self.end, self.start)

    @property
    def steps(self) -> np.ndarray:
        """Every step some frame draws from: the snapshots a recording must keep."""
        return np.unique(np.concatenate([self.start, self.end]))

    def frame_of(self, step: int) -> int:
        """The frame that shows `step` exactly, or else the last frame showing an earlier step."""
        exact = np.flatnonzero((self.end == step) & (self.t >= 1))
        return int(exact[0]) if exact.size else int(np.searchsorted(self.shown, step, side="right")) - 1

    @classmethod
    def exact(cls, steps) -> "Plan":
        steps = np.asarray(steps, int)
        return cls(steps, steps, np.ones(len(steps)))


def budget(steps: int, fps: int, max_seconds: float | None) -> int:
    """How many frames the steps may take (the held final frame not counted)."""
    return steps + 1 if max_seconds is None else max(2, min(steps + 1, round(max_seconds * fps)))


def visible_change(runs: list) -> np.ndarray:
    """(steps+1,) how far the red curves move at each step, in px of the fit panel at the design size (512 px):
    the largest over the runs. A curve is followed only as far as the panel follows it past the data, so one
    that diverged off the panel no longer moves; a long run that kept only some snapshots is measured by how
    far its curve moved, up to the panel's height."""
    low, high = float(np.min(runs[0].y)), float(np.max(runs[0].y))
    span = (high - low) or 1.0
    scale = FIT_PANEL_PX / (span * (1 + 2 * MAX_OVERSHOOT))
    moves = []
    for run in runs:
        if run.snapshot_steps is not None:
            moves.append(np.minimum(np.nan_to_num(run.change, nan=np.inf) * scale, FIT_PANEL_PX))
            continue
        inside = (run.grid_pred >= low - MAX_OVERSHOOT * span) & (run.grid_pred <= high + MAX_OVERSHOOT * span)
        visible = np.where(inside, run.grid_pred, np.nan)  # off the panel: not seen, so not seen to move
        with np.errstate(invalid="ignore"):
            step = np.nan_to_num(np.nanmax(np.abs(np.diff(visible, axis=0)), axis=1, initial=0.0))
        moves.append(np.concatenate([[0.0], step]) * scale)
    return np.max(moves, axis=0)


def for_runs(scene, runs: list) -> Plan:
    """The plan of a scene's video: by its pace, its longest length, and how its runs move and settle."""
    from .events import settled_step

    settled = max(settled_step(run.loss) for run in runs)
    marks = {event.step for run in runs for event in run.events} | {step for step, _ in scene.notes}
    return plan(scene.pace, runs[0].steps, scene.fps, scene.max_seconds, visible_change(runs), settled, marks)


def plan(pace: str, steps: int, fps: int, max_seconds: float | None, change: np.ndarray, settled: int,
         marks=()) -> Plan:  # fmt: skip
    """The frames of a video of `steps` steps. `change` (steps+1,) is how far the picture moves at each step
    (px); every step up to `settled` (where the runs converge, or diverge) is shown exactly, and so is each
    step in `marks` (an event's or a note's: what the video and its captions say happens there)."""
    frames = budget(steps, fps, max_seconds)
    marks = sorted(mark for mark in set(marks) if 0 <= mark <= steps)[: frames // 2]
    if pace == "steps" and frames >= steps + 1:
        return Plan.exact(np.arange(steps + 1))
    if pace == "steps":  # too many steps for their time: evenly spaced, and the marked ones
        even = np.round(np.linspace(0, steps, max(2, frames - len(marks)))).astype(int)
        return Plan.exact(np.union1d(even, marks).astype(int))
    exact = shown_steps(change, settled)
    if len(np.union1d(exact, marks)) > frames:  # a long run in a short video
        exact = spread(change, settled, frames - len(marks))
    exact = np.union1d(exact, marks).astype(int)
    return glide(exact, change, frames - len(exact), round(LONGEST_GLIDE * fps))


def spread(change: np.ndarray, settled: int, frames: int) -> np.ndarray:
    """`frames` steps of a run too long to show every move: each step to `settled` while they fill at most
    half the frames, then steps spread evenly over the picture's change (a settled run's creep is spread
    evenly over its steps)."""
    steps = len(change) - 1
    head = np.arange(min(settled, steps) + 1) if settled < frames // 2 else np.array([0])
    travel = np.cumsum(change[head[-1] :]) + np.arange(steps + 1 - head[-1]) * 1e-9  # rising: each step a place
    picks = np.searchsorted(travel, np.linspace(0, travel[-1], frames - len(head) + 1)).clip(0, len(travel) - 1)
    return np.unique(np.concatenate([head, head[-1] + picks, [steps]]))


def shown_steps(change: np.ndarray, settled: int) -> np.ndarray:
    """Every step up to `settled`; after it, a step whenever the picture has moved MIN_MOVE px; the last."""
    exact, moved = list(range(min(settled, len(change) - 1) + 1)), 0.0
    for step in range(len(exact), len(change)):
        moved += change[step]
        if moved >= MIN_MOVE:
            exact.append(step)
            moved = 0.0
    if exact[-1] != len(change) - 1:
        exact.append(len(change) - 1)
    return np.array(exact)


def glide(exact: np.ndarray, change: np.ndarray, spare: int, longest: int) -> Plan:
    """The exact frames, with `spare` in-between frames spread over the gaps in proportion to how far the
    picture moves across each (at most `longest - 1` in one gap): the big early moves are slowed down."""
    moves = np.array([change[a + 1 : b + 1].sum() for a, b in zip(exact[:-1], exact[1:], strict=True)])
    extra = np.zeros(len(moves), int)
    if spare > 0 and moves.sum() > 0:
        share = np.minimum(moves / moves.sum() * spare, longest - 1)
        extra = np.floor(share).astype(int)
        leftover = min(spare - extra.sum(), int((share - extra > 0).sum()))
        extra[np.argsort(-(share - extra))[:leftover]] += 1  # the largest remainders
    start, end, t = [exact[0]], [exact[0]], [1.0]
    for (a, b), between in zip(zip(exact[:-1], exact[1:], strict=True), extra, strict=True):
        for j in range(1, between + 1):
            start.append(a), end.append(b), t.append(j / (between + 1))
        start.append(b), end.append(b), t.append(1.0)
    return Plan(np.array(start), np.array(end), np.array(t))

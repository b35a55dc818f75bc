"""Which step each frame of a video shows: one frame a step, or frames where the picture changes, with pauses
where there is something to read.

A plan says, for every frame, the snapshot it starts from, the one it moves toward, and how far (t in (0, 1]):
t = 1 is an exact frame, the recorded model itself; a frame with t < 1 is an in-between the video glides
through, only across steps where every run moves steadily (its loss falls and its update keeps its direction),
so no in-between shows a model the run never had. At each step where a caption comes (a note, an event, the
start and the end) the exact frame is held while the words are read. The step shown never goes backwards.
"""

from dataclasses import dataclass

import numpy as np

from .layouts import OFF_CHART, scales

MIN_MOVE = 2.0  # px: after convergence, a step is shown when the picture has moved this much since the last
LONGEST_GLIDE = 0.5  # seconds: the most frames any one step's change may take
PHASE_SECONDS = 2.0  # what a note or an event talks about (its stretch of steps) takes at least this long
PEAK_SECONDS = 0.6  # of those, a spike's peak (where its words are true) takes this much
SLOWEST = 0.5  # seconds: the longest one step of a slowed stretch lasts (its peak apart); fewer steps take less
SLOW_SWINGS = 12  # an oscillation's first swings shown slowly (6 a second): a longer one goes on at its pace


@dataclass(frozen=True, eq=False)
class Plan:
    start: np.ndarray  # (frames,) the step each frame comes from
    end: np.ndarray  # (frames,) the step it moves toward; start == end on an exact frame
    t: np.ndarray  # (frames,) how far, 1 on an exact frame

    def __len__(self) -> int:
        return len(self.t)

    @property
    def shown(self) -> np.ndarray:
        """The step each frame's status line shows (an in-between frame: the step it comes from)."""
        return np.where(self.t >= 1, self.end, self.start)

    @property
    def exact(self) -> np.ndarray:
        """(frames,) whether each frame shows a recorded step itself."""
        return self.t >= 1

    @property
    def steps(self) -> np.ndarray:
        """Every step some frame draws from: the snapshots a recording must keep."""
        return np.unique(np.concatenate([self.start, self.end]))

    def frame_of(self, step: int) -> int:
        """The first frame that shows `step` exactly, or else the last exact frame of an earlier step (never an
        in-between: it shows a model the run had only on its way)."""
        exact = np.flatnonzero(self.exact & (self.end <= step))
        if not exact.size:
            return 0
        reached = int(self.end[exact[-1]])
        return int(exact[np.searchsorted(self.end[exact], reached)])

    def frames_of(self, step: int) -> np.ndarray:
        """Every frame that shows `step` exactly: its first, and those of its pause."""
        return np.flatnonzero(self.exact & (self.end == step))

    @classmethod
    def exact_steps(cls, steps) -> "Plan":
        steps = np.asarray(steps, int)
        return cls(steps, steps, np.ones(len(steps)))

    def held(self, pauses: dict[int, int]) -> "Plan":
        """This plan with the exact frame of each step in `pauses` shown that many more times."""
        start, end, t = [], [], []
        for a, b, u in zip(self.start, self.end, self.t, strict=True):
            repeat = 1 + (pauses.pop(int(b), 0) if u >= 1 else 0)
            start += [a] * repeat
            end += [b] * repeat
            t += [u] * repeat
        return Plan(np.array(start, int), np.array(end, int), np.array(t, float))


def budget(steps: int, fps: int, max_seconds: float | None) -> int:
    """How many frames the motion may take (the pauses and the held end not counted)."""
    return steps + 1 if max_seconds is None else max(2, min(steps + 1, round(max_seconds * fps)))


def visible_change(runs: list, layout: str = "fit") -> np.ndarray:
    """(steps+1,) how far the red curves move at each step, in px of their panels at the design size (512 px):
    the largest over the runs. A curve is followed only as far as its panel shows it, so one that diverged off
    the panel no longer moves; a long run that kept only some snapshots is measured by how far its curve moved."""
    moves = []
    for run, scale in zip(runs, scales(layout, runs), strict=True):
        if run.snapshot_steps is not None:
            moves.append(np.minimum(np.nan_to_num(run.change, nan=np.inf) * scale.fit, 512.0))
            continue
        low, high = scale.ylim
        inside = (run.grid_pred >= low) & (run.grid_pred <= high)
        visible = np.where(inside, run.grid_pred, np.nan)  # off the panel: not seen, so not seen to move
        with np.errstate(invalid="ignore"):
            step = np.nan_to_num(np.nanmax(np.abs(np.diff(visible, axis=0)), axis=1, initial=0.0))
        moves.append(np.concatenate([[0.0], step]) * scale.fit)
        if scale.landscape is not None:  # the dot on a landscape moves too: a crawl there is what a note may show
            moves.append(landscape_moves(run, scale))
    return np.max(moves, axis=0)


def landscape_moves(run, scale) -> np.ndarray:
    """(steps+1,) how far the run's dot on its landscape moves into each step, in px at the design size."""
    path = np.column_stack([run.landscape.path_u * scale.landscape[0], run.landscape.path_v * scale.landscape[1]])
    step = np.linalg.norm(np.diff(np.asarray(path, np.float64), axis=0), axis=1)
    return np.minimum(np.concatenate([[0.0], np.nan_to_num(step, nan=512.0)]), 512.0)  # off the plane: a big move


def steady(runs: list, layout: str = "fit") -> np.ndarray:
    """(steps+1,) whether every run moves steadily into each step: its loss does not rise and its curve does not
    swing back. Only across such steps may the video glide: between a model and one that overshot it (an
    oscillation, a divergence, a spike), a blend is a model the run never had."""
    from .events import reversing

    ok = np.ones(len(runs[0].loss), bool)
    for run, scale in zip(runs, scales(layout, runs), strict=True):
        loss = np.asarray(run.loss, np.float64)
        with np.errstate(invalid="ignore"):
            ok[1:] &= np.isfinite(loss[1:]) & (loss[1:] <= loss[:-1])
        swung = reversing(run, scale)  # the move into k swings back: the move into k - 1 overshot, and this one
        ok &= ~swung
        ok[:-1] &= ~swung[1:]
    return ok


def settled_step(runs: list) -> int:
    """Up to where every step must be shown: where the runs have converged, or for a run that diverged, until its
    loss leaves the loss panel (the latest of them); 0 when none does (a run still creeping at the end has no
    settling to show, only its moves)."""
    ceiling = OFF_CHART * max(float(run.loss[0]) for run in runs) if len(runs) > 1 else np.inf
    steps = [0]
    for run in runs:
        for event in run.events:
            if event.kind == "converged":
                steps.append(event.step)
            if event.kind == "diverged":  # its loss climbing is what there is to see
                seen = np.flatnonzero(np.isfinite(run.loss) & (run.loss <= ceiling))
                steps.append(max(event.step, int(seen[-1]) if seen.size else 0))
    return max(steps)


def for_runs(scene, runs: list, reading: dict[int, list] | None = None, phases=()) -> Plan:
    """The plan of a scene's video: by its pace, its length, how its runs move and settle, and the captions at
    each step (`reading`: step -> [(seconds, held)] in order). A held caption (a note) is read over its step's
    frame; any other needs its time before the next caption comes, and the frame is held only for what the motion
    does not give. `phases` are the steps after a note, which get time to show; so do the stretches the runs'
    events show (an oscillation's swings, a spike), and the caption at a stretch's first step, a note's too, is
    read over its slow motion (a spike's held at its peak, where its words are true)."""
    reading = {step: list(said) for step, said in (reading or {}).items()}
    marks = set(reading) | {event.step for run in runs for event in run.events}
    change = visible_change(runs, scene.layout)
    stretches = event_stretches(runs, scene.layout, sorted(reading))
    for first, _ in stretches:
        if first in reading:
            reading[first][-1] = (reading[first][-1][0], False)
    peaks = spike_peaks(runs, stretches)
    motion = plan(scene.pace, runs[0].steps, scene.fps, scene.max_seconds, change, settled_step(runs), marks,
                  steady(runs, scene.layout), [*phases, *stretches], runs[0].kept, peaks)  # fmt: skip
    return motion.held(pauses(motion, reading, scene.fps, peaks))


def pauses(motion: Plan, reading: dict[int, list], fps: int, peaks: dict[int, int] | None = None) -> dict[int, int]:
    """Frames to hold each step's exact frame so every caption at it is on screen its reading time before the
    next comes: all but the last of a step's are read over the held frame, the last too if it must be (a note),
    else over the motion to the next caption's step as far as that goes, the frame held for the rest (a spike's
    at its peak: `peaks`, a caption's step -> the step held for it)."""
    steps, peaks = sorted(reading), peaks or {}
    held: dict[int, int] = {}
    for step, following in zip(steps, [*steps[1:], None], strict=True):
        frames = [round(seconds * fps) for seconds, _ in reading[step]]
        *before, last = frames
        gap = 0 if following is None else motion.frame_of(following) - motion.frame_of(step)
        must_hold = reading[step][-1][1] or following is None
        rest = last if must_hold else max(0, last - gap)
        at = step if must_hold else peaks.get(step, step)
        held[step] = held.get(step, 0) + sum(before) + (rest if at == step else 0)
        if at != step:
            held[at] = held.get(at, 0) + rest
    return held


def event_stretches(runs: list, layout: str, said: list[int]) -> list[tuple[int, int]]:
    """(first, last) of each stretch an event shows in motion: an oscillation's swings (its first SLOW_SWINGS), a
    spike from its start through its peak and back; each ends where the next caption comes, if that is sooner."""
    from .events import reversing

    found = []
    for run, scale in zip(runs, scales(layout, runs), strict=True):
        for event in run.events:
            if event.kind == "oscillating":
                end = min(swings_end(reversing(run, scale), event.step), event.step + SLOW_SWINGS)
            elif event.kind == "spike":
                end = spike_span(np.asarray(run.loss, np.float64), event.step)[1]
            else:
                continue
            end = min([end, *(step for step in said if step > event.step)])
            if end > event.step:
                found.append((event.step, end))
    return sorted(set(found))


def swings_end(swung: np.ndarray, first: int) -> int:
    """The step the last swing of an unbroken run of them from `first` lands on."""
    stops = np.flatnonzero(~swung[first:])
    return first + int(stops[0]) - 1 if stops.size else len(swung) - 1


def spike_span(loss: np.ndarray, first: int) -> tuple[int, int]:
    """(peak, back) of the spike that starts at `first`: its highest loss, and the first step after it where the
    loss is under the spike's threshold again (events.SPIKE_RATIO times its lowest before), or the last step."""
    from .events import SPIKE_RATIO

    threshold = SPIKE_RATIO * float(np.min(loss[:first])) if first else np.inf
    under = np.flatnonzero(loss[first:] < threshold)
    back = first + int(under[0]) if under.size else len(loss) - 1
    peak = first + int(np.argmax(loss[first : max(back, first + 1)]))
    return peak, max(back, peak)


def spike_peaks(runs: list, stretches: list[tuple[int, int]]) -> dict[int, int]:
    """For each spike whose stretch is slowed: its first step -> its peak, where that comes before the stretch
    ends (a peak at the next caption's step would be held under that caption's words, not its own)."""
    starts = {first: last for first, last in stretches}
    peaks = {}
    for event in (event for run in runs for event in run.events if event.kind == "spike"):
        if event.step in starts:
            peak = spike_span(np.asarray(runs[event.run].loss, np.float64), event.step)[0]
            if peak < starts[event.step]:
                peaks[event.step] = peak
    return peaks


def plan(pace: str, steps: int, fps: int, max_seconds: float | None, change: np.ndarray, settled: int,
         marks=(), smooth: np.ndarray | None = None, phases=(), kept=None, peaks=None) -> Plan:  # fmt: skip
    """The motion of a video of `steps` steps. `change` (steps+1,) is how far the picture moves at each step
    (px); every step up to `settled` is shown exactly, and so is each step in `marks` (an event's or a caption's).
    `smooth` (steps+1,) says across which steps a glide is allowed (all, by default); each (start, end) of
    `phases` gets at least PHASE_SECONDS of frames (`peaks`: a phase's first step -> the step it dwells on). `kept`:
    the only steps with a snapshot to show (a long run keeps those its first pass planned), all by default."""
    frames = budget(steps, fps, max_seconds)
    marks = sorted(mark for mark in set(marks) if 0 <= mark <= steps)[: frames // 2]
    if pace == "steps" and frames >= steps + 1:
        return Plan.exact_steps(np.arange(steps + 1))
    if pace == "steps":  # too many steps for their time: evenly spaced, and the marked ones
        even = np.round(np.linspace(0, steps, max(2, frames - len(marks)))).astype(int)
        return Plan.exact_steps(np.union1d(even, marks).astype(int))
    exact = shown_steps(change, settled)
    if len(np.union1d(exact, marks)) > frames:  # a long run in a short video
        exact = spread(change, settled, frames - len(marks))
    exact = np.union1d(exact, marks).astype(int)
    exact = with_phases(exact, change, phases, round(PHASE_SECONDS * fps))
    if kept is not None and 0 < len(kept) < steps + 1:  # only what was kept can be drawn exactly (none kept: a
        # long run's first pass, planning which steps to keep)
        exact = np.union1d(np.intersect1d(exact, kept), [0, steps]).astype(int)
    smooth = np.ones(steps + 1, bool) if smooth is None else smooth
    spare = frames - len(exact)
    slow = {"phases": phases, "fps": fps, "smooth": smooth, "peaks": peaks or {}}
    motion = slowed_phases(glide(exact, change, spare, round(LONGEST_GLIDE * fps), smooth), **slow)
    if len(motion) > frames and spare > 0:  # the slow motion takes the place of in-betweens elsewhere, if it can
        spare = max(0, spare - (len(motion) - frames))
        motion = slowed_phases(glide(exact, change, spare, round(LONGEST_GLIDE * fps), smooth), **slow)
    return motion


def slowed_phases(motion: Plan, phases, fps: int, smooth: np.ndarray, peaks: dict[int, int]) -> Plan:
    """The motion with each phase given PHASE_SECONDS of frames, beyond the motion's budget if need be."""
    for first, last in phases:
        motion = slowed(motion, first, last, round(PHASE_SECONDS * fps), smooth, peaks.get(first))
    return motion


def spread(change: np.ndarray, settled: int, frames: int) -> np.ndarray:
    """`frames` steps of a run too long to show every move: each step to `settled` while they fill at most
    half the frames, then steps spread evenly over the picture's change (a settled run's creep is spread
    evenly over its steps)."""
    steps = len(change) - 1
    head = np.arange(min(settled, steps) + 1) if settled < frames // 2 else np.array([0])
    picks = by_travel(change, head[-1], steps, frames - len(head) + 1)
    return np.unique(np.concatenate([head, picks, [steps]]))


def by_travel(change: np.ndarray, first: int, last: int, count: int) -> np.ndarray:
    """`count` steps from first to last, spaced evenly by how far the picture travels (evenly by step where it
    does not move)."""
    travel = np.cumsum(change[first : last + 1]) + np.arange(last + 1 - first) * 1e-9  # rising: each step a place
    picks = np.searchsorted(travel, np.linspace(travel[0], travel[-1], max(count, 2))).clip(0, len(travel) - 1)
    return first + picks


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


def with_phases(exact: np.ndarray, change: np.ndarray, phases, least: int) -> np.ndarray:
    """The exact steps, with more of each phase's steps where it has fewer than `least` frames: a note about a
    late stretch (a slow creep shown in a few frames) gets the time to show it, every step of it if it is short."""
    for first, last in phases:  # beyond the motion's budget if need be: the note asked for this time
        inside = exact[(exact > first) & (exact < last)]
        if last - first - 1 <= least:  # a short stretch: every step of it
            exact = np.union1d(exact, np.arange(first, last + 1)).astype(int)
        elif len(inside) < least:
            exact = np.union1d(exact, by_travel(change, first, last, least + 2)).astype(int)
    return exact


def glide(exact: np.ndarray, change: np.ndarray, spare: int, longest: int, smooth: np.ndarray) -> Plan:
    """The exact frames, with `spare` in-between frames spread over the gaps in proportion to how far the
    picture moves across each (at most `longest - 1` in one gap), only across steady steps: the big early
    moves are slowed down, and no blend shows a model between two that overshoot each other."""
    moves = np.array([change[a + 1 : b + 1].sum() if smooth[a + 1 : b + 1].all() else 0.0
                      for a, b in zip(exact[:-1], exact[1:], strict=True)])  # fmt: skip
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


def slowed(motion: Plan, first: int, last: int, least: int, smooth: np.ndarray, dwell: int | None = None) -> Plan:
    """The motion with the steps from `first` until `last` is shown taking at least `least` frames, and none of
    them less than its share nor, from what is added, more than SLOWEST: the `dwell` step (a spike's peak) given
    PEAK_SECONDS first, then frames added to the shortest steps (slow motion), as more in-betweens toward the
    next step where the move is steady, else as its exact frame shown longer (the recorded state itself, never
    a blend across a swing)."""
    a, b = motion.frame_of(first), motion.frame_of(last)
    if b <= a or motion.end[b] != last or not motion.exact[b]:
        return motion  # `last` not shown exactly (a run that kept only some steps)
    starts = [
        i
        for i in range(a, b)  # each step's first exact frame (an in-between before it moves toward it)
        if motion.exact[i] and (i == a or not motion.exact[i - 1] or motion.end[i - 1] != motion.end[i])
    ]
    counts = np.diff([*starts, b])
    extra = np.zeros(len(starts), int)
    steps = [int(motion.end[i]) for i in starts]
    if dwell in steps:
        at = steps.index(dwell)
        extra[at] = max(0, round(PEAK_SECONDS * least / PHASE_SECONDS) - counts[at])
    dwelt = int((counts + extra)[at]) if dwell in steps else 0
    each = (least - dwelt) // max(1, len(starts) - (dwell in steps))  # no step faster than its share of the rest
    slowest = max(1, round(least * SLOWEST / PHASE_SECONDS))  # ... nor slower than this: slow motion, not a still
    while (counts + extra).sum() < least or (counts + extra).min() < each:
        room = np.where(counts + extra < slowest, counts + extra, np.iinfo(int).max)
        if room.min() == np.iinfo(int).max:
            break  # too few steps to fill the time: each as slow as it may be
        extra[int(np.argmin(room))] += 1  # the shortest step, the first of them, a frame more
    if not extra.any():
        return motion
    start, end, t = [motion.start[:a]], [motion.end[:a]], [motion.t[:a]]
    for begin, count, added in zip(starts, counts, extra, strict=True):
        step, toward = int(motion.end[begin]), int(motion.end[begin + count])
        shown = int(np.sum(motion.exact[begin : begin + count]))  # its exact frame and any repeats of it
        gliding = count + added - shown if toward > step and smooth[step + 1 : toward + 1].all() else 0
        kept = count + added - gliding
        start.append(np.array([step] * (kept + gliding)))
        end.append(np.array([step] * kept + [toward] * gliding))
        t.append(np.array([1.0] * kept + [j / (gliding + 1) for j in range(1, gliding + 1)]))
    start.append(motion.start[b:]), end.append(motion.end[b:]), t.append(motion.t[b:])
    return Plan(np.concatenate(start).astype(int), np.concatenate(end).astype(int), np.concatenate(t).astype(float))

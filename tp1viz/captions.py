"""What a video says in words: its story (the start, each event and note, the end), one caption at a time.

A video without sound still needs a text alternative (WCAG 2.2, success criterion 1.2.1). Each caption is
plain words a student reads in a few seconds (at most two lines of 42 characters, read at no more than 17
characters a second, as subtitles are); the video holds its frame while it is read, so no two captions ever
overlap. The transcript keeps the whole story with exact numbers.
"""

from dataclasses import dataclass, replace

import numpy as np

from .words import fits, sig, wrapped

READING_CPS = 15.0  # characters a second a caption is given: under the 17 a second subtitles allow
SHORTEST = 2.5  # seconds: every caption, and so every note and event, stays at least this long


@dataclass(frozen=True)
class Line:
    """One thing the video says, at a step: a caption, and the transcript's fuller sentence."""

    step: int
    said: str  # the caption: fits LINES lines of LINE characters
    told: str  # the transcript's sentence, with the exact numbers
    kind: str  # "start", "note", "end", or an event's kind
    run: int | None = None  # the run it is about, in a scene of several
    panel: str = "fit"  # a note's: the panel it talks about


@dataclass(frozen=True)
class Cue:
    start: float  # seconds
    end: float
    line: Line

    @property
    def text(self) -> str:
        return self.line.said


def reading(text: str) -> float:
    """Seconds a caption needs on screen: SHORTEST, or longer for a long one."""
    return max(SHORTEST, len(text) / READING_CPS)


def run_names(runs: list) -> list[str]:
    return [run.meta.get("run", {}).get("label") or f"run {index + 1}" for index, run in enumerate(runs)]


def loss_words(runs: list, step: int, digits: int = 3) -> str:
    """The loss at a step as a caption says it: "loss 3.46"; each run's, in a scene of several."""
    run = runs[0]
    if len(runs) == 1 and run.test is not None:  # the gap between the two is what a held-out run shows
        return f"training loss {sig(run.loss[step], digits)}, test loss {sig(run.test.loss[step], digits)}"
    if len(runs) == 1:
        return f"loss {sig(run.loss[step], digits)}"
    named = zip(run_names(runs), runs, strict=True)
    return ", ".join(f"{name} {sig(run.loss[step], digits)}" for name, run in named)


def score_words(run, tolerance: float | None, short: bool = False) -> str:
    """ "; 20 of 30 test points within ±2" for a scored run (shorter for a caption), else nothing."""
    if tolerance is None or run.test is None:
        return ""
    hits = round(float(run.test.within(tolerance)[-1]) * len(run.test.x))
    return f"; {hits} of {len(run.test.x)}{'' if short else ' test points'} within ±{tolerance:g}"


def first_fitting(*texts: str) -> str:
    """The first text that fits a caption (the last, shortest one, whatever)."""
    return next((text for text in texts if fits(text)), texts[-1])


def event_line(event, runs: list) -> Line:
    """An event as the captions say it, naming its run when the video has several."""
    if len(runs) == 1:
        return Line(event.step, event.said, event.detail, event.kind)
    name = run_names(runs)[event.run]
    head, rest = event.detail.split(": ", 1)
    return Line(event.step, first_fitting(f"{name}: {event.said}", event.said), f"{head}, {name}: {rest}",
                event.kind, event.run)  # fmt: skip


def start_words(runs: list) -> str:
    """How the runs begin, as their first recorded weights say."""
    if len(runs) == 1:
        return "the model starts from its initial weights"
    if all(np.array_equal(run.params[0], runs[0].params[0]) for run in runs):
        return "every run starts from the same weights"
    return "each run starts from its own initial weights"


def story(heading: str, runs: list, notes=(), tolerance: float | None = None) -> list[Line]:
    """Everything the video says, in order: the start, each event and note at its step, the end.

    A note is told at its step or its event's, and left out where the run has no such event (or has one the
    note must not be told beside). A note anchored to an event is the teacher's words for it, told in its place
    (the event's own sentence joins the note's in the transcript); a note at step 0 speaks over the start (the
    title and the loss are on screen)."""
    steps = runs[0].steps
    begins = start_words(runs)
    start = Line(0, first_fitting(f"Step 0: {loss_words(runs, 0)}.", "Step 0: the start."),
                 f"{heading}. Step 0: {begins}; {loss_words(runs, 0, 4)}.", "start")  # fmt: skip
    said, anchored = [], {}
    for note in notes:
        anchor = note.anchored(runs)
        if anchor is None:
            continue
        step, run = anchor
        said.append(Line(step, note.text, f"Note at step {step}: {note.text}", "note", run, note.panel))
        if note.at:
            anchored[(note.at, step, run)] = len(said) - 1
    for event in (event for run in runs for event in run.events):
        line = event_line(event, runs)
        key = (event.kind, event.step, event.run if len(runs) > 1 else None)
        if key in anchored:
            index = anchored.pop(key)
            said[index] = replace(said[index], told=f"{line.told} {said[index].told}")
        else:
            said.append(line)
    said.sort(key=lambda line: (line.step, line.kind != "note"))  # a note first: it says why, the event what
    if said and said[0].step == 0 and said[0].kind == "note":
        said[0] = replace(said[0], told=f"{start.told} {said[0].told}")
    else:
        said.insert(0, start)
    score, short = score_words(runs[0], tolerance), score_words(runs[0], tolerance, short=True)
    end = Line(steps, first_fitting(f"The end, step {steps}: {loss_words(runs, steps)}{score}.",
                                    f"The end: {loss_words(runs, steps)}{short}.",
                                    f"The end, step {steps}: {loss_words(runs, steps, 2)}.", f"The end: step {steps}."),
               f"Step {steps}, the end: {loss_words(runs, steps, 4)}{score}.", "end")  # fmt: skip
    return [*said, end]


def readings(lines: list[Line], hold: float) -> dict[int, list[tuple[float, bool]]]:
    """Each step's captions as (seconds to read, held over the step's frame): a note is (the video stops on
    it); an event's may ride on the motion after it. The end is read over the final frame, `hold` at least."""
    found: dict[int, list[tuple[float, bool]]] = {}
    for line in lines:
        found.setdefault(line.step, []).append((reading(line.said), line.kind == "note"))
    last = found[lines[-1].step]
    before = sum(seconds for seconds, _ in last[:-1])
    last[-1] = (max(last[-1][0], hold - before), True)
    return found


def phases(lines: list[Line]) -> list[tuple[int, int]]:
    """The stretch after each note, to the next thing said: what the note talks about, given time to show."""
    return [(line.step, after.step) for line, after in zip(lines, lines[1:], strict=False)
            if line.kind == "note" and after.step > line.step + 1]  # fmt: skip


def timed(lines: list[Line], plan, fps: int) -> list[Cue]:
    """Each line as a cue: from its step's first frame (after the lines before it at that step) until the next
    one begins, so exactly one is on screen at any time; the last until the video ends."""
    starts, offsets = [], {}
    for line in lines:
        first = plan.frame_of(line.step) / fps
        starts.append(first + offsets.get(line.step, 0.0))
        offsets[line.step] = offsets.get(line.step, 0.0) + round(reading(line.said) * fps) / fps  # as pacing holds
    ends = [*starts[1:], len(plan) / fps]
    return [Cue(start, end, line) for start, end, line in zip(starts, ends, lines, strict=True)]


def timestamp(seconds: float) -> str:
    """mm:ss.ttt, or hh:mm:ss.ttt from an hour on (WebVTT allows no minutes past 59)."""
    milliseconds = int(round(seconds * 1000))
    hours, milliseconds = divmod(milliseconds, 3_600_000)
    minutes, milliseconds = divmod(milliseconds, 60_000)
    clock = f"{minutes:02d}:{milliseconds // 1000:02d}.{milliseconds % 1000:03d}"
    return f"{hours:02d}:{clock}" if hours else clock


def cue_text(text: str) -> str:
    """Text as a cue shows it: at most two lines, and & and < escaped (WebVTT reads them as markup; an arrow
    "-->" would end the cue's text)."""
    return wrapped(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webvtt(said: list[Cue]) -> str:
    """The cues as a WebVTT file."""
    blocks = [f"{index}\n{timestamp(cue.start)} --> {timestamp(cue.end)}\n{cue_text(cue.text)}"
              for index, cue in enumerate(said, start=1)]  # fmt: skip
    return "WEBVTT\n\n" + "\n\n".join(blocks) + "\n"


def transcript(title: str, said: list[Cue]) -> str:
    """The whole story, one line per cue, with the time it comes at and the exact numbers."""
    lines = [title, ""] + [f"[{timestamp(cue.start).rsplit('.', 1)[0]}] {cue.line.told}" for cue in said]
    return "\n".join(lines) + "\n"

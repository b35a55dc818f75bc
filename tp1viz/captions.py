"""What a video says in words: WebVTT captions, and the same text as a transcript.

A video without sound still needs a text alternative (WCAG 2.2, success criterion 1.2.1): the captions tell
the start, every event and author's note at the moment it appears on screen, and the end, with the loss.
"""

from dataclasses import dataclass

CUE_SECONDS = 3.0  # how long an event's caption stays, at least


@dataclass(frozen=True)
class Cue:
    start: float  # seconds
    end: float
    text: str


def loss_words(runs: list, step: int) -> str:
    from .draw import format_loss

    run = runs[0]
    if len(runs) == 1 and run.test is not None:  # the gap between the two is what a held-out run shows
        train, test = format_loss(float(run.loss[step])), format_loss(float(run.test.loss[step]))
        return f"training loss {train}, test loss {test}"
    if len(runs) == 1:
        return f"loss {format_loss(float(run.loss[step]))}"
    named = zip(run_names(runs), runs, strict=True)
    return "; ".join(f"{name} {format_loss(float(run.loss[step]))}" for name, run in named)


def run_names(runs: list) -> list[str]:
    return [run.meta.get("run", {}).get("label") or f"run {index + 1}" for index, run in enumerate(runs)]


def told_of(event, runs: list) -> str:
    """An event's sentence, naming its run when the video has several: "Step 7, above the limit: diverged; ..."."""
    if len(runs) == 1:
        return event.detail
    head, rest = event.detail.split(": ", 1)
    return f"{head}, {run_names(runs)[event.run]}: {rest}"


def score_words(run, tolerance: float | None) -> str:
    """ "; 20 of 30 test points within ±2" for a scored run, else nothing."""
    if tolerance is None or run.test is None:
        return ""
    hits = round(float(run.test.within(tolerance)[-1]) * len(run.test.x))
    return f"; {hits} of {len(run.test.x)} test points within ±{tolerance:g}"


def cues(heading: str, runs: list, plan, fps: int, hold: int, notes=(), tolerance=None) -> list[Cue]:
    """The start, each event and note when it appears, and the end, timed by the video's frames."""
    steps = runs[0].steps
    length = (len(plan) + hold) / fps
    last_frame = (len(plan) - 1) / fps
    begins = "the model starts from its initial weights" if len(runs) == 1 else "every run starts from the same weights"
    said = [Cue(0.0, min(CUE_SECONDS, last_frame or length), f"{heading}. Step 0: {begins}; {loss_words(runs, 0)}.")]
    moments = [(event.step, told_of(event, runs)) for run in runs for event in run.events]
    moments += [(step, f"Note at step {step}: {text}") for step, text in notes]
    for step, text in sorted(moments):
        at = plan.frame_of(step) / fps
        said.append(Cue(at, min(length, max(at + CUE_SECONDS, at + 1 / fps)), text))
    ends = f"Step {steps}, the end: {loss_words(runs, steps)}{score_words(runs[0], tolerance)}."
    said.append(Cue(last_frame, length, ends))
    return said


def timestamp(seconds: float) -> str:
    """mm:ss.ttt, or hh:mm:ss.ttt from an hour on (WebVTT allows no minutes past 59)."""
    milliseconds = int(round(seconds * 1000))
    hours, milliseconds = divmod(milliseconds, 3_600_000)
    minutes, milliseconds = divmod(milliseconds, 60_000)
    clock = f"{minutes:02d}:{milliseconds // 1000:02d}.{milliseconds % 1000:03d}"
    return f"{hours:02d}:{clock}" if hours else clock


def cue_text(text: str) -> str:
    """Text as a cue shows it: WebVTT reads & and < as markup, and an arrow "-->" ends a cue's text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webvtt(said: list[Cue]) -> str:
    """The cues as a WebVTT file."""
    blocks = [f"{index}\n{timestamp(cue.start)} --> {timestamp(cue.end)}\n{cue_text(cue.text)}"
              for index, cue in enumerate(said, start=1)]  # fmt: skip
    return "WEBVTT\n\n" + "\n\n".join(blocks) + "\n"


def transcript(title: str, said: list[Cue]) -> str:
    """The same words, one line per cue, with the time it comes at."""
    lines = [title, ""] + [f"[{timestamp(cue.start).rsplit('.', 1)[0]}] {cue.text}" for cue in said]
    return "\n".join(lines) + "\n"

"""The progress bar of a render on a terminal: frames drawn of frames planned, and the time left once it means
something. A render first loads torch and trains (seconds with no frame), so a rate measured from the start
would promise half an hour for a two-second render: the estimate waits for the drawing to have a pace."""

import contextlib
import sys
import time

WIDTH = 24  # characters of the bar itself
ESTIMATE_AFTER_SHARE = 0.1  # no estimate before a tenth of the frames is drawn ...
ESTIMATE_AFTER_SECONDS = 2.0  # ... and the drawing has lasted this long
REDRAW_SECONDS = 0.1  # a terminal need not be written more often than this


def duration(seconds: float) -> str:
    """ "4 s", "1 min 05 s": a time a person reads at a glance."""
    seconds = max(1, round(seconds))
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"


class Bar:
    def __init__(self, label: str, total: int, stream=None, clock=time.monotonic):
        self.label, self.total, self.done = label, total, 0
        self.stream, self.clock = stream or sys.stderr, clock
        self.first_frame: float | None = None  # when drawing began: the pace is measured from here
        self.drawn_at = -REDRAW_SECONDS

    def line(self, now: float) -> str:
        """The bar as it reads at `now`."""
        share = min(1.0, self.done / self.total) if self.total else 1.0
        text = f"{self.label} [{'#' * round(share * WIDTH):<{WIDTH}}] {self.done}/{self.total} frames"
        elapsed = now - self.first_frame if self.first_frame is not None else 0.0
        if share >= ESTIMATE_AFTER_SHARE and elapsed >= ESTIMATE_AFTER_SECONDS and share < 1:
            text += f", about {duration(elapsed * (self.total - self.done) / self.done)} left"
        return text

    def advance(self, frames: int) -> None:
        now = self.clock()
        if self.first_frame is None:
            self.first_frame = now
        self.done += frames
        if now - self.drawn_at >= REDRAW_SECONDS or self.done >= self.total:
            self.drawn_at = now
            self.stream.write(f"\r\033[K{self.line(now)}")
            self.stream.flush()

    def clear(self) -> None:
        self.stream.write("\r\033[K")
        self.stream.flush()


@contextlib.contextmanager
def bar(label: str, total: int, stream=None):
    """A bar on `stream` (stderr) for the render's frames; yields its advance(frames); cleared at the end."""
    shown = Bar(label, total, stream)
    try:
        yield shown.advance
    finally:
        shown.clear()

"""Watching a student's own training loop in Jupyter: tp1viz.record(...), then tp1viz.video(traj)."""

import base64
import tempfile
from pathlib import Path

from .trajectory import Trajectory


class Clip:
    """A rendered video of recorded runs; Jupyter shows it inline, .save() writes it to a file."""

    def __init__(self, runs: list[Trajectory], fps: int = 30, size: int = 512, title: str = "", hold: float = 1.0):
        if size % 2 or not 64 <= size <= 4096:
            raise ValueError(f"size must be an even number of pixels in 64..4096, got {size}")
        if not 1 <= fps <= 120:
            raise ValueError(f"fps must be in 1..120, got {fps}")
        self.runs, self.fps, self.size, self.title, self.hold = runs, fps, size, title, hold
        self._mp4: bytes | None = None

    def save(self, path) -> Path:
        """Write the video to `path`: .mp4, .webm or .gif by its suffix, atomically."""
        from .draw import LAYOUTS
        from .encode import FORMATS, VideoWriter, saving

        path = Path(path)
        suffix = path.suffix.lstrip(".").lower()
        if suffix not in FORMATS:
            raise ValueError(f"cannot write {path.name}: the suffix must be one of .{', .'.join(FORMATS)}")
        if suffix == "mp4" and self._mp4 is not None:  # already shown inline: the same bytes, no second encode
            from .files import write_bytes

            write_bytes(path, self._mp4)
            return path
        animation = LAYOUTS["compare" if len(self.runs) > 1 else "fit"](self.runs, self.size, self.title)
        with saving(VideoWriter(path, self.size, self.fps, FORMATS[suffix])) as sink:
            for frame in animation.frames(hold=round(self.hold * self.fps)):
                sink.grab_frame(frame)
        return path

    def mp4_bytes(self) -> bytes:
        """The MP4's bytes, rendered once and kept."""
        if self._mp4 is None:
            with tempfile.TemporaryDirectory(prefix="tp1viz-") as folder:
                self._mp4 = self.save(Path(folder) / "clip.mp4").read_bytes()
        return self._mp4

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.mp4_bytes()).decode("ascii")
        return (
            f'<video controls width="{self.size}" height="{self.size}">'
            f'<source src="data:video/mp4;base64,{data}" type="video/mp4"></video>'
        )


def video(traj, fps: int = 30, size: int = 512, title: str = "", hold: float = 1.0) -> Clip:
    """A video of a recorded run (or a list of runs, side by side), shown inline by Jupyter."""
    runs = list(traj) if isinstance(traj, list | tuple) else [traj]
    return Clip(runs, fps=fps, size=size, title=title, hold=hold)

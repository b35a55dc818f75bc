"""Watching a student's own training loop in Jupyter: tp1viz.record(...), then tp1viz.video(traj)."""

import base64
import tempfile
from pathlib import Path

from . import rules
from .files import AtomicFile, write_bytes
from .kinds import encode_video, hold_frames
from .trajectory import Trajectory


def checked(**values) -> dict:
    """The values, each checked by its rule (rules.py), or a ValueError naming the first refused."""
    for name, value in values.items():
        try:
            values[name] = rules.check(name, value)
        except rules.RuleError as error:
            raise ValueError(f"{name}: {error}") from None
    return values


class Clip:
    """A rendered video of recorded runs; Jupyter shows it inline, .save() writes it to a file."""

    def __init__(self, runs: list[Trajectory], fps: int = 30, size: int = 512, title: str = "", hold: float = 1.0,
                 layout: str | None = None):  # fmt: skip
        values = checked(fps=fps, size=size, hold=hold)
        self.runs, self.title = runs, title
        self.layout = layout or ("compare" if len(runs) > 1 else "fit")
        self.fps, self.size, self.hold = values["fps"], values["size"], values["hold"]
        self._mp4: bytes | None = None

    def animation(self):
        from .draw import ANIMATIONS

        return ANIMATIONS[self.layout](self.runs, self.size, self.title)

    def save(self, path) -> Path:
        """Write the video to `path`: .mp4, .webm or .gif by its suffix, atomically."""
        from .encode import FORMATS, VideoWriter, saving

        path = Path(path)
        suffix = path.suffix.lstrip(".").lower()
        if suffix not in FORMATS:
            raise ValueError(f"cannot write {path.name}: the suffix must be one of .{', .'.join(FORMATS)}")
        if suffix == "mp4" and self._mp4 is not None:  # already shown inline: the same bytes, no second encode
            write_bytes(path, self._mp4)
            return path
        with AtomicFile(path) as temp, saving(VideoWriter(temp, self.size, self.fps, FORMATS[suffix])) as sink:
            encode_video(self.animation(), hold_frames(self.hold, self.fps), sink)
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


def scene_video(name: str, media: Path | str = "media", scene_files=()) -> Clip:
    """A course scene's video, drawn from its runs in `media` when they are current there, else recorded."""
    from .runs import Runs
    from .scenes import load_catalog

    scene = load_catalog(scene_files)[name]
    if scene.kind != "video":
        raise ValueError(f"{name} is a still, not a video")
    return Clip(Runs(media).of(scene), scene.fps, scene.size, scene.heading, scene.hold, scene.layout)

"""Watching a student's own training loop in Jupyter: tp1viz.record(...), then tp1viz.video(traj)."""

import base64
import dataclasses
import tempfile
from pathlib import Path

from . import rules, schema
from .files import AtomicFile, write_bytes
from .kinds import Video, encode_video
from .layouts import LAYOUTS
from .trajectory import Trajectory


def checked(**values) -> dict:
    """The values, each checked as a scene file's key of that name is (schema.py), or a ValueError naming the first
    refused."""
    for name, value in values.items():
        try:
            values[name] = schema.check(Video, name, value)
        except rules.RuleError as error:
            raise ValueError(f"{name}: {error}") from None
    return values


def named(runs: list[Trajectory], labels) -> list[Trajectory]:
    """The runs, each with its label (shown over its panel and in the review's readout)."""
    if labels is None:
        return runs
    if len(labels) != len(runs):
        raise ValueError(f"{len(labels)} labels for {len(runs)} runs")
    keys = [rules.label_key(label) for label in labels]
    if len(set(keys)) < len(keys):
        raise ValueError(f"labels {list(labels)!r}: two read the same; each panel needs its own")
    return [dataclasses.replace(run, meta={**run.meta, "run": {**run.meta.get("run", {}), "label": str(label)}})
            for run, label in zip(runs, labels, strict=True)]  # fmt: skip


def numbered(runs: list[Trajectory]) -> list[Trajectory]:
    """The runs, each one's events told of it (recorded alone, every run's events say run 0): side by side, an
    event is drawn in its own run's colour, on its own loss curve."""
    return [dataclasses.replace(run, events=tuple(dataclasses.replace(event, run=index) for event in run.events))
            for index, run in enumerate(runs)]  # fmt: skip


def default_title(runs: list[Trajectory]) -> str:
    """ "SGD lr 0.5", from what the run was recorded with; nothing for several runs (their panels say it)."""
    settings = runs[0].meta.get("run", {})
    if len(runs) > 1 or not settings.get("optimizer"):
        return ""
    return f"{settings['optimizer']} lr {settings['lr']:g}" if settings.get("lr") is not None else settings["optimizer"]


class Clip:
    """A rendered video of recorded runs; Jupyter shows it inline, .save() writes it to a file."""

    def __init__(self, runs: list[Trajectory], fps: int = 30, size: int = 512, title: str = "", hold: float = 1.0,
                 layout: str | None = None):  # fmt: skip
        values = checked(fps=fps, size=size, hold=hold)
        if "\n" in str(title) or "\r" in str(title):
            raise ValueError("title must be one line: it sits above the step counter")
        low, high = LAYOUTS["compare"].runs
        if not 1 <= len(runs) <= high:
            raise ValueError(f"a video shows 1 run, or {low} to {high} side by side; got {len(runs)}")
        if len({run.steps for run in runs}) > 1:
            steps = ", ".join(str(run.steps) for run in runs)
            raise ValueError(f"runs side by side share one step counter; these have {steps} steps: record them alike")
        self.runs, self.title = runs, title or default_title(runs)
        self.layout = layout or ("compare" if len(runs) > 1 else "fit")
        self.fps, self.size, self.hold = values["fps"], values["size"], values["hold"]
        self._mp4: bytes | None = None

    def animation(self):
        from .mechanism import ANIMATIONS

        return ANIMATIONS[self.layout](self.runs, self.size, self.title, fps=self.fps, hold=self.hold)

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
            encode_video(self.animation(), sink)
        return path

    def mp4_bytes(self) -> bytes:
        """The MP4's bytes, rendered once and kept."""
        if self._mp4 is None:
            with tempfile.TemporaryDirectory(prefix="tp1viz-") as folder:
                self._mp4 = self.save(Path(folder) / "clip.mp4").read_bytes()
        return self._mp4

    def _repr_html_(self) -> str:
        # The data URI on <video src> itself: JupyterLab sanitises the HTML of a notebook it does not trust, and
        # keeps a <video>'s src but only the type of a <source>, so a <source> would leave an empty player.
        data = base64.b64encode(self.mp4_bytes()).decode("ascii")
        return f'<video controls width="{self.size}" height="{self.size}" src="data:video/mp4;base64,{data}"></video>'


def video(traj, fps: int = 30, size: int = 512, title: str = "", hold: float = 1.0, labels=None) -> Clip:
    """A video of a recorded run (or a list of 2 to 4 runs, side by side, named by `labels`), shown inline."""
    runs = list(traj) if isinstance(traj, list | tuple) else [traj]
    if not runs or not all(isinstance(run, Trajectory) for run in runs):
        got = type(traj).__name__
        if isinstance(traj, list | tuple):
            got = "a list of something else" if traj else "an empty list"
        raise TypeError(f"video() takes what tp1viz.record(...) returns, a list of 2 to 4 of them, or a scene's "
                        f"name; got {got}")  # fmt: skip
    return Clip(numbered(named(runs, labels)), fps=fps, size=size, title=title, hold=hold)


class SceneClip(Clip):
    """A course scene's video, drawn as the build draws it: the scene's pacing, notes, tolerance and hold."""

    def __init__(self, scene, runs: list[Trajectory]):
        self.scene = scene
        super().__init__(runs, scene.fps, scene.size, scene.heading, scene.hold, scene.layout)

    def animation(self):
        return self.scene.animation(self.runs)


def scene_video(name: str, media: Path | str = "media", scene_files=()) -> Clip:
    """A course scene's video, drawn from its runs in `media` when they are current there, else recorded."""
    from .runs import Runs
    from .scenes import load_catalog

    catalogue = load_catalog(scene_files)
    if name not in catalogue:
        videos = ", ".join(n for n, scene in catalogue.items() if scene.kind == "video")
        raise ValueError(f"no scene named {name!r}; the course's videos: {videos}")
    scene = catalogue[name]
    if scene.kind != "video":
        raise ValueError(f"{name} is a still, not a video")
    return SceneClip(scene, Runs(media).of(scene))

"""The recorded runs of a video scene: one service that build, review, --check and the notebook all ask.

Runs saved in a media folder are read instead of recorded when their recording fingerprint matches (the
training parameters, the recording code and torch's version), so a change to the drawing alone re-renders
without training, or importing torch.
"""

import dataclasses
from pathlib import Path

from . import manifest
from .files import sha256

REUSE = ("current", "any", "never")


class Runs:
    """The runs of video scenes, each recorded or read once.

    reuse: "current" reads saved runs whose recording is what recording now would give; "any" reads whatever
    is saved (`--check` draws from the committed recording); "never" always records (`--force`).
    """

    def __init__(self, media_dir: Path | None = None, reuse: str = "current"):
        assert reuse in REUSE, reuse
        self.media_dir, self.reuse = (Path(media_dir) if media_dir else None), reuse
        self.known: dict[str, tuple[object, list]] = {}  # by scene name: (the scene, its runs)

    def of(self, video) -> list:
        """The scene's runs: read when the policy allows and they are there, else recorded (importing torch)."""
        if video.name in self.known and self.known[video.name][0] == video:
            return self.known[video.name][1]
        runs = None
        if self.media_dir and self.reuse == "current":
            runs = self.current(video)
        elif self.media_dir and self.reuse == "any":
            runs = self.saved(video)
        if runs is None:
            runs = record(video)
        self.known[video.name] = (video, runs)
        return runs

    def current(self, video) -> list | None:
        """The saved runs if they are what recording `video` would give now, else None."""
        path = video.trajectory_path(self.media_dir)
        entry = manifest.load(self.media_dir).get(path.relative_to(self.media_dir).as_posix(), {})
        if entry.get("recording") != manifest.recording_fingerprint(video.describe()) or not path.is_file():
            return None
        if entry.get("sha256") != sha256(path):
            return None
        return self.saved(video)

    def saved(self, video) -> list | None:
        """The runs saved for `video`, whatever recorded them, or None when there are none to read."""
        from .trajectory import load_runs

        try:
            runs = load_runs(video.trajectory_path(self.media_dir))
        except (OSError, ValueError):
            return None
        # The scene parameters the runs carry are brought up to date with the scene that draws them.
        return [dataclasses.replace(run, meta=video.describe() | {"run": run.meta.get("run", {})}) for run in runs]


def record(video) -> list:
    """Train the scene afresh (torch is imported only here, when something must be trained)."""
    from .recorder import record_scene

    return record_scene(video)

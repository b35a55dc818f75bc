"""The recorded runs of a video scene: one service that build, review, --check and the notebook all ask.

Runs saved in a media folder are read instead of recorded when their recording fingerprint matches (the
training parameters, the recording code and torch's version), so a change to the drawing alone re-renders
without training, or importing torch. A saved file is trusted only once it proves to be a recording this scene
can draw (trajectory.load_runs checks the file, fits() the scene): otherwise it is recorded again with a note
saying why (a render), or refused with trajectory.BadRecording, one line naming the file (the rest).
"""

import dataclasses
from pathlib import Path

from . import folder, manifest
from .files import sha256

REUSE = ("current", "any", "never")
UNREADABLE = ("raise", "record")


class Runs:
    """The runs of video scenes, each recorded or read once.

    reuse: "current" reads saved runs whose recording is what recording now would give; "any" reads whatever
    is saved (`--check` draws from the committed recording); "never" always records (`--force`).
    unreadable: what a saved recording that cannot be trusted does: "raise" BadRecording, or "record" the scene
    again, noting why (take_notes).
    """

    def __init__(self, media_dir: Path | None = None, reuse: str = "current", unreadable: str = "raise"):
        assert reuse in REUSE and unreadable in UNREADABLE, (reuse, unreadable)
        self.media_dir, self.reuse, self.unreadable = (Path(media_dir) if media_dir else None), reuse, unreadable
        self.known: dict[str, tuple[object, list]] = {}  # by scene name: (the scene, its runs)
        self.notes: list[str] = []  # a line for each saved recording recorded again, and why

    def of(self, video) -> list:
        """The scene's runs: read when the policy allows and they are there, else recorded (importing torch)."""
        from .trajectory import BadRecording

        if video.name in self.known and self.known[video.name][0] == video:
            return self.known[video.name][1]
        runs = None
        try:
            if self.media_dir and self.reuse == "current":
                runs = self.current(video)
            elif self.media_dir and self.reuse == "any":
                runs = self.fitting(video, self.saved(video))
        except BadRecording as error:
            if self.unreadable == "raise":
                raise
            self.notes.append(f"{error}; recording {video.name} again")
        if runs is None:
            runs = record(video)
        self.known[video.name] = (video, runs)
        return runs

    def take_notes(self) -> list[str]:
        """The notes since the last call."""
        notes, self.notes = self.notes, []
        return notes

    def current(self, video) -> list | None:
        """The saved runs if they are what recording `video` would give now, else None."""
        path = video.trajectory_path(self.media_dir)
        entry = folder.load(self.media_dir).get(path.relative_to(self.media_dir).as_posix(), {})
        recording = manifest.recording_fingerprint(video.recording_params())
        if entry.get("recording") != recording or not folder.is_regular(path):
            return None
        if entry.get("sha256") != sha256(path):
            return None
        return self.fitting(video, self.saved(video))

    def saved(self, video) -> list | None:
        """The runs saved for `video`, whatever recorded them, or None when there are none to read; BadRecording
        if the file is not a recording."""
        from .trajectory import load_runs

        path = video.trajectory_path(self.media_dir)
        if not (path.exists() or path.is_symlink()):
            return None
        runs = load_runs(path)
        # The scene parameters the runs carry are brought up to date with the scene that draws them.
        return [dataclasses.replace(run, meta=video.describe() | {"run": run.meta.get("run", {})}) for run in runs]

    def fitting(self, video, runs: list | None) -> list | None:
        """The runs, if `video` can draw them: as many runs, steps, and the same kind of extras as it records."""
        from .trajectory import BadRecording

        if runs is None:
            return None
        why = misfit(video, runs)
        if why:
            raise BadRecording(f"{video.trajectory_path(self.media_dir)} is not {video.name}'s recording: {why}")
        return runs


def misfit(video, runs: list) -> str | None:
    """Why `video` cannot draw these runs, or None: the number of runs, their steps, and whether each has the
    landscape, the units and the test points the scene records."""
    wanted = max(1, len(video.variants))
    if len(runs) != wanted:
        return f"it holds {len(runs)} runs, the scene draws {wanted}"
    if runs[0].steps != video.steps:
        return f"it holds {runs[0].steps} steps, the scene has {video.steps}"
    for run in runs:
        kind = run.landscape.kind if run.landscape else None
        if kind != video.landscape:
            return f"its landscape is {kind or 'missing'}, the scene draws {video.landscape or 'none'}"
        if (run.units is not None) != (video.model == "mlp"):
            return "it has units where the scene has none, or none where it has them"
        if (run.test is not None) != bool(video.test_fraction):
            return "it has test points where the scene has none, or none where it has them"
    return None


def record(video) -> list:
    """Train the scene afresh (torch is imported only here, when something must be trained)."""
    from .recorder import record_scene

    return record_scene(video)

"""What a media folder holds, as the render that made it: each video rebuilt from its manifest entry, with its
recorded runs and the step each frame shows, or the one reason it cannot be shown.

review, frames, sheet and embed show what is in a folder, never what the catalogue would make now: a render
made with overrides (`--lr 0.0052 --out NEW`) is drawn with those overrides. Nothing here records or renders.
"""

import dataclasses
from dataclasses import MISSING, dataclass, fields
from pathlib import Path

from . import manifest
from .files import sha256
from .folder import MANIFEST
from .folder import load as manifest_entries
from .kinds import Video
from .scenes import video_from_table

UNTABLED = ("name", "kind", "loss")  # what Video.describe() adds that a scene's table does not hold


class Unshowable(Exception):
    """A scene's file the folder cannot show as made: missing, changed since it was rendered, or made by code
    whose frame-to-step map is not this code's. `scene` is what a render must make; `force`: even over files
    that look up to date."""

    def __init__(self, folder: Path, path: Path, reason: str, scene, force: bool = False):
        self.folder, self.relative = Path(folder), Path(path).relative_to(folder).as_posix()
        self.reason, self.scene, self.force = reason, scene, force
        super().__init__(f"{self.relative}: {reason}")


@dataclass(frozen=True, eq=False)
class Made:
    """A video as a folder holds it: the scene that made it, its recorded runs, and which step each frame shows."""

    scene: Video
    runs: list
    plan: object  # pacing.Plan
    folder: Path

    @property
    def video(self) -> Path:
        return self.scene.video_path(self.folder)


def entry_of(folder: Path, path: Path, entries: dict, scene) -> dict:
    """The manifest entry of a file that is on disk as the entry records it; Unshowable otherwise."""
    entry = entries.get(path.relative_to(folder).as_posix())
    if not path.is_file():
        raise Unshowable(folder, path, "missing", scene)
    if entry is None:
        raise Unshowable(folder, path, f"{MANIFEST} has no entry for it: not a render tp1viz can read", scene)
    if entry["bytes"] != path.stat().st_size or entry["sha256"] != sha256(path):
        raise Unshowable(folder, path, f"changed since it was rendered (its {MANIFEST} entry describes "
                         "other bytes)", scene)  # fmt: skip
    return entry


def defaults() -> dict:
    """Each Video field's default, where it has one."""
    found = {}
    for field in fields(Video):
        if field.default is not MISSING:
            found[field.name] = field.default
        elif field.default_factory is not MISSING:
            found[field.name] = field.default_factory()
    return found


def scene_table(described: dict) -> dict:
    """A manifest's record of a video scene (Video.describe()) as the table a scene file would hold."""
    table, default = {}, defaults()
    for key, value in described.items():
        if key == "variants":
            value = [{name: setting for name, setting in variant.items() if setting is not None} for variant in value]
        if key in UNTABLED or value is None or (key in default and value == default[key]):
            continue  # a default is the file's absence of a key; None is TOML's
        table[key] = value
    return table


def rebuilt(scene, described) -> Video:
    """The video scene a manifest entry records (Video.describe()), checked as a scene file's is; ValueError."""
    if not isinstance(described, dict) or described.get("kind") != "video" or described.get("name") != scene.name:
        raise ValueError(f"it records no video scene named {scene.name}")
    try:
        table = scene_table(described)
    except (TypeError, ValueError, AttributeError) as error:  # a number where notes belong, and such
        raise ValueError(f"its {MANIFEST} entry: {error}") from None
    return video_from_table(scene.name, table, f"its {MANIFEST} entry")  # SceneError: a ValueError


def made_scene(scene, folder: Path, entries: dict | None = None) -> Video:
    """The video scene as the folder's render of it was made: rebuilt from its video's manifest entry."""
    folder = Path(folder)
    entries = manifest_entries(folder) if entries is None else entries
    path = scene.video_path(folder)
    entry = entries.get(path.relative_to(folder).as_posix(), {})
    try:
        made, why = rebuilt(scene, entry.get("scene")), None
    except ValueError as error:
        made, why = None, error
    entry_of(folder, path, entries, made or scene)  # what a render must make: the folder's scene, where it is known
    if made is None:
        raise Unshowable(folder, path, f"cannot be drawn again: {why}", scene)
    return made


def read_runs(scene: Video, folder: Path, path: Path) -> list:
    """The runs the folder recorded for `scene`, each carrying the parameters that drew it."""
    from .trajectory import load_runs

    try:
        runs = load_runs(path)
    except (OSError, ValueError) as error:  # trajectory.BadRecording names the file; the line names it once
        why = str(error).removeprefix(f"{path} ").removeprefix("is ")
        raise Unshowable(folder, path, why, scene, force=True) from None
    return [dataclasses.replace(run, meta=scene.describe() | {"run": run.meta.get("run", {})}) for run in runs]


def made_video(scene, folder: Path) -> Made:
    """The video of `scene` in `folder` as it was made, with its runs and its frame-to-step map; Unshowable if the
    files are not what the manifest says, or the map cannot be worked out again by this code."""
    folder = Path(folder)
    entries = manifest_entries(folder)
    made = made_scene(scene, folder, entries)
    path = made.trajectory_path(folder)
    recording = entry_of(folder, path, entries, made)
    if recording.get("recording") != manifest.recording_fingerprint(made.recording_params()):
        raise Unshowable(folder, path, "recorded by other code (or another torch): which step each frame of its "
                         "video shows cannot be worked out again", made, force=True)  # fmt: skip
    runs = read_runs(made, folder, path)
    plan = made.plan(runs)
    frames = entries[made.video_path(folder).relative_to(folder).as_posix()].get("frames")
    if frames != len(plan):
        raise Unshowable(folder, made.video_path(folder), f"has {frames} frames where this code paces its runs in "
                         f"{len(plan)}: made by other code", made)  # fmt: skip
    return Made(made, runs, plan, folder)


def held(scenes: list, folder: Path, missing_ok: bool = False) -> dict:
    """Each scene as the folder holds it (a video's Made, a still's path; None for one whose video or picture is not
    there, when that is ok), by name; Unshowables naming every scene that cannot be shown."""
    found, problems = {}, []
    for scene in scenes:
        if missing_ok and not scene.primary(folder).is_file():
            found[scene.name] = None
            continue
        try:
            found[scene.name] = made_video(scene, folder) if scene.kind == "video" else still_file(scene, folder)
        except Unshowable as problem:
            problems.append(problem)
    if problems:
        raise Unshowables(problems)
    return found


class Unshowables(Exception):
    """Scenes a folder cannot show, each with its own reason."""

    def __init__(self, problems: list[Unshowable]):
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


def still_file(scene, folder: Path) -> Path:
    """A still's file in the folder, on disk as its manifest entry records it; Unshowable otherwise."""
    folder = Path(folder)
    path = scene.primary(folder)
    entry_of(folder, path, manifest_entries(folder), scene)
    return path

"""`render --check`: does a media folder hold what the code makes? Asked as three questions.

Float results differ in their last bits between CPUs, and an anti-aliased edge then moves by a pixel: a
fresh render cannot be held pixel for pixel against a committed one, and a per-pixel tolerance wide enough
for that would hide real changes. So the questions are kept apart:
1. The numbers: record afresh and compare with the committed recording, within a relative tolerance.
   And what it says beside them (its events, its landscape's labels and share, its parameters), word for word.
2. The pictures: draw every output from the committed recording and require the committed files: the same
   bytes where the manifest says this ffmpeg made them (drawing the same numbers gives the same bytes on every
   CPU), else what a viewer sees (compare.py: the decoded frames within a tolerance, and the metadata that
   changes the picture).
3. The manifest: each entry describes its file, and says what a render now would (the same parameters,
   versions, fingerprint, frame count, final loss), so `render` and `render --check` never disagree.
"""

import math
from dataclasses import dataclass
from pathlib import Path

from . import build, folder, manifest
from .compare import RECORDING_RTOL, compare, compare_fields, compare_runs
from .files import scratch_folder
from .runs import Runs


@dataclass(frozen=True)
class Stale:
    """One output that is not what the code makes, and why."""

    scene: str
    path: str  # relative to the media folder
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def check(scenes: list, out_dir: Path, jobs: int = 1) -> list[Stale]:
    """Every way the outputs of `scenes` in out_dir differ from what the code makes; empty when none do."""
    out_dir = Path(out_dir)
    scenes = [scene.with_formats_on_disk(out_dir) for scene in scenes]  # the WebM and GIF too
    build.check_folder([*scenes, *recorded_videos(scenes)], out_dir)  # nothing read through a link, or a FIFO
    committed = Runs(out_dir, reuse="any", unreadable="record")  # a recording that cannot be read: a stale line
    owned = {video.name for scene in scenes for video in scene.recordings if video is scene}  # write their runs
    problems = [problem for video in recorded_videos(scenes)
                for problem in check_recording(video, committed, video.name in owned)]  # fmt: skip
    data = folder.read(out_dir)
    entries, why = folder.valid_entries(data), unusable(data)
    unreadable = why is not None
    if unreadable:  # one line for it, not one per file it cannot describe
        problems.append(Stale("", folder.MANIFEST, f"{why}: no output counts as recorded"))
    this_ffmpeg = manifest.versions()["ffmpeg"]
    with scratch_folder() as scratch:
        for report in build.build(scenes, scratch, force=True, jobs=jobs, runs=committed):
            if isinstance(report, build.Notice):
                continue  # a recording that could not be drawn from: check_recording has said why
            if isinstance(report, build.Failed):
                problems.append(Stale(report.scene.name, report.scene.name, f"could not be rendered: {report.error}"))
                continue
            fresh_entries = folder.load(scratch)
            for output in report.outputs:
                relative = output.path.relative_to(scratch).as_posix()
                exact = made_by(entries.get(relative)) == this_ffmpeg  # the same encoder: the same bytes
                reason = None if output.kind == "trajectory" else compare(output.path, out_dir / relative, exact)
                if not reason and not unreadable:
                    reason = claims_problem(entries.get(relative), fresh_entries[relative], out_dir / relative)
                if reason:
                    problems.append(Stale(report.scene.name, relative, reason))
    order = {scene.name: index for index, scene in enumerate(scenes)}  # scenes finish in any order; lines do not
    return sorted(problems, key=lambda problem: order.get(problem.scene, -1))


def made_by(entry) -> str | None:
    """The ffmpeg that an entry says made its file, or None when it does not say."""
    versions = entry.get("versions") if isinstance(entry, dict) else None
    return versions.get("ffmpeg") if isinstance(versions, dict) else None


def unusable(data) -> str | None:
    """Why a manifest's content cannot describe any output, or None (absent is not unusable: each file says)."""
    if data is folder.UNREADABLE:
        return "cannot be read (not UTF-8 JSON)"
    if data is not None and not (isinstance(data, dict) and isinstance(data.get("outputs"), dict)):
        return 'is not a manifest (no "outputs" object)'
    return None


def recorded_videos(scenes: list) -> list:
    """The video scenes whose recordings `scenes` draw: the videos, and the sources of surface stills."""
    videos = {}
    for scene in scenes:
        for video in scene.recordings:
            videos.setdefault(video.name, video)
    return list(videos.values())


def check_recording(video, committed: Runs, owned: bool = True) -> list[Stale]:
    """Whether the committed recording of `video` holds the numbers recording it now gives. A recording only a
    still draws from (its video not checked) may be absent: rendering the still alone does not write it."""
    from .runs import record
    from .trajectory import BadRecording, load_runs

    path = video.trajectory_path(committed.media_dir)
    relative = path.relative_to(committed.media_dir).as_posix()
    if not (path.exists() or path.is_symlink()):
        return [] if not owned else [Stale(video.name, relative, "missing")]
    try:
        saved = load_runs(path)  # as recorded: its own parameters, not the scene's
    except BadRecording as error:
        return [Stale(video.name, relative, f"cannot be read: {str(error).split(': ', 1)[-1]}")]
    fresh = record(video)
    reason = compare_runs(saved, fresh)
    if reason:
        return [Stale(video.name, relative, f"the recorded numbers changed: {reason}")]
    reason = compare_fields(saved, fresh)
    return [Stale(video.name, relative, reason)] if reason else []


def claims_problem(entry, fresh: dict, path: Path) -> str | None:
    """Why a manifest entry does not describe its file as a render now would, or None."""
    if not isinstance(entry, dict):
        return f"{folder.MANIFEST} has no entry for it"
    if folder.is_regular(path) and not folder.describes(path, entry):
        return f"its {folder.MANIFEST} entry does not describe the file on disk (changed since it was rendered)"
    if entry.get("fingerprint") != fresh["fingerprint"]:
        return f"{folder.MANIFEST}: {why_fingerprints_differ(entry, fresh)}"
    for key, value in fresh.items():
        if key in ("sha256", "bytes"):
            continue  # the committed file's own, checked above; a CPU may encode other bytes for the same frames
        if key == "final_loss" and same_number(entry.get(key), value):
            continue
        if entry.get(key) != value:
            return f"{folder.MANIFEST} says {key} {entry.get(key)!r}, a render now gives {value!r}"
    return None


def same_number(a, b) -> bool:
    if a is None or b is None or not all(isinstance(v, int | float) for v in (a, b)):
        return a == b
    return math.isclose(a, b, rel_tol=RECORDING_RTOL)


def short(value) -> str:
    """A parameter's value for a one-line message: a long list of notes is cut, not the line's end."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def why_fingerprints_differ(entry: dict, fresh: dict) -> str:
    """The parameters or versions that made the committed output and differ now."""
    for what, key in (("parameters", "scene"), ("versions", "versions")):
        old, new = entry.get(key), fresh[key]
        if old != new:
            if not isinstance(old, dict):
                return f"no record of the {what} that made it"
            changed = [name for name in sorted(set(old) | set(new)) if old.get(name) != new.get(name)]
            shown = ", ".join(f"{name} {short(old.get(name))} (now {short(new.get(name))})" for name in changed[:4])
            more = f", and {', '.join(changed[4:])}" if changed[4:] else ""  # every name, if not every value
            return f"made with other {what}: {shown}{more}"
    return "its fingerprint matches no render of these parameters and versions (edited by hand?)"

"""Which outputs to make, where they go, whether they are up to date, and the calls that make them.

This module imports neither torch nor matplotlib at load time, so listing, help and a run with nothing
to do stay fast.
"""

import contextlib
import functools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import manifest
from .files import remove_stale_temps, sha256
from .scenes import VIDEO_FORMATS, Still, Video


@dataclass(frozen=True)
class Written:
    """One finished output file."""

    path: Path
    kind: str  # video | poster | still | trajectory
    width: int | None = None
    height: int | None = None
    fps: int | None = None
    frames: int | None = None

    @property
    def bytes(self) -> int:
        return self.path.stat().st_size


@dataclass
class Report:
    """What happened to one scene."""

    scene: Video | Still
    status: str  # rendered | up to date | failed
    written: list[Written] = field(default_factory=list)
    final_loss: float | None = None
    diverged_at: int | None = None  # first step whose loss overflowed
    error: str | None = None


def output_path(out_dir: Path, scene, suffix: str = "mp4") -> Path:
    """Where a scene's output goes; mirrors the page's paths (/videos/<name>.mp4, /<name>.png)."""
    if scene.kind == "video":
        return Path(out_dir) / "videos" / f"{scene.name}.{suffix}"
    return Path(out_dir) / scene.file_name


def poster_path(out_dir: Path, scene: Video) -> Path:
    """The final frame as a JPEG, for <video poster=...>."""
    return output_path(out_dir, scene, "jpg")


def trajectory_path(out_dir: Path, scene: Video) -> Path:
    """Where a video's recorded trajectory is kept, beside the media it was drawn from."""
    return Path(out_dir) / "trajectories" / f"{scene.name}.npz"


def output_paths(out_dir: Path, scene) -> list[Path]:
    """Every file a scene makes."""
    if scene.kind == "video":
        videos = [output_path(out_dir, scene, suffix) for suffix in scene.formats]
        return [trajectory_path(out_dir, scene), *videos, poster_path(out_dir, scene)]
    return [output_path(out_dir, scene)]


def with_present_formats(scene, out_dir: Path):
    """The scene, also asking for every format already on disk, so an old WebM or GIF is never left stale."""
    if scene.kind != "video":
        return scene
    present = [suffix for suffix in VIDEO_FORMATS if output_path(out_dir, scene, suffix).is_file()]
    return scene.with_overrides(formats=present)


def hold_frames(scene: Video) -> int:
    """How many repeats of the final frame keep it on screen for `scene.hold` seconds."""
    return round(scene.hold * scene.fps)


def frame_count(scene: Video) -> int:
    """Frames in the video: one per snapshot, then the held final frame."""
    return scene.steps + 1 + hold_frames(scene)


def select(names: list[str] | tuple[str, ...], catalog: dict) -> list:
    """The named scenes in the order given, or every scene; unknown names raise KeyError."""
    if not names:
        return list(catalog.values())
    unknown = [name for name in names if name not in catalog]
    if unknown:
        raise KeyError(", ".join(unknown))
    return [catalog[name] for name in dict.fromkeys(names)]


def animate(scene: Video, runs: list):
    """The renderer for a scene's recorded runs, as the video draws them."""
    from .draw import LAYOUTS

    return LAYOUTS[scene.layout](runs, size=scene.size, title=scene.heading)


def video_writer(scene: Video, out_dir: Path):
    """One ffmpeg per requested format, fed by a single drawing pass."""
    from .encode import FORMATS, FanOut, VideoWriter

    writers = [VideoWriter(output_path(out_dir, scene, f), scene.size, scene.fps, FORMATS[f]) for f in scene.formats]
    return FanOut(writers)


def scene_inputs(scene, recorded: dict | None = None, saved: Callable | None = None) -> object:
    """What drawing a scene needs from torch: a video's recorded runs, a surface's run, or a data set.

    `recorded` keeps runs by scene name, so a surface still reuses the run of the video it shows;
    `saved(video)` gives runs saved earlier to draw instead of recording, or None to record.
    """
    recorded = {} if recorded is None else recorded
    if scene.kind == "video" or scene.layout == "surface":
        video = scene if scene.kind == "video" else scene.source
        if video.name not in recorded or recorded[video.name][0] != video:
            runs = saved(video) if saved else None
            if runs is None:
                from .recorder import record_scene  # torch is imported only when something must be trained

                runs = record_scene(video)
            recorded[video.name] = (video, runs)
        runs = recorded[video.name][1]
        return runs if scene.kind == "video" else runs[:1]
    from .recorder import scene_data

    x, y, _ = scene_data(scene)
    return x.numpy().ravel(), y.numpy().ravel()


def saved_runs(video: Video, out_dir: Path) -> list | None:
    """The runs saved in out_dir if they are what recording `video` would give now, else None."""
    path = trajectory_path(out_dir, video)
    entry = manifest.load(out_dir).get(path.relative_to(out_dir).as_posix(), {})
    if entry.get("recording") != manifest.recording_fingerprint(video.describe()) or not path.is_file():
        return None
    if entry.get("sha256") != sha256(path):
        return None
    return committed_runs(video, out_dir)


def committed_runs(video: Video, out_dir: Path) -> list | None:
    """The runs saved in out_dir for `video`, whatever recorded them, or None when there are none to read."""
    import dataclasses
    import zipfile

    from .trajectory import load_runs

    try:
        runs = load_runs(trajectory_path(out_dir, video))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None
    # The scene parameters the runs carry are brought up to date with the scene that draws them.
    return [dataclasses.replace(run, meta=video.describe() | {"run": run.meta.get("run", {})}) for run in runs]


def render_video(
    scene: Video, out_dir: Path, on_frame: Callable[[], None] | None = None, writer=None, runs: list | None = None
) -> Report:
    """Encode one frame per recorded step into out/videos/<name>.<format>, plus the poster and the runs."""
    from .encode import saving
    from .trajectory import save_runs

    runs = scene_inputs(scene) if runs is None else runs
    animation = animate(scene, runs)
    with saving(writer or video_writer(scene, out_dir)) as sink:
        for frame in animation.frames(hold=hold_frames(scene)):
            sink.grab_frame(frame)
            if on_frame:
                on_frame()
    # Posters and runs come after the videos, so a failed encode leaves no half-made scene.
    write_image(poster_path(out_dir, scene), frame)
    save_runs(trajectory_path(out_dir, scene), runs)
    videos = [Written(output_path(out_dir, scene, f), "video", scene.size, scene.size, scene.fps, sink.frames)
              for f in scene.formats]  # fmt: skip
    final_loss = float(runs[0].loss[-1])
    return Report(
        scene,
        "rendered",
        [
            Written(trajectory_path(out_dir, scene), "trajectory"),
            *videos,
            Written(poster_path(out_dir, scene), "poster", scene.size, scene.size, None, 1),
        ],  # fmt: skip
        final_loss=final_loss if math.isfinite(final_loss) else None,
        diverged_at=animation.diverged_at,
    )


def render_still(scene: Still, out_dir: Path, inputs: object = None) -> Report:
    """Draw a data set's scatter plot, or a landscape video's loss surface, into out/<file>."""
    from . import draw

    inputs = scene_inputs(scene) if inputs is None else inputs
    if scene.layout == "surface":
        rgba = draw.surface_still(inputs[0], scene.title, scene.size)
    else:
        rgba = draw.data_still(*inputs, scene.title, scene.size)
    path = output_path(out_dir, scene)
    write_image(path, rgba)
    return Report(scene, "rendered", [Written(path, "still", scene.size, scene.size, None, 1)])


def write_image(path: Path, rgba) -> None:
    """Save an opaque RGBA frame as PNG (lossless) or JPEG (by the suffix), atomically, with no timestamp."""
    import imageio.v3 as iio

    from .files import write_bytes

    options = {"quality": 90} if path.suffix in (".jpg", ".jpeg") else {}
    write_bytes(path, iio.imwrite("<bytes>", rgba[..., :3], extension=path.suffix, **options))


def render_scene(scene, out_dir: Path, on_frame: Callable[[], None] | None = None, inputs: object = None) -> Report:
    """Make every output of one scene, from its scene_inputs (computed here when not given)."""
    if scene.kind == "video":
        return render_video(scene, out_dir, on_frame, runs=inputs)
    return render_still(scene, out_dir, inputs)


def failure_message(error: Exception) -> str:
    from .encode import EncoderError

    if isinstance(error, EncoderError):
        return str(error)
    if isinstance(error, OSError) and error.filename:
        return f"cannot write {error.filename}: {error.strerror}"
    return f"{type(error).__name__}: {error}"


def render_safely(scene, out_dir: Path, on_frame: Callable[[], None] | None = None, inputs: object = None) -> Report:
    """render_scene, with a failure reported instead of raised, so one bad scene costs no other its outputs."""
    if isinstance(inputs, Report):
        return inputs  # recording failed already
    try:
        return render_scene(scene, out_dir, on_frame, inputs)
    except Exception as error:
        return Report(scene, "failed", error=failure_message(error))


def scene_inputs_or_failure(scene, recorded: dict, saved: Callable | None = None) -> object:
    """scene_inputs, or the failed Report that explains why there are none."""
    try:
        return scene_inputs(scene, recorded, saved)
    except Exception as error:
        return Report(scene, "failed", error=failure_message(error))


def cost(scene) -> int:
    """A rough render cost, to start the longest scenes first."""
    if scene.kind == "still":
        return 20 * scene.size**2
    return frame_count(scene) * scene.size**2 * max(1, len(scene.variants))


def recording_order(scenes: list) -> list:
    """Data stills first (they need torch but no optimizer, so they are drawn while the optimizers' modules
    load), then videos longest first, then surfaces, which reuse their video's run."""

    def rank(scene):
        group = 0 if scene.kind == "still" and scene.layout == "data" else 2 if scene.kind == "still" else 1
        return group, -cost(scene)

    return sorted(scenes, key=rank)


def manifest_entries(report: Report, out_dir: Path, fingerprint: str) -> dict[str, dict]:
    """The manifest's entries for a rendered scene, keyed by path relative to out_dir."""
    entries = {}
    for written in report.written:
        relative = written.path.relative_to(out_dir).as_posix()
        entries[relative] = {
            "path": relative,
            "kind": written.kind,
            "format": written.path.suffix.lstrip("."),
            "sha256": sha256(written.path),
            "bytes": written.bytes,
            "width": written.width,
            "height": written.height,
            "fps": written.fps,
            "frames": written.frames,
            "duration": round(written.frames / written.fps, 6) if written.fps else None,
            "scene": report.scene.describe(),
            "final_loss": report.final_loss,
            "diverged_at": report.diverged_at,
            "fingerprint": fingerprint,
            "versions": manifest.versions(),  # what made it, so `--check` can say what changed
        }
        if written.kind == "trajectory":
            entries[relative]["recording"] = manifest.recording_fingerprint(report.scene.describe())
    return entries


def is_up_to_date(scene, out_dir: Path, entries: dict) -> bool:
    """True when every output of `scene` is on disk as the manifest recorded it, with today's fingerprint."""
    relative = [path.relative_to(out_dir).as_posix() for path in output_paths(out_dir, scene)]
    return manifest.is_current(out_dir, relative, manifest.fingerprint(scene.describe()), entries)


def build(
    scenes: list,
    out_dir: Path,
    force: bool = False,
    progress: Callable | None = None,
    jobs: int = 1,
    saved: Callable | None = None,
) -> Iterator[Report]:
    """Render each scene that is not up to date, record it in the manifest, and report as each finishes.

    Rendered scenes go through `jobs` worker processes (in this process when 1). `progress(label, total)`
    may return a context manager that yields advance(frames), for a progress bar. `saved(video)` gives the
    runs to draw a video from; by default, those saved in out_dir while their recording is current.
    """
    from .jobs import can_fork, render_parallel

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(out_dir)
    entries = manifest.load(out_dir)
    if saved is None and not force:  # --force trains again too
        saved = functools.partial(saved_runs, out_dir=out_dir)
    todo = []
    for scene in scenes:
        scene = with_present_formats(scene, out_dir)
        if not force and is_up_to_date(scene, out_dir, entries):
            yield Report(scene, "up to date", [Written(output_path(out_dir, scene), scene.kind)])
        else:
            todo.append(scene)
    if jobs > 1 and len(todo) > 1 and can_fork():
        total = sum(frame_count(scene) for scene in todo if scene.kind == "video")  # the bar counts video frames
        with progress_or_nothing(progress, f"{len(todo)} scenes", total) as advance:
            reports = render_parallel(recording_order(todo), out_dir, jobs, advance, saved)
            yield from recorded_in_manifest(reports, out_dir)
        return
    recorded = {}
    for scene in recording_order(todo):
        total = frame_count(scene) if scene.kind == "video" else 1
        with progress_or_nothing(progress if scene.kind == "video" else None, scene.name, total) as advance:
            on_frame = (lambda: advance(1)) if advance else None
            report = render_safely(scene, out_dir, on_frame, scene_inputs_or_failure(scene, recorded, saved))
        yield from recorded_in_manifest([report], out_dir)


def recorded_in_manifest(reports, out_dir: Path) -> Iterator[Report]:
    """Each report, after its rendered outputs are entered in the manifest."""
    for report in reports:
        if report.status == "rendered":
            fingerprint = manifest.fingerprint(report.scene.describe())
            manifest.update(out_dir, manifest_entries(report, out_dir, fingerprint))
        yield report


@contextlib.contextmanager
def progress_or_nothing(progress: Callable | None, label: str, total: int):
    if progress is None:
        yield None
    else:
        with progress(label, total) as advance:
            yield advance

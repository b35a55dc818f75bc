"""Which outputs to make, where they go, whether they are up to date, and the calls that make them.

This module imports neither torch nor matplotlib at load time, so listing, help and a run with nothing
to do stay fast.
"""

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import manifest
from .files import remove_stale_temps, sha256
from .scenes import Still, Video


@dataclass(frozen=True)
class Written:
    """One finished output file."""

    path: Path
    kind: str  # video | still | trajectory
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


def output_path(out_dir: Path, scene) -> Path:
    """Where a scene's main output goes; mirrors the page's paths (/videos/<name>.mp4, /<name>.png)."""
    if scene.kind == "video":
        return Path(out_dir) / "videos" / f"{scene.name}.mp4"
    return Path(out_dir) / scene.file_name


def trajectory_path(out_dir: Path, scene: Video) -> Path:
    """Where a video's recorded trajectory is kept, beside the media it was drawn from."""
    return Path(out_dir) / "trajectories" / f"{scene.name}.npz"


def output_paths(out_dir: Path, scene) -> list[Path]:
    """Every file a scene makes."""
    if scene.kind == "video":
        return [trajectory_path(out_dir, scene), output_path(out_dir, scene)]
    return [output_path(out_dir, scene)]


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


def render_video(scene: Video, out_dir: Path, on_frame: Callable[[], None] | None = None, writer=None) -> Report:
    """Record the scene, keep its trajectory, and encode one frame per step into out/videos/<name>.mp4."""
    from .encode import VideoWriter, saving
    from .record import record_scene
    from .trajectory import save_runs

    runs = record_scene(scene)
    path = output_path(out_dir, scene)
    animation = animate(scene, runs)
    with saving(writer or VideoWriter(path, scene.size, scene.fps)) as sink:
        for frame in animation.frames(hold=hold_frames(scene)):
            sink.grab_frame(frame)
            if on_frame:
                on_frame()
    video = Written(path, "video", scene.size, scene.size, scene.fps, sink.frames)
    traj_file = trajectory_path(out_dir, scene)
    save_runs(traj_file, runs)  # after the video, so a failed encode leaves no half-made scene
    final_loss = float(runs[0].loss[-1])
    return Report(
        scene,
        "rendered",
        [Written(traj_file, "trajectory"), video],
        final_loss=final_loss if math.isfinite(final_loss) else None,
        diverged_at=animation.diverged_at,
    )


def render_still(scene: Still, out_dir: Path) -> Report:
    """Draw a data set's scatter plot, or a landscape video's loss surface, into out/<file>."""
    from . import draw
    from .record import record_scene, scene_data

    if scene.layout == "surface":
        rgba = draw.surface_still(record_scene(scene.source)[0], scene.title, scene.size)
    else:
        x, y, _ = scene_data(scene)
        rgba = draw.data_still(x.numpy().ravel(), y.numpy().ravel(), scene.title, scene.size)
    path = output_path(out_dir, scene)
    write_image(path, rgba)
    return Report(scene, "rendered", [Written(path, "still", scene.size, scene.size, None, 1)])


def write_image(path: Path, rgba) -> None:
    """Save an opaque RGBA frame as PNG (lossless) or JPEG (by the suffix), atomically, with no timestamp."""
    import imageio.v3 as iio

    from .files import write_bytes

    options = {"quality": 92} if path.suffix in (".jpg", ".jpeg") else {}
    write_bytes(path, iio.imwrite("<bytes>", rgba[..., :3], extension=path.suffix, **options))


def render_scene(scene, out_dir: Path, on_frame: Callable[[], None] | None = None) -> Report:
    """Make every output of one scene."""
    if scene.kind == "video":
        return render_video(scene, out_dir, on_frame)
    return render_still(scene, out_dir)


def manifest_entries(report: Report, out_dir: Path, fingerprint: str) -> dict[str, dict]:
    """The manifest's entries for a rendered scene, keyed by path relative to out_dir."""
    entries = {}
    for written in report.written:
        relative = written.path.relative_to(out_dir).as_posix()
        entries[relative] = {
            "path": relative,
            "kind": written.kind,
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
        }
    return entries


def is_up_to_date(scene, out_dir: Path, entries: dict) -> bool:
    """True when every output of `scene` is on disk as the manifest recorded it, with today's fingerprint."""
    relative = [path.relative_to(out_dir).as_posix() for path in output_paths(out_dir, scene)]
    return manifest.is_current(out_dir, relative, manifest.fingerprint(scene.describe()), entries)


def build(scenes: list, out_dir: Path, force: bool = False, progress: Callable | None = None) -> Iterator[Report]:
    """Render each scene that is not up to date, record it in the manifest, and report as each finishes.

    `progress(scene)` may return a context manager yielding an on_frame callback, for a progress bar.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(out_dir)
    entries = manifest.load(out_dir)
    for scene in scenes:
        if not force and is_up_to_date(scene, out_dir, entries):
            yield Report(scene, "up to date", [Written(output_path(out_dir, scene), scene.kind)])
            continue
        if progress and scene.kind == "video":
            with progress(scene) as on_frame:
                report = render_scene(scene, out_dir, on_frame)
        else:
            report = render_scene(scene, out_dir)
        manifest.update(out_dir, manifest_entries(report, out_dir, manifest.fingerprint(scene.describe())))
        yield report


def check(scenes: list, out_dir: Path) -> list[str]:
    """Render `scenes` afresh into a temporary folder and say how out_dir differs; empty when it does not."""
    import tempfile

    from .compare import compare

    out_dir = Path(out_dir)
    entries = manifest.load(out_dir)
    problems = []
    with tempfile.TemporaryDirectory(prefix="tp1viz-check-") as fresh:
        for report in build(scenes, Path(fresh), force=True):
            for written in report.written:
                relative = written.path.relative_to(fresh).as_posix()
                committed = out_dir / relative
                problem = compare(written.path, committed)
                if problem is None and entries.get(relative, {}).get("sha256") != sha256(committed):
                    problem = f"its {manifest.MANIFEST} entry does not match the file"
                if problem:
                    problems.append(f"{relative}: {problem}")
    return problems

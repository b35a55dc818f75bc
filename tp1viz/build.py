"""Which outputs to make, where they go, and the calls that make them: record, draw, encode.

This module imports neither torch nor matplotlib at load time, so listing and help stay instant.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .scenes import SCENES, Still, Video


@dataclass(frozen=True)
class Written:
    """One finished output file."""

    path: Path
    frames: int  # 1 for a still
    bytes: int


def output_path(out_dir: Path, scene) -> Path:
    """Where a scene's output goes; mirrors the page's paths (/videos/<name>.mp4, /<name>.png)."""
    if scene.kind == "video":
        return Path(out_dir) / "videos" / f"{scene.name}.mp4"
    return Path(out_dir) / f"{scene.name}.png"


def trajectory_path(out_dir: Path, scene: Video) -> Path:
    """Where a video's recorded trajectory is kept, beside the media it was drawn from."""
    return Path(out_dir) / "trajectories" / f"{scene.name}.npz"


def hold_frames(scene: Video) -> int:
    """How many repeats of the final frame keep it on screen for `scene.hold` seconds."""
    return round(scene.hold * scene.fps)


def frame_count(scene: Video) -> int:
    """Frames in the video: one per snapshot, then the held final frame."""
    return scene.steps + 1 + hold_frames(scene)


def select(names: list[str] | tuple[str, ...]) -> list:
    """The named scenes in the order given, or every scene; unknown names raise KeyError."""
    if not names:
        return list(SCENES.values())
    unknown = [name for name in names if name not in SCENES]
    if unknown:
        raise KeyError(", ".join(unknown))
    return [SCENES[name] for name in dict.fromkeys(names)]


def render_video(scene: Video, out_dir: Path, on_frame: Callable[[], None] | None = None, writer=None) -> Written:
    """Record the scene, keep its trajectory, and encode one frame per step into out/videos/<name>.mp4."""
    from .draw import FitAnimation
    from .encode import VideoWriter, saving
    from .record import record_scene

    traj = record_scene(scene)
    traj.save(trajectory_path(out_dir, scene))
    path = output_path(out_dir, scene)
    animation = FitAnimation(traj, size=scene.size, title=scene.title)
    with saving(writer or VideoWriter(path, scene.size, scene.fps)) as sink:
        for frame in animation.frames(hold=hold_frames(scene)):
            sink.grab_frame(frame)
            if on_frame:
                on_frame()
    return Written(path, sink.frames, path.stat().st_size if path.exists() else 0)


def render_still(scene: Still, out_dir: Path) -> Written:
    """Scatter the scene's data set into out/<name>.png."""
    from .draw import data_still
    from .record import scene_data

    x, y, _ = scene_data(scene)
    rgba = data_still(x.numpy().ravel(), y.numpy().ravel(), scene.title, scene.size)
    path = output_path(out_dir, scene)
    write_png(path, rgba)
    return Written(path, 1, path.stat().st_size)


def write_png(path: Path, rgba) -> None:
    """Save an opaque RGBA frame as a lossless RGB PNG, atomically, with no timestamp in it."""
    import imageio.v3 as iio

    from .files import write_bytes

    write_bytes(path, iio.imwrite("<bytes>", rgba[..., :3], extension=".png"))

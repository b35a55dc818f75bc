"""Render speed, three ways, in one run (a script, not a test: `python tests/benchmarks/bench_render.py`).

1. tp1viz: the blitting renderer piped to ffmpeg.
2. The textbook way: matplotlib.animation.FuncAnimation(...).save(...) with FFMpegWriter, the same picture.
3. The encoder-only bound: the same frames, drawn beforehand, piped to the same encoder.

Speeds are frames per second; the ratios compare ways measured in the same run, so a noisy machine
affects them less than it affects the absolute numbers.
"""

import argparse
import platform
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.animation import FFMpegWriter, FuncAnimation  # noqa: E402

from tp1viz import build  # noqa: E402
from tp1viz.encode import VideoWriter, saving  # noqa: E402
from tp1viz.recorder import record_scene  # noqa: E402
from tp1viz.scenes import load_catalog  # noqa: E402


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def tp1viz_way(runs, scene, out: Path) -> None:
    animation = build.animate(scene, runs)
    with saving(VideoWriter(out, scene.size, scene.fps)) as sink:
        for frame in animation.frames(hold=build.hold_frames(scene)):
            sink.grab_frame(frame)


def textbook_way(traj, scene, out: Path) -> None:
    """What a tutorial writes: pyplot figure, an update function, FuncAnimation.save with FFMpegWriter."""
    matplotlib.rcParams["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()
    fig, (fit_ax, loss_ax) = plt.subplots(2, 1, figsize=(5.12, 5.12), dpi=100, height_ratios=[2.3, 1])
    fit_ax.scatter(traj.x, traj.y, s=12, color="tab:blue")
    (curve,) = fit_ax.plot([], [], color="tab:red", lw=2.4)
    fit_ax.set_ylim(traj.y.min() - 1, traj.y.max() + 1)
    (loss_line,) = loss_ax.plot([], [], color="tab:red")
    (marker,) = loss_ax.plot([], [], "o", color="tab:red")
    loss_ax.set_xlim(0, traj.steps)
    loss_ax.set_ylim(0, traj.loss.max() * 1.08)
    last = traj.steps

    def update(i):
        k = min(i, last)
        curve.set_data(traj.grid_x, traj.grid_pred[k])
        loss_line.set_data(range(k + 1), traj.loss[: k + 1])
        marker.set_data([k], [traj.loss[k]])
        fit_ax.set_title(f"step {k} / {last}    loss {traj.loss[k]:#.4g}")
        return curve, loss_line, marker

    frames = build.frame_count(scene)
    FuncAnimation(fig, update, frames=frames, blit=True).save(out, writer=FFMpegWriter(fps=scene.fps))
    plt.close(fig)


def encoder_only(frames, scene, out: Path) -> None:
    with saving(VideoWriter(out, scene.size, scene.fps)) as sink:
        for frame in frames:
            sink.grab_frame(frame)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs for each way")
    repeat = parser.parse_args().repeat

    scene = load_catalog()["linear_sgd"]
    runs = record_scene(scene)
    traj = runs[0]
    frames = build.frame_count(scene)
    animation = build.animate(scene, runs)
    predrawn = [frame.copy() for frame in animation.frames(hold=build.hold_frames(scene))]

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        ways = {
            "tp1viz": lambda: tp1viz_way(runs, scene, out / "a.mp4"),
            "FuncAnimation.save": lambda: textbook_way(traj, scene, out / "b.mp4"),
            "encoder only": lambda: encoder_only(predrawn, scene, out / "c.mp4"),
        }
        best = {name: min(timed(way) for _ in range(repeat)) for name, way in ways.items()}

    fps = {name: frames / seconds for name, seconds in best.items()}
    print(f"linear_sgd, {scene.size}x{scene.size}, {frames} frames, best of {repeat}")
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
          f"matplotlib {matplotlib.__version__}")  # fmt: skip
    print("| way | frames/s | ms/frame |")
    print("|---|---:|---:|")
    for name, value in fps.items():
        print(f"| {name} | {value:.0f} | {1000 / value:.1f} |")
    print(f"tp1viz / FuncAnimation.save: {fps['tp1viz'] / fps['FuncAnimation.save']:.1f}x (target >= 15x)")
    print(f"encoder-only bound / tp1viz: {fps['encoder only'] / fps['tp1viz']:.2f}x")


if __name__ == "__main__":
    main()

"""tp1viz's speed, measured against what users would otherwise use, in one run.

A script, not a test: `.venv/bin/python tests/benchmarks/bench_render.py` (about 5 minutes; a line on stderr as
each stage starts). It prints one table:

1. Rendering linear_sgd at 512x512 three ways: tp1viz (the blitting renderer piped to ffmpeg), the textbook
   `FuncAnimation(...).save(...)` with FFMpegWriter drawing the same picture, and the encoder-only bound
   (the same frames, drawn beforehand, piped to the same encoder).
2. `./render --force` of every scene from cold (a new process), with --jobs 1 and with the default, against
   the CPU time of the --jobs 1 run (ffmpeg's included) divided by the number of cores.
3. The start-up time of `tp1viz --help` and `tp1viz list`.
4. The cost of recording a snapshot at every step, against the page's bare training loop.
5. The wall time of the test suite, against a cold serial render made just before it (pairs, median).

Ratios compare ways measured in the same run, so a noisy machine moves them less than the absolute numbers.
"""

import argparse
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

try:
    import imageio_ffmpeg
    import matplotlib
except ImportError as missing:  # run by a Python without tp1viz's dependencies
    sys.exit(f"{missing}: run this with the environment tp1viz is installed in: .venv/bin/python {sys.argv[0]}")

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.animation import FFMpegWriter, FuncAnimation  # noqa: E402

from tp1viz.encode import VideoWriter, saving  # noqa: E402
from tp1viz.executor import available_cpus  # noqa: E402
from tp1viz.kinds import encode_video  # noqa: E402
from tp1viz.recorder import record_scene  # noqa: E402
from tp1viz.scenes import load_catalog  # noqa: E402

STARTED = time.perf_counter()


def stage(text: str) -> None:
    """Say what is measured now: the whole run takes minutes."""
    print(f"[{time.perf_counter() - STARTED:5.0f} s] {text}", file=sys.stderr, flush=True)


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def tp1viz_way(runs, scene, out: Path) -> None:
    with saving(VideoWriter(out, scene.size, scene.fps)) as sink:
        encode_video(scene.animation(runs), sink)


def textbook_way(traj, scene, frames: int, out: Path) -> None:
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

    FuncAnimation(fig, update, frames=frames, blit=True).save(out, writer=FFMpegWriter(fps=scene.fps))
    plt.close(fig)


def encoder_only(frames, scene, out: Path) -> None:
    with saving(VideoWriter(out, scene.size, scene.fps)) as sink:
        for frame in frames:
            sink.grab_frame(frame)


ROOT = Path(__file__).resolve().parents[2]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cold_render(jobs: int | None, repeat: int) -> tuple[float, float]:
    """Best wall time, and its CPU time, of `tp1viz render --force` of every scene in a new process."""
    best = (float("inf"), 0.0)
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as out:
            command = [sys.executable, "-m", "tp1viz", "render", "--force", "-q", "--out", out]
            command += ["--jobs", str(jobs)] if jobs else []
            cpu, start = children_cpu(), time.perf_counter()
            subprocess.run(command, check=True, cwd=ROOT)
            best = min(best, (time.perf_counter() - start, children_cpu() - cpu))
    return best


def test_suite() -> float:
    """Wall time of the README's test command, `pytest`, in a new process."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q"], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:  # a suite that fails has no time worth reporting: say why instead
        sys.exit(f"pytest failed:\n{result.stdout[-6000:]}")
    return time.perf_counter() - start


def suite_against_cold(pairs: int) -> list[tuple[float, float]]:
    """(pytest, cold `render --force --jobs 1`) wall times, each pair measured back to back, `pairs` times.

    On a shared machine either can take a third longer from one minute to the next; a pair sees the same
    machine, and the median of the pairs' ratios is what is reported.
    """
    return [(test_suite(), cold_render(1, 1)[0]) for _ in range(pairs)]


def startup(*args: str, repeat: int = 5) -> float:
    """Best wall time of `tp1viz ARGS` in a new process."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tp1viz", *args], check=True, cwd=ROOT, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def recording_overhead(steps: int = 2000) -> dict[str, float]:
    """Per model: seconds per step recorded by tp1viz.record / seconds per step of the page's bare loop."""
    import torch

    from tp1viz import datasets, models
    from tp1viz.recorder import record

    def fresh(model):
        generator = torch.Generator().manual_seed(7)
        x, y = datasets.make("pow", generator)
        net = models.make(model, generator)
        return net, x, y, torch.optim.SGD(net.parameters(), lr=0.1), torch.nn.MSELoss()

    def bare(model):
        net, x, y, optimizer, loss_fn = fresh(model)
        start = time.perf_counter()
        for _ in range(steps):
            loss = loss_fn(net(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return time.perf_counter() - start

    def recorded(model):
        start = time.perf_counter()
        record(*fresh(model), steps=steps)
        return time.perf_counter() - start

    return {model: min(map(recorded, [model] * 3)) / min(map(bare, [model] * 3)) for model in ("linear", "mlp")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs for each rendering way")
    parser.add_argument("--cold-repeat", type=int, default=2, help="best of N cold renders of every scene")
    parser.add_argument("--suite-pairs", type=int, default=3, help="pytest and a cold serial render, N times each")
    parser.add_argument("--no-suite", dest="suite", action="store_false", help="do not time the test suite")
    options = parser.parse_args()
    repeat = options.repeat

    # A frame a step, and the frames its captions are held for: every way draws as many frames as the video has.
    stage("rendering linear_sgd three ways: tp1viz, FuncAnimation.save, the encoder alone")
    scene = load_catalog()["linear_sgd"].with_overrides(pace="steps", max_seconds=3600)
    runs = record_scene(scene)
    traj = runs[0]
    animation = scene.animation(runs)
    frames = len(animation.plan)
    predrawn = [frame.copy() for frame in animation.frames()]

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        ways = {
            "tp1viz": lambda: tp1viz_way(runs, scene, out / "a.mp4"),
            "FuncAnimation.save": lambda: textbook_way(traj, scene, frames, out / "b.mp4"),
            "encoder only": lambda: encoder_only(predrawn, scene, out / "c.mp4"),
        }
        best = {name: min(timed(way) for _ in range(repeat)) for name, way in ways.items()}

    fps = {name: frames / seconds for name, seconds in best.items()}
    cores = available_cpus()
    stage(f"a cold `render --force` of every scene, one job then {cores} (best of {options.cold_repeat} each)")
    serial_wall, serial_cpu = cold_render(1, options.cold_repeat)
    parallel_wall, _ = cold_render(None, options.cold_repeat)
    stage("the start-up of `tp1viz --help` and `tp1viz list`")
    help_time, list_time = startup("--help"), startup("list")
    stage("recording every step against the page's bare loop")
    overhead = recording_overhead()
    if options.suite:
        stage(f"the test suite against a cold serial render, {options.suite_pairs} pairs")
    pairs = suite_against_cold(options.suite_pairs) if options.suite else []

    print(f"machine: {platform.machine()}, {cores} cores, {platform.python_implementation()} "
          f"{platform.python_version()}, matplotlib {matplotlib.__version__}")  # fmt: skip
    print()
    print("| measure | value | target |")
    print("|---|---:|---|")
    for name, value in fps.items():
        print(f"| {name}: linear_sgd {scene.size}x{scene.size}, {frames} frames (best of {repeat}) | "
              f"{value:.0f} frames/s ({1000 / value:.1f} ms/frame) | |")  # fmt: skip
    speedup = fps["tp1viz"] / fps["FuncAnimation.save"]
    bound = fps["encoder only"] / fps["tp1viz"]
    print(f"| tp1viz / FuncAnimation.save | {speedup:.1f}x | >= 25x {'met' if speedup >= 25 else 'MISSED'} |")
    print(f"| encoder-only bound / tp1viz | {bound:.2f}x | <= 2x {'met' if bound <= 2 else 'MISSED'} |")
    print(f"| cold `render --force`, every scene, --jobs 1 | {serial_wall:.1f} s (CPU {serial_cpu:.1f} s) | |")
    share = parallel_wall / (serial_cpu / cores)
    print(f"| cold `render --force`, every scene, --jobs {cores} (default) | {parallel_wall:.1f} s | |")
    print(f"| ... / (CPU of --jobs 1 / {cores} cores) | {share:.2f}x | <= 1.2x {'met' if share <= 1.2 else 'MISSED'} |")
    print(f"| `tp1viz --help` / `tp1viz list` start-up | {help_time * 1000:.0f} ms / {list_time * 1000:.0f} ms | "
          "no torch, no matplotlib (tested) |")  # fmt: skip
    for model, ratio in overhead.items():
        met = "met" if ratio <= 2 else "MISSED"
        print(f"| recording every step / bare loop, {model} net | {ratio:.2f}x | <= 2x {met} |")
    if pairs:
        suites, colds = sorted(suite for suite, _ in pairs), sorted(cold for _, cold in pairs)
        ratios = sorted(suite / cold for suite, cold in pairs)
        ratio = statistics.median(ratios)
        print(f"| `pytest` (the whole suite), median of {len(pairs)} | {statistics.median(suites):.1f} s "
              f"({suites[0]:.1f} to {suites[-1]:.1f}) | |")  # fmt: skip
        print(f"| cold `render --force --jobs 1` beside it, median of {len(pairs)} | {statistics.median(colds):.1f} s "
              f"({colds[0]:.1f} to {colds[-1]:.1f}) | |")  # fmt: skip
        spread = f"{ratios[0]:.2f}x to {ratios[-1]:.2f}x"
        print(f"| ... pytest / cold render, median of the pairs | {ratio:.2f}x ({spread}) | "
              f"<= 3x {'met' if ratio <= 3 else 'MISSED'} |")  # fmt: skip


if __name__ == "__main__":
    main()

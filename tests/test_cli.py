import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, SCENES, decode, run

from tp1viz.trajectory import load_runs


def test_render_one_small_scene(tmp_path):
    result = run("render", "pow_fn_w_linear_model", "--steps", "8", "--size", "128", "--fps", "10",
                 "--out", str(tmp_path))  # fmt: skip
    assert result.exit_code == 0, result.output
    video = tmp_path / "videos" / "pow_fn_w_linear_model.mp4"
    frames, meta = decode(video)
    scene = SCENES["pow_fn_w_linear_model"].with_overrides(steps=8, size=128, fps=10)
    plan = scene.plan(load_runs(tmp_path / "trajectories" / "pow_fn_w_linear_model.npz"))
    assert len(frames) == len(plan) and meta["size"] == (128, 128)  # every step, held where words come
    assert set(plan.shown) == set(range(9)) and len(plan) - plan.frame_of(8) >= 10  # the end, a second at least
    lines = result.output.splitlines()  # one line per finished file, no progress bar off a terminal
    assert len(lines) == 4
    assert re.fullmatch(rf"wrote .*/videos/pow_fn_w_linear_model\.mp4 \({len(plan)} frames, \d+ KB\)", lines[0])
    assert lines[1].startswith("wrote ") and "pow_fn_w_linear_model.jpg (" in lines[1]  # the poster
    assert lines[2].endswith(".vtt (1 KB)") and lines[3].endswith(".txt (1 KB)")  # the captions, the transcript


def test_render_a_still_and_quiet_prints_nothing(tmp_path):
    result = run("render", "tp_1_linear_fit", "--out", str(tmp_path), "--size", "200", "-q")
    assert result.exit_code == 0, result.output
    assert result.output == ""
    import imageio.v3 as iio

    image = iio.imread(tmp_path / "tp_1_linear_fit.png")
    assert image.shape == (200, 200, 3)


def test_list_names_every_scene_with_its_parameters():
    result = run("list")
    assert result.exit_code == 0, result.output
    for name in ("linear_sgd", "pow_fn_w_linear_model", "pow_fn_w_non_linear_model", "tp_1_linear_fit_no_noise",
                 "tp_1_linear_fit", "tp_1_non_linear_noise"):  # fmt: skip
        assert name in result.output
    assert "SGD lr 0.005" in result.output and "media/videos/linear_sgd.mp4" in result.output


def test_render_script_works_from_another_directory(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TP1VIZ_OUT"}
    env["VIRTUAL_ENV"] = sys.prefix  # run with the interpreter under test
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    result = subprocess.run([ROOT / "render", "--help"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Usage: tp1viz render" in result.stdout
    assert "TP1VIZ_OUT" in result.stdout


def test_the_command_alone_prints_its_help_and_version_says_which():
    tp1viz = Path(sys.executable).parent / "tp1viz"  # the console script, as a user starts it
    alone = subprocess.run([tp1viz], capture_output=True, text=True)
    assert alone.returncode == 0, alone.stderr
    assert alone.stdout.startswith("Usage: tp1viz [OPTIONS] COMMAND") and "render" in alone.stdout
    from tp1viz import __version__

    version = subprocess.run([tp1viz, "--version"], capture_output=True, text=True)
    assert (version.returncode, version.stdout) == (0, f"tp1viz {__version__}\n")
    missing = subprocess.run([tp1viz, "frames"], capture_output=True, text=True)
    assert (missing.returncode, missing.stderr) == (2, "Error: Missing argument 'SCENE'.\n")


def test_the_progress_bar_counts_frames_and_estimates_only_once_drawing_has_a_pace():
    import io

    from tp1viz import progress

    clock = iter([40.0, 40.5, 41.0, 43.0, 43.5])  # the first frame comes 40 s in: torch loaded, runs trained
    stream = io.StringIO()
    bar = progress.Bar("3 scenes", 200, stream, clock=lambda: next(clock))
    bar.advance(10)  # 40.0: the drawing starts
    assert stream.getvalue().endswith("3 scenes [#                       ] 10/200 frames")  # no estimate yet
    bar.advance(30)  # 40.5: a fifth done, but after half a second: still none
    assert stream.getvalue().endswith("] 40/200 frames")
    bar.advance(10)  # 41.0
    bar.advance(50)  # 43.0: half done in 3 s of drawing: as long again
    assert stream.getvalue().endswith("3 scenes [############            ] 100/200 frames, about 3 s left")
    bar.advance(100)  # 43.5: done, no estimate
    assert stream.getvalue().endswith("] 200/200 frames") and stream.getvalue().count("\r\033[K") == 5
    assert progress.duration(65.2) == "1 min 05 s"

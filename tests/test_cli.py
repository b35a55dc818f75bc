import os
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from conftest import decode

from tp1viz.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_render_one_small_scene(tmp_path):
    result = run("render", "pow_fn_w_linear_model", "--steps", "8", "--size", "128", "--fps", "10",
                 "--out", str(tmp_path))  # fmt: skip
    assert result.exit_code == 0, result.output
    video = tmp_path / "videos" / "pow_fn_w_linear_model.mp4"
    frames, meta = decode(video)
    assert len(frames) == 8 + 1 + 10 and meta["size"] == (128, 128)
    assert (tmp_path / "trajectories" / "pow_fn_w_linear_model.npz").is_file()
    lines = result.output.splitlines()  # one line per finished file, no progress bar off a terminal
    assert len(lines) == 4
    assert re.fullmatch(r"wrote .*/videos/pow_fn_w_linear_model\.mp4 \(19 frames, \d+ KB\)", lines[0])
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

"""`render --check`: float noise from another CPU passes; every change a viewer could see fails, naming the scene."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tp1viz import draw, recorder
from tp1viz.cli import main
from tp1viz.compare import RECORDING_RTOL, compare_runs, relative_difference

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--size", "96", "--jobs", "1"]
QUICK = ["linear_sgd", "tp_1_linear_fit", *SMALL, "--steps", "20"]


def run(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args])


def tp1viz(*args, env=None):
    return subprocess.run([sys.executable, "-m", "tp1viz", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, **(env or {})})  # fmt: skip


@pytest.fixture(scope="module")
def quick_media(tmp_path_factory):
    out = tmp_path_factory.mktemp("media")
    result = run("render", *QUICK, "--out", out, "-q")
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def media(quick_media, tmp_path):
    """A copy of quick_media to change."""
    return Path(shutil.copytree(quick_media, tmp_path / "media"))


def has_avx2() -> bool:
    try:
        return " avx2" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


def test_media_from_one_cpu_capability_pass_the_check_under_another(tmp_path):
    scenes = ["pow_fn_w_non_linear_model", "loss_landscape_mlp", "lr_sweep", "tp_1_non_linear_noise", "--size", "128"]
    made = tp1viz("render", *scenes, "--force", "--out", tmp_path / "a", env={"ATEN_CPU_CAPABILITY": "default"})
    assert made.returncode == 0, made.stderr
    checked = tp1viz("render", *scenes, "--check", "--out", tmp_path / "a", env={"ATEN_CPU_CAPABILITY": "avx2"})
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.endswith("is up to date: it holds what the code makes\n")
    if has_avx2():  # the two capabilities really round differently here, so the check did see float noise
        other = tp1viz("render", *scenes, "--force", "--out", tmp_path / "b", env={"ATEN_CPU_CAPABILITY": "avx2"})
        assert other.returncode == 0, other.stderr
        name = "trajectories/pow_fn_w_non_linear_model.npz"
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "b" / name).read_bytes()


def test_a_fresh_render_passes(quick_media):
    result = run("render", *QUICK, "--out", quick_media, "--check")
    assert result.exit_code == 0, result.output


def test_another_learning_rate_fails_naming_the_scene(media):
    result = run("render", *QUICK, "--lr", "0.0052", "--out", media, "--check")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert ("stale: trajectories/linear_sgd.npz: the recorded numbers changed: recorded with lr 0.005, "
            "the scene now says lr 0.0052") in lines  # fmt: skip
    assert lines[-1] == f"to render them again: tp1viz render linear_sgd --out {media}"


def test_a_change_to_the_training_code_fails_on_the_numbers_alone(media, monkeypatch):
    make = recorder.make_optimizer
    monkeypatch.setattr(recorder, "make_optimizer", lambda name, params, lr: make(name, params, lr * 1.04))
    result = run("render", *QUICK, "--out", media, "--check")
    assert result.exit_code == 1
    stale = [line for line in result.output.splitlines() if line.startswith("stale:")]
    assert len(stale) == 1, result.output  # the video is still what its committed recording draws
    assert stale[0].startswith("stale: trajectories/linear_sgd.npz: the recorded numbers changed: loss differs by")


def test_one_colour_fails_on_the_pixels(media, monkeypatch):
    monkeypatch.setattr(draw, "MODEL_COLOR", "tab:orange")
    result = run("render", *QUICK, "--out", media, "--check")
    assert result.exit_code == 1
    stale = [line for line in result.output.splitlines() if line.startswith("stale:")]
    assert [line.split(": ")[1] for line in stale] == ["videos/linear_sgd.mp4", "videos/linear_sgd.jpg"]
    assert stale[0].startswith("stale: videos/linear_sgd.mp4: frame 0: ") and "off by more than 32 levels" in stale[0]


def test_one_character_of_a_title_fails(media, tmp_path):
    scenes = tmp_path / "lime.toml"
    scenes.write_text('[linear_sgd]\nkind = "video"\ntitle = "Linear net on a noisy lime"\ndataset = "linear"\n'
                      'model = "linear"\nlr = 0.005\nsteps = 200\n')  # fmt: skip
    result = run("render", *QUICK, "--scenes", scenes, "--out", media, "--check")
    assert result.exit_code == 1
    assert "stale: videos/linear_sgd.mp4: frame 0: " in result.output
    assert ("made with other parameters: title 'Linear net on a noisy line' (now 'Linear net on a noisy lime')"
            in result.output)  # fmt: skip


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("fingerprint", "0" * 64, "manifest.json: its fingerprint matches no render of these parameters and versions"),
        ("frames", 999, "manifest.json says frames 999, a render now gives 51"),
        ("final_loss", 123.0, "manifest.json says final_loss 123.0, a render now gives"),
        ("sha256", "0" * 64, "its manifest.json entry does not describe the file on disk"),
    ],
)
def test_the_manifests_claims_are_checked(media, key, value, message):
    path = media / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["outputs"]["videos/linear_sgd.mp4"][key] = value
    path.write_text(json.dumps(manifest))
    result = run("render", *QUICK, "--out", media, "--check")
    assert result.exit_code == 1
    assert f"stale: videos/linear_sgd.mp4: {message}" in result.output, result.output


def test_a_missing_recording_and_a_missing_video_are_named(media):
    (media / "trajectories" / "linear_sgd.npz").unlink()
    (media / "videos" / "linear_sgd.mp4").unlink()
    result = run("render", *QUICK, "--out", media, "--check")
    assert result.exit_code == 1
    assert "stale: trajectories/linear_sgd.npz: missing" in result.output
    assert "stale: videos/linear_sgd.mp4: missing" in result.output


def test_float_noise_passes_the_recording_comparison_and_a_real_change_does_not():
    from tp1viz.recorder import record_scene
    from tp1viz.scenes import load_catalog

    (run_,) = record_scene(load_catalog()["linear_sgd"].with_overrides(steps=5))
    noisy = type(run_)(**{**run_.__dict__, "params": run_.params * (1 + 5e-7)})
    assert compare_runs([run_], [noisy]) is None
    moved = type(run_)(**{**run_.__dict__, "loss": run_.loss * (1 + 1e-3)})
    assert compare_runs([run_], [moved]) == f"loss differs by up to 1.0e-03 of its scale (tolerance {RECORDING_RTOL:g})"
    overflowed = np.array([1.0, 2.0, np.inf])
    assert relative_difference(overflowed, np.array([1.0, 2.0, np.inf])) == 0
    assert relative_difference(overflowed, np.array([1.0, 2.0, 3.0])) == np.inf

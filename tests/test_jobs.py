"""Parallel rendering: same bytes as serial, failures isolated, and a start-up that loads nothing heavy."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, SMALL, digests, run, wait_for
from warm import alive

from tp1viz import encode, executor, kinds, runs
from tp1viz.cli import main


def test_two_jobs_write_what_one_job_wrote(catalogue, tmp_path):
    # A scene of each kind and layout family: a fit, side-by-side runs, the PCA plane, a data still, a surface.
    scenes = ["linear_sgd", "lr_sweep", "loss_landscape_mlp", "tp_1_linear_fit", "loss_landscape_surface"]
    result = run("render", *scenes, *SMALL, "--jobs", 2, "--out", tmp_path, "-q")
    assert result.exit_code == 0, result.output
    parallel, serial = digests(tmp_path), digests(catalogue)
    assert len(parallel) == 3 * 5 + 2 + 1  # per video: mp4, poster, runs, captions, transcript; two stills; manifest
    assert {path: digest for path, digest in parallel.items() if path != "manifest.json"}.items() <= serial.items()


@pytest.mark.parametrize("stage, jobs", [("recording", 1), ("drawing", 2)])
def test_one_failing_scene_leaves_the_others_written_and_exits_1(tmp_path, monkeypatch, jobs, stage):
    def fail_for_linear_sgd(original):
        def wrapper(scene, *args, **kwargs):
            if scene.name == "linear_sgd":
                raise RuntimeError(f"{stage} went wrong")
            return original(scene, *args, **kwargs)

        return wrapper

    if stage == "recording":
        monkeypatch.setattr(runs, "record", fail_for_linear_sgd(runs.record))
    else:  # in a forked worker, which inherits the patch
        monkeypatch.setattr(kinds.Video, "render", fail_for_linear_sgd(kinds.Video.render))
    out = tmp_path / "out"
    args = ["linear_sgd", "pow_fn_w_linear_model", "tp_1_linear_fit", *SMALL, "--jobs", jobs, "--out", out]
    result = run("render", *args)
    assert result.exit_code == 1, result.output
    assert result.stderr == f"Error: linear_sgd: RuntimeError: {stage} went wrong\n"
    assert "pow_fn_w_linear_model.mp4" in result.stdout and "tp_1_linear_fit.png" in result.stdout
    assert (out / "videos" / "pow_fn_w_linear_model.mp4").is_file() and (out / "tp_1_linear_fit.png").is_file()
    assert not (out / "videos" / "linear_sgd.mp4").exists()
    assert "linear_sgd" not in (out / "manifest.json").read_text()


def test_help_and_list_import_neither_torch_nor_matplotlib():
    probe = (
        "import sys\n"
        "from tp1viz.cli import main\n"
        "for args in (['--help'], ['render', '--help'], ['list']):\n"
        "    main(args, standalone_mode=False)\n"
        "print('heavy:', sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Usage: -c render" in result.stdout and "linear_sgd" in result.stdout
    assert result.stdout.rstrip().endswith("heavy: []"), result.stdout[-300:]


def test_the_program_exits_with_the_commands_code():
    ok = subprocess.run([sys.executable, "-m", "tp1viz", "list"], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0 and "linear_sgd" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "tp1viz", "render", "--jobs", "0"], cwd=ROOT, capture_output=True,
                         text=True)  # fmt: skip
    assert bad.returncode == 2 and bad.stderr.startswith("Error: Invalid value for '--jobs'")


def test_any_cpu_count_is_a_valid_default(tmp_path, monkeypatch):
    import os

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(96)), raising=False)  # a big machine
    result = CliRunner().invoke(main, ["render", "linear_sgd", "tp_1_linear_fit", *SMALL, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "[default: (CPUs)" in CliRunner().invoke(main, ["render", "--help"]).output


@pytest.mark.parametrize("dies", ["always", "once"])
def test_a_worker_that_dies_fails_only_its_scene(tmp_path, monkeypatch, dies):
    import os
    import signal

    render, marker = kinds.Video.render, tmp_path / "died once"

    def killed_while_drawing(scene, *args, **kwargs):
        if scene.name == "linear_sgd" and (dies == "always" or not marker.exists()):
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
        return render(scene, *args, **kwargs)

    monkeypatch.setattr(kinds.Video, "render", killed_while_drawing)  # the forked workers inherit it
    out = tmp_path / "out"
    result = run("render", "linear_sgd", "pow_fn_w_linear_model", *SMALL, "--jobs", 2, "--out", out)
    assert (out / "videos" / "pow_fn_w_linear_model.mp4").is_file(), result.output
    if dies == "always":
        assert result.exit_code == 1
        assert result.stderr == "Error: linear_sgd: the worker process drawing it died (out of memory?)\n"
        assert not (out / "videos" / "linear_sgd.mp4").exists()
    else:  # drawn again, alone, in a new worker
        assert result.exit_code == 0, result.output
        assert (out / "videos" / "linear_sgd.mp4").is_file()


def start_an_encoder_and_wait(path: Path, on_frame=None) -> None:
    """A job that starts ffmpeg for `path` and sends it no frame yet, as a worker does as it begins a video."""
    writer = encode.VideoWriter(path, 64, 10)
    writer.setup()
    path.with_suffix(".pids").write_text(f"{os.getpid()} {writer.process.pid}")
    time.sleep(60)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="tells a process gone from /proc")
def test_a_worker_the_pool_stops_takes_its_encoder_with_it(tmp_path):
    # When a worker dies, concurrent.futures stops the others with SIGTERM. An ffmpeg outliving its worker sees
    # its input end and writes its file: after the render has cleaned up, a stray file in the user's folder.
    clip, pids = tmp_path / "clip.mp4", tmp_path / "clip.pids"
    pool = executor.Forked(1, None)
    try:
        pool.submit("clip", start_an_encoder_and_wait, clip)
        wait_for(lambda: pids.exists() and len(pids.read_text().split()) == 2, timeout=30)  # written whole
        worker, ffmpeg = map(int, pids.read_text().split())
        os.kill(worker, signal.SIGTERM)
        wait_for(lambda: not alive(worker) and not alive(ffmpeg), timeout=10)  # an ffmpeg gone has written all it will
        assert not clip.exists(), f"ffmpeg wrote {clip.stat().st_size} bytes after its worker was stopped"
    finally:
        pool.close(graceful=False)

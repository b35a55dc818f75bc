"""Renders as processes meet them: killed, interrupted, two at once, started cold without torch."""

import hashlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, SMALL, cli_process, decode, digests, run, temps


def wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def start_long_render(out: Path):
    """A render of linear_sgd long enough to be caught mid-video; returns the process once encoding began.

    Only the size and frame rate change, so it draws the saved runs: no torch, a quick start.
    """
    process = cli_process("render", "linear_sgd", "--steps", "12", "--size", "2048", "--fps", "120", "--out", out)
    wait_for(lambda: temps(out / "videos") or process.poll() is not None)
    assert process.poll() is None, process.communicate()
    return process


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM", "SIGINT"])
def test_a_killed_render_keeps_the_old_video(media, how):
    out = media
    old = digests(out)
    process = start_long_render(out)
    time.sleep(0.1)  # well inside the 133 large frames
    process.send_signal(getattr(signal, how))
    _, stderr = process.communicate(timeout=60)
    assert digests(out) | {} == old | {p.relative_to(out).as_posix(): digests(out)[p.relative_to(out).as_posix()]
                                       for p in temps(out)}  # fmt: skip
    if how == "SIGKILL":
        assert process.returncode == -signal.SIGKILL
        assert temps(out), "a SIGKILLed writer cannot clean up; the next run must, at once"
        assert run("render", "tp_1_linear_fit", *SMALL, "--out", str(out), "-q").exit_code == 0
    else:
        assert process.returncode == 130
        assert stderr.strip() == "interrupted; every output is as it was"
    assert temps(out) == []
    assert digests(out) == old


def test_two_renders_at_once_both_finish(media):
    # A new size: both draw the saved runs again (no torch to load), into the same folder at the same time.
    args = ("render", "linear_sgd", "pow_fn_w_linear_model", "--steps", 12, "--size", 96, "--out", media)
    first, second = cli_process(*args), cli_process(*args)
    assert first.wait(timeout=120) == 0, first.communicate()
    assert second.wait(timeout=120) == 0, second.communicate()
    entries = json.loads((media / "manifest.json").read_text())["outputs"]
    assert len(entries) == len(digests(media)) - 1  # every file but the manifest itself
    for path, entry in entries.items():
        assert hashlib.sha256((media / path).read_bytes()).hexdigest() == entry["sha256"]
    frames, meta = decode(media / "videos/linear_sgd.mp4")
    assert len(frames) == 12 + 1 + 30 and meta["size"] == (96, 96)
    assert temps(media) == []


def test_a_drawing_change_reuses_the_recorded_runs_without_torch(media, monkeypatch):
    out = media
    recorded = digests(out)["trajectories/linear_sgd.npz"]
    probe = (
        "import sys\n"
        "from tp1viz.cli import main\n"
        "try: main(sys.argv[1:])\n"
        "except SystemExit: pass\n"
        "print('torch loaded:', 'torch' in sys.modules)\n"
    )
    # A new size changes the video, not the numbers: the saved runs are drawn again, nothing is trained.
    args = ["render", "linear_sgd", "--steps", "12", "--size", "160", "--out", str(out)]
    result = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stdout and "torch loaded: False" in result.stdout
    frames, meta = decode(out / "videos" / "linear_sgd.mp4")
    assert meta["size"] == (160, 160) and len(frames) == 43
    entry = json.loads((out / "manifest.json").read_text())["outputs"]["trajectories/linear_sgd.npz"]
    assert entry["scene"]["size"] == 160
    assert digests(out)["trajectories/linear_sgd.npz"] != recorded  # the same numbers, with the new size in meta
    # --force trains again.
    from tp1viz import runs

    trained = []
    monkeypatch.setattr(runs, "record", lambda video, record=runs.record: trained.append(video.name) or record(video))
    assert run(*args, "--force", "--jobs", 1).exit_code == 0
    assert trained == ["linear_sgd"]
    check = run("render", "linear_sgd", "--steps", "12", "--size", "160", "--out", str(out), "--check")
    assert check.exit_code == 0, check.output

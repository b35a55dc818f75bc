"""Renders as processes meet them: killed, interrupted, two at once, started cold without torch."""

import hashlib
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, SCENES, SMALL, decode, digests, plan_of, run, temps, wait_for
from warm import Process, group_alive


def start_long_render(out: Path, *more: str, size=2048, fps=120):
    """A render of linear_sgd long enough to be caught mid-video; returns the process once encoding began.

    Only the size and frame rate change, so it draws the saved runs: no torch, a quick start.
    """
    args = ["render", "linear_sgd", *more, "--steps", "12", "--size", size, "--fps", fps, "--out", out]
    process = Process(*args)
    wait_for(lambda: temps(out / "videos") or process.poll() is not None)
    assert process.poll() is None, process.communicate()
    return process


def new_interpreter(*args, **popen):
    """`python -m tp1viz ARGS` in an interpreter of its own: where its start-up is the point."""
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **popen}
    return subprocess.Popen([sys.executable, "-m", "tp1viz", *map(str, args)], cwd=ROOT, text=True, **streams)


def processes_naming(out: Path) -> list[int]:
    """The pids of live processes whose command line names `out` (ffmpeg writing into it)."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(out).encode() in cmdline.read_bytes():
                pids.append(int(cmdline.parent.name))
        except OSError:
            continue
    return pids


def catches_sigterm(pid: int) -> bool:
    """Whether the process has a handler of its own for SIGTERM, as /proc/PID/status says."""
    status = Path(f"/proc/{pid}/status").read_text()
    caught = int(re.search(r"^SigCgt:\s*([0-9a-f]+)$", status, re.M)[1], 16)
    return bool(caught >> (signal.SIGTERM - 1) & 1)


@pytest.mark.parametrize("how, jobs", [("SIGKILL", 1), ("SIGTERM", 1), ("SIGINT", 1), ("SIGKILL", 2), ("SIGTERM", 2)])
def test_a_killed_render_keeps_the_old_scene_whole(media, how, jobs):
    out = media
    old = digests(out)
    process = start_long_render(out, "pow_fn_w_linear_model", "--jobs", jobs)  # two scenes: both workers busy
    time.sleep(0.1)  # well inside the 133 large frames
    process.send_signal(getattr(signal, how))
    _, stderr = process.communicate(timeout=60)
    # The workers died with their parent (its process group), and so did their encoders (a group of their own
    # each, found by the folder on their command line).
    wait_for(lambda: not group_alive(process.pid) and not processes_naming(out), timeout=10)
    if how == "SIGKILL":
        assert process.returncode == -signal.SIGKILL
        assert temps(out), "a SIGKILLed writer cannot clean up; the next run must, at once"
        assert run("render", "tp_1_linear_fit", *SMALL, "--out", str(out), "-q").exit_code == 0
    else:
        assert process.returncode == 130
        assert stderr == "interrupted; every output is as it was\n"
    assert temps(out) == []
    assert digests(out) == old


# Widens the commit window the way a slow disk would: a pause after every rename of a scene's files.
SLOW_COMMIT = """
import time
from tp1viz import commit
rename = commit.replace
def slowly(temp, target):
    rename(temp, target)
    time.sleep(0.3)
commit.replace = slowly
"""


def scene_files(out: Path) -> dict:
    return {path: digest for path, digest in digests(out).items() if "linear_sgd" in path}


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_a_signal_inside_the_commit_window_leaves_the_new_scene_whole(media, tmp_path, how):
    args = ["linear_sgd", "--steps", 12, "--size", 96]  # a new size: every file of the scene changes
    assert run("render", *args, "--out", tmp_path / "expected", "-q").exit_code == 0
    expected, old = scene_files(tmp_path / "expected"), scene_files(media)
    process = Process("render", *args, "--out", media, before=SLOW_COMMIT)
    records = media / ".tp1viz" / "commits"
    wait_for(lambda: any(records.glob("*.json")) or process.poll() is not None)
    time.sleep(0.15)  # the first of three renames is done, the others are not
    assert scene_files(media) not in (old, expected)  # a mix on disk, for a moment
    process.send_signal(getattr(signal, how))
    _, stderr = process.communicate(timeout=60)
    if how == "SIGTERM":  # held back until the scene was whole, then answered
        assert process.returncode == 130
        assert stderr == "interrupted; written whole: linear_sgd; every other output is as it was\n"
    else:  # the next render finishes the commit before anything else
        assert process.returncode == -signal.SIGKILL and any(records.glob("*.json"))
        assert run("render", "tp_1_linear_fit", *SMALL, "--out", media, "-q").exit_code == 0
    assert scene_files(media) == expected
    assert not any(records.glob("*.json")) and temps(media) == []
    assert run("render", *args, "--out", media, "--check").exit_code == 0  # the manifest says what is there


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_at_start_up_is_one_line_and_130(media, signum):
    process = new_interpreter("render", *SMALL, "--size", 96, "--out", media)
    # The earliest moment tp1viz can answer: its handlers are in (the kernel lists SIGTERM as caught), while
    # it still imports. A fixed sleep sent it, on a loaded machine, before the interpreter had even started.
    wait_for(lambda: catches_sigterm(process.pid) or process.poll() is not None, pause=0.001)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr.startswith("interrupted") and stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    assert temps(media) == []


def test_a_render_paused_in_mid_air_cannot_make_the_manifest_lie(media):
    first = start_long_render(media, size=1024, fps=30)
    first.send_signal(signal.SIGSTOP)  # paused while its files are still temporary
    try:
        second = run("render", "linear_sgd", "--steps", 12, "--size", 96, "--out", media)
        assert second.exit_code == 0, second.output
    finally:
        first.send_signal(signal.SIGCONT)
    assert first.wait(timeout=60) == 0, first.communicate()
    entries = json.loads((media / "manifest.json").read_text())["outputs"]
    for name in ("videos/linear_sgd.mp4", "videos/linear_sgd.jpg", "trajectories/linear_sgd.npz"):
        assert entries[name]["sha256"] == hashlib.sha256((media / name).read_bytes()).hexdigest(), name
    frames, meta = decode(media / "videos/linear_sgd.mp4")
    assert meta["size"] == (1024, 1024) and entries["videos/linear_sgd.mp4"]["width"] == 1024  # the last commit's
    scene = SCENES["linear_sgd"].with_overrides(steps=12, size=1024)
    assert len(frames) == entries["videos/linear_sgd.mp4"]["frames"] == len(plan_of(scene, media))
    again = run("render", "linear_sgd", "--steps", 12, "--size", 1024, "--fps", 30, "--out", media)
    assert again.output.startswith("up to date")


def test_a_closed_or_full_standard_output(media):
    closed = subprocess.run(f"{sys.executable} -m tp1viz render linear_sgd --steps 12 --size 96 --out {media} >&-",
                            shell=True, cwd=ROOT, capture_output=True, text=True)  # fmt: skip
    assert closed.returncode == 0 and closed.stderr == "", closed.stderr
    full = Process("render", "linear_sgd", "--steps", 12, "--size", 112, "--out", media, stdout="/dev/full")
    _, stderr = full.communicate(timeout=60)
    assert full.returncode == 1
    assert stderr == "Error: cannot write to standard output: No space left on device\n"
    assert decode(media / "videos/linear_sgd.mp4")[1]["size"] == (112, 112)  # written whole all the same


SCRATCH_HOLDER = """
import sys, time
from tp1viz.files import scratch_folder
with scratch_folder() as folder:
    print(folder, flush=True)
    time.sleep(60)
"""


def test_a_killed_checks_scratch_folder_is_removed_by_the_next_run(media, tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # a temporary directory of this test's own
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    holder = subprocess.Popen([sys.executable, "-c", SCRATCH_HOLDER], stdout=subprocess.PIPE, text=True, cwd=ROOT,
                              env={**__import__("os").environ})  # fmt: skip
    folder = Path(holder.stdout.readline().strip())
    assert folder.parent == tmp_path and folder.name.startswith("tp1viz-check-")
    assert run("render", "tp_1_linear_fit", *SMALL, "--out", media, "-q").exit_code == 0
    assert folder.is_dir()  # its owner lives: left alone
    holder.kill()
    holder.wait()
    assert run("render", "tp_1_linear_fit", *SMALL, "--out", media, "-q").exit_code == 0
    assert not folder.exists()


def test_two_renders_at_once_both_finish(media):
    # A new size: both draw the saved runs again (no torch to load), into the same folder at the same time.
    args = ("render", "linear_sgd", "pow_fn_w_linear_model", "--steps", 12, "--size", 96, "--out", media)
    first, second = Process(*args), Process(*args)
    assert first.wait(timeout=120) == 0, first.communicate()
    assert second.wait(timeout=120) == 0, second.communicate()
    entries = json.loads((media / "manifest.json").read_text())["outputs"]
    assert len(entries) == len(digests(media)) - 1  # every file but the manifest itself
    for path, entry in entries.items():
        assert hashlib.sha256((media / path).read_bytes()).hexdigest() == entry["sha256"]
    frames, meta = decode(media / "videos/linear_sgd.mp4")
    scene = SCENES["linear_sgd"].with_overrides(steps=12, size=96)
    assert len(frames) == len(plan_of(scene, media)) and meta["size"] == (96, 96)
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
    drawn = Process(*args, script=probe)  # forked from an interpreter that has never loaded torch
    stdout, stderr = drawn.communicate(timeout=60)
    assert drawn.returncode == 0, stderr
    assert "wrote" in stdout and "torch loaded: False" in stdout
    frames, meta = decode(out / "videos" / "linear_sgd.mp4")
    scene = SCENES["linear_sgd"].with_overrides(steps=12, size=160)
    assert meta["size"] == (160, 160) and len(frames) == len(plan_of(scene, out))
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

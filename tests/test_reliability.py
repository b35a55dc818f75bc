"""Reproducible, incremental and safe rendering (issue: same input, same bytes; nothing lost)."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import SCENES, decode, digests

from tp1viz.cli import main
from tp1viz.files import TEMP

SMALL = ["--steps", "12", "--size", "128"]
ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def cli_process(*args, **popen):
    """`tp1viz ARGS` in its own interpreter, as a user's shell would start it."""
    return subprocess.Popen([sys.executable, "-m", "tp1viz", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)  # fmt: skip


def temps(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob(".*") if TEMP.fullmatch(path.name))


@pytest.fixture(scope="module")
def small_media(tmp_path_factory):
    """Every scene, shrunk, rendered once; the folder as the tests found it."""
    out = tmp_path_factory.mktemp("media")
    result = run("render", *SMALL, "--out", str(out), "-q")
    assert result.exit_code == 0, result.output
    return out


def test_two_renders_give_identical_bytes(small_media, tmp_path):
    result = run("render", *SMALL, "--out", str(tmp_path), "-q")
    assert result.exit_code == 0, result.output
    first, second = digests(small_media), digests(tmp_path)
    assert first == second
    assert "manifest.json" in first and "videos/linear_sgd.mp4" in first and "tp_1_linear_fit.png" in first


def test_manifest_describes_every_file(small_media):
    entries = json.loads((small_media / "manifest.json").read_text())["outputs"]
    on_disk = {p for p in digests(small_media) if p != "manifest.json"}
    assert set(entries) == on_disk
    for path, entry in entries.items():
        file = small_media / path
        assert entry["path"] == path
        assert entry["sha256"] == hashlib.sha256(file.read_bytes()).hexdigest()
        assert entry["bytes"] == file.stat().st_size
        assert len(entry["fingerprint"]) == 64
    video = entries["videos/pow_fn_w_non_linear_model.mp4"]
    frames, meta = decode(small_media / video["path"])
    assert video["frames"] == len(frames) == 12 + 1 + 30
    assert (video["width"], video["height"]) == meta["size"] == (128, 128)
    assert video["fps"] == 30 and video["duration"] == pytest.approx(43 / 30)
    assert video["scene"]["lr"] == 0.5 and video["scene"]["steps"] == 12
    assert video["final_loss"] > 0 and video["diverged_at"] is None
    text = (small_media / "manifest.json").read_text()
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"  # sorted and stable


def test_second_run_skips_everything_without_importing_torch(small_media):
    before = digests(small_media)
    probe = (
        "import sys\n"
        "from tp1viz.cli import main\n"
        f"try: main(['render', *{SMALL!r}, '--out', {str(small_media)!r}])\n"
        "except SystemExit: pass\n"
        "print('heavy imports:', sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "heavy imports: []" in result.stdout
    assert result.stdout.count("up to date") == len(SCENES) and "wrote" not in result.stdout
    assert digests(small_media) == before


def test_a_changed_parameter_renders_again_and_force_renders_anyway(small_media, tmp_path):
    out = tmp_path / "m"
    assert run("render", "tp_1_linear_fit", "--out", str(out)).output.startswith("wrote")
    assert run("render", "tp_1_linear_fit", "--out", str(out)).output.startswith("up to date")
    assert run("render", "tp_1_linear_fit", "--out", str(out), "--size", "128").output.startswith("wrote")
    assert run("render", "tp_1_linear_fit", "--out", str(out), "--size", "128", "--force").output.startswith("wrote")
    (out / "tp_1_linear_fit.png").write_bytes(b"edited by hand")
    assert run("render", "tp_1_linear_fit", "--out", str(out), "--size", "128").output.startswith("wrote")


def test_check_passes_on_a_fresh_render(small_media):
    result = run("render", *SMALL, "--out", str(small_media), "--check")
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_check_fails_on_a_video_made_with_another_seed(small_media, tmp_path):
    other = tmp_path / "other"
    assert run("render", "linear_sgd", *SMALL, "--seed", "8", "--out", str(other), "-q").exit_code == 0
    stale = tmp_path / "stale"
    subprocess.run(["cp", "-a", f"{small_media}/.", str(stale)], check=True)
    (stale / "videos/linear_sgd.mp4").write_bytes((other / "videos/linear_sgd.mp4").read_bytes())
    result = run("render", "linear_sgd", "tp_1_linear_fit", *SMALL, "--out", str(stale), "--check")
    assert result.exit_code == 1
    assert "stale: videos/linear_sgd.mp4: frame 0: " in result.output and "off by more than 32 levels" in result.output
    assert result.output.count("stale:") == 1  # the other outputs still match


def test_check_fails_on_a_truncated_video_and_a_missing_still(small_media, tmp_path):
    stale = tmp_path / "stale"
    subprocess.run(["cp", "-a", f"{small_media}/.", str(stale)], check=True)
    video = stale / "videos/pow_fn_w_linear_model.mp4"
    video.write_bytes(video.read_bytes()[: video.stat().st_size // 2])
    (stale / "tp_1_non_linear_noise.png").unlink()
    result = run("render", "pow_fn_w_linear_model", "tp_1_non_linear_noise", *SMALL, "--out", str(stale), "--check")
    assert result.exit_code == 1
    assert "stale: videos/pow_fn_w_linear_model.mp4: " in result.output
    assert "stale: tp_1_non_linear_noise.png: missing" in result.output


def wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def start_long_render(out: Path):
    """A render of linear_sgd long enough to be caught mid-video; returns the process once encoding began."""
    process = cli_process("render", "linear_sgd", "--steps", "400", "--size", "1024", "--out", str(out), "--force")
    wait_for(lambda: temps(out / "videos") or process.poll() is not None)
    assert process.poll() is None, process.communicate()
    return process


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM", "SIGINT"])
def test_a_killed_render_keeps_the_old_video(small_media, tmp_path, how):
    out = tmp_path / "m"
    subprocess.run(["cp", "-a", f"{small_media}/.", str(out)], check=True)
    old = digests(out)
    process = start_long_render(out)
    time.sleep(0.3)  # well inside the 431 large frames
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
        assert stderr.strip() == "interrupted; outputs already on disk are unchanged"
    assert temps(out) == []
    assert digests(out) == old


def test_two_renders_at_once_both_finish(tmp_path):
    args = ("render", "linear_sgd", "pow_fn_w_linear_model", "tp_1_linear_fit", *SMALL, "--out", str(tmp_path))
    first, second = cli_process(*args), cli_process(*args)
    assert first.wait(timeout=120) == 0, first.communicate()
    assert second.wait(timeout=120) == 0, second.communicate()
    entries = json.loads((tmp_path / "manifest.json").read_text())["outputs"]
    assert len(entries) == 7  # 2 videos, 2 posters, 2 trajectories, 1 still
    for path, entry in entries.items():
        assert hashlib.sha256((tmp_path / path).read_bytes()).hexdigest() == entry["sha256"]
    frames, _ = decode(tmp_path / "videos/linear_sgd.mp4")
    assert len(frames) == 12 + 1 + 30
    assert temps(tmp_path) == []


def test_divergence_is_shown_not_crashed(tmp_path):

    from tp1viz.recorder import record_scene

    args = ["render", "linear_sgd", "--lr", "10", "--steps", "12", "--size", "256", "--out", str(tmp_path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "warning: linear_sgd diverged at step 7 (the loss overflowed)" in result.output
    entry = json.loads((tmp_path / "manifest.json").read_text())["outputs"]["videos/linear_sgd.mp4"]
    assert entry["diverged_at"] == 7 and entry["final_loss"] is None
    # The label's box is drawn from step 7 on, and not before.
    scene = SCENES["linear_sgd"].with_overrides(lr=10, steps=12, size=256)
    animation = scene.animation(record_scene(scene))
    box = animation.fit.diverged_label.get_window_extent(animation.canvas.get_renderer())
    rows = slice(int(256 - box.y1), int(256 - box.y0))
    cols = slice(int(box.x0), int(box.x1))
    frames, _ = decode(tmp_path / "videos/linear_sgd.mp4")

    def red_share(frame):
        patch = frame[rows, cols].astype(int)
        return np.mean((patch[..., 0] > 150) & (patch[..., 1] < 120) & (patch[..., 2] < 120))

    assert red_share(frames[7]) > 0.1 and red_share(frames[12]) > 0.1
    assert red_share(frames[3]) < red_share(frames[7]) / 2
    # The loss axis holds the finite part and stops at 10x the starting loss: the overflow climbs out of it.
    low, high = animation.loss.lines[0].axes.get_ylim()
    start = animation.runs[0].loss[0]
    assert np.isfinite(low) and start < high <= 11 * start


def test_encoder_failure_shows_ffmpeg_message_and_leaves_nothing(tmp_path, monkeypatch):
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\ncat > /dev/null\necho 'x264 [error]: disk quota exceeded' >&2\nexit 1\n")
    fake.chmod(0o755)
    out = tmp_path / "out"
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(fake))
    result = CliRunner().invoke(main, ["render", "linear_sgd", *SMALL, "--out", str(out)])
    assert result.exit_code == 1
    assert result.output == "Error: linear_sgd: ffmpeg failed (exit code 1): x264 [error]: disk quota exceeded\n"
    assert digests(out) == {}  # no output, no temporary file; only tp1viz's lock file in .tp1viz/


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope"], "Error: unknown scene nope; known: linear_sgd, "),
        (["--steps", "100001"], "Error: Invalid value for '--steps': 100001 is not in 1..100000"),
        (["--lr", "inf"], "Error: Invalid value for '--lr': inf is not a positive finite number"),
        (["--lr", "0"], "Error: Invalid value for '--lr': 0.0 is not a positive finite number"),
        (["--fps", "0"], "Error: Invalid value for '--fps': 0 is not in 1..120"),
        (["--size", "62"], "Error: Invalid value for '--size': 62 is not an even number of pixels in 64..4096"),
        (["--size", "4098"], "Error: Invalid value for '--size': 4098 is not an even number of pixels in 64..4096"),
        (["--seed", "-1"], "Error: Invalid value for '--seed': -1 is not in 0..9223372036854775807"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, args, message):
    out = tmp_path / "out"
    process = cli_process("render", *args, "--out", str(out))
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert stderr.startswith(message) and stderr.count("\n") == 1, stderr
    assert stdout == "" and not out.exists()


def test_out_that_cannot_be_written_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("keep")
    for out, message in [(blocker, "is a file, not a folder"), (blocker / "sub", "which is a file")]:
        process = cli_process("render", "--out", str(out))
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 2 and message in stderr and stderr.count("\n") == 1, stderr
    read_only = Path("/proc/1/tp1viz-media")  # even root cannot create files under /proc/1
    if os.access(read_only.parent, os.W_OK):
        pytest.skip("no unwritable folder on this machine")
    process = cli_process("render", "--out", str(read_only))
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2 and "is not writable" in stderr
    assert blocker.read_text() == "keep"


def test_a_drawing_change_reuses_the_recorded_runs_without_torch(small_media, tmp_path):
    out = tmp_path / "m"
    subprocess.run(["cp", "-a", f"{small_media}/.", str(out)], check=True)
    recorded = digests(out)["trajectories/linear_sgd.npz"]
    probe = (
        "import sys\n"
        "from tp1viz.cli import main\n"
        "try: main(sys.argv[1:])\n"
        "except SystemExit: pass\n"
        "print('torch loaded:', 'torch' in sys.modules)\n"
    )
    # A new size changes the video, not the numbers: the saved runs are drawn again, nothing is trained.
    args = ["render", "linear_sgd", "gd_vs_sgd", "--steps", "12", "--size", "160", "--out", str(out)]
    result = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stdout and "torch loaded: False" in result.stdout
    frames, meta = decode(out / "videos" / "linear_sgd.mp4")
    assert meta["size"] == (160, 160) and len(frames) == 43
    entry = json.loads((out / "manifest.json").read_text())["outputs"]["trajectories/linear_sgd.npz"]
    assert entry["scene"]["size"] == 160
    assert digests(out)["trajectories/linear_sgd.npz"] != recorded  # the same numbers, with the new size in meta
    # --force trains again.
    forced = subprocess.run([sys.executable, "-c", probe, *args, "--force"], capture_output=True, text=True, cwd=ROOT)
    assert "torch loaded: True" in forced.stdout
    check = run("render", "linear_sgd", "gd_vs_sgd", "--steps", "12", "--size", "160", "--out", str(out), "--check")
    assert check.exit_code == 0, check.output

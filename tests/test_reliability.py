"""Reproducible, incremental and safe rendering (issue: same input, same bytes; nothing lost)."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import ROOT, SCENES, SMALL, decode, digests, run

from tp1viz.cli import main
from tp1viz.trajectory import load_runs


def test_manifest_describes_every_file(catalogue):
    entries = json.loads((catalogue / "manifest.json").read_text())["outputs"]
    on_disk = {p for p in digests(catalogue) if p != "manifest.json"}
    assert set(entries) == on_disk
    for path, entry in entries.items():
        file = catalogue / path
        assert entry["path"] == path
        assert entry["sha256"] == hashlib.sha256(file.read_bytes()).hexdigest()
        assert entry["bytes"] == file.stat().st_size
        assert len(entry["fingerprint"]) == 64
    video = entries["videos/pow_fn_w_non_linear_model.mp4"]
    frames, meta = decode(catalogue / video["path"])
    scene = SCENES["pow_fn_w_non_linear_model"].with_overrides(steps=12, size=128)
    plan = scene.plan(load_runs(catalogue / "trajectories" / "pow_fn_w_non_linear_model.npz"))
    assert video["frames"] == len(frames) == len(plan)
    assert (video["width"], video["height"]) == meta["size"] == (128, 128)
    assert video["fps"] == 30 and video["duration"] == pytest.approx(len(plan) / 30)
    assert video["scene"]["lr"] == 0.5 and video["scene"]["steps"] == 12
    assert video["final_loss"] > 0 and video["diverged_at"] is None
    text = (catalogue / "manifest.json").read_text()
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"  # sorted and stable


def test_second_run_skips_everything_without_importing_torch(catalogue):
    before = digests(catalogue)
    probe = (
        "import sys\n"
        "from tp1viz.cli import main\n"
        f"try: main(['render', *{SMALL!r}, '--out', {str(catalogue)!r}])\n"
        "except SystemExit: pass\n"
        "print('heavy imports:', sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "heavy imports: []" in result.stdout
    assert result.stdout.count("up to date") == len(SCENES) and "wrote" not in result.stdout
    assert digests(catalogue) == before


def test_a_changed_parameter_renders_again_and_force_renders_anyway(catalogue, tmp_path):
    out = tmp_path / "m"
    assert run("render", "tp_1_linear_fit", "--out", str(out)).output.startswith("wrote")
    assert run("render", "tp_1_linear_fit", "--out", str(out)).output.startswith("up to date")
    assert run("render", "tp_1_linear_fit", "--out", str(out), "--size", "128").output.startswith("wrote")
    assert run("render", "tp_1_linear_fit", "--out", str(out), "--size", "128", "--force").output.startswith("wrote")
    (out / "tp_1_linear_fit.png").write_bytes(b"edited by hand")
    assert run("render", "tp_1_linear_fit", "--out", str(out), "--size", "128").output.startswith("wrote")


def test_check_fails_on_a_truncated_video_and_a_missing_still(media):
    stale = media
    video = stale / "videos/pow_fn_w_linear_model.mp4"
    video.write_bytes(video.read_bytes()[: video.stat().st_size // 2])
    (stale / "tp_1_non_linear_noise.png").unlink()
    result = run("render", "pow_fn_w_linear_model", "tp_1_non_linear_noise", *SMALL, "--out", str(stale), "--check")
    assert result.exit_code == 1
    assert "stale: videos/pow_fn_w_linear_model.mp4: " in result.output
    assert "stale: tp_1_non_linear_noise.png: missing" in result.output


def test_divergence_is_shown_not_crashed(tmp_path):

    from tp1viz.recorder import record_scene

    args = ["render", "linear_sgd", "--lr", "10", "--steps", "12", "--size", "256", "--pace", "steps", "--out",
            str(tmp_path)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    scene = SCENES["linear_sgd"].with_overrides(lr=10, steps=12, size=256, pace="steps")
    runs = record_scene(scene)
    (diverged,) = [event.step for event in runs[0].events if event.kind == "diverged"]
    loss = runs[0].loss
    assert loss[diverged] > 10 * loss[0] >= loss[diverged - 1] and diverged < 7  # it passed 10x before overflowing
    # The warning, the manifest, the label and the captions name one step: the one the loss passed 10x its start.
    assert f"warning: linear_sgd diverged at step {diverged} (its loss passed 10 times its start" in result.output
    entry = json.loads((tmp_path / "manifest.json").read_text())["outputs"]["videos/linear_sgd.mp4"]
    assert entry["diverged_at"] == diverged and entry["final_loss"] is None
    animation = scene.animation(runs)
    box = animation.fit.diverged_label.get_window_extent(animation.canvas.get_renderer())
    rows = slice(int(256 - box.y1), int(256 - box.y0))
    cols = slice(int(box.x0), int(box.x1))
    frames, _ = decode(tmp_path / "videos/linear_sgd.mp4")
    plan = animation.plan

    def red_share(frame):
        patch = frame[rows, cols].astype(int)
        return np.mean((patch[..., 0] > 150) & (patch[..., 1] < 120) & (patch[..., 2] < 120))

    at = plan.frame_of(diverged)
    assert red_share(frames[at]) > 0.1 and red_share(frames[-1]) > 0.1
    assert red_share(frames[plan.frame_of(diverged - 1)]) < red_share(frames[at]) / 2
    # A run alone keeps its whole finite curve, on a log axis: the loss is seen climbing to its overflow.
    ax = animation.loss.lines[0].axes
    low, high = ax.get_ylim()
    finite = loss[np.isfinite(loss)]
    assert ax.get_yscale() == "log" and low <= finite.min() and high >= finite.max()


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
    result = run("render", *args, "--out", out)
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == "" and not out.exists()


def test_out_that_cannot_be_written_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("keep")
    for out, message in [(blocker, "is a file, not a folder"), (blocker / "sub", "which is a file")]:
        result = run("render", "--out", out)
        assert result.exit_code == 2 and message in result.stderr and result.stderr.count("\n") == 1, result.stderr
    read_only = Path("/proc/1/tp1viz-media")  # even root cannot create files under /proc/1
    if os.access(read_only.parent, os.W_OK):
        pytest.skip("no unwritable folder on this machine")
    result = run("render", "--out", read_only)
    assert result.exit_code == 2 and "is not writable" in result.stderr
    assert blocker.read_text() == "keep"


def tp1viz_imports(module: str) -> set[str]:
    """Every tp1viz module `module` imports, at the top or inside a function, followed transitively."""
    import ast

    from tp1viz import manifest

    seen, todo = set(), [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        tree = ast.parse((manifest.PACKAGE_DIR / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                todo += [node.module] if node.module else [alias.name for alias in node.names]
    return seen


def test_the_fingerprints_cover_every_module_that_decides_an_output():
    from tp1viz import manifest

    bookkeeping = {"files.py", "locks.py", "signals.py", "rules.py", "schema.py", "_version.py"}  # move or check
    recording = {f"{name}.py" for name in tp1viz_imports("recorder")} - bookkeeping
    assert recording <= set(manifest.RECORDING_CODE), recording - set(manifest.RECORDING_CODE)
    # What a scene renders with: every module of it must be in the fingerprint, or named above as bookkeeping.
    rendering = {f"{name}.py" for name in tp1viz_imports("kinds")}
    assert rendering - bookkeeping <= set(manifest.OUTPUT_CODE), rendering - bookkeeping - set(manifest.OUTPUT_CODE)

"""Parallel rendering: same bytes as serial, failures isolated, and a start-up that loads nothing heavy."""

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from conftest import digests

from tp1viz.cli import main

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--steps", "10", "--size", "96", "--fps", "10"]
BROKEN = """
[broken]
kind = "video"
title = "A net that expects two inputs, fed one"
dataset = "linear"
model = "linear"
model_sizes = { n_feature = 2 }
lr = 0.1
steps = 5
"""


def test_two_jobs_and_one_job_write_identical_files(tmp_path):
    for jobs in ("1", "2"):
        result = CliRunner().invoke(main, ["render", *SMALL, "--jobs", jobs, "--out", str(tmp_path / jobs), "-q"])
        assert result.exit_code == 0, result.output
    serial, parallel = digests(tmp_path / "1"), digests(tmp_path / "2")
    assert len(serial) == 7 * 3 + 4 + 1  # per video: mp4, poster, runs; 4 stills; the manifest
    assert serial == parallel


def test_one_failing_scene_leaves_the_others_written_and_exits_1(tmp_path):
    scenes = tmp_path / "broken.toml"
    scenes.write_text(BROKEN)
    out = tmp_path / "out"
    for jobs in ("2", "1"):
        args = ["render", "broken", "linear_sgd", "tp_1_linear_fit", *SMALL, "--scenes", str(scenes), "--jobs", jobs,
                "--out", str(out), "--force"]  # fmt: skip
        result = subprocess.run([sys.executable, "-m", "tp1viz", *args], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 1, (jobs, result.stderr)
        errors = result.stderr.strip().splitlines()
        assert len(errors) == 1 and errors[0].startswith("Error: broken: RuntimeError: "), (jobs, result.stderr)
        assert "Traceback" not in result.stderr
        assert "wrote" in result.stdout and "linear_sgd.mp4" in result.stdout and "tp_1_linear_fit.png" in result.stdout
        assert (out / "videos" / "linear_sgd.mp4").is_file() and (out / "tp_1_linear_fit.png").is_file()
        assert not (out / "videos" / "broken.mp4").exists()
        assert "broken" not in (out / "manifest.json").read_text()


def test_help_and_list_import_neither_torch_nor_matplotlib():
    for args in (["--help"], ["render", "--help"], ["list"]):
        probe = (
            "import sys\n"
            "from tp1viz.cli import main\n"
            f"main({args!r}, standalone_mode=False)\n"
            "print('heavy:', sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))\n"
        )
        result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert result.stdout.rstrip().endswith("heavy: []"), (args, result.stdout[-300:])


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

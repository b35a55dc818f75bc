"""The promises hold off this checkout: a wheel installed into a fresh environment, and other platforms."""

import os
import shutil
import site
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import ROOT, SCENES, decode, plan_of


def build_wheel(tmp_path: Path) -> Path:
    """The wheel `pip wheel .` makes, built from a copy of the source so the checkout stays clean."""
    source = tmp_path / "source"
    shutil.copytree(ROOT / "tp1viz", source / "tp1viz", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    # PEP 517's own hook, which `pip wheel .` and `python -m build` call, without pip's start-up around it.
    build = "from setuptools import build_meta; print(build_meta.build_wheel('wheels'))"
    name = subprocess.run([sys.executable, "-c", build], cwd=source, check=True, capture_output=True, text=True)
    return source / "wheels" / name.stdout.split()[-1]


def fresh_venv(tmp_path: Path) -> Path:
    """A new virtual environment that borrows this one's dependencies (torch is 800 MB) but not tp1viz."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    (venv_site,) = (venv / "lib").glob("python*/site-packages")
    # A path line in a .pth file adds the folder but runs none of its own .pth files, so this
    # environment's editable install of tp1viz stays invisible there.
    (venv_site / "borrowed.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return venv


def test_a_wheel_installed_elsewhere_has_its_catalogue_and_renders(tmp_path):
    wheel = build_wheel(tmp_path)
    venv = fresh_venv(tmp_path)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q",
                    wheel], check=True)  # fmt: skip
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("TP1VIZ_OUT", "PYTHONPATH")}
    where = subprocess.run([python, "-c", "import tp1viz; print(tp1viz.__file__)"], cwd=elsewhere, env=env,
                           capture_output=True, text=True, check=True)  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout  # the wheel's copy, not the checkout's
    listed = subprocess.run([venv / "bin" / "tp1viz", "list"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert "linear_sgd" in listed.stdout and "defined in tp1viz/scenes.toml" in listed.stdout
    rendered = subprocess.run([venv / "bin" / "tp1viz", "render", "linear_sgd", "--steps", "6", "--size", "96",
                               "--jobs", "1"], cwd=elsewhere, env=env, capture_output=True, text=True)  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    frames, meta = decode(elsewhere / "media" / "videos" / "linear_sgd.mp4")
    scene = SCENES["linear_sgd"].with_overrides(steps=6, size=96)
    assert len(frames) == len(plan_of(scene, elsewhere / "media")) and meta["size"] == (96, 96)


WITHOUT_POSIX_EXTRAS = """
import fcntl as real_fcntl, os, sys, types

# As on Windows: no fcntl, no os.sched_getaffinity, no fork; locks come from msvcrt, imitated here with
# byte-range locks that behave as msvcrt.locking does (non-blocking mode fails at once when held).
sys.modules["fcntl"] = None
del os.sched_getaffinity
msvcrt = types.ModuleType("msvcrt")
msvcrt.LK_UNLCK, msvcrt.LK_LOCK, msvcrt.LK_NBLCK = 0, 1, 2
calls = []

def locking(fd, mode, nbytes):
    calls.append(mode)
    command = {0: real_fcntl.LOCK_UN, 1: real_fcntl.LOCK_EX, 2: real_fcntl.LOCK_EX | real_fcntl.LOCK_NB}[mode]
    try:
        real_fcntl.lockf(fd, command, nbytes, 0, os.SEEK_CUR)
    except BlockingIOError as error:
        raise PermissionError(13, "Permission denied") from error

msvcrt.locking = locking
sys.modules["msvcrt"] = msvcrt
import tp1viz.locks  # noqa: E402 -- the lock layer meets msvcrt here
del sys.modules["msvcrt"]  # the standard library would take its presence for Windows
import multiprocessing  # noqa: E402
multiprocessing.get_all_start_methods = lambda: ["spawn"]

from tp1viz.cli import main
code = 0
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print("exit", code, "locks", sorted(set(calls)))
"""


def test_rendering_works_without_fcntl_sched_getaffinity_or_fork(media, tmp_path):
    out = media  # the catalogue's runs, drawn again at another size: rendering, encoding, locks and commits
    args = ["render", "linear_sgd", "gd_vs_sgd", "--steps", "12", "--size", "96", "--out", out]
    # A temporary directory of its own: its imitated locks cannot see the real flock()s of other tests' live
    # `--check` scratch folders (on Windows every process has the same locks), so it would take them for dead.
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(WITHOUT_POSIX_EXTRAS), *args], cwd=ROOT,
                            env=env, capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "exit 0 locks [0, 2]", result.stdout  # locked and unlocked
    frames, meta = decode(out / "videos" / "linear_sgd.mp4")
    scene = SCENES["linear_sgd"].with_overrides(steps=12, size=96)
    assert len(frames) == len(plan_of(scene, out)) and meta["size"] == (96, 96)
    assert "wrote" in result.stdout and "gd_vs_sgd.mp4" in result.stdout
    assert "--jobs" not in result.stderr

import gc
import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from catalogue import SCENES  # loaded once per process (catalogue.py says why)
from click.testing import CliRunner
from warm import ROOT  # noqa: F401 -- the checkout's root, for every test (warm.py is light: its fork server needs it)

from tp1viz import build, locks
from tp1viz.cli import main
from tp1viz.files import TEMP
from tp1viz.trajectory import Trajectory

SMALL = ["--steps", "12", "--size", "128"]  # every scene shrunk: the catalogue renders in about three seconds


# One job unless a test asks for more. Workers forked from a test process would start with torch loaded, which
# a render's never do (they fork before it loads); the pool is tested where it runs, in a process of its own.
IN_PROCESS = {"render": {"jobs": 1}}


def run(*args):
    """`tp1viz ARGS` in this process, as click's test runner calls it."""
    return CliRunner().invoke(main, [str(arg) for arg in args], default_map=IN_PROCESS)


class NullWriter:
    """Counts frames and keeps the last one; lets render tests run without an encoder."""

    def __init__(self):
        self.frames, self.last = 0, None

    def setup(self) -> None:
        pass

    def grab_frame(self, rgba) -> None:
        self.frames += 1
        self.last = rgba.copy()

    def finish(self) -> None:
        pass

    def cleanup(self) -> None:
        pass


def synthetic(loss, grid_pred, params=None, batch_size=0, noise_floor=None, x=None, y=None, units=None) -> Trajectory:
    """A run made to show a rule: the numbers given, the rest plain."""
    loss, grid_pred = np.asarray(loss, float), np.asarray(grid_pred, float)
    x = np.linspace(-1, 1, 20) if x is None else x
    y = np.linspace(-1, 1, 20) if y is None else y
    params = np.zeros((len(loss), 31)) if params is None else params
    meta = {"run": {"batch_size": batch_size, "noise_floor": noise_floor}}
    return Trajectory(x=x, y=y, grid_x=np.linspace(-1, 1, grid_pred.shape[1]), loss=loss, change=np.zeros(len(loss)),
                      pred=np.zeros((len(loss), len(x))), grid_pred=grid_pred, params=params, meta=meta,
                      units=units)  # fmt: skip


def wait_for(condition, timeout=60.0, pause=0.02):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(pause)


def temps(folder: Path) -> list[Path]:
    """tp1viz's temporary files anywhere under `folder`."""
    return sorted(path for path in Path(folder).rglob(".*") if TEMP.fullmatch(path.name))


def made_once(tmp_path_factory, name: str, make) -> Path:
    """A folder `make(folder)` fills once for the whole run, however many xdist workers ask for it."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the run's own: shared by its workers
    folder, done = root / name, root / f"{name}.done"
    fd = os.open(root / f"{name}.lock", os.O_RDWR | os.O_CREAT)
    try:
        locks.lock(fd)  # the other workers wait here until the first has made it
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            make(folder)
            done.touch()
    finally:
        os.close(fd)
    return folder


def scene_file_rendered(tmp_path_factory, text: str, *render_args) -> tuple[Path, Path]:
    """A scene file holding `text` in a new folder, rendered (`render RENDER_ARGS`) into its media: (file, media)."""
    folder = tmp_path_factory.mktemp("scenes")
    scenes, media = folder / "scenes.toml", folder / "media"
    scenes.write_text(text)
    result = run("render", *render_args, "--scenes", scenes, "--out", media, "-q")
    assert result.exit_code == 0, result.output
    return scenes, media


def render_catalogue(folder: Path) -> None:
    result = run("render", *SMALL, "--jobs", 1, "--out", folder, "-q")
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="session")
def catalogue(tmp_path_factory) -> Path:
    """Every scene, SMALL, rendered once in this process: the folder as the tests found it. Copy it to change it."""
    return made_once(tmp_path_factory, "catalogue", render_catalogue)


@pytest.fixture
def media(catalogue, tmp_path) -> Path:
    """A copy of the catalogue to change."""
    return Path(shutil.copytree(catalogue, tmp_path / "media"))


def digests(folder: Path) -> dict:
    """Each output file's sha256 by its path relative to `folder`; tp1viz's bookkeeping (.tp1viz/) left out."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file() and ".tp1viz" not in p.parts}  # fmt: skip


def plan_of(scene, media):
    """The frame-to-step map of a scene's video in `media`, from the runs it was drawn from: which step each frame
    shows, with the pauses where its captions are read and the held end."""
    from tp1viz.trajectory import load_runs

    return scene.plan(load_runs(scene.trajectory_path(media)))


def decode(path):
    """All frames of a video as (count, h, w, 3) uint8, and the reader's metadata."""
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    frames = np.stack([np.frombuffer(f, np.uint8).reshape(height, width, 3) for f in reader])
    return frames, meta


def stream_info(path) -> str:
    """ffmpeg's own one-line description of the first video stream."""
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
                           capture_output=True, text=True)  # fmt: skip
    return next(line for line in probe.stderr.splitlines() if "Video:" in line)


@pytest.fixture(scope="session")
def small_scene():
    """The page's first scene, shortened and shrunk so it renders in about a second."""
    return SCENES["linear_sgd"].with_overrides(steps=30, size=256, pace="steps")  # frame k is step k


@pytest.fixture(scope="session")
def rendered(small_scene, tmp_path_factory):
    """small_scene rendered once through the real encoder: (scene, out_dir, the video's Written)."""
    out = tmp_path_factory.mktemp("media")
    (report,) = build.build([small_scene], out)
    return small_scene, out, next(output for output in report.outputs if output.kind == "video")


def pytest_configure(config):
    config.addinivalue_line("markers", "recipe: the README's author's recipe, run in a fresh clone (about a minute)")
    config.addinivalue_line("markers", "doc_commands: runs a command of the README or docs/pages as it is written")


def pytest_collection_modifyitems(items):
    """Tests that share a costly start go together, at the head of a share. xdist's worksteal deals the list out
    in contiguous shares, one per worker, and an idle worker takes the back half of a busy one's share: so the
    catalogue's tests lead the first share (the first of them renders it while the other workers run tests that
    do not need it), the README's recipe (the longest test: a minute) and then the browser's module lead the
    second (one Chromium and one set of its module's fixtures, not one per worker), and the rest follow."""
    catalogue = [item for item in items if "catalogue" in getattr(item, "fixturenames", ())]
    browser_modules = {item.module for item in items if "tab" in getattr(item, "fixturenames", ())}
    browser = [item for item in items if item.module in browser_modules and item not in catalogue]
    longest = [item for item in items if item.get_closest_marker("recipe") and item not in catalogue + browser]
    rest = [item for item in items if item not in catalogue and item not in browser and item not in longest]
    first_share = max(0, len(items) // 2 - len(catalogue))
    items[:] = catalogue + rest[:first_share] + longest + browser + rest[first_share:]


def pytest_collection_finish(session):
    """What a test process has loaded by now (torch, matplotlib, every test module) stays to its end: frozen, it
    is no longer walked by each full collection of Python's garbage collector, nor once more at exit. What the
    tests make is collected less often than the default (every 700 allocations): 2.9 s -> 1.9 s of collector CPU
    a run over both workers, the figures' cycles still freed."""
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """And so is what the run made: Python's collection at exit would only walk it to free it as the process ends."""
    gc.freeze()

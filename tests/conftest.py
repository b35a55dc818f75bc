import hashlib
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from tp1viz import build
from tp1viz.scenes import load_catalog

SCENES = load_catalog()


def digests(folder: Path) -> dict:
    """Each output file's sha256 by its path relative to `folder`; tp1viz's bookkeeping (.tp1viz/) left out."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file() and ".tp1viz" not in p.parts}  # fmt: skip


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
    return SCENES["linear_sgd"].with_overrides(steps=30, size=256)


@pytest.fixture(scope="session")
def rendered(small_scene, tmp_path_factory):
    """small_scene rendered once through the real encoder: (scene, out_dir, the video's Written)."""
    out = tmp_path_factory.mktemp("media")
    (report,) = build.build([small_scene], out)
    return small_scene, out, next(output for output in report.outputs if output.kind == "video")

"""Compare outputs as a viewer sees them, for `render --check`: decoded pixels and recorded numbers.

Byte identity holds on one machine only (x264's SIMD paths and float reductions vary between CPUs), so a
frame may differ a little; it may not differ visibly.
"""

from itertools import zip_longest
from pathlib import Path

import numpy as np

MEAN_TOLERANCE = 1.0  # mean absolute difference per frame, in levels of 255
PIXEL_TOLERANCE = 32  # no single channel value may be off by more than this
TRAJECTORY_RTOL = 1e-5  # relative to each array's largest magnitude


def decoded_frames(path: Path):
    """The metadata dict, then each frame of a video as an (h, w, 3) uint8 array."""
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    yield meta
    width, height = meta["size"]
    for raw in reader:
        yield np.frombuffer(raw, np.uint8).reshape(height, width, 3)


def image_difference(expected: np.ndarray, actual: np.ndarray) -> str | None:
    """Why two frames differ visibly, or None."""
    if expected.shape != actual.shape:
        return f"size {actual.shape[1]}x{actual.shape[0]} instead of {expected.shape[1]}x{expected.shape[0]}"
    difference = np.abs(expected.astype(np.int16) - actual.astype(np.int16))
    if difference.mean() >= MEAN_TOLERANCE or difference.max() > PIXEL_TOLERANCE:
        return f"mean difference {difference.mean():.2f}, largest {difference.max()}"
    return None


def compare_video(expected: Path, actual: Path) -> str | None:
    """Why the video at `actual` does not look like the one at `expected`, or None."""
    try:
        want, have = decoded_frames(expected), decoded_frames(actual)
        next(want), next(have)
        index, a, b = 0, None, None
        for index, (a, b) in enumerate(zip_longest(want, have)):
            if a is None or b is None:
                break
            problem = image_difference(a, b)
            if problem:
                return f"frame {index}: {problem}"
        else:
            return None
        want_count = index + (a is not None) + sum(1 for _ in want)
        have_count = index + (b is not None) + sum(1 for _ in have)
        return f"{have_count} frames instead of {want_count}"
    except (RuntimeError, OSError, StopIteration) as error:
        return f"cannot be decoded ({str(error).splitlines()[0] if str(error) else type(error).__name__})"


def compare_image(expected: Path, actual: Path) -> str | None:
    """Why the image at `actual` does not look like the one at `expected`, or None."""
    import imageio.v3 as iio

    try:
        return image_difference(iio.imread(expected), iio.imread(actual))
    except (OSError, ValueError) as error:
        return f"cannot be decoded ({error})"


def compare_trajectory(expected: Path, actual: Path) -> str | None:
    """Why the recorded run at `actual` differs from the one at `expected`, or None."""
    from .trajectory import ARRAYS, Trajectory

    try:
        want, have = Trajectory.load(expected), Trajectory.load(actual)
    except (OSError, ValueError, KeyError) as error:
        return f"cannot be read ({error})"
    if want.meta != have.meta:
        return "recorded with other parameters"
    for name in ARRAYS:
        a, b = getattr(want, name), getattr(have, name)
        if a.shape != b.shape:
            return f"{name} has shape {b.shape} instead of {a.shape}"
        finite = a[np.isfinite(a)]
        scale = float(np.abs(finite).max()) if finite.size else 1.0
        if not np.allclose(a, b, rtol=TRAJECTORY_RTOL, atol=TRAJECTORY_RTOL * scale, equal_nan=True):
            return f"{name} differs by more than {TRAJECTORY_RTOL:g} relative"
    return None


def compare(expected: Path, actual: Path) -> str | None:
    """Why `actual` does not show what `expected` shows, or None; chosen by file type."""
    if not Path(actual).is_file():
        return "missing"
    suffix = Path(expected).suffix
    if suffix in (".mp4", ".webm", ".gif"):
        return compare_video(expected, actual)
    if suffix in (".png", ".jpg", ".jpeg"):
        return compare_image(expected, actual)
    if suffix == ".npz":
        return compare_trajectory(expected, actual)
    return None if Path(expected).read_bytes() == Path(actual).read_bytes() else "differs"

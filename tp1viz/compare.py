"""Compare outputs as a viewer sees them, and recordings as numbers, for `render --check`.

Files drawn from the same numbers by the same code are the same bytes; where an encoder's SIMD path or a
float reduction differs between CPUs, their decoded frames may still differ by a level or two. So a file
passes when its bytes match, or when every frame matches within a tolerance no visible change fits in.
"""

from itertools import zip_longest
from pathlib import Path

import numpy as np

MEAN_TOLERANCE = 1.0  # mean absolute difference per frame, in levels of 255
PIXEL_TOLERANCE = 32  # no single channel value may be off by more than this
# Recorded numbers, relative to each array's largest finite magnitude. Other CPUs give differences up to 5e-7
# on converging runs and 1.6e-5 on a diverging one (measured); a pixel at 512 px is 2e-3 of an axis.
RECORDING_RTOL = 1e-4


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
    difference = np.abs(expected.astype(np.int16) - actual.astype(np.int16)).max(axis=-1)  # (h, w)
    if difference.mean() < MEAN_TOLERANCE and difference.max() <= PIXEL_TOLERANCE:
        return None
    row, column = np.unravel_index(difference.argmax(), difference.shape)
    off = int((difference > PIXEL_TOLERANCE).sum())
    return (f"{off} pixels off by more than {PIXEL_TOLERANCE} levels, mean difference {difference.mean():.2f}, "
            f"largest {difference.max()} at x {column}, y {row}")  # fmt: skip


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


def compare(expected: Path, actual: Path) -> str | None:
    """Why `actual` does not show what `expected` shows, or None; the same bytes always pass."""
    if not Path(actual).is_file():
        return "missing"
    if Path(expected).read_bytes() == Path(actual).read_bytes():
        return None
    suffix = Path(expected).suffix
    if suffix in (".mp4", ".webm", ".gif"):
        return compare_video(expected, actual)
    if suffix in (".png", ".jpg", ".jpeg"):
        return compare_image(expected, actual)
    return "differs"


def relative_difference(expected: np.ndarray, actual: np.ndarray) -> float:
    """The largest difference between two arrays, as a share of the expected array's largest finite magnitude.

    Non-finite values (a diverged run) must sit at the same places with the same value; elsewhere the
    difference is infinite.
    """
    expected, actual = np.asarray(expected, np.float64), np.asarray(actual, np.float64)
    finite = np.isfinite(expected)
    if not np.array_equal(finite, np.isfinite(actual)):
        return float("inf")
    same_specials = np.array_equal(expected[~finite], actual[~finite], equal_nan=True)
    if not same_specials:
        return float("inf")
    if not finite.any():
        return 0.0
    scale = float(np.abs(expected[finite]).max()) or 1.0
    return float(np.abs(expected[finite] - actual[finite]).max() / scale)


def compare_runs(committed: list, fresh: list) -> str | None:
    """Why the committed recording is not what recording now gives, or None; float noise is not a reason."""
    if len(committed) != len(fresh):
        return f"holds {len(committed)} runs, a recording now gives {len(fresh)}"
    for index, (old, new) in enumerate(zip(committed, fresh, strict=True)):
        run = f"run {index + 1}: " if len(fresh) > 1 else ""
        if old.meta.get("run") != new.meta.get("run"):
            return f"{run}{changed_settings(old.meta.get('run') or {}, new.meta.get('run') or {})}"
        for name, (a, b) in paired_arrays(old, new).items():
            if a is None or b is None:
                return f"{run}{name} is {'missing' if a is None else 'extra'}"
            if a.shape != b.shape:
                return f"{run}{name} has shape {a.shape}, a recording now gives {b.shape}"
            difference = relative_difference(b, a)
            if difference > RECORDING_RTOL:
                return f"{run}{name} differs by up to {difference:.1e} of its scale (tolerance {RECORDING_RTOL:g})"
    return None


def changed_settings(old: dict, new: dict) -> str:
    """ "recorded with lr 0.005, the scene now says lr 0.0052", naming only the settings that differ."""
    keys = [key for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]
    return (f"recorded with {', '.join(f'{k} {old.get(k)!r}' for k in keys)}, "
            f"the scene now says {', '.join(f'{k} {new.get(k)!r}' for k in keys)}")  # fmt: skip


def paired_arrays(old, new) -> dict:
    """Every recorded array of two runs by name (the landscape's too), None where one run lacks it."""
    from .trajectory import run_arrays

    old_arrays, new_arrays = run_arrays(old), run_arrays(new)
    names = [name for name in dict.fromkeys([*old_arrays, *new_arrays]) if name != "meta"]
    return {name: (old_arrays.get(name), new_arrays.get(name)) for name in names}


def static_share(frames: np.ndarray, hold: int, top: float, bottom: float) -> float:
    """The share of frames (the held ones left out) in which fewer than 20 pixels of the band between `top` and
    `bottom` (fractions of the height: the upper panel) change by more than 40 levels from the frame before."""
    moving = frames[: len(frames) - hold]
    height = moving.shape[1]
    band = moving[:, int(top * height) : int(bottom * height)].astype(np.int16)
    changed = (np.abs(np.diff(band, axis=0)).max(axis=-1) > 40).sum(axis=(1, 2))
    return float(np.mean(changed < 20)) if len(changed) else 0.0

"""Compare outputs as a viewer sees them, and recordings as numbers and words, for `render --check`.

Files drawn from the same numbers by the same code and the same encoder are the same bytes, on every CPU
(measured): there a file passes only with the same bytes. Made by another encoder, a file passes when what a
viewer sees is the same: every decoded frame within a tolerance no visible change fits in, and the metadata
that changes the picture (a video's sample aspect ratio, frame times, rotation and colour description; an
image's mode, EXIF orientation, gamma, ICC profile and transparency). A file that differs is described by the
first of those that differs, whichever way it is compared.
"""

import hashlib
import re
import subprocess
from fractions import Fraction
from itertools import zip_longest
from pathlib import Path

import numpy as np

from .files import BadFile, read_bytes

MEAN_TOLERANCE = 1.0  # mean absolute difference per frame, in levels of 255
PIXEL_TOLERANCE = 32  # no single channel value may be off by more than this
# Recorded numbers, relative to each array's largest finite magnitude. Other CPUs give differences up to 5e-7
# on converging runs, 6e-6 on a diverging one and 1.4e-4 on the weights of a ReLU net whose hinges cross data
# points (its predictions: 4e-5) (measured); a pixel at 512 px is 2e-3 of an axis, so half a pixel is the bar.
RECORDING_RTOL = 1e-3
FRAME_TIME_TOLERANCE = 1e-3  # seconds: two muxers may round a frame's time to their own time bases


class Undecodable(BadFile):
    """A video or picture that ffmpeg or Pillow cannot decode; the message names it."""


def decoded_frames(path: Path):
    """The metadata dict, then each frame of a video as an (h, w, 3) uint8 array (Undecodable if it is not a
    video ffmpeg can read)."""
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    try:
        meta = next(reader)
        width, height = meta["size"]
    except (RuntimeError, OSError, StopIteration, KeyError, ValueError) as error:
        reader.close()
        raise Undecodable(f"{path} cannot be decoded as a video ({first_line(error)})") from None
    yield meta
    try:
        for raw in reader:
            yield np.frombuffer(raw, np.uint8).reshape(height, width, 3)
    except (RuntimeError, OSError, ValueError) as error:
        raise Undecodable(f"{path} cannot be decoded as a video ({first_line(error)})") from None


def first_line(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error).strip() else type(error).__name__


def video_facts(path: Path) -> dict:
    """What a player makes of a video beyond its pixels, as ffmpeg decodes it: frame size, sample aspect ratio,
    rotation, colour description, and each frame's time (s) and checksum."""
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    command = [ffmpeg, "-hide_banner", "-nostdin", "-threads", "1", "-i", str(path), "-map", "0:v:0", "-f", "framecrc",
               "-"]  # fmt: skip
    answer = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace")
    header = dict(re.findall(r"^#(\w+) 0: (.*)$", answer.stdout, re.MULTILINE))
    if answer.returncode or "tb" not in header:
        raise Undecodable(f"{path} cannot be decoded as a video ({first_line(answer.stderr) or 'no frames'})")
    base = Fraction(header["tb"])
    frames = re.findall(r"^0,\s*-?\d+,\s*(-?\d+),\s*\d+,\s*\d+,\s*(0x[0-9a-f]+)$", answer.stdout, re.MULTILINE)
    source = answer.stderr.split("Stream mapping:")[0]  # the input's description, not the output's
    stream = re.search(r"Video: [^,]+(?:\([^)]*\))*, ([a-z0-9_]+(?:\([^)]*\))?)", source)
    rotation = re.search(r"rotation of (-?[\d.]+) degrees", source)
    sar = header.get("sar", "0/1")
    return {
        "frame size": header.get("dimensions"),
        "sample aspect ratio": "1/1" if sar.startswith("0/") else sar,
        "rotation": float(rotation[1]) if rotation else 0.0,
        "colour": stream[1] if stream else None,
        "times": [float(int(pts) * base) for pts, _ in frames],
        "checksums": [crc for _, crc in frames],
    }


def video_metadata_difference(want: dict, have: dict) -> str | None:
    """Why a video with facts `have` plays otherwise than one with `want` (pixels aside), or None."""
    for key in ("frame size", "sample aspect ratio", "rotation", "colour"):
        if want[key] != have[key]:
            return f"{key} {have[key]} instead of {want[key]}"
    if len(want["times"]) != len(have["times"]):
        return f"{len(have['times'])} frames instead of {len(want['times'])}"
    for index, (a, b) in enumerate(zip(want["times"], have["times"], strict=True)):
        if abs(a - b) > FRAME_TIME_TOLERANCE:
            return f"frame {index} shows at {b:.3f} s instead of {a:.3f} s (another speed or timing)"
    return None


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
    """Why the video at `actual` does not play like the one at `expected`, or None."""
    try:
        want_facts, have_facts = video_facts(expected), video_facts(actual)
    except Undecodable as error:
        return f"cannot be decoded ({str(error).split(' (', 1)[-1].rstrip(')')})"
    problem = video_metadata_difference(want_facts, have_facts)
    if problem or want_facts["checksums"] == have_facts["checksums"]:
        return problem  # the same decoded frames, bit for bit: nothing to look at pixel by pixel
    return compare_frames(expected, actual)


def compare_frames(expected: Path, actual: Path) -> str | None:
    """Why the decoded frames at `actual` look otherwise than those at `expected`, or None."""
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
    except (Undecodable, RuntimeError, OSError, StopIteration) as error:
        return f"cannot be decoded ({first_line(error)})"


def image_facts(path: Path) -> dict:
    """What a viewer makes of a picture beyond its pixels: its mode, EXIF orientation (a viewer turns the picture
    by it), gamma, ICC profile, sRGB intent, chromaticities and transparency."""
    from PIL import Image

    with Image.open(path) as image:
        info = image.info
        profile = info.get("icc_profile")
        return {
            "mode": image.mode,
            "size": image.size,
            "EXIF orientation": image.getexif().get(0x0112, 1),
            "gamma": info.get("gamma"),
            "ICC profile": hashlib.sha256(profile).hexdigest()[:12] if profile else None,
            "sRGB intent": info.get("srgb"),
            "chromaticities": info.get("chromaticity"),
            "transparency": "transparency" in info,
        }


def compare_image(expected: Path, actual: Path) -> str | None:
    """Why the image at `actual` does not look like the one at `expected`, or None."""
    import imageio.v3 as iio
    from PIL import Image

    try:
        want, have = image_facts(expected), image_facts(actual)
        for key, value in want.items():
            if have[key] != value:
                return f"{key} {have[key]} instead of {value}"
        return image_difference(iio.imread(expected), iio.imread(actual))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        return f"cannot be decoded ({first_line(error)})"


def compare(expected: Path, actual: Path, exact: bool = False) -> str | None:
    """Why `actual` does not show what `expected` shows, or None; the same bytes always pass. `exact`: the same
    encoder made both, so other bytes are a change even where nothing else is seen to differ."""
    try:
        if read_bytes(expected) == read_bytes(actual):
            return None
    except FileNotFoundError:
        return "missing"
    except (OSError, BadFile) as error:
        return f"cannot be read ({getattr(error, 'strerror', None) or error})"
    suffix = Path(expected).suffix
    if suffix in (".mp4", ".webm", ".gif"):
        reason = compare_video(expected, actual)
    elif suffix in (".png", ".jpg", ".jpeg"):
        reason = compare_image(expected, actual)
    else:
        return "differs"
    if reason is None and exact:
        return "other bytes than this encoder makes of the same pictures (re-encoded, or its metadata edited)"
    return reason


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


def compare_fields(committed: list, fresh: list) -> str | None:
    """Why what the committed recording says beside its numbers (events, landscape, parameters) is not what
    recording now says, or None; the runs' count and arrays are compare_runs' to judge."""
    for index, (old, new) in enumerate(zip(committed, fresh, strict=False)):
        run = f"run {index + 1}: " if len(fresh) > 1 else ""
        reason = fields_difference(old, new)
        if reason:
            return f"{run}{reason}"
    return None


NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def same_words(old: str, new: str) -> bool:
    """Whether two texts say the same: the same words, the same whole numbers, and decimals that differ by
    at most one unit of their last printed digit (a loss printed to 4 digits may round otherwise on another CPU)."""
    if NUMBER.split(old) != NUMBER.split(new):
        return False
    for a, b in zip(NUMBER.findall(old), NUMBER.findall(new), strict=True):
        if a == b:
            continue
        if "." not in a + b or "e" in a + b or len(a.split(".")[1]) != len(b.split(".")[1]):
            return False
        if abs(float(a) - float(b)) > 1.5 * 10 ** -len(a.split(".")[1]):
            return False
    return True


def fields_difference(old, new) -> str | None:
    """Why a run's recorded fields beside its arrays differ (its events, its landscape's description, its
    parameters), or None: text word for word, numbers within float noise."""
    return events_difference(old.events, new.events) or landscape_difference(old.landscape, new.landscape) or (
        parameters_difference(old.meta, new.meta))  # fmt: skip


def events_difference(old: tuple, new: tuple) -> str | None:
    said = "the recorded events changed:"
    if len(old) != len(new):
        return f"{said} {len(old)} recorded, a recording now finds {len(new)}"
    for a, b in zip(old, new, strict=True):
        if (a.kind, a.step, a.run) != (b.kind, b.step, b.run):
            return f"{said} {a.kind} at step {a.step} recorded, a recording now finds {b.kind} at step {b.step}"
        if not (same_words(a.text, b.text) and same_words(a.detail, b.detail)):
            return f"{said} step {a.step} says {a.text!r}, a recording now {b.text!r}: {b.detail!r}"
    return None


def landscape_difference(a, b) -> str | None:
    said = "the recorded landscape changed:"
    if (a is None) != (b is None):
        return f"{said} {'none is recorded' if a is None else 'a recording now has none'}"
    if a is None:
        return None
    if (a.kind, a.labels) != (b.kind, b.labels):
        return f"{said} {a.kind} {list(a.labels)}, a recording now gives {b.kind} {list(b.labels)}"
    if abs(a.explained - b.explained) > RECORDING_RTOL:
        return f"{said} its plane holds {a.explained:.4g} of the path, a recording now {b.explained:.4g}"
    if (a.minimum is None) != (b.minimum is None) or (
        a.minimum is not None and relative_difference(b.minimum, a.minimum) > RECORDING_RTOL
    ):
        return f"{said} its minimum is at {a.minimum}, a recording now finds {b.minimum}"
    return None


def parameters_difference(old: dict, new: dict) -> str | None:
    """The scene's parameters a run records (its run settings are compare_runs' first question)."""
    old, new = ({k: v for k, v in meta.items() if k != "run"} for meta in (old, new))
    return f"the recorded parameters changed: {changed_settings(old, new)}" if old != new else None


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

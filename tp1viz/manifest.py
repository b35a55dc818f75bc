"""media/manifest.json: what each output is, and the fingerprint that says whether it is up to date.

A fingerprint hashes everything that decides an output's bytes: the scene's parameters, tp1viz's own
source, and the versions of torch, matplotlib and ffmpeg. It is computed without importing torch or
matplotlib, so a run with nothing to do stays fast.
"""

import contextlib
import functools
import hashlib
import json
import os
import subprocess
from importlib import metadata
from pathlib import Path

from . import locks
from ._version import __version__
from .files import STATE, sha256, write_bytes

MANIFEST = "manifest.json"
PACKAGE_DIR = Path(__file__).parent
RECORDING_CODE = ("datasets.py", "models.py", "recorder.py", "landscape.py", "trajectory.py", "layouts.py",
                  "events.py", "pacing.py", "words.py")  # fmt: skip
DRAWING_ONLY = {"name", "title", "fps", "size", "hold", "formats", "kind", "notes", "tolerance"}  # training never reads
# The modules whose code decides an output's bytes; the rest (the CLI, the executor, locks, --check, review)
# can change without re-rendering anything. Not the scene catalogue (scenes.toml) nor the code that reads it
# (scenes.py): each output's fingerprint holds its own scene's parameters, so editing one scene leaves every
# other scene up to date.
OUTPUT_CODE = (*RECORDING_CODE, "kinds.py", "draw.py", "lessons.py", "encode.py", "captions.py", "manifest.py",
               "placing.py")  # fmt: skip


def _package_version(name: str) -> str:
    """The installed version, without a local label: torch's CPU wheel says 2.13.0+cpu and computes what 2.13.0
    does on another index."""
    try:
        return metadata.version(name).split("+")[0]
    except metadata.PackageNotFoundError:
        return "missing"


@functools.cache
def ffmpeg_version() -> str:
    """The first line of `ffmpeg -version`, or a note of why there is none."""
    from .encode import EncoderError, ffmpeg_exe

    try:
        answer = subprocess.run(
            [ffmpeg_exe(), "-version"], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30
        )
        return (answer.stdout.splitlines() or ["unknown"])[0]
    except (EncoderError, OSError, subprocess.SubprocessError) as error:
        return f"unavailable: {error}"


def _digest(paths) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.cache
def source_digest() -> str:
    """A hash of tp1viz's own files, so a code change re-renders even without a version bump."""
    return _digest(PACKAGE_DIR / name for name in OUTPUT_CODE)


@functools.cache
def recording_digest() -> str:
    """A hash of the modules that decide the recorded numbers."""
    return _digest(PACKAGE_DIR / name for name in RECORDING_CODE)


def recording_fingerprint(scene_params: dict) -> str:
    """The hash that changes whenever a scene's recorded numbers would, but not when only their drawing would.

    A trajectory whose recording fingerprint still matches is reused, so changing how videos look re-renders
    them without training again, or even importing torch.
    """
    params = {key: value for key, value in scene_params.items() if key not in DRAWING_ONLY}
    blob = json.dumps({"scene": params, "code": recording_digest(), "torch": _package_version("torch")}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


@functools.cache
def versions() -> dict:
    """The versions of everything that shapes an output."""
    return {
        "tp1viz": f"{__version__}+{source_digest()[:12]}",
        "torch": _package_version("torch"),
        "matplotlib": _package_version("matplotlib"),
        "ffmpeg": ffmpeg_version(),
    }


def fingerprint(scene_params: dict) -> str:
    """The hash that changes whenever anything that decides this scene's outputs changes."""
    blob = json.dumps({"scene": scene_params, "versions": versions()}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


class NotANumber:
    """What NaN or Infinity in the file reads as: no entry holding one is valid."""


UNREADABLE = object()  # a manifest that is there but is not JSON


def read(out_dir: Path):
    """The manifest's parsed JSON, None if there is none, or UNREADABLE."""
    try:
        text = (Path(out_dir) / MANIFEST).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return UNREADABLE
    try:
        return json.loads(text, parse_constant=lambda name: NotANumber())
    except (ValueError, RecursionError):
        return UNREADABLE


def is_valid(relative: str, entry) -> bool:
    """An entry that can be trusted as far as its form goes; any other counts as missing."""
    if not isinstance(entry, dict) or entry.get("path") != relative:
        return False
    sha, size = entry.get("sha256"), entry.get("bytes")
    if not (isinstance(sha, str) and len(sha) == 64 and isinstance(size, int) and size >= 0):
        return False
    try:
        json.dumps(entry, allow_nan=False)  # no NaN, no stray object anywhere inside
    except (TypeError, ValueError):
        return False
    return isinstance(entry.get("fingerprint"), str)


def load(out_dir: Path) -> dict:
    """The manifest's valid entries by path (relative to out_dir); empty if there is none or none is valid."""
    return valid_entries(read(out_dir))


def valid_entries(data) -> dict:
    """The valid entries of a manifest's parsed content (as read() gives it), by relative path."""
    outputs = data.get("outputs") if isinstance(data, dict) else None
    if not isinstance(outputs, dict):
        return {}
    return {relative: entry for relative, entry in outputs.items() if is_valid(relative, entry)}


def dumps(entries: dict) -> str:
    """Sorted, indented, one trailing newline: stable bytes that diff cleanly."""
    return json.dumps({"outputs": entries}, indent=2, sort_keys=True, allow_nan=False) + "\n"


@contextlib.contextmanager
def locked(out_dir: Path):
    """Hold an exclusive lock on the output folder while its manifest is read, merged and rewritten.

    The lock is a file's, not the folder's: Windows cannot open a folder to lock it.
    """
    state = Path(out_dir) / STATE
    state.mkdir(exist_ok=True)
    fd = os.open(state / "lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        locks.lock(fd)
        try:
            yield
        finally:
            locks.unlock(fd)  # Windows releases a closed file's locks only eventually
    finally:
        os.close(fd)


def merge(out_dir: Path, new_entries: dict, token: str) -> None:
    """Merge `new_entries` into the manifest, dropping entries whose files are gone; hold locked() around it.

    A manifest that is not JSON at all is kept, as .tp1viz/manifest.unreadable.json, before it is replaced.
    """
    out_dir = Path(out_dir)
    if read(out_dir) is UNREADABLE:
        write_bytes(out_dir / STATE / "manifest.unreadable.json", (out_dir / MANIFEST).read_bytes(), token)
    entries = {path: entry for path, entry in load(out_dir).items() if (out_dir / path).is_file()}
    entries.update(new_entries)
    text = dumps(entries)
    if (out_dir / MANIFEST).is_file() and (out_dir / MANIFEST).read_text() == text:
        return  # unchanged: do not touch the file
    write_bytes(out_dir / MANIFEST, text.encode(), token)


def entries(drawn, out_dir: Path) -> dict[str, dict]:
    """The manifest's entries for a scene's new files, keyed by path relative to out_dir."""
    scene = drawn.scene.describe()
    made = {}
    for new in drawn.files:
        output = new.output
        relative = output.path.relative_to(out_dir).as_posix()
        made[relative] = {
            "path": relative,
            "kind": output.kind,
            "format": output.path.suffix.lstrip("."),
            "sha256": new.sha256,  # of the bytes written, whatever may replace the file later
            "bytes": new.bytes,
            "width": output.width,
            "height": output.height,
            "fps": output.fps,
            "frames": output.frames,
            "duration": round(output.frames / output.fps, 6) if output.fps else None,
            "scene": scene,
            "final_loss": drawn.final_loss,
            "diverged_at": drawn.diverged_at,
            "fingerprint": fingerprint(scene),
            "versions": versions(),  # what made it, so `--check` can say what changed
        }
        if output.kind == "trajectory":
            made[relative]["recording"] = recording_fingerprint(scene)
        if output.kind == "video":
            made[relative]["events"] = drawn.events
    return made


def is_current(out_dir: Path, relative_paths: list[str], scene_fingerprint: str, entries: dict) -> bool:
    """True when every output exists, matches its recorded sha256, and was made with this fingerprint."""
    for relative in relative_paths:
        entry = entries.get(relative)
        path = Path(out_dir) / relative
        if not entry or entry.get("fingerprint") != scene_fingerprint or not path.is_file():
            return False
        if entry.get("bytes") != path.stat().st_size or entry.get("sha256") != sha256(path):
            return False
    return True

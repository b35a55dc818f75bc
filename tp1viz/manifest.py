"""media/manifest.json's entries: what each output is, and the fingerprint that says whether it is up to date.

A fingerprint hashes everything that decides an output's bytes: the scene's parameters, tp1viz's own
source, and the versions of torch, matplotlib and ffmpeg. It is computed without importing torch or
matplotlib, so a run with nothing to do stays fast. Reading, checking, merging and locking the file is
folder.py's, which shapes no output.
"""

import functools
import hashlib
import json
import subprocess
from importlib import metadata
from pathlib import Path

from ._version import __version__

PACKAGE_DIR = Path(__file__).parent
RECORDING_CODE = ("datasets.py", "models.py", "recorder.py", "landscape.py", "trajectory.py", "layouts.py",
                  "events.py", "pacing.py", "words.py")  # fmt: skip
# The modules whose code decides an output's bytes; the rest (the CLI, the executor, locks, --check, review)
# can change without re-rendering anything. Not the scene catalogue (scenes.toml) nor the code that reads it
# (scenes.py): each output's fingerprint holds its own scene's parameters, so editing one scene leaves every
# other scene up to date.
OUTPUT_CODE = (*RECORDING_CODE, "kinds.py", "draw.py", "lessons.py", "encode.py", "captions.py", "manifest.py",
               "placing.py", "mechanism.py")  # fmt: skip


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


def recording_fingerprint(recording_params: dict) -> str:
    """The hash that changes whenever a scene's recorded numbers would, but not when only their drawing would:
    of the parameters recording reads (Video.recording_params, from the schema's roles), the recording code and
    torch's version. A trajectory whose recording fingerprint still matches is reused, so changing how videos
    look re-renders them without training again, or even importing torch."""
    blob = json.dumps({"scene": recording_params, "code": recording_digest(), "torch": _package_version("torch")},
                      sort_keys=True)  # fmt: skip
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
            made[relative]["recording"] = recording_fingerprint(drawn.scene.recording_params())
        if output.kind == "video":
            made[relative]["events"] = drawn.events
    return made

"""Putting a scene in place: all its new files and its manifest entries, or none of them.

The scene's files are complete temporary files by now, verified and flushed (a full disk has failed
already). Under the output folder's lock a commit record is written first: which temporary file becomes
which output, and the new manifest entries. Then, with SIGINT and SIGTERM held back, the files are renamed
into place, the manifest updated and the record deleted. A render killed (SIGKILL) in between leaves the
record; the next render to take the lock finishes it (roll forward) before it does anything else.
"""

import json
from pathlib import Path

from . import manifest, signals
from .files import STATE, TEMP, fsync_dir, replace, write_bytes

COMMITS = "commits"  # under DIR/.tp1viz/: the records of commits under way


def commit(out_dir: Path, drawn, token: str) -> None:
    """Move the scene's temporary files onto their targets and record them in the manifest, as one step."""
    out_dir = Path(out_dir)
    moves = [[relative(new.temp, out_dir), relative(new.output.path, out_dir)] for new in drawn.files]
    entries = manifest.entries(drawn, out_dir)
    with manifest.locked(out_dir):
        record = out_dir / STATE / COMMITS / f"{token}-{drawn.scene.name}.json"
        write_bytes(record, json.dumps({"moves": moves, "entries": entries}, sort_keys=True).encode(), token)
        with signals.deferred():
            finish(out_dir, record, moves, entries, token)


def relative(path: Path, out_dir: Path) -> str:
    return Path(path).relative_to(out_dir).as_posix()


def finish(out_dir: Path, record: Path, moves: list, entries: dict, token: str) -> None:
    """The renames and the manifest of one recorded commit, then its record gone; safe to repeat."""
    for temp, target in moves:
        if (out_dir / temp).exists():  # a move the killed commit had made already is not made twice
            replace(out_dir / temp, out_dir / target)
    manifest.merge(out_dir, entries, token)
    record.unlink(missing_ok=True)
    fsync_dir(record.parent)


def is_own_move(temp: str, target: str) -> bool:
    """Whether a recorded move renames one of our temporary files onto the output it was made for."""
    temp, target = Path(temp), Path(target)
    match = TEMP.fullmatch(temp.name)
    inside = not target.is_absolute() and ".." not in target.parts
    return bool(match) and inside and temp.parent == target.parent and match["name"] == target.name


def roll_forward(out_dir: Path, token: str) -> list[str]:
    """Finish every commit a killed render left (hold manifest.locked); the names of the scenes finished."""
    out_dir = Path(out_dir)
    finished = []
    for record in sorted((out_dir / STATE / COMMITS).glob("*.json")):
        try:
            data = json.loads(record.read_text())
            moves, entries = data["moves"], data["entries"]
            if not all(is_own_move(temp, target) for temp, target in moves) or not isinstance(entries, dict):
                raise ValueError(record)
        except (OSError, ValueError, KeyError, TypeError):
            record.unlink(missing_ok=True)  # written atomically, so only a hand could have broken it
            continue
        finish(out_dir, record, moves, entries, token)
        finished.append(record.stem.split("-", 1)[1])
    return finished

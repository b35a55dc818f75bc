"""Atomic file output: a file appears complete under its final name, or not at all.

Each temporary file is locked by the process writing it. The lock dies with the process, even on SIGKILL,
so a later run can tell a stale temporary file (unlocked) from one another render is still writing (locked).
"""

import hashlib
import os
import secrets
import time
from pathlib import Path

from . import locks

TEMP_MARK = ".tmp-"
STALE_AFTER = 2.0  # seconds; a temp file younger than this may not be locked yet by its writer


def temp_name(path: Path) -> Path:
    """A hidden sibling of `path` that keeps its suffix, so tools still infer the format."""
    return path.with_name(f".{path.stem}{TEMP_MARK}{secrets.token_hex(4)}{path.suffix}")


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AtomicFile:
    """A locked temporary file beside `path`: commit() moves it into place, discard() removes it."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.temp = temp_name(self.path)
        self._claim = open(self.temp, "xb")  # noqa: SIM115 -- held open for the lock's lifetime
        locks.lock(self._claim.fileno())

    def commit(self) -> None:
        with open(self.temp, "rb") as written:
            os.fsync(written.fileno())  # the bytes are on disk before the name points at them
        os.replace(self.temp, self.path)
        fsync_dir(self.path.parent)
        self._release()

    def discard(self) -> None:
        self.temp.unlink(missing_ok=True)
        self._release()

    def _release(self) -> None:
        if self._claim.closed:
            return  # committed already: the writer's cleanup discards what is left, which is nothing
        locks.unlock(self._claim.fileno())
        self._claim.close()

    def __enter__(self) -> Path:
        return self.temp

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically."""
    with AtomicFile(path) as temp:
        temp.write_bytes(data)


def remove_stale_temps(folder: Path) -> list[Path]:
    """Delete temporary files left by killed renders under `folder`; leave those still being written."""
    removed = []
    for temp in Path(folder).rglob(f".*{TEMP_MARK}*"):
        try:
            if time.time() - temp.stat().st_mtime < STALE_AFTER:
                continue
            with open(temp, "rb") as probe:
                if not locks.try_lock(probe.fileno()):
                    continue  # its writer lives
                temp.unlink()
                removed.append(temp)
        except FileNotFoundError:
            continue
    return removed


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()

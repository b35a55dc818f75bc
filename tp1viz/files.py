"""Atomic file output: a file appears complete under its final name, or not at all."""

import contextlib
import os
import secrets
from pathlib import Path

TEMP_MARK = ".tmp-"


def temp_name(path: Path) -> Path:
    """A hidden sibling of `path` that keeps its suffix, so tools still infer the format."""
    return path.with_name(f".{path.stem}{TEMP_MARK}{secrets.token_hex(4)}{path.suffix}")


@contextlib.contextmanager
def atomic_path(path: Path):
    """Yield a temporary path beside `path`; move it into place only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_name(path)
    try:
        yield temp
        with open(temp, "rb+") as written:
            os.fsync(written.fileno())  # the bytes are on disk before the name points at them
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically."""
    with atomic_path(path) as temp:
        temp.write_bytes(data)

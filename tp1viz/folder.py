"""A media folder as tp1viz trusts it: its layout checked, its manifest file read and merged, its lock.

What a manifest entry says (fingerprints, entries) is manifest.py's, which shapes every output; how the file
is read, checked, merged and locked is here, and changes no output's bytes. Nothing here follows a link inside
the folder or opens a FIFO or a device: a folder someone shares may hold anything.
"""

import contextlib
import hashlib
import json
import os
import sys
import time
from pathlib import Path

from . import locks, signals
from .files import STATE, AtomicFile, BadFile, check_path, open_regular, read_bytes, sha256, write_bytes

MANIFEST = "manifest.json"
LOCK = f"{STATE}/lock"  # the folder's lock; its holder writes its pid into it
CLAIMS = f"{STATE}/claims"  # files.Claim's
COMMITS = f"{STATE}/commits"  # commit.py's records of commits under way
REJECTED = f"{STATE}/rejected"  # records that no tp1viz wrote, kept aside (never deleted, never acted on)
MAX_MANIFEST_BYTES = 64 * 2**20  # the course's is 40 KB; a larger one is not ours to read into memory
WAIT_NOTICE_SECONDS = 1.0  # waiting longer than this for the lock is said, with who holds it
POLL_SECONDS = 0.05


def check(out_dir: Path, outputs=(), folders=()) -> None:
    """Refuse (BadFile, one line) a media folder tp1viz cannot trust: a link where it reads or writes (its own
    folders, the manifest, its lock, the outputs and folders given), or a file where a folder belongs, or the
    reverse."""
    out_dir = Path(out_dir)
    for relative in (STATE, CLAIMS, COMMITS, REJECTED, *folders):
        check_path(out_dir, relative, "folder")
    for relative in (MANIFEST, LOCK, *(Path(path).relative_to(out_dir) for path in outputs)):
        check_path(out_dir, relative, "file")


# ---- the manifest file --------------------------------------------------------------------------------


class NotANumber:
    """What NaN or Infinity in the file reads as: no entry holding one is valid."""


UNREADABLE = object()  # a manifest that is there but is not JSON


def read_raw(out_dir: Path) -> bytes | None:
    """The manifest's bytes, or None if there is none; BadFile if it is not a regular file inside the folder."""
    try:
        return read_bytes(Path(out_dir) / MANIFEST, MAX_MANIFEST_BYTES)
    except FileNotFoundError:
        return None


def parse(raw: bytes | None):
    """A manifest's parsed JSON, None for no manifest, or UNREADABLE."""
    if raw is None:
        return None
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=lambda name: NotANumber())
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return UNREADABLE


def read(out_dir: Path):
    """The manifest's parsed JSON, None if there is none, or UNREADABLE (BadFile for a link, a FIFO, a folder)."""
    try:
        return parse(read_raw(out_dir))
    except BadFile:
        raise
    except OSError:
        return UNREADABLE


def is_valid(relative: str, entry) -> bool:
    """An entry that can be trusted as far as its form goes; any other counts as missing."""
    if not isinstance(entry, dict) or entry.get("path") != relative:
        return False
    sha, size = entry.get("sha256"), entry.get("bytes")
    if not (isinstance(sha, str) and len(sha) == 64 and type(size) is int and size >= 0):
        return False
    try:
        json.dumps(entry, allow_nan=False)  # no NaN, no stray object anywhere inside
    except (TypeError, ValueError, RecursionError):
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


def is_regular(path: Path) -> bool:
    """Whether `path` is a regular file itself (not a link to one)."""
    try:
        return os.path.isfile(path) and not os.path.islink(path)
    except OSError:
        return False


def is_dir(path: Path) -> bool:
    """Whether `path` is a folder itself (not a link to one)."""
    try:
        return os.path.isdir(path) and not os.path.islink(path)
    except OSError:
        return False


def describes(path: Path, entry: dict) -> bool:
    """Whether a manifest entry describes the file at `path` as it is (size and sha256)."""
    if not is_regular(path) or entry.get("bytes") != path.stat().st_size:
        return False
    try:
        return entry.get("sha256") == sha256(path)
    except (OSError, BadFile):
        return False


def is_current(out_dir: Path, relative_paths: list[str], scene_fingerprint: str, entries: dict) -> bool:
    """True when every output exists, matches its recorded sha256, and was made with this fingerprint."""
    for relative in relative_paths:
        entry = entries.get(relative)
        if not entry or entry.get("fingerprint") != scene_fingerprint or not describes(Path(out_dir) / relative, entry):
            return False
    return True


def kept_aside(out_dir: Path, raw: bytes) -> Path:
    """Where a manifest that is not JSON is kept: named by its content, so no other copy is ever overwritten."""
    return Path(out_dir) / STATE / f"manifest.unreadable.{hashlib.sha256(raw).hexdigest()[:16]}.json"


def merge(out_dir: Path, new_entries: dict, token: str) -> None:
    """Merge `new_entries` into the manifest, dropping entries whose files are gone; hold locked() around it.

    A manifest that is not JSON at all is kept aside (kept_aside) before it is replaced, readable by its owner
    alone: it may have held anything.
    """
    out_dir = Path(out_dir)
    raw = read_raw(out_dir)
    if parse(raw) is UNREADABLE:
        copy = kept_aside(out_dir, raw)
        if not copy.exists():
            with AtomicFile(copy, token) as temp:
                temp.write_bytes(raw)
                os.chmod(temp, 0o600)
    entries = {path: entry for path, entry in valid_entries(parse(raw)).items() if is_regular(out_dir / path)}
    entries.update(new_entries)
    text = dumps(entries).encode()
    if raw != text:  # unchanged: the file is not touched
        write_bytes(out_dir / MANIFEST, text, token)


# ---- the folder's lock --------------------------------------------------------------------------------


@contextlib.contextmanager
def locked(out_dir: Path):
    """Hold an exclusive lock on the output folder while its manifest is read, merged and rewritten.

    The lock is a file's, not the folder's: Windows cannot open a folder to lock it. A wait longer than a
    second is said on stderr, naming the render that holds it; Ctrl-C ends the wait.
    """
    out_dir = Path(out_dir)
    check_path(out_dir, STATE, "folder")
    (out_dir / STATE).mkdir(exist_ok=True)
    fd = open_regular(out_dir / LOCK, os.O_RDWR | os.O_CREAT)
    try:
        wait_for_lock(fd, out_dir)
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())  # who holds it, for a render that waits
            yield
        finally:
            locks.unlock(fd)  # Windows releases a closed file's locks only eventually
    finally:
        os.close(fd)


def wait_for_lock(fd: int, out_dir: Path) -> None:
    """Take the lock; after WAIT_NOTICE_SECONDS of waiting, say for whom (once)."""
    if locks.try_lock(fd):
        return
    started, said = time.monotonic(), False
    with signals.raising():  # holding nothing yet: a Ctrl-C or SIGTERM ends the wait at once
        while not locks.try_lock(fd):
            if not said and time.monotonic() - started >= WAIT_NOTICE_SECONDS:
                # Said here, not returned: the wait goes on. One line on stderr, as every notice.
                print(waiting_line(fd, out_dir), file=sys.stderr, flush=True)
                said = True
            time.sleep(POLL_SECONDS)


def waiting_line(fd: int, out_dir: Path) -> str:
    """ "waiting for the render (pid N) that holds DIR", from the pid its holder wrote into the lock."""
    try:
        text = os.pread(fd, 32, 0) if hasattr(os, "pread") else b""
        pid = int(text.decode("ascii").strip())
    except (OSError, ValueError):
        return f"waiting for another render that holds {out_dir}"
    return f"waiting for the render (pid {pid}) that holds {out_dir}"

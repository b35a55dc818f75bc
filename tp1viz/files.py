"""Atomic file output: a file appears complete under its final name, or not at all.

Every temporary file is a hidden sibling of its target named `.<name>.tp1viz-<token>-<random><suffix>`, a
pattern no one else's file has. A render's token is its claim on the temporary files it makes: a lock file
in DIR/.tp1viz/claims/ that the render holds while it lives (its forked workers share the lock). The lock dies
with its holders, even on SIGKILL, so a later render deletes the temporary files of a dead claim (or of no
claim) at once and never touches those of a live one.
"""

import contextlib
import errno
import hashlib
import os
import re
import secrets
import shutil
import stat
import tempfile
from pathlib import Path

from . import locks

STATE = ".tp1viz"  # tp1viz's own bookkeeping inside an output folder
# Opened files are never reached through a link at the end of their path, and a FIFO never blocks the open.
SAFE_OPEN = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
PROCESS_TOKEN = secrets.token_hex(8)  # names the temporary files of writes no claim covers
TEMP = re.compile(r"\.(?P<name>.+)\.tp1viz-(?P<token>[0-9a-f]{16})-[0-9a-f]{8}(?P<suffix>\.[A-Za-z0-9]+)?")


class BadFile(ValueError):
    """A path in a media folder that tp1viz will not read or write: a link, or not the kind of file it keeps there
    (trajectory.BadRecording and compare.Undecodable are kinds of it). `advice` says what to do about it."""

    advice = ""


KINDS = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"),
         (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))  # fmt: skip


def what_is(mode: int) -> str:
    """ "a folder", "a FIFO", ...: what a file's mode says it is."""
    return next((name for test, name in KINDS if test(mode)), "a file")


def refusal(path, mode: int, want: str) -> BadFile:
    """Why `path`, of this mode, is not what tp1viz keeps there (`want`: "file" or "folder")."""
    if stat.S_ISLNK(mode):
        return BadFile(f"{path} is a symbolic link; tp1viz follows no link inside a media folder (it would read or "
                       "write outside it)")  # fmt: skip
    return BadFile(f"{path} is {what_is(mode)}, not a {want}; move it away")


def check_path(root: Path, relative, want: str = "file") -> None:
    """Refuse (BadFile) a path under `root` that passes through a link or a file, or is there but not a `want`
    ("file": a regular file; "folder"). An absent path passes: tp1viz may make it."""
    path, parts = Path(root), Path(relative).parts
    for index, part in enumerate(parts):
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            return
        last = index == len(parts) - 1
        if stat.S_ISLNK(mode) or not last and not stat.S_ISDIR(mode):
            raise refusal(path, mode, "folder")
        if last and not (stat.S_ISDIR(mode) if want == "folder" else stat.S_ISREG(mode)):
            raise refusal(path, mode, want)


def open_regular(path: Path, flags: int = os.O_RDONLY, mode: int = 0o644) -> int:
    """A descriptor of the regular file at `path`: never through a link at its end, never a FIFO or a device
    (refused before it is opened, and checked again once open), BadFile otherwise."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        if not flags & os.O_CREAT:
            raise
    else:
        if not stat.S_ISREG(info.st_mode):
            raise refusal(path, info.st_mode, "file")
    try:
        fd = os.open(path, flags | SAFE_OPEN, mode)
    except OSError as error:
        if error.errno == errno.ELOOP:  # O_NOFOLLOW met a link made since the lstat
            raise refusal(path, stat.S_IFLNK, "file") from None
        raise
    kind = os.fstat(fd).st_mode
    if not stat.S_ISREG(kind):
        os.close(fd)
        raise refusal(path, kind, "file")
    return fd


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file (open_regular); BadFile if there are more than `limit`."""
    with os.fdopen(open_regular(path), "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        if limit is not None and size > limit:
            raise BadFile(f"{path} is {size} bytes, more than the {limit} tp1viz reads of it")
        return stream.read()


def temp_path(path: Path, token: str = PROCESS_TOKEN) -> Path:
    """A hidden sibling of `path` that keeps its suffix, so tools still infer the format."""
    path = Path(path)
    return path.with_name(f".{path.name}.tp1viz-{token}-{secrets.token_hex(4)}{path.suffix}")


def shown_target(name) -> str:
    """A path as a user knows it: a temporary file shown as the output it stands for."""
    path = Path(str(name))
    match = TEMP.fullmatch(path.name)
    return str(path.with_name(match["name"])) if match else str(name)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (a no-op where folders cannot be opened, as on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace(temp: Path, path: Path) -> None:
    """Move a complete temporary file onto its target: its bytes reach the disk before the name points at them."""
    fsync_file(temp)
    os.replace(temp, path)
    fsync_dir(Path(path).parent)


class AtomicFile:
    """A temporary file beside `path`: commit() moves it into place, discard() removes it."""

    def __init__(self, path: Path, token: str = PROCESS_TOKEN):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.temp = temp_path(self.path, token)
        self.temp.touch(exist_ok=False)

    def commit(self) -> None:
        replace(self.temp, self.path)

    def discard(self) -> None:
        self.temp.unlink(missing_ok=True)

    def __enter__(self) -> Path:
        return self.temp

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def write_bytes(path: Path, data: bytes, token: str = PROCESS_TOKEN) -> None:
    """Write `data` to `path` atomically."""
    with AtomicFile(path, token) as temp:
        temp.write_bytes(data)


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    with os.fdopen(open_regular(path), "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


class Claim:
    """A render's claim on the temporary files it makes in `out_dir`, held until close()."""

    def __init__(self, out_dir: Path):
        self.claims = Path(out_dir) / STATE / "claims"
        self.claims.mkdir(parents=True, exist_ok=True)
        self.token = secrets.token_hex(8)
        # Locked under a name no cleaner reads, then renamed: a claim is never seen unlocked while its owner lives.
        pending = self.claims / f".{self.token}"
        self.fd = os.open(pending, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        locks.lock(self.fd)
        os.replace(pending, self.claims / self.token)

    def temp(self, path: Path) -> Path:
        return temp_path(path, self.token)

    def close(self, folders) -> None:
        """Remove what is left of this claim's temporary files in `folders`, then the claim itself."""
        try:
            remove_temps(folders, {self.token})
            (self.claims / self.token).unlink(missing_ok=True)
        except OSError:
            pass  # out of memory, say: the claim is dead once we are, and the next render removes what is left
        finally:
            locks.unlock(self.fd)
            os.close(self.fd)


def dead_claims(out_dir: Path) -> set[str]:
    """The tokens of claims in out_dir whose renders are gone (their lock is free)."""
    dead = set()
    claims = Path(out_dir) / STATE / "claims"
    for claim in claims.glob("*") if claims.is_dir() else ():
        if claim.name.startswith("."):
            continue  # being created
        try:
            fd = open_regular(claim, os.O_RDWR)
        except (OSError, BadFile):
            continue  # not a claim of ours: left alone
        try:
            if locks.try_lock(fd):
                dead.add(claim.name)
                locks.unlock(fd)
        finally:
            os.close(fd)
    return dead


def is_real_dir(path) -> bool:
    """A folder itself, not a link to one: cleanup never follows a link out of the media folder."""
    return Path(path).is_dir() and not Path(path).is_symlink()


def remove_temps(folders, tokens: set[str]) -> list[Path]:
    """Delete the temporary files of these tokens in `folders` (not below them): regular files only."""
    removed = []
    for folder in folders:
        for entry in os.scandir(folder) if is_real_dir(folder) else ():
            match = TEMP.fullmatch(entry.name)
            if match and match["token"] in tokens and stat.S_ISREG(entry.stat(follow_symlinks=False).st_mode):
                Path(entry.path).unlink(missing_ok=True)
                removed.append(Path(entry.path))
    return removed


def live_claims(out_dir: Path) -> set[str]:
    """The tokens of the claims in out_dir, live or not, as their files name them."""
    claims = Path(out_dir) / STATE / "claims"
    return {claim.name for claim in claims.glob("*") if not claim.name.startswith(".")} if claims.is_dir() else set()


def remove_dead_claims(out_dir: Path, folders) -> list[Path]:
    """Delete the temporary files of renders that died (killed before they could clean up), and their claims.

    A temporary file whose claim is gone is deleted too: a render removes its claim only after its own files,
    so such a file can only come from a writer that outlived its render (an ffmpeg orphaned by a SIGKILL).
    """
    dead = dead_claims(out_dir)
    unclaimed = {TEMP.fullmatch(p.name)["token"] for folder in folders if is_real_dir(folder)
                 for p in Path(folder).iterdir() if TEMP.fullmatch(p.name)} - live_claims(out_dir)  # fmt: skip
    removed = remove_temps(folders, dead | unclaimed)
    for token in dead:
        (Path(out_dir) / STATE / "claims" / token).unlink(missing_ok=True)
    return removed


SCRATCH = "tp1viz-check-"  # folders in the system's temporary directory, each with an owner.lock
SCRATCH_NAME = re.compile(re.escape(SCRATCH) + "[0-9a-f]{16}")
OWNER = "owner.lock"  # holds the folder's own identity: a copy of it, or a folder a user named so, is not ours


def identity(info: os.stat_result) -> bytes:
    """What names one folder on this machine (its device and inode): a copy or a namesake has another."""
    return f"tp1viz --check scratch folder {info.st_dev}:{info.st_ino}\n".encode()


@contextlib.contextmanager
def scratch_folder():
    """A folder of our own in the system's temporary directory, removed afterwards, or by a later run if we die."""
    parent = Path(tempfile.gettempdir())
    pending = Path(tempfile.mkdtemp(prefix=f".{SCRATCH}", dir=parent))
    fd = os.open(pending / OWNER, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, identity(os.stat(pending)))
    locks.lock(fd)
    folder = parent / f"{SCRATCH}{secrets.token_hex(8)}"
    os.replace(pending, folder)  # a folder with our prefix always holds a lock file, taken before it had the name
    try:
        yield folder
    finally:
        locks.unlock(fd)
        os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)


def is_dead_scratch(folder: Path) -> bool:
    """Whether `folder` is the scratch folder of a `--check` that died: a real folder of this user, named as we
    name them, whose owner.lock names the folder itself and is free."""
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    if not (SCRATCH_NAME.fullmatch(folder.name) and stat.S_ISDIR(info.st_mode) and mine):
        return False
    try:
        fd = open_regular(folder / OWNER, os.O_RDWR)
    except (OSError, BadFile):
        return False  # not one of ours, or not ours to touch
    try:
        if os.read(fd, 256) != identity(info) or not locks.try_lock(fd):
            return False  # a folder that only looks like ours, or its owner lives
        locks.unlock(fd)
        return True
    finally:
        os.close(fd)


def remove_dead_scratch() -> list[Path]:
    """Remove the scratch folders of `--check` runs that died (SIGKILL) before they could."""
    removed = []
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH}*"):
        if is_dead_scratch(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed

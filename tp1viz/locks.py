"""Cross-process locks that die with the process holding them, even on SIGKILL.

flock() where there is fcntl (Linux, macOS); msvcrt.locking() on Windows, which has no fcntl. Both locks
belong to an open file: closing it, or the holder's death, releases the lock.
"""

import os
import time

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt

RETRY_SECONDS = 0.05  # msvcrt's blocking mode gives up after 10 s; we wait as long as flock would


def try_lock(fd: int) -> bool:
    """Take the exclusive lock of an open file at once, or return False if another holder has it."""
    try:
        if fcntl:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            os.lseek(fd, 0, os.SEEK_SET)  # msvcrt locks bytes from the current position
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:  # BlockingIOError from flock, PermissionError from msvcrt
        return False
    return True


def lock(fd: int) -> None:
    """Take the exclusive lock of an open file, waiting for its holder to let go."""
    if fcntl:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return
    while not try_lock(fd):
        time.sleep(RETRY_SECONDS)


def unlock(fd: int) -> None:
    if fcntl:
        fcntl.flock(fd, fcntl.LOCK_UN)
    else:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

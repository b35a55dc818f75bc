"""One signal path for Ctrl-C and SIGTERM: noted at once, acted on only where stopping is safe.

A handler that raises can land anywhere: inside a lock, a weakref callback (where Python swallows it) or a
cleanup. Ours only notes the signal. Long loops call checkpoint(), which raises Interrupted; waits that hold
no lock run inside `raising()`, where the handler raises at once. A commit runs inside `deferred()`, with the
signals blocked, and the note is acted on after it.
"""

import contextlib
import signal
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):  # like KeyboardInterrupt: no `except Exception` swallows it
    """Ctrl-C or SIGTERM: stop, leaving every output either as it was or whole and new."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


_noted: int | None = None
_raising = 0


def _handle(signum, frame) -> None:
    global _noted
    _noted = signum
    if _raising:
        raise Interrupted(signum)


def install() -> None:
    """Route SIGINT and SIGTERM here (from the main thread, before anything slow)."""
    for signum in SIGNALS:
        signal.signal(signum, _handle)


def checkpoint() -> None:
    """Raise Interrupted if a signal has arrived; a no-op otherwise (cheap enough for every frame)."""
    if _noted is not None:
        raise Interrupted(_noted)


def interrupted() -> bool:
    return _noted is not None


@contextlib.contextmanager
def raising():
    """A stretch where an arriving signal may raise at once: a wait on pipes or processes, holding no lock."""
    global _raising
    checkpoint()
    _raising += 1
    try:
        yield
    finally:
        _raising -= 1


@contextlib.contextmanager
def deferred():
    """A stretch no signal may cut (renames and the manifest of one scene): SIGINT and SIGTERM wait until after."""
    blockable = hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread()
    if blockable:
        signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    try:
        yield
    finally:
        if blockable:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)  # a blocked signal is delivered here, noted

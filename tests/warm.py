"""`tp1viz ARGS` as a process forked from a warmed interpreter: a real process, with its own pid, signal
handlers, exit status and process group, without the half second of imports each new interpreter pays.

The fork server (multiprocessing's "forkserver") imports what a drawing render imports, once per test process,
and never torch: a render that trains imports it itself, as a real one does. Where the interpreter's own start
is the point (a signal during start-up, a stream the shell closed, the console script), tests start a new one.
"""

import multiprocessing
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRELOAD = ["warm", "tp1viz.signals", "tp1viz.cli", "tp1viz.build", "tp1viz.draw", "tp1viz.kinds", "tp1viz.lessons"]
_context = None


def _forkserver():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def _run(args: list[str], cwd: str, env: dict, stdout: str, stderr: str, before: str | None, script: str | None):
    """In the forked process: become `tp1viz ARGS` started by a shell, then run as the console script does (or
    run `script` with those arguments, as `python -c SCRIPT ARGS` would)."""
    os.setpgid(0, 0)  # a job of its own, as a shell makes it: the render's workers are found by its group
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    for fd, path in ((1, stdout), (2, stderr)):
        opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(opened, fd)
        os.close(opened)
    from tp1viz import signals

    signals.install()  # first, as tp1viz/__main__.py does
    if before:
        exec(before, {})  # a test's change to the program (a slower disk), made before it runs
    if script:
        sys.argv = ["-c", *args]
        exec(script, {"__name__": "__main__"})
        sys.stdout.flush()
        os._exit(0)
    sys.argv = ["tp1viz", *args]
    from tp1viz.cli import run

    run()


class Process:
    """The parts of subprocess.Popen the tests use, for a forked `tp1viz ARGS`; its streams are files."""

    def __init__(self, *args, stdout: str | None = None, before: str | None = None, script: str | None = None,
                 env: dict | None = None):  # fmt: skip
        self._streams = tempfile.TemporaryDirectory(prefix="tp1viz-warm-")
        self._out = os.path.join(self._streams.name, "stdout")
        self._err = os.path.join(self._streams.name, "stderr")
        streams = (stdout or self._out, self._err)
        run = (list(map(str, args)), str(ROOT), dict(env or os.environ), *streams, before, script)
        self._process = _forkserver().Process(target=_run, args=run)
        self._process.start()
        self.pid = self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def send_signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired(f"tp1viz (pid {self.pid})", timeout)
        return self._process.exitcode

    def stderr_so_far(self) -> str:
        """What the process has written to its stderr by now."""
        return Path(self._err).read_text() if os.path.exists(self._err) else ""

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        self.wait(timeout)
        return tuple(Path(path).read_text() if os.path.exists(path) else "" for path in (self._out, self._err))


def _stat(path: Path) -> list[str] | None:
    """A process's fields after its name in /proc/PID/stat (state, ppid, process group, ...); None once gone."""
    try:
        return path.read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def alive(pid: int) -> bool:
    """Whether the process `pid` runs (it is neither gone nor a zombie)."""
    fields = _stat(Path(f"/proc/{pid}/stat"))
    return fields is not None and fields[0] != "Z"


def group_alive(pgid: int) -> list[int]:
    """The pids of live (not zombie) processes in the process group `pgid`."""
    stats = ((int(path.parent.name), _stat(path)) for path in Path("/proc").glob("[0-9]*/stat"))
    return [pid for pid, fields in stats if fields and fields[0] != "Z" and int(fields[2]) == pgid]

"""Where scenes are drawn and encoded: in this process (`--jobs 1`), or in forked workers that never load torch.

The seam is the trajectory: drawing needs no torch. Workers are forked before this process imports torch, so
they never load it; they load matplotlib while torch loads here, the slow start of every cold run. A job
writes temporary files only; this process commits them. Workers die with this process (they watch a pipe
whose other end only it holds), and a worker that dies is its own scene's failure, never a hang.
"""

import concurrent.futures
import multiprocessing
import multiprocessing.connection
import os
import signal
import struct
import threading
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool

FLUSH_EVERY = 8  # frames a worker counts before telling the progress bar


class WorkerDied(RuntimeError):
    """The worker process drawing a scene died (killed, or out of memory)."""


def available_cpus() -> int:
    """The CPUs this process may run on: its affinity where the platform has one (Linux), else all."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether workers can be forked (not on Windows); without fork, scenes are rendered in this process."""
    return "fork" in multiprocessing.get_all_start_methods()


def start(jobs: int, progress: Callable[[int], None] | None):
    """The executor for `jobs` scenes at once; `progress(frames)` hears of every frame drawn."""
    if jobs > 1 and can_fork():
        return Forked(jobs, progress)
    return InProcess(progress)


class InProcess:
    """Runs each job as it is submitted, in this process."""

    def __init__(self, progress):
        self.on_frame = (lambda: progress(1)) if progress else None
        self.finished, self.pending = [], 0

    def submit(self, tag, job: Callable, *args) -> None:
        try:
            self.finished.append((tag, job(*args, on_frame=self.on_frame), None))
        except Exception as error:
            self.finished.append((tag, None, error))

    def done(self, block: bool = False) -> list:
        """The (tag, result, error) of every job finished since the last call."""
        finished, self.finished = self.finished, []
        return finished

    def close(self, graceful: bool = True) -> None:
        pass


# ---- forked workers ---------------------------------------------------------------------------------

_progress = None  # in a worker: the pipe to the parent's progress bar


def _start_worker(progress, alive_read: int, alive_write: int) -> None:
    """Watch the parent, load and warm up the renderer, leave Ctrl-C to the parent."""
    global _progress
    _progress = progress
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    os.close(alive_write)  # only the parent may hold it, or its end would never be seen
    threading.Thread(target=_exit_with_parent, args=(alive_read,), daemon=True).start()
    os.nice(5)  # the recorder in the parent feeds every worker: when the cores are contended, it goes first
    import numpy as np

    from . import draw

    draw.data_still(np.zeros(2), np.zeros(2), "warm", 64)  # loads matplotlib and the fonts


def _exit_with_parent(alive_read: int) -> None:
    """Block until the parent's end of the pipe closes (it exited, was killed, or gave up), then stop at once."""
    while os.read(alive_read, 1):
        pass
    _stop_now()


def _stop_on_sigterm(signum, frame) -> None:
    """concurrent.futures stops the other workers with SIGTERM when one dies: stop as when the parent dies.
    Dying at once instead would orphan this worker's ffmpeg, which, seeing its input end, would write its file
    after the parent had cleaned up (an ffmpeg that got no frame yet creates it only then). From a thread: the
    main one may be inside a spawn that stop_all waits for."""
    threading.Thread(target=_stop_now, daemon=True).start()


def _stop_now() -> None:
    """Kill this worker's ffmpeg processes, and end (whatever happens: the pool waits for this process)."""
    try:
        from . import encode

        encode.stop_all()
    finally:
        os._exit(1)


def _run(job: Callable, args: tuple):
    """A job in a worker, with its frames counted for the parent's progress bar."""
    counted = 0

    def on_frame() -> None:
        nonlocal counted
        counted += 1
        if counted == FLUSH_EVERY:
            _progress.send_bytes(struct.pack("I", counted))
            counted = 0

    try:
        return job(*args, on_frame=on_frame)
    finally:
        if counted:
            _progress.send_bytes(struct.pack("I", counted))


def _nothing() -> None:
    pass


class Forked:
    """Jobs in `workers` processes forked now, through concurrent.futures."""

    def __init__(self, workers: int, progress):
        self.progress, self.workers = progress, workers
        self.progress_read, progress_write = multiprocessing.Pipe(duplex=False)
        self.wake_read, self.wake_write = multiprocessing.Pipe(duplex=False)
        self.alive_read, self.alive_write = os.pipe()
        self.initargs = (progress_write, self.alive_read, self.alive_write)
        self.jobs: dict[concurrent.futures.Future, tuple] = {}
        self.stranded: list[tuple] = []  # submitted after the pool broke, before done() saw it
        self.pool = self._pool(workers)

    def _pool(self, workers: int) -> concurrent.futures.ProcessPoolExecutor:
        pool = concurrent.futures.ProcessPoolExecutor(workers, multiprocessing.get_context("fork"),
                                                      initializer=_start_worker, initargs=self.initargs)  # fmt: skip
        pool.submit(_nothing)  # forks every worker now, before this process imports torch
        return pool

    @property
    def pending(self) -> int:
        return len(self.jobs) + len(self.stranded)

    def submit(self, tag, job: Callable, *args) -> None:
        if self.pool is None:  # the last one broke: forked again, now that there is work for it
            self.pool = self._pool(self.workers)
        try:
            future = self.pool.submit(_run, job, args)
        except BrokenProcessPool:
            self.stranded.append((tag, job, args))
            return
        self.jobs[future] = (tag, job, args)
        future.add_done_callback(lambda _: self.wake_write.send_bytes(b""))  # from the pool's thread: wakes done()

    def done(self, block: bool = False) -> list:
        """The (tag, result, error) of every job finished since the last call; with block, wait for one."""
        from . import signals

        if block and self.jobs and not self.stranded and not any(future.done() for future in self.jobs):
            with signals.raising():
                multiprocessing.connection.wait([self.progress_read, self.wake_read])
        self._drain()
        finished, broken, self.stranded = [], self.stranded, []
        for future in [future for future in self.jobs if future.done()]:
            tag, job, args = self.jobs.pop(future)
            error = future.exception()
            if isinstance(error, BrokenProcessPool):
                broken.append((tag, job, args))
            else:
                finished.append((tag, None if error else future.result(), error))
        if broken:
            finished += self._again_one_by_one(broken)
        return finished

    def _drain(self) -> None:
        while self.wake_read.poll():
            self.wake_read.recv_bytes()
        while self.progress_read.poll():
            (frames,) = struct.unpack("I", self.progress_read.recv_bytes())
            if self.progress:
                self.progress(frames)

    def _again_one_by_one(self, jobs: list) -> list:
        """A worker died, and the pool with it: run each unfinished job again alone, so a death has one culprit."""
        from . import signals

        if self.pool:
            self.pool.shutdown(wait=True, cancel_futures=True)
        finished = []
        for tag, job, args in jobs:
            pool = self._pool(1)
            try:
                with signals.raising():
                    finished.append((tag, pool.submit(_run, job, args).result(), None))
            except BrokenProcessPool:
                finished.append((tag, None, WorkerDied("the worker process drawing it died (out of memory?)")))
            except Exception as error:
                finished.append((tag, None, error))
            finally:
                pool.shutdown(wait=False)  # an interrupt must not wait for the job; close() stops the worker
        self._drain()
        self.pool = None
        for future, (tag, job, args) in list(self.jobs.items()):  # any the broken pool had not failed yet
            del self.jobs[future]
            self.submit(tag, job, *args)
        return finished

    def close(self, graceful: bool = True) -> None:
        """Let the workers go (graceful), or stop them at once (they see the pipe close); wait for them either
        way, so no temporary file of theirs outlives this."""
        if graceful and self.pool:
            self.pool.shutdown(wait=True)
        os.close(self.alive_write)
        if self.pool:
            self.pool.shutdown(wait=True, cancel_futures=True)
        os.close(self.alive_read)

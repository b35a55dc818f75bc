"""Scenes rendered side by side: this process records, worker processes draw and encode.

The seam is the trajectory: drawing needs no torch. Workers are forked before this process imports torch,
so they never load it; they load matplotlib while torch loads here, the slow start of every cold run
(about 4 s: torch, then the modules its optimizers pull in). Each scene is recorded here, in the order
build.recording_order gives, and handed to the next free worker.
"""

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path


def available_cpus() -> int:
    """The CPUs this process may run on: its affinity where the platform has one (Linux), else all."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether workers can be forked (not on Windows); without fork, scenes are rendered in this process."""
    return "fork" in multiprocessing.get_all_start_methods()


_frames_done = None  # a shared counter of frames drawn, for the parent's progress bar; set before forking


def _start_worker() -> None:
    """Load and warm up the renderer; idle, die on SIGTERM (Pool.terminate) and leave Ctrl-C to the parent."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The recorder in the parent feeds every worker: when the cores are contended, it goes first.
    os.nice(5)
    import numpy as np

    from . import draw, encode  # noqa: F401 -- matplotlib comes with draw

    draw.data_still(np.zeros(2), np.zeros(2), "warm", 64)  # loads the fonts


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _count_frame() -> None:
    with _frames_done.get_lock():
        _frames_done.value += 1


def _render_in_worker(scene, out_dir: Path, inputs: object) -> object:
    from .build import render_safely

    # While rendering, signals become KeyboardInterrupt, so that the temporary files get removed.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        return render_safely(scene, out_dir, _count_frame, inputs)
    except KeyboardInterrupt:
        os._exit(130)  # the temp files are removed already; skip multiprocessing's traceback
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def render_parallel(
    scenes: list, out_dir: Path, jobs: int, advance: Callable | None, saved: Callable | None = None
) -> Iterator:
    """Record `scenes` in order here and render them with `jobs` workers; yield each Report as it finishes."""
    from .build import Report, scene_inputs_or_failure

    global _frames_done
    context = multiprocessing.get_context("fork")
    _frames_done = context.Value("q", 0)
    pool = context.Pool(min(jobs, len(scenes)), initializer=_start_worker)  # before torch is imported here
    try:
        pending, counted, recorded = [], 0, {}

        def finished() -> Iterator:
            """Advance the bar, and yield the reports of the jobs done since the last look."""
            nonlocal counted
            if advance and _frames_done.value > counted:
                advance(_frames_done.value - counted)
                counted = _frames_done.value
            for result in [result for result in pending if result.ready()]:
                pending.remove(result)
                yield result.get()

        for scene in scenes:
            inputs = scene_inputs_or_failure(scene, recorded, saved)
            if isinstance(inputs, Report):
                yield inputs
            else:
                pending.append(pool.apply_async(_render_in_worker, (scene, out_dir, inputs)))
            yield from finished()  # early scenes are reported while later ones are still being recorded
        while pending:
            pending[0].wait(timeout=0.1)
            yield from finished()
        pool.close()  # every job is done: let the workers leave on their own
    except BaseException:  # Ctrl-C, SIGTERM, or the caller stopped listening
        pool.terminate()
        raise
    finally:
        pool.join()

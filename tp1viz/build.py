"""The build: which scenes to render, and the one loop that renders and commits them.

For each scene the loop asks: is it up to date (its files as the manifest recorded them, with today's
fingerprint)? If not: what does it need (its inputs, from the runs service: the torch work, done here in
order), then hand it to the executor to draw and encode into temporary files, and commit what comes back.
This module imports neither torch nor matplotlib, so listing, help and a run with nothing to do stay fast.
"""

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import executor, folder, manifest, signals
from .commit import Refused, Unfinished, commit, roll_forward
from .files import Claim, remove_dead_claims, remove_dead_scratch, shown_target
from .kinds import FOLDERS, VIDEO_FORMATS, Output
from .runs import Runs
from .scenes import STILL_FILE


@dataclass(frozen=True)
class Rendered:
    scene: object
    outputs: list[Output]
    sizes: dict[Path, int] = field(default_factory=dict)  # bytes written, by path
    final_loss: float | None = None
    diverged_at: int | None = None  # the step a run diverged at (the earliest): events.diverged_at
    warn_diverged: int | None = None  # ... when every run of the scene diverged


@dataclass(frozen=True)
class UpToDate:
    scene: object
    outputs: list[Output]


@dataclass(frozen=True)
class Failed:
    scene: object
    error: str  # one line


@dataclass(frozen=True)
class Notice:
    """Something the render met and dealt with, said in one line: a broken record kept aside, a recording that
    could not be read and is recorded again."""

    line: str


def select(names: list[str] | tuple[str, ...], catalog: dict) -> list:
    """The named scenes in the order given, or every scene; unknown names raise KeyError."""
    if not names:
        return list(catalog.values())
    unknown = [name for name in names if name not in catalog]
    if unknown:
        raise KeyError(", ".join(unknown))
    return [catalog[name] for name in dict.fromkeys(names)]


def is_up_to_date(scene, out_dir: Path, entries: dict) -> bool:
    """True when every output of `scene` is on disk as the manifest recorded it, with today's fingerprint."""
    relative = [output.path.relative_to(out_dir).as_posix() for output in scene.outputs(out_dir)]
    return folder.is_current(out_dir, relative, manifest.fingerprint(scene.describe()), entries)


def is_output(relative: str, scene_name: str) -> bool:
    """Whether a scene of this name writes the file at `relative`: a video's files and its recording, or a
    still's picture (a still names its file itself). A commit record may rename onto nothing else."""
    suffixes = (*VIDEO_FORMATS, "jpg", "vtt", "txt")  # kinds.Video.outputs: the videos, poster, captions, words
    videos = {f"videos/{scene_name}.{suffix}" for suffix in suffixes} | {f"trajectories/{scene_name}.npz"}
    return relative in videos or STILL_FILE.fullmatch(relative) is not None


def check_folder(scenes: list, out_dir: Path) -> None:
    """Refuse (files.BadFile) a media folder with a link, or a file of the wrong kind, where these scenes'
    outputs or tp1viz's own files go: before anything is read or written."""
    outputs = [output.path for scene in scenes for output in scene.with_formats_on_disk(out_dir).outputs(out_dir)]
    folder.check(out_dir, outputs, [name for name in FOLDERS if name])  # where any render cleans up, too


def recording_order(scenes: list) -> list:
    """Data stills first (they need torch but no optimizer, so they are drawn while the optimizers' modules
    load), then videos longest first, then surfaces, which reuse their video's run."""
    return sorted(scenes, key=lambda scene: (scene.priority, -scene.cost))


def failure_message(error: BaseException) -> str:
    from .encode import EncoderError

    if isinstance(error, EncoderError | executor.WorkerDied | Refused | Unfinished):
        return str(error)
    if isinstance(error, MemoryError):
        return "out of memory (a memory limit, ulimit -v?)"
    if isinstance(error, ModuleNotFoundError):  # not a cap: the library is not there at all
        return f"{error.name or 'a library'} is not installed: install tp1viz with its dependencies (pip install -e .)"
    if isinstance(error, ImportError | SystemError):  # torch's libraries cannot be mapped under a memory cap
        return f"cannot load {getattr(error, 'name', None) or 'a library'}: {error} (out of memory?)"
    if isinstance(error, OSError) and error.filename:
        return f"cannot write {shown_target(error.filename)}: {error.strerror}"
    return f"{type(error).__name__}: {error}"


def draw(scene, inputs, out_dir: Path, token: str, on_frame=None):
    """A job for the executor: every new file of `scene`, as temporary files named by the render's claim."""
    from .files import temp_path

    return scene.render(inputs, out_dir, lambda path: temp_path(path, token), on_frame)


def build(
    scenes: list,
    out_dir: Path,
    force: bool = False,
    progress: Callable | None = None,
    jobs: int = 1,
    runs: Runs | None = None,
) -> Iterator[Rendered | UpToDate | Failed]:
    """Render each scene that is not up to date, commit it with its manifest entries, and report as each finishes.

    `jobs` scenes are drawn at once (in this process when 1). `progress(label, total)` may return a context
    manager that yields advance(frames), for a progress bar. `runs` gives the recorded runs to draw; by
    default those saved in out_dir while their recording is current (--force records again).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    check_folder(scenes, out_dir)
    folders = [out_dir / name for name in FOLDERS]
    remove_dead_scratch()
    claim = Claim(out_dir)
    try:
        with folder.locked(out_dir):  # what a killed render left: its commit finished, its temporary files gone
            _, notices = roll_forward(out_dir, claim.token, is_output)
            remove_dead_claims(out_dir, folders)
        yield from (Notice(line) for line in notices)
        entries = folder.load(out_dir)
        todo = []
        for scene in scenes:
            scene = scene.with_formats_on_disk(out_dir)
            if not force and is_up_to_date(scene, out_dir, entries):
                yield UpToDate(scene, scene.outputs(out_dir))
            else:
                todo.append(scene)
        if todo:
            runs = runs or Runs(out_dir, reuse="never" if force else "current", unreadable="record")
            yield from render(recording_order(todo), out_dir, claim.token, runs, jobs, progress)
    finally:
        claim.close(folders)


def render(scenes: list, out_dir: Path, token: str, runs: Runs, jobs: int, progress) -> Iterator:
    """The loop: inputs here, drawing in the executor, each scene committed as it comes back."""
    total = sum(getattr(scene, "frame_count", 0) for scene in scenes)  # the bar counts video frames
    label = scenes[0].name if len(scenes) == 1 else f"{len(scenes)} scenes"
    with progress_or_nothing(progress, label, total) as advance:
        pool = executor.start(min(jobs, len(scenes)), advance)
        graceful = False
        try:
            for scene in scenes:
                signals.checkpoint()
                inputs, failure = None, None
                try:
                    inputs = scene.inputs(runs)
                except Exception as error:
                    failure = error
                yield from (Notice(line) for line in runs.take_notes())  # a recording read again, and why
                if failure is not None:
                    yield Failed(scene, failure_message(failure))
                    continue
                pool.submit(scene, draw, scene, inputs, out_dir, token)
                yield from committed(pool.done(), out_dir, token)  # reported while later ones are recorded
            while pool.pending:
                yield from committed(pool.done(block=True), out_dir, token)
            graceful = True
        finally:
            pool.close(graceful)


def committed(finished: list, out_dir: Path, token: str) -> Iterator[Rendered | Failed]:
    """Each finished job's scene, committed, or its failure."""
    for scene, drawn, error in finished:
        if error is not None:
            yield Failed(scene, failure_message(error))
            continue
        try:
            commit(out_dir, drawn, token)
        except (Refused, Unfinished, OSError) as error:
            for new in drawn.files:  # those not moved: a commit refused moves none
                new.temp.unlink(missing_ok=True)
            yield Failed(scene, failure_message(error))
            continue
        sizes = {new.output.path: new.bytes for new in drawn.files}
        yield Rendered(
            scene, [new.output for new in drawn.files], sizes, drawn.final_loss, drawn.diverged_at, drawn.warn_diverged
        )


@contextlib.contextmanager
def progress_or_nothing(progress: Callable | None, label: str, total: int):
    if progress is None or total == 0:
        yield None
    else:
        with progress(label, total) as advance:
            yield advance

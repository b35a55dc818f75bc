"""The kinds of scene, and what each does: its outputs, what it needs recorded, how it renders, what it costs.

A scene is data, read and validated from TOML by scenes.py; its kind is its class. The build loop asks a
scene these questions and never tests which kind it holds. Rendering writes every new file of a scene as a
temporary file beside its target and returns them as `Drawn`; nothing is in place until the scene is
committed (commit.py), so a scene's files change together or not at all.
"""

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from . import rules, schema
from .files import sha256
from .layouts import LAYOUTS, NOTE_PANELS, PACES, STILL_LAYOUTS
from .rules import STEPS, Rule
from .schema import RECORDING, SHOWN, key
from .trajectory import EVENT_KINDS

VIDEO_FORMATS = ("mp4", "webm", "gif")  # mp4 always; webm and gif beside it on request
FOLDERS = ("", "videos", "trajectories")  # where outputs go, relative to the output folder


@dataclass(frozen=True)
class Output:
    """One file a scene makes, and what the manifest says of it."""

    path: Path
    kind: str  # video | poster | still | trajectory
    width: int | None = None
    height: int | None = None
    fps: int | None = None
    frames: int | None = None


@dataclass(frozen=True)
class NewFile:
    """An output written to a temporary file beside its target, waiting for its scene's commit."""

    output: Output
    temp: Path
    sha256: str  # of the bytes written, so the manifest records exactly those
    bytes: int


@dataclass(frozen=True)
class Drawn:
    """Every new file of one scene, not yet in place, and the facts the manifest keeps about the run."""

    scene: object
    files: list[NewFile]
    final_loss: float | None = None
    diverged_at: int | None = None  # the step a run diverged at (the earliest): events.diverged_at
    events: list[dict] = field(default_factory=list)  # what happens in the runs (events.py), for the manifest
    warn_diverged: int | None = None  # diverged_at, when every run diverged: worth a warning, not only a picture


class TempFiles:
    """Temporary files for one scene's outputs: kept when rendering succeeds, removed when it fails."""

    def __init__(self, temp_for: Callable[[Path], Path]):
        self.temp_for, self.made = temp_for, []

    def __call__(self, output: Output) -> Path:
        output.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.temp_for(output.path)
        self.made.append((output, temp))
        return temp

    def new_files(self, frames: int | None = None) -> list[NewFile]:
        """The files made, a video's with the number of frames it was sent."""
        return [NewFile(replace(output, frames=frames) if output.kind == "video" else output, temp, sha256(temp),
                        temp.stat().st_size) for output, temp in self.made]  # fmt: skip

    def __enter__(self) -> "TempFiles":
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is not None:
            for _, temp in self.made:
                temp.unlink(missing_ok=True)


def image_bytes(rgba, suffix: str) -> bytes:
    """An opaque RGBA frame as PNG (lossless) or JPEG bytes, by the file suffix, with no timestamp."""
    import imageio.v3 as iio

    options = {"quality": 90} if suffix in (".jpg", ".jpeg") else {}
    return iio.imwrite("<bytes>", rgba[..., :3], extension=suffix, **options)


def encode_video(animation, sink, on_frame: Callable[[], None] | None = None):
    """The render loop: every frame of the animation's plan into `sink`; returns the last frame."""
    from . import signals

    frame = None
    for frame in animation.frames():
        signals.checkpoint()
        sink.grab_frame(frame)
        if on_frame:
            on_frame()
    return frame


OPTIMIZERS = ("sgd", "adam")
PRECISIONS = ("float32", "float64")
LR = Rule(float, high=1e30, positive=True, why="float32 parameters cannot take a larger update")
BATCH = Rule(int, 0, 100_000)


@dataclass(frozen=True)
class Variant:
    """One run of a `compare` scene: the base scene with a few settings changed."""

    label: str = key(kind=str, text=40, role=RECORDING, help="variants: the run's name over its panel, its own")
    lr: float | None = key(None, kind=float, rule=LR, role=RECORDING, help="variants: its learning rate")
    limit_fraction: float | None = key(
        None,
        kind=float,
        rule=Rule(float, high=1e6, positive=True),
        role=RECORDING,
        help="variants: lr as this fraction of the stability limit 1 / mean(x²) (a linear model)",
    )
    batch_size: int | None = key(None, kind=int, rule=BATCH, role=RECORDING, help="variants: its batch size")
    optimizer: str | None = key(None, kind=str, choices=OPTIMIZERS, role=RECORDING, help="variants: its optimizer")
    init_seed: int | None = key(
        None,
        kind=int,
        rule=Rule(int, 0, 2**63 - 1),
        role=RECORDING,
        help="variants: its initial weights drawn from this seed (the data stay the scene's)",
    )


@dataclass(frozen=True)
class Note:
    """An author's words over the video: at a step, or at an event of the run, and only when that is true."""

    text: str = key(kind=str, text=84, role=SHOWN, help="notes: a caption, two lines of 42 characters at most")
    step: int | None = key(None, kind=int, role=SHOWN, help="notes: shown at this step (0..steps) ...")
    at: str | None = key(
        None,
        kind=str,
        choices=(*EVENT_KINDS, "end"),
        role=SHOWN,
        help="notes: ... or at the run's first event of this kind (left out if it has none), or its end",
    )
    unless: tuple[str, ...] = key(
        (),
        kind=list,
        special="anchors",
        role=SHOWN,
        help="notes: left out if the run has an event of one of these kinds",
    )
    run: str | None = key(
        None,
        kind=str,
        role=SHOWN,
        help="notes: in a scene of variants, the label of the run it is about (its events, its panel)",
    )
    panel: str = key(
        "fit", kind=str, choices=NOTE_PANELS, role=SHOWN, help="notes: the panel it talks about, where it sits"
    )

    def anchored(self, runs: list) -> tuple[int, int | None] | None:
        """(step, run index or None) where the note is told in these runs, or None if it is not."""
        chosen = [index for index, run in enumerate(runs) if self.run is None or run_label(run) == self.run]
        kinds = {event.kind for index in chosen for event in runs[index].events}
        if kinds & set(self.unless):
            return None
        here = chosen[0] if self.run is not None else None
        if self.at is None:
            return (self.step, here) if self.step <= runs[0].steps else None
        if self.at == "end":  # what the run came to
            return runs[0].steps, here
        found = [(event.step, index) for index in chosen for event in runs[index].events if event.kind == self.at]
        if not found:
            return None
        step, index = min(found)
        return step, index if len(runs) > 1 else None

    def describe(self) -> dict:
        """As a scene file writes it: only the keys it has."""
        written = {
            "text": self.text,
            "step": self.step,
            "at": self.at,
            "unless": list(self.unless),
            "run": self.run,
            "panel": None if self.panel == "fit" else self.panel,
        }
        return {key: value for key, value in written.items() if value not in (None, [])}


def run_label(run) -> str:
    return run.meta.get("run", {}).get("label", "")


def canonical_formats(formats) -> tuple[str, ...]:
    """mp4 plus the requested formats, each once, in VIDEO_FORMATS order."""
    wanted = {"mp4", *formats}
    return tuple(name for name in VIDEO_FORMATS if name in wanted)


@dataclass(frozen=True)
class Video:
    """A training run (or several, side by side) recorded step by step and rendered as an MP4."""

    name: str  # also the file name: videos/<name>.mp4
    title: str = key(kind=str, text=200, help="the heading; a video's ends with its optimizer and lr")
    dataset: str = key(kind=str, choices=lambda: tuple(rules.DATASETS), role=RECORDING, help="the data set")
    model: str = key(
        kind=str,
        choices=lambda: tuple(rules.MODELS),
        role=RECORDING,
        help="`linear`: Linear(1, 1); `mlp`: 1-`n_hidden`-1 ReLU",
    )
    lr: float = key(kind=float, rule=LR, role=RECORDING, option=True, help="learning rate")
    steps: int = key(
        kind=int,
        rule=STEPS,
        role=RECORDING,
        option=True,
        help="updates; snapshot 0 is the initialisation",
    )
    layout: str = key(
        "fit",
        kind=str,
        choices=tuple(LAYOUTS),
        role=RECORDING,
        help="what the video draws (docs: Layouts); a still's: `data`, `surface`, `network`",
    )
    data: dict = key({}, kind=dict, special="data", role=RECORDING, help="the data set's parameters (docs: Data)")
    model_sizes: dict = key(
        {},
        kind=dict,
        special="model_sizes",
        role=RECORDING,
        help="`n_feature`, `n_output` (1) and, for `mlp`, `n_hidden`",
    )
    optimizer: str = key("sgd", kind=str, choices=OPTIMIZERS, role=RECORDING, help="the optimizer")
    precision: str = key(
        "float32",
        kind=str,
        choices=PRECISIONS,
        role=RECORDING,
        help="the float type the net trains in (float64: a long run's numbers on every CPU)",
    )
    batch_size: int = key(
        0,
        kind=int,
        rule=BATCH,
        role=RECORDING,
        help="0: full batch, as on the page; else minibatches from a seeded shuffle",
    )
    seed: int = key(
        7,
        kind=int,
        rule=Rule(int, 0, 2**63 - 1),
        role=RECORDING,
        option=True,
        help="draws the data, then the initial weights, then the minibatch order",
    )
    fps: int = key(30, kind=int, rule=Rule(int, 1, 120), role=SHOWN, option=True, help="frames per second")
    size: int = key(512, kind=int, rule=Rule(int, 64, 4096, even=True), option=True, help="width and height in px")
    hold: float = key(1.0, kind=float, rule=Rule(float, 0, 10), help="seconds the final frame stays, at least")
    variants: tuple[Variant, ...] = key(
        (),
        kind=list,
        special="variants",
        role=RECORDING,
        help="`compare` only: 2 to 4 runs, each a table of the keys marked variants",
    )
    formats: tuple[str, ...] = key(
        ("mp4",),
        kind=list,
        special="formats",
        option=True,
        help="the files written: `mp4` always, `webm` and `gif` beside it",
    )
    pace: str = key(
        "steps",
        kind=str,
        choices=PACES,
        role=SHOWN,
        option=True,
        help="`steps`: a frame a step; `change`: frames where the picture moves",
    )
    max_seconds: float = key(
        30.0,
        kind=float,
        rule=Rule(float, 1, 3600),
        role=SHOWN,
        option=True,
        help="the longest the motion may take on screen (pauses to read not counted)",
    )
    notes: tuple[Note, ...] = key(
        (), kind=list, special="notes", role=SHOWN, help="an author's words, each a table of the keys marked notes"
    )
    test_fraction: float = key(
        0.0,
        kind=float,
        rule=Rule(float, 0, 0.9, why="some points must be left to train on"),
        role=RECORDING,
        help="the share of points held out of training by a seeded split",
    )
    tolerance: float | None = key(
        None,
        kind=float,
        rule=Rule(float, high=1e6, positive=True),
        help="`train_test` only (required there): a test point within this counts right",
    )
    loss_limits: tuple[float, ...] = key(
        (),
        kind=list,
        special="loss_limits",
        help="`[low, high]`: a log loss axis with these limits, one scale for scenes a reader compares",
    )
    noise_floor: bool = key(
        False, kind=bool, help="the data's noise variance dashed on the loss axis: the loss a perfect model keeps"
    )
    source_file: str = field(default="", compare=False)  # where the scene was defined

    kind = "video"
    priority = 1  # recorded after the data stills, before the surfaces that reuse its run

    # ---- what it is ----

    @property
    def landscape(self) -> str | None:
        """The loss surface its layout draws, which the recorder computes with each run."""
        return LAYOUTS[self.layout].landscape

    @property
    def optimizer_label(self) -> str:
        if self.optimizer == "adam":
            return "Adam"
        return f"SGD (batch {self.batch_size})" if self.batch_size else "SGD"

    @property
    def heading(self) -> str:
        """The title line; the learning rate comes from the parameters, so overrides show."""
        if self.variants:
            return self.title
        return f"{self.title}, {self.optimizer_label} lr {self.lr:g}"

    @property
    def frame_count(self) -> int:
        """Frames in the video, about: the steps' (one each, or fewer for max_seconds), a pause for each of the
        start, the notes and the end, and the held end. The plan (`plan`) says exactly, once the runs are known."""
        from .captions import SHORTEST
        from .pacing import budget

        pauses = SHORTEST * (len(self.notes) + 2)
        return budget(self.steps, self.fps, self.max_seconds) + round((pauses + self.end_hold) * self.fps)

    @property
    def cost(self) -> int:
        """A rough render cost, to start the longest scenes first."""
        return self.frame_count * self.size**2 * max(1, len(self.variants))

    def summary(self) -> str:
        """One line of parameters, for `list`."""
        runs = f", {len(self.variants)} runs" if self.variants else ""
        training = f"{self.model} net, {self.optimizer_label} lr {self.lr:g}, {self.steps} steps{runs}"
        return f"{self.layout}: {self.dataset} data, {training}, seed {self.seed}, {self.fps} fps, {self.size} px"

    def with_overrides(self, **overrides) -> "Video":
        """This scene with the given fields replaced (None means keep); `formats` adds to the scene's."""
        changes = {k: v for k, v in overrides.items() if v is not None}
        if "formats" in changes:
            changes["formats"] = canonical_formats((*self.formats, *changes["formats"]))
        if "steps" in changes:  # a note about a step the shortened run never reaches would tell of nothing
            changes["notes"] = tuple(note for note in self.notes if note.step is None or note.step <= changes["steps"])
        return replace(self, **changes)

    def with_formats_on_disk(self, out_dir: Path) -> "Video":
        """This scene, also making every format already on disk, so an old WebM or GIF is never left stale."""
        present = [suffix for suffix in VIDEO_FORMATS if self.video_path(out_dir, suffix).is_file()]
        return self.with_overrides(formats=present)

    def describe(self) -> dict:
        """The parameters that decide the output, JSON-safe."""
        params = asdict(self)
        params.pop("source_file")
        params["variants"] = list(params["variants"])  # as JSON gives it back
        params["formats"] = list(params["formats"])
        params["loss_limits"] = list(params["loss_limits"])
        params["notes"] = [note.describe() for note in self.notes]
        params["kind"] = self.kind
        params["loss"] = "mse"
        return params

    def recording_params(self) -> dict:
        """The parameters recording reads (schema.py's roles): what training reads, and for a run long enough to
        keep only the steps its video shows (rules.SPARSE_FROM), what decides those steps."""
        wanted = (RECORDING, SHOWN) if self.steps > rules.SPARSE_FROM else (RECORDING,)
        return {key: value for key, value in self.describe().items()
                if schema.role_of(Video, key) in wanted or key == "loss"}  # fmt: skip

    # ---- where its files go ----

    def video_path(self, out_dir: Path, suffix: str = "mp4") -> Path:
        """Mirrors the page's paths: /videos/<name>.mp4."""
        return Path(out_dir) / "videos" / f"{self.name}.{suffix}"

    def poster_path(self, out_dir: Path) -> Path:
        """The final frame as a JPEG, for <video poster=...>."""
        return self.video_path(out_dir, "jpg")

    def trajectory_path(self, out_dir: Path) -> Path:
        """The recorded runs, beside the media drawn from them."""
        return Path(out_dir) / "trajectories" / f"{self.name}.npz"

    def primary(self, out_dir: Path) -> Path:
        """The file a person asks for: the MP4."""
        return self.video_path(out_dir)

    def outputs(self, out_dir: Path) -> list[Output]:
        """Every file the scene makes: its runs, a video per format, the poster, the captions and transcript."""
        size = self.size
        videos = [Output(self.video_path(out_dir, f), "video", size, size, self.fps) for f in self.formats]
        poster = Output(self.poster_path(out_dir), "poster", size, size, None, 1)
        words = [Output(self.video_path(out_dir, "vtt"), "captions"),
                 Output(self.video_path(out_dir, "txt"), "transcript")]  # fmt: skip
        return [Output(self.trajectory_path(out_dir), "trajectory"), *videos, poster, *words]

    # ---- how it is made ----

    @property
    def recordings(self) -> tuple["Video", ...]:
        """The video scenes whose recorded runs this scene draws: itself."""
        return (self,)

    def inputs(self, runs) -> list:
        """What drawing needs, from the runs service: this scene's recorded runs."""
        return runs.of(self)

    def story(self, runs: list) -> list:
        """Everything the video says, in order (captions.py): the start, each event and note, the end."""
        from .captions import story

        return story(self.heading, runs, self.notes, self.tolerance)

    def plan(self, runs: list, story: list | None = None):
        """Which step each frame shows (pacing.py), holding each step where words come while they are read."""
        from .captions import phases, readings
        from .pacing import for_runs

        story = story or self.story(runs)
        return for_runs(self, runs, readings(story, self.end_hold), phases(story))

    @property
    def end_hold(self) -> float:
        """Seconds the last step stays, at least: the scene's hold, or what its layout shows at the end."""
        return max(self.hold, LAYOUTS[self.layout].epilogue)

    def animation(self, runs: list):
        """The figure that draws these runs, frame by frame, as the scene paces them, each note on screen while
        its caption is: a note's caption ends when its box goes (the curve came to its place)."""
        from .captions import reading, timed
        from .mechanism import ANIMATIONS

        story = self.story(runs)
        plan = self.plan(runs, story)
        said = timed(story, plan, self.fps)
        noted = [index for index, cue in enumerate(said) if cue.line.kind == "note"]
        notes = []
        for cue in (said[index] for index in noted):
            first, last = round(cue.start * self.fps), round(cue.end * self.fps) - 1
            least = min(last, first + round(reading(cue.text) * self.fps) - 1)  # it stays while it is read
            notes.append((first, last, cue.line.said, cue.line.run, cue.line.panel, least))
        scored = {"tolerance": self.tolerance} if LAYOUTS[self.layout].held_out else {}
        axis = {"loss_limits": self.loss_limits, "noise_floor": self.noise_floor}
        animation = ANIMATIONS[self.layout](runs, size=self.size, title=self.heading, plan=plan, notes=notes,
                                            fps=self.fps, **axis, **scored)  # fmt: skip
        boxes = [overlay for overlay in animation.overlays if overlay.by_frame]
        for index, box in zip(noted, boxes, strict=True):
            said[index] = replace(said[index], end=min(said[index].end, (box.last + 1) / self.fps))
        animation.said = said
        return animation

    def sheet(self, runs: list, labelled_steps: list[tuple[int, str]]):
        """A contact sheet (RGBA): a thumbnail of each given step, as its frame draws it, under its label."""
        from .draw import contact_sheet

        animation = self.animation(runs)
        tiles = [(animation.draw_step(step).copy(), label) for step, label in labelled_steps]
        return contact_sheet(tiles, f"{self.name}: {self.heading}")

    def render(self, runs: list, out_dir: Path, temp_for, on_frame=None) -> Drawn:
        """Every format from one drawing pass, then the poster, the runs and the words, as temporary files."""
        from .captions import transcript, webvtt
        from .encode import FORMATS, FanOut, VideoWriter, saving, verify
        from .events import diverged_at
        from .trajectory import runs_to_bytes

        trajectory, *videos, poster, captions, words = self.outputs(out_dir)
        animation = self.animation(runs)
        with TempFiles(temp_for) as temps:
            writers = [VideoWriter(temps(video), self.size, self.fps, FORMATS[video.path.suffix[1:]])
                       for video in videos]  # fmt: skip
            with saving(FanOut(writers)) as sink:
                last = encode_video(animation, sink, on_frame)
            for writer in writers:  # each decodes, with every frame sent, before it may replace anything
                verify(writer.path, sink.frames)
            temps(poster).write_bytes(image_bytes(last, poster.path.suffix))
            temps(trajectory).write_bytes(runs_to_bytes(runs))
            temps(captions).write_text(webvtt(animation.said), encoding="utf-8")
            # A byte-order mark: a server that names no charset leaves a browser guessing, and it guesses wrong.
            temps(words).write_text(transcript(f"{self.name}: {self.heading}", animation.said), encoding="utf-8-sig")
            final_loss = float(runs[0].loss[-1])
            told = [{"run": e.run, "kind": e.kind, "step": e.step, "text": e.text} for run in runs for e in run.events]
            everyone = all(diverged_at([run]) is not None for run in runs)  # side by side, one alone is a lesson
            return Drawn(self, temps.new_files(sink.frames), final_loss if math.isfinite(final_loss) else None,
                         diverged_at(runs), told, diverged_at(runs) if everyone else None)  # fmt: skip


@dataclass(frozen=True)
class Still:
    """A picture: a data set's scatter plot (layout data) or a video's loss surface (layout surface)."""

    name: str
    title: str = key(kind=str, text=200, help="the heading")
    layout: str = key("data", kind=str, choices=STILL_LAYOUTS, help="a still's: scatter, loss surface or networks")
    dataset: str | None = key(None, kind=str, choices=lambda: tuple(rules.DATASETS), help="the data set")
    data: dict = key({}, kind=dict, special="data", help="the data set's parameters")
    seed: int = key(7, kind=int, rule=Rule(int, 0, 2**63 - 1), option=True, help="the draw of the data")
    size: int = key(512, kind=int, rule=Rule(int, 64, 4096, even=True), option=True, help="width and height in px")
    file: str | None = key(None, kind=str, special="file", help="still only: its file name, `name.png` or `.jpeg`")
    source: Video | None = key(
        None, kind=str, special="source", help="`surface` still only: the `landscape` video whose run it draws"
    )
    sources: tuple[Video, ...] = key(
        (), kind=list, special="sources", help="`network` still only: the 1 to 3 videos whose nets it draws"
    )
    source_file: str = field(default="", compare=False)

    kind = "still"
    priority = 0

    @property
    def file_name(self) -> str:
        return self.file or f"{self.name}.png"

    @property
    def cost(self) -> int:
        return 20 * self.size**2

    def with_overrides(self, seed=None, size=None, **training) -> "Still":
        """This still with seed or size replaced; a surface's training overrides go to the video it draws."""
        training = {**training, "formats": None}  # a still has no video formats
        source = self.source.with_overrides(seed=seed, **training) if self.source else None
        sources = tuple(video.with_overrides(seed=seed, **training) for video in self.sources)
        changes = {k: v for k, v in {"seed": seed, "size": size}.items() if v is not None}
        return replace(self, source=source, sources=sources, **changes)

    def with_formats_on_disk(self, out_dir: Path) -> "Still":
        return self

    def describe(self) -> dict:
        """The parameters that decide the output, JSON-safe."""
        params = asdict(self)
        params.pop("source_file")
        params["source"] = self.source.describe() if self.source else None
        params["sources"] = [video.describe() for video in self.sources]
        params["kind"] = self.kind
        return params

    def primary(self, out_dir: Path) -> Path:
        return Path(out_dir) / self.file_name

    def outputs(self, out_dir: Path) -> list[Output]:
        """Mirrors the page's paths: /<file>."""
        return [Output(Path(out_dir) / self.file_name, "still", self.size, self.size, None, 1)]

    def render(self, inputs, out_dir: Path, temp_for, on_frame=None) -> Drawn:
        (still,) = self.outputs(out_dir)
        with TempFiles(temp_for) as temps:
            temps(still).write_bytes(image_bytes(self.picture(inputs), still.path.suffix))
            return Drawn(self, temps.new_files())


class DataStill(Still):
    """A data set's scatter plot, as the page shows its three data sets."""

    def summary(self) -> str:
        return f"{self.dataset} data, seed {self.seed}, {self.size} px"

    @property
    def recordings(self) -> tuple:
        return ()  # needs data, not runs

    def inputs(self, runs) -> tuple:
        from .recorder import scene_data  # torch: data sets are drawn by torch's generator, as on the page

        x, y, _ = scene_data(self)
        return x.numpy().ravel(), y.numpy().ravel()

    def picture(self, inputs):
        from .draw import data_still

        return data_still(*inputs, self.title, self.size)


class SurfaceStill(Still):
    """A landscape video's loss surface in 3-D, with its run's path on it."""

    priority = 2  # after its video, whose run it reuses

    def summary(self) -> str:
        return f"surface of {self.source.name}, seed {self.seed}, {self.size} px"

    @property
    def recordings(self) -> tuple[Video, ...]:
        return (self.source,)

    def inputs(self, runs) -> list:
        return runs.of(self.source)[:1]

    def picture(self, inputs):
        from .draw import surface_still

        return surface_still(inputs[0], self.title, self.size)


class NetworkStill(Still):
    """The page's networks as diagrams, each with the weights its video's run trained."""

    priority = 2  # after the videos whose runs it reuses

    def summary(self) -> str:
        return f"network of {', '.join(video.name for video in self.sources)}, {self.size} px"

    @property
    def recordings(self) -> tuple[Video, ...]:
        return self.sources

    def inputs(self, runs) -> list:
        return [(video.heading, runs.of(video)[0]) for video in self.sources]

    def picture(self, inputs):
        from .lessons import network_still

        return network_still(inputs, self.title, self.size)


STILLS = {"data": DataStill, "surface": SurfaceStill, "network": NetworkStill}  # by layout

"""The seam between training and drawing: a run as stacked NumPy arrays, saved as one .npz.

Nothing here imports torch, so everything downstream (drawing, review, re-renders) runs without it.
A scene may record several runs side by side; they share one file.
"""

import io
import json
import math
import os
import re
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .files import BadFile, open_regular, write_bytes

ARRAYS = ("x", "y", "grid_x", "loss", "change", "pred", "grid_pred", "params")
LANDSCAPE_ARRAYS = ("u", "v", "loss", "path_u", "path_v", "origin", "directions")
UNIT_ARRAYS = ("w", "b", "v", "c")
HELD_ARRAYS = ("x", "y", "loss", "pred")


@dataclass(frozen=True, eq=False)
class Landscape:
    """The loss over a plane of parameter space, origin + u directions[0] + v directions[1], and the path on it."""

    u: np.ndarray  # (G,) grid coordinates along the first direction
    v: np.ndarray  # (G,) along the second
    loss: np.ndarray  # (G, G) loss at (v[i], u[j])
    path_u: np.ndarray  # (steps+1,) the run's parameters projected on the plane
    path_v: np.ndarray  # (steps+1,)
    origin: np.ndarray  # (p,) where the plane passes
    directions: np.ndarray  # (2, p) orthonormal
    kind: str  # "exact": the linear net's own (w, b); "pca": the path's first two principal components
    labels: tuple[str, str]  # the axes' names: ("weight w", "bias b") or ("PC 1", "PC 2")
    explained: float = 1.0  # the share of the path's spread about the origin that the plane holds
    minimum: tuple[float, float] | None = None  # where the loss is lowest on the plane, when known exactly


@dataclass(frozen=True, eq=False)
class Units:
    """The hidden units of a 1-h-1 ReLU net, snapshot by snapshot: unit i adds v_i relu(w_i x + b_i), then c."""

    w: np.ndarray  # (snapshots, h) input weights
    b: np.ndarray  # (snapshots, h) biases: unit i switches on where w_i x + b_i > 0, its hinge at x = -b_i / w_i
    v: np.ndarray  # (snapshots, h) output weights
    c: np.ndarray  # (snapshots,) output bias

    def dead(self, x: np.ndarray) -> np.ndarray:
        """(snapshots, h) bool: the units that output zero for every input in x."""
        x = np.asarray(x, np.float64)
        pre = self.w[:, :, None].astype(np.float64) * x + self.b[:, :, None]  # (snapshots, h, n)
        return ~(pre > 0).any(axis=2)

    def contributions(self, x: np.ndarray, row: int) -> np.ndarray:
        """(h, len(x)): what each unit adds to the output at x, at one snapshot."""
        x = np.asarray(x, np.float64)
        return self.v[row, :, None] * np.maximum(self.w[row, :, None] * x + self.b[row, :, None], 0)


@dataclass(frozen=True, eq=False)
class Held:
    """The held-out test points of a run, never trained on, and how the model did on them at every step."""

    x: np.ndarray  # (m,) test inputs
    y: np.ndarray  # (m,) test targets
    loss: np.ndarray  # (steps+1,) the loss on the test points at every step
    pred: np.ndarray  # (snapshots, m) predictions at the test points

    def within(self, tolerance: float) -> np.ndarray:
        """(snapshots,) the share of test points predicted within `tolerance` of their target."""
        return (np.abs(self.pred.astype(np.float64) - self.y) <= tolerance).mean(axis=1)


@dataclass(frozen=True)
class Event:
    """Something that happens in a run, from a step on: detected from its numbers, or an author's note."""

    kind: str  # events.KINDS
    step: int
    text: str  # short, for the video's label: "converged · step 14"
    detail: str = ""  # the whole story, with exact numbers, for the transcript
    run: int = 0  # which run of the scene
    said: str = ""  # a caption a person reads in a few seconds: at most two lines of 42 characters


@dataclass(frozen=True, eq=False)
class Trajectory:
    """Snapshot k is the model after k updates; k = 0 is the initialisation.

    A long run may keep snapshots of only some steps (`snapshot_steps`), and its loss at every step.
    """

    x: np.ndarray  # (n,) training inputs
    y: np.ndarray  # (n,) training targets
    grid_x: np.ndarray  # (g,) dense inputs spanning the data, for a smooth model curve
    loss: np.ndarray  # (steps+1,) loss on all the training data
    change: np.ndarray  # (steps+1,) how far the curve on grid_x moved at each step (largest |difference|)
    pred: np.ndarray  # (steps+1, n) predictions at the training inputs
    grid_pred: np.ndarray  # (steps+1, g) predictions on grid_x
    params: np.ndarray  # (steps+1, p) all parameters, flattened in module order
    meta: dict = field(default_factory=dict)  # the scene's and the run's parameters (JSON-safe)
    landscape: Landscape | None = None  # recorded when the layout draws one
    units: Units | None = None  # recorded for a 1-h-1 ReLU net
    test: Held | None = None  # recorded when the scene holds points out of training
    events: tuple[Event, ...] = ()  # what happens in the run (events.py), found when it was recorded
    snapshot_steps: np.ndarray | None = None  # (snapshots,) the step of each snapshot; None: every step
    batches: np.ndarray | None = None  # (steps, b) the points update k+1 trained on (-1 pads); minibatch runs only

    @property
    def steps(self) -> int:
        """Number of updates recorded (the loss has one value per step, 0..steps)."""
        return len(self.loss) - 1

    @property
    def kept(self) -> np.ndarray:
        """The steps that have a snapshot (predictions and parameters)."""
        return np.arange(len(self.loss)) if self.snapshot_steps is None else self.snapshot_steps

    def row(self, step: int) -> int:
        """The snapshot of `step`: its index in pred, grid_pred and params (the last kept one at or before it)."""
        if self.snapshot_steps is None:
            return step
        return max(0, int(np.searchsorted(self.snapshot_steps, step, side="right")) - 1)

    def save(self, path: Path) -> None:
        """Write this run to `path` atomically."""
        save_runs(path, [self])

    @classmethod
    def load(cls, path: Path) -> "Trajectory":
        """Read the (first) run of a file written by `save` or `save_runs`."""
        return load_runs(path)[0]


def run_arrays(run: Trajectory) -> dict[str, np.ndarray]:
    """Every array of a run by name, its landscape's as landscape.<name>, its units' as units.<name>, and its
    parameters and events as JSON."""
    arrays = {name: getattr(run, name) for name in ARRAYS}
    if run.landscape is not None:
        arrays.update({f"landscape.{name}": getattr(run.landscape, name) for name in LANDSCAPE_ARRAYS})
    if run.units is not None:
        arrays.update({f"units.{name}": getattr(run.units, name) for name in UNIT_ARRAYS})
    if run.test is not None:
        arrays.update({f"test.{name}": getattr(run.test, name) for name in HELD_ARRAYS})
    if run.snapshot_steps is not None:
        arrays["snapshot_steps"] = run.snapshot_steps
    if run.batches is not None:
        arrays["batches"] = run.batches
    described = {}
    if run.landscape is not None:
        described = {"kind": run.landscape.kind, "labels": run.landscape.labels, "explained": run.landscape.explained}
    if run.landscape is not None and run.landscape.minimum is not None:
        described["minimum"] = list(run.landscape.minimum)
    events = [event.__dict__ for event in run.events]
    arrays["meta"] = np.array(json.dumps({"meta": run.meta, "landscape": described, "events": events}, sort_keys=True))
    return arrays


def runs_to_bytes(runs: list[Trajectory]) -> bytes:
    """The .npz bytes of several runs; no pickles, so loading an untrusted file is safe."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, run in enumerate(runs):
            for name, array in run_arrays(run).items():
                # np.savez stamps each member with the wall clock; a fixed date keeps the bytes reproducible.
                member = zipfile.ZipInfo(f"{index}.{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                member.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(member, "w") as stream:
                    np.lib.format.write_array(stream, np.asarray(array, order="C"), allow_pickle=False)
    return buffer.getvalue()


def save_runs(path: Path, runs: list[Trajectory], token: str | None = None) -> None:
    """Write several runs to one .npz, atomically."""
    write_bytes(Path(path), runs_to_bytes(runs), token)


class BadRecording(BadFile):
    """A file that is not a recording tp1viz could have saved; the message names it and says what is wrong."""

    advice = "; `tp1viz render --force` records it again"  # read because the manifest vouched for it


# What a recording may hold, checked before any array is allocated: a file from a shared media folder may
# declare anything. The largest course recording holds 4 MB of numbers; a render keeps at most 1 GiB of them.
MAX_ARRAY_BYTES = 2**31
MAX_MEMBERS = 512  # 8 runs of every array a run can have, with room to spare
MAX_RUNS = 8
MAX_META_CHARS = 2**20  # the parameters, the landscape's description and the events, as JSON
MAX_TEXT = 1000  # characters of an event's text or detail, or a label
DATA_BOUND = 1e15  # data within this magnitude (a scene's data stay within 1e13): drawing can range over them
FIRST_LOSS_BOUND = 1e100  # a loss starts finite, and far below this with such data; the loss axis reaches 10x it
MEMBER = re.compile(r"(?P<run>\d{1,2})\.(?P<name>[a-z_]+(?:\.[a-z_]+)?)\.npy")
KNOWN = {*ARRAYS, *(f"landscape.{n}" for n in LANDSCAPE_ARRAYS), *(f"units.{n}" for n in UNIT_ARRAYS),
         *(f"test.{n}" for n in HELD_ARRAYS), "snapshot_steps", "batches", "meta"}  # fmt: skip
# What can happen in a run, in the order a video tells what happens at one step (events.py finds each).
EVENT_KINDS = ("converged", "spike", "diverged", "oscillating", "dead units", "poor fit", "early stopping")


def load_runs(path: Path) -> list[Trajectory]:
    """Every run in a file written by `save_runs`: BadRecording (a ValueError naming the file and what is wrong)
    if it is not one. Read from a regular file only, each array's declared size checked before it is read."""
    try:
        with os.fdopen(open_regular(path), "rb") as stream:
            arrays = read_members(stream)
    except BadRecording as error:
        raise BadRecording(f"{path} is not a recording tp1viz can read: {error}") from None
    except BadFile as error:  # a link, a FIFO, a folder: refused before it was opened
        raise BadRecording(str(error)) from None
    except OSError as error:
        raise BadRecording(f"{path} cannot be read: {error.strerror or error}") from None
    try:
        count = 1 + max(int(name.split(".")[0]) for name in arrays)
        runs = [run_from_arrays({k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith(f"{index}.")})
                for index in range(count)]  # fmt: skip
        check_runs(runs)
    except BadRecording as error:
        raise BadRecording(f"{path} is not a recording tp1viz can read: {error}") from None
    return runs


def read_members(stream) -> dict[str, np.ndarray]:
    """The arrays of an .npz by member name: the zip's directory and every member's .npy header are checked
    (names, kinds, shapes, total size) before any array is read (BadRecording)."""
    check_zip_directory(stream)
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
            if not members or len(members) > MAX_MEMBERS:
                raise BadRecording(f"it holds {len(members)} members")
            sizes = {info.filename: declared(archive, info) for info in members}
            if sum(sizes.values()) > MAX_ARRAY_BYTES:
                raise BadRecording(f"its arrays declare {sum(sizes.values())} bytes, more than {MAX_ARRAY_BYTES}")
            arrays = {}
            for info in members:
                with archive.open(info) as member:
                    arrays[info.filename[: -len(".npy")]] = np.lib.format.read_array(member, allow_pickle=False)
            return arrays
    except BadRecording:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError) as error:
        raise BadRecording(f"{type(error).__name__}: {error}") from None


def check_zip_directory(stream) -> None:
    """Refuse a zip whose directory (read before anything else) is not one save_runs writes: no zip64, a small
    directory of few entries. zipfile would read any directory whole into memory."""
    size = stream.seek(0, os.SEEK_END)
    tail_start = max(0, size - 65557)  # the end record, and at most 64 KiB of comment before it
    stream.seek(tail_start)
    tail = stream.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise BadRecording("not a zip archive")
    _, _, _, _, entries, directory, _, _ = struct.unpack("<4s4H2LH", tail[at : at + 22])
    if entries > MAX_MEMBERS or directory > MAX_MEMBERS * 1024:
        raise BadRecording(f"its zip directory declares {entries} members in {directory} bytes")
    stream.seek(0)


def declared(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """The bytes a member's array takes, from its name and .npy header alone (BadRecording if not ours)."""
    name = MEMBER.fullmatch(info.filename)
    if not name or name["name"] not in KNOWN or int(name["run"]) >= MAX_RUNS:
        raise BadRecording(f"member {info.filename!r} is none of a recording's")
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version not in ((1, 0), (2, 0)):
            raise BadRecording(f"{info.filename}: .npy format {version}")
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(member)
        header = member.tell()
    meta = name["name"] == "meta"
    if dtype.hasobject or (dtype.kind != "U" if meta else dtype.kind not in "biuf") or dtype.fields:
        raise BadRecording(f"{info.filename}: holds {dtype} values")
    if len(shape) > 2 or meta and shape != ():
        raise BadRecording(f"{info.filename}: has shape {shape}")
    size = math.prod(shape) * dtype.itemsize
    if size > MAX_ARRAY_BYTES or meta and dtype.itemsize > 4 * MAX_META_CHARS:
        raise BadRecording(f"{info.filename}: declares shape {shape} of {dtype}, {size} bytes")
    if info.file_size != header + size:
        raise BadRecording(f"{info.filename}: holds {info.file_size - header} bytes of data, its header says {size}")
    return size


def check_runs(runs: list[Trajectory]) -> None:
    """Runs saved side by side share their steps and their snapshots (one step counter, one plan)."""
    first = runs[0]
    for run in runs[1:]:
        if run.steps != first.steps or not np.array_equal(run.kept, first.kept):
            raise BadRecording(f"its runs have {first.steps} and {run.steps} steps, or other snapshots")
    for run in runs:
        if any(event.run >= len(runs) for event in run.events):
            raise BadRecording(f"an event names run {max(e.run for e in run.events)} of {len(runs)}")


def run_from_arrays(arrays: dict) -> Trajectory:
    """A run from its arrays by name (as run_arrays gives them), every shape, kind and field checked."""
    if "meta" not in arrays:
        raise BadRecording("no meta")
    described = parse_meta(str(arrays["meta"]))
    steps, kept = check_core(arrays)
    landscape = landscape_of(arrays, described["landscape"], kept)
    units = units_of(arrays, kept)
    test = held_of(arrays, steps, kept)
    events = tuple(event_of(item, steps) for item in described["events"])
    return Trajectory(meta=described["meta"], landscape=landscape, units=units, test=test, events=events,
                      snapshot_steps=arrays.get("snapshot_steps"), batches=batches_of(arrays, steps),
                      **{n: arrays[n] for n in ARRAYS})  # fmt: skip


def not_json(name: str):
    raise ValueError(f"{name} is not a number JSON knows")


def parse_meta(text: str) -> dict:
    """A run's meta JSON, its fields of the right types: {"meta": {...}, "landscape": {...}, "events": [...]}."""
    try:
        described = json.loads(text, parse_constant=not_json)
    except (ValueError, RecursionError) as error:
        raise BadRecording(f"meta is not JSON ({type(error).__name__})") from None
    if not isinstance(described, dict) or not isinstance(described.get("meta"), dict):
        raise BadRecording('meta is not {"meta": {...}, ...}')
    if not isinstance(described.setdefault("landscape", {}), dict) or not isinstance(described.setdefault(
            "events", []), list):  # fmt: skip
        raise BadRecording("meta's landscape is not a table, or its events not a list")
    meta = described["meta"]
    if not isinstance(meta.get("loss", ""), str) or not isinstance(meta.get("run", {}), dict):
        raise BadRecording("meta's loss is not a name, or its run not a table")
    settings = meta.get("run", {})
    kinds = {"label": str, "optimizer": str, "lr": (int, float, type(None)), "batch_size": (int, type(None))}
    for key, kind in kinds.items():
        if key in settings and (not isinstance(settings[key], kind) or isinstance(settings[key], bool)):
            raise BadRecording(f"meta's run.{key} is {type(settings[key]).__name__}")
    if len(settings.get("label", "")) > MAX_TEXT:
        raise BadRecording("meta's run.label is too long")
    return described


def array(arrays: dict, name: str, ndim: int, kinds: str = "f", finite: bool = False) -> np.ndarray:
    """The array `name`, of `ndim` dimensions and a kind in `kinds`; every value finite and within DATA_BOUND
    if `finite`."""
    if name not in arrays:
        raise BadRecording(f"no {name}")
    value = arrays[name]
    if value.ndim != ndim or value.dtype.kind not in kinds:
        raise BadRecording(f"{name} has shape {value.shape} of {value.dtype}")
    if finite and not (np.isfinite(value).all() and (np.abs(value) <= DATA_BOUND).all()):
        raise BadRecording(f"{name} holds values that are not finite, or beyond {DATA_BOUND:g}")
    return value


def shaped(value: np.ndarray, name: str, shape: tuple) -> None:
    if value.shape != shape:
        raise BadRecording(f"{name} has shape {value.shape}, its run needs {shape}")


def losses(value: np.ndarray, name: str, starts: bool = True) -> None:
    """A loss is never negative (an overflow may be inf or NaN), and it starts finite, below FIRST_LOSS_BOUND."""
    with np.errstate(invalid="ignore"):
        if (value < 0).any():
            raise BadRecording(f"{name} holds a negative loss")
    if starts and len(value) and not (np.isfinite(value[0]) and value[0] <= FIRST_LOSS_BOUND):
        raise BadRecording(f"{name} starts at {value[0]}, which no data tp1viz draws gives")


def check_core(arrays: dict) -> tuple[int, int]:
    """The arrays every run has, consistent with each other: its steps and its number of snapshots."""
    x, y = array(arrays, "x", 1, finite=True), array(arrays, "y", 1, finite=True)
    grid_x = array(arrays, "grid_x", 1, finite=True)
    loss, change = array(arrays, "loss", 1), array(arrays, "change", 1)
    pred, grid_pred, params = (array(arrays, name, 2) for name in ("pred", "grid_pred", "params"))
    steps = len(loss) - 1
    if steps < 1 or len(x) < 1 or len(grid_x) < 2 or params.shape[1] < 1:
        raise BadRecording(f"{steps} steps, {len(x)} points, {len(grid_x)} grid points, {params.shape[1]} parameters")
    losses(loss, "loss")
    losses(change, "change", starts=False)
    kept = steps + 1
    if "snapshot_steps" in arrays:
        snapshots = array(arrays, "snapshot_steps", 1, "iu")
        if not (len(snapshots) and snapshots[0] == 0 and (np.diff(snapshots) > 0).all() and snapshots[-1] <= steps):
            raise BadRecording("snapshot_steps are not rising steps from 0")
        kept = len(snapshots)
    shaped(y, "y", x.shape)
    shaped(change, "change", loss.shape)
    shaped(pred, "pred", (kept, len(x)))
    shaped(grid_pred, "grid_pred", (kept, len(grid_x)))
    shaped(params, "params", (kept, params.shape[1]))
    return steps, kept


def landscape_of(arrays: dict, about: dict, kept: int) -> Landscape | None:
    """The run's loss landscape, if it has one: its arrays and its description agree."""
    present = [name for name in LANDSCAPE_ARRAYS if f"landscape.{name}" in arrays]
    if not present and not about:
        return None
    if not present or not about:
        raise BadRecording("a landscape without its arrays, or arrays without their description")
    fields = {name: f"landscape.{name}" for name in LANDSCAPE_ARRAYS}
    u, v = array(arrays, fields["u"], 1, finite=True), array(arrays, fields["v"], 1, finite=True)
    loss = array(arrays, fields["loss"], 2)
    path_u, path_v = array(arrays, fields["path_u"], 1), array(arrays, fields["path_v"], 1)
    origin, directions = array(arrays, fields["origin"], 1, finite=True), array(arrays, fields["directions"], 2,
                                                                                 finite=True)  # fmt: skip
    if len(u) < 2 or len(v) < 2:
        raise BadRecording("a landscape of fewer than 2 by 2 points")
    shaped(loss, fields["loss"], (len(v), len(u)))
    losses(loss, fields["loss"], starts=False)
    shaped(path_u, fields["path_u"], (kept,))
    shaped(path_v, fields["path_v"], (kept,))
    shaped(directions, fields["directions"], (2, len(origin)))
    kind, labels, explained = about.get("kind"), about.get("labels"), about.get("explained")
    if kind not in ("exact", "pca") or not (isinstance(labels, list) and len(labels) == 2):
        raise BadRecording("the landscape's kind or labels are not a landscape's")
    if not all(isinstance(label, str) and 0 < len(label) <= MAX_TEXT for label in labels):
        raise BadRecording("a landscape label is not a line of text")
    if type(explained) not in (int, float) or not 0 <= explained <= 1:
        raise BadRecording("the landscape's explained share is not in 0..1")
    minimum = about.get("minimum")
    if minimum is not None and not (isinstance(minimum, list) and len(minimum) == 2 and all(
            type(c) in (int, float) and abs(c) <= DATA_BOUND for c in minimum)):  # fmt: skip
        raise BadRecording("the landscape's minimum is not a point")
    if set(about) - {"kind", "labels", "explained", "minimum"}:
        raise BadRecording(f"the landscape says {sorted(set(about))}")
    return Landscape(u=u, v=v, loss=loss, path_u=path_u, path_v=path_v, origin=origin, directions=directions,
                     kind=kind, labels=tuple(labels), explained=float(explained),
                     minimum=None if minimum is None else tuple(float(c) for c in minimum))  # fmt: skip


def units_of(arrays: dict, kept: int) -> Units | None:
    """A ReLU net's units, if recorded: (snapshots, h) each, the output bias (snapshots,)."""
    if not any(f"units.{name}" in arrays for name in UNIT_ARRAYS):
        return None
    w, b, v = (array(arrays, f"units.{name}", 2) for name in ("w", "b", "v"))
    c = array(arrays, "units.c", 1)
    if w.shape[1] < 1 or w.shape[0] != kept:
        raise BadRecording(f"units.w has shape {w.shape}, its run needs ({kept}, h)")
    for value, name in ((b, "units.b"), (v, "units.v")):
        shaped(value, name, w.shape)
    shaped(c, "units.c", (kept,))
    return Units(w=w, b=b, v=v, c=c)


def batches_of(arrays: dict, steps: int) -> np.ndarray | None:
    """A minibatch run's batches, if recorded: a row of point indices (or -1) for each update."""
    if "batches" not in arrays:
        return None
    batches = array(arrays, "batches", 2, "i")
    n = len(arrays["x"])
    if batches.shape[0] != steps or not 1 <= batches.shape[1] <= n or ((batches < -1) | (batches >= n)).any():
        raise BadRecording(f"batches: shape {batches.shape} or values outside -1..{n - 1}, for {steps} steps of {n}")
    return batches


def held_of(arrays: dict, steps: int, kept: int) -> Held | None:
    """The held-out test points, if any, and the run's predictions and loss on them."""
    if not any(f"test.{name}" in arrays for name in HELD_ARRAYS):
        return None
    x, y = array(arrays, "test.x", 1, finite=True), array(arrays, "test.y", 1, finite=True)
    loss, pred = array(arrays, "test.loss", 1), array(arrays, "test.pred", 2)
    if len(x) < 1:
        raise BadRecording("no test points")
    shaped(y, "test.y", x.shape)
    shaped(loss, "test.loss", (steps + 1,))
    losses(loss, "test.loss")
    shaped(pred, "test.pred", (kept, len(x)))
    return Held(x=x, y=y, loss=loss, pred=pred)


def event_of(item, steps: int) -> Event:
    """One recorded event, every field of its type: {kind, step, text, detail, run, said}."""
    if not isinstance(item, dict) or set(item) - {"kind", "step", "text", "detail", "run", "said"}:
        raise BadRecording(f"an event is not {{kind, step, text, detail, run, said}}: {str(item)[:60]}")
    kind, step, text = item.get("kind"), item.get("step"), item.get("text")
    detail, run, said = item.get("detail", ""), item.get("run", 0), item.get("said", "")
    if kind not in EVENT_KINDS or type(step) is not int or not 0 <= step <= steps or type(run) is not int or run < 0:
        raise BadRecording(f"an event's kind, step or run is not one of a run's: {str(item)[:60]}")
    if not all(isinstance(words, str) and len(words) <= MAX_TEXT for words in (text, detail, said)) or not text:
        raise BadRecording(f"an event's text, detail or caption is not a line of text: {str(item)[:60]}")
    return Event(kind=kind, step=step, text=text, detail=detail, run=run, said=said)

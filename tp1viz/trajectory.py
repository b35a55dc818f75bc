"""The seam between training and drawing: a run as stacked NumPy arrays, saved as one .npz.

Nothing here imports torch, so everything downstream (drawing, review, re-renders) runs without it.
A scene may record several runs side by side; they share one file.
"""

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .files import write_bytes

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


def load_runs(path: Path) -> list[Trajectory]:
    """Every run in a file written by `save_runs`; ValueError if it is not one."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise ValueError(f"not a recording ({error})") from None
    runs = []
    for index in range(len({name.split(".")[0] for name in arrays})):
        runs.append(run_from_arrays({k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith(f"{index}.")}))
    return runs


def run_from_arrays(arrays: dict) -> Trajectory:
    try:
        described = json.loads(str(arrays["meta"]))
        landscape = None
        if "landscape" in described and described["landscape"]:
            about = described["landscape"]
            minimum = tuple(about["minimum"]) if "minimum" in about else None
            fields = {name: arrays[f"landscape.{name}"] for name in LANDSCAPE_ARRAYS}
            landscape = Landscape(**fields, kind=about["kind"], labels=tuple(about["labels"]),
                                  explained=about["explained"], minimum=minimum)  # fmt: skip
        units = Units(**{name: arrays[f"units.{name}"] for name in UNIT_ARRAYS}) if "units.w" in arrays else None
        test = Held(**{name: arrays[f"test.{name}"] for name in HELD_ARRAYS}) if "test.x" in arrays else None
        events = tuple(Event(**event) for event in described.get("events", []))
        steps = arrays.get("snapshot_steps")
        return Trajectory(meta=described["meta"], landscape=landscape, units=units, test=test, events=events,
                          snapshot_steps=steps, **{name: arrays[name] for name in ARRAYS})  # fmt: skip
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"not a recording (no {error})") from None

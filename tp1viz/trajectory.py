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

ARRAYS = ("x", "y", "grid_x", "loss", "pred", "grid_pred", "params")
SETTLED_SHARE = 0.01  # a loss still falling by more than this share of its total fall is "slow"
REVERSING_SHARE = 0.5  # a run whose steps reverse direction more often than this is "oscillating"


@dataclass(frozen=True, eq=False)
class Trajectory:
    """Snapshot k is the model after k updates; k = 0 is the initialisation."""

    x: np.ndarray  # (n,) training inputs
    y: np.ndarray  # (n,) training targets
    grid_x: np.ndarray  # (g,) dense inputs spanning the data, for a smooth model curve
    loss: np.ndarray  # (steps+1,) loss on all the training data
    pred: np.ndarray  # (steps+1, n) predictions at the training inputs
    grid_pred: np.ndarray  # (steps+1, g) predictions on grid_x
    params: np.ndarray  # (steps+1, p) all parameters, flattened in module order
    meta: dict = field(default_factory=dict)  # the scene's and the run's parameters (JSON-safe)
    extras: dict = field(default_factory=dict)  # named arrays a layout needs, e.g. a loss landscape

    @property
    def steps(self) -> int:
        """Number of updates recorded (snapshots minus one)."""
        return len(self.loss) - 1

    def diverged_at(self) -> int | None:
        """The first step whose loss is not finite (the run overflowed), or None."""
        bad = np.flatnonzero(~np.isfinite(self.loss))
        return int(bad[0]) if bad.size else None

    def state(self) -> str:
        """How the run ended: diverged, oscillating (noisy, for minibatches), slow or converged.

        Read from the recorded numbers alone: the loss (overflowed or above its start: diverged; still
        falling at the end: slow) and the parameter steps (mostly reversing direction: oscillating).
        """
        loss = self.loss
        if self.diverged_at() is not None or loss[-1] > loss[0]:
            return "diverged"
        moves = np.diff(self.params.astype(np.float64), axis=0)  # (steps, p)
        sizes = np.linalg.norm(moves, axis=1)
        turns = np.einsum("ij,ij->i", moves[1:], moves[:-1]) / np.maximum(sizes[1:] * sizes[:-1], 1e-300)
        significant = (sizes[1:] > 0.01 * sizes.max()) & (sizes[:-1] > 0.01 * sizes.max())
        if significant.sum() >= 3 and np.mean(turns[significant] < -0.5) > REVERSING_SHARE:
            return "noisy" if self.meta.get("run", {}).get("batch_size") else "oscillating"
        window = max(1, len(loss) // 10)
        recent_fall = loss[-2 * window : -window].mean() - loss[-window:].mean()
        if recent_fall > SETTLED_SHARE * max(loss[0] - loss.min(), 1e-300):
            return "slow"
        return "converged"

    def save(self, path: Path) -> None:
        """Write this run to `path` atomically."""
        save_runs(path, [self])

    @classmethod
    def load(cls, path: Path) -> "Trajectory":
        """Read the (first) run of a file written by `save` or `save_runs`."""
        return load_runs(path)[0]


def runs_to_bytes(runs: list[Trajectory]) -> bytes:
    """The .npz bytes of several runs; no pickles, so loading an untrusted file is safe."""
    arrays = {}
    for index, run in enumerate(runs):
        arrays.update({f"{index}.{name}": getattr(run, name) for name in ARRAYS})
        arrays.update({f"{index}.extra.{name}": value for name, value in run.extras.items()})
        arrays[f"{index}.meta"] = np.array(json.dumps(run.meta, sort_keys=True))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            # np.savez stamps each member with the wall clock; a fixed date keeps the bytes reproducible.
            member = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(member, "w") as stream:
                np.lib.format.write_array(stream, np.asarray(array, order="C"), allow_pickle=False)
    return buffer.getvalue()


def save_runs(path: Path, runs: list[Trajectory]) -> None:
    """Write several runs to one .npz, atomically."""
    write_bytes(Path(path), runs_to_bytes(runs))


def load_runs(path: Path) -> list[Trajectory]:
    """Every run in a file written by `save_runs`."""
    runs = []
    with np.load(path, allow_pickle=False) as npz:
        count = len({key.split(".")[0] for key in npz.files})
        for index in range(count):
            prefix = f"{index}."
            extras = {key[len(prefix) + 6 :]: npz[key] for key in npz.files if key.startswith(prefix + "extra.")}
            arrays = {name: npz[prefix + name] for name in ARRAYS}
            runs.append(Trajectory(meta=json.loads(str(npz[prefix + "meta"])), extras=extras, **arrays))
    return runs

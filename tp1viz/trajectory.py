"""The seam between training and drawing: one run as stacked NumPy arrays, saved as one .npz.

Nothing here imports torch, so everything downstream (drawing, review, re-renders) runs without it.
"""

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .files import write_bytes

ARRAYS = ("x", "y", "grid_x", "loss", "pred", "grid_pred", "params")


@dataclass(frozen=True, eq=False)
class Trajectory:
    """Snapshot k is the model after k updates; k = 0 is the initialisation."""

    x: np.ndarray  # (n,) training inputs
    y: np.ndarray  # (n,) training targets
    grid_x: np.ndarray  # (g,) dense inputs spanning the data, for a smooth model curve
    loss: np.ndarray  # (steps+1,) loss on the training data
    pred: np.ndarray  # (steps+1, n) predictions at the training inputs
    grid_pred: np.ndarray  # (steps+1, g) predictions on grid_x
    params: np.ndarray  # (steps+1, p) all parameters, flattened in module order
    meta: dict = field(default_factory=dict)  # the scene's parameters (JSON-safe)

    @property
    def steps(self) -> int:
        """Number of updates recorded (snapshots minus one)."""
        return len(self.loss) - 1

    def to_bytes(self) -> bytes:
        """The .npz bytes of this trajectory (no pickles, so loading untrusted files is safe)."""
        arrays = {name: getattr(self, name) for name in ARRAYS}
        arrays["meta"] = np.array(json.dumps(self.meta, sort_keys=True))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, array in arrays.items():
                # np.savez stamps each member with the wall clock; a fixed date keeps the bytes reproducible.
                member = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                member.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(member, "w") as stream:
                    np.lib.format.write_array(stream, np.asarray(array, order="C"), allow_pickle=False)
        return buffer.getvalue()

    def save(self, path: Path) -> None:
        """Write this trajectory to `path` atomically."""
        write_bytes(Path(path), self.to_bytes())

    @classmethod
    def load(cls, path: Path) -> "Trajectory":
        """Read a trajectory written by `save`."""
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in ARRAYS}
            meta = json.loads(str(npz["meta"]))
        return cls(meta=meta, **arrays)

"""The renderer: a trajectory in, RGBA frames out. Knows matplotlib; knows nothing about files or torch.

One figure per video, axis limits fixed from the whole trajectory, and per frame only the changing artists
are drawn onto a cached background (blitting): a full redraw costs 20-80 ms, a blitted frame about 2 ms.
"""

from collections.abc import Iterator

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .trajectory import Trajectory

DATA_COLOR = "tab:blue"  # the page: "our dataset" in blue
MODEL_COLOR = "tab:red"  # the page: "the trained model's predictions" in red
DESIGN_PX = 512  # the layout is designed at 512 px and scaled by dpi, so it looks the same at any size
DESIGN_INCHES = 5.12
LOG_SCALE_SPAN = 20.0  # a loss that falls by more than ~1.3 decades is shown on a log axis
FIT_MARGIN = 0.08  # fraction of the data's range left empty around it
MAX_OVERSHOOT = 0.5  # the fit axes follow a wild prediction only this far past the data (in data ranges)

# Figure-fraction rectangles (left, bottom, width, height): title lines on top, fit panel, loss panel under it.
FIT_RECT = (0.13, 0.395, 0.83, 0.505)
LOSS_RECT = (0.13, 0.08, 0.83, 0.22)
TITLE_Y = 0.965
STATUS_Y = 0.925


def new_canvas(size: int) -> tuple[Figure, FigureCanvasAgg]:
    """A square Agg figure of exactly `size` px; pyplot is never used, so no global state is touched."""
    dpi = 100.0 * size / DESIGN_PX
    # Agg truncates width * dpi to an int: half a pixel of slack makes sure it lands on `size`.
    inches = (size + 0.5) / dpi
    fig = Figure(figsize=(inches, inches), dpi=dpi, facecolor="white")
    return fig, FigureCanvasAgg(fig)


def finite_range(*arrays: np.ndarray) -> tuple[float, float]:
    """Min and max over the finite values of all arrays; (0, 1) if there are none."""
    values = np.concatenate([np.ravel(a) for a in arrays])
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0.0, 1.0
    return float(values.min()), float(values.max())


def padded(low: float, high: float, margin: float = FIT_MARGIN) -> tuple[float, float]:
    """(low, high) widened by `margin` of the span on each side; a zero span gets a unit span."""
    span = high - low or 1.0
    return low - margin * span, high + margin * span


def fit_ylim(traj: Trajectory) -> tuple[float, float]:
    """Y limits that hold the data and every prediction, but never zoom out far past the data."""
    data_low, data_high = finite_range(traj.y)
    reach = MAX_OVERSHOOT * (data_high - data_low or 1.0)
    pred_low, pred_high = finite_range(traj.grid_pred)
    low = max(min(data_low, pred_low), data_low - reach)
    high = min(max(data_high, pred_high), data_high + reach)
    return padded(low, high)


def loss_axis(loss: np.ndarray) -> tuple[str, tuple[float, float]]:
    """The loss axis scale ('log' when the loss spans decades) and its limits, from finite values only."""
    positive = loss[np.isfinite(loss) & (loss > 0)]
    if positive.size and positive.max() / positive.min() >= LOG_SCALE_SPAN:
        low, high = np.log10(positive.min()), np.log10(positive.max())
        low, high = padded(low, high, 0.06)
        return "log", (10**low, 10**high)
    low, high = finite_range(loss)
    return "linear", (min(0.0, low), high * 1.08 if high > 0 else 1.0)


def first_divergence(loss: np.ndarray) -> int | None:
    """The first step whose loss is not finite (the run overflowed), or None."""
    bad = np.flatnonzero(~np.isfinite(loss))
    return int(bad[0]) if bad.size else None


def format_status(step: int, steps: int, loss: float) -> str:
    """The changing title line; short, because text is the most expensive thing to draw per frame."""
    width = len(str(steps))
    shown = f"{loss:#.4g}" if np.isfinite(loss) else "overflow"
    return f"step {step:>{width}d} / {steps}    loss {shown}"


class FitAnimation:
    """A fit panel (data in blue, model in red) over a loss panel; frame k shows snapshot k."""

    def __init__(self, traj: Trajectory, size: int = DESIGN_PX, title: str = ""):
        self.traj, self.size = traj, size
        # Overflowed values become gaps: matplotlib draws NaN as a break in the line, inf as garbage.
        self.grid_pred = np.where(np.isfinite(traj.grid_pred), traj.grid_pred, np.nan)
        self.loss = np.where(np.isfinite(traj.loss), traj.loss, np.nan)
        self.fig, self.canvas = new_canvas(size)
        self._build_fit_panel()
        self._build_loss_panel()
        self.fig.text(0.5, TITLE_Y, title, ha="center", va="center", fontsize=11, weight="bold")
        self.status = self.fig.text(0.13, STATUS_Y, "", ha="left", va="center", fontsize=10, animated=True)
        self.fig.legend(
            handles=[self.points, self.curve],
            labels=["data", "model"],
            loc="center right",
            bbox_to_anchor=(0.965, STATUS_Y),
            ncol=2,
            frameon=False,
            fontsize=10,
            handlelength=1.4,
            columnspacing=1.0,
        )
        self.diverged_at = first_divergence(traj.loss)
        self.diverged_label = self.fit_ax.text(
            0.5,
            0.95,
            f"diverged at step {self.diverged_at}",
            transform=self.fit_ax.transAxes,
            ha="center",
            va="top",
            fontsize=12,
            weight="bold",
            color=MODEL_COLOR,
            bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": MODEL_COLOR},
            animated=True,
        )
        self.canvas.draw()  # the one full draw; animated artists are left out of it
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        self.animated = [self.curve, self.loss_line, self.loss_marker, self.status]

    def _build_fit_panel(self) -> None:
        ax = self.fit_ax = self.fig.add_axes(FIT_RECT)
        traj = self.traj
        self.points = ax.scatter(traj.x, traj.y, s=12, color=DATA_COLOR, alpha=0.85, linewidths=0, zorder=2)
        (self.curve,) = ax.plot([], [], color=MODEL_COLOR, lw=2.4, animated=True)
        ax.set_xlim(traj.grid_x[0], traj.grid_x[-1])
        ax.set_ylim(*fit_ylim(traj))
        ax.set_xlabel("x", fontsize=10, labelpad=1)
        ax.set_ylabel("y", fontsize=10, labelpad=2)
        ax.tick_params(labelsize=9)
        ax.grid(alpha=0.25)

    def _build_loss_panel(self) -> None:
        ax = self.loss_ax = self.fig.add_axes(LOSS_RECT)
        scale, limits = loss_axis(self.traj.loss)
        ax.set_yscale(scale)
        ax.set_ylim(*limits)
        ax.set_xlim(0, max(self.traj.steps, 1))
        (self.loss_line,) = ax.plot([], [], color=MODEL_COLOR, lw=1.6, animated=True)
        # Unclipped, so the marker stays round at step 0 and at the last step, on the axes' edges.
        (self.loss_marker,) = ax.plot([], [], "o", color=MODEL_COLOR, ms=5, animated=True, clip_on=False)
        ax.set_xlabel("step", fontsize=10, labelpad=1)
        ax.set_ylabel(self.traj.meta.get("loss", "loss").upper() + " loss", fontsize=10, labelpad=2)
        ax.tick_params(labelsize=9)
        ax.grid(alpha=0.25, which="major")

    @property
    def steps(self) -> int:
        return self.traj.steps

    def draw_step(self, k: int) -> np.ndarray:
        """Snapshot k as an (size, size, 4) uint8 view of the canvas; valid until the next draw."""
        traj = self.traj
        self.canvas.restore_region(self.background)
        self.curve.set_data(traj.grid_x, self.grid_pred[k])
        self.loss_line.set_data(np.arange(k + 1), self.loss[: k + 1])
        self.loss_marker.set_data([k], [self.loss[k]])
        self.status.set_text(format_status(k, traj.steps, float(traj.loss[k])))
        for artist in self.animated:
            self.fig.draw_artist(artist)
        if self.diverged_at is not None and k >= self.diverged_at:
            self.fig.draw_artist(self.diverged_label)
        return np.asarray(self.canvas.buffer_rgba())

    def frames(self, hold: int = 0) -> Iterator[np.ndarray]:
        """Every snapshot in order, then the last one `hold` more times."""
        for k in range(self.steps + 1):
            frame = self.draw_step(k)
            yield frame
        for _ in range(hold):
            yield frame


def data_still(x: np.ndarray, y: np.ndarray, title: str, size: int = DESIGN_PX) -> np.ndarray:
    """A scatter plot of a data set, in the videos' look, as an (size, size, 4) uint8 array."""
    fig, canvas = new_canvas(size)
    ax = fig.add_axes((0.13, 0.1, 0.83, 0.8))
    ax.scatter(x, y, s=14, color=DATA_COLOR, alpha=0.85, linewidths=0, label="data")
    ax.set_xlim(*padded(*finite_range(x), 0.05))
    ax.set_ylim(*padded(*finite_range(y)))
    ax.set_xlabel("x", fontsize=10, labelpad=1)
    ax.set_ylabel("y", fontsize=10, labelpad=2)
    ax.tick_params(labelsize=9)
    ax.grid(alpha=0.25)
    fig.text(0.5, 0.95, title, ha="center", va="center", fontsize=11, weight="bold")
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()

"""The renderer: recorded runs in, RGBA frames out. Knows matplotlib; knows nothing about files or torch.

One figure per video, axis limits fixed from the whole recording, and per frame only the changing artists
are drawn onto a cached background (blitting): a full redraw costs 20-80 ms, a blitted frame about 2 ms.
Each layout is a few panels (fit, loss, landscape) arranged on one figure.
"""

import functools
import textwrap
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
from matplotlib.transforms import IdentityTransform, offset_copy

from . import events, placing
from .layouts import (
    DESIGN_PX,
    FIT,
    LANDSCAPE,
    LANDSCAPE_FIT,
    LEFT,
    LOSS,
    OFF_CHART,
    RIGHT,
    compare_grid,
    finite_range,
    fit_ylim,
)
from .layouts import padded as padded
from .trajectory import Landscape, Trajectory
from .words import format_loss, format_status, loss_label, sig

# A title in a script DejaVu lacks draws its letters as boxes, which a reviewer sees; matplotlib's warning
# for each of them would only clutter the one-line report.
warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)

DATA_COLOR = "tab:blue"  # the page: "our dataset" in blue
MODEL_COLOR = "tab:red"  # the page: "the trained model's predictions" in red
TRAIN_EDGE = "#0b3d6b"  # training points, where some are held out: ringed in a darker blue, the boldest marks
TEST_COLOR = "tab:green"  # held-out test points (hollow) and their loss: neither the data's blue nor the model's red
RUN_COLORS = ("tab:red", "tab:orange", "tab:purple", "tab:brown")  # loss curves of side-by-side runs
LANDSCAPE_CMAP = "viridis"  # low loss dark, high loss light; neither blue data nor the red path get lost in it
LOG_SCALE_SPAN = 20.0  # a loss that falls by more than ~1.3 decades is shown on a log axis
NOTE_SIZES = (8.5, 7.5)  # pt: a note's font, smaller only where the panel has no room for the larger
NOTE_WIDTHS = (42, 34, 28, 24)  # characters a note's line may hold, tried in turn for a box that fits
OFF_SCALE = "^", "v"  # markers at a panel's edge where what it draws has left it
LABEL_PAD = 0.2  # an event label's white box round its words, in units of its font size
MARKER_REACH = 4.0  # px at 512: how far a marker (a 5 pt diamond or dot) reaches round its point
LEADER_FROM = 6.0  # px at 512: a label further than this from its marker is joined to it by a leader line
LEADER_CROSSING = 80.0  # px at 512: what a leader across a loss line costs, in the length of one that crosses none
NEARER = 3.0  # px at 512: a label is at least this much nearer its own marker than any other
CLEAR = 15.0  # px at 512: a label that cannot be nearest its own marker stands this far off every other marker
FLOOR_GAP = 1.5  # pt between the noise floor's dashed line and its name
TITLE_Y, STATUS_Y = 0.965, 0.925  # the two text lines above the panels
STATUS_SIZES = (10, 9.5, 9, 8.5, 8)  # pt: the status line's font, smaller only where its longest text needs it
KEY_STYLE = {"fontsize": 8.5, "framealpha": 0.9, "handlelength": 1.4, "borderpad": 0.3, "labelspacing": 0.3}
KEY_PLACES = ("upper right", "upper left", "lower left", "lower right")  # a key against a corner: the first of the best
SMALL_KEY = {"fontsize": 7.5, "framealpha": 0.9, "handlelength": 1.2, "borderpad": 0.3, "labelspacing": 0.2}
KEY_GAP = 6.0  # px at 512 between a panel and a key beside it
POINT_REACH, CURVE_REACH = 4.0, 2.0  # px at 512: how far a data point's dot, a curve's stroke reach round a point
CONTOUR_LEVELS = 14
LOWEST_LEVEL = 1e-3  # the innermost contour sits at this fraction of the grid's loss range above the minimum


def plain_text(function):
    """Titles, notes and labels are people's words: a "$" in them is a dollar sign, never matplotlib's math
    ("Costs $5 and $10" would be set in italics, "$\\frac{a}{$" would fail). Read as each text is made."""

    @functools.wraps(function)
    def with_plain_text(*args, **kwargs):
        with matplotlib.rc_context({"text.parse_math": False}):
            return function(*args, **kwargs)

    return with_plain_text


def new_canvas(size: int) -> tuple[Figure, FigureCanvasAgg]:
    """A square Agg figure of exactly `size` px; pyplot is never used, so no global state is touched."""
    dpi = 100.0 * size / DESIGN_PX
    # Agg truncates width * dpi to an int: half a pixel of slack makes sure it lands on `size`.
    inches = (size + 0.5) / dpi
    fig = Figure(figsize=(inches, inches), dpi=dpi, facecolor="white")
    return fig, FigureCanvasAgg(fig)


def loss_axis(*losses: np.ndarray, log: bool = False, ceiling: bool = False) -> tuple[str, tuple[float, float]]:
    """The loss axis scale ('log' when the loss spans decades, or asked for) and its limits.

    Limits come from finite values only. With `ceiling` (runs side by side) they stop at OFF_CHART times the
    highest starting loss, so a diverging run climbs out of the panel, marked where it leaves, instead of
    flattening every other curve against the floor; a run alone keeps its whole curve, however high it climbs.
    """
    ceiling = OFF_CHART * max((a[0] for a in losses if np.isfinite(a[0])), default=np.inf) if ceiling else np.inf
    loss = np.concatenate([np.ravel(a) for a in losses])
    loss = np.where(loss > ceiling, ceiling, loss)
    positive = loss[np.isfinite(loss) & (loss > 0)]
    if positive.size and (log or positive.max() / positive.min() >= LOG_SCALE_SPAN):
        low, high = padded(np.log10(positive.min()), np.log10(positive.max()), 0.06)
        return "log", (10**low, 10**high)
    low, high = finite_range(loss)
    return "linear", (min(0.0, low), high * 1.08 if high > 0 else 1.0)


def tick_number(value: float) -> str:
    """A log axis' tick as plainly and as narrowly as it reads: 0.01, 1000, 1e6, 1e-5 (not 1e+06: the label beside
    the axis must stay on the frame)."""
    text = f"{value:g}"
    mantissa, _, power = text.partition("e")
    return f"{mantissa}e{int(power)}" if power else text


def keep_axis_labels_in(fig, canvas) -> None:
    """Tick labels set smaller (down to 6 pt) on any panel whose y axis' name would fall off the frame's left edge."""
    renderer = canvas.get_renderer()
    for ax in fig.axes:
        size = ax.yaxis.get_ticklabels()[0].get_fontsize() if ax.yaxis.get_ticklabels() else 9
        while ax.yaxis.label.get_text() and ax.yaxis.get_tightbbox(renderer).x0 < 1 and size > 6:
            size -= 0.5
            ax.tick_params(axis="y", labelsize=size)


def shown(values: np.ndarray) -> np.ndarray:
    """Overflowed values as gaps: matplotlib draws NaN as a break in a line, and inf as garbage."""
    return np.where(np.isfinite(values), values, np.nan)


def contour_levels(grid_loss: np.ndarray) -> np.ndarray:
    """Contour levels spaced geometrically above the minimum, so a quadratic bowl shows evenly spaced rings."""
    low, high = float(np.nanmin(grid_loss)), float(np.nanmax(grid_loss))
    spread = max(high - low, abs(low) * 1e-9) or 1.0  # a plane flat to rounding still gets rising levels
    excess = np.geomspace(LOWEST_LEVEL * spread, spread, CONTOUR_LEVELS)
    return np.concatenate([[low], low + excess])


def style_axes(ax, xlabel: str, ylabel: str, fontsize: float = 10) -> None:
    ax.set_xlabel(xlabel, fontsize=fontsize, labelpad=1)
    ax.set_ylabel(ylabel, fontsize=fontsize, labelpad=2)
    ax.tick_params(labelsize=fontsize - 1)
    ax.grid(alpha=0.25)


def shrink_to_width(text, canvas, width_px: float, smallest: float = 7.0) -> None:
    """Lower a static text's font size until it fits `width_px`; an author's long title must not be cut."""
    renderer = canvas.get_renderer()
    while text.get_window_extent(renderer).width > width_px and text.get_fontsize() > smallest:
        text.set_fontsize(text.get_fontsize() - 0.5)


@dataclass(frozen=True)
class Moment:
    """What one frame shows: the run from snapshot `start` toward `end`, `t` of the way (1: exactly `end`)."""

    start: int
    end: int
    t: float = 1.0

    @property
    def step(self) -> int:
        """The step the status line shows: the one reached."""
        return self.end if self.t >= 1 else self.start

    @property
    def position(self) -> float:
        return self.start + self.t * (self.end - self.start)

    def blend(self, run: Trajectory, rows: np.ndarray) -> np.ndarray:
        """A per-snapshot array (grid predictions, a path) at this moment."""
        a, b = run.row(self.start), run.row(self.end)
        return rows[b] if self.t >= 1 or a == b else (1 - self.t) * rows[a] + self.t * rows[b]


@dataclass
class Overlay:
    """Artists shown a while: an event's marker and label from its step on, an author's note over some frames."""

    artists: list
    first: int  # the first step (an event's) or frame (a note's) it shows at
    last: int | None = None  # the last one, or None: to the end
    by_frame: bool = False  # a note comes and goes with its caption, frame by frame; an event stays from its step
    on_top: bool = False  # drawn over the moving curves too (a note's box, whose text a curve must not cross)
    box: tuple | None = None  # where it sits, in display px (left, bottom, right, top): what a test measures

    def shows(self, step: int, frame: int) -> bool:
        at = frame if self.by_frame else step
        return self.first <= at and (self.last is None or at <= self.last)


def text_box(label, renderer, pad_points: float) -> tuple[float, float, float, float]:
    """A text's box in display px with its padding: (left, bottom, right, top)."""
    extent = label.get_window_extent(renderer)
    pad = pad_points * label.figure.dpi / 72
    return (extent.x0 - pad, extent.y0 - pad, extent.x1 + pad, extent.y1 + pad)


def panel_axes(panel):
    """The axes a panel draws in."""
    return next(artist for artist in panel.artists if hasattr(artist, "axes")).axes


def panel_box(ax) -> tuple[float, float, float, float]:
    extent = ax.get_window_extent()
    return (extent.x0, extent.y0, extent.x1, extent.y1)


class FitPanel:
    """The data in blue and the model's prediction in red, with a label from the step the run diverged, and a
    mark at the panel's edge where the curve leaves it."""

    def __init__(self, ax, run: Trajectory, ylim: tuple[float, float], fontsize: float = 10):
        self.run, self.grid_pred, self.ylim = run, shown(run.grid_pred), ylim
        self.points = ax.scatter(run.x, run.y, s=12 * fontsize / 10, color=DATA_COLOR, alpha=0.85, linewidths=0)
        self.test_points = None
        if run.test is not None:  # the points it learns from, boldest: filled and ringed, over the test points
            self.points.set(sizes=[30 * fontsize / 10], alpha=1.0, edgecolor=TRAIN_EDGE, linewidth=0.9, zorder=3)
        if run.test is not None:  # hollow: points the model is measured on and never learns from
            self.test_points = ax.scatter(run.test.x, run.test.y, s=22 * fontsize / 10, facecolors="none",
                                          edgecolors=TEST_COLOR, linewidths=1.2 * fontsize / 10)  # fmt: skip
        (self.curve,) = ax.plot([], [], color=MODEL_COLOR, lw=2.4 * fontsize / 10, animated=True)
        ax.set_xlim(run.grid_x[0], run.grid_x[-1])
        ax.set_ylim(*ylim)
        style_axes(ax, "x", "y", fontsize)
        # The step the events name, so the panel, the loss's label, the captions and the manifest agree.
        self.diverged_at = events.diverged_at([run])
        self.diverged_label = ax.text(
            0.5,
            0.95,
            f"diverged at step {self.diverged_at}",
            transform=ax.transAxes,
            ha="center",
            va="top",
            fontsize=fontsize + 2,
            weight="bold",
            color=MODEL_COLOR,
            bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": MODEL_COLOR},
            animated=True,
        )
        edge = ax.get_xaxis_transform()  # x in data, y a fraction of the panel: the mark sits on its edge
        self.off_scale = [ax.plot([], [], marker, color=MODEL_COLOR, mec="white", mew=0.8, ms=7 * fontsize / 10,
                                  transform=edge, clip_on=False, animated=True)[0] for marker in OFF_SCALE]  # fmt: skip
        self.artists = [self.curve, *self.off_scale, self.diverged_label]
        self.foremost = [self.diverged_label]  # over an author's note too: what happened outranks what was said

    def inner_legend(self, handles, labels, moments: list, avoid=(), **style):
        """The keys inside the panel, where no data point is and no curve passes at these moments (`place_keys`); None
        where there is no such place."""
        legend = self.curve.axes.legend(handles, labels, **{**KEY_STYLE, **style})
        if not self.place_keys([legend], moments, avoid):
            legend.remove()
            return None
        self.kept_on_top = [legend]  # the moving curve passes under it, never through its words
        return legend

    def place_keys(self, legends: list, moments: list, avoid=()) -> bool:
        """Put the legends (one over the other, as they take turns) in the panel where none covers a data point or a
        place a curve passes at any of these moments, nor what the panel says in its own words (`own_labels`), nearest a
        corner of the panel, against it (`avoid`: more display-px points to leave in sight). False where there is no
        such place."""
        ax = self.curve.axes
        renderer, scale = ax.figure.canvas.get_renderer(), ax.figure.dpi / 100
        boxes = [text_box(legend, renderer, 0) for legend in legends]
        size = (max(box[2] - box[0] for box in boxes), max(box[3] - box[1] for box in boxes))
        panel = panel_box(ax)
        used = placing.Occupancy(panel)
        used.add_points(self.data_points(), POINT_REACH * scale)
        used.add_points(self.curve_points(moments), CURVE_REACH * scale)
        used.add_points(np.asarray(avoid, np.float64).reshape(-1, 2), CURVE_REACH * scale)
        for box in self.own_labels(renderer):
            used.add_box(box)
        free = used.free_boxes(size, margin=scale, inset=3 * scale)
        if not len(free):
            return False
        for legend in legends:
            anchor_key(legend, *placing.against_corner(free, panel, KEY_PLACES))
        return True

    def key_beside(self, handles, labels):
        """The keys outside the panel, at its right, top aligned: the panel narrows to make room (its height, which
        sets how far a move reads in pixels, stays)."""
        ax = self.curve.axes
        legend = ax.legend(handles, labels, loc="upper right", bbox_to_anchor=(1, 1), borderaxespad=0, **KEY_STYLE)
        width = legend.get_window_extent(ax.figure.canvas.get_renderer()).width / ax.figure.bbox.width
        gap = KEY_GAP / DESIGN_PX
        left, bottom, right, top = ax.get_position().extents
        ax.set_position((left, bottom, right - left - width - gap, top - bottom))
        legend.set_bbox_to_anchor((right, top), transform=ax.figure.transFigure)
        self.kept_on_top = [legend]
        return legend

    def own_labels(self, renderer) -> list:
        """Boxes in the panel its own words take (the divergence's label): a key keeps off them."""
        if self.diverged_at is None:
            return []
        return [text_box(self.diverged_label, renderer, 0.3 * self.diverged_label.get_fontsize())]

    def covered(self, moments: list) -> np.ndarray:
        """(N, 2) display px a note must leave visible: every data point, every place the curve passes."""
        return np.concatenate([self.data_points(), self.curve_points(moments)])

    def keys(self, renderer) -> list:
        """Boxes a note must not cover: the keys inside the panel, the divergence's label."""
        boxes = [text_box(artist, renderer, 0) for artist in getattr(self, "kept_on_top", [])]
        if self.diverged_at is not None:
            boxes.append(text_box(self.diverged_label, renderer, 0.3 * self.diverged_label.get_fontsize()))
        return boxes

    def data_points(self) -> np.ndarray:
        """(N, 2) display px of every data point the panel draws (training and held out)."""
        ax = self.curve.axes
        xy = [np.column_stack([self.run.x, self.run.y])]
        if self.run.test is not None:
            xy.append(np.column_stack([self.run.test.x, self.run.test.y]))
        return ax.transData.transform(np.concatenate(xy).astype(np.float64))

    def curve_points(self, moments: list) -> np.ndarray:
        """(N, 2) display px the red curve passes through at these moments (within the panel)."""
        ax = self.curve.axes
        low, high = self.ylim
        values = np.array([moment.blend(self.run, self.grid_pred) for moment in moments])
        rows = np.clip(np.nan_to_num(values, nan=high, posinf=high, neginf=low), low, high)
        xs = ax.transData.transform(np.column_stack([self.run.grid_x, np.zeros_like(self.run.grid_x)]))[:, 0]
        ys = ax.transData.transform(np.column_stack([np.zeros(rows.size), rows.ravel()]))[:, 1].reshape(rows.shape)
        # Where the curve leaves the panel, its off-scale mark sits on the edge, a few px in.
        beyond = ~((values >= low) & (values <= high))
        px = ax.figure.dpi / 100
        inward = np.where(np.nan_to_num(values, nan=high, posinf=high, neginf=low) > high, -1, 1) * 8 * px
        marks = np.column_stack([np.broadcast_to(xs, ys.shape)[beyond], (ys + inward)[beyond]])
        wide = [marks + (dx, 0) for dx in (-5 * px, 0, 5 * px)]  # the mark is a triangle, as wide as it is tall
        return np.concatenate([placing.curves(xs, ys), *wide])

    def early_stop_overlay(self, step: int) -> Overlay:
        """The fit at the step with the lowest test loss, faint, from that step on: what stopping there keeps."""
        ax = self.curve.axes
        (faint,) = ax.plot(self.run.grid_x, self.grid_pred[self.run.row(step)], color=MODEL_COLOR, lw=1.6,
                           alpha=0.35, ls="--", animated=True)  # fmt: skip
        return Overlay([faint], first=step)

    def handles(self) -> tuple[list, list[str]]:
        """The legend's handles and labels: the data (training and test points, when held out) and the model."""
        if self.test_points is None:
            return [self.points, self.curve], ["data", "model"]
        handles, labels = [self.points, self.test_points, self.curve], ["train", "test", "model"]
        if any(event.kind == "early stopping" for event in self.run.events):  # the faint curve's key
            (faint,) = self.curve.axes.plot([], [], color=MODEL_COLOR, lw=1.6, alpha=0.35, ls="--")
            handles, labels = [*handles, faint], [*labels, "best on test"]
        return handles, labels

    def update(self, moment: "Moment") -> None:
        values = moment.blend(self.run, self.grid_pred)
        self.curve.set_data(self.run.grid_x, values)
        self.diverged_label.set_visible(self.diverged_at is not None and moment.step >= self.diverged_at)
        low, high = self.ylim
        for marker, beyond, edge in zip(self.off_scale, (values - high, low - values), (0.985, 0.015), strict=True):
            beyond = np.where(np.isfinite(beyond), beyond, np.inf)  # an overflowed curve has left the panel too
            far = int(np.argmax(beyond))
            if beyond[far] > 0 and self.diverged_label.get_visible() is False:
                marker.set_data([self.run.grid_x[far]], [edge])
            else:
                marker.set_data([], [])


class LossPanel:
    """Each run's loss drawn up to the current step, with a marker on the current value (at the panel's edge, as
    an arrow, when the value is beyond it)."""

    def __init__(self, ax, runs: list[Trajectory], colors=RUN_COLORS, log: bool = False, limits=(),
                 noise_floor: bool = False):  # fmt: skip
        losses = [run.loss for run in runs]
        self.held = runs[0].test is not None and len(runs) == 1  # training loss in the data's blue, test in green
        if self.held:
            losses, colors = [runs[0].loss, runs[0].test.loss], (DATA_COLOR, TEST_COLOR)
        scale, found = loss_axis(*losses, log=log or self.held, ceiling=len(runs) > 1)
        scale, limits = ("log", tuple(limits)) if limits else (scale, found)  # the scene's: one scale across scenes
        low, high = self.limits = limits
        self.losses = [shown(loss) for loss in losses]  # the lines are clipped at the panel's edge
        ax.set_yscale(scale)
        if scale == "log":
            # "0.01" rather than mathtext's 10^-2: plainer for students, and mathtext's parser costs ~1 s to build.
            ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: tick_number(value)))
            if high / low < 100:  # under two decades, powers of ten alone leave one or two labels
                ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            elif high / low > 1e8:  # a divergence's dozens of decades: a label every few, not every one
                ax.yaxis.set_major_locator(LogLocator(numticks=6))
        ax.yaxis.set_minor_formatter(NullFormatter())  # labelled minor ticks crowd a short log axis
        ax.set_ylim(*limits)
        ax.set_xlim(0, max(runs[0].steps, 1))
        if runs[0].steps >= 10_000:  # "100000" at the axis' end runs off the frame; "100k" does not
            ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value / 1000:g}k" if value else "0"))
        self.steps = np.arange(runs[0].steps + 1)
        self.lines, self.markers, self.placed, self.event_points = [], [], [], []
        self.references = []  # the losses of dashed reference lines across the panel (the noise floor): labels keep off
        for color in colors[: len(losses)]:
            (line,) = ax.plot([], [], color=color, lw=1.6, animated=True)
            # Unclipped, so the marker stays round at step 0 and at the last step, on the axes' edges.
            (marker,) = ax.plot([], [], "o", color=color, ms=5, animated=True, clip_on=False)
            self.lines.append(line)
            self.markers.append(marker)
        edge = ax.get_xaxis_transform()
        self.off_scale = [ax.plot([], [], OFF_SCALE[0], color=color, mec="white", mew=0.8, ms=7, transform=edge,
                                  clip_on=False, animated=True)[0] for color in colors[: len(losses)]]  # fmt: skip
        style_axes(ax, "step", loss_label(runs[0].meta))
        self.artists = self.lines + self.markers + self.off_scale
        floor = runs[0].meta.get("run", {}).get("noise_floor")
        if noise_floor and floor and low <= floor <= high:
            self.draw_floor(ax, floor)
        if self.held:  # two lines in two colours: say which is which
            self.kept_on_top = [self.key_where_free(ax, ["training loss", "test loss"])]
            self.placed.append(text_box(self.kept_on_top[0], ax.figure.canvas.get_renderer(), 1.5))

    def draw_floor(self, ax, floor: float) -> None:
        """The data's noise variance, dashed, named beside it (under its right end first: a loss comes down to it from
        above) where no loss line passes and its own line does not strike it: what a perfect model's loss would be."""
        ax.axhline(floor, color="0.35", lw=1.0, ls=(0, (4, 3)), zorder=1)
        renderer, lines, panel = ax.figure.canvas.get_renderer(), self.occupancy(references=False), panel_box(ax)
        spots = [
            (x, ha, va) for va in ("top", "bottom") for x, ha in ((0.99, "right"), (0.01, "left"), (0.5, "center"))
        ]
        for x, ha, va in spots:
            offset = offset_copy(ax.get_yaxis_transform(), fig=ax.figure, y=-FLOOR_GAP if va == "top" else FLOOR_GAP,
                                 units="points")  # fmt: skip
            label = ax.text(x, floor, f"noise floor {sig(floor, 2)}", transform=offset, ha=ha, va=va, fontsize=7.5,
                            color="0.3")  # fmt: skip
            box = text_box(label, renderer, 0)
            if (x, ha, va) == spots[-1] or (placing.inside(np.array([box]), panel)[0] and not lines.holds(box)):
                break
            label.remove()
        self.references.append(floor)
        self.placed.append(text_box(label, renderer, 1.5))  # event labels keep off it

    def key_where_free(self, ax, labels: list[str]):
        """The lines' legend where their whole curves (every step, not only those drawn yet) never pass; else in the
        corner they cross least."""
        legend = self.key_if_free(self.lines, labels)
        if legend is not None:
            return legend
        curves = np.concatenate([placing.densify(*ax.transData.transform(np.column_stack(
            [self.steps, np.clip(loss, *self.limits)])).T) for loss in self.losses])  # fmt: skip
        return legend_where_free(ax, self.lines, labels, curves)

    def key_if_free(self, handles, labels: list[str]):
        """A small legend (in a column, a row or two rows) where no loss line ever passes and nothing the panel says
        is (`occupancy`), against a corner; None where there is no such place."""
        ax = self.lines[0].axes
        renderer, scale = ax.figure.canvas.get_renderer(), ax.figure.dpi / 100
        used = self.occupancy()
        for columns in dict.fromkeys((1, len(labels), -(-len(labels) // 2))):  # a column, a row, or two rows
            legend = ax.legend(handles, labels, ncol=columns, columnspacing=1.0, **SMALL_KEY)
            x0, y0, x1, y1 = text_box(legend, renderer, 0)
            free = used.free_boxes((x1 - x0, y1 - y0), margin=2 * scale, inset=2 * scale)
            if len(free):
                anchor_key(legend, *placing.against_corner(free, panel_box(ax), KEY_PLACES))
                return legend
            legend.remove()
        return None

    def add_key(self, handles, labels: list[str]) -> bool:
        """A key of these lines where no loss line ever passes (`key_if_free`), kept over the lines; False if none."""
        legend = self.key_if_free(handles, labels)
        if legend is None:
            return False
        self.kept_on_top = [*getattr(self, "kept_on_top", []), legend]
        self.placed.append(text_box(legend, legend.figure.canvas.get_renderer(), 1.5))
        return True

    def update(self, moment: "Moment") -> None:
        position = moment.position
        k = int(np.floor(position))
        low, high = self.limits
        for loss, line, marker, above in zip(self.losses, self.lines, self.markers, self.off_scale, strict=False):
            value = loss[k] if position == k else np.interp(position, self.steps, loss)  # a glide: part of the way
            line.set_data(np.append(self.steps[: k + 1], position), np.append(loss[: k + 1], value))
            # The marker is drawn unclipped (round at the edges), so an off-axis value must vanish for it, and an
            # arrow at the top edge say the loss is up there (or overflowed).
            marker.set_data([position], [value if low <= value <= high else np.nan])
            beyond = not (value <= high)  # NaN (overflowed) too
            above.set_data(([position], [0.975]) if beyond else ([], []))

    def covered(self, moments: list) -> np.ndarray:
        """(N, 2) display px a note must leave visible: the loss lines as far as these moments draw them."""
        ax = self.lines[0].axes
        reach = int(np.ceil(max(moment.position for moment in moments)))
        found = [placing.densify(*ax.transData.transform(np.column_stack([self.steps[: reach + 1],
                 np.clip(loss[: reach + 1], *self.limits)])).T) for loss in self.losses]  # fmt: skip
        dots = [ax.transData.transform((moment.position, np.clip(np.interp(moment.position, self.steps, loss),
                                                                 *self.limits)))
                for moment in moments for loss in self.losses]  # fmt: skip
        radius = 5 * ax.figure.dpi / 100  # a dot, or an event's diamond: a few px around its point
        around = np.array([(dx, dy) for dx in (-radius, 0, radius) for dy in (-radius, 0, radius)])
        marks = [ax.transData.transform((x, y)) for x, y in self.event_points]
        points = np.concatenate([*found, *(np.asarray(dot) + around for dot in [*dots, *marks])])
        return points[np.isfinite(points).all(axis=1)]

    def keys(self, renderer) -> list:
        return list(self.placed)

    def event_overlays(self, told: list, colors: list[str]) -> list[Overlay]:
        """Each event's marker on the loss at its step, and its short label beside it (`place_labels`): every marker
        is made first, so each label knows every marker it must keep clear of."""
        ax = self.lines[0].axes
        markers = [self.event_marker(event, color) for event, color in zip(told, colors, strict=True)]
        labels = [ax.text(0, 0, event.text, ha="left", va="bottom", fontsize=8, color=color, animated=True,
                          bbox={"boxstyle": f"round,pad={LABEL_PAD}", "facecolor": "white", "edgecolor": "none",
                                "alpha": 0.9}) for event, color in zip(told, colors, strict=True)]  # fmt: skip
        leaders = self.place_labels(labels, markers)
        return [Overlay([*([leader] if leader is not None else []), marker, label], first=event.step)
                for event, marker, label, leader in zip(told, markers, labels, leaders, strict=True)]  # fmt: skip

    def event_marker(self, event, color: str):
        """A diamond on the loss at the event's step (on the panel's top edge when the loss is beyond it)."""
        on_test = self.held and event.kind == "early stopping"  # marked where it is seen: on the test loss
        ax, loss = self.lines[0].axes, self.losses[1 if on_test else event.run]
        low, high = self.limits
        value = loss[event.step]
        if np.isfinite(value) and low <= value <= high:
            (marker,) = ax.plot([event.step], [value], "D", color=color, mec="white", ms=5, animated=True)
            self.event_points.append((event.step, value))
            return marker
        (marker,) = ax.plot([event.step], [0.975], "D", color=color, mec="white", ms=5, animated=True,
                            transform=ax.get_xaxis_transform(), clip_on=False)  # fmt: skip
        return marker

    def place_labels(self, labels: list, markers: list) -> list:
        """Put each label beside its own marker, in turn: inside the panel, on no loss line, marker, dashed reference
        line, key, leader or other label, and nearer its own marker than any other (or, where markers crowd too close
        for that, clear of every other: `label_spot`). Where it must stand off more than 6 px a leader joins them,
        crossing no other marker and no other label. Returns the leaders (None: not needed)."""
        ax = self.lines[0].axes
        renderer, scale = ax.figure.canvas.get_renderer(), ax.figure.dpi / 100
        anchors = [tuple(marker.get_transform().transform(np.column_stack(marker.get_data()))[0]) for marker in markers]
        used = self.occupancy()
        used.add_points(np.array(anchors), MARKER_REACH * scale)
        words = placing.Occupancy(panel_box(ax))  # what a leader must not cross: the labels and keys
        for box in self.placed:
            words.add_box(box)
        leaders = []
        for index, label in enumerate(labels):
            # Markers that overlap read as one: a label is told from them by its leader and words alone.
            others = [anchor for anchor in anchors
                      if np.hypot(*np.subtract(anchor, anchors[index])) > 2 * MARKER_REACH * scale]  # fmt: skip
            box = self.label_spot(label, renderer, anchors[index], others, used, words)
            self.placed.append(tuple(box))
            used.add_box(box)
            words.add_box(box)
            pad = LABEL_PAD * label.get_fontsize() * ax.figure.dpi / 72
            label.set_transform(IdentityTransform())  # display px
            label.set_position((box[0] + pad, box[1] + pad))
            if placing.distance(box, anchors[index]) <= LEADER_FROM * scale:
                leaders.append(None)
                continue
            corner = placing.nearest_point(box, anchors[index])
            used.add_points(placing.segment(anchors[index], corner), 1.5 * scale)  # later labels keep off it
            (leader,) = ax.plot([anchors[index][0], corner[0]], [anchors[index][1], corner[1]], lw=0.8, alpha=0.7,
                                color=label.get_color(), transform=IdentityTransform(), clip_on=False,
                                animated=True)  # fmt: skip
            leaders.append(leader)
        return leaders

    def occupancy(self, references: bool = True, keys: bool = True) -> "placing.Occupancy":
        """The loss panel's pixels a label may not cover: its loss lines, its dashed reference lines, its keys."""
        ax = self.lines[0].axes
        scale = ax.figure.dpi / 100
        used = placing.Occupancy(panel_box(ax))
        for loss in self.losses:
            used.add_points(placing.densify(*ax.transData.transform(np.column_stack([self.steps, loss])).T), scale)
        (left, _, right, _) = panel_box(ax)
        for level in self.references if references else ():
            y = ax.transData.transform((0, level))[1]
            used.add_points(placing.segment((left, y), (right, y)), scale)
        for box in self.placed if keys else ():
            used.add_box(box)
        return used

    def label_spot(self, label, renderer, anchor: tuple, others: list, used, words) -> np.ndarray:
        """The box a label takes (`place_labels`), on one line or, where that is too wide for a rule, on two (split at
        its " · "): of the boxes that keep the first of these that any keeps, the nearest its anchor (a leader across a
        loss line counts LEADER_CROSSING px longer: it reads as pointing at the crossing):
        nearer its own marker than any other, its leader clear (crossing no other marker and no label);
        or, where markers crowd too close for that, standing CLEAR px off every other marker, its leader clear;
        or its leader clear; or else the nearest free place."""
        text = label.get_text()
        wordings = [text, text.replace(" · ", " ·\n", 1)] if " · " in text else [text]
        searches = [self.label_search(label, wording, renderer, anchor, others, used, words) for wording in wordings]
        for rule in ("nearest", "apart", "clear"):
            for wording, search in zip(wordings, searches, strict=True):
                box = search(rule)
                if box is not None:
                    label.set_text(wording)
                    return box
        label.set_text(text)
        return searches[0]("free")

    def label_search(self, label, wording: str, renderer, anchor: tuple, others: list, used, words):
        """A search for the label set as `wording`, by rule (`label_spot`): it returns the box, or None."""
        scale = label.figure.dpi / 100
        label.set_text(wording)
        x0, y0, x1, y1 = text_box(label, renderer, LABEL_PAD * label.get_fontsize())
        size = (x1 - x0, y1 - y0)
        free = used.free_boxes(size, margin=1.5 * scale, inset=2 * scale)
        if not len(free):
            free = placing.grid(panel_box(label.axes), size, 2 * scale, columns=13, rows=6)
        own = placing.box_distances(free, anchor)
        to_others = np.array([placing.box_distances(free, other) for other in others]).reshape(len(others), len(free))
        allowed = {"nearest": (own + NEARER * scale < to_others).all(axis=0),
                   "apart": (to_others > CLEAR * scale).all(axis=0), "clear": np.ones(len(free), bool)}  # fmt: skip
        lines = self.occupancy(references=False, keys=False)
        reach = (MARKER_REACH + 1.5) * scale

        def costs(boxes: np.ndarray) -> np.ndarray:
            """How far each box is from its anchor, or inf if its leader would cross another marker or a label."""
            distance = placing.box_distances(boxes, anchor)
            line = placing.leaders(boxes, anchor)
            blocked = words.hits(line).any(axis=1)
            for other in others:
                blocked |= (np.hypot(*(line - other).T).T <= reach).any(axis=1)
            away = np.hypot(*(line - anchor).T).T > reach  # off its own marker, which sits on a line
            crossing = (lines.hits(line) & away).any(axis=1)
            found = np.where(blocked, np.inf, distance + LEADER_CROSSING * scale * crossing)
            return np.where(distance <= LEADER_FROM * scale, distance, found)

        def search(rule: str):
            if rule == "free":
                return free[int(np.argmin(own))]
            order = np.flatnonzero(allowed[rule])
            order = order[np.argsort(own[order], kind="stable")]
            best, chosen = np.inf, None
            for start in range(0, len(order), 512):  # nearest first: no box further on can cost less than `best`
                chunk = order[start : start + 512]
                if own[chunk[0]] >= best:
                    break
                found = costs(free[chunk])
                if found.min() < best:
                    best, chosen = float(found.min()), free[chunk[int(np.argmin(found))]]
            return chosen

        return search


def anchor_key(legend, corner: str, point: tuple) -> None:
    """Put a legend's `corner` ("upper right", ...) at a point in display px."""
    legend.set_loc(corner)
    legend.set_bbox_to_anchor((*point, 0, 0), transform=IdentityTransform())
    legend.borderaxespad = 0


KEY_CORNERS = ("upper right", "lower left", "upper center", "lower right", "upper left")


def legend_where_free(ax, handles, labels: list[str], points: np.ndarray):
    """A small legend inside the panel, in the corner (of KEY_CORNERS, the first of the best) that covers fewest
    of these display-px points: what the panel will draw there over the whole video."""
    renderer = ax.figure.canvas.get_renderer()
    points = points[np.isfinite(points).all(axis=1)]
    style = SMALL_KEY
    covered = {}
    for corner in KEY_CORNERS:
        x0, y0, x1, y1 = text_box(ax.legend(handles, labels, loc=corner, **style), renderer, 6)  # a dot's width
        inside = (points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1)
        covered[corner] = int(inside.sum())
    return ax.legend(handles, labels, loc=min(covered, key=covered.get), **style)


class LandscapePanel:
    """Filled contours of the loss (drawn once, in the background) and the path walked on them so far. On a
    projected plane (PCA), the dot says the run's true loss, and when the plane shows another."""

    MISSES = 2.0  # the plane misses the run's loss when they differ by this factor or more

    def __init__(self, ax, landscape: Landscape, run: Trajectory):
        self.run = run
        loss = shown(landscape.loss)  # where the loss overflowed (far along a diverged path) there is no colour
        if np.isfinite(loss).any():
            ax.contourf(landscape.u, landscape.v, loss, levels=contour_levels(loss), cmap=LANDSCAPE_CMAP)
        self.path_u, self.path_v = shown(landscape.path_u), shown(landscape.path_v)
        (self.path,) = ax.plot([], [], color=MODEL_COLOR, lw=1.8, animated=True)
        (self.point,) = ax.plot([], [], "o", color=MODEL_COLOR, mec="white", mew=1.2, ms=7, animated=True)
        ax.set_xlim(landscape.u[0], landscape.u[-1])
        ax.set_ylim(landscape.v[0], landscape.v[-1])
        style_axes(ax, *landscape.labels)
        ax.grid(False)
        self.artists = [self.path, self.point]
        self.plane = None
        if landscape.kind == "pca":
            self.plane = plane_loss(landscape)  # (snapshots,) the loss the plane shows under the dot
            self.readout = ax.text(0.5, 0.03, "", transform=ax.transAxes, ha="center", va="bottom", fontsize=8,
                                   bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": "0.6",
                                         "alpha": 0.92}, animated=True)  # fmt: skip
            self.artists.append(self.readout)

    def covered(self, moments: list) -> np.ndarray:
        """(N, 2) display px a note must leave visible: the path as far as these moments draw it, and its dot."""
        ax = self.path.axes
        reach = max(self.run.row(moment.end) for moment in moments)
        path = ax.transData.transform(np.column_stack([self.path_u[: reach + 1], self.path_v[: reach + 1]]))
        points = placing.densify(*path.T)
        return points[np.isfinite(points).all(axis=1)]

    def keys(self, renderer) -> list:
        """Boxes a note must not cover: a key inside the panel, the PCA plane's readout."""
        boxes = [text_box(artist, renderer, 0) for artist in getattr(self, "kept_on_top", [])]
        return boxes if self.plane is None else [*boxes, text_box(self.readout, renderer, 2)]

    def update(self, moment: "Moment") -> None:
        a, b = self.run.row(moment.start), self.run.row(moment.end)
        u = moment.t * self.path_u[b] + (1 - moment.t) * self.path_u[a]
        v = moment.t * self.path_v[b] + (1 - moment.t) * self.path_v[a]
        self.path.set_data(np.append(self.path_u[: a + 1], u), np.append(self.path_v[: a + 1], v))
        self.point.set_data([u], [v])
        if self.plane is not None:
            row = b if moment.t >= 1 else a
            true, plane = float(self.run.loss[self.run.kept[row]]), float(self.plane[row])
            text = f"loss here {sig(true, 3)}"
            if not (true / self.MISSES <= plane <= true * self.MISSES):
                text += f"; the plane shows {sig(plane, 2)}: off the plane"
            self.readout.set_text(text)


def plane_loss(landscape: Landscape) -> np.ndarray:
    """(snapshots,) the plane's loss under each point of the path (bilinear between its grid points)."""
    u, v, grid = landscape.u, landscape.v, landscape.loss
    i = np.clip(np.searchsorted(u, landscape.path_u) - 1, 0, len(u) - 2)
    j = np.clip(np.searchsorted(v, landscape.path_v) - 1, 0, len(v) - 2)
    with np.errstate(invalid="ignore"):
        fu = np.clip((landscape.path_u - u[i]) / (u[i + 1] - u[i]), 0, 1)
        fv = np.clip((landscape.path_v - v[j]) / (v[j + 1] - v[j]), 0, 1)
    low = grid[j, i] * (1 - fu) + grid[j, i + 1] * fu
    high = grid[j + 1, i] * (1 - fu) + grid[j + 1, i + 1] * fu
    return low * (1 - fv) + high * fv


GLYPHS: dict[tuple, np.ndarray] = {}  # (font size, dpi, sub-pixel phase, character) -> image, for every video


class StatusLine:
    """The text that changes every frame, pasted from glyph images that matplotlib drew once.

    matplotlib lays out and rasterises text glyph by glyph in Python, about 0.2 ms a glyph here: a status
    line drawn as a Text every frame cost 6 ms, more than everything else in a frame together. The line is
    set in DejaVu Sans Mono (shipped with matplotlib), whose hinted advance is a whole number of pixels, so
    character i always sits at x0 + i * advance and each character needs drawing only once. Dark glyphs on
    the white background combine by taking the darker pixel, so a glyph's antialiased edge may overlap its
    neighbour's cell.
    """

    PAD = 4  # px of blank around each glyph's cell, for antialiased overhang

    def __init__(self, fig: Figure, canvas: FigureCanvasAgg, x: float, y: float, fontsize: float):
        from matplotlib.font_manager import FontProperties

        self.fig, self.dpi = fig, fig.dpi
        self.font = FontProperties(family=["DejaVu Sans Mono"], size=fontsize)
        renderer = canvas.get_renderer()
        self.advance = renderer.get_text_width_height_descent("0" * 20, self.font, ismath=False)[0] / 20
        width, height = canvas.get_width_height()
        left, center = x * width, (1 - y) * height  # pixels; rows count down from the top
        self.column, self.phase = int(left), left - int(left)
        self.cell_height = int(round(2.2 * fontsize * self.dpi / 72)) // 2 * 2
        self.row = int(round(center)) - self.cell_height // 2
        self.cell_width = int(np.ceil(self.advance)) + 2 * self.PAD
        self.key = (fontsize, self.dpi, self.phase)  # videos of one size share their glyph images

    def glyph(self, char: str) -> np.ndarray:
        """The (cell_height, cell_width, 3) image of one character on white, drawn by matplotlib once."""
        key = (*self.key, char)
        if key not in GLYPHS:
            fig = Figure(figsize=(self.cell_width / self.dpi, self.cell_height / self.dpi), dpi=self.dpi)
            canvas = FigureCanvasAgg(fig)
            fig.text((self.PAD + self.phase) / self.cell_width, 0.5, char, fontproperties=self.font, va="center")
            canvas.draw()
            GLYPHS[key] = np.asarray(canvas.buffer_rgba())[: self.cell_height, : self.cell_width, :3].copy()
        return GLYPHS[key]

    def draw(self, frame: np.ndarray, text: str) -> None:
        """Write `text` into the (h, w, 4) frame buffer in place."""
        rows = slice(self.row, self.row + self.cell_height)
        for index, char in enumerate(text):
            if char == " ":
                continue
            left = self.column + int(round(index * self.advance)) - self.PAD
            cell = frame[rows, left : left + self.cell_width, :3]  # cut at the frame's edge: a line too long
            np.minimum(cell, self.glyph(char)[:, : cell.shape[1]], out=cell)  # loses its end, not the frame


class Animation:
    """The blitting loop shared by every layout: panels update their artists, the base draws them.

    Artists that appear and then stay a while (an event's label from its step on, an author's note while its
    caption is read) are drawn into the background, once for each set of them that is shown together: text is
    the dearest thing to draw.
    """

    run_colors = RUN_COLORS  # each run's colour, in a scene of several: its loss, its events' labels

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:  # every layout builds its texts in its constructor
            cls.__init__ = plain_text(cls.__init__)

    def __init__(self, runs: list[Trajectory], size: int, title: str, plan=None, notes=(), fps: int = 30,
                 hold: float = 0.0, loss_limits=(), noise_floor: bool = False):  # fmt: skip
        from .pacing import Plan

        self.runs, self.size = runs, size
        self.loss_axis = {"limits": loss_limits, "noise_floor": noise_floor}  # the scene's, for its loss panel
        steps = runs[0].steps
        if plan is None:  # a frame a step, the last held `hold` seconds
            plan = Plan.exact_steps(np.arange(steps + 1)).held({steps: round(hold * fps)})
        self.plan = plan
        # notes: (first frame, last frame, text, run index or None, panel name, the frame it stays to at least)
        self.notes, self.fps = notes, fps
        self.fig, self.canvas = new_canvas(size)
        self.title = self.fig.text(0.5, TITLE_Y, title, ha="center", va="center", fontsize=11, weight="bold")
        shrink_to_width(self.title, self.canvas, 0.96 * size)
        self.status = StatusLine(self.fig, self.canvas, LEFT, STATUS_Y, fontsize=STATUS_SIZES[0])
        self.top_row = []  # (handle, label) of the keys in the status line's row (`arrange_top_row`)
        self.panels, self.overlays, self.backgrounds, self.tops = [], [], {}, {(): []}
        self.said = []  # the captions, timed (set by the scene that made this)

    def finish_layout(self, loss: "LossPanel", fits: list["FitPanel"], **others) -> None:
        """Add the events and notes (each in the panel it names: a run's fit, or one of `others` by name, or the
        loss), draw everything static once, and keep it as the background."""
        keep_axis_labels_in(self.fig, self.canvas)
        self.arrange_top_row()
        told = sorted((event for run in self.runs for event in run.events), key=lambda event: event.step)
        colors = self.run_colors if len(self.runs) > 1 else [DATA_COLOR if loss.held else MODEL_COLOR]
        labelled = told[:6]
        self.overlays = loss.event_overlays(labelled, [TEST_COLOR if event.kind == "early stopping"
                                                       else colors[event.run] for event in labelled])  # fmt: skip
        self.overlays += [fits[event.run].early_stop_overlay(event.step) for event in told
                          if event.kind == "early stopping"]  # fmt: skip
        named = {"loss": loss, **others}
        self.overlays += [self.note_overlay([named.get(panel) or fits[run or 0], loss], first, last, text, least)
                          for first, last, text, run, panel, least in self.notes]  # fmt: skip
        artists = [artist for panel in self.panels for artist in panel.artists]
        self.foremost = [artist for panel in self.panels for artist in getattr(panel, "foremost", ())]
        self.animated = [artist for artist in artists if artist not in self.foremost]
        # Static keys the moving curves pass under (an inner legend): their pixels go back on top of each frame.
        self.kept_on_top = [artist for panel in self.panels for artist in getattr(panel, "kept_on_top", ())]
        self.canvas.draw()  # animated artists are left out of this draw
        self.backgrounds[()] = self.canvas.copy_from_bbox(self.fig.bbox)
        self.tops[()] = self.top_patches(())

    def every_moment(self) -> list["Moment"]:
        """What the whole video shows, each distinct moment once."""
        return self.moments(0, len(self.plan) - 1)

    def moments(self, first: int, last: int) -> list["Moment"]:
        """What frames first..last show, each distinct one once."""
        seen = dict.fromkeys(zip(self.plan.start[first : last + 1], self.plan.end[first : last + 1],
                                 self.plan.t[first : last + 1], strict=True))  # fmt: skip
        return [Moment(int(a), int(b), float(t)) for a, b, t in seen]

    def note_overlay(self, panels: list, first: int, last: int, text: str, least: int | None = None) -> Overlay:
        """An author's note in the panel it talks about (the first of `panels`; the next, the loss panel, where that
        one has no room), where it covers no data point, no place the curve (or path, or loss line) passes while it
        is shown, no key and no label: a place free until frame `last`, its caption's end, if its panel has one at
        any size; else the one free longest, and it goes when the curve comes (it always stays while its step is
        held, and to frame `least`: while its caption is read)."""
        renderer = self.canvas.get_renderer()
        held = self.plan.frames_of(int(self.plan.end[first]))
        still = int(held[held >= first].max()) if (held >= first).any() else first  # the end of its step's pause
        still = min(max(still, first, least if least is not None else first), last)
        sizes = [(size, width) for size in NOTE_SIZES for width in NOTE_WIDTHS]
        for panel in panels:
            label = self.note_label(panel_axes(panel), text)
            keys = panel.keys(renderer)
            for needed in (last, still) if panel is panels[0] else (still,):  # the whole caption, first
                for fontsize, width in sizes:
                    candidates = self.note_spots(label, fontsize, width, text)
                    found = self.longest_free(panel, candidates, keys, first, needed, last)
                    if found is not None:
                        return self.placed_note(label, *found, first)
            label.remove()
        # Nowhere free even while its step is held: the least crowded place in its own panel (the tests flag this).
        label = self.note_label(panel_axes(panels[0]), text)
        candidates = self.note_spots(label, NOTE_SIZES[-1], NOTE_WIDTHS[-1], text)
        points = panels[0].covered(self.moments(first, still))
        crowd = placing.crowding(candidates, points, 2 * self.size / DESIGN_PX)
        return self.placed_note(label, candidates[int(np.argmin(crowd))], still, first)

    def note_label(self, ax, text: str):
        return ax.text(0, 0, text, ha="left", va="bottom", fontsize=NOTE_SIZES[0], transform=IdentityTransform(),
                       bbox={"boxstyle": "round,pad=0.35", "facecolor": "#fffbe6", "edgecolor": "#c9b458"},
                       animated=True)  # fmt: skip

    def note_spots(self, label, fontsize: float, width: int, text: str) -> np.ndarray:
        """Every place in the label's panel a box of its text, set at this size and wrapped at this width, may go."""
        label.set_fontsize(fontsize)
        label.set_text("\n".join(textwrap.wrap(text, width)))
        box = text_box(label, self.canvas.get_renderer(), 0.35 * fontsize)
        return placing.grid(panel_box(label.axes), (box[2] - box[0], box[3] - box[1]), 3 * self.size / DESIGN_PX)

    def placed_note(self, label, box, last: int, first: int) -> Overlay:
        pad = 0.35 * label.get_fontsize() * self.fig.dpi / 72
        label.set_position((box[0] + pad, box[1] + pad))
        return Overlay([label], first=first, last=last, by_frame=True, on_top=True, box=tuple(box))

    def longest_free(self, panel, candidates, keys, first: int, least: int, last: int):
        """(box, last frame) of the candidate that stays free longest, from frame `first` to at least `least`
        (and at most `last`); None if none is free that long."""
        margin = 3.5 * self.size / DESIGN_PX  # a data point is a dot 5 px across, its edge soft

        within = placing.inside(candidates, panel_box(panel_axes(panel)))  # a note stays in its panel

        def free_until(end: int) -> np.ndarray:
            return within & placing.free(candidates, panel.covered(self.moments(first, end)), keys, margin=margin)

        if not free_until(least).any():
            return None
        low, high = least, last  # the longest stretch some candidate stays free: a binary search on its end
        if free_until(high).any():
            low = high
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if free_until(middle).any() else (low, middle)
        return candidates[int(np.flatnonzero(free_until(low))[0])], low

    def shown_key(self, step: int, frame: int) -> tuple[int, ...]:
        """Which overlays show at this step and frame: the key of its background."""
        return tuple(index for index, overlay in enumerate(self.overlays) if overlay.shows(step, frame))

    def background(self, shown: tuple[int, ...]):
        """The static picture with these overlays, drawn once per set of them."""
        if shown not in self.backgrounds:
            self.canvas.restore_region(self.backgrounds[()])
            for index in shown:
                for artist in self.overlays[index].artists:
                    self.fig.draw_artist(artist)
            self.backgrounds[shown] = self.canvas.copy_from_bbox(self.fig.bbox)
            self.tops[shown] = self.top_patches(shown)
        return self.backgrounds[shown]

    def top_patches(self, shown: tuple[int, ...]) -> list:
        """The pixels of what stays on top of the curves (an inner legend, each note), as the canvas now holds
        them, to put back after the curves of every frame: a bitmap, not text drawn again."""
        renderer = self.canvas.get_renderer()
        on_top = [*self.kept_on_top, *(artist for index in shown if self.overlays[index].on_top
                                       for artist in self.overlays[index].artists)]  # fmt: skip
        return [self.canvas.copy_from_bbox(artist.get_window_extent(renderer).expanded(1.02, 1.1)) for artist in on_top]

    def legend(self, handles, labels) -> None:
        """Data and model keys in the status line's row (`arrange_top_row`), where no data can ever be hidden by them;
        when the run is held out (its status line names two losses: its row has no room), inside the fit panel where
        no data point and no curve of the video ever is, or beside it where there is no such place."""
        if self.runs[0].test is not None and len(self.runs) == 1:
            if self.fit.inner_legend(handles, labels, self.every_moment()) is None:
                self.fit.key_beside(handles, labels)
            return
        self.top_row += list(zip(handles, labels, strict=True))

    def arrange_top_row(self) -> None:
        """The status line and the keys beside it, each kept in its own room on every frame: the status at the
        largest of STATUS_SIZES at which its longest text (of every frame the video shows) leaves the keys room
        right of it, between the panels and the title, in one row, or two or three, at 10 pt or smaller."""
        longest = max(len(self.status_text(moment)) for moment in self.every_moment())
        renderer = self.canvas.get_renderer()
        bottom = max(ax.get_tightbbox(renderer).y1 for ax in self.fig.axes) + 1
        top = self.title.get_window_extent(renderer).y0 - 1
        gap = 8 * self.size / DESIGN_PX
        for status_size in STATUS_SIZES:
            status = StatusLine(self.fig, self.canvas, LEFT, STATUS_Y, fontsize=status_size)
            end = status.column + longest * status.advance
            if end > self.size * RIGHT:
                continue
            if not self.top_row or self.top_keys(end + gap, bottom, top) is not None:
                self.status = status
                return
        self.status = status  # nowhere: the smallest, its keys crowded (the tests flag this)
        if self.top_row:
            self.top_keys(0, 0, self.size, force=True)

    def top_keys(self, left: float, bottom: float, top: float, force: bool = False):
        """The row's keys as one legend whose box lies within (left, bottom, right edge, top) in display px, or None."""
        handles, labels = zip(*self.top_row, strict=True)
        renderer, right = self.canvas.get_renderer(), RIGHT + 0.005
        for rows in (1, 2, 3):
            for fontsize in (10, 9, 8.5, 8, 7.5):
                ncol = -(-len(labels) // rows)
                middle = STATUS_Y if rows == 1 else (bottom + top) / 2 / self.size
                legend = self.fig.legend(handles=handles, labels=labels, loc="center right", ncol=ncol, frameon=False,
                                         bbox_to_anchor=(right, middle), fontsize=fontsize, handlelength=1.4,
                                         columnspacing=1.0, labelspacing=0.2, borderpad=0.2)  # fmt: skip
                box = legend.get_window_extent(renderer)
                if force or (box.x0 >= left and box.y0 >= bottom and box.y1 <= top):
                    return legend
                legend.remove()
        return None

    @property
    def steps(self) -> int:
        return self.runs[0].steps

    def status_text(self, moment: "Moment") -> str:
        """The step (or the two steps an in-between frame moves between) and the loss, as the frame shows them."""
        run, a, b = self.runs[0], moment.start, moment.end
        gliding = moment.t < 1 and a != b
        if run.test is not None and len(self.runs) == 1:  # both losses: the gap between them is the lesson
            train, test = format_loss(run.loss[moment.step], 3), format_loss(run.test.loss[moment.step], 3)
            return f"{format_status(a, self.steps, toward=b if gliding else None)}  train {train} test {test}"
        if len(self.runs) > 1:
            return format_status(a, self.steps, toward=b) if gliding else format_status(moment.step, self.steps)
        if gliding:
            return format_status(a, self.steps, float(run.loss[a]), toward=b, toward_loss=float(run.loss[b]))
        return format_status(moment.step, self.steps, float(run.loss[moment.step]))

    def draw(self, moment: "Moment", frame: int | None = None, notes: bool = True) -> np.ndarray:
        """One frame as an (size, size, 4) uint8 view of the canvas; valid until the next draw. `frame` (the
        plan's index) says which notes show; `notes=False` leaves them out (to see what they cover)."""
        frame = self.plan.frame_of(moment.step) if frame is None else frame
        shown = tuple(index for index in self.shown_key(moment.step, frame)
                      if notes or not self.overlays[index].by_frame)  # fmt: skip
        self.canvas.restore_region(self.background(shown))
        for panel in self.panels:
            panel.update(moment)
        for artist in self.animated:
            if artist.get_visible():
                self.fig.draw_artist(artist)
        for patch in self.tops[shown]:
            self.canvas.restore_region(patch)
        for artist in self.foremost:
            if artist.get_visible():
                self.fig.draw_artist(artist)
        picture = np.asarray(self.canvas.buffer_rgba())
        self.status.draw(picture, self.status_text(moment))
        return picture

    def moment(self, frame: int) -> "Moment":
        return Moment(int(self.plan.start[frame]), int(self.plan.end[frame]), float(self.plan.t[frame]))

    def draw_step(self, k: int) -> np.ndarray:
        """The recorded model after k updates, exactly, with what the video shows beside it when it gets there."""
        return self.draw(Moment(k, k), self.plan.frame_of(k))

    def frames(self) -> Iterator[np.ndarray]:
        """Every frame of the plan in order (its pauses and held end included)."""
        for index in range(len(self.plan)):
            yield self.draw(self.moment(index), index)

    def note_boxes(self, frame: int) -> list[tuple]:
        """The display-px boxes of the notes shown at this frame (for a test to look under them)."""
        step = int(self.plan.shown[frame])
        return [overlay.box for overlay in self.overlays if overlay.by_frame and overlay.shows(step, frame)]


class FitAnimation(Animation):
    """A fit panel over a loss panel: the page's videos."""

    def __init__(self, runs: list[Trajectory], size: int = DESIGN_PX, title: str = "", **pacing):
        super().__init__(runs, size, title, **pacing)
        run = runs[0]
        self.fit = FitPanel(self.fig.add_axes(FIT), run, fit_ylim(run))
        self.loss = LossPanel(self.fig.add_axes(LOSS), [run], **self.loss_axis)
        self.panels = [self.fit, self.loss]
        self.legend(*self.fit.handles())
        self.finish_layout(self.loss, [self.fit])


class LandscapeAnimation(Animation):
    """The loss landscape with the optimizer's path (left), the fit it gives (right), the loss under both."""

    def __init__(self, runs: list[Trajectory], size: int = DESIGN_PX, title: str = "", **pacing):
        run = runs[0]
        if run.landscape.kind == "pca":
            title = f"{title}: PCA plane, {100 * run.landscape.explained:.1f}% of the path's variance"
        super().__init__(runs, size, title, **pacing)
        self.landscape = LandscapePanel(self.fig.add_axes(LANDSCAPE), run.landscape, run)
        self.fit = FitPanel(self.fig.add_axes(LANDSCAPE_FIT), run, fit_ylim(run))
        self.loss = LossPanel(self.fig.add_axes(LOSS), [run], **self.loss_axis)
        self.panels = [self.landscape, self.fit, self.loss]
        self.legend(*self.fit.handles())
        self.finish_layout(self.loss, [self.fit], landscape=self.landscape)


class CompareAnimation(Animation):
    """Runs side by side (2) or in a 2x2 grid (3-4), one shared step counter, their losses overlaid."""

    def __init__(self, runs: list[Trajectory], size: int = DESIGN_PX, title: str = "", **pacing):
        super().__init__(runs, size, title, **pacing)
        ylim = fit_ylim(*runs)
        rects = compare_grid(len(runs))
        self.fits = []
        for index, (run, rect) in enumerate(zip(runs, rects, strict=True)):
            row, column = divmod(index, 2)
            ax = self.fig.add_axes(rect)
            self.fits.append(FitPanel(ax, run, ylim, fontsize=8))
            self.label_panel(ax, run, RUN_COLORS[index], first_column=column == 0, last_row=row == (len(runs) - 1) // 2)
        self.loss = LossPanel(self.fig.add_axes(LOSS), runs, log=True, **self.loss_axis)
        self.panels = [*self.fits, self.loss]
        self.legend([self.fits[0].points, self.fits[0].curve], ["data", "model"])
        self.finish_layout(self.loss, self.fits)
        self.overlays += [overlay for index, fit in enumerate(self.fits) for overlay in self.outcomes(fit, index)]

    OUTCOMES = ("oscillating", "converged", "diverged", "poor fit")  # what a panel's title says, from when it happens

    @staticmethod
    def label_panel(ax, run: Trajectory, color: str, first_column: bool, last_row: bool) -> None:
        """Two title lines in the run's loss colour, its label and its learning rate; axes are shared, so inner
        tick labels go."""
        ax.set_title(f"{run.meta.get('run', {}).get('label', '')}\n{learning_rate(run)}", fontsize=8.5, color=color,
                     pad=2, linespacing=1.1)  # fmt: skip
        if not first_column:
            ax.set_ylabel("")
            ax.tick_params(labelleft=False)
        if not last_row:
            ax.set_xlabel("")
            ax.tick_params(labelbottom=False)

    def outcomes(self, fit: "FitPanel", index: int) -> list[Overlay]:
        """What happens to a run, said in its title's second line from the step it happens: never before it. A run
        that has neither converged nor diverged by its end says it is still moving, at the end."""
        ax, run = fit.curve.axes, fit.run
        found = [(event.step, event.kind) for event in run.events if event.kind in self.OUTCOMES]
        if not any(kind in ("converged", "diverged") for _, kind in found):
            found.append((run.steps, "noisy" if run.meta.get("run", {}).get("batch_size") else "still moving"))
        overlays = []
        for step, kind in sorted(found):
            said = f"{learning_rate(run)}: {kind}"
            line = ax.text(*ax.title.get_position(), said, transform=ax.title.get_transform(), ha="center",
                           va="baseline", fontsize=8.5, color=RUN_COLORS[index], animated=True,
                           bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"})  # fmt: skip
            overlays.append(Overlay([line], first=step))
        return overlays


def learning_rate(run: Trajectory) -> str:
    lr = run.meta.get("run", {}).get("lr")
    return "" if lr is None else f"lr {lr:.2g}"


ANIMATIONS = {  # by layout name (layouts.py says what each needs recorded)
    "fit": FitAnimation,
    "landscape": LandscapeAnimation,
    "landscape_pca": LandscapeAnimation,
    "compare": CompareAnimation,
}


@plain_text
def data_still(x: np.ndarray, y: np.ndarray, title: str, size: int = DESIGN_PX) -> np.ndarray:
    """A scatter plot of a data set, in the videos' look, as an (size, size, 4) uint8 array."""
    fig, canvas = new_canvas(size)
    ax = fig.add_axes((LEFT, 0.1, RIGHT - LEFT, 0.8))
    ax.scatter(x, y, s=14, color=DATA_COLOR, alpha=0.85, linewidths=0, label="data")
    ax.set_xlim(*padded(*finite_range(x), 0.05))
    ax.set_ylim(*padded(*finite_range(y)))
    style_axes(ax, "x", "y")
    fig.text(0.5, 0.95, title, ha="center", va="center", fontsize=11, weight="bold")
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


@plain_text
def surface_still(run: Trajectory, title: str, size: int = DESIGN_PX) -> np.ndarray:
    """The loss over (w, b) as a 3-D surface with the optimizer's path on it, as (size, size, 4) uint8."""
    fig, canvas = new_canvas(size)
    ax = fig.add_axes((0.0, 0.0, 1.0, 0.92), projection="3d")
    landscape = run.landscape
    u, v = np.meshgrid(landscape.u, landscape.v)
    ax.plot_surface(u, v, landscape.loss, cmap=LANDSCAPE_CMAP, rstride=4, cstride=4, linewidth=0,
                    antialiased=True, alpha=0.85)  # fmt: skip
    path_loss = shown(run.loss)
    ax.plot(landscape.path_u, landscape.path_v, path_loss, color=MODEL_COLOR, lw=2.2, zorder=10)
    ax.scatter(landscape.path_u[[0, -1]], landscape.path_v[[0, -1]], path_loss[[0, -1]], color=MODEL_COLOR, s=30,
               depthshade=False, zorder=11)  # fmt: skip
    ax.set_xlabel(landscape.labels[0], fontsize=10, labelpad=2)
    ax.set_ylabel(landscape.labels[1], fontsize=10, labelpad=2)
    ax.set_zlabel("MSE loss", fontsize=10, labelpad=2)
    ax.tick_params(labelsize=8, pad=0)
    ax.view_init(elev=32, azim=-128)
    ax.set_box_aspect(None, zoom=0.86)  # room for the z label inside the picture
    fig.text(0.5, 0.955, title, ha="center", va="center", fontsize=11, weight="bold")
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


SHEET_PAD, SHEET_LABEL, SHEET_HEADER = 8, 22, 40  # px: gaps, the label line above a tile, the title band


def sheet_tile_box(index: int, columns: int = 4, tile: int = 256) -> tuple[int, int]:
    """The (top, left) pixel of thumbnail `index` in a contact sheet."""
    row, column = divmod(index, columns)
    return SHEET_HEADER + row * (SHEET_LABEL + tile + SHEET_PAD) + SHEET_LABEL, SHEET_PAD + column * (tile + SHEET_PAD)


@plain_text
def contact_sheet(tiles: list[tuple[np.ndarray, str]], title: str, columns: int = 4, tile: int = 256) -> np.ndarray:
    """Thumbnails in a grid, each under its label, as (h, w, 4) uint8: a whole video at a glance."""
    from PIL import Image

    rows = -(-len(tiles) // columns)
    width = SHEET_PAD + columns * (tile + SHEET_PAD)
    height = SHEET_HEADER + rows * (SHEET_LABEL + tile + SHEET_PAD)
    fig = Figure(figsize=((width + 0.5) / 100, (height + 0.5) / 100), dpi=100, facecolor="white")
    canvas = FigureCanvasAgg(fig)
    fig.text(0.5, 1 - SHEET_HEADER / 2 / height, title, ha="center", va="center", fontsize=12, weight="bold")
    for index, (rgba, label) in enumerate(tiles):
        top, left = sheet_tile_box(index, columns, tile)
        thumb = Image.fromarray(np.ascontiguousarray(rgba[..., :3])).resize((tile, tile), Image.LANCZOS)
        fig.figimage(np.asarray(thumb), xo=left, yo=height - top - tile)  # pixel offsets from the bottom left
        label_y = 1 - (top - SHEET_LABEL / 2) / height
        text = fig.text((left + tile / 2) / width, label_y, label, ha="center", va="center", fontsize=9)
        shrink_to_width(text, canvas, tile)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()

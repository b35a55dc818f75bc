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

from .layouts import FIT_MARGIN, MAX_OVERSHOOT
from .trajectory import Landscape, Trajectory

# A title in a script DejaVu lacks draws its letters as boxes, which a reviewer sees; matplotlib's warning
# for each of them would only clutter the one-line report.
warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)

DATA_COLOR = "tab:blue"  # the page: "our dataset" in blue
MODEL_COLOR = "tab:red"  # the page: "the trained model's predictions" in red
TEST_COLOR = "tab:green"  # held-out test points (hollow) and their loss: neither the data's blue nor the model's red
RUN_COLORS = ("tab:red", "tab:orange", "tab:purple", "tab:brown")  # loss curves of side-by-side runs
LANDSCAPE_CMAP = "viridis"  # low loss dark, high loss light; neither blue data nor the red path get lost in it
DESIGN_PX = 512  # the layout is designed at 512 px and scaled by dpi, so it looks the same at any size
LOG_SCALE_SPAN = 20.0  # a loss that falls by more than ~1.3 decades is shown on a log axis
LOSS_CEILING = 10.0  # the loss axis stops at this multiple of the highest starting loss; a diverging run leaves it
LEFT, RIGHT = 0.13, 0.96  # figure-fraction margins shared by every layout
TITLE_Y, STATUS_Y = 0.965, 0.925  # the two text lines above the panels
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


def fit_ylim(*runs: Trajectory) -> tuple[float, float]:
    """Y limits that hold the data and every prediction, but never zoom out far past the data."""
    data_low, data_high = finite_range(runs[0].y, *([] if runs[0].test is None else [runs[0].test.y]))
    reach = MAX_OVERSHOOT * (data_high - data_low or 1.0)
    pred_low, pred_high = finite_range(*(run.grid_pred for run in runs))
    low = max(min(data_low, pred_low), data_low - reach)
    high = min(max(data_high, pred_high), data_high + reach)
    return padded(low, high)


def loss_axis(*losses: np.ndarray, log: bool = False) -> tuple[str, tuple[float, float]]:
    """The loss axis scale ('log' when the loss spans decades, or asked for) and its limits.

    Limits come from finite values only, and stop at LOSS_CEILING times the highest starting loss, so a
    diverging run climbs out of the panel instead of flattening every other curve against the floor.
    """
    ceiling = LOSS_CEILING * max((a[0] for a in losses if np.isfinite(a[0])), default=np.inf)
    loss = np.concatenate([np.ravel(a) for a in losses])
    loss = np.where(loss > ceiling, ceiling, loss)
    positive = loss[np.isfinite(loss) & (loss > 0)]
    if positive.size and (log or positive.max() / positive.min() >= LOG_SCALE_SPAN):
        low, high = padded(np.log10(positive.min()), np.log10(positive.max()), 0.06)
        return "log", (10**low, 10**high)
    low, high = finite_range(loss)
    return "linear", (min(0.0, low), high * 1.08 if high > 0 else 1.0)


def shown(values: np.ndarray) -> np.ndarray:
    """Overflowed values as gaps: matplotlib draws NaN as a break in a line, and inf as garbage."""
    return np.where(np.isfinite(values), values, np.nan)


def format_loss(loss: float, digits: int = 4) -> str:
    """A loss with a fixed count of significant digits, or 'overflow'."""
    return f"{loss:#.{digits}g}" if np.isfinite(loss) else "overflow"


def format_status(step: int, steps: int, loss: float | None = None) -> str:
    """The changing title line; short, because text is the most expensive thing to draw per frame."""
    width = len(str(steps))
    status = f"step {step:>{width}d}/{steps}"
    return status if loss is None else f"{status}  loss {format_loss(loss)}"


def loss_label(meta: dict) -> str:
    """ "MSE loss" from a scene's "mse" or a student's loop's "MSE"; just "loss" when the run does not say."""
    name = meta.get("loss") or ""
    return f"{name.upper() if name.islower() else name} loss".strip()


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
    """Artists shown from one step on (until another): an event's marker and label, an author's note."""

    artists: list
    first: int
    last: int | None = None
    on_top: bool = False  # drawn over the moving curves too (a note's box, whose text a curve must not cross)

    def shows(self, step: int) -> bool:
        return self.first <= step and (self.last is None or step <= self.last)


def fit_inside(label, ax, text: str) -> None:
    """Wrap a note's text, and shrink it if it must, until its box lies inside the panel: a small panel of a grid
    has its title just above it and its neighbour's ticks beside it."""
    renderer = ax.figure.canvas.get_renderer()
    room = ax.get_window_extent(renderer).width * 0.88  # the box pads the text, and sits off the edge
    for fontsize in (8.5, 7.5, 6.5):
        label.set_fontsize(fontsize)
        for width in (42, 36, 30, 26, 22, 18):
            label.set_text("\n".join(textwrap.wrap(text, width)))
            if label.get_window_extent(renderer).width <= room:
                return


class FitPanel:
    """The data in blue and the model's prediction in red, with a label from the step the run diverged."""

    def __init__(self, ax, run: Trajectory, ylim: tuple[float, float], fontsize: float = 10):
        self.run, self.grid_pred = run, shown(run.grid_pred)
        self.points = ax.scatter(run.x, run.y, s=12 * fontsize / 10, color=DATA_COLOR, alpha=0.85, linewidths=0)
        self.test_points, self.taken = None, set()
        if run.test is not None:  # hollow: points the model is measured on and never learns from
            self.test_points = ax.scatter(run.test.x, run.test.y, s=22 * fontsize / 10, facecolors="none",
                                          edgecolors=TEST_COLOR, linewidths=1.2 * fontsize / 10)  # fmt: skip
        (self.curve,) = ax.plot([], [], color=MODEL_COLOR, lw=2.4 * fontsize / 10, animated=True)
        ax.set_xlim(run.grid_x[0], run.grid_x[-1])
        ax.set_ylim(*ylim)
        style_axes(ax, "x", "y", fontsize)
        # The step the events name (its loss passed 10x its start for good), so the panel, the loss's label
        # and the captions agree; a run that overflowed without that event (a student's) still says so.
        self.diverged_at = next((e.step for e in run.events if e.kind == "diverged"), run.diverged_at())
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
        self.artists = [self.curve, self.diverged_label]
        self.foremost = [self.diverged_label]  # over an author's note too: what happened outranks what was said

    CORNERS = {"upper left": (0.03, 0.97, "left", "top"), "upper right": (0.97, 0.97, "right", "top"),
               "upper center": (0.5, 0.97, "center", "top"), "lower left": (0.03, 0.03, "left", "bottom"),
               "lower right": (0.97, 0.03, "right", "bottom")}  # fmt: skip

    NEIGHBOURS = {"upper left": {"upper left", "upper center"}, "upper right": {"upper right", "upper center"},
                  "upper center": {"upper left", "upper center", "upper right"}}  # fmt: skip

    def emptiest_corner(self) -> str:
        """The corner of the panel (not yet taken) that the data and the final curve leave emptiest."""
        ax = self.curve.axes
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        xs, ys = [self.run.x, self.run.grid_x], [self.run.y, self.grid_pred[-1]]
        if self.run.test is not None:
            xs, ys = xs + [self.run.test.x], ys + [self.run.test.y]
        u, v = (np.concatenate(xs) - x0) / (x1 - x0), (np.concatenate(ys) - y0) / (y1 - y0)
        top, bottom, left, right = v > 0.75, v < 0.25, u < 0.5, u > 0.5
        crowd = {"upper left": left & top, "upper right": right & top, "upper center": (np.abs(u - 0.5) < 0.25) & top,
                 "lower left": left & bottom, "lower right": right & bottom}  # fmt: skip
        free = [corner for corner in crowd if corner not in self.taken]
        return min(free, key=lambda corner: int(crowd[corner].sum()))

    def inner_legend(self, handles, labels) -> None:
        """The keys inside the panel, in its emptiest corner: for layouts whose status line needs the room."""
        corner = self.emptiest_corner()
        self.taken |= self.NEIGHBOURS.get(corner, {corner})  # a wide note centred on top would reach into it
        legend = self.curve.axes.legend(handles, labels, loc=corner, fontsize=8.5, framealpha=0.9, handlelength=1.4,
                                        borderpad=0.3, labelspacing=0.3)  # fmt: skip
        self.kept_on_top = [legend]  # the moving curve passes under it, never through its words

    def note_overlay(self, step: int, text: str, last: int) -> Overlay:
        """An author's note in the corner of the panel the data and the curve leave emptiest."""
        ax = self.curve.axes
        (x, y, ha, va) = self.CORNERS[self.emptiest_corner()]
        label = ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, fontsize=8.5,
                        bbox={"boxstyle": "round,pad=0.35", "facecolor": "#fffbe6", "edgecolor": "#c9b458"},
                        animated=True)  # fmt: skip
        fit_inside(label, ax, text)
        return Overlay([label], first=step, last=last, on_top=True)

    def keys(self) -> tuple[list, list[str]]:
        """The legend's handles and labels: the data (training and test points, when held out) and the model."""
        if self.test_points is None:
            return [self.points, self.curve], ["data", "model"]
        handles, labels = [self.points, self.test_points, self.curve], ["train", "test", "model"]
        if any(event.kind == "early stopping" for event in self.run.events):  # the faint curve's key
            (faint,) = self.curve.axes.plot([], [], color=MODEL_COLOR, lw=1.6, alpha=0.35, ls="--")
            handles, labels = [*handles, faint], [*labels, "best on test"]
        return handles, labels

    def early_stop_overlay(self, step: int) -> Overlay:
        """The fit at the step with the lowest test loss, faint, from that step on: what stopping there keeps."""
        ax = self.curve.axes
        (faint,) = ax.plot(self.run.grid_x, self.grid_pred[self.run.row(step)], color=MODEL_COLOR, lw=1.6,
                           alpha=0.35, ls="--", animated=True)  # fmt: skip
        return Overlay([faint], first=step)

    def update(self, moment: "Moment") -> None:
        self.curve.set_data(self.run.grid_x, moment.blend(self.run, self.grid_pred))
        self.diverged_label.set_visible(self.diverged_at is not None and moment.step >= self.diverged_at)


class LossPanel:
    """Each run's loss drawn up to the current step, with a marker on the current value."""

    def __init__(self, ax, runs: list[Trajectory], colors=RUN_COLORS, log: bool = False):
        losses = [run.loss for run in runs]
        self.held = runs[0].test is not None and len(runs) == 1  # training loss in the data's blue, test in green
        if self.held:
            losses, colors = [runs[0].loss, runs[0].test.loss], (DATA_COLOR, TEST_COLOR)
        scale, limits = loss_axis(*losses, log=log or self.held)
        low, high = self.limits = limits
        self.losses = [shown(loss) for loss in losses]  # the lines are clipped at the panel's edge
        ax.set_yscale(scale)
        if scale == "log":
            # "0.01" rather than mathtext's 10^-2: plainer for students, and mathtext's parser costs ~1 s to build.
            ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
            if high / low < 100:  # under two decades, powers of ten alone leave one or two labels
                ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_minor_formatter(NullFormatter())  # labelled minor ticks crowd a short log axis
        ax.set_ylim(*limits)
        ax.set_xlim(0, max(runs[0].steps, 1))
        if runs[0].steps >= 10_000:  # "100000" at the axis' end runs off the frame; "100k" does not
            ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value / 1000:g}k" if value else "0"))
        self.steps = np.arange(runs[0].steps + 1)
        self.lines, self.markers, self.placed = [], [], []
        for color in colors[: len(losses)]:
            (line,) = ax.plot([], [], color=color, lw=1.6, animated=True)
            # Unclipped, so the marker stays round at step 0 and at the last step, on the axes' edges.
            (marker,) = ax.plot([], [], "o", color=color, ms=5, animated=True, clip_on=False)
            self.lines.append(line)
            self.markers.append(marker)
        style_axes(ax, "step", loss_label(runs[0].meta))
        self.artists = self.lines + self.markers

    def update(self, moment: "Moment") -> None:
        position = moment.position
        k = int(np.floor(position))
        low, high = self.limits
        for loss, line, marker in zip(self.losses, self.lines, self.markers, strict=False):
            value = loss[k] if position == k else np.interp(position, self.steps, loss)  # a glide: part of the way
            line.set_data(np.append(self.steps[: k + 1], position), np.append(loss[: k + 1], value))
            # The marker is drawn unclipped (round at the edges), so an off-axis value must vanish for it.
            marker.set_data([position], [value if low <= value <= high else np.nan])

    def event_overlay(self, event, color: str) -> "Overlay":
        """A marker on the loss at the event's step, and its short label where no loss line and no other label
        is, shown from that step on."""
        on_test = self.held and event.kind == "early stopping"  # marked where it is seen: on the test loss
        ax, loss = self.lines[0].axes, self.losses[1 if on_test else event.run]
        (marker,) = ax.plot([event.step], [loss[event.step]], "D", color=color, mec="white", ms=5, animated=True)
        x, y, ha = self.label_place(ax, event.step, len(event.text))
        label = ax.text(x, y, event.text, transform=ax.transAxes, ha=ha, va="top", fontsize=8, color=color,
                        bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.9},
                        animated=True)  # fmt: skip
        return Overlay([marker, label], first=event.step)

    LABEL_HEIGHT = 0.17  # of the loss panel, a line of 8 pt text with its box

    def label_place(self, ax, step: int, characters: int) -> tuple[float, float, str]:
        """Where a label of so many characters goes, in axes fractions: beside its step, on the first row (from
        the top) where it crosses neither a loss line nor a label already placed."""
        to_axes = ax.transAxes.inverted()
        curve = np.concatenate([to_axes.transform(ax.transData.transform(np.column_stack([self.steps, loss])))
                                for loss in self.losses])  # fmt: skip
        curve = curve[np.isfinite(curve).all(axis=1)]
        at = to_axes.transform(ax.transData.transform((step, 1.0)))[0]
        width = characters * 6.7 / (ax.get_window_extent().width * DESIGN_PX / ax.figure.bbox.width) + 0.02
        for top in (0.95, 0.76, 0.57, 0.38):
            for ha, left in (("left", at + 0.01), ("right", at - 0.01 - width)):
                box = (max(left, 0.0), top - self.LABEL_HEIGHT, min(left + width, 1.0), top + 0.02)
                under = curve[(curve[:, 0] >= box[0]) & (curve[:, 0] <= box[2])]
                crossed = ((under[:, 1] >= box[1]) & (under[:, 1] <= box[3])).any()
                if 0 <= left and left + width <= 1 and not crossed and not any(overlap(box, b) for b in self.placed):
                    self.placed.append(box)
                    return (left if ha == "left" else left + width), top, ha
        self.placed.append((0, 0, 0, 0))
        return 0.99, 0.95 - 0.19 * (len(self.placed) % 4), "right"


def overlap(a: tuple, b: tuple) -> bool:
    """Whether two boxes (left, bottom, right, top) overlap."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class LandscapePanel:
    """Filled contours of the loss (drawn once, in the background) and the path walked on them so far."""

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

    def update(self, moment: "Moment") -> None:
        a, b = self.run.row(moment.start), self.run.row(moment.end)
        u = moment.t * self.path_u[b] + (1 - moment.t) * self.path_u[a]
        v = moment.t * self.path_v[b] + (1 - moment.t) * self.path_v[a]
        self.path.set_data(np.append(self.path_u[: a + 1], u), np.append(self.path_v[: a + 1], v))
        self.point.set_data([u], [v])


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
            cell = frame[rows, left : left + self.cell_width, :3]
            np.minimum(cell, self.glyph(char), out=cell)


class Animation:
    """The blitting loop shared by every layout: panels update their artists, the base draws them.

    Artists that appear at a step and then stay a while (an event's label, an author's note) are drawn into
    the background, once for each set of them that is shown together: text is the dearest thing to draw.
    """

    NOTE_SECONDS = 3.0  # how long an author's note stays on screen

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:  # every layout builds its texts in its constructor
            cls.__init__ = plain_text(cls.__init__)

    def __init__(self, runs: list[Trajectory], size: int, title: str, plan=None, notes=(), fps: int = 30):
        from .pacing import Plan

        self.runs, self.size = runs, size
        self.plan = plan if plan is not None else Plan.exact(np.arange(runs[0].steps + 1))
        self.notes, self.fps = notes, fps
        self.fig, self.canvas = new_canvas(size)
        title_text = self.fig.text(0.5, TITLE_Y, title, ha="center", va="center", fontsize=11, weight="bold")
        shrink_to_width(title_text, self.canvas, 0.96 * size)
        self.status = StatusLine(self.fig, self.canvas, LEFT, STATUS_Y, fontsize=10)
        self.panels, self.overlays, self.backgrounds, self.tops = [], [], {}, {(): []}

    def finish_layout(self, loss: "LossPanel", fit: "FitPanel") -> None:
        """Add the events and notes, draw everything static once, and keep it as the background."""
        events = sorted((event for run in self.runs for event in run.events), key=lambda event: event.step)
        colors = RUN_COLORS if len(self.runs) > 1 else [DATA_COLOR if loss.held else MODEL_COLOR]
        self.overlays = [loss.event_overlay(event, TEST_COLOR if event.kind == "early stopping" else colors[event.run])
                         for event in events[:6]]  # fmt: skip
        self.overlays += [fit.early_stop_overlay(event.step) for event in events if event.kind == "early stopping"]
        following = [step for step, _ in self.notes[1:]] + [None]  # each note's successor, the last's none
        self.overlays += [fit.note_overlay(step, text, self.note_end(step, after))
                          for (step, text), after in zip(self.notes, following, strict=False)]  # fmt: skip
        artists = [artist for panel in self.panels for artist in panel.artists]
        self.foremost = [artist for panel in self.panels for artist in getattr(panel, "foremost", ())]
        self.animated = [artist for artist in artists if artist not in self.foremost]
        # Static keys the moving curves pass under (an inner legend): their pixels go back on top of each frame.
        self.kept_on_top = [artist for panel in self.panels for artist in getattr(panel, "kept_on_top", ())]
        self.canvas.draw()  # animated artists are left out of this draw
        self.backgrounds[()] = self.canvas.copy_from_bbox(self.fig.bbox)
        self.tops[()] = self.top_patches(())

    def note_end(self, step: int, following: int | None = None) -> int:
        """The last step a note from `step` is shown at: NOTE_SECONDS of video later, or just before the next
        note (they share a corner, and two boxes there would cover each other)."""
        first = self.plan.frame_of(step)
        end = int(self.plan.shown[min(len(self.plan) - 1, first + round(self.NOTE_SECONDS * self.fps) - 1)])
        return end if following is None or following > end else max(step, following - 1)

    def shown_key(self, step: int) -> tuple[int, ...]:
        """Which overlays show at `step`: the key of its background."""
        return tuple(index for index, overlay in enumerate(self.overlays) if overlay.shows(step))

    def background(self, step: int):
        """The static picture with the overlays shown at `step`, drawn once per set of them."""
        shown = self.shown_key(step)
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
        """Data and model keys on the status line's right, where no data can ever be hidden by them; inside the
        fit panel when the status line is long (held-out runs name two losses)."""
        if self.runs[0].test is not None and len(self.runs) == 1:
            return self.fit.inner_legend(handles, labels)
        self.fig.legend(handles=handles, labels=labels, loc="center right", bbox_to_anchor=(RIGHT + 0.005, STATUS_Y),
                        ncol=len(labels), frameon=False, fontsize=10, handlelength=1.4, columnspacing=1.0)  # fmt: skip

    @property
    def steps(self) -> int:
        return self.runs[0].steps

    @property
    def diverged_at(self) -> int | None:
        """The first step at which any run overflowed, or None."""
        steps = [run.diverged_at() for run in self.runs if run.diverged_at() is not None]
        return min(steps) if steps else None

    def status_text(self, k: int) -> str:
        run = self.runs[0]
        if run.test is not None and len(self.runs) == 1:  # both losses: the gap between them is the lesson
            train, test = format_loss(run.loss[k], 3), format_loss(run.test.loss[k], 3)
            return f"{format_status(k, self.steps)}  train {train} test {test}"
        return format_status(k, self.steps, float(run.loss[k]) if len(self.runs) == 1 else None)

    def draw(self, moment: Moment) -> np.ndarray:
        """One frame as an (size, size, 4) uint8 view of the canvas; valid until the next draw."""
        shown = self.background(moment.step)
        self.canvas.restore_region(shown)
        for panel in self.panels:
            panel.update(moment)
        for artist in self.animated:
            if artist.get_visible():
                self.fig.draw_artist(artist)
        for patch in self.tops[self.shown_key(moment.step)]:
            self.canvas.restore_region(patch)
        for artist in self.foremost:
            if artist.get_visible():
                self.fig.draw_artist(artist)
        frame = np.asarray(self.canvas.buffer_rgba())
        self.status.draw(frame, self.status_text(moment.step))
        return frame

    def draw_step(self, k: int) -> np.ndarray:
        """The recorded model after k updates, exactly."""
        return self.draw(Moment(k, k))

    def frames(self, hold: int = 0) -> Iterator[np.ndarray]:
        """Every frame of the plan in order, then the last one `hold` more times."""
        for start, end, t in zip(self.plan.start, self.plan.end, self.plan.t, strict=True):
            frame = self.draw(Moment(int(start), int(end), float(t)))
            yield frame
        for _ in range(hold):
            yield frame


class FitAnimation(Animation):
    """A fit panel over a loss panel: the page's videos."""

    def __init__(self, runs: list[Trajectory], size: int = DESIGN_PX, title: str = "", **pacing):
        super().__init__(runs, size, title, **pacing)
        run = runs[0]
        self.fit = FitPanel(self.fig.add_axes((LEFT, 0.395, RIGHT - LEFT, 0.505)), run, fit_ylim(run))
        self.loss = LossPanel(self.fig.add_axes((LEFT, 0.08, RIGHT - LEFT, 0.22)), [run])
        self.panels = [self.fit, self.loss]
        self.legend(*self.fit.keys())
        self.finish_layout(self.loss, self.fit)


class LandscapeAnimation(Animation):
    """The loss landscape with the optimizer's path (left), the fit it gives (right), the loss under both."""

    def __init__(self, runs: list[Trajectory], size: int = DESIGN_PX, title: str = "", **pacing):
        run = runs[0]
        if run.landscape.kind == "pca":
            title = f"{title}: PCA plane, {100 * run.landscape.explained:.1f}% of the path's variance"
        super().__init__(runs, size, title, **pacing)
        land_ax = self.fig.add_axes((0.115, 0.395, 0.345, 0.505))
        self.landscape = LandscapePanel(land_ax, run.landscape, run)
        fit_ax = self.fig.add_axes((0.615, 0.395, RIGHT - 0.615, 0.505))
        self.fit = FitPanel(fit_ax, run, fit_ylim(run))
        self.loss = LossPanel(self.fig.add_axes((LEFT, 0.08, RIGHT - LEFT, 0.22)), [run])
        self.panels = [self.landscape, self.fit, self.loss]
        self.legend(*self.fit.keys())
        self.finish_layout(self.loss, self.fit)


class CompareAnimation(Animation):
    """Runs side by side (2) or in a 2x2 grid (3-4), one shared step counter, their losses overlaid."""

    def __init__(self, runs: list[Trajectory], size: int = DESIGN_PX, title: str = "", **pacing):
        super().__init__(runs, size, title, **pacing)
        ylim = fit_ylim(*runs)
        columns, rows = 2, (len(runs) + 1) // 2
        top, bottom, gap_x, gap_y = 0.84, 0.40, 0.04, 0.1
        width = (RIGHT - LEFT - gap_x * (columns - 1)) / columns
        height = (top - bottom - gap_y * (rows - 1)) / rows
        self.fits = []
        for index, run in enumerate(runs):
            row, column = divmod(index, columns)
            rect = (LEFT + column * (width + gap_x), top - height - row * (height + gap_y), width, height)
            ax = self.fig.add_axes(rect)
            self.fits.append(FitPanel(ax, run, ylim, fontsize=8))
            self.label_panel(ax, run, RUN_COLORS[index], first_column=column == 0, last_row=row == rows - 1)
        self.loss = LossPanel(self.fig.add_axes((LEFT, 0.08, RIGHT - LEFT, 0.22)), runs, log=True)
        self.panels = [*self.fits, self.loss]
        self.legend([self.fits[0].points, self.fits[0].curve], ["data", "model"])
        self.finish_layout(self.loss, self.fits[0])

    @staticmethod
    def label_panel(ax, run: Trajectory, color: str, first_column: bool, last_row: bool) -> None:
        """Two title lines in the run's loss colour; axes are shared, so inner tick labels go."""
        settings = run.meta.get("run", {})
        lr = f"lr {settings['lr']:.2g}: " if settings.get("lr") is not None else ""
        ax.set_title(f"{settings.get('label', '')}\n{lr}{run.state()}",
                     fontsize=8.5, color=color, pad=2, linespacing=1.1)  # fmt: skip
        if not first_column:
            ax.set_ylabel("")
            ax.tick_params(labelleft=False)
        if not last_row:
            ax.set_xlabel("")
            ax.tick_params(labelbottom=False)


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

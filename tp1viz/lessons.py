"""The figures that each answer one of the page's open questions, and the registry of every layout.

How would you test the trained net, and how is a score different from the loss (`train_test`)? Why can ten
ReLU units bend a line into a U (`relu_pieces`)? What are the page's two networks, once trained (the network
still)? They are built from draw.py's panels and blitting loop. Knows matplotlib; knows nothing of torch.
"""

import numpy as np
from matplotlib.patches import Polygon
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import offset_copy

from . import draw, placing
from .draw import MODEL_COLOR, TEST_COLOR, Animation, FitPanel, LossPanel, new_canvas, style_axes
from .layouts import DESIGN_PX, FIT, LOSS, RIGHT, TRAIN_TEST_FIT, fit_ylim
from .trajectory import Trajectory
from .words import sig

OUTSIDE_COLOR = "tab:orange"  # a test point outside the tolerance: neither the test's green nor the model's red
BIAS_COLOR = "0.25"  # the output bias: a dark grey dashed line, under the pieces and the red sum
DEAD_COLOR = "0.6"  # a unit that never switches on: grey, dashed
UNIT_COLORS = (
    "tab:orange",
    "tab:purple",
    "tab:green",
    "tab:brown",
    "tab:pink",
    "tab:olive",
    "tab:cyan",
    "black",
    "#000080",
    "#ff00ff",
)  # ten colours 60 levels apart (a test checks), none the data's, model's or dead's
INPUT_FILL, OUTPUT_FILL = "#dbe8f5", "#f8dada"  # the data's blue and the model's red, pale (and opaque)
WEIGHT_CMAP = "PuOr"  # a diverging map for weights: orange negative, purple positive, neither blue nor red


class ScorePanel:
    """The share of test points the model predicts within a tolerance, step by step: a score a person reads,
    beside the loss it is not."""

    def __init__(self, ax, run: Trajectory, tolerance: float):
        self.run = run
        self.score = 100 * run.test.within(tolerance)  # (snapshots,) percent
        (self.line,) = ax.plot([], [], color=TEST_COLOR, lw=1.6, animated=True)
        (self.marker,) = ax.plot([], [], "o", color=TEST_COLOR, ms=5, animated=True, clip_on=False)
        ax.set_xlim(0, max(run.steps, 1))
        if run.steps >= 10_000:  # as the loss panel beside it reads them
            ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value / 1000:g}k" if value else "0"))
        ax.set_ylim(0, 100)
        ax.set_yticks([0, 50, 100])
        style_axes(ax, "step", f"% within ±{tolerance:g}")
        self.artists = [self.line, self.marker]

    def update(self, moment: "draw.Moment") -> None:
        kept = self.run.kept
        row = self.run.row(moment.step)
        self.line.set_data(kept[: row + 1], self.score[: row + 1])
        self.marker.set_data([kept[row]], [self.score[row]])


class BandPanel(FitPanel):
    """The fit with the band of ±tolerance around the model: a test point inside it counts right (a hollow
    green circle), one outside it wrong (a hollow orange square), step by step, as the score beside counts."""

    def __init__(self, ax, run: Trajectory, ylim: tuple[float, float], tolerance: float):
        super().__init__(ax, run, ylim)
        self.tolerance = tolerance
        self.band = Polygon(np.zeros((0, 2)), closed=True, facecolor=TEST_COLOR, alpha=0.13, edgecolor="none",
                            animated=True)  # fmt: skip
        ax.add_patch(self.band)
        self.test_points.set_visible(False)  # drawn each frame instead, by which side of the band they fall
        # Here the test points are the lesson: the training points step back to plain dots.
        self.points.set(sizes=[12], alpha=0.85, linewidth=0, zorder=2)
        self.inside = ax.scatter([], [], s=30, facecolors="none", edgecolors=TEST_COLOR, linewidths=1.5, zorder=3,
                                 animated=True)  # fmt: skip
        self.outside = ax.scatter([], [], s=30, marker="s", facecolors="none", edgecolors=OUTSIDE_COLOR,
                                  linewidths=1.5, zorder=3, animated=True)  # fmt: skip
        self.artists = [self.band, self.inside, self.outside, *self.artists]

    def test_hits(self, moment: "draw.Moment") -> np.ndarray:
        """(m,) whether each test point is within the tolerance of the model as this frame draws it."""
        pred = moment.blend(self.run, self.run.test.pred.astype(np.float64))
        return np.abs(pred - self.run.test.y) <= self.tolerance

    def handles(self) -> tuple[list, list[str]]:
        within = f"test, within ±{self.tolerance:g}"
        return [self.points, self.inside, self.outside, self.curve], ["train", within, "test, outside", "model"]

    def update(self, moment: "draw.Moment") -> None:
        super().update(moment)
        curve = moment.blend(self.run, self.grid_pred).astype(np.float64)
        x = self.run.grid_x
        self.band.set_xy(
            np.column_stack(
                [np.concatenate([x, x[::-1]]), np.concatenate([curve + self.tolerance, (curve - self.tolerance)[::-1]])]
            )
        )
        hits = self.test_hits(moment)
        points = np.column_stack([self.run.test.x, self.run.test.y])
        self.inside.set_offsets(points[hits])
        self.outside.set_offsets(points[~hits])


class TrainTestAnimation(Animation):
    """Training points filled, held-out test points hollow; the training and test loss; and the score."""

    def __init__(self, runs: list[Trajectory], size: int = DESIGN_PX, title: str = "", tolerance: float = 1.0,
                 **pacing):  # fmt: skip
        super().__init__(runs, size, title, **pacing)
        run = runs[0]
        self.fit = BandPanel(self.fig.add_axes(TRAIN_TEST_FIT), run, fit_ylim(run), tolerance)
        self.loss = LossPanel(self.fig.add_axes((LOSS[0], 0.08, 0.42, 0.19)), [run], **self.loss_axis)
        self.score = ScorePanel(self.fig.add_axes((0.71, 0.08, RIGHT - 0.71, 0.19)), run, tolerance)
        self.fig.text(0.5, 0.335, f"The loss averages squared errors: it is what training lowers. The score counts\n"
                      f"the test points predicted within ±{tolerance:g}: never trained on, read at a glance.",
                      ha="center", va="center", fontsize=8, color="0.25", linespacing=1.3)  # fmt: skip
        self.panels = [self.fit, self.loss, self.score]
        self.legend(*self.fit.handles())
        self.finish_layout(self.loss, [self.fit])


class PiecesPanel(FitPanel):
    """The fit, with each hidden unit's piece v_i relu(w_i x + b_i) drawn where it is not zero, thick and in a
    colour of its own, its hinge (where it switches on, x = -b_i / w_i) a triangle on the x axis with a dotted
    guide up to the kink it puts in the red curve, and the output bias c dashed: the red curve is c plus the
    pieces. A unit that is off for every data point is dead: grey and dashed, and counted in the corner."""

    def __init__(self, ax, run: Trajectory, ylim: tuple[float, float]):
        super().__init__(ax, run, ylim)
        self.units = run.units
        self.dead = run.units.dead(run.x)  # (snapshots, h)
        self.pieces, self.hinges, self.guides = [], [], []
        for unit in range(run.units.w.shape[1]):
            color = UNIT_COLORS[unit % len(UNIT_COLORS)]
            (piece,) = ax.plot([], [], color=color, lw=2.0, alpha=0.95, animated=True, solid_capstyle="butt")
            # The hinge sits on the x axis: x in data, y in the axes' own fraction.
            (hinge,) = ax.plot([], [], "^", color=color, ms=7, mec="white", mew=0.6, animated=True, clip_on=False,
                               transform=ax.get_xaxis_transform())  # fmt: skip
            (guide,) = ax.plot([], [], color=color, lw=0.9, ls=(0, (1, 2)), animated=True)
            self.pieces.append(piece)
            self.hinges.append(hinge)
            self.guides.append(guide)
        (self.bias,) = ax.plot([], [], color=BIAS_COLOR, lw=1.3, ls=(0, (6, 3)), animated=True)
        self.bias_label = ax.text(0.99, 0, "", transform=ax.get_yaxis_transform(), ha="right", va="bottom",
                                  fontsize=8, color=BIAS_COLOR, animated=True)  # fmt: skip
        self.dead_label = ax.text(0.99, 0.03, "", transform=ax.transAxes, ha="right", va="bottom", fontsize=8,
                                  color="0.3", animated=True)  # fmt: skip
        (self.built,) = ax.plot([], [], color=MODEL_COLOR, lw=2.4, ls=(0, (4, 2)), animated=True)
        self.build_label = ax.text(
            0.5,
            0.97,
            "",
            transform=ax.transAxes,
            ha="center",
            va="top",
            fontsize=9,
            color=MODEL_COLOR,
            weight="bold",
            animated=True,
            bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": "none"},
        )
        self.x_range = ax.get_xlim()
        self.artists = [*self.guides, *self.pieces, self.bias, *self.hinges, *self.artists, self.built,
                        self.bias_label, self.dead_label, self.build_label]  # fmt: skip
        self.building = None  # (units added so far) while the sum is built again at the end
        self.sizes, self.dead_box = {}, None  # each wording's size; where the dead units' count is said

    def own_labels(self, renderer) -> list:
        """Where the panel's own words go (the divergence, the build's and the dead units' count): a key keeps off."""
        return [*super().own_labels(renderer), *self.counts(renderer)]

    def keys(self, renderer) -> list:
        """The key, and where the build's count and the dead units' count are said: notes keep off them."""
        return [*super().keys(renderer), *self.counts(renderer)]

    def counts(self, renderer) -> list:
        """Where the build's count and the dead units' count are said, each at its widest."""
        widest = f"bias + {len(self.pieces)} of {len(self.pieces)} pieces"
        boxes = []
        for label, text in ((self.build_label, widest), (self.dead_label, "grey, dashed: 10 dead units")):
            shown = label.get_text()
            label.set_text(text)
            boxes.append(draw.text_box(label, renderer, 2))
            label.set_text(shown)
        return boxes

    def pieces_at(self, moment: "draw.Moment") -> np.ndarray:
        """(h, g) each unit's piece on the grid at this moment, blended as the red curve is."""
        a, b = self.run.row(moment.start), self.run.row(moment.end)
        pieces = self.units.contributions(self.run.grid_x, b)
        if moment.t < 1 and a != b:
            pieces = (1 - moment.t) * self.units.contributions(self.run.grid_x, a) + moment.t * pieces
        return pieces

    def bias_at(self, moment: "draw.Moment") -> float:
        return float(moment.blend(self.run, self.units.c.astype(np.float64)))

    def order(self, row: int) -> list[list[int]]:
        """The units added at each stage of the build: none (the bias alone), then each live unit by where it
        switches on, left to right, then the dead ones together (zero on the data; past it, on the curve's
        ends, not always)."""
        w, b = self.units.w[row].astype(np.float64), self.units.b[row].astype(np.float64)
        live = [unit for unit in range(len(w)) if not self.dead[row, unit]]
        dead = [unit for unit in range(len(w)) if self.dead[row, unit]]
        live.sort(key=lambda unit: -b[unit] / w[unit] if w[unit] != 0 else np.inf)
        return [[], *([unit] for unit in live), *([dead] if dead else [])]

    def update(self, moment: "draw.Moment") -> None:
        super().update(moment)
        row = self.run.row(moment.end if moment.t >= 1 else moment.start)
        w, b = self.units.w[row].astype(np.float64), self.units.b[row].astype(np.float64)
        pieces, bias = self.pieces_at(moment), self.bias_at(moment)
        curve = moment.blend(self.run, self.grid_pred)
        for unit, (piece, hinge, guide, values) in enumerate(zip(self.pieces, self.hinges, self.guides, pieces,
                                                                 strict=True)):  # fmt: skip
            dead = bool(self.dead[row, unit])
            color = DEAD_COLOR if dead else UNIT_COLORS[unit % len(UNIT_COLORS)]
            on = np.abs(values) > 0
            piece.set_data(self.run.grid_x, values if dead else np.where(on, values, np.nan))  # its zero: not drawn
            piece.set(color=color, linestyle="--" if dead else "-", linewidth=1.2 if dead else 2.0)
            at = -b[unit] / w[unit] if w[unit] != 0 else np.nan
            inside = self.x_range[0] <= at <= self.x_range[1]
            hinge.set_data([at if inside else np.nan], [0.0])
            hinge.set_color(color)
            kink = float(np.interp(at, self.run.grid_x, curve)) if inside and not dead else np.nan
            guide.set_data([at, at], [self.ylim[0], kink])
        self.bias.set_data(self.x_range, [bias, bias])
        count = int(self.dead[row].sum())
        self.dead_label.set_text(f"grey, dashed: {count} dead unit{'s' * (count != 1)}" if count else "")
        self.update_built(row, pieces, bias)
        self.place_bias_label(bias)

    def place_bias_label(self, bias: float) -> None:
        """Name the bias on its line where neither the red curve this frame draws nor a hinge's guide passes (and,
        where it can, no piece and no data point): of BIAS_SPOTS along the line, above it or under it, the first
        free."""
        ax = self.curve.axes
        low, high = ax.get_ylim()
        self.bias_label.set_visible(bool(np.isfinite(bias)) and low <= bias <= high)
        if not self.bias_label.get_visible():  # a diverged bias is off the chart: its name would be too
            return
        self.bias_label.set_text(f"bias {sig(bias, 2)}")
        red = self.built if len(self.built.get_xdata()) else self.curve
        curve = placing.densify(*ax.transData.transform(np.column_stack(red.get_data())).T)
        guides = [placing.densify(*ax.transData.transform(guide.get_xydata()).T) for guide in self.guides]
        curve = np.concatenate([curve, *guides])  # a hinge's guide must not run through the words either
        data = self.data_points()
        pieces = [placing.densify(*ax.transData.transform(piece.get_xydata()).T) for piece in self.pieces]
        pieces = np.concatenate(pieces) if pieces else np.zeros((0, 2))
        words = [self.dead_box] if self.dead_label.get_text() and self.dead_box is not None else []
        if self.build_label.get_text():
            words.append(draw.text_box(self.build_label, ax.figure.canvas.get_renderer(), 2))
        size = self.said_size(self.bias_label)
        best = None
        for x, ha, va, off in ((*spot, off) for off in BIAS_OFFSETS for spot in BIAS_SPOTS):
            box = said_box(ax.get_yaxis_transform().transform((x, bias)), size, ha, va, off * size[1])
            hits = 1000 * placing.crowding(box[None], curve, 1)[0] + placing.crowding(box[None], data, 1)[0]
            hits += 30 * placing.crowding(box[None], pieces, 1)[0]
            hits += 1000 * sum(placing.overlapping(box[None], np.array(other))[0] for other in words)
            hits += 1000 * int(not placing.inside(box[None], draw.panel_box(ax))[0])
            if best is None or hits < best[0]:
                best = (hits, x, ha, va, off)
            if hits == 0:
                break
        _, x, ha, va, off = best
        shift = off * size[1] * (1 if va == "bottom" else -1) * 72 / ax.figure.dpi  # points
        self.bias_label.set(position=(x, bias), ha=ha, va=va, transform=offset_copy(ax.get_yaxis_transform(),
                            fig=ax.figure, y=shift, units="points"))  # fmt: skip

    def said_size(self, label) -> tuple[float, float]:
        """A text's (width, height) in display px as it now reads, measured once for each wording."""
        key = (label.get_text(), label.get_fontsize())
        if key not in self.sizes:
            extent = label.get_window_extent(label.figure.canvas.get_renderer())
            self.sizes[key] = (extent.width, extent.height)
        return self.sizes[key]

    def place_dead_label(self, moments: list) -> None:
        """Count the dead units in the spot (of DEAD_SPOTS, clear of where the build is counted) that no hinge's
        guide, no piece, no place the red curve takes and no data point crosses in the whole video (the fewest, where
        none is free): it stays there."""
        ax = self.curve.axes
        self.dead_label.set_text("grey, dashed: 10 dead units")  # the widest it says
        size = self.said_size(self.dead_label)
        points = np.concatenate([self.data_points(), self.curve_points(moments), self.piece_points(moments)])
        guides = self.guide_spans(moments)
        self.build_label.set_text(f"bias + {len(self.pieces)} of {len(self.pieces)} pieces")  # its widest
        build = draw.text_box(self.build_label, ax.figure.canvas.get_renderer(), 2)
        self.build_label.set_text("")
        best = None
        for x, y, ha, va in DEAD_SPOTS:
            box = said_box(ax.transAxes.transform((x, y)), size, ha, va, 0)
            crossed = (guides[:, 0] >= box[0] - 1) & (guides[:, 0] <= box[2] + 1) & (guides[:, 1] >= box[1])
            hits = int(crossed.sum()) + placing.crowding(box[None], points, 1)[0]
            hits += 10_000 * int(placing.overlapping(box[None], np.array(build))[0])  # the build is counted there
            if best is None or hits < best[0]:
                best = (hits, x, y, ha, va, box)
            if hits == 0:
                break
        hits, x, y, ha, va, self.dead_box = best
        self.dead_label.set(position=(x, y), ha=ha, va=va, text="")
        if hits:  # nowhere free all along: what passes goes under its words, as under a key
            self.dead_label.set_bbox({"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none",
                                      "alpha": 0.9})  # fmt: skip

    def piece_points(self, moments: list) -> np.ndarray:
        """(N, 2) display px each unit's piece passes through at the steps these moments reach (where it is drawn)."""
        ax = self.curve.axes
        rows = sorted({self.run.row(moment.end if moment.t >= 1 else moment.start) for moment in moments})
        found = []
        for row in rows:
            pieces = self.units.contributions(self.run.grid_x, row)
            drawn = (pieces != 0) | self.dead[row][:, None]  # a live piece's zero is not drawn; a dead one's is
            low, high = self.ylim
            drawn &= (pieces >= low) & (pieces <= high)
            xs = np.broadcast_to(self.run.grid_x, pieces.shape)
            found.append(np.column_stack([xs[drawn], pieces[drawn]]))
        return ax.transData.transform(np.concatenate(found)) if found else np.zeros((0, 2))

    def guide_spans(self, moments: list) -> np.ndarray:
        """(N, 2) display px of each live unit's hinge x and the top of its guide (its kink) at these moments: a guide
        rises from the panel's foot to there."""
        ax, found = self.curve.axes, []
        for moment in moments:
            row = self.run.row(moment.end if moment.t >= 1 else moment.start)
            w, b = self.units.w[row].astype(np.float64), self.units.b[row].astype(np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                at = np.where(w != 0, -b / w, np.nan)
            live = ~self.dead[row] & (at >= self.x_range[0]) & (at <= self.x_range[1])
            kinks = np.interp(at[live], self.run.grid_x, moment.blend(self.run, self.grid_pred))
            found.append(np.column_stack([at[live], np.clip(kinks, *self.ylim)]))
        spans = np.concatenate(found) if found else np.zeros((0, 2))
        return ax.transData.transform(spans) if len(spans) else spans

    def update_built(self, row: int, pieces: np.ndarray, bias: float) -> None:
        """The red curve built again (at the end): dashed, the bias plus the first `building` live units (left to
        right), the piece just added bright and the others faint; once all are in, the red curve itself."""
        stages = self.order(row)
        if self.building is None or self.building >= len(stages):
            self.built.set_data([], [])
            self.build_label.set_text("")
            self.curve.set_visible(True)
            return
        added = [unit for stage in stages[: self.building + 1] for unit in stage]
        self.curve.set_visible(False)
        self.built.set_data(self.run.grid_x, bias + pieces[added].sum(axis=0))
        live = sum(1 for stage in stages[1:] if len(stage) == 1 and not self.dead[row, stage[0]])
        self.build_label.set_text(build_words(self.building, live, len(self.pieces) - live))
        for unit, piece in enumerate(self.pieces):  # what was just added stands out; the rest steps back
            piece.set_alpha(1.0 if unit in stages[self.building] else 0.3)


BIAS_OFFSETS = (0.0, 0.5, 1.0, 1.5)  # how far off its line the bias's name may stand, in its own heights
ALONG = ((0.99, "right"), (0.01, "left"), *((k / 20, "center") for k in range(17, 2, -1)))  # its right end first
BIAS_SPOTS = [(x, ha, va) for x, ha in ALONG for va in ("bottom", "top")]  # along the bias line, above or under it
DEAD_SPOTS = [(x, y, ha, "bottom" if y < 0.5 else "top") for y in (0.03, 0.97, 0.89, 0.11)
              for x, ha in ((0.99, "right"), (0.01, "left"), (0.5, "center"))]  # fmt: skip


def said_box(anchor, size: tuple, ha: str, va: str, gap: float) -> np.ndarray:
    """The (left, bottom, right, top) box in display px of a text of `size` aligned so at an anchor point, `gap` px
    above it (va "bottom") or under it (va "top")."""
    width, height = size
    left = anchor[0] - {"left": 0.0, "center": width / 2, "right": width}[ha]
    bottom = anchor[1] + gap if va == "bottom" else anchor[1] - gap - height
    return np.array([left, bottom, left + width, bottom + height])


def build_words(stage: int, live: int, dead: int) -> str:
    """What the sum holds at a stage of the build: the bias, then live pieces one by one, then the dead."""
    if stage == 0:
        return "the bias alone"
    if stage <= live:
        return f"bias + {stage} of {live} live pieces"
    return f"+ the {dead} dead: zero on the data"


class ReluPiecesAnimation(Animation):
    """A 1-h-1 ReLU net's fit drawn as the sum of its units' pieces and its bias, over the loss; once trained,
    the sum is built again, the bias first, then each live unit's piece, left to right."""

    def __init__(self, runs: list[Trajectory], size: int = DESIGN_PX, title: str = "", **pacing):
        super().__init__(runs, size, title, **pacing)
        run = runs[0]
        low, high = fit_ylim(run)
        self.fit = PiecesPanel(self.fig.add_axes(FIT), run, (low, high))
        self.loss = LossPanel(self.fig.add_axes(LOSS), [run], **self.loss_axis)
        self.panels = [self.fit, self.loss]
        self.legend(*self.fit.handles())
        self.fit.place_dead_label(self.every_moment())
        self.finish_layout(self.loss, [self.fit])
        self.build_frames = self.plan.frames_of(self.steps)  # the last step's held frames: the build's time
        self.stages = 1 + len(self.fit.order(run.row(self.steps)))  # the build's stages, then the whole again

    def building_at(self, frame: int | None) -> int | None:
        """The stage of the build this frame shows (PiecesPanel.order; the last, stages - 1: the red curve whole),
        while the sum is built at the end; None before."""
        if frame is None or not len(self.build_frames) or frame < self.build_frames[0]:
            return None
        return min(int((frame - self.build_frames[0]) / len(self.build_frames) * self.stages), self.stages - 1)

    def draw(self, moment: "draw.Moment", frame: int | None = None, notes: bool = True) -> np.ndarray:
        self.fit.building = self.building_at(frame) if moment.step == self.steps else None
        for piece in self.fit.pieces:
            piece.set_alpha(0.95)
        return super().draw(moment, frame, notes)


ANIMATIONS = {  # every video layout by name (layouts.py says what each needs recorded)
    **draw.ANIMATIONS,
    "train_test": TrainTestAnimation,
    "relu_pieces": ReluPiecesAnimation,
}


@draw.plain_text
def network_still(nets: list[tuple[str, Trajectory]], title: str, size: int = DESIGN_PX) -> np.ndarray:
    """Each net as a diagram, input to output, its trained weights as the edges' colour (sign) and width
    (size), its biases in its nodes; dead hidden units grey. (size, size, 4) uint8."""
    fig, canvas = new_canvas(size)
    fig.text(0.5, 0.965, title, ha="center", va="center", fontsize=11, weight="bold")
    weights = [net_weights(run)[0] for _, run in nets]
    finite = [np.abs(w[np.isfinite(w)]) for w in weights]
    scale = max([float(w.max()) for w in finite if w.size] + [1e-12])
    # The nets share the room between the title and the colour bar: a hidden layer needs three times a line's,
    # and a lone line no more than the course's two nets give it.
    shares = np.array([1.0 if run.units is None else 3.0 for _, run in nets])
    gap, room = 0.06, 0.91 - 0.17
    heights = np.minimum(shares / shares.sum() * (room - gap * (len(nets) - 1)), shares * 0.2)
    top = 0.91
    for (label, run), height in zip(nets, heights, strict=True):
        ax = fig.add_axes((0.04, top - height, 0.92, height))
        draw_net(ax, label, run, scale)
        top -= height + gap
    if any(np.isfinite(w).all() for w in weights):  # a key to nothing, else
        colorbar(fig, scale)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def net_weights(run: Trajectory) -> tuple[np.ndarray, list]:
    """Every weight of the trained net, and its layers as (in->hidden weights, hidden biases, hidden->out
    weights, output bias); a linear net has no hidden layer."""
    if run.units is None:
        w, b = run.params[-1].astype(np.float64)
        return np.array([w]), [np.array([w]), None, None, b]
    units = run.units
    w, b, v, c = (np.asarray(part[-1], np.float64) for part in (units.w, units.b, units.v, units.c))
    return np.concatenate([w, v]), [w, b, v, float(c)]


def draw_net(ax, label: str, run: Trajectory, scale: float) -> None:
    """One net: nodes in columns, edges coloured and sized by weight."""
    from matplotlib import colormaps

    cmap = colormaps[WEIGHT_CMAP]
    ax.set_xlim(-0.08, 1.08)
    ax.set_ylim(-0.08, 1.08)
    ax.axis("off")
    ax.set_title(label, fontsize=9.5, pad=2)
    w, b, v, c = net_weights(run)[1]
    if not np.isfinite(net_weights(run)[0]).all() or not np.isfinite(c):
        step = next((e.step for e in run.events if e.kind == "diverged"), "?")
        ax.text(0.5, 0.5, f"diverged at step {step}: its weights overflowed", ha="center", va="center",
                fontsize=10, weight="bold", color="tab:red")  # fmt: skip
        return

    def edge(x0, y0, x1, y1, weight):
        ax.plot([x0, x1], [y0, y1], color=cmap(0.5 + 0.5 * weight / scale), lw=0.6 + 4.4 * abs(weight) / scale,
                solid_capstyle="round", zorder=1)  # fmt: skip

    def node(x, y, text, color="white", edgecolor="0.2"):
        ax.scatter([x], [y], s=560, color=color, edgecolors=edgecolor, linewidths=1.2, zorder=2)
        ax.text(x, y, text, ha="center", va="center", fontsize=9, zorder=3)

    if b is None:  # 1 -> 1: y = w x + b
        edge(0.1, 0.5, 0.9, 0.5, w[0])
        ax.text(0.5, 0.62, f"w = {number(w[0])}", ha="center", fontsize=8.5)
        node(0.1, 0.5, "x", INPUT_FILL)
        node(0.9, 0.5, "ŷ", OUTPUT_FILL)
        ax.text(0.9, 0.2, f"bias {number(c)}", ha="center", va="top", fontsize=7.5)
        return
    dead = run.units.dead(run.x)[-1]
    rows = np.linspace(0.97, 0.03, len(w))
    for y, weight_in, weight_out in zip(rows, w, v, strict=True):
        edge(0.08, 0.5, 0.5, y, weight_in)
        edge(0.5, y, 0.92, 0.5, weight_out)
    node(0.08, 0.5, "x", INPUT_FILL)
    node(0.92, 0.5, "ŷ", OUTPUT_FILL)
    ax.text(0.92, 0.42, f"bias {number(c)}", ha="center", va="top", fontsize=7.5)
    # Room for a labelled circle a unit (about 22 px apart at 512 px); else dots, the dead ones grey, no words.
    labelled = len(w) * 22 <= 0.9 * ax.get_position().height * DESIGN_PX
    for y, bias, is_dead in zip(rows, b, dead, strict=True):
        ax.scatter([0.5], [y], s=330 if labelled else 40, color="0.85" if is_dead else "white", edgecolors="0.2",
                   linewidths=1.0, zorder=2)  # fmt: skip
        if labelled:
            ax.text(0.5, y, f"{bias:.2f}", ha="center", va="center", fontsize=6.5, zorder=3)
        if is_dead and labelled:
            ax.text(0.56, y, "dead", ha="left", va="center", fontsize=7, color="0.35", zorder=3)
    about = "ReLU units (their biases; dead ones grey)" if labelled else f"{len(w)} ReLU units (dead ones grey)"
    ax.text(0.5, -0.075, about, ha="center", fontsize=7.5, color="0.3")


def number(value: float) -> str:
    """A weight as the diagram prints it: three decimals, or three significant digits when large."""
    return f"{value:.3g}" if abs(value) >= 100 else f"{value:.3f}"


def colorbar(fig, scale: float) -> None:
    """The key to the edges: colour is the weight's sign and size, width its size."""
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    mappable = ScalarMappable(Normalize(-scale, scale), colormaps[WEIGHT_CMAP])
    ax = fig.add_axes((0.25, 0.1, 0.5, 0.022))
    bar = fig.colorbar(mappable, cax=ax, orientation="horizontal")
    bar.set_label("trained weight (edge colour; width grows with its size)", fontsize=8)
    bar.ax.tick_params(labelsize=7.5)

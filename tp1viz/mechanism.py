"""The figures that show how training works: what the MSE measures (each point's error, its square, their mean),
the gradient at the current weights and the step it makes, and what a linear net is equivalent to (the closed-form
least-squares line). Built from draw.py's panels and blitting loop. Knows matplotlib; knows nothing of torch.

Each has a readout of live numbers under its panels, pasted from glyph images as the status line is (a Text
drawn every frame would cost more than the rest of the frame).
"""

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.patches import FancyArrowPatch
from matplotlib.transforms import offset_copy

from . import draw, lessons, placing
from .draw import MODEL_COLOR, Animation, FitPanel, LandscapePanel, LossPanel, StatusLine, legend_where_free, style_axes
from .events import least_squares_line
from .layouts import (
    DESIGN_PX,
    FIT,
    GRADIENT_FIT,
    GRADIENT_LANDSCAPE,
    GRADIENT_LOSS,
    LEAST_FIT,
    LEAST_LOSS,
    LOSS,
    PATHS_FIT,
    PATHS_LANDSCAPE,
    PATHS_LOSS,
    RESIDUALS_FIT,
    RESIDUALS_LOSS,
    SQUARES,
    fit_ylim,
)
from .trajectory import Trajectory
from .words import sig

SQUARE_COLOR = "tab:purple"  # a squared error: neither the data's blue nor the model's red
RESIDUAL_COLOR = "0.45"  # an error: the grey gap from a point to the line
GRADIENT_COLOR = "white"  # minus the gradient, on the landscape's dark and light greens alike (edged in black)
GRADIENT_WIDTH, GRADIENT_EDGE = 2.2, 0.6  # pt: its white stroke, and the thin black edge either side of it
CLOSED_FORM_COLOR = "black"  # the least-squares line, dashed, under the model's red
READOUT_SIZES = (9.0, 8.5, 8.0, 7.5, 7.0)  # pt: the live numbers under the panels, smaller only where a line needs it
SQUARES_TOP = 1.3  # the squares panel's range: this many times the first mean (the first MSE shows, near the top)
READOUT_X = 0.06  # where the readout's lines begin, a fraction of the frame's width
PATH_COLORS = ("tab:red", "tab:purple")  # full batch, minibatch: neither the data's blue
OVERLAY_COLORS = ("tab:red", "tab:orange", "tab:purple", "tab:brown", "tab:pink", "tab:olive")  # never the data's blue


def mse_of(prediction: np.ndarray, y: np.ndarray) -> float:
    """The mean of the squared errors, in float64: what the readout says for the line the frame draws."""
    return float(np.mean((np.asarray(prediction, np.float64) - np.asarray(y, np.float64)) ** 2))


def linear_gradient(x: np.ndarray, y: np.ndarray, w: float, b: float) -> tuple[float, float]:
    """(dL/dw, dL/db) of L = mean((w x + b - y)^2), worked out by hand: 2 mean(e x) and 2 mean(e), e the errors."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    error = w * x + b - y
    return float(2 * np.mean(error * x)), float(2 * np.mean(error))


class ReadoutAnimation(Animation):
    """An animation with lines of live numbers under its panels (`readout_lines` says them for each moment)."""

    def add_readout(self, *heights: float) -> None:
        """The readout's lines at these heights, all at the largest of READOUT_SIZES at which the longest line any
        frame of the video shows fits the frame."""
        longest = max(len(line) for moment in self.every_moment() for line in self.readout_lines(moment))
        for size in READOUT_SIZES:
            line = StatusLine(self.fig, self.canvas, READOUT_X, heights[0], fontsize=size)
            if line.column + longest * line.advance + line.PAD <= self.size - 4 or size == READOUT_SIZES[-1]:
                break
        self.readouts = [StatusLine(self.fig, self.canvas, READOUT_X, y, fontsize=size) for y in heights]

    def readout_lines(self, moment: "draw.Moment") -> list[str]:
        raise NotImplementedError

    def draw(self, moment: "draw.Moment", frame: int | None = None, notes: bool = True) -> np.ndarray:
        picture = super().draw(moment, frame, notes)
        for line, text in zip(self.readouts, self.readout_lines(moment), strict=True):
            line.draw(picture, text)
        return picture


# -- what the MSE measures ------------------------------------------------------------------------------------------


class ResidualsPanel(FitPanel):
    """The fit with each point's error drawn as a grey segment from the point to the line."""

    def __init__(self, ax, run: Trajectory, ylim: tuple[float, float]):
        super().__init__(ax, run, ylim)
        self.gaps = LineCollection([], colors=RESIDUAL_COLOR, linewidths=0.9, animated=True, zorder=1)
        ax.add_collection(self.gaps)
        self.artists = [self.gaps, *self.artists]

    def predictions(self, moment: "draw.Moment") -> np.ndarray:
        """(n,) the line's value at each data point, as this frame draws it."""
        return moment.blend(self.run, self.run.pred.astype(np.float64))

    def update(self, moment: "draw.Moment") -> None:
        super().update(moment)
        at = self.predictions(moment)
        self.gaps.set_segments(np.stack([np.column_stack([self.run.x, self.run.y]),
                                         np.column_stack([self.run.x, at])], axis=1))  # fmt: skip


class SquaresPanel:
    """Each point's squared error as a purple stem under the point, and their mean as a dashed line: the MSE. The
    range is fixed (SQUARES_TOP times the first mean): a stem taller than it stops at the top under an arrow, and so
    does the mean, so no stem looks shorter than it is."""

    def __init__(self, ax, fit: ResidualsPanel):
        self.run, self.fit = fit.run, fit
        run = fit.run
        self.stems = LineCollection([], colors=SQUARE_COLOR, linewidths=1.6, animated=True)
        ax.add_collection(self.stems)
        (self.mean,) = ax.plot([], [], color="black", lw=1.3, ls=(0, (5, 3)), animated=True)
        # Unclipped and lifted half their height, so each arrow stands whole on the panel's top edge, over the stem
        # it stands for.
        (self.beyond,) = ax.plot([], [], "^", color=SQUARE_COLOR, ms=5, mec="white", mew=0.5, clip_on=False,
                                 transform=offset_copy(ax.transData, fig=ax.figure, y=2.5, units="points"),
                                 animated=True)  # fmt: skip
        (self.mean_beyond,) = ax.plot([], [], "^", color="black", ms=6, mec="white", mew=0.6, clip_on=False,
                                      transform=offset_copy(ax.transData, fig=ax.figure, y=3, units="points"),
                                      animated=True)  # fmt: skip
        ax.set_xlim(*fit.curve.axes.get_xlim())
        self.top = SQUARES_TOP * float(run.loss[0]) if np.isfinite(run.loss[0]) and run.loss[0] > 0 else 1.0
        ax.set_ylim(0, self.top)
        style_axes(ax, "", "squared\nerror", fontsize=8.5)
        ax.tick_params(labelbottom=False)
        self.artists = [self.stems, self.mean, self.beyond, self.mean_beyond]

    def update(self, moment: "draw.Moment") -> None:
        squares = (self.fit.predictions(moment) - self.run.y.astype(np.float64)) ** 2
        shown = np.minimum(squares, self.top)
        self.stems.set_segments(np.stack([np.column_stack([self.run.x, np.zeros_like(squares)]),
                                          np.column_stack([self.run.x, shown])], axis=1))  # fmt: skip
        over = ~(squares <= self.top)
        self.beyond.set_data(self.run.x[over], np.full(int(over.sum()), self.top))
        mean = float(squares.mean())
        (left, right) = self.mean.axes.get_xlim()
        self.mean.set_data((left, right), [min(mean, self.top)] * 2)
        self.mean_beyond.set_data(([right], [self.top]) if not mean <= self.top else ([], []))

    def covered(self, moments: list) -> np.ndarray:
        return np.zeros((0, 2))

    def keys(self, renderer) -> list:
        return []


class ResidualsAnimation(ReadoutAnimation):
    """The fit with every point's error, their squares under it, their mean said in numbers: the MSE the loss
    panel draws step by step."""

    def __init__(self, runs: list[Trajectory], size: int = DESIGN_PX, title: str = "", **pacing):
        super().__init__(runs, size, title, **pacing)
        run = runs[0]
        self.fit = ResidualsPanel(self.fig.add_axes(RESIDUALS_FIT), run, fit_ylim(run))
        self.squares = SquaresPanel(self.fig.add_axes(SQUARES), self.fit)
        self.loss = LossPanel(self.fig.add_axes(RESIDUALS_LOSS), [run], **self.loss_axis)
        self.panels = [self.fit, self.squares, self.loss]
        self.legend(*self.fit.handles())
        self.add_readout(0.46)
        self.finish_layout(self.loss, [self.fit])

    def mse_shown(self, moment: "draw.Moment") -> float:
        return mse_of(self.fit.predictions(moment), self.runs[0].y)

    def readout_lines(self, moment: "draw.Moment") -> list[str]:
        n = len(self.runs[0].x)
        return [f"MSE = mean of the {n} squared errors = {sig(self.mse_shown(moment), 4)}"]


# -- the gradient and the step ------------------------------------------------------------------------------------


class GradientPanel(LandscapePanel):
    """The exact loss over (w, b) with the path, minus the gradient at the current point as a white arrow (scaled
    to be seen, the scale in its key), and the step the update takes, lr times it, as a red arrow: it ends
    where the next step's point is."""

    def __init__(self, ax, landscape, run: Trajectory):
        super().__init__(ax, landscape, run)
        self.lr = float(run.meta["run"]["lr"])
        self.gradients = np.array([linear_gradient(run.x, run.y, w, b) for w, b in run.params.astype(np.float64)])
        self.scale = arrow_scale(self.gradients[0], ax)
        self.downhill = FancyArrowPatch((0, 0), (0, 0), arrowstyle="-|>", mutation_scale=11, lw=GRADIENT_WIDTH,
                                        color=GRADIENT_COLOR, path_effects=outlined(), animated=True,
                                        zorder=4)  # fmt: skip
        self.step_arrow = FancyArrowPatch((0, 0), (0, 0), arrowstyle="-|>", mutation_scale=10, lw=2.2,
                                          color=MODEL_COLOR, animated=True, zorder=5)  # fmt: skip
        for arrow in (self.downhill, self.step_arrow):
            ax.add_patch(arrow)
        self.artists = [*self.artists, self.downhill, self.step_arrow]

    def covered(self, moments: list) -> np.ndarray:
        """The path and its dot, and both arrows at each of these moments: a note leaves them all in sight."""
        ax, found = self.path.axes, [super().covered(moments)]
        head = 7 * ax.figure.dpi / 100  # px: an arrowhead reaches this far round its tip
        around = np.array([(dx, dy) for dx in (-head, 0, head) for dy in (-head, 0, head)])
        for row in {self.run.row(moment.step) for moment in moments}:
            here = self.run.params[row].astype(np.float64)
            for reach in (self.scale, self.lr):
                ends = ax.transData.transform(np.array([here, here - reach * self.gradients[row]]))
                found += [placing.densify(*ends.T), ends[1] + around]
        points = np.concatenate(found)
        return points[np.isfinite(points).all(axis=1)]

    def update(self, moment: "draw.Moment") -> None:
        super().update(moment)
        row = self.run.row(moment.step)
        here = self.run.params[row].astype(np.float64)
        self.arrows = (here, here - self.scale * self.gradients[row], here - self.lr * self.gradients[row])
        for arrow, tip in ((self.downhill, self.arrows[1]), (self.step_arrow, self.arrows[2])):
            ends = np.array([here, tip])
            shown = within_reach(self.downhill.axes, ends)  # a diverged run's arrow is off every chart: not drawn
            arrow.set_visible(shown)
            arrow.set_positions(*(tuple(end) for end in (ends if shown else np.zeros((2, 2)))))


def within_reach(ax, points: np.ndarray) -> bool:
    """Whether these data points are finite and within placing.REACH px of the frame, where matplotlib can
    clip an arrow to its axes."""
    if not np.isfinite(points).all():
        return False
    return bool((np.abs(ax.transData.transform(points)) < placing.REACH).all())


def arrow_scale(gradient: np.ndarray, ax) -> float:
    """A round number (1, 2 or 5 times a power of ten) that draws the first gradient about 40% across the panel."""
    (u0, u1), (v0, v1) = ax.get_xlim(), ax.get_ylim()
    length = np.hypot(gradient[0] / (u1 - u0), gradient[1] / (v1 - v0))  # in panel widths, per unit of scale
    if not np.isfinite(length) or length == 0:
        return 1.0
    wanted = 0.4 / length
    power = 10 ** np.floor(np.log10(wanted))
    return float(max((m * power for m in (1, 2, 5) if m * power <= wanted), default=power))


class GradientAnimation(ReadoutAnimation):
    """The gradient at the current weights, the step it makes on the landscape, the update in numbers under it,
    the fit it gives beside it, the loss below."""

    def __init__(self, runs: list[Trajectory], size: int = DESIGN_PX, title: str = "", **pacing):
        super().__init__(runs, size, title, **pacing)
        run = runs[0]
        self.landscape = GradientPanel(self.fig.add_axes(GRADIENT_LANDSCAPE), run.landscape, run)
        self.fit = FitPanel(self.fig.add_axes(GRADIENT_FIT), run, fit_ylim(run))
        self.loss = LossPanel(self.fig.add_axes(GRADIENT_LOSS), [run], **self.loss_axis)
        self.panels = [self.landscape, self.fit, self.loss]
        (downhill,) = self.fit.curve.axes.plot([], [], color=GRADIENT_COLOR, lw=GRADIENT_WIDTH, path_effects=outlined())
        (step,) = self.fit.curve.axes.plot([], [], color=MODEL_COLOR, lw=2.5)
        ax = self.landscape.path.axes
        path = ax.transData.transform(np.column_stack([run.landscape.path_u, run.landscape.path_v]))
        self.landscape.kept_on_top = [legend_where_free(
            ax, [downhill, step], [f"−gradient × {self.landscape.scale:g}", f"step: lr {self.landscape.lr:g} × that"],
            placing.densify(*path.T))]  # fmt: skip
        self.legend([self.fit.points, self.fit.curve], ["data", "model"])
        self.add_readout(0.355, 0.305, 0.255)
        self.finish_layout(self.loss, [self.fit], landscape=self.landscape)

    def readout_lines(self, moment: "draw.Moment") -> list[str]:
        panel = self.landscape
        row = self.runs[0].row(moment.step)
        (w, b), (dw, db), lr = self.runs[0].params[row].astype(np.float64), panel.gradients[row], panel.lr
        return [f"gradient at step {moment.step}: dL/dw = {sig(dw, 4)}, dL/db = {sig(db, 4)}",
                f"w ← w − lr·dL/dw = {sig(w, 4)} − {lr:g}×({sig(dw, 4)}) = {sig(w - lr * dw, 4)}",
                f"b ← b − lr·dL/db = {sig(b, 4)} − {lr:g}×({sig(db, 4)}) = {sig(b - lr * db, 4)}"]  # fmt: skip


def outlined():
    """A thin black edge round a white stroke: white reads as white, and stands off the landscape's light green."""
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=GRADIENT_WIDTH + 2 * GRADIENT_EDGE, foreground="black")]


# -- what a linear net is equivalent to ----------------------------------------------------------------------------


class LeastSquaresAnimation(ReadoutAnimation):
    """The trained line over the closed-form least-squares line (dashed), their (w, b) side by side in numbers,
    and the loss coming down to the least-squares loss (dashed): a linear net trained with MSE is least squares."""

    def __init__(self, runs: list[Trajectory], size: int = DESIGN_PX, title: str = "", **pacing):
        super().__init__(runs, size, title, **pacing)
        run = runs[0]
        self.best = least_squares_line(run.x, run.y)
        self.fit = FitPanel(self.fig.add_axes(LEAST_FIT), run, fit_ylim(run))
        ax = self.fit.curve.axes
        # Drawn over the moving red line, each frame: where they coincide, black dashes on red say so.
        (closed,) = ax.plot(run.grid_x, self.best[0] * run.grid_x + self.best[1], color=CLOSED_FORM_COLOR, lw=1.0,
                            ls=(0, (5, 3)), animated=True)  # fmt: skip
        self.fit.artists.append(closed)
        self.loss = LossPanel(self.fig.add_axes(LEAST_LOSS), [run], **self.loss_axis)
        lowest = float(np.mean((self.best[0] * run.x.astype(np.float64) + self.best[1] - run.y) ** 2))
        self.loss.lines[0].axes.axhline(lowest, color=CLOSED_FORM_COLOR, lw=1.0, ls=(0, (5, 3)), zorder=1)
        self.loss.references.append(lowest)  # event labels keep off it
        self.panels = [self.fit, self.loss]
        handles, labels = [self.fit.points, self.fit.curve, closed], ["data", "model", "least squares"]
        dashed = ax.transData.transform(np.column_stack([run.grid_x, closed.get_ydata()]))
        if self.fit.inner_legend(handles, labels, self.every_moment(), placing.densify(*dashed.T)) is None:
            self.top_row += list(zip(handles, labels, strict=True))
        self.add_readout(0.375, 0.335)
        self.finish_layout(self.loss, [self.fit])

    def readout_lines(self, moment: "draw.Moment") -> list[str]:
        w, b = self.runs[0].params[self.runs[0].row(moment.step)].astype(np.float64)
        best_w, best_b = self.best
        gap = max(abs(w - best_w), abs(b - best_b))
        head = f"trained, step {moment.step}:"
        return [
            f"{head} w = {signed(w)}  b = {signed(b)}",
            f"{'least squares:':<{len(head)}} w = {signed(best_w)}  b = {signed(best_b)}  gap {sig(gap, 2)}",
        ]


def signed(value: float) -> str:
    """+0.1234 or -0.1234; a value that rounds to zero is +0.0000, never -0.0000."""
    return f"{round(value, 4) + 0.0:+.4f}"


# -- many starts, many solutions ----------------------------------------------------------------------------------


class OverlayPanel(FitPanel):
    """One data set, and each run's curve over it in its own colour; a run that ends in a poor fit turns dashed
    from the step it is judged one."""

    def __init__(self, ax, runs: list[Trajectory], ylim: tuple[float, float]):
        super().__init__(ax, runs[0], ylim)
        self.runs = runs
        self.curve.set_color(OVERLAY_COLORS[0])
        self.curves = [self.curve] + [ax.plot([], [], color=color, lw=2.0, animated=True)[0]
                                      for color in OVERLAY_COLORS[1 : len(runs)]]  # fmt: skip
        for line in self.curves:
            line.set_linewidth(2.0)
        self.failed_at = [next((event.step for event in run.events if event.kind == "poor fit"), None) for run in runs]
        # Each run's bends (where its live units switch on, x = -b / w) as dots on its curve: curves that look
        # alike come from weights that are not.
        self.bends = [ax.plot([], [], "o", color=color, ms=4.5, mec="white", mew=0.7, animated=True)[0]
                      for color in OVERLAY_COLORS[: len(runs)]]  # fmt: skip
        self.artists = [*self.curves[1:], *self.bends, *self.artists]

    def bends_at(self, run: Trajectory, step: int) -> np.ndarray:
        """The x where the run's live units switch on at a step, inside the panel."""
        if run.units is None:
            return np.zeros(0)
        row = run.row(step)
        w, b = run.units.w[row].astype(np.float64), run.units.b[row].astype(np.float64)
        live = ~run.units.dead(run.x)[row] & (w != 0)
        at = -b[live] / w[live]
        low, high = self.curve.axes.get_xlim()
        return at[(at > low) & (at < high)]

    def keys(self, renderer) -> list:
        """The key, and the key of final losses that replaces it at the end."""
        return [*super().keys(renderer), *(draw.text_box(key, renderer, 0) for key in getattr(self, "reserved", []))]

    def curve_points(self, moments: list) -> np.ndarray:
        return with_other_runs(self, super().curve_points(moments), moments)

    def update(self, moment: "draw.Moment") -> None:
        super().update(moment)
        for index, (run, line, failed) in enumerate(zip(self.runs, self.curves, self.failed_at, strict=True)):
            line.set_data(run.grid_x, moment.blend(run, draw.shown(run.grid_pred)))
            line.set_linestyle("--" if failed is not None and moment.step >= failed else "-")
            at = self.bends_at(run, moment.step)
            self.bends[index].set_data(at, np.interp(at, run.grid_x, line.get_ydata()))


class OverlayAnimation(Animation):
    """Several runs of one net on one data set, their curves overlaid, their losses below; a key names each run,
    and at the end says each one's final loss, or that it failed."""

    run_colors = OVERLAY_COLORS

    def __init__(self, runs: list[Trajectory], size: int = DESIGN_PX, title: str = "", **pacing):
        super().__init__(runs, size, title, **pacing)
        self.fit = OverlayPanel(self.fig.add_axes(FIT), runs, fit_ylim(*runs))
        self.loss = LossPanel(self.fig.add_axes(LOSS), runs, OVERLAY_COLORS, log=True, **self.loss_axis)
        self.panels = [self.fit, self.loss]
        self.legend([self.fit.points], ["data"])
        names = [run.meta.get("run", {}).get("label", "") for run in runs]
        if self.fit.inner_legend(self.fit.curves, names, self.every_moment()) is None:  # else with the losses:
            if not self.loss.add_key(self.loss.lines, names):  # their colours are the curves'
                self.top_row += list(zip(self.fit.curves, names, strict=True))
        final = self.verdicts(names)
        end = self.moments(int(self.plan.frames_of(self.steps)[0]), len(self.plan) - 1)
        if not self.fit.place_keys([final], end):  # where the curves end (its only moment) leave room: else beside
            final.set_loc("center left")
            final.set_bbox_to_anchor((1.01, 0.5), transform=self.fit.curve.axes.transAxes)
        self.fit.reserved = [final]  # notes keep off where it will be
        self.finish_layout(self.loss, [self.fit] * len(runs))
        self.overlays.append(draw.Overlay([final], first=self.steps, on_top=True))

    def verdicts(self, names: list[str]):
        """The key again, over the first, from the last step on: each run's final loss, or that it failed."""
        ax = self.fit.curve.axes
        first = ax.get_legend()
        said = [f"{name}: failed, {sig(run.loss[-1], 2)}" if failed is not None else f"{name}: {sig(run.loss[-1], 2)}"
                for name, run, failed in zip(names, self.runs, self.fit.failed_at, strict=True)]  # fmt: skip
        final = self.fit.curve.axes.legend(self.fit.curves, said, **{**draw.KEY_STYLE, "framealpha": 1.0},
                                           title="final loss", title_fontsize=8.5)  # fmt: skip
        if first is not None:
            ax.add_artist(first)  # a second legend replaces the first on the axes; keep both
        final.set_animated(True)
        return final


# -- full-batch GD against minibatch SGD -----------------------------------------------------------------------------


class PathsPanel(LandscapePanel):
    """One loss landscape (the full data's exact MSE) with every run's path on it, each in its colour."""

    def __init__(self, ax, runs: list[Trajectory]):
        super().__init__(ax, runs[0].landscape, runs[0])
        self.runs = runs
        self.others = [(ax.plot([], [], color=color, lw=1.4, animated=True)[0],
                        ax.plot([], [], "o", color=color, mec="white", mew=1.0, ms=6, animated=True)[0])
                       for color in PATH_COLORS[1 : len(runs)]]  # fmt: skip
        self.artists = [*(artist for pair in self.others for artist in pair), *self.artists]  # the first on top

    def covered(self, moments: list) -> np.ndarray:
        ax, found = self.path.axes, [super().covered(moments)]
        reach = max(self.run.row(moment.end) for moment in moments)
        for run in self.runs[1:]:
            path = ax.transData.transform(np.column_stack([run.landscape.path_u[: reach + 1],
                                                           run.landscape.path_v[: reach + 1]]))  # fmt: skip
            found.append(placing.densify(*path.T))
        points = np.concatenate(found)
        return points[np.isfinite(points).all(axis=1)]

    def update(self, moment: "draw.Moment") -> None:
        super().update(moment)
        for run, (path, point) in zip(self.runs[1:], self.others, strict=True):
            u, v = (moment.blend(run, draw.shown(values)) for values in (run.landscape.path_u, run.landscape.path_v))
            a = run.row(moment.start)
            path.set_data(np.append(run.landscape.path_u[: a + 1], u), np.append(run.landscape.path_v[: a + 1], v))
            point.set_data([u], [v])


class BatchPanel(FitPanel):
    """The data with every run's line over it, and the minibatch that made the minibatch run's last step ringed in
    its colour: the few points that pulled its line this step."""

    def __init__(self, ax, runs: list[Trajectory], ylim: tuple[float, float]):
        super().__init__(ax, runs[0], ylim)
        self.runs = runs
        self.lines = [self.curve] + [ax.plot([], [], color=color, lw=2.0, animated=True)[0]
                                     for color in PATH_COLORS[1 : len(runs)]]  # fmt: skip
        self.minibatch = next((run for run in runs if run.batches is not None), None)
        self.batch = ax.scatter(
            [],
            [],
            s=60,
            facecolors="none",
            edgecolors=PATH_COLORS[runs.index(self.minibatch)] if self.minibatch is not None else "none",
            linewidths=1.8,
            animated=True,
            zorder=4,
        )
        self.artists = [*self.lines[1:], self.batch, *self.artists]

    def batch_at(self, step: int) -> np.ndarray:
        """The indices of the points the minibatch run's update into `step` trained on (none at step 0)."""
        if self.minibatch is None or step == 0:
            return np.zeros(0, int)
        row = self.minibatch.batches[step - 1]
        return row[row >= 0]

    def curve_points(self, moments: list) -> np.ndarray:
        return with_other_runs(self, super().curve_points(moments), moments)

    def update(self, moment: "draw.Moment") -> None:
        super().update(moment)
        for run, line in zip(self.runs[1:], self.lines[1:], strict=True):
            line.set_data(run.grid_x, moment.blend(run, draw.shown(run.grid_pred)))
        index = self.batch_at(moment.step)
        self.batch.set_offsets(np.column_stack([self.run.x[index], self.run.y[index]]))


class PathsAnimation(Animation):
    """Two runs on one landscape (a smooth path against a zigzag), both lines over the data with the minibatch
    marked, both losses below, the minibatch run's drawn under the other so neither hides the other."""

    run_colors = PATH_COLORS

    def __init__(self, runs: list[Trajectory], size: int = DESIGN_PX, title: str = "", **pacing):
        super().__init__(runs, size, title, **pacing)
        self.landscape = PathsPanel(self.fig.add_axes(PATHS_LANDSCAPE), runs)
        self.fit = BatchPanel(self.fig.add_axes(PATHS_FIT), runs, fit_ylim(*runs))
        self.loss = LossPanel(self.fig.add_axes(PATHS_LOSS), runs, PATH_COLORS, log=True, **self.loss_axis)
        for line, marker in zip(self.loss.lines[1:], self.loss.markers[1:], strict=True):  # wider, and drawn
            line.set_linewidth(3.2)  # first: where the two losses meet, SGD's shows on both sides of GD's
            marker.set_markersize(8)
        self.loss.artists = [*self.loss.lines[::-1], *self.loss.markers[::-1], *self.loss.off_scale]
        self.panels = [self.landscape, self.fit, self.loss]
        names = [run.meta.get("run", {}).get("label", "") for run in runs]
        handles, labels = [*self.fit.lines, self.fit.batch], [*names, "its batch, this step"]
        if self.fit.inner_legend(handles, labels, self.every_moment()) is None:
            self.top_row += list(zip(handles, labels, strict=True))
        self.legend([self.fit.points], ["data"])
        self.finish_layout(self.loss, [self.fit] * len(runs), landscape=self.landscape)


ANIMATIONS = {
    **lessons.ANIMATIONS,
    "residuals": ResidualsAnimation,
    "gradient": GradientAnimation,
    "least_squares": LeastSquaresAnimation,
    "overlay": OverlayAnimation,
    "paths": PathsAnimation,
}


def with_other_runs(panel, first: np.ndarray, moments: list) -> np.ndarray:
    """The first run's curve points and every other run's a shared fit panel draws at these moments."""
    found, ax = [first], panel.curve.axes
    for run in panel.runs[1:]:
        for moment in moments:
            values = np.clip(moment.blend(run, draw.shown(run.grid_pred)), *panel.ylim)
            found.append(placing.densify(*ax.transData.transform(np.column_stack([run.grid_x, values])).T))
    points = np.concatenate(found)
    return points[np.isfinite(points).all(axis=1)]

"""What each video layout shows, where its panels sit, and what it needs recorded: plain data both sides of the
seam read.

The recorder reads `landscape` to know which loss surface to compute, and the panels' geometry to tell when the
drawn model stops moving (events.py); the drawing side picks the figure by the layout's name and places its
panels here; validation reads the rest. None of it imports torch or matplotlib.
"""

from dataclasses import dataclass

DESIGN_PX = 512  # the layout is designed at 512 px and scaled by dpi, so it looks the same at any size
LEFT, RIGHT = 0.13, 0.96  # figure-fraction margins shared by every layout
FIT_MARGIN = 0.08  # fraction of the data's range left empty around it
MAX_OVERSHOOT = 0.25  # the fit axes follow a wild prediction only this far past the data (in data ranges)
OFF_CHART = 10.0  # a loss past this multiple of its start is off the charts: a run that stays there has diverged
# (events.py), a landscape stops spanning its path there, and beside other runs the loss axis stops there
PACES = ("steps", "change")  # a frame a step, or frames where the picture changes (pacing.py)
STILL_LAYOUTS = ("data", "surface", "network")  # a data set's scatter, a loss surface, the trained nets
NOTE_PANELS = ("fit", "loss", "landscape")  # where a note may sit: the panel it talks about

Rect = tuple[float, float, float, float]  # left, bottom, width, height: fractions of the figure
FIT: Rect = (LEFT, 0.395, RIGHT - LEFT, 0.505)  # the fit over ...
LOSS: Rect = (LEFT, 0.08, RIGHT - LEFT, 0.22)  # ... the loss
LANDSCAPE: Rect = (0.115, 0.395, 0.345, 0.505)  # the landscape on the left, the fit on the right
LANDSCAPE_FIT: Rect = (0.615, 0.395, RIGHT - 0.615, 0.505)
TRAIN_TEST_FIT: Rect = (LEFT, 0.47, RIGHT - LEFT, 0.43)  # room for the score beside the loss
RESIDUALS_FIT: Rect = (LEFT, 0.56, RIGHT - LEFT, 0.34)  # the fit over the squares, over the loss
SQUARES: Rect = (LEFT, 0.285, RIGHT - LEFT, 0.15)
RESIDUALS_LOSS: Rect = (LEFT, 0.075, RIGHT - LEFT, 0.12)
GRADIENT_LANDSCAPE: Rect = (0.115, 0.44, 0.40, 0.46)  # the landscape, larger: the arrows are the lesson
GRADIENT_FIT: Rect = (0.625, 0.44, RIGHT - 0.625, 0.46)
GRADIENT_LOSS: Rect = (LEFT, 0.075, RIGHT - LEFT, 0.13)  # under the update's three lines
PATHS_LANDSCAPE: Rect = (0.115, 0.40, 0.40, 0.48)  # both paths on the landscape, both fits beside it
PATHS_FIT: Rect = (0.625, 0.40, RIGHT - 0.625, 0.48)
PATHS_LOSS: Rect = (LEFT, 0.075, RIGHT - LEFT, 0.22)
LEAST_FIT: Rect = (LEFT, 0.47, RIGHT - LEFT, 0.43)  # the fit, the two lines' numbers, the loss
LEAST_LOSS: Rect = (LEFT, 0.075, RIGHT - LEFT, 0.2)


def compare_grid(count: int) -> list[Rect]:
    """Side by side (2), or a 2x2 grid (3-4), between the status line and the loss panel."""
    columns, rows = 2, (count + 1) // 2
    top, bottom, gap_x, gap_y = 0.84, 0.40, 0.04, 0.1
    width = (RIGHT - LEFT - gap_x * (columns - 1)) / columns
    height = (top - bottom - gap_y * (rows - 1)) / rows
    return [(LEFT + column * (width + gap_x), top - height - row * (height + gap_y), width, height)
            for row, column in (divmod(index, columns) for index in range(count))]  # fmt: skip


@dataclass(frozen=True)
class Layout:
    name: str
    landscape: str | None = None  # "exact": the MSE over the linear net's (w, b); "pca": the PCA plane of the path
    runs: tuple[int, int] = (1, 1)  # how many runs it draws, at least and at most
    models: tuple[str, ...] | None = None  # the models it can draw; None: any
    held_out: bool = False  # it draws test points: the scene must hold some out (test_fraction) and say a tolerance
    about: str = ""  # one line for the docs and `list`
    fit: Rect = FIT  # where a single run's fit panel sits
    landscape_rect: Rect | None = None
    around: str = "bowl"  # an exact landscape spans the bowl (round rings), or the path alone ("path": its moves)
    tells: tuple[str, ...] | None = None  # the event kinds it marks and captions tell; None: every kind
    together: bool = False  # its runs are drawn in one fit panel, not side by side
    epilogue: float = 0.0  # seconds the last step stays, at least, for what the layout shows once training is over

    def fit_rects(self, count: int) -> list[Rect]:
        """Where each run's fit panel sits."""
        if self.together:
            return [self.fit] * count
        return compare_grid(count) if self.runs[1] > 1 else [self.fit]


LAYOUTS = {
    layout.name: layout
    for layout in (
        Layout("fit", about="fit over loss"),
        Layout(
            "landscape",
            landscape="exact",
            models=("linear",),
            about="exact MSE over (w, b), the path on it",
            fit=LANDSCAPE_FIT,
            landscape_rect=LANDSCAPE,
        ),  # fmt: skip
        Layout(
            "landscape_pca",
            landscape="pca",
            about="the loss on the PCA plane of the path",
            fit=LANDSCAPE_FIT,
            landscape_rect=LANDSCAPE,
        ),  # fmt: skip
        Layout("compare", runs=(2, 4), about="2 to 4 runs side by side, losses overlaid"),
        Layout(
            "train_test",
            held_out=True,
            about="training and held-out points, both losses, and a score",
            fit=TRAIN_TEST_FIT,
        ),  # fmt: skip
        Layout(
            "relu_pieces",
            models=("mlp",),
            about="each ReLU unit's piece of the curve, its hinge, the bias; at the end, the sum built piece by piece",
            epilogue=7.0,  # the bias, each live piece, the dead ones, the whole: ~0.7 s each for the course's net
        ),  # fmt: skip
        Layout("residuals", fit=RESIDUALS_FIT, about="each point's error to the line, its square, their mean"),
        Layout(
            "gradient",
            landscape="exact",
            models=("linear",),
            about="the gradient at the current (w, b), the step it makes, the update in numbers",
            fit=GRADIENT_FIT,
            landscape_rect=GRADIENT_LANDSCAPE,
            around="path",
        ),  # fmt: skip
        Layout(
            "least_squares",
            models=("linear",),
            about="the trained line against the closed-form least squares",
            fit=LEAST_FIT,
        ),  # fmt: skip
        Layout(
            "overlay",
            runs=(2, 6),
            about="2 to 6 runs' curves over one data set, their losses overlaid",
            tells=("poor fit", "diverged"),  # how each run ends, not each run's every turn (a story of many runs)
            together=True,
        ),  # fmt: skip
        Layout(
            "paths",
            landscape="exact",
            runs=(2, 2),
            models=("linear",),
            about="two runs' paths on one loss landscape, both fits over the data, a minibatch's points marked",
            fit=PATHS_FIT,
            landscape_rect=PATHS_LANDSCAPE,
            around="path",
            together=True,
        ),  # fmt: skip
    )
}


# ---- the fit panel's axes, which the figure draws and the events measure movement on ---------------------


def finite_range(*arrays) -> tuple[float, float]:
    """Min and max over the finite values of all arrays; (0, 1) if there are none."""
    import numpy as np  # here: scene files are read, and `list` answers, without loading NumPy

    values = np.concatenate([np.ravel(a) for a in arrays])
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0.0, 1.0
    return float(values.min()), float(values.max())


def padded(low: float, high: float, margin: float = FIT_MARGIN) -> tuple[float, float]:
    """(low, high) widened by `margin` of the span on each side; a zero span gets a unit span."""
    span = high - low or 1.0
    return low - margin * span, high + margin * span


def fit_ylim(*runs) -> tuple[float, float]:
    """Y limits that hold the data and every prediction, but never zoom out far past the data."""
    data_low, data_high = finite_range(runs[0].y, *([] if runs[0].test is None else [runs[0].test.y]))
    reach = MAX_OVERSHOOT * (data_high - data_low or 1.0)
    # A long run keeps some snapshots only (and its first pass none): the data alone set its axes, so both passes
    # measure the same moves.
    predictions = [run.grid_pred for run in runs if run.snapshot_steps is None]
    pred_low, pred_high = finite_range(*predictions) if predictions else (data_low, data_high)
    low = max(min(data_low, pred_low), data_low - reach)
    high = min(max(data_high, pred_high), data_high + reach)
    return padded(low, high)


@dataclass(frozen=True)
class Scale:
    """Px per data unit (at the design size) of a run's fit panel, and of its landscape panel if it has one."""

    ylim: tuple[float, float]  # the fit panel's y range: a curve beyond it is not seen to move
    fit: float  # px per unit of y
    landscape: tuple[float, float] | None = None  # px per unit of u and of v


def scales(layout: str, runs: list) -> list[Scale]:
    """Each run's Scale in this layout: what the video's own axes make of a move."""
    ylim = fit_ylim(*runs)
    several = LAYOUTS[layout].runs[1] < len(runs)  # runs a layout of one does not hold: side by side, as compared
    rects = compare_grid(len(runs)) if several else LAYOUTS[layout].fit_rects(len(runs))
    land = LAYOUTS[layout].landscape_rect
    found = []
    for run, rect in zip(runs, rects, strict=True):
        per_unit = rect[3] * DESIGN_PX / (ylim[1] - ylim[0])
        plane = None
        if land is not None and run.landscape is not None:
            u, v = run.landscape.u, run.landscape.v
            plane = (land[2] * DESIGN_PX / (u[-1] - u[0] or 1.0), land[3] * DESIGN_PX / (v[-1] - v[0] or 1.0))
        found.append(Scale(ylim, per_unit, plane))
    return found

"""What each video layout shows, and what it needs recorded: plain data that both sides of the seam read.

The recorder reads `landscape` to know which loss surface to compute; the drawing side picks the figure by
the layout's name; validation reads the rest. None of it imports torch or matplotlib.
"""

from dataclasses import dataclass

# Shared by the figure (draw.py) and the pacing that predicts how far its curves move (pacing.py).
FIT_MARGIN = 0.08  # fraction of the data's range left empty around it
MAX_OVERSHOOT = 0.25  # the fit axes follow a wild prediction only this far past the data (in data ranges)
FIT_PANEL_PX = 0.505 * 512  # the fit panel's height at the design size, in px
PACES = ("steps", "change")  # a frame a step, or frames where the picture changes (pacing.py)


@dataclass(frozen=True)
class Layout:
    name: str
    landscape: str | None = None  # "exact": the MSE over the linear net's (w, b); "pca": the PCA plane of the path
    runs: tuple[int, int] = (1, 1)  # how many runs it draws, at least and at most
    models: tuple[str, ...] | None = None  # the models it can draw; None: any
    held_out: bool = False  # it draws test points: the scene must hold some out (test_fraction) and say a tolerance
    about: str = ""  # one line for the README and `list`


LAYOUTS = {
    layout.name: layout
    for layout in (
        Layout("fit", about="fit over loss"),
        Layout("landscape", landscape="exact", models=("linear",), about="exact MSE over (w, b), the path on it"),
        Layout("landscape_pca", landscape="pca", about="the loss on the PCA plane of the path"),
        Layout("compare", runs=(2, 4), about="2 to 4 runs side by side, losses overlaid"),
        Layout("train_test", held_out=True, about="training and held-out points, both losses, and a score"),
        Layout("relu_pieces", models=("mlp",), about="each ReLU unit's piece of the curve, and its hinge"),
    )
}

"""What each video layout shows, and what it needs recorded: plain data that both sides of the seam read.

The recorder reads `landscape` to know which loss surface to compute; the drawing side picks the figure by
the layout's name; validation reads the rest. None of it imports torch or matplotlib.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Layout:
    name: str
    landscape: str | None = None  # "exact": the MSE over the linear net's (w, b); "pca": the PCA plane of the path
    runs: tuple[int, int] = (1, 1)  # how many runs it draws, at least and at most
    models: tuple[str, ...] | None = None  # the models it can draw; None: any
    about: str = ""  # one line for the README and `list`


LAYOUTS = {
    layout.name: layout
    for layout in (
        Layout("fit", about="fit over loss"),
        Layout("landscape", landscape="exact", models=("linear",), about="exact MSE over (w, b), the path on it"),
        Layout("landscape_pca", landscape="pca", about="the loss on the PCA plane of the path"),
        Layout("compare", runs=(2, 4), about="2 to 4 runs side by side, losses overlaid"),
    )
}

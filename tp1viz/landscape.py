"""Loss landscapes, computed once at record time so the renderer stays free of torch.

- The linear net's MSE over (w, b) is a quadratic form: evaluated exactly on a grid from five data moments.
- Any net's loss on the plane through its final parameters spanned by the first two principal components
  of its recorded parameter path (Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets"),
  evaluated with one batched forward pass over every grid point.
"""

import numpy as np

from .layouts import OFF_CHART
from .trajectory import Landscape

GRID = 121  # points per axis: smooth contours at 4096 px, a few milliseconds to draw once
PAD = 0.25  # the grid reaches this fraction of the path's extent past it on every side


def linear_mse_grid(x: np.ndarray, y: np.ndarray, ws: np.ndarray, bs: np.ndarray) -> np.ndarray:
    """mean((w x + b - y)^2) for every (b, w) pair: shape (len(bs), len(ws)), exact in float64."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    sxx, sx, sxy, sy, syy = (x * x).mean(), x.mean(), (x * y).mean(), y.mean(), (y * y).mean()
    w, b = np.meshgrid(np.asarray(ws, np.float64), np.asarray(bs, np.float64))  # (len(bs), len(ws))
    return w * w * sxx + 2 * w * b * sx + b * b - 2 * w * sxy - 2 * b * sy + syy


def linear_minimum(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The (w, b) where the quadratic form is lowest: its gradient's root, from the same five moments."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    hessian = np.array([[(x * x).mean(), x.mean()], [x.mean(), 1.0]])
    return np.linalg.solve(hessian, np.array([(x * y).mean(), y.mean()]))


def stability_limit(x: np.ndarray) -> float:
    """The largest stable full-batch GD learning rate for the linear net under MSE.

    The loss's Hessian in (w, b) has eigenvalues 2 mean(x^2) and 2 for centred x; GD is stable below
    2 / the largest, which is 1 / mean(x^2) whenever mean(x^2) > 1 (the page's line: 1 / 18.75).
    """
    x = np.asarray(x, np.float64)
    eigenvalues = np.linalg.eigvalsh(2 * np.array([[(x * x).mean(), x.mean()], [x.mean(), 1.0]]))
    return float(2 / eigenvalues.max())


def span(values: np.ndarray, *extra: float, pad: float = PAD) -> np.ndarray:
    """GRID evenly spaced points covering the finite values (and the extra points), padded."""
    values = np.concatenate([np.ravel(values)[np.isfinite(np.ravel(values))], np.asarray(extra, np.float64)])
    low, high = float(values.min()), float(values.max())
    margin = pad * (high - low or 1.0)
    return np.linspace(low - margin, high + margin, GRID)


def in_view(params: np.ndarray, loss: np.ndarray) -> np.ndarray:
    """The rows of a path a landscape spans: finite, and while the loss stays under OFF_CHART times its start. A
    diverging path leaves the plane there (its end is far off, and the bowl would shrink to a dot)."""
    loss = np.asarray(loss, np.float64)
    kept = np.isfinite(params).all(axis=1) & np.isfinite(loss) & (loss <= OFF_CHART * loss[0])
    return params[kept] if kept.any() else params[:1]


def linear_landscape(x: np.ndarray, y: np.ndarray, params: np.ndarray, loss: np.ndarray,
                     around: str = "bowl", others: tuple = ()) -> Landscape:  # fmt: skip
    """The exact MSE around a Linear(1, 1) net's path; params (steps+1, 2) as (weight, bias).

    "bowl": the grid is centred on the minimum, and its half-widths are chosen so the loss rises by the same
    amount at every edge: the bowl's rings come out round instead of as stripes along the flat direction.
    "path": the grid spans the path and the minimum in each direction on its own, so a small move along the
    flat direction (the bias's slow crawl) is as plain as the fast fall along the steep one. `others`, (params,
    loss) of other runs on the same data: the grid spans their paths too, so runs drawn together share it.
    """
    x = np.asarray(x, np.float64)
    minimum = linear_minimum(x, y)
    finite = np.concatenate([in_view(params, loss), *(in_view(*other) for other in others)])
    if around == "path":
        ws, bs = span(finite[:, 0], minimum[0], pad=0.12), span(finite[:, 1], minimum[1], pad=0.12)
        return exact_landscape(x, y, params, minimum, ws, bs)
    reach = np.abs(finite - minimum).max(axis=0) * (1 + PAD)  # (2,) the path's farthest offset, padded
    curvature = np.sqrt([(x * x).mean(), 1.0])  # sqrt of the Hessian's diagonal, for w and for b
    half = np.maximum(reach, (reach * curvature).max() / curvature)  # equal loss rise at all four edges
    ws = np.linspace(minimum[0] - half[0], minimum[0] + half[0], GRID)
    bs = np.linspace(minimum[1] - half[1], minimum[1] + half[1], GRID)
    return exact_landscape(x, y, params, minimum, ws, bs)


def exact_landscape(x, y, params: np.ndarray, minimum: np.ndarray, ws: np.ndarray, bs: np.ndarray) -> Landscape:
    return Landscape(u=ws, v=bs, loss=linear_mse_grid(x, y, ws, bs), path_u=params[:, 0], path_v=params[:, 1],
                     origin=np.zeros(2), directions=np.eye(2), kind="exact", labels=("weight w", "bias b"),
                     minimum=(float(minimum[0]), float(minimum[1])))  # fmt: skip


def pca_plane(params: np.ndarray, loss: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """The plane through the last finite parameters along the path's first two principal directions.

    Returns the origin (p,), the orthonormal directions (2, p), and the share of the path's variance about
    the origin, sum ||theta_k - theta_last||^2, that the plane holds. A path that diverged is taken up to the
    step before its parameters left the finite numbers.
    """
    params = np.asarray(params, np.float64)
    finite = params[np.isfinite(params).all(axis=1)] if loss is None else in_view(params, loss)
    if len(finite) == 0:  # diverged at once: any plane will do; the path is not drawn
        return np.zeros(params.shape[1]), np.eye(2, params.shape[1]), 1.0
    origin = finite[-1]
    offsets = finite - origin  # (k, p)
    _, singular, directions = np.linalg.svd(offsets, full_matrices=False)
    directions = directions[:2] if len(directions) >= 2 else np.eye(2, params.shape[1])  # fewer than two steps
    total = float((singular**2).sum())
    explained = float((singular[:2] ** 2).sum() / total) if total > 0 else 1.0
    return origin, directions, explained


def plane_landscape(net, x, y, loss_fn, params: np.ndarray, path_loss: np.ndarray) -> Landscape:
    """The loss of `net`'s architecture on the PCA plane of its path, one batched forward pass for the grid."""
    import torch
    from torch.func import functional_call, vmap

    origin, directions, explained = pca_plane(params, path_loss)
    with np.errstate(invalid="ignore", over="ignore"):
        path = (np.asarray(params, np.float64) - origin) @ directions.T  # (steps+1, 2); NaN where it diverged
    path[~np.isfinite(path).all(axis=1)] = np.nan
    seen = np.isfinite(path_loss) & (path_loss <= OFF_CHART * path_loss[0])  # the part the plane is cut to show
    us, vs = span(path[seen, 0], 0.0), span(path[seen, 1], 0.0)
    u, v = np.meshgrid(us, vs)  # (len(vs), len(us))
    points = origin + u.reshape(-1, 1) * directions[0] + v.reshape(-1, 1) * directions[1]  # (G, p)
    names_shapes = [(name, p.shape) for name, p in net.named_parameters()]

    def loss_at(flat: torch.Tensor) -> torch.Tensor:
        tensors, start = {}, 0
        for name, shape in names_shapes:
            tensors[name] = flat[start : start + shape.numel()].reshape(shape)
            start += shape.numel()
        return loss_fn(functional_call(net, tensors, (x,)), y)

    with torch.no_grad():
        losses = vmap(loss_at)(torch.as_tensor(points, dtype=x.dtype)).numpy()
    return Landscape(u=us, v=vs, loss=losses.reshape(u.shape).astype(np.float64), path_u=path[:, 0],
                     path_v=path[:, 1], origin=origin, directions=directions, kind="pca", labels=("PC 1", "PC 2"),
                     explained=explained)  # fmt: skip

"""Where words go on a frame: a note in the free space of the panel it talks about, a label beside its marker.

Geometry only, in display pixels (y up, as matplotlib's display coordinates): what must stay visible is a set
of points (the data, every position a curve takes while the words are on screen, densified so a steep line
leaves no gap) and boxes (keys, other labels). A box is (left, bottom, right, top).
"""

import numpy as np

REACH = 1e4  # px: far beyond any frame; a diverged run's line is followed only this far (clipped, not sampled)


def clipped(x0, y0, dx, dy) -> tuple:
    """The parts of the segments (x0, y0) + t (dx, dy), 0 <= t <= 1, inside the square of half-side REACH
    (Liang-Barsky): a segment a million pixels long would otherwise be sampled at every pixel."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ends = [((-REACH - p) / d, (REACH - p) / d) for p, d in ((x0, dx), (y0, dy))]
    enter = np.fmax(0.0, np.fmax(*(np.fmin(a, b) for a, b in ends)))
    leave = np.fmin(1.0, np.fmin(*(np.fmax(a, b) for a, b in ends)))
    keep = enter <= leave
    enter, share = enter[keep], (leave - enter)[keep]
    return x0[keep] + enter * dx[keep], y0[keep] + enter * dy[keep], share * dx[keep], share * dy[keep]


def densify(xs: np.ndarray, ys: np.ndarray, spacing: float = 1.0) -> np.ndarray:
    """(N, 2) points along a polyline, no two consecutive ones further apart than `spacing`; gaps (NaN) stay."""
    xs, ys = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
    ok = np.isfinite(xs) & np.isfinite(ys)
    valid = ok[:-1] & ok[1:]
    x0, y0, dx, dy = clipped(xs[:-1][valid], ys[:-1][valid], np.diff(xs)[valid], np.diff(ys)[valid])
    counts = np.maximum(1, np.ceil(np.hypot(dx, dy) / spacing).astype(int))
    segment = np.repeat(np.arange(len(counts)), counts)
    share = (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)) / counts[segment]
    along = np.column_stack([x0[segment] + share * dx[segment], y0[segment] + share * dy[segment]])
    return np.concatenate([along, np.column_stack([xs[ok], ys[ok]])])


def curves(xs: np.ndarray, rows: np.ndarray, spacing: float = 1.0) -> np.ndarray:
    """(N, 2) points along each row's polyline (rows: (k, g) y values over the same xs), duplicates dropped."""
    found = [densify(xs, row, spacing) for row in np.atleast_2d(rows)]
    points = np.concatenate(found) if found else np.empty((0, 2))
    return np.unique(np.round(points, 1), axis=0)


def grid(panel: tuple, size: tuple, inset: float, columns: int = 11, rows: int = 9) -> np.ndarray:
    """(M, 4) boxes of `size` (w, h) inside `panel`, `inset` from its edges, top rows first, left to right."""
    left, bottom, right, top = panel
    width, height = size
    xs = np.linspace(left + inset, max(left + inset, right - inset - width), columns)
    ys = np.linspace(max(bottom + inset, top - inset - height), bottom + inset, rows)
    return np.array([(x, y, x + width, y + height) for y in ys for x in xs])


def free(boxes: np.ndarray, points: np.ndarray, others=(), margin: float = 0.0) -> np.ndarray:
    """(M,) whether each box (grown by `margin`) holds none of the points and overlaps none of the other boxes."""
    boxes = np.atleast_2d(np.asarray(boxes, np.float64))
    grown = boxes + np.array([-margin, -margin, margin, margin])
    ok = np.ones(len(boxes), bool)
    if len(points):
        px, py = points[:, 0], points[:, 1]
        for index, (left, bottom, right, top) in enumerate(grown):
            ok[index] = not ((px >= left) & (px <= right) & (py >= bottom) & (py <= top)).any()
    for other in others:
        ok &= ~overlapping(grown, np.asarray(other, np.float64))
    return ok


def overlapping(boxes: np.ndarray, other: np.ndarray) -> np.ndarray:
    """(M,) whether each box overlaps `other`."""
    return (boxes[:, 0] < other[2]) & (other[0] < boxes[:, 2]) & (boxes[:, 1] < other[3]) & (other[1] < boxes[:, 3])


def crowding(boxes: np.ndarray, points: np.ndarray, margin: float = 0.0) -> np.ndarray:
    """(M,) how many of the points each box (grown by `margin`) holds: the least crowded box, when none is free."""
    grown = np.atleast_2d(boxes) + np.array([-margin, -margin, margin, margin])
    if not len(points):
        return np.zeros(len(grown), int)
    px, py = points[:, 0], points[:, 1]
    return np.array([int(((px >= b[0]) & (px <= b[2]) & (py >= b[1]) & (py <= b[3])).sum()) for b in grown])


def beside(anchor: tuple, size: tuple, gap: float) -> np.ndarray:
    """(M, 4) boxes of `size` around an anchor point, nearest first: right, left, above, below, and the corners."""
    x, y = anchor
    width, height = size
    spots = [(x + gap, y - height / 2), (x - gap - width, y - height / 2), (x - width / 2, y + gap),
             (x - width / 2, y - gap - height), (x + gap, y + gap), (x - gap - width, y + gap),
             (x + gap, y - gap - height), (x - gap - width, y - gap - height)]  # fmt: skip
    return np.array([(left, bottom, left + width, bottom + height) for left, bottom in spots])


def distance(box: np.ndarray, point: tuple) -> float:
    """How far a point is from a box (0 inside it)."""
    dx = max(box[0] - point[0], 0.0, point[0] - box[2])
    dy = max(box[1] - point[1], 0.0, point[1] - box[3])
    return float(np.hypot(dx, dy))


def inside(boxes: np.ndarray, panel: tuple) -> np.ndarray:
    """(M,) whether each box lies within the panel."""
    return (boxes[:, 0] >= panel[0]) & (boxes[:, 1] >= panel[1]) & (boxes[:, 2] <= panel[2]) & (boxes[:, 3] <= panel[3])

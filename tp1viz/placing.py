"""Where words go on a frame: a note in the free space of the panel it talks about, a label beside its marker.

Geometry only, in display pixels (y up, as matplotlib's display coordinates): what must stay visible is a set
of points (the data, every position a curve takes while the words are on screen, densified so a steep line
leaves no gap) and boxes (keys, other labels). A box is (left, bottom, right, top). Where every position of a
box is tried at once, what is taken is a grid of the panel's pixels (`Occupancy`).
"""

import numpy as np

REACH = 1e4  # px: a polyline is densified only within this far of the origin (a diverged path runs to 1e30 px)


def densify(xs: np.ndarray, ys: np.ndarray, spacing: float = 1.0) -> np.ndarray:
    """(N, 2) points along a polyline, no two consecutive ones further apart than `spacing` (within REACH of the
    origin: beyond it no frame draws); gaps (NaN) stay."""
    xs, ys = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
    ok = np.isfinite(xs) & np.isfinite(ys)
    valid = ok[:-1] & ok[1:]
    x0, y0, dx, dy = clipped(xs[:-1][valid], ys[:-1][valid], xs[1:][valid], ys[1:][valid])
    counts = np.maximum(1, np.ceil(np.hypot(dx, dy) / spacing).astype(int))
    segment = np.repeat(np.arange(len(counts)), counts)
    share = (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)) / counts[segment]
    along = np.column_stack([x0[segment] + share * dx[segment], y0[segment] + share * dy[segment]])
    return np.concatenate([along, np.column_stack([xs[ok], ys[ok]])])


def clipped(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> tuple[np.ndarray, ...]:
    """Segments from (x0, y0) to (x1, y1) cut to the square within REACH of the origin (Liang-Barsky), as (start x,
    start y, dx, dy); those outside it dropped. Each is measured from its nearer end, so a far end (1e30 px) costs
    the near part no precision."""
    far = np.maximum(np.abs(x0), np.abs(y0)) > np.maximum(np.abs(x1), np.abs(y1))
    x0, y0, x1, y1 = np.where(far, x1, x0), np.where(far, y1, y0), np.where(far, x0, x1), np.where(far, y0, y1)
    dx, dy = x1 - x0, y1 - y0
    low, high = np.zeros(len(x0)), np.ones(len(x0))
    with np.errstate(divide="ignore", invalid="ignore"):
        for start, direction in ((x0, dx), (y0, dy)):
            first, second = (-REACH - start) / direction, (REACH - start) / direction
            still = direction == 0  # parallel to this edge: inside or not, whatever t
            inside = np.abs(start) <= REACH
            low = np.where(still, np.where(inside, low, 1.0), np.maximum(low, np.minimum(first, second)))
            high = np.where(still, np.where(inside, high, 0.0), np.minimum(high, np.maximum(first, second)))
    kept = low <= high
    low, high = low[kept], high[kept]
    x0, y0, dx, dy = x0[kept], y0[kept], dx[kept], dy[kept]
    return x0 + low * dx, y0 + low * dy, (high - low) * dx, (high - low) * dy


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
    counts = np.zeros(len(grown), int)
    for start in range(0, len(points), 20_000):  # a chunk of points against every box at once
        px, py = points[start : start + 20_000, 0], points[start : start + 20_000, 1]
        counts += ((px >= grown[:, 0:1]) & (px <= grown[:, 2:3]) & (py >= grown[:, 1:2]) & (py <= grown[:, 3:4])).sum(1)
    return counts


def distance(box: np.ndarray, point: tuple) -> float:
    """How far a point is from a box (0 inside it)."""
    dx = max(box[0] - point[0], 0.0, point[0] - box[2])
    dy = max(box[1] - point[1], 0.0, point[1] - box[3])
    return float(np.hypot(dx, dy))


def inside(boxes: np.ndarray, panel: tuple) -> np.ndarray:
    """(M,) whether each box lies within the panel."""
    return (boxes[:, 0] >= panel[0]) & (boxes[:, 1] >= panel[1]) & (boxes[:, 2] <= panel[2]) & (boxes[:, 3] <= panel[3])


class Occupancy:
    """The pixels of a panel that something already uses (a line, a marker, a label, a leader): a label goes where
    none is. Counting a box's used pixels is a lookup in a summed-area table, so every pixel position of a box can
    be tried at once."""

    def __init__(self, panel: tuple):
        left, bottom, right, top = panel
        self.panel = panel
        self.x0, self.y0 = int(np.floor(left)), int(np.floor(bottom))
        self.used = np.zeros((int(np.ceil(top)) - self.y0 + 1, int(np.ceil(right)) - self.x0 + 1), bool)

    def add_points(self, points: np.ndarray, radius: float = 0.0) -> None:
        """Use every pixel within `radius` (a square's half side) of each point."""
        points = np.asarray(points, np.float64).reshape(-1, 2)
        points = points[np.isfinite(points).all(axis=1)]
        reach = int(np.ceil(radius))
        for dx in range(-reach, reach + 1):
            for dy in range(-reach, reach + 1):
                columns = np.round(points[:, 0] - self.x0 + dx).astype(int)
                rows = np.round(points[:, 1] - self.y0 + dy).astype(int)
                kept = (columns >= 0) & (columns < self.used.shape[1]) & (rows >= 0) & (rows < self.used.shape[0])
                self.used[rows[kept], columns[kept]] = True

    def add_box(self, box: tuple) -> None:
        self.used[self.cells(box)] = True

    def cells(self, box: tuple) -> tuple[slice, slice]:
        """The (rows, columns) of the grid a box covers."""
        left, bottom, right, top = box
        columns = slice(max(int(np.floor(left)) - self.x0, 0), max(int(np.ceil(right)) - self.x0 + 1, 0))
        rows = slice(max(int(np.floor(bottom)) - self.y0, 0), max(int(np.ceil(top)) - self.y0 + 1, 0))
        return rows, columns

    def holds(self, box: tuple) -> bool:
        """Whether any used pixel lies in the box."""
        return bool(self.used[self.cells(box)].any())

    def hit(self, points: np.ndarray) -> bool:
        """Whether any of the points falls on a used pixel."""
        return bool(self.hits(np.asarray(points, np.float64).reshape(-1, 2)).any())

    def hits(self, points: np.ndarray) -> np.ndarray:
        """(...) whether each point of (..., 2) falls on a used pixel (outside the panel: no)."""
        columns = np.round(points[..., 0] - self.x0).astype(int)
        rows = np.round(points[..., 1] - self.y0).astype(int)
        kept = (columns >= 0) & (columns < self.used.shape[1]) & (rows >= 0) & (rows < self.used.shape[0])
        return kept & self.used[np.where(kept, rows, 0), np.where(kept, columns, 0)]

    def free_boxes(self, size: tuple, margin: float = 0.0, inset: float = 0.0) -> np.ndarray:
        """(M, 4) every box of `size` (w, h) at a whole-pixel position inside the panel (`inset` from its edges) that
        holds no used pixel, grown by `margin`."""
        left, bottom, right, top = self.panel
        width, height = size
        grow = int(np.ceil(margin))
        padded_used = np.pad(self.used, grow)
        table = np.zeros((padded_used.shape[0] + 1, padded_used.shape[1] + 1), np.int32)
        table[1:, 1:] = padded_used.cumsum(0).cumsum(1)
        span_x, span_y = int(np.ceil(width)) + 2 * grow, int(np.ceil(height)) + 2 * grow
        xs = np.arange(int(np.ceil(left + inset)), int(np.floor(right - inset - width)) + 1)
        ys = np.arange(int(np.ceil(bottom + inset)), int(np.floor(top - inset - height)) + 1)
        if not len(xs) or not len(ys):
            return np.zeros((0, 4))
        columns, rows = np.meshgrid(xs - self.x0, ys - self.y0)  # the box's lower left, in padded cells: + grow - grow
        right_cells, top_cells = columns + span_x, rows + span_y
        count = (table[top_cells, right_cells] - table[rows, right_cells] - table[top_cells, columns]
                 + table[rows, columns])  # fmt: skip
        free = count == 0
        x, y = columns[free] + self.x0, rows[free] + self.y0
        return np.column_stack([x, y, x + width, y + height]).astype(np.float64)


def box_distances(boxes: np.ndarray, point: tuple) -> np.ndarray:
    """(M,) how far a point is from each box (0 inside it)."""
    boxes = np.atleast_2d(boxes)
    dx = np.maximum.reduce([boxes[:, 0] - point[0], np.zeros(len(boxes)), point[0] - boxes[:, 2]])
    dy = np.maximum.reduce([boxes[:, 1] - point[1], np.zeros(len(boxes)), point[1] - boxes[:, 3]])
    return np.hypot(dx, dy)


def nearest_point(box, point: tuple) -> tuple[float, float]:
    """The point of a box nearest to `point`: where a leader line from it meets the box."""
    return min(max(point[0], box[0]), box[2]), min(max(point[1], box[1]), box[3])


def leaders(boxes: np.ndarray, anchor: tuple) -> np.ndarray:
    """(M, N, 2) points along the straight line from the anchor to the nearest point of each box, at most 1 px apart
    (N the same for all: the longest's)."""
    ends = np.column_stack([np.clip(anchor[0], boxes[:, 0], boxes[:, 2]), np.clip(anchor[1], boxes[:, 1], boxes[:, 3])])
    longest = float(np.hypot(*(ends - anchor).T).max()) if len(boxes) else 0.0
    share = np.linspace(0.0, 1.0, int(np.ceil(longest)) + 2)
    return np.asarray(anchor, np.float64) + share[None, :, None] * (ends - anchor)[:, None, :]


def segment(start: tuple, end: tuple, spacing: float = 1.0) -> np.ndarray:
    """(N, 2) points along a straight line, no two further apart than `spacing`."""
    return densify(np.array([start[0], end[0]]), np.array([start[1], end[1]]), spacing)


def against_corner(boxes: np.ndarray, panel: tuple, corners: tuple[str, ...]) -> tuple[str, tuple[float, float]]:
    """Of the boxes, the one whose corner lies nearest the same corner of the panel ("upper right", "lower left", ...:
    the first of `corners` where several are as near): which corner, and where that corner of the box is."""
    best = None
    for name in corners:
        x = 0 if "left" in name else 2
        y = 1 if "lower" in name else 3
        distance = np.hypot(boxes[:, x] - panel[x], boxes[:, y] - panel[y])
        index = int(np.argmin(distance))
        if best is None or distance[index] < best[0] - 0.5:
            best = (distance[index], name, (float(boxes[index, x]), float(boxes[index, y])))
    return best[1], best[2]

"""Training with a snapshot of the model at every step. Knows torch; knows nothing about plotting."""

from collections.abc import Callable

import torch

from .trajectory import Trajectory

GRID_POINTS = 256  # dense enough for a smooth red curve at 4096 px
GRID_MARGIN = 0.05  # the curve reaches a little past the outermost points, to the axes' edges

StepCallback = Callable[[int, torch.Tensor, torch.Tensor], None]


def train(net, x, y, optimizer, loss_fn, steps: int, on_step: StepCallback) -> None:
    """The page's loop; on_step(k, prediction, loss) sees the model after k updates, k = 0..steps."""
    for k in range(steps + 1):
        prediction = net(x)
        loss = loss_fn(prediction, y)
        on_step(k, prediction, loss)
        if k == steps:
            break  # the last snapshot is recorded, not trained on
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def dense_grid(x: torch.Tensor, points: int = GRID_POINTS) -> torch.Tensor:
    """Evenly spaced inputs spanning the data plus a margin; shape (points, 1)."""
    low, high = float(x.min()), float(x.max())
    pad = GRID_MARGIN * (high - low or 1.0)
    return torch.linspace(low - pad, high + pad, points, dtype=x.dtype).unsqueeze(1)


class Recorder:
    """A step callback that fills preallocated buffers, so a step costs no Python-list growth."""

    def __init__(self, net: torch.nn.Module, grid: torch.Tensor, steps: int, n_data: int):
        self.net, self.grid = net, grid
        self.parameters = [p for p in net.parameters()]
        n_params = sum(p.numel() for p in self.parameters)
        self.loss = torch.empty(steps + 1, dtype=torch.float64)  # (steps+1,)
        self.pred = torch.empty(steps + 1, n_data)  # (steps+1, n)
        self.grid_pred = torch.empty(steps + 1, len(grid))  # (steps+1, g)
        self.params = torch.empty(steps + 1, n_params)  # (steps+1, p)

    @torch.no_grad()
    def __call__(self, k: int, prediction: torch.Tensor, loss: torch.Tensor) -> None:
        self.loss[k] = loss
        self.pred[k] = prediction.reshape(-1)
        self.grid_pred[k] = self.net(self.grid).reshape(-1)
        torch.cat([p.reshape(-1) for p in self.parameters], out=self.params[k])


def _as_column(t: torch.Tensor, name: str) -> torch.Tensor:
    if t.dim() == 1:
        return t.unsqueeze(1)
    if t.dim() == 2 and t.shape[1] == 1:
        return t
    raise ValueError(f"{name} must have shape (n,) or (n, 1) for a 1-D fit, got {tuple(t.shape)}")


def record(net, x, y, optimizer, loss_fn, steps: int = 200, meta: dict | None = None) -> Trajectory:
    """Train `net` on (x, y) for `steps` updates and return every snapshot as a Trajectory."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    x, y = _as_column(x, "x"), _as_column(y, "y")
    grid = dense_grid(x)
    recorder = Recorder(net, grid, steps, len(x))
    train(net, x, y, optimizer, loss_fn, steps, recorder)
    return Trajectory(
        x=x.detach().reshape(-1).numpy().copy(),
        y=y.detach().reshape(-1).numpy().copy(),
        grid_x=grid.reshape(-1).numpy().copy(),
        loss=recorder.loss.numpy(),
        pred=recorder.pred.numpy(),
        grid_pred=recorder.grid_pred.numpy(),
        params=recorder.params.numpy(),
        meta=dict(meta or {}),
    )


def scene_data(scene) -> tuple[torch.Tensor, torch.Tensor, torch.Generator]:
    """The scene's data set, and its generator positioned right after the data was drawn."""
    from . import datasets

    generator = torch.Generator().manual_seed(scene.seed)
    x, y = datasets.make(scene.dataset, generator, **scene.data_params)
    return x, y, generator


def record_scene(scene) -> Trajectory:
    """Run a course scene (data, then model from the same seed, SGD + MSE) and record it."""
    from . import models

    x, y, generator = scene_data(scene)
    net = models.make(scene.model, generator, **scene.model_params)
    optimizer = torch.optim.SGD(net.parameters(), lr=scene.lr)
    return record(net, x, y, optimizer, torch.nn.MSELoss(), scene.steps, meta=scene.describe())

"""Training with a snapshot of the model at every step. Knows torch; knows nothing about plotting."""

import dataclasses
from collections.abc import Callable, Iterator

import torch

from . import signals
from .trajectory import Trajectory

GRID_POINTS = 256  # dense enough for a smooth red curve at 4096 px
GRID_MARGIN = 0.05  # the curve reaches a little past the outermost points, to the axes' edges

StepCallback = Callable[[int, torch.Tensor, torch.Tensor], None]


def train(net, x, y, optimizer, loss_fn, steps: int, on_step: StepCallback, batches: Iterator | None = None):
    """The page's loop; on_step(k, prediction, loss) sees the model after k updates, k = 0..steps.

    With `batches` (an iterator of index tensors) each update uses one minibatch, while the snapshot still
    shows the whole data set; without, every update is full batch, as on the page.
    """
    for k in range(steps + 1):
        signals.checkpoint()  # Ctrl-C stops a long recording between steps (a no-op unless the CLI listens)
        with torch.set_grad_enabled(batches is None):  # a minibatch run's snapshot needs no graph
            prediction = net(x)
            loss = loss_fn(prediction, y)
        on_step(k, prediction, loss)
        if k == steps:
            break  # the last snapshot is recorded, not trained on
        if batches is not None:
            index = next(batches)
            loss = loss_fn(net(x[index]), y[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def minibatches(n_data: int, batch_size: int, generator: torch.Generator) -> Iterator[torch.Tensor]:
    """Index tensors of `batch_size` (the last of an epoch may be smaller), reshuffled every epoch."""
    while True:
        yield from torch.randperm(n_data, generator=generator).split(batch_size)


def dense_grid(x: torch.Tensor, points: int = GRID_POINTS) -> torch.Tensor:
    """Evenly spaced inputs spanning the data plus a margin; shape (points, 1)."""
    low, high = float(x.min()), float(x.max())
    pad = GRID_MARGIN * (high - low or 1.0)
    return torch.linspace(low - pad, high + pad, points, dtype=x.dtype).unsqueeze(1)


class Recorder:
    """A step callback that fills preallocated buffers, so a step costs no Python-list growth."""

    def __init__(self, net: torch.nn.Module, grid: torch.Tensor, steps: int, n_data: int):
        self.net, self.grid = net, grid
        self.parameters = list(net.parameters())
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


def record(
    net, x, y, optimizer, loss_fn, steps: int = 200, meta: dict | None = None, batches: Iterator | None = None
) -> Trajectory:
    """Train `net` on (x, y) for `steps` updates and return every snapshot as a Trajectory."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    x, y = _as_column(x, "x"), _as_column(y, "y")
    grid = dense_grid(x)
    recorder = Recorder(net, grid, steps, len(x))
    train(net, x, y, optimizer, loss_fn, steps, recorder, batches)
    return Trajectory(
        x=x.detach().reshape(-1).numpy().copy(),
        y=y.detach().reshape(-1).numpy().copy(),
        grid_x=grid.reshape(-1).numpy().copy(),
        loss=recorder.loss.numpy(),
        pred=recorder.pred.numpy(),
        grid_pred=recorder.grid_pred.numpy(),
        params=recorder.params.numpy(),
        meta=dict(meta) if meta else loop_meta(optimizer, loss_fn),
    )


def loop_meta(optimizer, loss_fn) -> dict:
    """What a student's loop was run with, as the drawing names it: "MSE" loss, "SGD" at lr 0.5."""
    name = getattr(loss_fn, "__name__", type(loss_fn).__name__)  # a module (MSELoss) or a function (mse_loss)
    name = name.removesuffix("Loss").removesuffix("_loss")
    groups = getattr(optimizer, "param_groups", [{}])
    lr = groups[0].get("lr", getattr(optimizer, "lr", None))
    run = {"label": "", "optimizer": type(optimizer).__name__, "lr": float(lr) if lr is not None else None}
    return {"loss": name.upper() if name.islower() else name, "run": run}


def scene_data(scene) -> tuple[torch.Tensor, torch.Tensor, torch.Generator]:
    """The scene's data set, and its generator positioned right after the data was drawn."""
    from . import datasets

    generator = torch.Generator().manual_seed(scene.seed)
    x, y = datasets.make(scene.dataset, generator, **scene.data)
    return x, y, generator


def run_settings(scene, x: torch.Tensor) -> list[dict]:
    """The runs a scene records: one, or one per variant of a compare layout."""
    from .landscape import stability_limit

    base = {"label": "", "lr": scene.lr, "batch_size": scene.batch_size, "optimizer": scene.optimizer}
    if not scene.variants:
        return [base]
    runs = []
    for variant in scene.variants:
        run = dict(base, label=variant.label)
        if variant.limit_fraction is not None:
            run["lr"] = variant.limit_fraction * stability_limit(x.numpy())
        for key in ("lr", "batch_size", "optimizer"):
            if getattr(variant, key) is not None:
                run[key] = getattr(variant, key)
        runs.append(run)
    return runs


class PlainSGD:
    """torch.optim.SGD as the page builds it (no momentum, no weight decay): p <- p - lr * grad.

    It makes exactly the update torch.optim.SGD makes on the CPU, `param.add_(grad, alpha=-lr)`, so every
    recorded number is the same bit for bit (tests/test_record.py checks each course scene). It exists because
    constructing any torch.optim optimizer first imports torch._dynamo: about 2 s here, half of a cold render's
    start, on the path that keeps the other core waiting.
    """

    def __init__(self, parameters, lr: float):
        self.parameters, self.lr = list(parameters), lr

    def zero_grad(self) -> None:
        for parameter in self.parameters:
            parameter.grad = None  # torch.optim's default, set_to_none=True

    @torch.no_grad()
    def step(self) -> None:
        for parameter in self.parameters:
            if parameter.grad is not None:
                parameter.add_(parameter.grad, alpha=-self.lr)


def make_optimizer(name: str, parameters, lr: float):
    """The scene's optimizer: the page's plain SGD, or torch's Adam."""
    return PlainSGD(parameters, lr) if name == "sgd" else torch.optim.Adam(parameters, lr=lr)


def record_scene(scene) -> list[Trajectory]:
    """Run a scene: its data, then each run from the same initial weights, each recorded step by step.

    `scene.landscape` says which loss surface to compute with each run: "exact" (the linear net's MSE over
    (w, b)), "pca" (the loss on the PCA plane of the path) or None.
    """
    from . import landscape, models

    # Scenes are tiny: threads would only fight over the cores, and one thread everywhere keeps every float
    # reduction, so every byte, the same with --jobs 1 and --jobs N.
    torch.set_num_threads(1)
    x, y, generator = scene_data(scene)
    after_data = generator.get_state()  # every run starts from here: same initial weights, same batches
    loss_fn = torch.nn.MSELoss()
    runs = []
    for settings in run_settings(scene, x):
        generator.set_state(after_data)
        net = models.make(scene.model, generator, **scene.model_sizes)
        optimizer = make_optimizer(settings["optimizer"], net.parameters(), settings["lr"])
        batches = minibatches(len(x), settings["batch_size"], generator) if settings["batch_size"] else None
        traj = record(net, x, y, optimizer, loss_fn, scene.steps, scene.describe() | {"run": settings}, batches)
        if scene.landscape == "exact":
            traj = dataclasses.replace(traj, landscape=landscape.linear_landscape(traj.x, traj.y, traj.params))
        elif scene.landscape == "pca":
            traj = dataclasses.replace(traj, landscape=landscape.plane_landscape(net, x, y, loss_fn, traj.params))
        runs.append(traj)
    return runs

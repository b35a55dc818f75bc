"""Training with a snapshot of the model at every step. Knows torch; knows nothing about plotting."""

import dataclasses
import inspect
from collections.abc import Callable, Iterator

import numpy as np
import torch

from . import events, signals
from .layouts import LAYOUTS
from .rules import GRID_POINTS, SPARSE_FROM
from .trajectory import Held, Trajectory, Units

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
            prediction = first_forward(net, x, y) if k == 0 else net(x)
            loss = loss_fn(prediction, y)
        if k == 0:
            check_first_loss(loss, graph=batches is None)
        on_step(k, prediction, loss)
        if k == steps:
            break  # the last snapshot is recorded, not trained on
        if batches is not None:
            index = next(batches)
            loss = loss_fn(net(x[index]), y[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def first_forward(net, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """net(x) with one output per point, or one line saying why not (with torch's reason)."""
    try:
        prediction = net(x)
    except RuntimeError as error:
        reason = str(error).splitlines()[0]
        raise ValueError(f"net(x) fails for x of shape {tuple(x.shape)}, {x.dtype}: {reason}") from None
    if isinstance(prediction, torch.Tensor) and prediction.shape != y.shape:
        raise ValueError(f"net(x) gives shape {tuple(prediction.shape)} for y of shape {tuple(y.shape)}: the net "
                         "must give one output per point")  # fmt: skip
    return prediction


def check_first_loss(loss, graph: bool) -> None:
    """The first loss is what the loop needs: one number, with a gradient to lower it by."""
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        got = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(f"loss_fn must return a tensor of one number (a mean over the points), got {got}")
    if graph and not loss.requires_grad:
        raise ValueError("loss_fn's result carries no gradient (detached, or computed outside torch)")


def minibatches(n_data: int, batch_size: int, generator: torch.Generator) -> Iterator[torch.Tensor]:
    """Index tensors of `batch_size` (the last of an epoch may be smaller), reshuffled every epoch."""
    while True:
        yield from torch.randperm(n_data, generator=generator).split(batch_size)


def dense_grid(x: torch.Tensor, points: int = GRID_POINTS) -> torch.Tensor:
    """Evenly spaced inputs spanning the data plus a margin; shape (points, 1)."""
    low, high = float(x.min()), float(x.max())
    pad = GRID_MARGIN * (high - low or 1.0)
    return torch.linspace(low - pad, high + pad, points, dtype=x.dtype).unsqueeze(1)


SNAPSHOT = torch.float32  # what the trajectory keeps of every step, whatever the net trains in
PRECISIONS = {"float32": torch.float32, "float64": torch.float64}
EVENT_SNAPSHOTS = 200  # a long run keeps this many snapshots besides what its first pass plans to show


class Recorder:
    """A step callback that fills preallocated buffers, so a step costs no Python-list growth.

    It keeps the loss and how far the model's curve moved at every step, and a snapshot (predictions,
    parameters, a ReLU net's units) of the steps in `keep` (every step when None).
    """

    def __init__(self, net: torch.nn.Module, grid: torch.Tensor, steps: int, n_data: int, keep=None, test=None):
        from .models import relu_units

        self.net, self.grid = net, grid
        self.test = test  # (x, y, loss_fn) of held-out points, or None
        held = 0 if test is None else len(test[0])
        self.parameters = list(net.parameters())
        self.keep = None if keep is None else [int(step) for step in keep]
        rows = steps + 1 if keep is None else len(self.keep)
        self.row = 0
        self.loss = torch.empty(steps + 1, dtype=torch.float64)  # (steps+1,)
        self.change = torch.zeros(steps + 1, dtype=SNAPSHOT)  # (steps+1,) largest move of the curve at each step
        self.pred = torch.empty(rows, n_data, dtype=SNAPSHOT)  # (snapshots, n)
        self.grid_pred = torch.empty(rows, len(grid), dtype=SNAPSHOT)  # (snapshots, g)
        self.params = torch.empty(rows, sum(p.numel() for p in self.parameters), dtype=SNAPSHOT)  # (snapshots, p)
        self.layers = relu_units(net)
        hidden = self.layers[0].out_features if self.layers else 0
        self.units = torch.empty(rows, 3 * hidden + 1, dtype=SNAPSHOT)  # (snapshots, 3h + 1): w, b, v, c
        self.test_loss = torch.empty(steps + 1 if held else 0, dtype=torch.float64)  # (steps+1,)
        self.test_pred = torch.empty(rows if held else 0, held, dtype=SNAPSHOT)  # (snapshots, m)
        self.previous = None

    @torch.no_grad()
    def __call__(self, k: int, prediction: torch.Tensor, loss: torch.Tensor) -> None:
        self.loss[k] = loss
        grid_pred = self.net(self.grid).reshape(-1)
        if self.previous is not None:
            self.change[k] = (grid_pred - self.previous).abs().max()
        self.previous = grid_pred
        test_pred = None
        if self.test is not None:  # the held-out points: measured, never trained on
            test_x, test_y, loss_fn = self.test
            test_pred = self.net(test_x)
            self.test_loss[k] = loss_fn(test_pred, test_y)
        if self.keep is not None and (self.row >= len(self.keep) or self.keep[self.row] != k):
            return
        row, self.row = self.row, self.row + 1
        if test_pred is not None:
            self.test_pred[row] = test_pred.reshape(-1)
        self.pred[row] = prediction.reshape(-1)
        self.grid_pred[row] = grid_pred
        torch.cat([p.reshape(-1) for p in self.parameters], out=self.params[row])
        if self.layers:
            hidden, output = self.layers
            parts = [hidden.weight.reshape(-1), hidden.bias, output.weight.reshape(-1), output.bias]
            torch.cat(parts, out=self.units[row])

    def held(self) -> Held | None:
        if self.test is None:
            return None
        x, y, _ = self.test
        flat = (flat_numpy(x), flat_numpy(y))
        return Held(*flat, loss=self.test_loss.numpy(), pred=self.test_pred.numpy())

    def unit_arrays(self) -> Units | None:
        if not self.layers:
            return None
        h = self.layers[0].out_features
        units = self.units.numpy()
        return Units(w=units[:, :h], b=units[:, h : 2 * h], v=units[:, 2 * h : 3 * h], c=units[:, 3 * h])


def flat_numpy(t: torch.Tensor) -> np.ndarray:
    """A tensor as a flat NumPy copy: float64 stays, any other float type (bfloat16 has no NumPy twin) is float32."""
    return t.detach().reshape(-1).to(torch.float64 if t.dtype == torch.float64 else SNAPSHOT).numpy().copy()


def _as_column(t: torch.Tensor, name: str) -> torch.Tensor:
    if t.dim() == 1:
        return t.unsqueeze(1)
    if t.dim() == 2 and t.shape[1] == 1:
        return t
    raise ValueError(f"{name} must have shape (n,) or (n, 1) for a 1-D fit, got {tuple(t.shape)}")


def _as_tensor(values, name: str, dtype: torch.dtype) -> torch.Tensor:
    """A tensor as it is, or NumPy data and lists as a tensor of `dtype`; numbers only, real ones."""
    if not isinstance(values, torch.Tensor):
        try:
            array = np.asarray(values)
            if array.dtype.kind not in "biuf":
                raise TypeError
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a tensor (or NumPy array) of numbers") from None
        values = torch.as_tensor(array, dtype=dtype)
        if np.isfinite(array).all() and not torch.isfinite(values).all():
            raise ValueError(f"{name} holds values too large for the net's {dtype}")
    if values.is_complex() or values.dtype == torch.bool:
        raise TypeError(f"{name} must hold real numbers, got {values.dtype}")
    return values


def _points(x, y, names: tuple[str, str], dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Two columns of as many finite points, or a clear error naming them."""
    x, y = (_as_column(_as_tensor(v, name, dtype).detach(), name) for v, name in zip((x, y), names, strict=True))
    if len(x) != len(y) or not len(x):
        raise ValueError(
            f"{names[0]} and {names[1]} must hold the same number of points, at least one: got {len(x)} and {len(y)}"
        )
    if not (torch.isfinite(x).all() and torch.isfinite(y).all()):
        raise ValueError(f"{names[0]} and {names[1]} must be finite numbers (no NaN or infinity)")
    return x, y


def held_out(test, dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """A student's `test=(x_test, y_test)` as two columns of the training data's dtype, or a clear error."""
    if not isinstance(test, tuple | list) or len(test) != 2:
        raise TypeError("test must be a pair, (x_test, y_test)")
    x, y = _points(*test, ("test x", "test y"), dtype)
    return x.to(dtype), y.to(dtype)


def _needs_closure(step) -> bool:
    """Whether an optimizer's step() has an argument it cannot do without (LBFGS's closure)."""
    try:
        parameters = inspect.signature(step).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters)


def student_run(net, x, y, optimizer, loss_fn, steps) -> tuple[torch.Tensor, torch.Tensor, int]:
    """A student's arguments to tp1viz.record, checked before any training: (x, y, steps), or a one-line
    error that says what to change, instead of one from deep inside torch or the drawing."""
    from . import rules

    if not isinstance(net, torch.nn.Module):
        raise TypeError(f"net must be a torch.nn.Module, got {type(net).__name__}")
    weights = [p for p in net.parameters() if p.requires_grad]
    if not weights:
        raise ValueError("net has no parameters to train")
    if not (callable(getattr(optimizer, "step", None)) and callable(getattr(optimizer, "zero_grad", None))):
        raise TypeError(f"optimizer must have step() and zero_grad(), as torch.optim's do: {type(optimizer).__name__}")
    groups = getattr(optimizer, "param_groups", None)
    if groups is not None:
        updated = {id(p) for group in groups for p in group.get("params", ())}
        if not any(id(p) in updated for p in weights):
            raise ValueError("optimizer updates none of net's parameters: make it with net.parameters()")
    if _needs_closure(optimizer.step):
        raise TypeError(f"{type(optimizer).__name__}.step() needs a closure; tp1viz runs the page's loop, which "
                        "calls step() alone (use SGD, Adam, ...)")  # fmt: skip
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, as torch.nn.MSELoss() is; got {type(loss_fn).__name__}")
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer):
        raise TypeError(f"steps must be a whole number, got {steps!r}")
    try:
        steps = rules.STEPS.check(int(steps))
    except rules.RuleError as error:
        raise ValueError(f"steps: {error}") from None
    dtype = weights[0].dtype
    x, y = _points(x, y, ("x", "y"), dtype)
    try:
        rules.check_recording_size(steps, len(x), sum(p.numel() for p in weights))
    except rules.RuleError as error:
        raise ValueError(str(error)) from None
    for name, values in (("x", x), ("y", y)):
        if values.dtype != dtype:
            cast = "float()" if dtype == torch.float32 else "double()" if dtype == torch.float64 else f"to({dtype})"
            raise TypeError(f"{name} is {values.dtype} but the net's weights are {dtype}: pass {name}.{cast}")
    return x, y, steps


def record(
    net,
    x,
    y,
    optimizer,
    loss_fn,
    steps: int = 200,
    meta: dict | None = None,
    batches: Iterator | None = None,
    keep=None,
    test=None,
) -> Trajectory:
    """Train `net` on (x, y) for `steps` updates and return every snapshot (or those of `keep`) as a Trajectory,
    with the events found in it. `test`, held-out (x, y), is measured at every step and never trained on."""
    log = None if batches is None else BatchLog(batches)
    recorder = run_loop(net, x, y, optimizer, loss_fn, steps, log, keep, test)
    x, y = _as_column(x, "x"), _as_column(y, "y")
    traj = Trajectory(
        x=flat_numpy(x),
        y=flat_numpy(y),
        grid_x=flat_numpy(recorder.grid),
        loss=recorder.loss.numpy(),
        change=recorder.change.numpy(),
        pred=recorder.pred.numpy(),
        grid_pred=recorder.grid_pred.numpy(),
        params=recorder.params.numpy(),
        meta=dict(meta) if meta else loop_meta(optimizer, loss_fn),
        units=recorder.unit_arrays(),
        test=recorder.held(),
        snapshot_steps=None if keep is None else np.array(recorder.keep, dtype=np.int64),
        batches=None if log is None else log.array(),
    )
    return dataclasses.replace(traj, events=events.detect(traj))


class BatchLog:
    """The minibatches as training takes them, each kept: which points every update learned from."""

    def __init__(self, batches: Iterator):
        self.batches, self.used = batches, []

    def __iter__(self):
        return self

    def __next__(self) -> torch.Tensor:
        index = next(self.batches)
        self.used.append(index)
        return index

    def array(self) -> np.ndarray:
        """(updates, largest batch) int32 point indices, -1 where a batch (an epoch's last) is smaller."""
        found = np.full((len(self.used), max(len(index) for index in self.used)), -1, dtype=np.int32)
        for row, index in enumerate(self.used):
            found[row, : len(index)] = index.numpy()
        return found


def run_loop(net, x, y, optimizer, loss_fn, steps: int, batches=None, keep=None, test=None) -> Recorder:
    """The page's loop under a Recorder; the recorder, filled."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    x, y = _as_column(x, "x"), _as_column(y, "y")
    if test is not None:
        test = (*held_out(test, x.dtype), loss_fn)
    grid = dense_grid(x if test is None else torch.cat([x, test[0]]))  # the curve spans the test points too
    recorder = Recorder(net, grid, steps, len(x), keep, test)
    train(net, x, y, optimizer, loss_fn, steps, recorder, batches)
    return recorder


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


def split(x: torch.Tensor, y: torch.Tensor, fraction: float, generator: torch.Generator):
    """(train x, train y, test x, test y): a seeded random `fraction` of the points held out, each side in the
    data's order. With no fraction, every point trains and nothing is drawn from the generator."""
    held = round(fraction * len(x))
    if not held:
        return x, y, None, None
    order = torch.randperm(len(x), generator=generator)
    test, train = order[:held].sort().values, order[held:].sort().values
    return x[train], y[train], x[test], y[test]


def run_settings(scene, x: torch.Tensor) -> list[dict]:
    """The runs a scene records: one, or one per variant of a compare layout."""
    from .datasets import noise_variance
    from .landscape import stability_limit

    base = {"label": "", "lr": scene.lr, "batch_size": scene.batch_size, "optimizer": scene.optimizer,
            "init_seed": None, "noise_floor": noise_variance(scene.dataset, **scene.data)}  # fmt: skip
    if not scene.variants:
        return [base]
    runs = []
    for variant in scene.variants:
        run = dict(base, label=variant.label)
        if variant.limit_fraction is not None:
            run["lr"] = variant.limit_fraction * stability_limit(x.numpy())
        for key in ("lr", "batch_size", "optimizer", "init_seed"):
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
    (w, b)), "pca" (the loss on the PCA plane of the path) or None. A run longer than SPARSE_FROM steps is
    trained twice, the same way: once to see how its picture moves, once keeping only what the video shows,
    so its memory is bounded by the video's frames rather than its steps.
    """
    keep = None
    if scene.steps > SPARSE_FROM:
        shown = scene.plan(events.detect_scene(recorded_runs(scene, keep=[]), scene.layout)).steps
        # and steps spaced evenly in log(step), where events that need snapshots (converged, dead units) are found
        # (the first pass, without snapshots, cannot see them; the video then marks them at a kept step)
        keep = np.union1d(shown, np.geomspace(1, scene.steps, EVENT_SNAPSHOTS).astype(int))
    return events.detect_scene(recorded_runs(scene, keep), scene.layout)


def recorded_runs(scene, keep=None) -> list[Trajectory]:
    """The scene's runs, its data, weights and training all in the scene's precision (torch's default dtype,
    set for the call): float64 keeps a long chaotic run's numbers the same on every CPU."""
    default = torch.get_default_dtype()
    torch.set_default_dtype(PRECISIONS[scene.precision])
    try:
        return _recorded_runs(scene, keep)
    finally:
        torch.set_default_dtype(default)


def _recorded_runs(scene, keep=None) -> list[Trajectory]:
    from . import landscape, models

    # Scenes are tiny: threads would only fight over the cores, and one thread everywhere keeps every float
    # reduction, so every byte, the same with --jobs 1 and --jobs N.
    torch.set_num_threads(1)
    x, y, generator = scene_data(scene)
    x, y, test_x, test_y = split(x, y, scene.test_fraction, generator)
    test = None if test_x is None else (test_x, test_y)
    after_data = generator.get_state()  # every run starts from here: same initial weights, same batches
    loss_fn = torch.nn.MSELoss()
    runs = []
    for settings in run_settings(scene, x):
        generator.set_state(after_data)
        seeded = settings["init_seed"] is not None  # its own initial weights; the data and batches stay the scene's
        net = models.make(scene.model, torch.Generator().manual_seed(settings["init_seed"]) if seeded else generator,
                          **scene.model_sizes)  # fmt: skip
        optimizer = make_optimizer(settings["optimizer"], net.parameters(), settings["lr"])
        batches = minibatches(len(x), settings["batch_size"], generator) if settings["batch_size"] else None
        meta = scene.describe() | {"run": settings}
        traj = record(net, x, y, optimizer, loss_fn, scene.steps, meta, batches, keep, test)
        if keep is not None and len(keep) == 0:
            pass  # a first pass, for the loss and the curve's moves alone
        elif scene.landscape == "exact":
            around = LAYOUTS[scene.layout].around
            traj = dataclasses.replace(traj, landscape=landscape.linear_landscape(traj.x, traj.y, traj.params,
                                                                                   traj.loss, around))  # fmt: skip
        elif scene.landscape == "pca":
            traj = dataclasses.replace(traj, landscape=landscape.plane_landscape(net, x, y, loss_fn, traj.params,
                                                                                  traj.loss))  # fmt: skip
        runs.append(traj)
    first_pass = keep is not None and len(keep) == 0
    if scene.landscape == "exact" and len(runs) > 1 and not first_pass:  # one landscape: a grid for every path
        around = LAYOUTS[scene.layout].around
        runs = [dataclasses.replace(run, landscape=landscape.linear_landscape(
                    run.x, run.y, run.params, run.loss, around, [(other.params, other.loss) for other in runs]))
                for run in runs]  # fmt: skip
    return runs

"""The course's scenes, as plain data: what to train and how to show it. Nothing here imports torch."""

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Video:
    """A training run recorded step by step and rendered as an MP4."""

    name: str  # also the file name: media/videos/<name>.mp4
    title: str  # shown above the plot, followed by the optimizer and learning rate
    dataset: str  # a key of datasets.DATASETS
    model: str  # a key of models.MODELS
    lr: float  # SGD learning rate
    steps: int  # updates recorded; the video shows steps + 1 snapshots
    seed: int = 7  # draws the data, then the initial weights (see README: why 7)
    fps: int = 30  # the page's players default to 30 fps
    size: int = 512  # px, square; the page embeds <video width="512" height="512">
    hold: float = 1.0  # seconds the final frame stays on screen
    data_params: dict = field(default_factory=dict)  # overrides of the data set's defaults
    model_params: dict = field(default_factory=dict)  # overrides of the model's sizes

    kind = "video"

    @property
    def heading(self) -> str:
        """The title line of the video; the learning rate comes from the parameters, so overrides show."""
        return f"{self.title}, SGD lr {self.lr:g}"

    def with_overrides(self, **overrides) -> "Video":
        """This scene with the given fields replaced (None means keep)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def describe(self) -> dict:
        """The parameters that decide the output, JSON-safe."""
        return {
            "name": self.name,
            "kind": self.kind,
            "dataset": self.dataset,
            "data_params": self.data_params,
            "model": self.model,
            "model_params": self.model_params,
            "optimizer": "sgd",
            "loss": "mse",
            "lr": self.lr,
            "steps": self.steps,
            "seed": self.seed,
            "fps": self.fps,
            "size": self.size,
            "hold": self.hold,
        }


@dataclass(frozen=True)
class Still:
    """A scatter plot of a data set, saved as a PNG."""

    name: str  # also the file name: media/<name>.png
    title: str
    dataset: str
    seed: int = 7  # the same draw as the videos on the same data set
    size: int = 512  # px, square, like the videos
    data_params: dict = field(default_factory=dict)

    kind = "still"

    def with_overrides(self, seed=None, size=None, **_training_only) -> "Still":
        """This still with seed or size replaced; training overrides do not apply to a still."""
        return replace(self, **{k: v for k, v in {"seed": seed, "size": size}.items() if v is not None})

    def describe(self) -> dict:
        """The parameters that decide the output, JSON-safe."""
        return {
            "name": self.name,
            "kind": self.kind,
            "dataset": self.dataset,
            "data_params": self.data_params,
            "seed": self.seed,
            "size": self.size,
        }


SCENES = {
    scene.name: scene
    for scene in (
        Video(
            name="linear_sgd",
            title="Linear net on a noisy line",
            dataset="linear",
            model="linear",
            lr=0.005,  # the page's value
            steps=200,  # the slope settles in ~30 steps; the bias (rate 0.99/step) needs ~200
        ),
        Video(
            name="pow_fn_w_linear_model",
            title="Linear net on a noisy parabola",
            dataset="pow",
            model="linear",
            lr=0.1,  # the page is silent; at 0.005 the line would still be turning after 1000 steps
            steps=100,  # flat (the best a line can do) by step ~50
        ),
        Video(
            name="pow_fn_w_non_linear_model",
            title="1-10-1 ReLU net on a noisy parabola",
            dataset="pow",
            model="mlp",
            lr=0.5,  # the page's value
            steps=200,  # reaches the noise floor (~0.0035) by step ~150
        ),
        Still(name="tp_1_linear_fit_no_noise", title="y = -x + 5, centred", dataset="linear_no_noise"),
        Still(name="tp_1_linear_fit", title="y = -x + 5 + noise (std 2), centred", dataset="linear"),
        Still(name="tp_1_non_linear_noise", title="y = x² + 0.2·uniform noise, centred", dataset="pow"),
    )
}

"""The page's data sets, each drawn from its own seeded generator (never torch's global RNG)."""

import inspect

import torch


def _centred(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    # The page centres both axes by subtracting their means.
    return x - torch.mean(x), y - torch.mean(y)


def linear(
    generator: torch.Generator,
    n_data: int = 100,
    a: float = -1.0,
    b: float = 5.0,
    scale: float = 15.0,
    noise: float = 2.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """y = a x + b (+ Gaussian noise of std `noise`) with x uniform in [0, scale), centred; shapes (n, 1)."""
    x = torch.rand(n_data, 1, generator=generator) * scale
    y = a * x + b
    if noise:
        y = y + torch.randn(y.shape, generator=generator) * noise
    return _centred(x, y)


def linear_no_noise(
    generator: torch.Generator, n_data: int = 100, a: float = -1.0, b: float = 5.0, scale: float = 15.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """The page's first data set: the same line with no noise."""
    return linear(generator, n_data=n_data, a=a, b=b, scale=scale, noise=0.0)


def power(
    generator: torch.Generator, n_data: int = 100, a: float = 2.0, b: float = 0.2
) -> tuple[torch.Tensor, torch.Tensor]:
    """y = x^a + b * uniform noise on n evenly spaced x in [-1, 1], centred; shapes (n, 1)."""
    x = torch.unsqueeze(torch.linspace(-1, 1, n_data), dim=1)
    y = x.pow(a) + b * torch.rand(x.size(), generator=generator)
    return _centred(x, y)


DATASETS = {"linear": linear, "linear_no_noise": linear_no_noise, "pow": power}


def noise_variance(name: str, **params) -> float:
    """The variance of the noise a data set is drawn with: the lowest loss a model can expect to reach on it
    (Gaussian noise of std s: s²; b times uniform noise: b² / 12; none: 0). Defaults are the builders' own."""
    defaults = {key: p.default for key, p in inspect.signature(DATASETS[name]).parameters.items() if key in NOISE}
    settings = defaults | {key: value for key, value in params.items() if key in NOISE}
    if name == "linear":
        return float(settings["noise"]) ** 2
    if name == "pow":
        return float(settings["b"]) ** 2 / 12
    return 0.0


NOISE = ("noise", "b")  # the parameters that set a data set's noise (pow's b scales its uniform noise)


def make(name: str, seed: int | torch.Generator, **params) -> tuple[torch.Tensor, torch.Tensor]:
    """Build the data set called `name`, drawing from `seed` (or from a generator already in use)."""
    generator = seed if isinstance(seed, torch.Generator) else torch.Generator().manual_seed(seed)
    return DATASETS[name](generator, **params)

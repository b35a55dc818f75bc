"""The page's two networks, initialised from a seeded generator so a scene is reproducible."""

import math

import torch
import torch.nn.functional as F


class LinearNet(torch.nn.Module):
    """The page's first net: one linear layer, no activation."""

    def __init__(self, n_feature: int = 1, n_output: int = 1):
        super().__init__()
        self.hidden = torch.nn.Linear(n_feature, n_output)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.hidden(x)


class MLP(torch.nn.Module):
    """The page's second net: a hidden ReLU layer, then a linear output."""

    def __init__(self, n_feature: int = 1, n_hidden: int = 10, n_output: int = 1):
        super().__init__()
        self.hidden = torch.nn.Linear(n_feature, n_hidden)
        self.predict = torch.nn.Linear(n_hidden, n_output)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.predict(F.relu(self.hidden(x)))


def init_like_pytorch(module: torch.nn.Module, generator: torch.Generator) -> torch.nn.Module:
    """Re-draw every Linear layer's parameters with PyTorch's default scheme, from `generator` only."""
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, torch.nn.Linear):
                # Same distributions as nn.Linear.reset_parameters: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
                bound = 1 / math.sqrt(layer.in_features)
                layer.weight.uniform_(-bound, bound, generator=generator)
                if layer.bias is not None:
                    layer.bias.uniform_(-bound, bound, generator=generator)
    return module


def relu_units(net: torch.nn.Module) -> tuple[torch.nn.Linear, torch.nn.Linear] | None:
    """The hidden and output layers of a 1-h-1 ReLU net (the page's MLP, or Linear, ReLU, Linear in a
    Sequential), whose units can be drawn one by one; None for any other net."""
    if isinstance(net, MLP):
        layers = (net.hidden, net.predict)
    elif isinstance(net, torch.nn.Sequential) and len(net) == 3 and isinstance(net[1], torch.nn.ReLU):
        layers = (net[0], net[2])
    else:
        return None
    hidden, output = layers
    linear = all(isinstance(layer, torch.nn.Linear) and layer.bias is not None for layer in layers)
    if not linear or hidden.in_features != 1 or output.out_features != 1:
        return None
    return hidden, output


MODELS = {"linear": LinearNet, "mlp": MLP}


def make(name: str, seed: int | torch.Generator, **sizes) -> torch.nn.Module:
    """Build the model called `name`, initialised from `seed` (or from a generator already in use)."""
    generator = seed if isinstance(seed, torch.Generator) else torch.Generator().manual_seed(seed)
    return init_like_pytorch(MODELS[name](**sizes), generator)

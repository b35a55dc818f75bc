"""tp1viz: record a PyTorch training run step by step and render it as teaching video."""

__version__ = "0.1.0"

"""What a value may be (Rule), and the limits of a recording: scene keys carry their rules (schema.py, kinds.py);
the data sets' and models' parameters, and the memory a recording may take, are checked here."""

import math
from dataclasses import dataclass


class RuleError(ValueError):
    """A value a rule refuses; the message says what the value should be."""


@dataclass(frozen=True)
class Rule:
    """What a value must be: its type, and a closed range (an even integer, or a positive number, if asked)."""

    kind: type  # int or float
    low: float | None = None
    high: float | None = None
    even: bool = False  # video sizes: yuv420p needs even widths and heights
    positive: bool = False  # strictly above zero (learning rates)
    whole: bool = False  # a float that must be a whole number (an exponent of negative inputs)
    why: str = ""  # the reason for a cap, shown with the refusal

    @property
    def span(self) -> str:
        """The allowed range as help text shows it: 1..100000, even 64..4096, positive, at most 1e30."""
        if self.positive:
            return f"positive, at most {self.high:g}" if self.high else "positive, finite"
        shown = ["" if bound is None else f"{self.kind(bound):d}" if self.kind is int else f"{bound:g}"
                 for bound in (self.low, self.high)]  # fmt: skip
        return "..".join(shown)

    def check(self, value):
        """`value` as this rule's type, or a RuleError saying why not (never a bool, never NaN or infinity)."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RuleError(f"expected {'an integer' if self.kind is int else 'a number'}, got {value!r}")
        if self.kind is int and not isinstance(value, int):
            raise RuleError(f"expected an integer, got {value!r}")
        value = self.kind(value)
        if self.positive and not (math.isfinite(value) and value > 0):
            raise RuleError(f"{value!r} is not a positive finite number")
        if self.positive and self.high is not None and value > self.high:
            return self._refuse(f"{value!r} is more than {self.high:g}")
        in_range = math.isfinite(value) and (self.low is None or value >= self.low)
        in_range = in_range and (self.high is None or value <= self.high)
        if self.even and not (in_range and value % 2 == 0):
            return self._refuse(f"{value!r} is not an even number of pixels in {self.span}")
        if self.whole and not (in_range and value == int(value)):
            return self._refuse(f"{value!r} is not a whole number in {self.span}")
        if in_range:
            return value
        if self.low == self.high:
            return self._refuse(f"{value!r} is not {self.low!r}")
        return self._refuse(f"{value!r} is not in {self.span}")

    def _refuse(self, message: str):
        raise RuleError(f"{message} ({self.why})" if self.why else message)


MAX_STEPS = 100_000
MAX_RECORDING_BYTES = 2**30  # every step's snapshot is kept in memory, 4 bytes a number: at most 1 GiB of them
GRID_POINTS = 256  # the dense grid the red curve is drawn on: smooth at 4096 px
SPARSE_FROM = 20_000  # steps: a longer run keeps snapshots only of the steps its video shows (recorder.record_scene)
STEPS = Rule(int, 1, MAX_STEPS, why="a snapshot a step, kept in memory")  # a scene's steps, and a student's

# The keyword parameters of datasets.py's and models.py's builders, and what each may be. Kept here so that
# validating a scene never imports torch; tests/test_scenes.py checks them against the real signatures.
N_DATA = Rule(int, 1, 10_000, why="each step keeps a prediction per point")
NUMBER = Rule(float, -1e6, 1e6, why="the data are float32: the bound keeps every loss finite")
SCALE = Rule(float, 1e-6, 1e6)
DATASETS = {
    "linear": {"n_data": N_DATA, "a": NUMBER, "b": NUMBER, "scale": SCALE, "noise": Rule(float, 0, 1e6)},
    "linear_no_noise": {"n_data": N_DATA, "a": NUMBER, "b": NUMBER, "scale": SCALE},
    "pow": {"n_data": N_DATA, "a": Rule(float, 0, 10, whole=True, why="x runs through negative numbers"),
            "b": Rule(float, 0, 1e6)},
}  # fmt: skip
ONE = Rule(int, 1, 1, why="the data sets have one input and one output")
MODELS = {
    "linear": {"n_feature": ONE, "n_output": ONE},
    "mlp": {"n_feature": ONE, "n_hidden": Rule(int, 1, 1000), "n_output": ONE},
}


def parameter_count(model: str, sizes: dict) -> int:
    """How many numbers a scene's model holds: Linear(1, 1) has 2; a 1-h-1 MLP has 3h + 1."""
    return 2 if model == "linear" else 3 * sizes.get("n_hidden", 10) + 1


def check_recording_size(steps: int, n_data: int, parameters: int, runs: int = 1) -> None:
    """RuleError if recording would keep more than MAX_RECORDING_BYTES in memory: per run and step, the
    predictions at the data, the curve on the grid and the parameters, 4 bytes each."""
    need = 4 * runs * (steps + 1) * (n_data + GRID_POINTS + parameters)
    if need > MAX_RECORDING_BYTES:
        raise RuleError(f"recording {steps} steps of {n_data} points would take {need / 2**30:.1f} GiB; "
                        f"at most {MAX_RECORDING_BYTES / 2**30:.0f} GiB (every step is kept in memory)")  # fmt: skip


def label_key(label: str) -> str:
    """What a run's label reads as on screen: two labels that read the same name one panel twice."""
    return " ".join(str(label).split()).casefold()

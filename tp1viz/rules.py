"""Every parameter's rule, in one place: scene files, the command line and the notebook all check with these."""

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
    why: str = ""  # the reason for a cap, shown with the refusal

    @property
    def span(self) -> str:
        """The allowed range as help text shows it: 1..100000, or positive."""
        if self.positive:
            return "positive, finite"
        shown = [("" if bound is None else f"{self.kind(bound)}") for bound in (self.low, self.high)]
        return "..".join(shown)

    def check(self, value):
        """`value` as this rule's type, or a RuleError saying why not (never a bool, never NaN or infinity)."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RuleError(f"expected {'an integer' if self.kind is int else 'a number'}, got {value!r}")
        if self.kind is int and not isinstance(value, int):
            raise RuleError(f"expected an integer, got {value!r}")
        value = self.kind(value)
        if self.positive and not (math.isfinite(value) and value > 0):
            return self._refuse(f"{value!r} is not a positive finite number")
        in_range = math.isfinite(value) and (self.low is None or value >= self.low)
        in_range = in_range and (self.high is None or value <= self.high)
        if self.even and not (in_range and value % 2 == 0):
            return self._refuse(f"{value!r} is not an even number of pixels in {self.span}")
        if not in_range:
            return self._refuse(f"{value!r} is not in {self.span}")
        return value

    def _refuse(self, message: str):
        raise RuleError(f"{message} ({self.why})" if self.why else message)


MAX_STEPS = 100_000
RULES = {
    "steps": Rule(int, 1, MAX_STEPS, why="a snapshot a step, kept in memory"),
    "lr": Rule(float, positive=True),
    "seed": Rule(int, 0, 2**63 - 1),
    "fps": Rule(int, 1, 120),
    "size": Rule(int, 64, 4096, even=True),
    "hold": Rule(float, 0, 10),
    "batch_size": Rule(int, 0, 100_000),
    "limit_fraction": Rule(float, positive=True),
}


def check(name: str, value):
    """`value` checked against the rule called `name`."""
    return RULES[name].check(value)

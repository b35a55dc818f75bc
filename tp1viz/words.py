"""How numbers and words read, on screen and in captions: one place, imported by drawing and captions alike.

Nothing here imports matplotlib, NumPy or torch: a caption, a review page or a scene file's check needs none.
"""

import math
import textwrap

LINE = 42  # characters a caption line holds (the usual subtitle limit) ...
LINES = 2  # ... and lines a caption holds


def sig(value: float, digits: int = 2) -> str:
    """A number as a person says it, to `digits` significant figures: 3.5, 0.0033, 1.2e+03; or "overflow"."""
    value = float(value)
    return f"{value:.{digits}g}" if math.isfinite(value) else "overflow"


def fits(text: str) -> bool:
    """Whether a caption fits LINES lines of LINE characters, wrapped at spaces."""
    return len(textwrap.wrap(text, LINE)) <= LINES


def wrapped(text: str) -> str:
    """A caption as it is shown: wrapped at spaces into lines of LINE characters."""
    return "\n".join(textwrap.wrap(text, LINE)) or text


def format_loss(loss: float, digits: int = 4) -> str:
    """A loss with a fixed count of significant digits (the status line's width stays put), or "overflow"."""
    loss = float(loss)
    return f"{loss:#.{digits}g}" if math.isfinite(loss) else "overflow"


def format_status(step: int, steps: int, loss: float | None = None, toward: int | None = None,
                  toward_loss: float | None = None) -> str:  # fmt: skip
    """The changing title line, short because text is the dearest thing to draw per frame. An in-between frame,
    on its way from `step` to `toward`, says so, with both losses: nothing on screen is ahead of its words."""
    width = len(str(steps))
    if toward is None:
        status = f"step {step:>{width}d}/{steps}"
        return status if loss is None else f"{status}  loss {format_loss(loss)}"
    status = f"step {step:>{width}d}→{toward}/{steps}"
    return status if loss is None else f"{status}  loss {format_loss(loss)}→{format_loss(toward_loss)}"


def loss_label(meta: dict) -> str:
    """ "MSE loss" from a scene's "mse" or a student's loop's "MSE"; just "loss" when the run does not say."""
    name = meta.get("loss") or ""
    return f"{name.upper() if name.islower() else name} loss".strip()

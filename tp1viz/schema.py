"""The scene schema: every key a scene file may hold is declared once, on the dataclass field that keeps it
(kinds.py), with its type, its rule, its role for the cache and its help.

Scene files (scenes.py), the command line's overrides (cli.py), the notebook's checks, the recording's
fingerprint (Video.recording_params) and the docs' key table (docs/pages/scenes.md, which
`python -m tp1viz.scenes` prints) all read it here. Nothing here imports torch, matplotlib or NumPy.
"""

import unicodedata
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields

from .rules import Rule, RuleError

RECORDING = "recording"  # training reads it: a change records the runs again
SHOWN = "shown"  # which steps the video shows: drawing, and what a long run keeps of its recording (SPARSE_FROM)
DRAWING = "drawing"  # only the pictures: a change draws the saved runs again
ROLES = (RECORDING, SHOWN, DRAWING)
REQUIRED = object()  # a key without a default: the scene file must give it
TYPE_NAMES = {int: "integer", float: "number", str: "string", dict: "table", list: "array", bool: "boolean"}


@dataclass(frozen=True)
class Key:
    """What a scene file's key may be, and what it decides."""

    kind: type  # what the TOML value must be: int, float, str, dict or list
    help: str  # one line for the docs and the command line
    role: str = DRAWING
    rule: Rule | None = None  # its range (rules.py)
    choices: tuple | Callable[[], tuple] | None = None  # the names it may be (a callable: known later)
    text: int | None = None  # a line of at most this many characters
    special: str | None = None  # a table or array scenes.py checks its own way, by this name
    option: bool = False  # `render --NAME` overrides it

    def names(self) -> tuple:
        return self.choices() if callable(self.choices) else self.choices


def key(default=REQUIRED, **meta):
    """A dataclass field that is a scene file's key: `default` (a list or dict default is made afresh each time)."""
    metadata = {"key": Key(**meta)}
    if default is REQUIRED:
        return field(metadata=metadata)
    if isinstance(default, list | dict):
        return field(default_factory=type(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def keys(cls) -> dict:
    """A scene class's keys, in declaration order: name -> (Key, default or REQUIRED)."""
    found = {}
    for each in fields(cls):
        if "key" not in each.metadata:
            continue  # set by the loader (name, source_file), never by a file
        if each.default is not MISSING:
            default = each.default
        elif each.default_factory is not MISSING:
            default = each.default_factory()
        else:
            default = REQUIRED
        found[each.name] = (each.metadata["key"], default)
    return found


def article(kind: type) -> str:
    """ "an integer", "a number", "a string", "a table", "an array"."""
    name = TYPE_NAMES[kind]
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def check(cls, name: str, value):
    """`value` as `cls`'s key `name` takes it (a number where a number is asked, in its range, one of its names,
    a line of text), or a RuleError saying what it should be."""
    rule, _ = keys(cls)[name]
    if rule.kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if rule.rule is not None:
        return rule.rule.check(value)
    if not isinstance(value, rule.kind) or (rule.kind is int and isinstance(value, bool)):
        raise RuleError(f"expected {article(rule.kind)}, got {value!r}")
    if rule.choices is not None and value not in rule.names():
        raise RuleError(f"{value!r} is not one of {', '.join(rule.names())}")
    if rule.text is not None:
        line(value, rule.text)
    return value


def line(value: str, longest: int) -> str:
    """A line of text for the screen: no control characters (they draw as nothing, or break the line)."""
    bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")), None)
    if bad is not None:
        raise RuleError(f"{value!r} holds the control character U+{ord(bad):04X}")
    if not value.strip() or len(value) > longest:
        shown = repr(value) if len(value) <= 60 else f"{value[:40]!r}... ({len(value)} characters)"
        raise RuleError(f"{shown} is not a line of 1 to {longest} characters")
    return value


def role_of(cls, name: str) -> str | None:
    """The key's role for the cache, or None for what no file sets (the name, where it was defined)."""
    found = keys(cls).get(name)
    return found[0].role if found else None


def span(rule: Key) -> str:
    """What a key may be, in a few words: 1..100000, positive, sgd | adam, a line of 1 to 200 characters."""
    if rule.rule is not None:
        return ("even, " if rule.rule.even else "") + rule.rule.span
    if rule.choices is not None:
        return " \\| ".join(f"`{name}`" for name in rule.names())
    if rule.text is not None:
        return f"a line of 1 to {rule.text} characters"
    return TYPE_NAMES[rule.kind]


def shown_default(default) -> str:
    if default is REQUIRED:
        return "required"
    if default is None:
        return "none"
    if isinstance(default, tuple | list):
        return "`[" + ", ".join(f'"{item}"' for item in default) + "]`"
    return f'`"{default}"`' if isinstance(default, str) else f"`{default!r}`"


CHANGING = {RECORDING: "records again", SHOWN: "redraws (a run over 20,000 steps: records again)", DRAWING: "redraws"}


def markdown_table(*classes, first: tuple = ()) -> str:
    """The docs' key table, every key of these scene classes once (the first class's reading wins), after the
    rows `first` (key, type, default, meaning, changing it) of keys no class holds."""
    rows = ["| key | type | default | meaning | changing it |", "|---|---|---|---|---|"]
    rows += ["| " + " | ".join(row) + " |" for row in first]
    seen = set()
    for cls in classes:
        for name, (rule, default) in keys(cls).items():
            if name not in seen:
                seen.add(name)
                rows.append(f"| `{name}` | {span(rule)} | {shown_default(default)} | {rule.help} | "
                            f"{CHANGING[rule.role]} |")  # fmt: skip
    return "\n".join(rows)

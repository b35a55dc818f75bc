"""Scenes as data: what to train and how to show it, read from TOML and validated strictly.

The course's scenes are in scenes.toml beside this file; `--scenes FILE` adds or replaces scenes from an
author's own file with the same schema. Nothing here imports torch.
"""

import math
import re
import tomllib
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path

BUILTIN = Path(__file__).with_name("scenes.toml")
NAME = re.compile(r"[a-z0-9_]+")
STILL_FILE = re.compile(r"[a-z0-9_]+\.(png|jpe?g)")
REQUIRED = object()

# The keyword parameters of datasets.py's and models.py's builders, and their types. Kept here so that
# validating a scene never imports torch; tests/test_scenes.py checks them against the real signatures.
DATASET_PARAMS = {
    "linear": {"n_data": int, "a": float, "b": float, "scale": float, "noise": float},
    "linear_no_noise": {"n_data": int, "a": float, "b": float, "scale": float},
    "pow": {"n_data": int, "a": float, "b": float},
}
MODEL_PARAMS = {
    "linear": {"n_feature": int, "n_output": int},
    "mlp": {"n_feature": int, "n_hidden": int, "n_output": int},
}
OPTIMIZERS = ("sgd", "adam")
VIDEO_LAYOUTS = ("fit", "landscape", "landscape_pca", "compare")
VIDEO_FORMATS = ("mp4", "webm", "gif")  # mp4 always; webm and gif beside it on request
STILL_LAYOUTS = ("data", "surface")
MAX_VARIANTS = 4


class SceneError(ValueError):
    """A scene file that cannot be used; the message names the file, the scene and the key."""


@dataclass(frozen=True)
class Variant:
    """One run of a `compare` scene: the base scene with a few settings changed."""

    label: str  # shown in the panel's title
    lr: float | None = None  # None: the scene's lr (or limit_fraction's)
    limit_fraction: float | None = None  # lr = this fraction of the stability limit 1 / mean(x^2)
    batch_size: int | None = None  # 0 = full batch
    optimizer: str | None = None


@dataclass(frozen=True)
class Video:
    """A training run (or several, side by side) recorded step by step and rendered as an MP4."""

    name: str  # also the file name: videos/<name>.mp4
    title: str  # shown above the plot
    dataset: str  # a key of DATASET_PARAMS
    model: str  # a key of MODEL_PARAMS
    lr: float  # learning rate
    steps: int  # updates recorded; the video shows steps + 1 snapshots
    layout: str = "fit"  # fit | landscape | landscape_pca | compare
    data: dict = field(default_factory=dict)  # overrides of the data set's defaults
    model_sizes: dict = field(default_factory=dict)  # overrides of the model's sizes
    optimizer: str = "sgd"  # sgd | adam
    batch_size: int = 0  # 0 = full batch, as on the page; else minibatches from a seeded shuffle
    seed: int = 7  # draws the data, then the initial weights, then the minibatch order
    fps: int = 30  # the page's players default to 30 fps
    size: int = 512  # px, square; the page embeds <video width="512" height="512">
    hold: float = 1.0  # seconds the final frame stays on screen
    variants: tuple[Variant, ...] = ()  # the runs of a compare layout
    formats: tuple[str, ...] = ("mp4",)  # files written per video, in VIDEO_FORMATS order; mp4 always
    source_file: str = field(default="", compare=False)  # where the scene was defined

    kind = "video"

    @property
    def optimizer_label(self) -> str:
        if self.optimizer == "adam":
            return "Adam"
        return f"SGD (batch {self.batch_size})" if self.batch_size else "SGD"

    @property
    def heading(self) -> str:
        """The title line; the learning rate comes from the parameters, so overrides show."""
        if self.layout == "compare":
            return self.title
        return f"{self.title}, {self.optimizer_label} lr {self.lr:g}"

    def with_overrides(self, **overrides) -> "Video":
        """This scene with the given fields replaced (None means keep); `formats` adds to the scene's."""
        changes = {k: v for k, v in overrides.items() if v is not None}
        if "formats" in changes:
            changes["formats"] = canonical_formats((*self.formats, *changes["formats"]))
        return replace(self, **changes)

    def describe(self) -> dict:
        """The parameters that decide the output, JSON-safe."""
        params = asdict(self)
        params.pop("source_file")
        params["variants"] = list(params["variants"])  # as JSON gives it back
        params["formats"] = list(params["formats"])
        params["kind"] = self.kind
        params["loss"] = "mse"
        return params


@dataclass(frozen=True)
class Still:
    """A picture: a data set's scatter plot (layout data) or a video's loss surface (layout surface)."""

    name: str
    title: str
    layout: str = "data"  # data | surface
    dataset: str | None = None  # for layout data
    data: dict = field(default_factory=dict)
    seed: int = 7  # the same draw as the videos on the same data set
    size: int = 512  # px, square, like the videos
    file: str | None = None  # the output's file name; default <name>.png
    source: Video | None = None  # for layout surface: the video scene whose run is drawn
    source_file: str = field(default="", compare=False)

    kind = "still"

    @property
    def file_name(self) -> str:
        return self.file or f"{self.name}.png"

    def with_overrides(self, seed=None, size=None, **training) -> "Still":
        """This still with seed or size replaced; a surface's training overrides go to the video it draws."""
        training = {**training, "formats": None}  # a still has no video formats
        source = self.source.with_overrides(seed=seed, **training) if self.source else None
        changes = {k: v for k, v in {"seed": seed, "size": size}.items() if v is not None}
        return replace(self, source=source, **changes)

    def describe(self) -> dict:
        """The parameters that decide the output, JSON-safe."""
        params = asdict(self)
        params.pop("source_file")
        params["source"] = self.source.describe() if self.source else None
        params["kind"] = self.kind
        return params


def canonical_formats(formats) -> tuple[str, ...]:
    """mp4 plus the requested formats, each once, in VIDEO_FORMATS order."""
    wanted = {"mp4", *formats}
    return tuple(name for name in VIDEO_FORMATS if name in wanted)


# ---- validation -------------------------------------------------------------------------------------


def _type_name(kind) -> str:
    return {int: "an integer", float: "a number", str: "a string", dict: "a table", list: "an array"}[kind]


def _typed(value, kind, where: str):
    """`value` as `kind`, or a SceneError; TOML integers are accepted where a number is expected."""
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise SceneError(f"{where}: expected {_type_name(kind)}, got {value!r}")
    return value


def _in_range(value, low, high, where: str):
    if not (low <= value <= high):
        raise SceneError(f"{where}: {value!r} is not in {low}..{high}")
    return value


def _positive_finite(value, where: str):
    if not (math.isfinite(value) and value > 0):
        raise SceneError(f"{where}: {value!r} is not a positive finite number")
    return value


def _one_of(value, choices, where: str):
    if value not in choices:
        raise SceneError(f"{where}: {value!r} is not one of {', '.join(choices)}")
    return value


def _even_size(value, where: str):
    if value % 2 or not 64 <= value <= 4096:
        raise SceneError(f"{where}: {value!r} is not an even number of pixels in 64..4096")
    return value


def _params(table, allowed: dict, where: str) -> dict:
    """Validate a table of builder parameters against their names and types."""
    table = _typed(table, dict, where)
    checked = {}
    for key, value in table.items():
        if key not in allowed:
            raise SceneError(f"{where}.{key}: unknown key; known: {', '.join(allowed)}")
        checked[key] = _typed(value, allowed[key], f"{where}.{key}")
    if checked.get("n_data", 1) < 1 or checked.get("n_hidden", 1) < 1:
        raise SceneError(f"{where}: sizes must be at least 1")
    return checked


# Each key: (type, extra check or None). Defaults come from the dataclasses above, so they live in one place.
COMMON_KEYS = {
    "title": (str, None),
    "seed": (int, lambda v, w: _in_range(v, 0, 2**63 - 1, w)),
    "size": (int, _even_size),
}
VIDEO_KEYS = {
    **COMMON_KEYS,
    "layout": (str, lambda v, w: _one_of(v, VIDEO_LAYOUTS, w)),
    "dataset": (str, lambda v, w: _one_of(v, tuple(DATASET_PARAMS), w)),
    "data": (dict, None),
    "model": (str, lambda v, w: _one_of(v, tuple(MODEL_PARAMS), w)),
    "model_sizes": (dict, None),
    "optimizer": (str, lambda v, w: _one_of(v, OPTIMIZERS, w)),
    "batch_size": (int, lambda v, w: _in_range(v, 0, 100_000, w)),
    "lr": (float, _positive_finite),
    "steps": (int, lambda v, w: _in_range(v, 1, 100_000, w)),
    "fps": (int, lambda v, w: _in_range(v, 1, 120, w)),
    "hold": (float, lambda v, w: _in_range(v, 0.0, 10.0, w)),
    "variants": (list, None),
    "formats": (list, lambda v, w: _formats(v, w)),
}
STILL_KEYS = {
    **COMMON_KEYS,
    "layout": (str, lambda v, w: _one_of(v, STILL_LAYOUTS, w)),
    "dataset": (str, lambda v, w: _one_of(v, tuple(DATASET_PARAMS), w)),
    "data": (dict, None),
    "file": (str, lambda v, w: v if STILL_FILE.fullmatch(v) else _bad_file(v, w)),
    "source": (str, None),
}
VARIANT_KEYS = {
    "label": (str, None),
    "lr": (float, _positive_finite),
    "limit_fraction": (float, _positive_finite),
    "batch_size": (int, lambda v, w: _in_range(v, 0, 100_000, w)),
    "optimizer": (str, lambda v, w: _one_of(v, OPTIMIZERS, w)),
}


def _defaults(cls) -> dict:
    """Each field's default, or REQUIRED."""
    defaults = {}
    for f in fields(cls):
        if f.default is not MISSING:
            defaults[f.name] = f.default
        elif f.default_factory is not MISSING:
            defaults[f.name] = f.default_factory()
        else:
            defaults[f.name] = REQUIRED
    return defaults


def _formats(values: list, where: str) -> tuple[str, ...]:
    for value in values:
        _one_of(_typed(value, str, where), VIDEO_FORMATS, where)
    return canonical_formats(values)


def _bad_file(value, where):
    raise SceneError(f"{where}: {value!r} is not a file name like name.png or name.jpeg ([a-z0-9_] only)")


def _fields(table: dict, keys: dict, cls, where: str) -> dict:
    """Check a table against a key schema: no unknown key, the right types, values in range, defaults filled."""
    unknown = [key for key in table if key not in keys]
    if unknown:
        raise SceneError(f"{where}: key '{unknown[0]}': unknown key; known: {', '.join(keys)}")
    checked = {}
    for key, default in _defaults(cls).items():
        if key not in keys:
            continue  # set by the loader (name, source_file), not by the file
        at = f"{where}: key '{key}'"
        if key not in table:
            if default is REQUIRED:
                raise SceneError(f"{at}: missing")
            checked[key] = default
            continue
        kind, check = keys[key]
        value = _typed(table[key], kind, at)
        checked[key] = check(value, at) if check else value
    return checked


def _variants(items: list, scene: dict, where: str) -> tuple[Variant, ...]:
    at = f"{where}: key 'variants'"
    if scene["layout"] != "compare":
        if items:
            raise SceneError(f"{at}: only a compare layout has variants")
        return ()
    if not 2 <= len(items) <= MAX_VARIANTS:
        raise SceneError(f"{at}: a compare layout needs 2 to {MAX_VARIANTS} variants, got {len(items)}")
    variants = []
    for index, item in enumerate(items):
        checked = _fields(_typed(item, dict, f"{at}[{index}]"), VARIANT_KEYS, Variant, f"{at}[{index}]")
        if checked["lr"] is not None and checked["limit_fraction"] is not None:
            raise SceneError(f"{at}[{index}]: give lr or limit_fraction, not both")
        if checked["limit_fraction"] is not None and scene["model"] != "linear":
            raise SceneError(f"{at}[{index}]: limit_fraction needs the linear model (its limit is 1 / mean(x²))")
        variants.append(Variant(**checked))
    return tuple(variants)


def _video(name: str, table: dict, where: str, source_file: str) -> Video:
    checked = _fields(table, VIDEO_KEYS, Video, where)
    checked["data"] = _params(checked["data"], DATASET_PARAMS[checked["dataset"]], f"{where}: key 'data'")
    sizes = MODEL_PARAMS[checked["model"]]
    checked["model_sizes"] = _params(checked["model_sizes"], sizes, f"{where}: key 'model_sizes'")
    checked["variants"] = _variants(checked["variants"], checked, where)
    n_data = checked["data"].get("n_data", 100)
    for batch in [checked["batch_size"], *(v.batch_size for v in checked["variants"] if v.batch_size)]:
        if batch > n_data:
            raise SceneError(f"{where}: key 'batch_size': {batch} is more than the {n_data} data points")
    if checked["layout"] == "landscape" and checked["model"] != "linear":
        raise SceneError(f"{where}: key 'layout': the landscape layout needs the linear model (2 parameters)")
    return Video(name=name, source_file=source_file, **checked)


def _still(name: str, table: dict, where: str, source_file: str) -> dict:
    checked = _fields(table, STILL_KEYS, Still, where)
    if checked["layout"] == "data" and checked["dataset"] is None:
        raise SceneError(f"{where}: key 'dataset': missing (a data still scatters a data set)")
    if checked["layout"] == "surface" and checked["source"] is None:
        raise SceneError(f"{where}: key 'source': missing (a surface still draws a landscape video's run)")
    if checked["dataset"]:
        checked["data"] = _params(checked["data"], DATASET_PARAMS[checked["dataset"]], f"{where}: key 'data'")
    return checked | {"name": name, "source_file": source_file}


def parse(text: str, source_file: str) -> tuple[dict[str, Video], dict[str, dict]]:
    """The videos of a TOML text, and its stills as checked fields (their sources resolve later)."""
    try:
        tables = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SceneError(f"{source_file}: not valid TOML: {error}") from None
    videos, stills = {}, {}
    for name, table in tables.items():
        where = f"{source_file}: scene '{name}'"
        if not NAME.fullmatch(name):
            raise SceneError(f"{where}: a scene name may hold only a-z, 0-9 and _")
        if not isinstance(table, dict):
            raise SceneError(f"{where}: expected a table ([{name}]), got {table!r}")
        kind = _one_of(_typed(table.get("kind", "missing"), str, f"{where}: key 'kind'"), ("video", "still"),
                       f"{where}: key 'kind'")  # fmt: skip
        table = {key: value for key, value in table.items() if key != "kind"}
        if kind == "still":
            stills[name] = _still(name, table, where, source_file)
        else:
            videos[name] = _video(name, table, where, source_file)
    return videos, stills


def _resolve(still: dict, videos: dict[str, Video]) -> Still:
    """A Still whose surface source names a landscape video of the catalog."""
    source = None
    if still["source"] is not None:
        source = videos.get(still["source"])
        where = f"{still['source_file']}: scene '{still['name']}': key 'source'"
        if source is None:
            raise SceneError(f"{where}: no video scene named {still['source']!r}")
        if source.layout != "landscape":
            raise SceneError(f"{where}: {still['source']!r} is not a landscape video")
    return Still(**{**still, "source": source})


def load_catalog(extra_files=()) -> dict:
    """Every scene by name: the course's, then each file's, a later definition replacing an earlier one."""
    videos, stills = {}, {}
    for path in [BUILTIN, *map(Path, extra_files)]:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise SceneError(f"{path}: cannot read: {getattr(error, 'strerror', None) or error}") from None
        shown = "tp1viz/scenes.toml" if path == BUILTIN else str(path)
        new_videos, new_stills = parse(text, shown)
        for name in new_videos:
            stills.pop(name, None)
        for name in new_stills:
            videos.pop(name, None)
        videos.update(new_videos)
        stills.update(new_stills)
    catalog = dict(videos)
    catalog.update({name: _resolve(still, videos) for name, still in stills.items()})
    return catalog

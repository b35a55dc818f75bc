"""Scenes as data: what to train and how to show it, read from TOML and validated strictly.

The course's scenes are in scenes.toml beside this file; `--scenes FILE` adds or replaces scenes from an
author's own file with the same schema. Nothing here imports torch.
"""

import re
import stat
import tomllib
from pathlib import Path

from . import rules, schema
from .kinds import STILLS, VIDEO_FORMATS, Note, Still, Variant, Video, canonical_formats
from .layouts import LAYOUTS
from .rules import RuleError

BUILTIN = Path(__file__).with_name("scenes.toml")
NAME = re.compile(r"[a-z0-9_]+")
STILL_FILE = re.compile(r"[a-z0-9_]+\.(png|jpe?g)")
DATASET_PARAMS, MODEL_PARAMS = rules.DATASETS, rules.MODELS  # each builder's keyword parameters and their rules
MAX_SCENE_FILE = 2**20  # bytes: a scene file is a few tables of text; anything larger is not one


class SceneError(ValueError):
    """A scene file that cannot be used; the message names the file, the scene and the key."""


# ---- validation: every key's type, rule and default from the schema (kinds.py declares them) -------------


def _typed(value, kind, where: str):
    """`value` as `kind`, or a SceneError; TOML integers are accepted where a number is expected."""
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise SceneError(f"{where}: expected {schema.article(kind)}, got {value!r}")
    return value


def _one_of(value, choices, where: str):
    if value not in choices:
        raise SceneError(f"{where}: {value!r} is not one of {', '.join(choices)}")
    return value


def _params(table, allowed: dict, where: str) -> dict:
    """Validate a table of builder parameters against their names and rules."""
    table = _typed(table, dict, where)
    checked = {}
    for key, value in table.items():
        if key not in allowed:
            raise SceneError(f"{where}.{key}: unknown key; known: {', '.join(allowed)}")
        try:
            checked[key] = allowed[key].check(value)
        except RuleError as error:
            raise SceneError(f"{where}.{key}: {error}") from None
    return checked


def _fields(table: dict, cls, where: str, name=lambda key: f": key '{key}'") -> dict:
    """A table checked against a scene class's keys (schema.py): no unknown key, every value of its type and in
    its range, defaults filled. A key with its own checks (`special`) is only typed here; its caller checks it."""
    known = schema.keys(cls)
    unknown = [key for key in table if key not in known]
    if unknown:
        raise SceneError(f"{where}{name(unknown[0])}: unknown key; known: {', '.join(known)}")
    checked = {}
    for key, (rule, default) in known.items():
        at = f"{where}{name(key)}"
        if key not in table:
            if default is schema.REQUIRED:
                raise SceneError(f"{at}: missing")
            checked[key] = default
            continue
        if rule.special is not None:
            checked[key] = _typed(table[key], rule.kind, at)
            continue
        try:
            checked[key] = schema.check(cls, key, table[key])
        except RuleError as error:
            raise SceneError(f"{at}: {error}") from None
    return checked


def _formats(values: list, where: str) -> tuple[str, ...]:
    for value in values:
        _one_of(_typed(value, str, where), VIDEO_FORMATS, where)
    return canonical_formats(values)


def _variants(items: list, scene: dict, where: str) -> tuple[Variant, ...]:
    at = f"{where}: key 'variants'"
    if LAYOUTS[scene["layout"]].runs == (1, 1):
        if items:
            several = ", ".join(name for name, layout in LAYOUTS.items() if layout.runs != (1, 1))
            raise SceneError(f"{at}: only a layout of several runs ({several}) has variants")
        return ()
    low, high = LAYOUTS[scene["layout"]].runs
    if not low <= len(items) <= high:
        raise SceneError(f"{at}: a {scene['layout']} layout needs {low} to {high} variants, got {len(items)}")
    variants = []
    for index, item in enumerate(items):
        checked = _fields(_typed(item, dict, f"{at}[{index}]"), Variant, f"{at}[{index}]")
        if checked["lr"] is not None and checked["limit_fraction"] is not None:
            raise SceneError(f"{at}[{index}]: give lr or limit_fraction, not both")
        if checked["limit_fraction"] is not None and scene["model"] != "linear":
            raise SceneError(f"{at}[{index}]: limit_fraction needs the linear model (its limit is 1 / mean(x²))")
        taken, key = [rules.label_key(variant.label) for variant in variants], rules.label_key(checked["label"])
        if key in taken:
            raise SceneError(f"{at}[{index}]: label {checked['label']!r} reads as variant {taken.index(key)}'s; "
                             "each panel needs its own")  # fmt: skip
        variants.append(Variant(**checked))
    return tuple(variants)


def _notes(items: list, scene: dict, at: str) -> tuple[Note, ...]:
    """An author's notes: each a caption (two lines of 42 characters at most) at a step in 0..steps, or at an
    event of the run (left out where there is none), unless the run has an event it must not be told beside."""
    from .words import fits

    notes, labels = [], [variant.label for variant in scene["variants"]]
    for index, item in enumerate(items):
        where = f"{at}[{index}]"
        item = _typed(item, dict, where)
        if "text" not in item or ("step" in item) == ("at" in item):
            raise SceneError(f'{where}: a note is {{ step = N, text = "..." }} or {{ at = "event", text = "..." }}')
        if isinstance(item.get("unless"), str):  # one kind, or an array of them
            item = {**item, "unless": [item["unless"]]}
        checked = _fields(item, Note, where, name=lambda key: f".{key}")
        if not fits(checked["text"]):
            raise SceneError(f"{where}.text: {checked['text']!r} does not fit a caption's two lines of 42 characters")
        if checked["step"] is not None and not 0 <= checked["step"] <= scene["steps"]:
            raise SceneError(f"{where}.step: {checked['step']} is not in 0..{scene['steps']} (the scene's steps)")
        kinds = schema.keys(Note)["at"][0].names()[:-1]  # the events a run can have ("end" is not one)
        checked["unless"] = tuple(_one_of(_typed(kind, str, f"{where}.unless"), kinds, f"{where}.unless")
                                  for kind in checked["unless"])  # fmt: skip
        if checked["run"] is not None and checked["run"] not in labels:
            raise SceneError(f"{where}.run: {checked['run']!r} is not the label of one of the scene's variants")
        if checked["panel"] == "landscape" and LAYOUTS[scene["layout"]].landscape is None:
            raise SceneError(f"{where}.panel: the {scene['layout']} layout draws no landscape")
        notes.append(Note(**checked))
    fixed = [note.step for note in notes if note.step is not None]
    if len(set(fixed)) < len(fixed):
        raise SceneError(f"{at}: two notes at one step; give each its own (they are read one after the other)")
    return tuple(notes)


def _video(name: str, table: dict, where: str, source_file: str) -> Video:
    checked = _fields(table, Video, where)
    checked["formats"] = _formats(checked["formats"], f"{where}: key 'formats'")
    checked["data"] = _params(checked["data"], DATASET_PARAMS[checked["dataset"]], f"{where}: key 'data'")
    sizes = MODEL_PARAMS[checked["model"]]
    checked["model_sizes"] = _params(checked["model_sizes"], sizes, f"{where}: key 'model_sizes'")
    checked["variants"] = _variants(checked["variants"], checked, where)
    checked["notes"] = _notes(checked["notes"], checked, f"{where}: key 'notes'")
    checked["loss_limits"] = _loss_limits(checked["loss_limits"], f"{where}: key 'loss_limits'")
    n_data = checked["data"].get("n_data", 100)
    for batch in [checked["batch_size"], *(v.batch_size for v in checked["variants"] if v.batch_size)]:
        if batch > n_data:
            raise SceneError(f"{where}: key 'batch_size': {batch} is more than the {n_data} data points")
    _check_held_out(checked, n_data, where)
    models = LAYOUTS[checked["layout"]].models
    if models and checked["model"] not in models:
        why = " (2 parameters)" if models == ("linear",) else ""
        raise SceneError(f"{where}: key 'layout': the {checked['layout']} layout needs the {' or '.join(models)} "
                         f"model{why}")  # fmt: skip
    video = Video(name=name, source_file=source_file, **checked)
    try:
        check_size(video)
    except RuleError as error:
        raise SceneError(f"{where}: key 'steps': {error}") from None
    return video


def _loss_limits(values: list, where: str) -> tuple[float, ...]:
    """[] (the axis follows the loss), or [low, high]: two positive numbers, low below high."""
    limits = tuple(_typed(value, float, where) for value in values)
    if limits and not (len(limits) == 2 and 0 < limits[0] < limits[1] <= 1e30):
        raise SceneError(f"{where}: expected [low, high], two numbers with 0 < low < high, got {list(values)!r}")
    return limits


def video_from_table(name: str, table: dict, where: str) -> Video:
    """A video scene from a table of its keys (a scene file's, or a manifest's record of one), checked as a file's."""
    return _video(name, table, where, where)


def _check_held_out(checked: dict, n_data: int, where: str) -> None:
    """A held-out split leaves points on both sides; a layout that scores the test points has both it needs."""
    held = round(checked["test_fraction"] * n_data)
    if checked["test_fraction"] and not 1 <= held < n_data:
        raise SceneError(f"{where}: key 'test_fraction': {checked['test_fraction']:g} of {n_data} points holds out "
                         f"{held}; leave at least one on each side")  # fmt: skip
    if checked["test_fraction"] and checked["batch_size"] > n_data - held:
        raise SceneError(f"{where}: key 'batch_size': {checked['batch_size']} is more than the {n_data - held} "
                         "training points")  # fmt: skip
    layout = LAYOUTS[checked["layout"]]
    if checked["tolerance"] is not None and not layout.held_out:
        raise SceneError(f"{where}: key 'tolerance': only a layout that scores held-out points reads it (train_test)")
    if checked["test_fraction"] and layout.runs[1] > 1:
        raise SceneError(f"{where}: key 'test_fraction': the {checked['layout']} layout draws no test loss")
    if layout.held_out:
        for key in ("test_fraction", "tolerance"):
            if not checked[key]:
                raise SceneError(f"{where}: key '{key}': missing (the {checked['layout']} layout scores held-out "
                                 "points)")  # fmt: skip


def check_size(video: Video) -> None:
    """RuleError if recording the video would take more memory than a render may (after overrides too)."""
    n_data = video.data.get("n_data", 100)
    parameters = rules.parameter_count(video.model, video.model_sizes)
    rules.check_recording_size(video.steps, n_data, parameters, max(1, len(video.variants)))


def _still(name: str, table: dict, where: str, source_file: str) -> dict:
    checked = _fields(table, Still, where)
    if checked["file"] is not None and not STILL_FILE.fullmatch(checked["file"]):
        raise SceneError(f"{where}: key 'file': {checked['file']!r} is not a file name like name.png or name.jpeg "
                         "([a-z0-9_] only)")  # fmt: skip
    if checked["layout"] == "data" and checked["dataset"] is None:
        raise SceneError(f"{where}: key 'dataset': missing (a data still scatters a data set)")
    if checked["layout"] == "surface" and checked["source"] is None:
        raise SceneError(f"{where}: key 'source': missing (a surface still draws a landscape video's run)")
    for key, layout in (("source", "surface"), ("sources", "network")):
        if checked[key] and checked["layout"] != layout:
            raise SceneError(f"{where}: key '{key}': only a {layout} still draws other scenes' runs this way")
    if checked["layout"] == "network" and not 1 <= len(checked["sources"]) <= 3:
        raise SceneError(f"{where}: key 'sources': a network still draws the nets of 1 to 3 video scenes")
    for index, source in enumerate(checked["sources"]):
        _typed(source, str, f"{where}: key 'sources'[{index}]")
        if source in checked["sources"][:index]:
            raise SceneError(f"{where}: key 'sources'[{index}]: {source!r} is drawn already")
    if checked["layout"] in ("surface", "network"):
        for key in ("dataset", "data", "seed"):
            if key in table:
                raise SceneError(f"{where}: key '{key}': a {checked['layout']} still draws the runs of other scenes, "
                                 "with their data and seed; it has none of its own")  # fmt: skip
    if checked["dataset"]:
        checked["data"] = _params(checked["data"], DATASET_PARAMS[checked["dataset"]], f"{where}: key 'data'")
    return checked | {"name": name, "source_file": source_file}


def parse(text: str, source_file: str) -> tuple[dict[str, Video], dict[str, dict]]:
    """The videos of a TOML text, and its stills as checked fields (their sources resolve later)."""
    try:
        tables = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SceneError(f"{source_file}: not valid TOML: {error}") from None
    except RecursionError:  # tomllib reads nested arrays by recursion
        raise SceneError(f"{source_file}: not valid TOML: nested too deeply") from None
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


def _not_a_video(name: str, stills: dict) -> str:
    """Why a scene named as a source is no video: there is none, or it is a still (say where it became one)."""
    if name in stills:
        return f"{name!r} is a still ({stills[name]['source_file']}), not a video scene"
    return f"no video scene named {name!r}"


def _resolve(still: dict, videos: dict[str, Video], stills: dict) -> Still:
    """A Still whose surface source names a landscape video of the catalog."""
    source = None
    if still["source"] is not None:
        source = videos.get(still["source"])
        where = f"{still['source_file']}: scene '{still['name']}': key 'source'"
        if source is None:
            raise SceneError(f"{where}: {_not_a_video(still['source'], stills)}")
        if source.landscape != "exact":
            raise SceneError(f"{where}: {still['source']!r} ({source.source_file}) is not a landscape video")
    sources = []
    for index, name in enumerate(still["sources"]):
        video = videos.get(name)
        where = f"{still['source_file']}: scene '{still['name']}': key 'sources'[{index}]"
        if video is None:
            raise SceneError(f"{where}: {_not_a_video(name, stills)}")
        if video.variants:
            raise SceneError(f"{where}: {name!r} trains {len(video.variants)} nets; a diagram draws one")
        sources.append(video)
    return STILLS[still["layout"]](**{**still, "source": source, "sources": tuple(sources)})


def read_scene_file(path: Path) -> str:
    """The text of a scene file: a regular file of sane size, in UTF-8 (not a device, a pipe or a folder)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise SceneError(f"{path}: not a regular file")
        if info.st_size > MAX_SCENE_FILE:
            raise SceneError(f"{path}: {info.st_size} bytes; a scene file is at most {MAX_SCENE_FILE} bytes")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SceneError(f"{path}: cannot read: {getattr(error, 'strerror', None) or error}") from None


def check_unique_files(catalog: dict) -> None:
    """Two scenes may not write the same file: each render would overwrite the other's, and never settle."""
    owners = {}
    for scene in catalog.values():
        for output in scene.outputs(Path(".")):
            other = owners.setdefault(output.path, scene)
            if other is not scene:
                raise SceneError(f"{scene.source_file}: scene '{scene.name}': writes {output.path.as_posix()}, "
                                 f"as scene '{other.name}' ({other.source_file}) does")  # fmt: skip


def load_catalog(extra_files=()) -> dict:
    """Every scene by name: the course's, then each file's, a later definition replacing an earlier one."""
    videos, stills = {}, {}
    for path in [BUILTIN, *map(Path, extra_files)]:
        text = read_scene_file(Path(path))
        shown = "tp1viz/scenes.toml" if path == BUILTIN else str(path)
        new_videos, new_stills = parse(text, shown)
        for name in new_videos:
            stills.pop(name, None)
        for name in new_stills:
            videos.pop(name, None)
        videos.update(new_videos)
        stills.update(new_stills)
    catalog = dict(videos)
    catalog.update({name: _resolve(still, videos, stills) for name, still in stills.items()})
    check_unique_files(catalog)
    return catalog


def key_table() -> str:
    """Every key a scene file may hold, as the docs' table (docs/pages/scenes.md): from the schema."""
    kind = ("`kind`", "`video` \\| `still`", "required", "what the scene makes", "")
    return schema.markdown_table(Video, Still, Variant, Note, first=(kind,))


if __name__ == "__main__":  # `python -m tp1viz.scenes`: the key table of docs/pages/scenes.md
    print(key_table())

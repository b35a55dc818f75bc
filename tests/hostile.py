"""Hostile media folders for the tests: tiny scenes of every layout, rendered once, and ways to break them.

A media folder someone shares may hold anything: recordings whose arrays declare any shape or kind, a meta
that is a list, a manifest of any JSON, tp1viz's own entries (.tp1viz/lock, claims, commits) of any type.
"""

import hashlib
import io
import json
import math
import shutil
import zipfile
from pathlib import Path

import numpy as np
from conftest import made_once, run
from hypothesis import strategies as st

TINY = (
    """
[tiny]
kind = "video"
title = "tiny"
dataset = "linear"
model = "linear"
lr = 0.005
notes = [{ step = 2, text = "a note" }]
{common}
[tiny_land]
kind = "video"
title = "tiny landscape"
layout = "landscape"
dataset = "linear"
model = "linear"
lr = 0.005
{common}
[tiny_pca]
kind = "video"
title = "tiny plane"
layout = "landscape_pca"
dataset = "pow"
model = "mlp"
model_sizes = {{ n_hidden = 3 }}
lr = 0.5
{common}
[tiny_pieces]
kind = "video"
title = "tiny pieces"
layout = "relu_pieces"
dataset = "pow"
model = "mlp"
model_sizes = {{ n_hidden = 3 }}
lr = 0.5
{common}
[tiny_test]
kind = "video"
title = "tiny test"
layout = "train_test"
dataset = "linear"
model = "linear"
test_fraction = 0.3
tolerance = 2.0
lr = 0.005
{common}
[tiny_cmp]
kind = "video"
title = "tiny compare"
layout = "compare"
dataset = "linear"
model = "linear"
lr = 0.005
variants = [{{ label = "a", lr = 0.001 }}, {{ label = "b", lr = 0.01 }}]
{common}
""".replace("{common}", "steps = 6\nsize = 64\nfps = 5\nhold = 0.2\n")
    .replace("{{", "{")
    .replace("}}", "}")
)
NAMES = ["tiny", "tiny_land", "tiny_pca", "tiny_pieces", "tiny_test", "tiny_cmp"]


def render_tiny(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "tiny.toml").write_text(TINY)
    result = run("render", *NAMES, "--scenes", folder / "tiny.toml", "--out", folder / "media", "-q")
    assert result.exit_code == 0, result.output


def tiny_folder(tmp_path_factory) -> Path:
    """The tiny scenes rendered once for the run: FOLDER/tiny.toml and FOLDER/media. Copy it to change it."""
    return made_once(tmp_path_factory, "tiny", render_tiny)


def render_tiny_larger(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "tiny.toml").write_text(TINY)
    result = run("render", "tiny", "--size", 96, "--scenes", folder / "tiny.toml", "--out", folder / "media", "-q")
    assert result.exit_code == 0, result.output


def tiny_larger(tmp_path_factory) -> Path:
    """The scene tiny rendered once at 96 px: a folder whose tiny differs from the tiny folder's. Do not change it."""
    return made_once(tmp_path_factory, "tiny_larger", render_tiny_larger)


def copy_of(base: Path, where: Path) -> tuple[Path, Path]:
    """A copy of the tiny folder: (its scene file, its media)."""
    shutil.copytree(base, where)
    return where / "tiny.toml", where / "media"


# ---- recordings -------------------------------------------------------------------------------------


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_members(path: Path, contents: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def npy_header(shape: tuple, descr: str, data: bytes = b"") -> bytes:
    """A .npy whose header declares anything (a shape of 2**40 values, an object array), and `data` after it."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue() + data


def vouch(media: Path, relative: str) -> None:
    """Make the manifest vouch for the file as it now is: a crafted file whose checksum matches, as an attacker
    with the folder would leave it."""
    manifest = json.loads((media / "manifest.json").read_text())
    data = (media / relative).read_bytes()
    manifest["outputs"][relative].update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    (media / "manifest.json").write_text(json.dumps(manifest))


SPECIAL = st.sampled_from([math.nan, math.inf, -math.inf, -1.0, 0.0, 1e30, 3e38, 1e300, -1e300, 2.0**64])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
SHAPES = st.lists(st.sampled_from([0, 1, 2, 3, 7, 8, 13, 2**40]), max_size=3).map(tuple)
DESCRS = st.sampled_from(["<f4", "<f8", ">f8", "<i8", "|u1", "|b1", "<c8", "<U5", "|O", "|V8", "<f2"])
META_PATHS = [("meta",), ("meta", "run"), ("meta", "run", "label"), ("meta", "run", "lr"), ("meta", "loss"),
              ("landscape",), ("landscape", "kind"), ("landscape", "labels"), ("landscape", "explained"),
              ("landscape", "minimum"), ("events",), ("events", 0), ("events", 0, "step"), ("events", 0, "run"),
              ("events", 0, "text"), ("events", 0, "kind"), ()]  # fmt: skip


@st.composite
def broken_recording(draw, original: dict[str, bytes]) -> tuple[str, dict[str, bytes] | bytes]:
    """One way to break a recording: what was done, and the new members (or the file's new bytes)."""
    names = sorted(original)
    # Values and meta fields most often: the breakages that pass for a recording's form and reach the drawing.
    how = draw(
        st.sampled_from(["values"] * 5 + ["meta"] * 4 + ["drop", "array", "header", "bytes", "truncate", "steps"])
    )
    arrays = [name for name in names if not name.endswith("meta.npy")]
    others = ["0.snapshot_steps.npy", "1.x.npy", "0.bogus.npy", "9.loss.npy", "x"]
    name = draw(st.sampled_from(arrays if how == "values" else [*names, *others]))
    contents = dict(original)
    if how == "bytes":
        return how, draw(st.binary(max_size=64))
    if how == "truncate":
        whole = b"".join(original.values())
        return how, whole[: draw(st.integers(0, len(whole)))]
    if how == "drop":
        contents.pop(name, None)
    elif how == "array":
        shape = draw(st.lists(st.integers(0, 9), max_size=3).map(tuple))
        kind = draw(st.sampled_from(["<f4", "<f8", "<i8", "|b1", "<U3"]))
        contents[name] = npy(np.zeros(shape, kind))
    elif how == "header":
        contents[name] = npy_header(draw(SHAPES), draw(DESCRS), draw(st.binary(max_size=16)))
    elif how == "values" and name in original and not name.endswith("meta.npy"):
        kind = np.load(io.BytesIO(original[name])).dtype
        array = np.load(io.BytesIO(original[name])).astype(np.float64)
        where = draw(st.sampled_from(["one", "all", "scale", "reverse", "retype"]))
        if where == "one" and array.size:
            array.flat[draw(st.integers(0, array.size - 1))] = draw(SPECIAL)
        elif where == "all":
            array[...] = draw(SPECIAL | st.floats(-1e6, 1e6))
        elif where == "scale":
            array = array * draw(st.sampled_from([-1.0, 0.0, 1e-300, 1e12, 1e30]))
        elif where == "reverse":
            array = array[::-1].copy()
        else:
            kind = np.dtype(draw(st.sampled_from(["<f2", ">f8", "<i8", "|b1", "|u1"])))
        with np.errstate(all="ignore"):
            contents[name] = npy(array.astype(kind))
    elif how == "steps":
        contents["0.snapshot_steps.npy"] = npy(np.array(draw(st.lists(st.integers(-3, 12), max_size=9)), np.int64))
    else:  # meta: a field set to any JSON value, or the whole meta replaced
        run = name.split(".")[0] if name.split(".")[0].isdigit() else "0"
        described = json.loads(str(np.load(io.BytesIO(original.get(f"{run}.meta.npy", original["0.meta.npy"])))))
        path, value = draw(st.sampled_from(META_PATHS)), draw(JSON)
        described = set_at(described, path, value)
        contents[f"{run}.meta.npy"] = npy(np.array(json.dumps(described)))
    return f"{how} {name}", contents


def set_at(tree, path: tuple, value):
    """`tree` with the value at `path` replaced (where the path leads anywhere)."""
    if not path:
        return value
    head, *rest = path
    if isinstance(tree, dict) or isinstance(tree, list) and isinstance(head, int) and head < len(tree):
        tree[head] = set_at(tree[head], tuple(rest), value) if rest and _has(tree, head) else value
    return tree


def _has(tree, key) -> bool:
    return key in tree if isinstance(tree, dict) else key < len(tree)


# ---- whole folders ---------------------------------------------------------------------------------------

STATE_ENTRIES = [".tp1viz/lock", ".tp1viz/claims", ".tp1viz/commits", ".tp1viz/rejected",
                 ".tp1viz/claims/0123456789abcdef", ".tp1viz/commits/0123456789abcdef-tiny.json",
                 ".tp1viz/commits/x.json", "manifest.json", "videos", "trajectories", "videos/tiny.mp4",
                 "trajectories/tiny.npz", "review"]  # fmt: skip
ENTRY_KINDS = ["file", "folder", "fifo", "link", "garbage", "record"]
MANIFEST_FIELDS = ["path", "sha256", "bytes", "fingerprint", "recording", "versions", "fps", "frames", "scene",
                   "final_loss", "events", "kind", "width"]  # fmt: skip


@st.composite
def broken_folder(draw, media: Path) -> list:
    """A few ways to break a media folder (as `media` holds it) at once: its recordings, its manifest, tp1viz's own
    entries."""
    breakages = []
    for _ in range(draw(st.integers(1, 3))):
        what = draw(st.sampled_from(["recording", "recording", "manifest", "entry"]))
        if what == "recording":
            name = draw(st.sampled_from(NAMES))
            how, broken = draw(broken_recording(members(media / "trajectories" / f"{name}.npz")))
            breakages.append(("recording", name, (how, broken), draw(st.booleans())))
        elif what == "manifest":
            where = draw(st.sampled_from(["top", "outputs", "entry", "field", "bytes"]))
            field = draw(st.sampled_from(MANIFEST_FIELDS))
            value = draw(JSON | st.sampled_from([math.nan, math.inf]) | st.binary(max_size=12))
            breakages.append(("manifest", where, field, value))
        else:
            breakages.append(("entry", draw(st.sampled_from(STATE_ENTRIES)), draw(st.sampled_from(ENTRY_KINDS)),
                              draw(JSON)))  # fmt: skip
    return breakages


def break_folder(media: Path, breakages: list, elsewhere: Path) -> list[str]:
    """Apply the breakages; what was done, for the report."""
    done = []
    for breakage in breakages:
        if breakage[0] == "recording":
            _, name, (how, broken), vouched = breakage
            path = media / "trajectories" / f"{name}.npz"
            if not path.is_file() or path.is_symlink():
                continue
            path.write_bytes(broken) if isinstance(broken, bytes) else write_members(path, broken)
            if vouched and (media / "manifest.json").is_file() and not (media / "manifest.json").is_symlink():
                try:
                    vouch(media, f"trajectories/{name}.npz")
                except (ValueError, KeyError, TypeError, AttributeError, IndexError):
                    pass  # the manifest is broken already
            done.append(f"{name}.npz: {how}{' (vouched)' if vouched else ''}")
        elif breakage[0] == "manifest":
            done.append(break_manifest(media, *breakage[1:]))
        else:
            done.append(break_entry(media, *breakage[1:], elsewhere))
    return done


def break_manifest(media: Path, where: str, field: str, value) -> str:
    path = media / "manifest.json"
    if not path.is_file() or path.is_symlink():
        return "manifest: not a file already"
    if where == "bytes":
        path.write_bytes(value if isinstance(value, bytes) else json.dumps(value).encode()[:7])
        return f"manifest bytes {value!r}"
    value = value.decode("latin-1") if isinstance(value, bytes) else value
    try:
        manifest = json.loads(path.read_text())
        entry = manifest["outputs"]["trajectories/tiny.npz"]
        entry["path"]  # noqa: B018 -- an entry that is a table
    except (ValueError, KeyError, TypeError, IndexError):
        return "manifest: broken already"
    if where == "top":
        manifest = value
    elif where == "outputs":
        manifest["outputs"] = value
    elif where == "entry":
        manifest["outputs"]["trajectories/tiny.npz"] = value
    else:
        entry[field] = value
    path.write_text(json.dumps(manifest))  # NaN written as NaN: JSON readers disagree on it
    return f"manifest {where} {field} = {value!r}"


def break_entry(media: Path, relative: str, kind: str, value, elsewhere: Path) -> str:
    import os

    path = media / relative
    if path.parent.is_symlink() or not path.parent.is_dir():
        return f"{relative}: its folder is broken already"
    if path.is_symlink() or path.is_file() or path.exists() and not path.is_dir():
        path.unlink()
    elif path.is_dir():
        try:
            shutil.copytree(path, elsewhere / relative.replace("/", "_"), symlinks=True, dirs_exist_ok=True)
        except shutil.Error:
            pass  # a FIFO in it, made by an earlier breakage
        shutil.rmtree(path)
    if kind == "file":
        path.write_text("plain text")
    elif kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "link":
        path.symlink_to(elsewhere / relative.replace("/", "_"))
    elif kind == "garbage":
        path.write_bytes(json.dumps(value).encode())
    else:  # a record-like JSON of any content
        path.write_text(json.dumps({"moves": value, "entries": value}))
    return f"{relative} is a {kind}"

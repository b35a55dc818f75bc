"""A recording from a shared media folder is checked before it is trusted: generated broken recordings are
refused with one line naming the file (BadRecording), or they draw like any recording. Never a traceback."""

import shutil
import zipfile

import numpy as np
import pytest
from hostile import NAMES, broken_recording, members, npy, npy_header, tiny_folder, write_members
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from tp1viz.review import story_steps
from tp1viz.runs import Runs
from tp1viz.scenes import load_catalog
from tp1viz.trajectory import BadRecording, load_runs


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """(the tiny scenes by name, the folder they were rendered into)."""
    base = tiny_folder(tmp_path_factory)
    return load_catalog([base / "tiny.toml"]), base / "media"


def draw_everything(scene, runs) -> None:
    """What render, frames, sheet and review do with a scene's runs: every frame, the captions, the sheet's steps."""
    animation = scene.animation(runs)
    for _ in animation.frames():
        pass
    animation.draw_step(runs[0].steps)
    scene.story(runs)
    story_steps(runs, 12)


SETTINGS = settings(max_examples=int(__import__("os").environ.get("HOSTILE_EXAMPLES", 40)), deadline=None,
                    derandomize=not __import__("os").environ.get("HOSTILE_EXAMPLES"),
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip


@SETTINGS
@given(data=st.data(), name=st.sampled_from(NAMES))
def test_a_broken_recording_is_refused_in_one_line_or_draws(tiny, tmp_path_factory, data, name):
    catalog, media = tiny
    scene = catalog[name]
    original = members(scene.trajectory_path(media))
    how, broken = data.draw(broken_recording(original))
    note(how)
    folder = tmp_path_factory.mktemp("broken")
    path = scene.trajectory_path(folder)
    path.parent.mkdir()
    if isinstance(broken, bytes):
        path.write_bytes(broken)
    else:
        write_members(path, broken)
    try:
        runs = Runs(folder, reuse="any").of(scene)
    except BadRecording as error:
        message = str(error)
        assert message.startswith(f"{path} ") and "\n" not in message, message
        event(f"refused: {how.split()[0]}")
        return
    event(f"drawn: {how.split()[0]}")
    draw_everything(scene, runs)


@pytest.mark.parametrize(
    "member, data, message",
    [
        ("0.loss.npy", npy_header((2**40,), "<f8"), "0.loss.npy: declares shape (1099511627776,) of float64"),
        ("0.pred.npy", npy_header((7, 2**40), "<f4"), "0.pred.npy: declares shape (7, 1099511627776)"),
        ("0.loss.npy", npy_header((7,), "|O", b"\x80\x04"), "0.loss.npy: holds object values"),
        ("0.meta.npy", npy(np.array('["a", "list"]')), 'meta is not {"meta": {...}, ...}'),
        ("0.meta.npy", npy(np.array('"a string"')), 'meta is not {"meta": {...}, ...}'),
        ("0.meta.npy", npy(np.array("[" * 5000 + "]" * 5000)), "meta is not JSON (RecursionError)"),
        ("0.x.npy", npy(np.zeros(3, np.float32)), "y has shape (100,), its run needs (3,)"),
        ("0.loss.npy", npy(np.array([1.0, -2.0, 3.0, 4.0, 5.0, 6.0, 7.0])), "loss holds a negative loss"),
        ("0.x.npy", npy(np.full(100, np.nan, np.float32)), "x holds values that are not finite"),
        ("0.evil.npy", npy(np.zeros(1)), "member '0.evil.npy' is none of a recording's"),
    ],
)
def test_each_crafted_member_is_named_before_anything_is_allocated(tmp_path, member, data, message):
    path = tmp_path / "tiny.npz"
    shutil.copy(__import__("conftest").ROOT / "media" / "trajectories" / "linear_sgd.npz", path)
    write_members(path, members(path) | {member: data})
    with pytest.raises(BadRecording) as refused:
        load_runs(path)
    assert str(refused.value).startswith(f"{path} is not a recording tp1viz can read: ")
    assert message in str(refused.value), str(refused.value)


def test_a_recording_that_is_not_a_regular_file_is_not_opened(tmp_path):
    import os

    os.mkfifo(tmp_path / "fifo.npz")  # opening it for reading would wait for a writer forever
    (tmp_path / "link.npz").symlink_to(__import__("conftest").ROOT / "media" / "trajectories" / "linear_sgd.npz")
    (tmp_path / "folder.npz").mkdir()
    for name, what in (("fifo", "a FIFO, not a file"), ("link", "a symbolic link"), ("folder", "a folder, not a file")):
        with pytest.raises(BadRecording, match=what):
            load_runs(tmp_path / f"{name}.npz")


def test_a_zip_that_declares_a_huge_directory_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "many.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for index in range(600):
            archive.writestr(f"0.x{index}.npy", b"")
    with pytest.raises(BadRecording, match="its zip directory declares 600 members"):
        load_runs(path)

"""What a commit leaves on disk (commit.py), on a media folder made by the test: every new file in place and in the
manifest, or none of them; a killed commit's record finished, a crafted one kept aside, each with the line that says
so (docs/pages/mutation.md: the mutants they kill)."""

import hashlib
import json
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from tp1viz import commit, folder
from tp1viz.commit import BadRecord, Refused, Unfinished
from tp1viz.files import BadFile

TOKEN = "0123456789abcdef"
OUTPUTS = ("tp_a.png", "videos/tp_a.jpg")


def temp_of(target: str, token: str = TOKEN) -> str:
    """The temporary file a render of `token` writes `target` as (files.TEMP)."""
    path = Path(target)
    return (path.parent / f".{path.name}.tp1viz-{token}-01234567{path.suffix}").as_posix()


def scene(outputs=OUTPUTS, name="tp_a"):
    """A scene as commit() reads it: its name, what describes it, and the outputs it writes."""

    def outputs_in(out_dir):
        return [SimpleNamespace(path=Path(out_dir) / relative) for relative in outputs]

    on_disk = SimpleNamespace(outputs=outputs_in)
    return SimpleNamespace(name=name, describe=lambda: {"title": name}, with_formats_on_disk=lambda out_dir: on_disk)


def drawn(media: Path, contents: dict, the_scene=None, token=TOKEN):
    """A scene drawn into temporary files of TOKEN's render, one a target in `contents`, ready to commit."""
    files = []
    for relative, data in contents.items():
        temp = media / temp_of(relative, token)
        temp.parent.mkdir(parents=True, exist_ok=True)
        temp.write_bytes(data)
        output = SimpleNamespace(path=media / relative, kind="still", width=8, height=8, fps=None, frames=1)
        files.append(SimpleNamespace(temp=temp, output=output, sha256=hashlib.sha256(data).hexdigest(),
                                     bytes=len(data)))  # fmt: skip
    return SimpleNamespace(files=files, scene=the_scene or scene(), final_loss=0.5, diverged_at=None)


@pytest.fixture
def media(tmp_path) -> Path:
    (tmp_path / "media" / "videos").mkdir(parents=True)
    return tmp_path / "media"


def manifest(media: Path) -> dict:
    return json.loads((media / "manifest.json").read_text())["outputs"]


def records(media: Path) -> list[str]:
    commits = media / folder.COMMITS
    return sorted(path.name for path in commits.iterdir()) if commits.exists() else []


def test_a_commit_puts_every_new_file_in_place_and_in_the_manifest_and_leaves_no_record(media):
    (media / "tp_a.png").write_bytes(b"old")
    (media / "manifest.json").write_text(json.dumps({"outputs": {"gone.png": {"path": "gone.png"}}}))
    commit.commit(media, drawn(media, {"tp_a.png": b"new picture", "videos/tp_a.jpg": b"poster"}), TOKEN)
    assert (media / "tp_a.png").read_bytes() == b"new picture" and (media / "videos/tp_a.jpg").read_bytes() == b"poster"
    entries = manifest(media)
    assert sorted(entries) == ["tp_a.png", "videos/tp_a.jpg"]  # the entry of a file that is gone is dropped
    assert entries["tp_a.png"]["sha256"] == hashlib.sha256(b"new picture").hexdigest()
    assert entries["tp_a.png"]["bytes"] == 11 and entries["tp_a.png"]["path"] == "tp_a.png"
    assert records(media) == [] and not list(media.rglob(".*tp1viz-*"))  # no record, no temporary file


@pytest.mark.parametrize(
    ("breaking", "message"),
    [(lambda media: (media / "videos/tp_a.jpg").mkdir(),
      "videos/tp_a.jpg is a folder, not a file; move it away; nothing was replaced"),
     (lambda media: (media / temp_of("tp_a.png")).unlink(),
      "its new tp_a.png is gone (removed by hand?); nothing was replaced"),
     (lambda media: (media / "manifest.json").mkdir(), "cannot read "),
     (lambda media: (media / "manifest.json").symlink_to("/etc/hostname"), "cannot read "),
     (lambda media: (media / "tp_a.webm").write_bytes(b"another render's"),
      "another render wrote tp_a.webm while this one drew (another --format?); nothing was replaced: render it again")],
)  # fmt: skip
def test_a_commit_that_could_not_finish_is_refused_before_anything_moves(media, breaking, message):
    (media / "tp_a.png").write_bytes(b"old")
    the_scene = scene(outputs=("tp_a.png", "videos/tp_a.jpg", "tp_a.webm"))
    new = drawn(media, {"tp_a.png": b"new", "videos/tp_a.jpg": b"poster"}, the_scene)
    breaking(media)
    with pytest.raises(Refused) as refused:
        commit.commit(media, new, TOKEN)
    assert message in str(refused.value)
    assert str(refused.value).endswith("nothing was replaced") or "render it again" in str(refused.value)
    assert (media / "tp_a.png").read_bytes() == b"old" and records(media) == []
    assert not os.path.isfile(media / "manifest.json") or os.path.islink(media / "manifest.json")  # none written


def test_a_commit_refuses_a_folder_it_cannot_write_in(media, monkeypatch):
    new = drawn(media, {"tp_a.png": b"new", "videos/tp_a.jpg": b"poster"})
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path).name != "videos")  # as root, nothing is refused
    with pytest.raises(Refused, match=r"cannot write in .*/videos \(permission denied\); nothing was replaced"):
        commit.commit(media, new, TOKEN)
    monkeypatch.setattr(os, "access", lambda path, mode: mode != os.W_OK | os.X_OK)
    with pytest.raises(Refused, match="cannot write in"):
        commit.commit(media, new, TOKEN)


def test_a_render_killed_after_its_record_is_written_is_finished_by_the_next(media, monkeypatch):
    def killed(*args):
        raise SystemExit("killed between the record and the renames")

    monkeypatch.setattr(commit, "finish", killed)
    with pytest.raises(SystemExit):
        commit.commit(media, drawn(media, {"tp_a.png": b"new", "videos/tp_a.jpg": b"poster"}), TOKEN)
    assert records(media) == [f"{TOKEN}-tp_a.json"] and not (media / "tp_a.png").exists()
    monkeypatch.undo()
    assert commit.roll_forward(media, "fedcba9876543210", is_output) == (["tp_a"], [])
    assert (media / "tp_a.png").read_bytes() == b"new" and sorted(manifest(media)) == sorted(OUTPUTS)
    assert manifest(media)["videos/tp_a.jpg"]["sha256"] == hashlib.sha256(b"poster").hexdigest()


def test_a_manifest_that_cannot_be_read_refuses_the_commit_saying_why(media, monkeypatch):
    new = drawn(media, {"tp_a.png": b"new", "videos/tp_a.jpg": b"poster"})
    (media / "manifest.json").mkdir()
    with pytest.raises(Refused) as refused:
        commit.commit(media, new, TOKEN)
    assert str(refused.value) == (f"cannot read {media / 'manifest.json'}: {media / 'manifest.json'} is a folder, not "
                                  "a file; move it away; nothing was replaced")  # fmt: skip
    (media / "manifest.json").rmdir()

    def failing(out_dir):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(folder, "read_raw", failing)
    with pytest.raises(Refused) as refused:
        commit.commit(media, new, TOKEN)
    assert str(refused.value) == f"cannot read {media / 'manifest.json'}: Input/output error; nothing was replaced"


def test_a_rename_that_fails_after_the_checks_leaves_the_old_file_and_its_entry_and_says_which(media, monkeypatch):
    (media / "tp_a.png").write_bytes(b"old")
    old = {"path": "tp_a.png", "sha256": hashlib.sha256(b"old").hexdigest(), "bytes": 3, "fingerprint": "before"}
    (media / "manifest.json").write_text(json.dumps({"outputs": {"tp_a.png": old}}))
    rename = commit.replace

    def failing(temp, target):
        if Path(target).name == "tp_a.png":
            raise OSError(5, "Input/output error")
        rename(temp, target)

    monkeypatch.setattr(commit, "replace", failing)
    with pytest.raises(Unfinished) as unfinished:
        commit.commit(media, drawn(media, {"tp_a.png": b"new", "videos/tp_a.jpg": b"poster"}), TOKEN)
    assert str(unfinished.value) == ("could not replace tp_a.png (Input/output error); 1 of its 2 files are new, and "
                                     "manifest.json says which: render it again")  # fmt: skip
    assert manifest(media)["tp_a.png"] == old and manifest(media)["videos/tp_a.jpg"]["bytes"] == 6
    assert records(media) == []
    monkeypatch.setattr(commit, "replace", lambda temp, target: failing(temp, "tp_a.png"))
    with pytest.raises(Unfinished) as unfinished:
        commit.commit(media, drawn(media, {"tp_a.png": b"new", "videos/tp_a.jpg": b"poster"}), TOKEN)
    assert str(unfinished.value).startswith("could not replace tp_a.png (Input/output error), videos/tp_a.jpg "
                                            "(Input/output error); 0 of its 2 files are new")  # fmt: skip


def own_record(media: Path, contents: dict, name="tp_a", token=TOKEN) -> Path:
    """What a render killed between its record and its renames leaves: the temporary files and the record."""
    new = drawn(media, contents, token=token)
    moves = [[temp_of(relative, token), relative] for relative in contents]
    entries = {relative: {"path": relative, "sha256": new_file.sha256, "bytes": new_file.bytes, "fingerprint": "f"}
               for relative, new_file in zip(contents, new.files, strict=True)}  # fmt: skip
    record = media / folder.COMMITS / f"{token}-{name}.json"
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps({"moves": moves, "entries": entries}))
    return record


def is_output(target, scene_name):
    return scene_name == "tp_a" and target in OUTPUTS


def test_a_killed_commit_is_finished_by_the_next_render_and_a_crafted_record_kept_aside(media):
    own_record(media, {"tp_a.png": b"new", "videos/tp_a.jpg": b"poster"})
    (media / folder.COMMITS / f".{TOKEN}-tp_a.json.tp1viz-{TOKEN}-01234567.json").write_text("{")  # being written
    (media / folder.COMMITS / "notes.txt").write_text("not a record")
    (media / folder.COMMITS / f"{TOKEN}-aa.json").write_text('{"moves": [], "entries": {}}')
    finished, notices = commit.roll_forward(media, "fedcba9876543210", is_output)
    assert finished == ["tp_a"]
    assert (media / "tp_a.png").read_bytes() == b"new" and sorted(manifest(media)) == sorted(OUTPUTS)
    (notice,) = notices
    assert notice.startswith(f".tp1viz/commits/{TOKEN}-aa.json is not a commit tp1viz made (its moves are not pairs "
                             f"of paths); kept aside as .tp1viz/rejected/{TOKEN}-aa.json.")  # fmt: skip
    assert notice.endswith(", nothing renamed")
    assert records(media) == [f".{TOKEN}-tp_a.json.tp1viz-{TOKEN}-01234567.json", "notes.txt"]
    (aside,) = (media / folder.REJECTED).iterdir()
    assert aside.read_text() == '{"moves": [], "entries": {}}' and re.fullmatch(
        rf"{TOKEN}-aa\.json\.[0-9a-f]{{8}}", aside.name
    )
    assert notice.endswith(f"kept aside as .tp1viz/rejected/{aside.name}, nothing renamed")
    assert commit.roll_forward(media, TOKEN, is_output) == ([], [])  # done: nothing left to finish
    crafted(media, {"moves": [], "entries": {}}, f"{TOKEN}-yy.json")
    (notice,) = commit.roll_forward(media, TOKEN, is_output)[1]  # a second one, beside the first
    assert f"kept aside as .tp1viz/rejected/{TOKEN}-yy.json." in notice and len(list(aside.parent.iterdir())) == 2
    assert commit.roll_forward(media / "videos", TOKEN, is_output) == ([], [])  # no records at all


def test_a_killed_commit_that_cannot_be_finished_whole_says_so(media, monkeypatch):
    own_record(media, {"tp_a.png": b"new", "videos/tp_a.jpg": b"poster"})

    def failing(temp, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(commit, "replace", failing)
    finished, notices = commit.roll_forward(media, TOKEN, is_output)
    assert finished == ["tp_a"] and notices == [
        "tp_a: the commit a killed render left could not replace tp_a.png (No space left on device), videos/tp_a.jpg "
        "(No space left on device); manifest.json says which files are new"]  # fmt: skip


def test_finishing_a_commit_twice_is_finishing_it_once(media):
    record = own_record(media, {"tp_a.png": b"new", "videos/tp_a.jpg": b"poster"})
    _, moves, entries = commit.read_record(media, record, is_output)
    assert commit.finish(media, record, moves, entries, TOKEN) == []
    assert commit.finish(media, record, moves, entries, TOKEN) == []  # the renames, and the record, are gone
    assert (media / "tp_a.png").read_bytes() == b"new" and sorted(manifest(media)) == sorted(OUTPUTS)
    assert not record.exists()


def test_a_move_is_ours_only_from_our_temporary_file_beside_its_target_inside_the_folder():
    assert commit.is_own_move(temp_of("videos/a.mp4"), "videos/a.mp4", TOKEN)
    assert commit.is_own_move(temp_of("videos/a.mp4"), "videos/a.mp4")  # any render's, when no token is asked
    assert not commit.is_own_move(temp_of("videos/a.mp4", "fedcba9876543210"), "videos/a.mp4", TOKEN)
    assert not commit.is_own_move(temp_of("videos/a.mp4"), "videos/b.mp4", TOKEN)  # another target's file
    assert not commit.is_own_move(temp_of("videos/a.mp4"), "a.mp4", TOKEN)  # not beside it
    assert not commit.is_own_move("videos/a.mp4.new", "videos/a.mp4", TOKEN)  # not a temporary file
    assert not commit.is_own_move(temp_of("/tmp/a.mp4"), "/tmp/a.mp4", TOKEN)  # outside the folder
    assert not commit.is_own_move(temp_of("../a.mp4"), "../a.mp4", TOKEN)


def crafted(media: Path, content, name=f"{TOKEN}-tp_a.json") -> Path:
    record = media / folder.COMMITS / name
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    return record


ENTRY = {"path": "tp_a.png", "sha256": "0" * 64, "bytes": 3, "fingerprint": "f"}
BAD_ENTRY = {**ENTRY, "bytes": -1}


NOT_OURS = "is not a temporary file of its render onto"


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [("tp_a.json", {}, "not named as tp1viz names its records"),
     (f"{TOKEN}-tp_a.json", b"\xff\xfe", "not a JSON record ('utf-8' codec can't decode byte 0xff in position 0: "
                                          "invalid start byte)"),
     (f"{TOKEN}-tp_a.json", b'{"moves": [], "entries": {"a": Infinity}}', "not a JSON record (Infinity is not JSON)"),
     (f"{TOKEN}-tp_a.json", b"[" * 100_000, "not a JSON record (maximum recursion depth exceeded while decoding a "
                                           "JSON array from a unicode string)"),
     (f"{TOKEN}-tp_a.json", [], 'not {"moves": [...], "entries": {...}}'),
     (f"{TOKEN}-tp_a.json", {"moves": [], "entries": {}, "more": 1}, 'not {"moves": [...], "entries": {...}}'),
     (f"{TOKEN}-tp_a.json", {"moves": [], "entries": {}}, "its moves are not pairs of paths"),
     (f"{TOKEN}-tp_a.json", {"moves": {}, "entries": {}}, "its moves are not pairs of paths"),
     (f"{TOKEN}-tp_a.json", {"moves": [["a", "b", "c"]], "entries": {}}, "its moves are not pairs of paths"),
     (f"{TOKEN}-tp_a.json", {"moves": [[1, "tp_a.png"]], "entries": {}}, "its moves are not pairs of paths"),
     (f"{TOKEN}-tp_a.json", {"moves": [[temp_of("tp_a.png"), "tp_a.png"]], "entries": []},
      "its moves are not pairs of paths"),
     (f"{TOKEN}-tp_a.json", {"moves": [[temp_of("tp_a.png"), "tp_a.png"]] * 2, "entries": {"tp_a.png": ENTRY}},
      "its entries are not those of its moves"),
     (f"{TOKEN}-tp_a.json", {"moves": [[temp_of("tp_a.png"), "tp_a.png"]], "entries": {"b.png": ENTRY}},
      "its entries are not those of its moves"),
     (f"{TOKEN}-tp_a.json", {"moves": [[temp_of("notes.txt"), "notes.txt"]], "entries": {"notes.txt": ENTRY}},
      f"'{temp_of('notes.txt')}' -> 'notes.txt' {NOT_OURS} tp_a's output"),
     (f"{TOKEN}-tp_a.json", {"moves": [[temp_of("tp_a.png", "f" * 16), "tp_a.png"]], "entries": {"tp_a.png": ENTRY}},
      f"'{temp_of('tp_a.png', 'f' * 16)}' -> 'tp_a.png' {NOT_OURS} tp_a's output"),
     (f"{TOKEN}-aa.json", {"moves": [[temp_of("tp_a.png"), "tp_a.png"]], "entries": {"tp_a.png": ENTRY}},
      f"'{temp_of('tp_a.png')}' -> 'tp_a.png' {NOT_OURS} aa's output"),
     (f"{TOKEN}-tp_a.json", {"moves": [[temp_of("tp_a.png"), "tp_a.png"]], "entries": {"tp_a.png": BAD_ENTRY}},
      "its entry for tp_a.png is not valid")],
)  # fmt: skip
def test_a_record_no_tp1viz_could_have_written_is_refused_saying_why(media, name, content, why):
    with pytest.raises(BadRecord) as refused:
        commit.read_record(media, crafted(media, content, name), is_output)
    assert str(refused.value) == why


def test_a_record_that_cannot_be_read_says_what_the_disk_said(media, monkeypatch):
    def failing(path, limit=None):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(commit, "read_bytes", failing)
    with pytest.raises(BadRecord) as refused:
        commit.read_record(media, crafted(media, {}), is_output)
    assert str(refused.value) == "not a JSON record (Input/output error)"


def test_a_record_that_moves_through_a_link_is_refused_and_a_true_one_is_read(media, tmp_path):
    good = {"moves": [[temp_of("videos/tp_a.jpg"), "videos/tp_a.jpg"]],
            "entries": {"videos/tp_a.jpg": {**ENTRY, "path": "videos/tp_a.jpg"}}}  # fmt: skip
    record = crafted(media, good)
    assert commit.read_record(media, record, is_output) == ("tp_a", good["moves"], good["entries"])
    (media / "videos").rename(tmp_path / "elsewhere")
    (media / "videos").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(BadRecord, match="videos is a symbolic link"):
        commit.read_record(media, record, is_output)
    (media / "videos").unlink()
    (media / "videos").mkdir()
    (media / "videos/tp_a.jpg").mkdir()  # the target itself, its temporary file absent (a move already made)
    with pytest.raises(BadRecord, match=r"videos/tp_a.jpg is a folder, not a file; move it away$"):
        commit.read_record(media, record, is_output)
    (media / "videos/tp_a.jpg").rmdir()
    (media / "videos/tp_a.jpg").symlink_to(tmp_path / "outside.jpg")
    with pytest.raises(BadRecord, match="tp_a.jpg is a symbolic link"):
        commit.read_record(media, record, is_output)
    (media / "videos/tp_a.jpg").unlink()
    (media / temp_of("videos/tp_a.jpg")).mkdir()
    with pytest.raises(BadRecord, match="is a folder, not a file"):
        commit.read_record(media, record, is_output)
    big = crafted(media, b" " * (commit.MAX_RECORD_BYTES + 1), f"{TOKEN}-big.json")
    with pytest.raises(BadRecord, match="more than the 1048576 tp1viz reads of it"):
        commit.read_record(media, big, is_output)


def test_a_crafted_record_is_never_set_aside_through_a_link(media, tmp_path):
    crafted(media, {"moves": [], "entries": {}})
    (tmp_path / "outside").mkdir()
    (media / folder.REJECTED).symlink_to(tmp_path / "outside")
    with pytest.raises(BadFile, match="rejected is a symbolic link"):
        commit.roll_forward(media, TOKEN, is_output)
    assert not list((tmp_path / "outside").iterdir()) and records(media) == [f"{TOKEN}-tp_a.json"]


def test_every_file_a_commit_writes_is_a_temporary_file_of_its_render_first(media, monkeypatch):
    """The record and the manifest are written under the render's token: a render killed while writing them leaves
    a temporary file its claim names, which the next render's cleanup finds (files.remove_temps)."""
    from tp1viz import files

    written, rename = [], files.replace
    monkeypatch.setattr(files, "replace", lambda temp, path: (written.append(Path(temp).name), rename(temp, path)))
    commit.commit(media, drawn(media, {"tp_a.png": b"new", "videos/tp_a.jpg": b"poster"}), TOKEN)
    own_record(media, {"tp_a.png": b"newer"}, token="fedcba9876543210")
    commit.roll_forward(media, "fedcba9876543210", is_output)
    tokens = [files.TEMP.fullmatch(name)["token"] for name in written]
    assert [files.TEMP.fullmatch(name)["name"] for name in written] == [
        f"{TOKEN}-tp_a.json", "manifest.json", "manifest.json"]  # fmt: skip
    assert tokens == [TOKEN, TOKEN, "fedcba9876543210"]

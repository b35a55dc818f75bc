"""Hostile and broken media folders (issue 26): nothing outside the folder is read or written, nothing hangs,
every scene is whole old or whole new, and every command answers in one line, never a traceback."""

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, digests, run, temps, wait_for
from hostile import NAMES, copy_of, members, npy, npy_header, tiny_folder, vouch, write_members
from warm import Process


@pytest.fixture
def tiny(tmp_path_factory, tmp_path) -> tuple[Path, Path]:
    """A copy of the tiny scenes' folder to break: (the scene file, the media folder)."""
    return copy_of(tiny_folder(tmp_path_factory), tmp_path / "tiny")


def commands(scenes: Path, media: Path, other: Path | None = None) -> dict[str, list]:
    """Every command that reads a media folder, each on the scene `tiny` of MEDIA."""
    on = ["tiny", "--scenes", scenes]
    return {
        "render": ["render", *on, "--out", media],
        "check": ["render", *on, "--out", media, "--check"],
        "review": ["review", *on, "--media", media],
        "review --against": ["review", *on, "--media", other or media, "--against", media],
        "frames": ["frames", *on, "--step", 1, "--media", media],
        "sheet": ["sheet", *on, "--count", 3, "--media", media],
    }


def one_line(result, exit_code: int, *words: str) -> None:
    """The command ended with `exit_code` and said so on one line holding `words` (no traceback)."""
    assert result.exit_code == exit_code, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit | None), result.exception
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: "), result.stderr
    assert all(word in result.stderr for word in words), (words, result.stderr)


def tree(folder: Path) -> dict:
    """Every entry under `folder`, with a file's bytes: what a command must leave alone."""
    return {path.relative_to(folder).as_posix(): path.read_bytes() if path.is_file() and not path.is_symlink()
            else stat.S_IFMT(path.lstat().st_mode) for path in sorted(folder.rglob("*"))}  # fmt: skip


@pytest.mark.parametrize("link", ["videos", "trajectories", ".tp1viz", "review"])
def test_a_link_inside_the_media_folder_is_refused_and_nothing_outside_is_touched(tiny, tmp_path, link):
    scenes, media = tiny
    elsewhere = tmp_path / "elsewhere"
    (media / "review").mkdir(exist_ok=True)
    os.replace(media / link, elsewhere)  # what a link would lead a write to: another folder, valid-looking
    (media / link).symlink_to(elsewhere)
    before, inside = tree(elsewhere), tree(media)
    for name, args in commands(scenes, media, tmp_path / "other").items():
        if link == "review" and name in ("render", "check", "review --against"):
            continue  # they write no page into the folder
        one_line(run(*args), 2, f"{media / link} is a symbolic link", "follows no link inside a media folder")
    assert tree(elsewhere) == before and tree(media) == inside


def test_a_linked_folder_is_refused_even_where_the_scenes_asked_for_write_nothing(tiny, tmp_path):
    scenes, media = tiny
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    ours = elsewhere / ".x.mp4.tp1viz-0123456789abcdef-01234567.mp4"  # named like a dead render's temporary file
    ours.write_text("someone else's")
    __import__("shutil").rmtree(media / "videos")
    (media / "videos").symlink_to(elsewhere)  # a render's cleanup looks in videos/ whatever it renders
    one_line(run("render", "tp_1_linear_fit", "--size", 64, "--out", media), 2, f"{media / 'videos'} is a symbolic")
    assert ours.read_text() == "someone else's"


def test_a_linked_manifest_is_neither_read_nor_copied(tiny, tmp_path):
    scenes, media = tiny
    secret = tmp_path / "secret.json"
    secret.write_bytes(b"a private file, not JSON \x00")
    secret.chmod(0o600)
    (media / "manifest.json").unlink()
    (media / "manifest.json").symlink_to(secret)
    for args in commands(scenes, media, tmp_path / "other").values():
        one_line(run(*args), 2, f"{media / 'manifest.json'} is a symbolic link")
    assert not any(
        b"a private file" in path.read_bytes() for path in media.rglob("*") if path.is_file() and not path.is_symlink()
    )


WRONG_KINDS = {
    "manifest.json": ("fifo", "is a FIFO, not a file"),
    ".tp1viz/lock": ("fifo", "is a FIFO, not a file"),
    ".tp1viz/claims": ("file", "is a file, not a folder"),
    ".tp1viz/commits": ("fifo", "is a FIFO, not a folder"),
    "trajectories/tiny.npz": ("fifo", "is a FIFO, not a file"),
    "videos/tiny.mp4": ("folder", "is a folder, not a file"),
}


@pytest.mark.timeout(60)  # a FIFO opened for reading waits for a writer: a hang here fails, not stalls
@pytest.mark.parametrize("relative", list(WRONG_KINDS))
def test_a_fifo_or_a_folder_where_a_file_belongs_is_named_before_it_is_opened(tiny, tmp_path, relative):
    scenes, media = tiny
    kind, what = WRONG_KINDS[relative]
    path = media / relative
    if path.is_dir():
        os.rmdir(path) if not any(path.iterdir()) else __import__("shutil").rmtree(path)
    else:
        path.unlink(missing_ok=True)
    {"fifo": os.mkfifo, "file": Path.touch, "folder": Path.mkdir}[kind](path)
    inside = tree(media)
    for args in commands(scenes, media, tmp_path / "other").values():
        one_line(run(*args), 2, f"{path} {what}; move it away")
    assert tree(media) == inside


def test_crafted_commit_records_are_kept_aside_and_rename_nothing(tiny):
    scenes, media = tiny
    (media / "notes.txt").write_text("the author's notes")
    token = "0123456789abcdef"
    temp = f".notes.txt.tp1viz-{token}-01234567.txt"
    (media / temp).write_text("an attacker's text")
    entry = {"path": "notes.txt", "sha256": "0" * 64, "bytes": 18, "fingerprint": "x"}
    commits = media / ".tp1viz" / "commits"
    commits.mkdir(exist_ok=True)
    records = {  # what each is, and why it is not one tp1viz wrote
        f"{token}-tiny.json": ({"moves": [[temp, "notes.txt"]], "entries": {"notes.txt": entry}}, "not a temporary"),
        f"{token}-nan.json": ('{"moves": [], "entries": {"a": NaN}}', "not a JSON record (NaN is not JSON)"),
        "nodash.json": ({"moves": [], "entries": {}}, "not named as tp1viz names its records"),
        f"{token}-up.json": (
            {"moves": [[f"../.x.tp1viz-{token}-01234567", "../x"]], "entries": {"../x": entry}},
            "not a temporary file of its render",
        ),  # fmt: skip
    }
    for name, (content, _) in records.items():
        (commits / name).write_text(content if isinstance(content, str) else json.dumps(content))
    (commits / f"{token}-folder.json").mkdir()
    records[f"{token}-folder.json"] = (None, "is a folder, not a file")
    result = run("render", "tiny", "--scenes", scenes, "--out", media, "-q")
    assert result.exit_code == 0, result.output
    warnings = sorted(result.stderr.splitlines())
    assert len(warnings) == len(records), result.stderr
    for line, (name, (_, why)) in zip(warnings, sorted(records.items()), strict=True):
        assert line.startswith(f"warning: .tp1viz/commits/{name} is not a commit tp1viz made (") and why in line, line
        assert line.endswith("nothing renamed")
    assert (media / "notes.txt").read_text() == "the author's notes"
    assert sorted(path.name.rsplit(".", 1)[0] for path in (media / ".tp1viz" / "rejected").iterdir()) == sorted(records)
    assert run("render", "tiny", "--scenes", scenes, "--out", media).stderr == ""  # said once: they are aside now


def test_a_folder_at_an_output_path_is_refused_before_anything_is_written(tiny):
    scenes, media = tiny
    (media / "videos" / "tiny.jpg").unlink()
    (media / "videos" / "tiny.jpg").mkdir()
    before = digests(media)
    one_line(run("render", "tiny", "--scenes", scenes, "--size", 96, "--out", media), 2,
             f"{media / 'videos' / 'tiny.jpg'} is a folder, not a file")  # fmt: skip
    assert digests(media) == before


def test_a_folder_made_at_an_output_path_while_drawing_fails_the_scene_whole(tiny, monkeypatch):
    from tp1viz import build

    scenes, media = tiny
    before = digests(media)
    draw = build.draw

    def and_a_folder(scene, *args, **kwargs):  # someone makes a folder there while the scene is drawn
        drawn = draw(scene, *args, **kwargs)
        (media / "videos" / "tiny.jpg").unlink()
        (media / "videos" / "tiny.jpg").mkdir()
        return drawn

    monkeypatch.setattr(build, "draw", and_a_folder)
    result = run("render", "tiny", "--scenes", scenes, "--size", 96, "--out", media)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: tiny: {media / 'videos' / 'tiny.jpg'} is a folder, not a file; move it away; "
                             "nothing was replaced\n")  # fmt: skip
    del before["videos/tiny.jpg"]
    assert digests(media) == before and temps(media) == []  # the rest of the scene as it was


# Holds a render just before its commit until the test says go: another render can finish meanwhile.
BEFORE_COMMIT = """
import os, time
from tp1viz import build
commit = build.commit
def held(out_dir, drawn, token):
    open(os.environ["DRAWN"], "w").close()
    while not os.path.exists(os.environ["GO"]):
        time.sleep(0.02)
    commit(out_dir, drawn, token)
build.commit = held
"""


def test_two_renders_of_one_scene_with_other_formats_never_mix_it(tiny, tmp_path):
    scenes, media = tiny
    drawn, go = tmp_path / "drawn", tmp_path / "go"
    args = ["render", "tiny", "--scenes", scenes, "--size", 96, "--out", media, "--jobs", 1]
    mp4_only = Process(*args, before=BEFORE_COMMIT, env={**os.environ, "DRAWN": str(drawn), "GO": str(go)})
    wait_for(lambda: drawn.exists() or mp4_only.poll() is not None)
    assert run(*args, "--format", "webm").exit_code == 0  # the WebM's render commits first
    go.touch()
    _, stderr = mp4_only.communicate(timeout=60)
    assert mp4_only.returncode == 1
    assert stderr == ("Error: tiny: another render wrote videos/tiny.webm while this one drew (another --format?); "
                      "nothing was replaced: render it again\n")  # fmt: skip
    entries = json.loads((media / "manifest.json").read_text())["outputs"]
    scene = {path: entry for path, entry in entries.items() if "/tiny." in path}
    assert len(scene) == 6 and len({entry["fingerprint"] for entry in scene.values()}) == 1  # one render's, whole
    on_disk = digests(media)
    assert all(on_disk[path] == entry["sha256"] for path, entry in scene.items())
    assert run(*args).output.startswith("up to date")


def test_a_users_folder_named_like_a_checks_scratch_folder_is_left_alone(tiny, tmp_path, monkeypatch):
    import tempfile

    from tp1viz.files import scratch_folder

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    mine = tmp_path / "tp1viz-check-0123456789abcdef"
    mine.mkdir()
    (mine / "owner.lock").write_text("not a lock of tp1viz's")
    (mine / "work.txt").write_text("keep")
    with scratch_folder() as real:  # a real one, copied while its owner lives: another folder, not the same
        __import__("shutil").copytree(real, tmp_path / "tp1viz-check-fedcba9876543210")
    scenes, media = tiny
    assert run("render", "tiny", "--scenes", scenes, "--out", media).exit_code == 0
    assert (mine / "work.txt").read_text() == "keep" and (tmp_path / "tp1viz-check-fedcba9876543210").is_dir()


# Holds the folder's lock (in the commit's first check) until the test says go.
HOLD_THE_LOCK = """
import os, time
from tp1viz import commit
check = commit.preflight
def held(*args):
    open(os.environ["HOLDING"], "w").close()
    while not os.path.exists(os.environ["GO"]):
        time.sleep(0.02)
    check(*args)
commit.preflight = held
"""


def lock_is_open(pid: int, lock: Path) -> bool:
    """Whether process `pid` has the lock file open (it waits for it, or holds it)."""
    fds = Path(f"/proc/{pid}/fd")
    return any(os.path.realpath(fd) == str(lock) for fd in fds.iterdir()) if fds.exists() else False


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc to see the wait begin")
def test_a_stopped_lock_holder_is_named_within_two_seconds_and_ctrl_c_still_ends_the_wait(tiny, tmp_path):
    scenes, media = tiny
    holding, go = tmp_path / "holding", tmp_path / "go"
    env = {**os.environ, "HOLDING": str(holding), "GO": str(go)}
    holder = Process("render", "tiny", "--scenes", scenes, "--size", 96, "--out", media, "--jobs", 1,
                     before=HOLD_THE_LOCK, env=env)  # fmt: skip
    wait_for(lambda: holding.exists() or holder.poll() is not None)
    holder.send_signal(signal.SIGSTOP)  # a laptop's lid closed on it, holding the folder
    try:
        waiting = Process("render", "tiny_land", "--scenes", scenes, "--size", 96, "--out", media, "--jobs", 1)
        wait_for(lambda: lock_is_open(waiting.pid, (media / ".tp1viz" / "lock").resolve()))
        line = f"waiting for the render (pid {holder.pid}) that holds {media}\n"
        wait_for(lambda: waiting.stderr_so_far() == line, timeout=2)
        waiting.send_signal(signal.SIGINT)
        _, stderr = waiting.communicate(timeout=30)
        assert waiting.returncode == 130
        assert stderr == line + "interrupted; every output is as it was\n"
    finally:
        holder.send_signal(signal.SIGCONT)
        go.touch()
    assert holder.wait(timeout=60) == 0, holder.communicate()


# A Ctrl-C that reaches the render and its encoder at once: ffmpeg, stopped by it, writes no frame.
INTERRUPTED_ENCODER = """
import os, signal
from tp1viz import kinds
from tp1viz.encode import EncoderError
def interrupted(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGINT)
    raise EncoderError("ffmpeg wrote 0 decodable frames of 8")
kinds.encode_video = interrupted
"""


def test_an_interrupted_scene_is_named_in_the_interrupt_line_alone(tiny):
    scenes, media = tiny
    before = digests(media)
    process = Process("render", "tiny", "--scenes", scenes, "--size", 96, "--out", media, "--jobs", 1,
                      before=INTERRUPTED_ENCODER)  # fmt: skip
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr == "interrupted while drawing tiny; every output is as it was\n"
    assert digests(media) == before


def test_limits_of_the_operating_system_are_one_line(tiny, tmp_path):
    scenes, media = tiny
    deep = tmp_path / "deep.toml"
    deep.write_text('[x]\nkind = "video"\nnotes = ' + "[" * 3000 + "]" * 3000 + "\n")
    cases = [
        (["render", "tiny", "--scenes", scenes, "--out", tmp_path / ("a" * 300)], "File name too long"),
        (
            ["frames", "tiny", "--step", 1, "--scenes", scenes, "--media", media, "--out", tmp_path / ("b" * 300)],
            "File name too long",
        ),  # fmt: skip
        (["render", "tiny\nx", "--scenes", scenes, "--out", media], "unknown scene tiny\\nx; known:"),
        (["list", "--scenes", deep], f"{deep}: not valid TOML: nested too deeply"),
    ]
    for args, words in cases:
        one_line(run(*args), 2, words)


def test_a_crafted_recording_is_one_line_for_readers_and_recorded_again_by_render(tiny, tmp_path):
    scenes, media = tiny
    npz = media / "trajectories" / "tiny.npz"
    write_members(npz, members(npz) | {"0.meta.npy": npy(np.array('["a", "list"]'))})
    vouch(media, "trajectories/tiny.npz")  # the manifest vouches for it: readers trust it as far as its checks
    os.replace(media / "videos" / "tiny_land.mp4", media / "videos" / "tiny.mp4")  # a video review --against reads
    vouch(media, "videos/tiny.mp4")
    said = f'{npz} is not a recording tp1viz can read: meta is not {{"meta": {{...}}, ...}}'
    refused = f'{npz}: not a recording tp1viz can read: meta is not {{"meta": {{...}}, ...}}; to make it: tp1viz render'
    for name, args in commands(scenes, media).items():  # review --against: the crafted folder beside itself
        if name not in ("render", "check"):
            one_line(run(*args), 2, refused, " --force ")  # the render that records it again
    check = run(*commands(scenes, media)["check"])
    assert check.exit_code == 1 and 'stale: trajectories/tiny.npz: cannot be read: meta is not {"meta"' in check.stderr
    render = run("render", "tiny", "--scenes", scenes, "--size", 96, "--out", media)  # not up to date: drawn again
    assert render.exit_code == 0 and render.stderr == f"warning: {said}; recording tiny again\n"
    assert run("frames", "tiny", "--scenes", scenes, "--step", 1, "--media", media).exit_code == 0
    huge = members(npz) | {"0.loss.npy": npy_header((2**40,), "<f8")}  # 8 TiB declared, not allocated
    write_members(npz, huge)
    vouch(media, "trajectories/tiny.npz")
    one_line(run("sheet", "tiny", "--scenes", scenes, "--media", media), 2, "0.loss.npy: declares shape")


# Address space (KiB, ulimit -v): at 150 MB Python cannot import matplotlib or torch; at 250 MB a command that
# needs no torch runs, and a recording of 200 MB (declared and there, within every limit) cannot be read.
MEMORY_CAPS = [(150_000, "render", "tiny"), (250_000, "frames", "tiny_land"), (250_000, "review", "tiny_land")]


@pytest.mark.skipif(sys.platform != "linux", reason="ulimit -v is Linux's")
def test_under_a_memory_cap_every_command_is_one_line(tiny):
    scenes, media = tiny
    npz = media / "trajectories" / "tiny_land.npz"
    write_members(npz, members(npz) | {"0.landscape.loss.npy": npy(np.zeros((5000, 5000)))})
    vouch(media, "trajectories/tiny_land.npz")
    for cap, command, scene in MEMORY_CAPS:
        args = {"render": ["--out", media, "--size", 96], "frames": ["--step", 1, "--media", media],
                "review": ["--media", media]}[command]  # fmt: skip
        line = " ".join(
            f"'{arg}'" for arg in [sys.executable, "-m", "tp1viz", command, scene, "--scenes", scenes, *args]
        )
        answer = subprocess.run(["bash", "-c", f"ulimit -v {cap} && exec {line}"], cwd=ROOT, capture_output=True,
                                text=True, timeout=120)  # fmt: skip
        said = (cap, command, scene, answer.returncode, answer.stderr)
        assert "Traceback" not in answer.stderr and answer.returncode in (0, 1, 2), said
        assert answer.stderr.count("\n") == 1 and answer.stderr.startswith("Error: "), said
        if (command, scene) == ("frames", "tiny_land"):
            assert answer.stderr == "Error: out of memory (a memory limit, ulimit -v?)\n", said


def test_every_tiny_scene_reads_back_as_its_own_recording(tiny):
    """The hostile tests break these recordings; first, each is one its scene can draw (no misfit)."""
    from tp1viz.runs import Runs
    from tp1viz.scenes import load_catalog

    scenes, media = tiny
    catalog = load_catalog([scenes])
    for name in NAMES:
        assert Runs(media, reuse="any").of(catalog[name])


def test_a_commit_record_may_name_every_output_a_scene_writes_and_nothing_else():
    """A record is acted on only for outputs build.is_output knows: every file every course scene writes (in every
    video format) must be one, or a killed render's genuine commit would be kept aside instead of finished."""
    from conftest import SCENES

    from tp1viz.build import is_output

    for scene in SCENES.values():
        for output in scene.with_overrides(formats=("webm", "gif")).outputs(Path("media")):
            assert is_output(output.path.relative_to("media").as_posix(), scene.name), output.path
    assert not any(
        is_output(path, "linear_sgd")
        for path in ("notes.txt", "videos/other.mp4", "../x.png", "videos/linear_sgd.html", "trajectories/x.npz")
    )

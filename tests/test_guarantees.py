"""Each guarantee of the README, attacked: bad input, corrupt state, files that only look like ours, divergence."""

import errno
import json
import os
import re
import shlex
import shutil

import pytest
from conftest import SCENES, SMALL, decode, digests, plan_of, run, temps

from tp1viz import kinds

VIDEO = '[x]\nkind = "video"\ntitle = "x"\ndataset = "{dataset}"\nmodel = "{model}"\nlr = 0.1\n{extra}\n'


def scene_file(tmp_path, text: str):
    path = tmp_path / "scenes.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "extra, message",
    [
        ("data = { noise = nan }", "key 'data'.noise: nan is not in 0..1e+06"),
        ("data = { b = inf }", "key 'data'.b: inf is not in -1e+06..1e+06 (the data are float32"),
        ("data = { scale = 1e300 }", "key 'data'.scale: 1e+300 is not in 1e-06..1e+06"),
        ("data = { n_data = 100000000000 }", "key 'data'.n_data: 100000000000 is not in 1..10000 (each step keeps"),
        ("model_sizes = { n_feature = 2 }", "key 'model_sizes'.n_feature: 2 is not 1 (the data sets have one input"),
        ("model_sizes = { n_output = 0 }", "key 'model_sizes'.n_output: 0 is not 1"),
        ("steps = 100000\ndata = { n_data = 10000 }", "key 'steps': recording 100000 steps of 10000 points would take"),
    ],
)
def test_a_scene_value_that_could_only_fail_later_is_refused_up_front(tmp_path, extra, message):
    extra = extra if extra.startswith("steps") else f"steps = 5\n{extra}"
    path = scene_file(tmp_path, VIDEO.format(dataset="linear", model="linear", extra=extra))
    out = tmp_path / "out"
    result = run("render", "x", "linear_sgd", "--scenes", path, "--out", out)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {path}: scene 'x': {message}"), result.stderr
    assert result.stderr.count("\n") == 1 and not out.exists()


def test_a_pow_exponent_must_be_whole(tmp_path):
    path = scene_file(tmp_path, VIDEO.format(dataset="pow", model="mlp", extra="steps = 5\ndata = { a = 2.5 }"))
    result = run("list", "--scenes", path)
    assert result.exit_code == 2 and "key 'data'.a: 2.5 is not a whole number in 0..10" in result.stderr


def test_two_scenes_may_not_write_one_file(tmp_path):
    still = '[{0}]\nkind = "still"\ntitle = "{0}"\ndataset = "pow"\nfile = "same.png"\n'
    path = scene_file(tmp_path, still.format("first") + still.format("second"))
    result = run("render", "--scenes", path, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr == f"Error: {path}: scene 'second': writes same.png, as scene 'first' ({path}) does\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--seed", "18446744073709551616"], "Invalid value for '--seed': 18446744073709551616 is not in 0.."),
        (["--scenes", "/dev/zero"], "/dev/zero: not a regular file"),
        (["--lr", "3.5e38"], "Invalid value for '--lr': 3.5e+38 is more than 1e+30"),
        (["--steps", "100000", "--scenes", "BIG"], "Invalid value for '--steps': x: recording 100000 steps of 10000"),
    ],
)
def test_a_command_line_value_that_could_only_fail_later_is_refused_up_front(tmp_path, args, message):
    big = VIDEO.format(dataset="linear", model="linear", extra="steps = 5\ndata = { n_data = 10000 }")
    big = scene_file(tmp_path, big)
    args = [str(big) if arg == "BIG" else arg for arg in args]
    out = tmp_path / "out"
    result = run("render", "x" if str(big) in args else "linear_sgd", *args, "--out", out)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {message}") and result.stderr.count("\n") == 1, result.stderr
    assert not out.exists()


def test_out_must_be_a_folder_we_can_write(tmp_path):
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    cases = {
        "": "'--out': an empty name; name a folder",
        "/proc/tp1viz": "/proc/tp1viz is not writable",
        str(tmp_path / "dangling"): "dangling is a symbolic link to nowhere",
        str(tmp_path / "loop" / "media"): "loop is a symbolic link to nowhere",
    }
    for out, message in cases.items():
        result = run("render", "linear_sgd", "--out", out)
        assert result.exit_code == 2 and message in result.stderr and result.stderr.count("\n") == 1, (out, result)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["dangling", "loop"]


ONE_SCENE_PER_LAYOUT = sorted({scene.layout: name for name, scene in reversed(SCENES.items())
                               if isinstance(scene, kinds.Video)}.values())  # fmt: skip


def test_every_layout_has_a_scene_to_diverge():
    from tp1viz.layouts import LAYOUTS

    assert {SCENES[name].layout for name in ONE_SCENE_PER_LAYOUT} == set(LAYOUTS)


def test_an_lr_every_run_sets_for_itself_is_not_silently_ignored(tmp_path):
    result = run("render", "lr_sweep", "--lr", "100", *SMALL, "--out", tmp_path)  # its runs set their own rates
    assert result.exit_code == 0
    assert "warning: lr_sweep: each of its runs sets its own lr; --lr changes none of them\n" in result.stderr


@pytest.mark.parametrize("lr", ["100", "1e6"])
@pytest.mark.parametrize("scene", [name for name in ONE_SCENE_PER_LAYOUT if name != "lr_sweep"])  # it warns, above
def test_every_layout_renders_a_divergence_with_its_label(media, scene, lr):
    result = run("render", scene, "--steps", 12, "--size", 96, "--lr", lr, "--pace", "steps", "--out", media)
    assert result.exit_code == 0, result.output
    assert f"warning: {scene} diverged at step" in result.stderr
    entry = json.loads((media / "manifest.json").read_text())["outputs"][f"videos/{scene}.mp4"]
    assert entry["diverged_at"] is not None and entry["final_loss"] is None
    video = SCENES[scene].with_overrides(steps=12, size=96, lr=float(lr), pace="steps")
    assert len(decode(media / "videos" / f"{scene}.mp4")[0]) == entry["frames"] == len(plan_of(video, media))


def test_a_learning_rate_at_the_cap_renders_its_divergence(tmp_path):
    result = run("render", "linear_sgd", *SMALL, "--lr", "1e30", "--out", tmp_path)
    assert result.exit_code == 0 and "warning: linear_sgd diverged at step 1 " in result.stderr, result.output


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda m: m["outputs"].__setitem__("videos/linear_sgd.mp4", "a string"),
        lambda m: m["outputs"].__setitem__("videos/linear_sgd.mp4", [1, 2]),
        lambda m: m["outputs"]["videos/linear_sgd.mp4"].__setitem__("final_loss", float("nan")),
        lambda m: m.__setitem__("outputs", ["not", "a", "table"]),
    ],
)
def test_a_corrupt_manifest_entry_counts_as_missing(media, corrupt):
    path = media / "manifest.json"
    manifest = json.loads(path.read_text())
    corrupt(manifest)
    path.write_text(json.dumps(manifest))  # NaN is written as NaN: JSON's readers disagree on it
    result = run("frames", "linear_sgd", "--step", 3, "--media", media, "--out", media / "review")
    assert result.exit_code == 2 and result.stderr == (  # nothing is drawn from a video no entry describes
        f"Error: {media}/videos/linear_sgd.mp4: manifest.json has no entry for it: not a render tp1viz can read; "
        f"to make it: tp1viz render linear_sgd --out {media}\n"
    )
    result = run("render", "linear_sgd", "tp_1_linear_fit", *SMALL, "--out", media)
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "linear_sgd.mp4" in result.output  # what could not be trusted, again
    assert run("render", "linear_sgd", "tp_1_linear_fit", *SMALL, "--out", media, "--check").exit_code == 0


def test_an_unreadable_manifest_is_kept_aside_not_lost(media):
    kept = []
    for garbage, size in ((b"\x00 not json {", 96), (b"\xff\xfe not UTF-8 either", 112)):  # each its own copy
        (media / "manifest.json").write_bytes(garbage)
        result = run("render", "linear_sgd", *SMALL, "--size", size, "--out", media)
        assert result.exit_code == 0, result.output
        kept.append(garbage)
        copies = sorted((media / ".tp1viz").glob("manifest.unreadable.*.json"))
        assert sorted(copy.read_bytes() for copy in copies) == sorted(kept)
        assert all(copy.stat().st_mode & 0o777 == 0o600 for copy in copies)  # it may have held anything
    entries = json.loads((media / "manifest.json").read_text())["outputs"]
    assert set(entries) == {"videos/linear_sgd.mp4", "videos/linear_sgd.jpg", "trajectories/linear_sgd.npz",
                            "videos/linear_sgd.vtt", "videos/linear_sgd.txt"}  # fmt: skip
    again = run("render", "linear_sgd", *SMALL, "--size", 112, "--out", media)  # a non-UTF-8 one broke every later
    assert again.exit_code == 0 and again.output.startswith("up to date"), again.output  # render; not any more


def test_a_garbage_recording_whose_checksum_matches_is_recorded_again(media):
    import hashlib

    garbage = b"PK\x03\x04 this is not a zip"
    path = media / "trajectories" / "linear_sgd.npz"
    path.write_bytes(garbage)
    manifest = json.loads((media / "manifest.json").read_text())
    entry = manifest["outputs"]["trajectories/linear_sgd.npz"]
    entry.update(sha256=hashlib.sha256(garbage).hexdigest(), bytes=len(garbage))
    (media / "manifest.json").write_text(json.dumps(manifest))
    for command in (("frames", "linear_sgd", "--step", 3), ("review", "linear_sgd")):
        result = run(*command, "--media", media, "--out", media / "review")
        assert result.exit_code == 2 and not (media / "review").exists()
        assert result.stderr.startswith(f"Error: {media}/trajectories/linear_sgd.npz: not a recording tp1viz can read")
    again = result.stderr.split("; to make it: ")[1].strip()
    assert again == f"tp1viz render linear_sgd --steps 12 --size 128 --force --out {media}"  # up to date by its bytes
    # Another size: the recording's fingerprint still matches, so its file is read, and found wanting.
    result = run("render", "linear_sgd", *SMALL, "--size", 96, "--out", media)
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"warning: {path} is not a recording tp1viz can read: not a zip archive; recording "
                             "linear_sgd again\n")  # fmt: skip
    assert run("render", "linear_sgd", *SMALL, "--size", 96, "--out", media, "--check").exit_code == 0
    path.write_bytes(garbage)  # and once more, to follow the readers' advice verbatim
    entry.update(scene=json.loads((media / "manifest.json").read_text())["outputs"][entry["path"]]["scene"])
    manifest["outputs"] = json.loads((media / "manifest.json").read_text())["outputs"]
    manifest["outputs"]["trajectories/linear_sgd.npz"].update(sha256=hashlib.sha256(garbage).hexdigest(),
                                                             bytes=len(garbage))  # fmt: skip
    (media / "manifest.json").write_text(json.dumps(manifest))
    result = run("frames", "linear_sgd", "--step", 3, "--media", media, "--out", media / "review")
    again = result.stderr.split("; to make it: ")[1].strip()
    assert again == f"tp1viz render linear_sgd --steps 12 --size 96 --force --out {media}"  # up to date by its bytes
    assert run(*shlex.split(again)[1:]).exit_code == 0  # the command it names, verbatim
    result = run("frames", "linear_sgd", "--step", 3, "--media", media, "--out", media / "review")
    assert result.exit_code == 0, result.output


def test_files_that_only_look_like_ours_are_left_alone(media):
    mine = {
        media / "notes" / ".draft.tmp-keep.txt": "an author's draft",
        media / ".linear_sgd.mp4.tp1viz-notours-12345678.mp4": "no token of ours",
    }
    for path, text in mine.items():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    (media / ".cache.tmp-old").mkdir()
    os.mkfifo(media / "videos" / ".fifo.mp4.tp1viz-0123456789abcdef-01234567.mp4")
    (media / ".tp1viz" / "claims").mkdir(parents=True, exist_ok=True)
    (media / ".tp1viz" / "claims" / "0123456789abcdef").touch()  # a dead render's claim, owning the FIFO's name
    assert run("render", "linear_sgd", *SMALL, "--size", 96, "--out", media).exit_code == 0
    orphan = media / "videos" / ".x.mp4.tp1viz-fedcba9876543210-01234567.mp4"
    orphan.write_text("a temporary file of ours whose render is gone, claim and all")  # (an orphaned ffmpeg's)
    assert run("render", "linear_sgd", *SMALL, "--size", 112, "--out", media).exit_code == 0
    assert all(path.read_text() == text for path, text in mine.items()) and not orphan.exists()
    assert (media / ".cache.tmp-old").is_dir()
    assert (media / "videos" / ".fifo.mp4.tp1viz-0123456789abcdef-01234567.mp4").exists()  # not a regular file


def test_a_full_disk_leaves_the_old_scene_whole(media, monkeypatch):
    old = digests(media)
    write_bytes = type(media).write_bytes

    def full(path, data):
        if path.name.endswith(".npz"):  # the last file of the scene: the video and poster are written already
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return write_bytes(path, data)

    monkeypatch.setattr(type(media), "write_bytes", full)
    result = run("render", "linear_sgd", *SMALL, "--size", 96, "--out", media)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: linear_sgd: cannot write {media / 'trajectories' / 'linear_sgd.npz'}: No space left on device\n"
    )  # the output's name, not the temporary file's
    assert digests(media) == old and temps(media) == []


def test_an_encoder_that_writes_nothing_and_exits_0_is_caught(tmp_path, monkeypatch):
    fake = tmp_path / "ffmpeg"
    real = shutil.which("ffmpeg") or __import__("imageio_ffmpeg").get_ffmpeg_exe()
    # An ffmpeg that takes the frames, writes an empty file and says all is well; it still answers -version.
    fake.write_text(f'#!/bin/sh\ncase "$*" in *-version*) exec {real} "$@";; *-progress*) exec {real} "$@";; esac\n'
                    'cat > /dev/null\nfor last; do :; done\n: > "$last"\nexit 0\n')  # fmt: skip
    fake.chmod(0o755)
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(fake))
    out = tmp_path / "out"
    result = run("render", "linear_sgd", *SMALL, "--out", out)
    assert result.exit_code == 1
    assert re.match(r"Error: linear_sgd: ffmpeg wrote 0 decodable frames of \d+ ", result.stderr), result.stderr
    assert digests(out) == {} and temps(out) == []


def test_the_check_compares_the_landscape_too(media):
    from tp1viz.trajectory import Landscape, load_runs, save_runs

    path = media / "trajectories" / "loss_landscape.npz"
    (run_,) = load_runs(path)
    tripled = Landscape(**{**run_.landscape.__dict__, "loss": run_.landscape.loss * 3})
    save_runs(path, [type(run_)(**{**run_.__dict__, "landscape": tripled})])
    result = run("render", "loss_landscape", *SMALL, "--out", media, "--check")
    assert result.exit_code == 1
    assert "stale: trajectories/loss_landscape.npz: the recorded numbers changed: landscape.loss" in result.output


def test_kinds_write_no_file_outside_the_folders_cleanup_looks_in():
    from pathlib import Path

    folders = {Path("media") / folder for folder in kinds.FOLDERS}
    for scene in SCENES.values():
        assert {output.path.parent for output in scene.outputs("media")} <= folders, scene.name


def test_a_library_not_installed_is_said_so_not_blamed_on_memory():
    from tp1viz import build, cli

    missing = ModuleNotFoundError("No module named 'torch'", name="torch")
    for limit_message in (cli.limit_message, build.failure_message):
        assert limit_message(missing) == (
            "torch is not installed: install tp1viz with its dependencies (pip install -e .)"
        )
        assert limit_message(ImportError("libc10.so: cannot map", name="torch")).endswith("(out of memory?)")

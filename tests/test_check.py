"""`render --check`: float noise from another CPU passes; every change a viewer could see fails, naming the scene."""

import json
import os
from pathlib import Path

import numpy as np
from conftest import ROOT, SCENES, SMALL, run, scene_file_rendered
from warm import Process

from tp1viz import draw, recorder
from tp1viz.compare import RECORDING_RTOL, compare_runs, relative_difference
from tp1viz.trajectory import load_runs

QUICK = ["linear_sgd", "tp_1_linear_fit", *SMALL, "--jobs", "1"]  # two scenes of the catalogue
CHECK_ELSEWHERE = """
import sys
from tp1viz.cli import main
from tp1viz.recorder import record_scene
from tp1viz.scenes import load_catalog
from tp1viz.trajectory import load_runs

try:
    main(sys.argv[1:])
except SystemExit as exit:
    print("exit", exit.code)
# Whether this CPU capability rounds otherwise than the one that made the media: the check saw float noise.
scene = load_catalog()["pow_fn_w_non_linear_model"].with_overrides(steps=12)
(committed,) = load_runs(sys.argv[-1] + "/trajectories/pow_fn_w_non_linear_model.npz")
(here,) = record_scene(scene)
print("same numbers:", (committed.params == here.params).all())
"""


def test_media_from_one_cpu_capability_pass_the_check_under_another(catalogue):
    # The catalogue was recorded in this process, with the best kernels this CPU has (AVX2 or AVX-512 here);
    # PyTorch's portable kernels round otherwise in the last bits, as another machine's would.
    scenes = ["pow_fn_w_non_linear_model", "loss_landscape_mlp", "tp_1_non_linear_noise", *SMALL, "--jobs", "1"]
    # A process whose torch loads with the portable kernels (forked before any torch, so the setting holds).
    elsewhere = Process("render", *scenes, "--check", "--out", catalogue, script=CHECK_ELSEWHERE,
                        env={**os.environ, "ATEN_CPU_CAPABILITY": "default"})  # fmt: skip
    stdout, stderr = elsewhere.communicate(timeout=120)
    assert elsewhere.returncode == 0, stderr
    assert "is up to date: it holds what the code makes" in stdout and "exit" not in stdout
    if " avx2" in Path("/proc/cpuinfo").read_text() and os.environ.get("ATEN_CPU_CAPABILITY") != "default":
        assert "same numbers: False" in stdout  # so the check did meet float noise, and let it pass


def test_a_fresh_render_passes(catalogue):
    result = run("render", *QUICK, "--out", catalogue, "--check")
    assert result.exit_code == 0, result.output


def test_another_learning_rate_fails_naming_the_scene(media):
    result = run("render", *QUICK, "--lr", "0.0052", "--out", media, "--check")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert ("stale: trajectories/linear_sgd.npz: the recorded numbers changed: recorded with lr 0.005, "
            "the scene now says lr 0.0052") in lines  # fmt: skip
    # The same overrides, for the scenes they were given for: not for the still that draws linear_sgd's net,
    # which would pass them on to its other net too (and draws the catalogue's linear_sgd, unchanged).
    again = "tp1viz render linear_sgd --lr 0.0052 --steps 12 --size 128"
    assert lines[-3] == f"to render them again: {again} --out {media}"
    assert lines[-2] == f"to see the change first, render it aside: {again} --out /tmp/tp1viz-new"
    review = f"tp1viz review linear_sgd --media /tmp/tp1viz-new --against {media}"
    assert lines[-1] == f"and review it side by side: {review}"
    again = f"{again} --out {media}"
    assert run(*again.split()[1:], "--jobs", 1, "-q").exit_code == 0  # and it does what it says:
    assert run("render", *QUICK, "--lr", "0.0052", "--out", media, "--check").exit_code == 0  # now current


def test_a_change_to_the_training_code_fails_on_the_numbers_alone(media, monkeypatch):
    make = recorder.make_optimizer
    monkeypatch.setattr(recorder, "make_optimizer", lambda name, params, lr: make(name, params, lr * 1.04))
    result = run("render", *QUICK, "--out", media, "--check")
    assert result.exit_code == 1
    stale = [line for line in result.output.splitlines() if line.startswith("stale:")]
    assert len(stale) == 1, result.output  # the video is still what its committed recording draws
    assert stale[0].startswith("stale: trajectories/linear_sgd.npz: the recorded numbers changed: loss differs by")


def test_one_colour_fails_on_the_pixels(media, monkeypatch):
    monkeypatch.setattr(draw, "MODEL_COLOR", "tab:orange")
    result = run("render", *QUICK, "--out", media, "--check")
    assert result.exit_code == 1
    stale = [line for line in result.output.splitlines() if line.startswith("stale:")]
    assert [line.split(": ")[1] for line in stale] == ["videos/linear_sgd.mp4", "videos/linear_sgd.jpg"]
    assert stale[0].startswith("stale: videos/linear_sgd.mp4: frame 0: ") and "off by more than 32 levels" in stale[0]


def test_one_character_of_a_title_fails(media, tmp_path):
    scenes = tmp_path / "lime.toml"
    course = (ROOT / "tp1viz" / "scenes.toml").read_text()
    table = course[course.index("[linear_sgd]") :].split("\n\n")[0]  # the course's own scene, to the letter
    scenes.write_text(table.replace("noisy line", "noisy lime"))
    result = run("render", *QUICK, "--scenes", scenes, "--out", media, "--check")
    assert result.exit_code == 1
    assert "stale: videos/linear_sgd.mp4: frame 0: " in result.output
    assert ("made with other parameters: title 'Linear net on a noisy line' (now 'Linear net on a noisy lime')"
            in result.output)  # fmt: skip
    again = f"to render them again: tp1viz render linear_sgd --scenes {scenes} {' '.join(SMALL)} --out"
    assert again in result.output, result.output


def test_a_changed_scene_names_the_stills_that_draw_it(tmp_path_factory):
    table = """
[tiny]
kind = "video"
title = "A line"
dataset = "linear"
model = "linear"
lr = 0.005
steps = 6
size = 128
[tiny_net]
kind = "still"
title = "Its net"
layout = "network"
sources = ["tiny"]
size = 128
"""
    scenes, media = scene_file_rendered(tmp_path_factory, table, "tiny", "tiny_net", "--jobs", 1)
    scenes.write_text(table.replace("A line", "A lime"))
    result = run("render", "tiny", "--scenes", scenes, "--out", media, "--check", "--jobs", 1)
    assert result.exit_code == 1
    # No override: the still is drawn from the changed scene, and shows its title: it must be rendered too.
    assert f"to render them again: tp1viz render tiny tiny_net --scenes {scenes} --out {media}" in result.stderr
    assert f"review tiny tiny_net --scenes {scenes} --media" in result.stderr


def test_the_manifests_claims_are_checked(media):
    path = media / "manifest.json"
    manifest = json.loads(path.read_text())
    lies = {  # an entry of each file claims something the file and a render now do not bear out
        "videos/linear_sgd.mp4": ("frames", 999, "manifest.json says frames 999, a render now gives "),
        "videos/linear_sgd.jpg": ("fingerprint", "0" * 64, "manifest.json: its fingerprint matches no render"),
        "trajectories/linear_sgd.npz": ("final_loss", 123.0, "manifest.json says final_loss 123.0, a render now"),
        "tp_1_linear_fit.png": ("sha256", "0" * 64, "its manifest.json entry does not describe the file on disk"),
    }
    for name, (key, value, _) in lies.items():
        manifest["outputs"][name][key] = value
    path.write_text(json.dumps(manifest))
    result = run("render", *QUICK, "--out", media, "--check")
    assert result.exit_code == 1
    for name, (_, _, message) in lies.items():
        assert f"stale: {name}: {message}" in result.output, result.output


def test_a_missing_recording_and_a_missing_video_are_named(media):
    (media / "trajectories" / "linear_sgd.npz").unlink()
    (media / "videos" / "linear_sgd.mp4").unlink()
    result = run("render", *QUICK, "--out", media, "--check")
    assert result.exit_code == 1
    assert "stale: trajectories/linear_sgd.npz: missing" in result.output
    assert "stale: videos/linear_sgd.mp4: missing" in result.output


def test_float_noise_passes_the_recording_comparison_and_a_real_change_does_not():
    from tp1viz.recorder import record_scene
    from tp1viz.scenes import load_catalog

    (run_,) = record_scene(load_catalog()["linear_sgd"].with_overrides(steps=5))
    noisy = type(run_)(**{**run_.__dict__, "params": run_.params * (1 + 1.5e-4)})
    assert compare_runs([run_], [noisy]) is None
    moved = type(run_)(**{**run_.__dict__, "loss": run_.loss * (1 + 2e-3)})
    assert compare_runs([run_], [moved]) == f"loss differs by up to 2.0e-03 of its scale (tolerance {RECORDING_RTOL:g})"
    overflowed = np.array([1.0, 2.0, np.inf])
    assert relative_difference(overflowed, np.array([1.0, 2.0, np.inf])) == 0
    assert relative_difference(overflowed, np.array([1.0, 2.0, 3.0])) == np.inf


def test_an_unreadable_manifest_is_one_line_and_a_scene_stale_throughout_is_one_line(media):
    manifest = media / "manifest.json"
    whole = manifest.read_bytes()
    manifest.write_bytes(whole[:500])  # cut mid-entry: not JSON
    result = run("render", *QUICK, "--out", media, "--check")
    assert result.exit_code == 1
    stale = [line for line in result.stderr.splitlines() if line.startswith("stale: ")]
    assert stale == ["stale: manifest.json: cannot be read (not UTF-8 JSON): no output counts as recorded"]
    again = f"to render them again: tp1viz render linear_sgd tp_1_linear_fit {' '.join(SMALL)}"
    assert again in result.stderr
    for text in ("[]", "{}"):
        manifest.write_text(text)
        result = run("render", *QUICK, "--out", media, "--check")
        stale = [line for line in result.stderr.splitlines() if line.startswith("stale: ")]
        assert stale == ['stale: manifest.json: is not a manifest (no "outputs" object): no output counts as recorded']
    manifest.unlink()
    result = run("render", *QUICK, "--out", media, "--check")
    stale = [line for line in result.stderr.splitlines() if line.startswith("stale: ")]
    whole_scene = "stale: linear_sgd: its 5 files (mp4, jpg, npz, vtt, txt): manifest.json has no entry for it"
    assert stale == [whole_scene, "stale: tp_1_linear_fit.png: manifest.json has no entry for it"]  # in scene order


# ---- what a viewer sees, and what a recording says (issue 26: nine changes that used to pass) -------------


def remux(path: Path, *before_input: str, after_input: tuple = ()) -> None:
    """Rewrite a video with ffmpeg, its frames copied as they are (no re-encoding)."""
    import subprocess

    import imageio_ffmpeg

    out = path.with_name(f"remuxed{path.suffix}")
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", *before_input, "-i", str(path), "-c", "copy",
               *after_input, str(out)]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    out.replace(path)


def redraw_from_an_edited_recording(media: Path, name: str, edit) -> None:
    """Edit a scene's committed recording and render the scene from it, manifest and all, as an attacker with the
    folder could: every file then agrees with the edited recording."""
    from tp1viz import build
    from tp1viz.scenes import load_catalog

    scene = load_catalog()[name].with_overrides(steps=12, size=128)

    class Edited:
        def of(self, video):
            return [edit(run_) for run_ in load_runs(media / "trajectories" / f"{name}.npz")]

        def take_notes(self):
            return []

    reports = list(build.build([scene], media, force=True, runs=Edited()))
    assert all(isinstance(report, build.Rendered) for report in reports), reports


def with_exif_orientation(path: Path, orientation: int) -> None:
    from PIL import Image

    with Image.open(path) as image:
        exif = image.getexif()
        exif[0x0112] = orientation
        image.save(path.with_name("turned.jpg"), quality=90, exif=exif)
    path.with_name("turned.jpg").replace(path)


def with_png_chunk(path: Path, chunk: bytes, data: bytes) -> None:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add(chunk, data)
    with Image.open(path) as image:
        image.save(path.with_name("chunked.png"), pnginfo=info)
    path.with_name("chunked.png").replace(path)


def with_icc_profile(path: Path, space: str) -> None:
    from PIL import Image, ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile(space)).tobytes()
    with Image.open(path) as image:
        image.save(path.with_name("profiled.png"), icc_profile=profile)
    path.with_name("profiled.png").replace(path)


def vouched(media: Path, relative: str) -> None:
    """The manifest made to describe the file as it now is (bytes and sha256), as an attacker would leave it."""
    import hashlib

    manifest = json.loads((media / "manifest.json").read_text())
    data = (media / relative).read_bytes()
    manifest["outputs"][relative].update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    (media / "manifest.json").write_text(json.dumps(manifest))


def replaced(run_, **fields):
    import dataclasses

    return dataclasses.replace(run_, **fields)


VIEWER_MUTATIONS = {  # file: (how it is changed, the start of the reason --check gives)
    "videos/train_vs_test.mp4": (
        lambda p: remux(p, after_input=("-bsf:v", "h264_metadata=sample_aspect_ratio=2/1")),
        "sample aspect ratio 2/1 instead of 1/1",
    ),
    "videos/gd_vs_sgd.mp4": (
        lambda p: remux(p, "-itsscale", "4"),
        "frame 1 shows at 0.133 s instead of 0.033 s (another speed or timing)",
    ),
    "videos/loss_landscape.mp4": (lambda p: remux(p, "-display_rotation", "180"), "rotation -180.0 instead of 0.0"),
    "videos/loss_landscape_mlp.mp4": (
        lambda p: remux(p, after_input=("-metadata", "title=the same frames")),
        "other bytes than this encoder makes of the same pictures",
    ),
    "videos/train_vs_test.jpg": (lambda p: with_exif_orientation(p, 3), "EXIF orientation 3 instead of 1"),
    "tp_1_linear_fit.png": (lambda p: with_png_chunk(p, b"gAMA", (20000).to_bytes(4, "big")), "gamma 0.2 instead of"),
    "tp_1_non_linear_noise.png": (lambda p: with_icc_profile(p, "LAB"), "ICC profile "),
}
RECORDING_MUTATIONS = {  # scene: (how its recording is edited before the video is drawn from it, the reason)
    "pow_fn_w_linear_model": (
        lambda r: replaced(r, events=(replaced(r.events[0], text="settled · step 11"),)),
        "the recorded events changed: step 11 says 'settled · step 11', "
        "a recording now 'a line cannot bend · 40× the noise'",
    ),  # fmt: skip
    "many_solutions": (
        lambda r: replaced(r, events=tuple(replaced(e, step=4) for e in r.events)),
        "run 3: the recorded events changed: poor fit at step 4 recorded, a recording now finds poor fit at step 8",
    ),  # fmt: skip
    "loss_landscape": (
        lambda r: replaced(r, landscape=replaced(r.landscape, labels=("w", "b"))),
        "the recorded landscape changed: exact ['w', 'b'], a recording now gives exact ['weight w', 'bias b']",
    ),  # fmt: skip
    "loss_landscape_mlp": (
        lambda r: replaced(r, landscape=replaced(r.landscape, explained=0.5)),
        "the recorded landscape changed: its plane holds 0.5 of the path, a recording now 0.99",
    ),
}


def test_every_change_a_viewer_could_see_fails_the_check(media):
    for name, (edit, _) in RECORDING_MUTATIONS.items():
        redraw_from_an_edited_recording(media, name, edit)
    for relative, (change, _) in VIEWER_MUTATIONS.items():
        change(media / relative)
        vouched(media, relative)  # the manifest agrees: only the picture's own comparison can see the change
    names = {Path(relative).stem for relative in VIEWER_MUTATIONS} | set(RECORDING_MUTATIONS)
    result = run("render", *sorted(names), *SMALL, "--jobs", "1", "--out", media, "--check")
    assert result.exit_code == 1
    stale = [line for line in result.stderr.splitlines() if line.startswith("stale: ")]
    for relative, (_, reason) in VIEWER_MUTATIONS.items():
        assert any(line.startswith(f"stale: {relative}: {reason}") for line in stale), (relative, result.stderr)
    for name, (_, reason) in RECORDING_MUTATIONS.items():
        assert any(line.startswith(f"stale: trajectories/{name}.npz: {reason}") for line in stale), (name, stale)
    assert len(stale) == len(VIEWER_MUTATIONS) + len(RECORDING_MUTATIONS), stale  # nothing else is flagged


def test_made_by_another_encoder_the_same_pictures_pass_and_a_changed_look_does_not(catalogue, tmp_path):
    from tp1viz.compare import compare

    for relative, (change, reason) in VIEWER_MUTATIONS.items():
        copy = tmp_path / relative.replace("/", "_")
        copy.write_bytes((catalogue / relative).read_bytes())
        change(copy)
        lenient = compare(catalogue / relative, copy, exact=False)
        if "other bytes" in reason:
            assert lenient is None  # the same frames, other bytes: only the same encoder must give the same bytes
            assert compare(catalogue / relative, copy, exact=True).startswith(reason)
        else:
            assert lenient is not None and lenient.startswith(reason), (relative, lenient)


def test_an_fps_change_on_a_long_run_records_it_again_and_check_agrees(tmp_path, monkeypatch):
    """A run over SPARSE_FROM steps keeps snapshots only of the steps its video shows, and those depend on fps:
    so fps is part of such a run's recording, for render as for --check (they once disagreed)."""
    from tp1viz import rules

    monkeypatch.setattr(rules, "SPARSE_FROM", 500)  # the long-run path at a sixth of its steps (and time)
    monkeypatch.setattr(recorder, "SPARSE_FROM", 500)
    long = ["linear_sgd", "--steps", 3000, "--size", 128, "--jobs", 1, "--out", tmp_path]
    assert run("render", *long, "--fps", 30, "-q").exit_code == 0
    kept_at_30 = load_runs(tmp_path / "trajectories" / "linear_sgd.npz")[0].kept
    stale = run("render", *long, "--fps", 12, "--check")
    assert stale.exit_code == 1, stale.output
    assert "stale: trajectories/linear_sgd.npz: " in stale.output  # the recording itself, not only its video
    again = run("render", *long, "--fps", 12)
    assert again.exit_code == 0 and "up to date" not in again.output, again.output
    kept_at_12 = load_runs(tmp_path / "trajectories" / "linear_sgd.npz")[0].kept
    (recorded,) = load_runs(tmp_path / "trajectories" / "linear_sgd.npz")
    shown = SCENES["linear_sgd"].with_overrides(steps=3000, size=128, fps=12).plan([recorded]).steps
    assert set(shown) <= set(kept_at_12) and len(kept_at_30) > 2  # every step the video at 12 fps draws was kept
    agreed = run("render", *long, "--fps", 12, "--check")
    assert agreed.exit_code == 0, agreed.output
    assert run("render", *long, "--fps", 12).output.startswith("up to date ")

"""How `render --check` judges a file and a recording (compare.py), on small files and runs made here: which
differences fail it, which pass, and the words that say why (docs/pages/mutation.md: the mutants they kill)."""

import dataclasses
import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import imageio_ffmpeg
import numpy as np
import pytest
from conftest import synthetic
from PIL import Image, ImageCms, PngImagePlugin

from tp1viz import compare
from tp1viz.trajectory import Event, Held, Units


def video(path: Path, frames: np.ndarray, fps: int = 10) -> Path:
    """`frames` (count, h, w, 3) uint8 as an H.264 MP4, losslessly (every frame decodes to what was given)."""
    lossless = {"codec": "libx264rgb", "pix_fmt_out": "rgb24", "output_params": ["-qp", "0"], "macro_block_size": 1}
    writer = imageio_ffmpeg.write_frames(str(path), frames.shape[2:0:-1], fps=fps, **lossless)
    writer.send(None)
    for frame in frames:
        writer.send(np.ascontiguousarray(frame))
    writer.close()
    return path


def gradient(count: int = 5, size: int = 16) -> np.ndarray:
    """Frames that differ from each other: a ramp that brightens frame by frame."""
    ramp = np.linspace(0, 200, size, dtype=np.uint8)[None, :, None]
    return np.stack([np.broadcast_to(ramp + 10 * k, (size, size, 3)) for k in range(count)]).astype(np.uint8)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> tuple[Path, np.ndarray]:
    frames = gradient()
    return video(tmp_path_factory.mktemp("clip") / "clip.mp4", frames), frames


# -- pictures, pixel by pixel ---------------------------------------------------------------------------------


def test_a_frame_passes_within_both_tolerances_and_fails_past_either_saying_where():
    base = np.full((8, 8, 3), 100, np.uint8)
    assert compare.image_difference(base, base.copy()) is None
    near = base.copy()
    near[1, 2] = [100, 132, 100]  # one channel off by exactly 32: inside PIXEL_TOLERANCE, the mean 32 / 64 under 1
    assert compare.image_difference(base, near) is None
    far = base.copy()
    far[2, 3, 0] = 133  # 33 levels: past PIXEL_TOLERANCE at x 3, y 2
    assert compare.image_difference(base, far) == (
        "1 pixels off by more than 32 levels, mean difference 0.52, largest 33 at x 3, y 2"
    )
    dim = (base - 1).astype(np.uint8)  # every pixel one level off: mean 1.0, not under MEAN_TOLERANCE
    assert compare.image_difference(base, dim) == (
        "0 pixels off by more than 32 levels, mean difference 1.00, largest 1 at x 0, y 0"
    )
    bluer = base.copy()
    bluer[..., 2] = 99  # one level in blue alone: the largest over the channels counts, mean 1.0 again
    assert compare.image_difference(base, bluer).startswith("0 pixels off by more than 32 levels, mean difference 1.00")
    darker = base.copy()
    darker[0, 0] = 0  # a difference downward counts as upward does
    assert compare.image_difference(base, darker) == (
        "1 pixels off by more than 32 levels, mean difference 1.56, largest 100 at x 0, y 0"
    )
    both = far.copy()
    both[5, 5, 1] = 132  # 32 levels: at PIXEL_TOLERANCE, not past it
    assert compare.image_difference(base, both).startswith("1 pixels off by more than 32 levels, mean difference 1.02")
    assert compare.image_difference(base[:6], np.zeros((5, 4, 3), np.uint8)) == "size 4x5 instead of 8x6"


def png(path: Path, pixels: np.ndarray, **save) -> Path:
    Image.fromarray(pixels).save(path, **save)
    return path


def test_a_picture_is_judged_by_what_a_viewer_sees_its_pixels_and_the_metadata_that_changes_them(tmp_path):
    pixels = np.tile(np.arange(0, 240, 15, dtype=np.uint8)[:, None, None], (1, 16, 3))
    plain = png(tmp_path / "plain.png", pixels)
    assert compare.compare(plain, png(tmp_path / "again.png", pixels, compress_level=1)) is None  # other bytes
    assert compare.compare(plain, plain) is None
    info = PngImagePlugin.PngInfo()
    info.add(b"gAMA", (20000).to_bytes(4, "big"))
    assert compare.compare(plain, png(tmp_path / "gamma.png", pixels, pnginfo=info)) == "gamma 0.2 instead of None"
    assert compare.compare(plain, png(tmp_path / "alpha.png", np.dstack([pixels, pixels[..., :1]]))) == (
        "mode RGBA instead of RGB"
    )
    assert compare.compare(plain, png(tmp_path / "see.png", pixels, transparency=(0, 0, 0))) == (
        "transparency True instead of False"
    )
    moved = pixels.copy()
    moved[3, 4] = 255
    assert compare.compare(plain, png(tmp_path / "moved.png", moved)).startswith("1 pixels off by more than 32 levels")
    turned = tmp_path / "turned.jpg"
    exif = Image.Exif()
    exif[0x0112] = 3
    Image.fromarray(pixels).save(turned, quality=95, exif=exif)
    upright = tmp_path / "upright.jpg"
    Image.fromarray(pixels).save(upright, quality=95)
    assert compare.compare(upright, turned) == "EXIF orientation 3 instead of 1"
    (tmp_path / "broken.png").write_bytes(plain.read_bytes()[:60])
    assert compare.compare(plain, tmp_path / "broken.png") == "cannot be decoded (image file is truncated)"
    assert compare.compare(plain, png(tmp_path / "same.png", pixels, compress_level=1), exact=True) == (
        "other bytes than this encoder makes of the same pictures (re-encoded, or its metadata edited)"
    )
    assert compare.compare(plain, plain, exact=True) is None  # the same bytes always pass


def test_a_pictures_colour_metadata_and_size_are_each_named_when_they_differ(tmp_path):
    pixels = np.zeros((16, 16, 3), np.uint8)
    plain = png(tmp_path / "plain.png", pixels)
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    digest = hashlib.sha256(profile).hexdigest()[:12]
    assert compare.compare(plain, png(tmp_path / "icc.png", pixels, icc_profile=profile)) == (
        f"ICC profile {digest} instead of None"
    )
    intent = PngImagePlugin.PngInfo()
    intent.add(b"sRGB", bytes([0]))
    assert compare.compare(plain, png(tmp_path / "srgb.png", pixels, pnginfo=intent)) == "sRGB intent 0 instead of None"
    white = PngImagePlugin.PngInfo()
    white.add(b"cHRM", b"".join(round(v * 100000).to_bytes(4, "big") for v in (0.3127, 0.329, 0.64, 0.33, 0.3, 0.6,
                                                                                 0.15, 0.06)))  # fmt: skip
    assert compare.compare(plain, png(tmp_path / "chrm.png", pixels, pnginfo=white)) == (
        "chromaticities (0.3127, 0.329, 0.64, 0.33, 0.3, 0.6, 0.15, 0.06) instead of None"
    )
    assert compare.compare(plain, png(tmp_path / "wide.png", np.zeros((8, 16, 3), np.uint8))) == (
        "size (16, 8) instead of (16, 16)"
    )


def test_a_file_that_is_not_a_picture_passes_only_byte_for_byte(tmp_path):
    (tmp_path / "a.vtt").write_text("WEBVTT\n")
    (tmp_path / "b.vtt").write_text("WEBVTT\n\n")
    (tmp_path / "c.vtt").write_text("WEBVTT\n")
    assert compare.compare(tmp_path / "a.vtt", tmp_path / "c.vtt") is None
    assert compare.compare(tmp_path / "a.vtt", tmp_path / "b.vtt") == "differs"
    assert compare.compare(tmp_path / "a.vtt", tmp_path / "gone.vtt") == "missing"
    (tmp_path / "folder.vtt").mkdir()
    assert compare.compare(tmp_path / "a.vtt", tmp_path / "folder.vtt") == (
        f"cannot be read ({tmp_path / 'folder.vtt'} is a folder, not a file; move it away)"
    )


def test_a_file_the_disk_cannot_read_says_what_the_disk_said(tmp_path, monkeypatch):
    def failing(path, limit=None):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(compare, "read_bytes", failing)
    assert compare.compare(tmp_path / "a.png", tmp_path / "b.png") == "cannot be read (Input/output error)"


def test_each_video_and_picture_format_is_compared_by_what_it_shows_whatever_its_bytes(clip, tmp_path):
    path, frames = clip
    for suffix in (".mp4", ".webm", ".gif"):
        (tmp_path / f"a{suffix}").write_bytes(path.read_bytes())
        (tmp_path / f"b{suffix}").write_bytes(path.read_bytes() + b"\0" * 8)  # other bytes, the same frames
        assert compare.compare(tmp_path / f"a{suffix}", tmp_path / f"b{suffix}") is None, suffix
    pixels = np.zeros((8, 8, 3), np.uint8)
    for suffix in (".png", ".jpg", ".jpeg"):
        first = png(tmp_path / f"a{suffix}", pixels, format="png")
        other = png(tmp_path / f"b{suffix}", pixels, format="png", compress_level=1)
        assert compare.compare(first, other) is None, suffix


def test_a_video_that_cannot_be_decoded_is_told_by_ffmpegs_own_words(tmp_path, monkeypatch):
    def undecodable(path):
        raise compare.Undecodable(f"{path} cannot be decoded as a video (moov atom not found)")

    monkeypatch.setattr(compare, "video_facts", undecodable)
    assert compare.compare_video(tmp_path / "a.mp4", tmp_path / "b.mp4") == "cannot be decoded (moov atom not found)"


def test_a_reader_that_fails_before_or_during_the_frames_is_one_undecodable_line(tmp_path, monkeypatch):
    import imageio_ffmpeg as reader

    def no_meta(path):
        raise RuntimeError("no stream\nmore detail")
        yield

    def stops(path):
        yield {"size": (2, 1)}
        yield b"\0" * 6
        raise RuntimeError("ffmpeg stopped: broken stream")

    monkeypatch.setattr(reader, "read_frames", no_meta)
    with pytest.raises(compare.Undecodable) as failed:
        next(compare.decoded_frames(tmp_path / "a.mp4"))
    assert str(failed.value) == f"{tmp_path / 'a.mp4'} cannot be decoded as a video (no stream)"
    monkeypatch.setattr(reader, "read_frames", stops)
    with pytest.raises(compare.Undecodable) as failed:
        list(compare.decoded_frames(tmp_path / "a.mp4"))
    assert str(failed.value) == f"{tmp_path / 'a.mp4'} cannot be decoded as a video (ffmpeg stopped: broken stream)"
    assert compare.first_line(ValueError("first\nsecond")) == "first"
    assert compare.first_line(StopIteration()) == "StopIteration" and compare.first_line(OSError(" ")) == "OSError"


# -- videos: their frames, their times, what a player makes of them -----------------------------------------


def test_a_video_passes_when_it_decodes_to_the_same_frames_at_the_same_times(clip, tmp_path):
    path, frames = clip
    assert compare.compare(path, video(tmp_path / "same.mp4", frames)) is None
    facts = compare.video_facts(path)
    assert facts["frame size"] == "16x16" and facts["sample aspect ratio"] == "1/1" and facts["rotation"] == 0.0
    assert facts["times"] == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4]) and len(set(facts["checksums"])) == 5
    assert facts["colour"].startswith("gbrp")  # what the lossless RGB encoder stores


def test_a_video_with_a_changed_frame_names_the_frame_and_the_pixels(clip, tmp_path):
    path, frames = clip
    changed = frames.copy()
    changed[3, 5:7, 8] = 255
    assert compare.compare(path, video(tmp_path / "changed.mp4", changed)) == (
        "frame 3: 2 pixels off by more than 32 levels, mean difference 0.93, largest 119 at x 8, y 5"
    )
    faint = frames.copy()
    faint[2, 0, 0] += 1  # one level: the checksums differ, the pictures do not
    assert compare.compare(path, video(tmp_path / "faint.mp4", faint)) is None
    assert compare.compare(path, video(tmp_path / "faint2.mp4", faint), exact=True).startswith("other bytes than")


def test_a_video_of_another_length_speed_or_size_says_which(clip, tmp_path):
    path, frames = clip
    assert compare.compare(path, video(tmp_path / "short.mp4", frames[:4])) == "4 frames instead of 5"
    assert compare.compare(path, video(tmp_path / "slow.mp4", frames, fps=5)) == (
        "frame 1 shows at 0.200 s instead of 0.100 s (another speed or timing)"
    )
    small = np.ascontiguousarray(frames[:, :8, :8])
    assert compare.compare(path, video(tmp_path / "small.mp4", small)) == "frame size 8x8 instead of 16x16"
    (tmp_path / "junk.mp4").write_bytes(b"not a video at all" * 10)
    assert compare.compare(path, tmp_path / "junk.mp4").startswith("cannot be decoded (")


def test_frames_are_compared_one_by_one_and_a_count_that_differs_is_told_either_way(clip, tmp_path):
    path, frames = clip
    assert compare.compare_frames(path, video(tmp_path / "same.mp4", frames)) is None
    assert compare.compare_frames(path, video(tmp_path / "short.mp4", frames[:3])) == "3 frames instead of 5"
    longer = np.concatenate([frames, frames[-1:], frames[-1:]])
    assert compare.compare_frames(path, video(tmp_path / "long.mp4", longer)) == "7 frames instead of 5"
    (tmp_path / "junk.mp4").write_bytes(b"\0" * 100)
    assert compare.compare_frames(path, tmp_path / "junk.mp4") == (
        f"cannot be decoded ({tmp_path / 'junk.mp4'} cannot be decoded as a video (Could not load meta information))"
    )
    decoded = list(compare.decoded_frames(path))
    assert decoded[0]["size"] == (16, 16) and len(decoded) == 6
    assert np.array_equal(np.stack(decoded[1:]), frames)  # every frame, as it was encoded
    with pytest.raises(compare.Undecodable, match="junk.mp4 cannot be decoded as a video"):
        next(compare.decoded_frames(tmp_path / "junk.mp4"))
    with pytest.raises(compare.Undecodable, match="junk.mp4 cannot be decoded as a video"):
        compare.video_facts(tmp_path / "junk.mp4")


def test_a_players_view_of_a_video_is_compared_key_by_key_then_frame_times():
    want = {"frame size": "16x16", "sample aspect ratio": "1/1", "rotation": 0.0, "colour": "yuv420p",
            "times": [0.0, 0.1, 0.2]}  # fmt: skip
    assert compare.video_metadata_difference(want, dict(want)) is None
    for key, other, said in [("frame size", "8x8", "frame size 8x8 instead of 16x16"),
                             ("sample aspect ratio", "2/1", "sample aspect ratio 2/1 instead of 1/1"),
                             ("rotation", 90.0, "rotation 90.0 instead of 0.0"),
                             ("colour", "yuv444p", "colour yuv444p instead of yuv420p"),
                             ("times", [0.0, 0.1], "2 frames instead of 3")]:  # fmt: skip
        assert compare.video_metadata_difference(want, {**want, key: other}) == said
    nearly = {**want, "times": [0.0, 0.1009, 0.2]}  # a muxer's rounding: within FRAME_TIME_TOLERANCE
    assert compare.video_metadata_difference(want, {**want, "times": [0.001, 0.1, 0.2]}) is None  # at it exactly
    assert compare.video_metadata_difference(want, nearly) is None
    late = {**want, "times": [0.0, 0.1, 0.2011]}
    assert compare.video_metadata_difference(want, late) == (
        "frame 2 shows at 0.201 s instead of 0.200 s (another speed or timing)"
    )
    early = {**want, "times": [0.0, 0.0989, 0.2]}
    assert compare.video_metadata_difference(want, early).startswith("frame 1 shows at 0.099 s")


def test_ffmpegs_description_of_a_video_is_read_for_rotation_aspect_and_colour(clip, tmp_path):
    path, _ = clip
    turned, wide = tmp_path / "turned.mp4", tmp_path / "wide.mp4"
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run([ffmpeg, "-v", "error", "-display_rotation", "90", "-i", str(path), "-c", "copy", str(turned)],
                   check=True)  # fmt: skip
    subprocess.run([ffmpeg, "-v", "error", "-i", str(path), "-c", "copy", "-aspect", "2:1", str(wide)], check=True)
    assert compare.video_facts(turned)["rotation"] == 90.0
    assert compare.video_facts(wide)["sample aspect ratio"] == "2/1"
    assert compare.compare(path, turned) == "rotation 90.0 instead of 0.0"


def test_a_videos_facts_are_read_whatever_bytes_its_name_holds(clip, tmp_path):
    path, _ = clip
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/clip \xff.mp4"))  # not UTF-8: ffmpeg's log echoes it as it is
    shutil.copy(path, odd)
    assert compare.video_facts(odd) == compare.video_facts(path)


def fake_ffmpeg(folder: Path, monkeypatch, stdout: str, stderr: str, code: int = 0) -> None:
    """An ffmpeg that prints these and exits with `code`, for what a real one prints only on rare files."""
    (folder / "out").write_text(stdout)
    (folder / "err").write_text(stderr)
    script = folder / "ffmpeg"
    script.write_text(f"#!/bin/sh\ncat '{folder / 'out'}'\ncat '{folder / 'err'}' >&2\nexit {code}\n")
    script.chmod(0o755)
    monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", lambda: str(script))


HEADER = "#tb 0: 1/10\n#media_type 0: video\n#dimensions 0: 16x16\n"
FRAMES = "0, 0, 0, 1, 768, 0x0000abcd\n0, 1, 1, 1, 768, 0x0000abce\n"  # stream, dts, pts, duration, size, crc


def test_ffmpeg_failing_after_some_frames_makes_a_video_undecodable_in_ffmpegs_first_words(tmp_path, monkeypatch):
    fake_ffmpeg(tmp_path, monkeypatch, HEADER + FRAMES, "Error while decoding: broken\nmore\n", code=1)
    with pytest.raises(compare.Undecodable) as failed:
        compare.video_facts(tmp_path / "a.mp4")
    assert str(failed.value) == f"{tmp_path / 'a.mp4'} cannot be decoded as a video (Error while decoding: broken)"


def test_a_video_ffmpeg_describes_without_its_aspect_or_colour_has_square_pixels_and_no_colour(tmp_path, monkeypatch):
    fake_ffmpeg(tmp_path, monkeypatch, HEADER + FRAMES, "Input #0, mov, from 'a.mp4':\n")
    assert compare.video_facts(tmp_path / "a.mp4") == {
        "frame size": "16x16", "sample aspect ratio": "1/1", "rotation": 0.0, "colour": None, "times": [0.0, 0.1],
        "checksums": ["0x0000abcd", "0x0000abce"]}  # fmt: skip


def test_rotation_and_colour_are_the_input_streams_not_what_ffmpeg_writes(tmp_path, monkeypatch):
    log = ("Input #0, mov, from 'a.mp4':\n  Stream #0:0: Video: h264 (High), yuv420p(progressive), 16x16\n"
           "Stream mapping:\n  Stream #0:0 -> #0:0 (h264 -> rawvideo)\nOutput #0, framecrc, to 'pipe:':\n"
           "  Stream #0:0: Video: rawvideo, rgb24, 16x16\n    Side data:\n      displaymatrix: rotation of -90.00 "
           "degrees\n")  # fmt: skip
    fake_ffmpeg(tmp_path, monkeypatch, HEADER + "#sar 0: 1/1\n" + FRAMES, log)
    facts = compare.video_facts(tmp_path / "a.mp4")
    assert (facts["rotation"], facts["colour"]) == (0.0, "yuv420p(progressive)")


# -- recordings: numbers within float noise, words word for word ----------------------------------------------


def test_the_relative_difference_is_against_the_largest_finite_magnitude_and_specials_must_match():
    assert compare.relative_difference([2.0, -4.0], [2.0, -4.0]) == 0.0
    assert compare.relative_difference([2.0, -4.0], [2.4, -4.0]) == pytest.approx(0.1)  # 0.4 of 4
    assert compare.relative_difference([0.0, 0.0], [0.0, 0.5]) == 0.5  # an all-zero array: absolute
    assert compare.relative_difference([np.nan, 1.0], [np.nan, 1.0]) == 0.0
    assert compare.relative_difference([np.inf, 1.0], [-np.inf, 1.0]) == np.inf
    assert compare.relative_difference([np.inf, 1.0], [np.nan, 1.0]) == np.inf
    assert compare.relative_difference([np.inf, 1.0], [5.0, 1.0]) == np.inf
    assert compare.relative_difference([np.inf, np.nan], [np.inf, np.nan]) == 0.0  # nothing finite to compare


def run_of(steps: int = 4, **fields):
    loss = np.linspace(1.0, 0.5, steps + 1)
    run = synthetic(loss, np.tile(np.linspace(-1, 1, 8), (steps + 1, 1)))
    return dataclasses.replace(run, **fields)


def test_a_recording_differs_by_its_settings_its_arrays_or_their_shapes_and_says_which_run():
    old = run_of()
    assert compare.compare_runs([old], [run_of()]) is None
    assert compare.compare_runs([old], [old, old]) == "holds 1 runs, a recording now gives 2"
    louder = run_of(meta={"run": {"batch_size": 0, "noise_floor": 0.5}})
    assert compare.compare_runs([old], [louder]) == (
        "recorded with noise_floor None, the scene now says noise_floor 0.5"
    )
    assert compare.compare_runs([old, old], [old, louder]) == (
        "run 2: recorded with noise_floor None, the scene now says noise_floor 0.5"
    )
    assert compare.compare_runs([run_of(meta={})], [run_of(meta={})]) is None
    assert compare.compare_runs([run_of(meta={})], [old]).startswith("recorded with batch_size None, ")
    longer = run_of(steps=5)
    assert compare.compare_runs([old], [longer]) == "loss has shape (5,), a recording now gives (6,)"
    edge = [run_of(loss=np.full(5, 10010.0))], [run_of(loss=np.full(5, 10000.0))]  # 10 of 10000: the tolerance itself
    assert compare.compare_runs(*edge) is None
    nudged = dataclasses.replace(old, loss=old.loss * (1 + 0.9e-3))
    assert compare.compare_runs([old], [nudged]) is None  # float noise: under RECORDING_RTOL
    moved = dataclasses.replace(old, loss=old.loss * (1 + 2e-3))
    assert compare.compare_runs([old], [moved]) == "loss differs by up to 2.0e-03 of its scale (tolerance 0.001)"
    units = Units(*(np.zeros((5, 2)) for _ in range(3)), np.zeros(5))
    assert compare.compare_runs([old], [dataclasses.replace(old, units=units)]) == "units.w is missing"
    assert compare.compare_runs([dataclasses.replace(old, units=units)], [old]) == "units.w is extra"
    held = Held(np.zeros(3), np.zeros(3), np.linspace(1, 2, 5), np.zeros((5, 3)))
    twice = dataclasses.replace(held, loss=held.loss * 2)
    with_test = [old, dataclasses.replace(old, test=held)]
    assert compare.compare_runs(with_test, [old, dataclasses.replace(old, test=twice)]) == (
        "run 2: test.loss differs by up to 5.0e-01 of its scale (tolerance 0.001)"
    )
    assert compare.paired_arrays(old, old).keys() == {"x", "y", "grid_x", "loss", "change", "pred", "grid_pred",
                                                      "params"}  # fmt: skip


def event(kind="converged", step=7, text="converged · step 7", detail="Step 7: loss 0.1235.", run=0):
    return Event(kind, step, text, detail, run)


def test_recorded_events_must_say_the_same_within_the_last_printed_digit():
    old = (event(), event("spike", 9, "spike · step 9", "Step 9: from 0.25 to 1.5e-3."))
    assert compare.events_difference(old, old) is None
    said = "the recorded events changed:"
    assert compare.events_difference(old, old[:1]) == f"{said} 2 recorded, a recording now finds 1"
    assert compare.events_difference(old[:1], (event(step=8),)) == (
        f"{said} converged at step 7 recorded, a recording now finds converged at step 8"
    )
    assert compare.events_difference(old[:1], (event(kind="spike"),)) == (
        f"{said} converged at step 7 recorded, a recording now finds spike at step 7"
    )
    assert compare.events_difference(old[:1], (event(run=1),)).startswith(f"{said} converged at step 7 recorded")
    assert compare.events_difference(old[:1], (event(detail="Step 7: loss 0.1236."),)) is None  # the last digit
    assert compare.events_difference(old[:1], (event(detail="Step 7: loss 0.1237."),)) == (
        f"{said} step 7 says 'converged · step 7', a recording now 'converged · step 7': 'Step 7: loss 0.1237.'"
    )
    assert compare.events_difference(old[:1], (event(text="converged · step 7!"),)) is not None


@pytest.mark.parametrize(
    ("old", "new", "same"),
    [("loss 0.1235", "loss 0.1235", True), ("loss 0.1235", "loss 0.1236", True), ("loss 0.1235", "loss 0.1234", True),
     ("loss 0.1235", "loss 0.1237", False), ("loss 0.1235", "loss 0.12350", False), ("loss 0.12", "loss 0.13", True),
     ("loss 0.12", "loss 0.14", False), ("step 12", "step 13", False), ("loss 1e-3", "loss 2e-3", False),
     ("loss 1.5e-3", "loss 1.6e-3", False), ("loss 0.1235", "cost 0.1235", False), ("a 1.0 b", "a 1.0 c", False),
     ("x -0.5", "x 0.5", False), ("x 1.25 y 3", "x 1.24 y 3", True), ("x 1.25 y 3", "x 1.25 y 4", False),
     ("x 2.5", "x 2.6", True), ("x 2.5", "x 2.7", False), ("x 0.12345", "x 0.12346", True),
     ("x 0.12345", "x 0.12347", False), ("x 9.9", "x 10.0", True), ("x 9.9", "x 10.1", False)],
)  # fmt: skip
def test_same_words_allows_one_unit_of_the_last_printed_digit_and_nothing_else(old, new, same):
    assert compare.same_words(old, new) is same


def landscape(**fields):
    described = {"kind": "exact", "labels": ("weight w", "bias b"), "explained": 1.0, "minimum": (1.0, 2.0), **fields}
    return SimpleNamespace(**described)


def test_a_recorded_landscape_is_described_by_its_kind_axes_plane_and_minimum():
    said = "the recorded landscape changed:"
    assert compare.landscape_difference(None, None) is None
    assert compare.landscape_difference(landscape(), landscape()) is None
    assert compare.landscape_difference(None, landscape()) == f"{said} none is recorded"
    assert compare.landscape_difference(landscape(), None) == f"{said} a recording now has none"
    assert compare.landscape_difference(landscape(), landscape(kind="pca")) == (
        f"{said} exact ['weight w', 'bias b'], a recording now gives pca ['weight w', 'bias b']"
    )
    assert compare.landscape_difference(landscape(), landscape(labels=("w", "b"))) == (
        f"{said} exact ['weight w', 'bias b'], a recording now gives exact ['w', 'b']"
    )
    assert compare.landscape_difference(landscape(), landscape(explained=1.0009)) is None
    assert compare.landscape_difference(landscape(explained=0.0), landscape(explained=1e-3)) is None  # the tolerance
    at_tolerance = landscape(minimum=(10010.0, 0.0)), landscape(minimum=(10000.0, 0.0))  # 10 of the new 10000
    assert compare.landscape_difference(*at_tolerance) is None
    assert compare.landscape_difference(landscape(), landscape(explained=0.998)) == (
        f"{said} its plane holds 1 of the path, a recording now 0.998"
    )
    assert compare.landscape_difference(landscape(), landscape(explained=1.002)) is not None
    assert compare.landscape_difference(landscape(), landscape(minimum=(1.0, 2.001))) is None
    assert compare.landscape_difference(landscape(), landscape(minimum=(1.0, 2.01))) == (
        f"{said} its minimum is at (1.0, 2.0), a recording now finds (1.0, 2.01)"
    )
    assert compare.landscape_difference(landscape(), landscape(minimum=None)) == (
        f"{said} its minimum is at (1.0, 2.0), a recording now finds None"
    )
    assert compare.landscape_difference(landscape(minimum=None), landscape()) is not None
    assert compare.landscape_difference(landscape(minimum=None), landscape(minimum=None)) is None


def test_recorded_parameters_and_fields_name_the_run_and_the_setting_that_changed():
    old = run_of(meta={"run": {"lr": 0.1}, "lr": 0.1, "steps": 4})
    assert compare.parameters_difference(old.meta, {**old.meta, "run": {"lr": 0.2}}) is None  # compare_runs' to say
    assert compare.parameters_difference(old.meta, {**old.meta, "lr": 0.2, "title": "t"}) == (
        "the recorded parameters changed: recorded with lr 0.1, title None, the scene now says lr 0.2, title 't'"
    )
    assert compare.compare_fields([old], [old]) is None
    changed = dataclasses.replace(old, meta={**old.meta, "steps": 5})
    assert compare.compare_fields([old], [changed]) == (
        "the recorded parameters changed: recorded with steps 4, the scene now says steps 5"
    )
    assert compare.compare_fields([old, old], [old, changed]).startswith("run 2: the recorded parameters changed")
    spoken = dataclasses.replace(old, events=(event(),))
    assert compare.compare_fields([old], [spoken]) == "the recorded events changed: 0 recorded, a recording now finds 1"
    shaped = dataclasses.replace(old, landscape=landscape())
    assert compare.compare_fields([old], [shaped]) == "the recorded landscape changed: none is recorded"
    assert compare.compare_fields([shaped], [shaped]) is None
    assert compare.compare_fields([old], [old, changed]) is None  # another count of runs: compare_runs says so
    assert compare.changed_settings({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": "x"}) == (
        "recorded with b 2, c None, the scene now says b 3, c 'x'"
    )

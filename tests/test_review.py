"""Reviewing and embedding: exact stills, contact sheets, posters, the review page, web formats, notebooks."""

import base64
import re

import imageio.v3 as iio
import numpy as np
import pytest
from click.testing import CliRunner
from conftest import decode, scene_file_rendered, stream_info

from tp1viz import draw, review
from tp1viz.cli import main
from tp1viz.folder import made_video
from tp1viz.recorder import record_scene
from tp1viz.scenes import load_catalog

TINY = """
[tiny]
kind = "video"
title = "Tiny"
dataset = "linear"
model = "linear"
lr = 0.005
steps = 20
size = 128
fps = 10
hold = 0.5
"""
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip


MOVE_TO = "(el, step) => { el.value = step; el.dispatchEvent(new Event('input')); }"  # as a drag would


def cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny scene rendered in every format: (scene file, media folder, scene)."""
    scenes, media = scene_file_rendered(tmp_path_factory, TINY, "tiny", "--format", "mp4,webm,gif")
    return scenes, media, load_catalog([scenes])["tiny"]


def test_frames_are_the_renderers_frames_pixel_for_pixel(tiny, tmp_path):
    scenes, media, scene = tiny
    result = cli("frames", "tiny", "--step", "0", "--step", "7", "--step", "last", "--scenes", scenes,
                 "--media", media, "--out", tmp_path)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny_step0.png", "tiny_step20.png", "tiny_step7.png"]
    animation = scene.animation(record_scene(scene))
    for step in (0, 7, 20):
        still = iio.imread(tmp_path / f"tiny_step{step}.png")
        np.testing.assert_array_equal(still, animation.draw_step(step)[..., :3])
    frames, _ = decode(media / "videos" / "tiny.mp4")
    assert np.abs(frames[7].astype(int) - iio.imread(tmp_path / "tiny_step7.png").astype(int)).mean() < 2


@pytest.mark.parametrize("step", ["21", "-1", "first", "2.5"])
def test_a_bad_step_is_exit_2_and_writes_nothing(tiny, tmp_path, step):
    scenes, media, _ = tiny
    result = cli("frames", "tiny", "--step", "3", "--step", step, "--scenes", scenes, "--media", media,
                 "--out", tmp_path / "out")  # fmt: skip
    assert result.exit_code == 2
    assert result.output == f"Error: Invalid value for '--step': step {step} is not in 0..20 (or 'last')\n"
    assert not (tmp_path / "out").exists()


def test_frames_of_a_still_is_a_usage_error(tmp_path):
    result = cli("frames", "tp_1_linear_fit", "--step", "0", "--out", tmp_path)
    assert result.exit_code == 2 and "tp_1_linear_fit is a still, not a video" in result.output


def test_the_contact_sheet_tells_the_story_in_the_requested_tiles(tiny, tmp_path):
    from PIL import Image

    scenes, media, scene = tiny
    result = cli("sheet", "tiny", "--count", "6", "--scenes", scenes, "--media", media, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    sheet = iio.imread(tmp_path / "tiny_sheet.png")
    runs = record_scene(scene)
    steps = review.story_steps(runs, 6)
    events = [event.step for event in runs[0].events]
    assert len(steps) == 6 and steps[0] == 0 and steps[-1] == 20 and set(events) <= set(steps)
    assert max(steps[1:-1]) < 15, steps  # where the picture moves: early, not evenly to the end
    animation = scene.animation(runs)
    for index, step in enumerate(steps):  # each tile is that step's frame, scaled
        top, left = draw.sheet_tile_box(index)
        frame = Image.fromarray(np.ascontiguousarray(animation.draw_step(step)[..., :3]))
        thumb = np.asarray(frame.resize((256, 256), Image.LANCZOS)).astype(int)
        assert np.abs(sheet[top : top + 256, left : left + 256].astype(int) - thumb).mean() < 1, step
    top, left = draw.sheet_tile_box(6)  # a seventh tile's place is blank: exactly six tiles
    assert sheet.shape[0] < top or (sheet[top : top + 256, left : left + 256] == 255).all()
    assert sheet.shape[1] == 8 + 4 * (256 + 8)


def test_labels_carry_the_step_and_the_loss(tiny):
    _, media, scene = tiny
    runs = made_video(scene, media).runs
    assert review.step_label(runs, 20) == f"step 20 · loss {runs[0].loss[20]:#.3g}"


def test_every_video_has_a_poster_of_its_final_frame(tiny):
    _, media, _ = tiny
    poster = iio.imread(media / "videos" / "tiny.jpg")
    frames, _ = decode(media / "videos" / "tiny.mp4")
    assert poster.shape == (128, 128, 3)
    assert np.abs(poster.astype(int) - frames[-1].astype(int)).mean() < 3


def test_webm_is_vp9_and_gif_has_every_frame(tiny):
    _, media, _ = tiny
    frames, meta = decode(media / "videos" / "tiny.webm")
    assert meta["codec"] == "vp9" and len(frames) == 20 + 1 + 5
    assert "vp9" in stream_info(media / "videos" / "tiny.webm")
    gif = iio.imread(media / "videos" / "tiny.gif", index=None)
    assert gif.shape[:3] == (26, 128, 128)
    mp4, _ = decode(media / "videos" / "tiny.mp4")
    assert np.abs(gif[10][..., :3].astype(int) - mp4[10].astype(int)).mean() < 8  # same picture, 256 colours


def test_a_plain_render_keeps_webm_and_gif_in_step(tiny):
    scenes, media, _ = tiny
    result = cli("render", "tiny", "--scenes", scenes, "--out", media)
    assert result.output.strip() == f"up to date {media / 'videos' / 'tiny.mp4'}"
    result = cli("render", "tiny", "--scenes", scenes, "--out", media, "--check")
    assert result.exit_code == 0, result.output  # the WebM and GIF are compared too


def test_embed_prints_the_page_markup_with_sources_that_exist(tiny):
    scenes, media, _ = tiny
    result = cli("embed", "tiny", "--scenes", scenes, "--media", media)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        '<video width="128" height="128" controls preload="metadata" poster="/videos/tiny.jpg">'
    )
    sources = re.findall(r'<source src="/videos/([^"]+)" type="video/(\w+)">', result.output)
    assert sources == [("tiny.mp4", "mp4"), ("tiny.webm", "webm")]  # MP4 first: the smaller file
    for name, _ in sources:
        assert (media / "videos" / name).is_file()
    assert '<img src="/videos/tiny.gif" width="128" height="128" loading="lazy" alt="Tiny">' in result.output
    missing = cli("embed", "linear_sgd", "--media", media)
    assert missing.exit_code == 2 and missing.stderr == (
        f"Error: {media}/videos/linear_sgd.mp4: missing; to make it: tp1viz render linear_sgd --out {media}\n"
    )


def test_notebook_video_is_inline_mp4(tmp_path):
    import torch

    import tp1viz

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(1, 10), torch.nn.ReLU(), torch.nn.Linear(10, 1))
    x = torch.linspace(-1, 1, 50).unsqueeze(1)
    traj = tp1viz.record(net, x, x**2, torch.optim.SGD(net.parameters(), lr=0.5), torch.nn.MSELoss(), steps=15)
    clip = tp1viz.video(traj, size=128, fps=10)
    page = clip._repr_html_()
    match = re.fullmatch(r'<video controls width="128" height="128" src="data:video/mp4;base64,([^"]+)"></video>',
                         page)  # fmt: skip
    assert match
    (tmp_path / "inline.mp4").write_bytes(base64.b64decode(match.group(1)))
    frames, meta = decode(tmp_path / "inline.mp4")
    assert len(frames) == 15 + 1 + 10 and meta["codec"] == "h264"
    saved = clip.save(tmp_path / "fit.gif")
    assert iio.imread(saved, index=None).shape[0] == 26
    with pytest.raises(ValueError, match="the suffix must be one of .mp4, .webm, .gif"):
        clip.save(tmp_path / "fit.avi")


def test_a_students_run_knows_its_loss_and_optimizer(tmp_path):
    import torch

    import tp1viz

    torch.manual_seed(0)
    x = torch.linspace(-1, 1, 30).unsqueeze(1)
    runs = []
    for lr in (0.5, 0.05):
        net = torch.nn.Sequential(torch.nn.Linear(1, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
        runs.append(tp1viz.record(net, x, x**2, torch.optim.SGD(net.parameters(), lr=lr), torch.nn.MSELoss(), 6))
    assert runs[0].meta == {"loss": "MSE", "run": {"label": "", "optimizer": "SGD", "lr": 0.5}}
    single = tp1viz.video(runs[0], size=128)
    assert single.title == "SGD lr 0.5"
    animation = single.animation()
    assert animation.loss.lines[0].axes.get_ylabel() == "MSE loss"
    both = tp1viz.video(runs, labels=["fast", "slow"], size=128).animation()
    assert [fit.curve.axes.get_title().split("\n")[0] for fit in both.fits] == ["fast", "slow"]
    assert both.fits[1].curve.axes.get_title().split("\n")[1].startswith("lr 0.05: ")


def test_runs_that_cannot_share_a_video_are_one_clear_error():
    import torch

    import tp1viz

    x = torch.linspace(-1, 1, 10).unsqueeze(1)

    def run(steps):
        net = torch.nn.Linear(1, 1)
        return tp1viz.record(net, x, x, torch.optim.SGD(net.parameters(), lr=0.1), torch.nn.MSELoss(), steps)

    with pytest.raises(ValueError, match="these have 10, 5 steps: record them alike"):
        tp1viz.video([run(10), run(5)])
    with pytest.raises(ValueError, match="a video shows 1 run, or 2 to 4 side by side; got 5"):
        tp1viz.video([run(3)] * 5)
    with pytest.raises(ValueError, match="2 labels for 3 runs"):
        tp1viz.video([run(3)] * 3, labels=["a", "b"])

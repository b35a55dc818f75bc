"""Reviewing and embedding: exact stills, contact sheets, posters, the review page, web formats, notebooks."""

import base64
import os
import re
import shutil

import imageio.v3 as iio
import numpy as np
import pytest
from click.testing import CliRunner
from conftest import decode, stream_info

from tp1viz import draw, review
from tp1viz.cli import main
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
    folder = tmp_path_factory.mktemp("review")
    scenes = folder / "tiny.toml"
    scenes.write_text(TINY)
    media = folder / "media"
    result = cli("render", "tiny", "--scenes", scenes, "--out", media, "--format", "mp4,webm,gif")
    assert result.exit_code == 0, result.output
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


def test_the_contact_sheet_holds_the_requested_tiles_first_and_last_included(tiny, tmp_path):
    from PIL import Image

    scenes, media, scene = tiny
    result = cli("sheet", "tiny", "--count", "6", "--scenes", scenes, "--media", media, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    sheet = iio.imread(tmp_path / "tiny_sheet.png")
    steps = review.sheet_steps(scene.steps, 6)
    assert steps == [0, 4, 8, 12, 16, 20]
    animation = scene.animation(record_scene(scene))
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
    runs = review.recorded_runs(scene, media)
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
    assert '<img src="/videos/tiny.gif"' in result.output
    missing = cli("embed", "linear_sgd", "--media", media)
    assert missing.exit_code == 1 and "is missing; run: tp1viz render linear_sgd" in missing.output


def test_notebook_video_is_inline_mp4(tmp_path):
    import torch

    import tp1viz

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(1, 10), torch.nn.ReLU(), torch.nn.Linear(10, 1))
    x = torch.linspace(-1, 1, 50).unsqueeze(1)
    traj = tp1viz.record(net, x, x**2, torch.optim.SGD(net.parameters(), lr=0.5), torch.nn.MSELoss(), steps=15)
    clip = tp1viz.video(traj, size=128, fps=10)
    page = clip._repr_html_()
    match = re.fullmatch(r'<video controls width="128" height="128"><source src="data:video/mp4;base64,([^"]+)" '
                         r'type="video/mp4"></video>', page)  # fmt: skip
    assert match
    (tmp_path / "inline.mp4").write_bytes(base64.b64decode(match.group(1)))
    frames, meta = decode(tmp_path / "inline.mp4")
    assert len(frames) == 15 + 1 + 10 and meta["codec"] == "h264"
    saved = clip.save(tmp_path / "fit.gif")
    assert iio.imread(saved, index=None).shape[0] == 26
    with pytest.raises(ValueError, match="the suffix must be one of .mp4, .webm, .gif"):
        clip.save(tmp_path / "fit.avi")


def chromium():
    """Debian's chromium and Python Playwright, or a skip (a failure on CI, where .ci/run installs both)."""
    path = shutil.which("chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path = None
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have chromium and playwright (.ci/run installs them)")
        pytest.skip("needs Debian's chromium and `pip install playwright`")
    return path


def test_review_page_scrubs_step_by_step_in_a_real_browser(tiny, tmp_path):
    executable = chromium()  # skips, before playwright is imported, where there is none
    from playwright.sync_api import sync_playwright

    scenes, media, scene = tiny
    result = cli("review", "tiny", "tp_1_linear_fit", "--scenes", scenes, "--media", media, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.js", "index.html", "tiny_sheet.png"]
    runs = review.recorded_runs(scene, media)
    requests = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("request", lambda request: requests.append(request.url))
            page.goto((tmp_path / "index.html").as_uri())
            page.wait_for_function("document.querySelector('#tiny video').readyState >= 2", timeout=30_000)
            for step in (13, 0, 20):
                page.eval_on_selector("#tiny input[type=range]", MOVE_TO, step)
                page.wait_for_function("!document.querySelector('#tiny video').seeking", timeout=10_000)
                assert page.eval_on_selector("#tiny video", "v => v.currentTime") == pytest.approx(step / 10)
                readout = page.eval_on_selector("#tiny output", "o => o.textContent")
                assert readout == f"step {step} / 20 · loss {runs[0].loss[step]:#.4g}"
            page.wait_for_function("document.querySelector('#tiny video').readyState >= 2", timeout=10_000)
            page.screenshot(path=str(tmp_path / "review.png"))
            assert page.eval_on_selector("#tiny img", "img => img.naturalWidth") > 0  # the contact sheet loaded
            assert page.eval_on_selector("#tp_1_linear_fit img", "img => img.naturalWidth") == 512
        finally:
            browser.close()
    assert requests and all(url.startswith("file://") for url in requests), requests
    assert iio.imread(tmp_path / "review.png").shape[:2] == (900, 1100)

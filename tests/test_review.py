"""Reviewing and embedding: exact stills, contact sheets, posters, the review page, web formats, notebooks."""

import base64
import json
import re
import shlex
import shutil
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from click.testing import CliRunner
from conftest import ROOT, decode, digests, plan_of, run, scene_file_rendered, stream_info

from tp1viz import draw, review
from tp1viz.cli import main
from tp1viz.made import made_video
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
    at = plan_of(scene, media).frame_of(7)
    assert np.abs(frames[at].astype(int) - iio.imread(tmp_path / "tiny_step7.png").astype(int)).mean() < 2


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
    _, media, scene = tiny
    frames, meta = decode(media / "videos" / "tiny.webm")
    assert meta["codec"] == "vp9" and len(frames) == len(plan_of(scene, media))
    assert "vp9" in stream_info(media / "videos" / "tiny.webm")
    gif = iio.imread(media / "videos" / "tiny.gif", index=None)
    assert gif.shape[:3] == (len(frames), 128, 128)
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
    assert both.fits[1].curve.axes.get_title().split("\n")[1] == "lr 0.05"  # what happens is said when it does


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


# ---- what a folder holds: review, frames and sheet show it as it was made, never render -----------------

PACED = """
[paced]
kind = "video"
title = "Paced"
dataset = "linear"
model = "linear"
lr = 0.005
steps = 30
size = 128
fps = 20
hold = 0.5
pace = "change"
max_seconds = 1
notes = [{ step = 20, text = "settled" }]
"""


@pytest.fixture(scope="module")
def paced(tmp_path_factory):
    """A scene paced by change in fewer frames than steps, rendered three ways: as it is, with its note's words
    changed (the same frames until step 20), and cut to 20 steps. {way: (scene file, media)}."""
    worded = PACED.replace('text = "settled"', 'text = "settled, nearly"')
    return {"as is": scene_file_rendered(tmp_path_factory, PACED, "paced"),
            "worded": scene_file_rendered(tmp_path_factory, worded, "paced"),
            "shorter": scene_file_rendered(tmp_path_factory, PACED, "paced", "--steps", "20")}  # fmt: skip


def bars(page: Path) -> list[int]:
    """The steps the comparison strip marks as differing."""
    return [int(x) for x in re.findall(r'<rect class="step" x="(\d+)"', page.read_text())]


def review_data(page: Path) -> dict:
    return json.loads(page.with_name("data.js").read_text().removeprefix("window.TP1VIZ_REVIEW = ").rstrip(";\n"))


def noted_steps(paced) -> list[int]:
    """The steps at which the note of either render ("as is", "worded") is on screen: where the two differ."""
    steps = set()
    for way in ("as is", "worded"):
        made = made_video(load_catalog([paced[way][0]])["paced"], paced[way][1])
        animation = made.scene.animation(made.runs)
        for note in (overlay for overlay in animation.overlays if overlay.by_frame):
            steps |= {int(step) for step in animation.plan.shown[note.first : note.last + 1]}
    return sorted(steps)


def test_review_against_pairs_the_steps_of_paced_videos_both_ways_and_changes_neither_folder(paced, tmp_path):
    scene_file, media = paced["as is"]
    made = made_video(load_catalog([scene_file])["paced"], media)
    assert made.plan.frame_of(20) != 20 and len(set(made.plan.shown)) < 31  # frame k is not step k; steps skipped
    for new, old in (("worded", "as is"), ("as is", "worded")):
        before = {way: digests(paced[way][1]) for way in (new, old)}
        page = tmp_path / new / "index.html"
        result = cli("review", "paced", "--scenes", paced[new][0], "--media", paced[new][1], "--against",
                     paced[old][1], "--out", page.parent)  # fmt: skip
        assert result.exit_code == 0, result.output
        assert result.stdout == f"wrote {page} (1 changed, 0 unchanged)\n"
        assert "They part at step 20; the largest difference is " in page.read_text()  # the note's step
        assert bars(page) == noted_steps(paced)  # a bar for each step at which either note is on screen
        assert review_data(page)["paced"]["videos"][0]["shown"] == [int(step) for step in made.plan.shown]
        assert {way: digests(paced[way][1]) for way in (new, old)} == before


def test_review_against_pairs_runs_of_different_lengths_both_ways(paced, tmp_path):
    for new, old in (("shorter", "as is"), ("as is", "shorter")):
        page = tmp_path / new / "index.html"
        result = cli("review", "paced", "--scenes", paced[new][0], "--media", paced[new][1], "--against",
                     paced[old][1], "--out", page.parent)  # fmt: skip
        assert result.exit_code == 0, result.output
        assert result.stdout.endswith("(1 changed, 0 unchanged)\n")
        info = review_data(page)["paced"]
        assert info["steps"] == 30 and [video["steps"] for video in info["videos"]] == ([30, 20] if old == "as is"
                                                                                         else [20, 30])  # fmt: skip
        assert 'viewBox="0 0 31 1"' in page.read_text() and bars(page) == list(range(31))  # "step k/20" vs k/30
        assert "Parameters: steps 30 → 20" in page.read_text() or "Parameters: steps 20 → 30" in page.read_text()


def test_an_identical_render_or_one_in_other_bytes_reviews_as_unchanged(paced, tmp_path):
    import hashlib
    import subprocess

    import imageio_ffmpeg

    scene_file, media = paced["as is"]
    again = tmp_path / "again"
    assert run("render", "paced", "--scenes", scene_file, "--out", again, "-q").exit_code == 0
    result = cli("review", "paced", "--scenes", scene_file, "--media", again, "--against", media,
                 "--out", tmp_path / "page")  # fmt: skip
    assert result.stdout.endswith("(0 changed, 1 unchanged)\n"), result.output
    video = again / "videos" / "paced.mp4"  # the same frames in other bytes: another container, as it is described
    remuxed = tmp_path / "remuxed.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", video, "-c", "copy", "-metadata",
                    "comment=muxed again", remuxed], check=True)  # fmt: skip
    video.write_bytes(remuxed.read_bytes())
    entries = json.loads((again / "manifest.json").read_text())
    entries["outputs"]["videos/paced.mp4"].update(sha256=hashlib.sha256(video.read_bytes()).hexdigest(),
                                                  bytes=video.stat().st_size)  # fmt: skip
    (again / "manifest.json").write_text(json.dumps(entries))
    assert video.read_bytes() != (media / "videos" / "paced.mp4").read_bytes()
    result = cli("review", "paced", "--scenes", scene_file, "--media", again, "--against", media,
                 "--out", tmp_path / "page")  # fmt: skip
    assert result.stdout.endswith("(0 changed, 1 unchanged)\n"), result.output


def test_a_render_aside_with_an_override_is_reviewed_beside_the_course_video(tmp_path):
    new = tmp_path / "new"
    assert run("render", "linear_sgd", "--lr", "0.0052", "--out", new, "-q").exit_code == 0
    before = digests(new), digests(ROOT / "media")
    result = cli("review", "linear_sgd", "--media", new, "--against", ROOT / "media")  # no render at lr 0.005 in new
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote {new / 'review' / 'index.html'} (1 changed, 0 unchanged)\n"
    page = (new / "review" / "index.html").read_text()
    sources = re.findall(r'<source src="([^"]+)" type="video/mp4">', page)
    assert [(new / "review" / src).resolve() for src in sources] == [
        (ROOT / "media" / "videos" / "linear_sgd.mp4"),
        (new / "videos" / "linear_sgd.mp4").resolve(),
    ]
    assert "Parameters: lr 0.005 → 0.0052." in page and "They part at step 0" in page  # the title names the lr
    new_files = {path for path in digests(new) if path not in before[0]}
    assert {path: digest for path, digest in digests(new).items() if path not in new_files} == before[0]
    assert all(path.startswith("review/") for path in new_files) and digests(ROOT / "media") == before[1]


def test_frames_and_sheet_draw_the_run_in_the_folder_not_the_catalogues(tiny, tmp_path):
    from PIL import Image

    scenes, _, scene = tiny
    aside = tmp_path / "aside"
    assert run("render", "tiny", "--scenes", scenes, "--lr", "0.05", "--steps", "10", "--out", aside).exit_code == 0
    result = cli("frames", "tiny", "--step", "last", "--scenes", scenes, "--media", aside, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    made = scene.with_overrides(lr=0.05, steps=10)
    drawn = made.animation(record_scene(made)).draw_step(10)
    np.testing.assert_array_equal(iio.imread(tmp_path / "tiny_step10.png"), drawn[..., :3])
    result = cli("frames", "tiny", "--step", "15", "--scenes", scenes, "--media", aside, "--out", tmp_path)
    assert result.exit_code == 2 and "step 15 is not in 0..10 (or 'last')" in result.output  # its steps, not 20
    assert cli("sheet", "tiny", "--count", "4", "--scenes", scenes, "--media", aside, "--out", tmp_path).exit_code == 0
    sheet = iio.imread(tmp_path / "tiny_sheet.png")
    top, left = draw.sheet_tile_box(3)  # the last tile: step 10 of the run at lr 0.05
    thumb = np.asarray(Image.fromarray(np.ascontiguousarray(drawn[..., :3])).resize((256, 256), Image.LANCZOS))
    assert np.abs(sheet[top : top + 256, left : left + 256].astype(int) - thumb.astype(int)).mean() < 1


def break_recording_code(media: Path) -> None:
    entries = json.loads((media / "manifest.json").read_text())
    entries["outputs"]["trajectories/tiny.npz"]["recording"] = "0" * 64
    (media / "manifest.json").write_text(json.dumps(entries))


@pytest.mark.parametrize(
    "breaks, line, force",
    [
        (lambda media: (media / "videos" / "tiny.mp4").unlink(), "videos/tiny.mp4: missing", ""),
        (lambda media: (media / "videos" / "tiny.mp4").open("ab").write(b"\0"),
         "videos/tiny.mp4: changed since it was rendered (its manifest.json entry describes other bytes)", ""),
        (break_recording_code, "trajectories/tiny.npz: recorded by other code (or another torch): which step each "
         "frame of its video shows cannot be worked out again", " --force"),  # its files look up to date
    ],
)  # fmt: skip
def test_review_never_renders_what_is_missing_or_stale_it_names_the_render_that_makes_it(tiny, tmp_path, breaks,
                                                                                          line, force):  # fmt: skip
    scenes, made, _ = tiny
    media = Path(shutil.copytree(made, tmp_path / "media"))
    breaks(media)
    before = digests(media)
    result = cli("review", "tiny", "--scenes", scenes, "--media", media)
    assert result.exit_code == 2 and result.stdout == ""
    again = f"tp1viz render tiny --scenes {scenes} --format webm,gif{force} --out {media}"  # as the folder made it
    assert result.stderr == f"Error: {media}/{line}; to make it: {again}\n"
    assert digests(media) == before and not (media / "review").exists()
    assert run(*shlex.split(again)[1:]).exit_code == 0  # the command it names, verbatim
    assert cli("review", "tiny", "--scenes", scenes, "--media", media).exit_code == 0


def inline_frames(clip, tmp_path: Path) -> np.ndarray:
    """The frames of a clip as Jupyter gets them: its inline MP4, decoded."""
    data = re.search(r'src="data:video/mp4;base64,([^"]+)"', clip._repr_html_())[1]
    (tmp_path / "inline.mp4").write_bytes(base64.b64decode(data))
    return decode(tmp_path / "inline.mp4")[0]


def test_a_side_by_side_clip_draws_each_runs_events_in_its_colour_on_its_curve(tmp_path):
    import dataclasses

    import torch

    import tp1viz

    x = torch.linspace(-1, 1, 50).unsqueeze(1)
    runs = []
    for lr in (0.01, 0.5):  # the slow run tells nothing; the fast one converges
        torch.manual_seed(0)
        net = torch.nn.Linear(1, 1)
        runs.append(tp1viz.record(net, x, 0.5 - x, torch.optim.SGD(net.parameters(), lr=lr), torch.nn.MSELoss(), 40))
    assert not runs[0].events and [event.kind for event in runs[1].events] == ["converged"]
    clip = tp1viz.video(runs, labels=["slow", "fast"], fps=10)
    told = inline_frames(clip, tmp_path)[-1].astype(int)
    silent = tp1viz.video([dataclasses.replace(run, events=()) for run in runs], labels=["slow", "fast"], fps=10)
    drawn = np.abs(told - inline_frames(silent, tmp_path)[-1].astype(int)).max(axis=-1) > 40  # marker and label
    r, g, b = np.moveaxis(told, -1, 0)
    orange = drawn & (r > 200) & (g > 90) & (g < 170) & (b < 100)  # the second run's colour (draw.RUN_COLORS[1])
    red = drawn & (r > 150) & (g < 90) & (b < 90)  # the first run's
    assert orange.sum() > 40 and red.sum() == 0, (orange.sum(), red.sum())
    animation = clip.animation()
    animation.draw_step(40)
    axes, step = animation.loss.lines[0].axes, runs[1].events[0].step

    def near(run, mask):  # the pixels within 6 px of the run's loss curve at the event's step
        column, row = axes.transData.transform((step, run.loss[step]))
        row = animation.size - row
        return int(mask[round(row) - 6 : round(row) + 7, round(column) - 6 : round(column) + 7].sum())

    assert near(runs[1], orange) > 10 and near(runs[0], drawn) == 0  # on its own curve, not on the first run's


def test_the_notebooks_course_video_is_the_course_video(tmp_path, monkeypatch):
    import tp1viz
    from tp1viz.compare import compare

    monkeypatch.chdir(ROOT)  # tp1viz.video("...") draws from media/ here, as in a notebook beside the course
    ours = tp1viz.video("train_vs_test").save(tmp_path / "train_vs_test.mp4")
    # The scene's pacing, notes, score and hold, frame for frame: the same bytes, or (another encoder's) every
    # decoded frame within the tolerance `render --check` allows.
    assert compare(ROOT / "media" / "videos" / "train_vs_test.mp4", ours) is None


def test_the_review_server_answers_ranges_and_only_the_folders_it_shows(tiny, tmp_path):
    import threading
    import urllib.error
    import urllib.request

    from tp1viz.serve import Server

    media = Path(shutil.copytree(tiny[1], tmp_path / "site" / "media"))
    (media.parent / "outside.txt").write_text("not served")
    (tmp_path / "elsewhere.txt").write_text("not served either")
    link = media / "videos" / "link.txt"
    link.unlink(missing_ok=True)
    link.symlink_to(tmp_path / "elsewhere.txt")  # inside the folder by name, outside by what it reaches
    video = (media / "videos" / "tiny.mp4").read_bytes()
    with Server([media], 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        home = server.url_of(media / "review" / "index.html").rsplit("/review/", 1)[0]

        def get(path, wanted=None):
            request = urllib.request.Request(home + path, headers={"Range": wanted} if wanted else {})
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    return answer.status, dict(answer.headers), answer.read()
            except urllib.error.HTTPError as error:
                return error.code, dict(error.headers), b""

        try:
            status, headers, body = get("/videos/tiny.mp4", "bytes=100-199")
            assert (status, headers["Content-Range"], body) == (206, f"bytes 100-199/{len(video)}", video[100:200])
            assert get("/videos/tiny.mp4", "bytes=-10")[2] == video[-10:]
            assert get("/videos/tiny.mp4", "bytes=5-")[2] == video[5:]
            status, headers, body = get("/videos/tiny.mp4")
            assert (status, headers["Accept-Ranges"], body) == (200, "bytes", video)
            assert get("/videos/tiny.mp4", f"bytes={len(video)}-")[:2][0] == 416
            assert get("/videos/tiny.txt")[1]["Content-Type"] == "text/plain; charset=utf-8"
            for outside in ("/../outside.txt", "/%2e%2e/outside.txt", "/videos/link.txt", "/../../elsewhere.txt"):
                assert get(outside)[0] == 404, outside
        finally:
            server.shutdown()


def test_a_video_that_cannot_be_decoded_is_one_line_and_nothing_is_written(paced, tmp_path):
    import hashlib

    scene_file, media = paced["as is"]
    old = Path(shutil.copytree(media, tmp_path / "old"))
    video = old / "videos" / "paced.mp4"
    video.write_bytes(video.read_bytes()[:3000])  # cut short, and the manifest told so: only decoding can tell
    entries = json.loads((old / "manifest.json").read_text())
    entries["outputs"]["videos/paced.mp4"].update(sha256=hashlib.sha256(video.read_bytes()).hexdigest(), bytes=3000)
    (old / "manifest.json").write_text(json.dumps(entries))
    result = cli("review", "paced", "--scenes", paced["worded"][0], "--media", paced["worded"][1], "--against", old,
                 "--out", tmp_path / "page")  # fmt: skip
    assert result.exit_code == 2 and not (tmp_path / "page").exists()
    assert re.fullmatch(
        rf"Error: {old}/videos/paced\.mp4: cannot be decoded \([^\n]+\); to make it from the scene as "
        rf"it is defined now: tp1viz render paced --scenes \S+ --force --out {old}\n",
        result.stderr,
    )


def test_a_port_in_use_is_one_line_and_exit_2(tiny, tmp_path):
    import socket

    scenes, media, _ = tiny
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("review", "tiny", "--scenes", scenes, "--media", media, "--out", tmp_path, "--serve",
                     "--port", port)  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == f"Error: Invalid value for '--port': cannot listen on port {port}: Address already in use\n"


@pytest.mark.parametrize(
    "record, why",
    [
        ({"notes": 5}, "key 'notes': expected an array, got 5"),
        ({"notes": [[1, "a", 3]]}, "key 'notes'[0]: expected a table, got [1, 'a', 3]"),
        ({"variants": [5]}, "'int' object has no attribute 'items'"),
        ({"lr": "fast"}, "key 'lr': expected a number, got 'fast'"),
        ({"sparkle": 1}, "key 'sparkle': unknown key; known: title, "),
        ({"steps": 10**9}, "key 'steps': "),
    ],
)
def test_a_scene_record_that_is_no_scene_is_one_line_and_exit_2(tiny, tmp_path, record, why):
    scenes, made, _ = tiny
    media = Path(shutil.copytree(made, tmp_path / "media"))
    entries = json.loads((media / "manifest.json").read_text())
    entries["outputs"]["videos/tiny.mp4"]["scene"].update(record)
    (media / "manifest.json").write_text(json.dumps(entries))
    out = ("--out", tmp_path / "out")
    for command in (("frames", "tiny", "--step", "1", *out), ("sheet", "tiny", *out), ("review", "tiny", *out),
                    ("embed", "tiny")):  # fmt: skip
        result = cli(*command, "--scenes", scenes, "--media", media)
        assert result.exit_code == 2 and result.stderr.count("\n") == 1, (command, result.output)
        assert result.stderr.startswith(f"Error: {media}/videos/tiny.mp4: cannot be drawn again: its manifest.json "
                                        f"entry: {why}"), result.stderr  # fmt: skip
    assert not (tmp_path / "out").exists()


def test_frames_sheet_review_and_embed_never_record_nor_import_torch(paced, tmp_path):
    import subprocess
    import sys

    scene_file, media = paced["shorter"]  # made with an override: the catalogue's scene would be recorded afresh
    script = """import sys
from tp1viz.cli import main
common = ["--scenes", sys.argv[1], "--media", sys.argv[2]]
for command in (["frames", "paced", "--step", "7"], ["sheet", "paced"], ["review", "paced"], ["embed", "paced"],
                ["review", "paced", "--against", sys.argv[3]]):
    main([*command, *common] + (["--out", sys.argv[4]] if command[0] != "embed" else []), standalone_mode=False)
print("torch" in sys.modules)"""
    args = [scene_file, media, paced["as is"][1], tmp_path]
    done = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "False"


def test_a_scene_the_old_folder_lacks_is_new_and_one_it_holds_in_part_is_a_line(paced, tmp_path):
    scene_file, media = paced["as is"]
    old = tmp_path / "old"
    old.mkdir()
    result = cli("review", "paced", "--scenes", scene_file, "--media", media, "--against", old, "--out", tmp_path / "a")
    assert result.stdout.endswith("(1 changed, 0 unchanged)\n"), result.output
    assert "<p>(not there before)</p>" in (tmp_path / "a" / "index.html").read_text()
    shutil.copytree(media, old, dirs_exist_ok=True)
    (old / "trajectories" / "paced.npz").unlink()  # its video is there: not new, but not showable
    result = cli("review", "paced", "--scenes", scene_file, "--media", media, "--against", old, "--out", tmp_path / "b")
    assert result.exit_code == 2 and not (tmp_path / "b").exists()
    assert result.stderr.startswith(f"Error: {old}/trajectories/paced.npz: missing; to make it: tp1viz render paced")


def test_the_scrubber_shows_a_passed_over_step_by_the_last_real_step_before_it(tmp_path):
    media = ROOT / "media"  # the course's linear_sgd: it glides through its first steps and passes over late ones
    made = made_video(load_catalog()["linear_sgd"], media)
    assert cli("review", "linear_sgd", "--media", media, "--out", tmp_path).exit_code == 0
    (video,) = review_data(tmp_path / "index.html")["linear_sgd"]["videos"]
    plan = made.plan
    real = set(int(step) for step in plan.end[plan.t >= 1])
    assert set(range(201)) - real and any(plan.t < 1)  # steps passed over, and in-between frames
    for step, frame in enumerate(video["frames"]):
        assert plan.t[frame] == 1 and plan.end[frame] == max(k for k in real if k <= step)  # never an in-between

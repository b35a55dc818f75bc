"""What a reviewer and a student meet, in real clients: the review page in Chromium, read back pixel by pixel; the
site snippet; a notebook run by nbclient and sanitised as JupyterLab sanitises a notebook it does not trust."""

import base64
import contextlib
import html.parser
import os
import re
import shutil
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, decode, plan_of, run, scene_file_rendered

from tp1viz import draw

SCENES = """
[tiny]
kind = "video"
title = "Tiny"
dataset = "linear"
model = "linear"
lr = 0.02
steps = 20
size = 256
fps = 30
hold = 0.5

[tiny_compare]
kind = "video"
title = "Two rates"
layout = "compare"
dataset = "linear"
model = "linear"
lr = 0.005
steps = 20
size = 256
fps = 30
hold = 0.5
variants = [{ lr = 0.002, label = "slow" }, { lr = 0.02, label = "fast" }]
"""
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium driven by Playwright (a failure on CI, where .ci/run installs both; a skip elsewhere)."""
    path = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        path = None
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have chromium and playwright (.ci/run installs them)")
        pytest.skip("needs Debian's chromium and `pip install playwright`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def tab(browser):
    """One tab for every page of the module (a new tab costs Chromium a renderer process of its own): the page,
    and the URLs it requested since its last visit."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    yield page, requested
    page.close()


def visit(tab, root: Path, path: str = "", index: str = ""):
    """A new document in the tab, served from `root` as `serve` says: http://local.test/PATH (about:blank first,
    so a visit that differs from the last one only in its #fragment still loads afresh)."""
    page, requested = tab
    page.goto("about:blank")
    page.unroute_all()
    serve(page, root, index)
    requested.clear()
    page.goto(f"http://local.test/{path}")
    return page, requested


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The two scenes rendered (tiny in every format) and their review page: (scene file, media, page)."""
    scenes, media = scene_file_rendered(tmp_path_factory, SCENES, "tiny", "--format", "webm,gif")
    assert run("render", "tiny_compare", "--scenes", scenes, "--out", media, "-q").exit_code == 0
    result = run("review", "tiny", "tiny_compare", "--scenes", scenes, "--media", media)
    assert result.exit_code == 0, result.output
    return scenes, media, media / "review" / "index.html"


# The band of the frame that holds the status line ("step  7/20  loss 3.142"): it names the step exactly. The
# pixels come back as base64 text: Playwright checks a returned array number by number, which cost 12 s of CPU.
READ_BAND = """const readBand = (video, top, height) => {
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth; canvas.height = video.videoHeight;
  const context = canvas.getContext("2d");
  context.drawImage(video, 0, 0);
  const pixels = context.getImageData(0, top, canvas.width, height).data;
  let text = "";
  for (let i = 0; i < pixels.length; i += 8192) text += String.fromCharCode(...pixels.subarray(i, i + 8192));
  return btoa(text);
};"""
# `seeked` can come before the new frame reaches the compositor, and a canvas drawn then gets the frame before it
# (measured here: 0 to 11 ms later, more on a busy machine). requestVideoFrameCallback tells each frame that comes,
# by its time; a seek within the frame on show brings none, so nothing is awaited then.
ON_SHOW = """const onShow = (video, fps) => {
  const shown = { frame: null, waiting: [] };
  const seen = (now, metadata) => {
    shown.frame = Math.round(metadata.mediaTime * fps);
    for (const [frame, done] of shown.waiting) if (frame === shown.frame) done();
    shown.waiting = shown.waiting.filter(([frame]) => frame !== shown.frame);
    video.requestVideoFrameCallback(seen);
  };
  video.requestVideoFrameCallback(seen);
  // Given up after two seconds: the pixels read then say what is on show, and the test says whether it is wrong.
  shown.until = (frame) => frame === shown.frame ? null
    : new Promise((done) => { shown.waiting.push([frame, done]); setTimeout(done, 2000); });
  return shown;
};"""
BAND = """async ([selector, top, height]) => {
  READ_BAND
  const video = document.querySelector(selector);
  // The frame on show may have reached the compositor before this ran: then no callback comes.
  await new Promise((done) => { video.requestVideoFrameCallback(done); setTimeout(done, 300); });
  return readBand(video, top, height);
}""".replace("READ_BAND", READ_BAND)
SCRUB = """async ([scene, steps, top, height, fps]) => {
  READ_BAND
  ON_SHOW
  const section = document.getElementById(scene);
  const scrubber = section.querySelector("input[type=range]");
  const videos = [...section.querySelectorAll("video")];
  const shown = videos.map((video) => onShow(video, fps));
  const frameAt = (video) => Math.floor(video.currentTime * fps);  // the page seeks to the middle of a frame
  // A page that never seeks fails here in seconds, not at the run's timeout.
  const seeked = (video, what) => new Promise((done, fail) => {
    video.addEventListener("seeked", done, { once: true });
    setTimeout(() => fail(new Error(`${video.currentSrc} did not seek in 5 s (${what})`)), 5000);
  });
  const seeks = (what) => Promise.all(videos.map((video) => seeked(video, what)));
  const painted = () => Promise.all(videos.map((video, i) => shown[i].until(frameAt(video))));
  // The frame on show as the page opened need not come through the callback: after seeks to two frames, the
  // second is on show, and known.
  for (const frame of [0, 1]) {
    const seeked = seeks(`frame ${frame}, set by the test`);
    for (const video of videos) video.currentTime = (frame + 0.5) / fps;
    await seeked;
  }
  await painted();
  const bands = [];
  for (const k of steps) {
    const seeked = seeks(`scrubber at step ${k}`);
    scrubber.value = k;
    scrubber.dispatchEvent(new Event("input"));  // as a drag does
    await seeked;
    await painted();
    bands.push(videos.map((video) => readBand(video, top, height)));
  }
  return bands;
}""".replace("READ_BAND", READ_BAND).replace("ON_SHOW", ON_SHOW)


def status_band(size: int) -> tuple[int, int]:
    """The rows (top, height) of the status line in a frame of `size` px."""
    fig, canvas = draw.new_canvas(size)
    status = draw.StatusLine(fig, canvas, draw.LEFT, draw.STATUS_Y, fontsize=10)
    return status.row, status.cell_height


def step_frames(scenes, media: Path, name: str) -> tuple[np.ndarray, object]:
    """The decoded frame of each step of a video (its first exact frame: the video holds some while it is read), and
    the video's frame-to-step map."""
    from tp1viz.scenes import load_catalog

    frames, _ = decode(media / "videos" / f"{name}.mp4")
    plan = plan_of(load_catalog([scenes])[name], media)
    return frames[[plan.frame_of(k) for k in range(int(plan.end.max()) + 1)]], plan


def nearest_step(band: str, frames: np.ndarray, top: int, height: int) -> int:
    """The step whose decoded frame's status band the browser's pixels (RGBA, base64) are closest to."""
    wanted = np.frombuffer(base64.b64decode(band), np.uint8).reshape(height, -1, 4)[..., :3].astype(int)
    distances = [np.abs(frame[top : top + height].astype(int) - wanted).mean() for frame in frames]
    return int(np.argmin(distances))


TYPES = {".html": "text/html", ".js": "text/javascript", ".mp4": "video/mp4", ".webm": "video/webm",
         ".png": "image/png", ".jpg": "image/jpeg", ".gif": "image/gif", ".vtt": "text/vtt"}  # fmt: skip


def serve(page, root: Path, index: str = "") -> None:
    """Answer http://local.test/<path> from the folder `root` as a static server does, byte ranges included (a
    player seeks only in what it may fetch by range); one origin, so a canvas may read the video's pixels, which
    each file:// URL, an origin of its own, forbids. `index` answers any path that is not a file."""

    def answer(route):
        relative = route.request.url.removeprefix("http://local.test/").split("#")[0].split("?")[0]
        path = root / relative
        if not path.is_file():
            return route.fulfill(body=index, content_type="text/html") if index else route.fulfill(status=404)
        body, headers = path.read_bytes(), {"Accept-Ranges": "bytes"}
        wanted = re.fullmatch(r"bytes=(\d+)-(\d*)", route.request.headers.get("range", ""))
        if not wanted:
            return route.fulfill(body=body, headers=headers, content_type=TYPES.get(path.suffix, "text/plain"))
        start, end = int(wanted[1]), int(wanted[2] or len(body) - 1)
        headers["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
        route.fulfill(status=206, body=body[start : end + 1], headers=headers, content_type=TYPES.get(path.suffix))

    page.route("http://local.test/**", answer)


def open_page(tab, index: Path, fragment: str = ""):
    """The review page at `index`, served from the folder above its media, once every video can show a frame."""
    root = index.parents[2]
    page, requests = visit(tab, root, f"{index.relative_to(root).as_posix()}{fragment}")
    page.wait_for_function("[...document.querySelectorAll('video')].every((v) => v.readyState >= 2)", timeout=30_000)
    return page, requests


def test_the_review_page_shows_exactly_step_k_for_every_k(tab, site):
    scenes, media, index = site
    top, height = status_band(256)
    page, requests = open_page(tab, index)
    # Every step of one scene; of the other, nine in a row (the old seek failed one step in three) and the last.
    for scene, steps in (("tiny", list(range(21))), ("tiny_compare", [*range(9), 20])):
        frames, _ = step_frames(scenes, media, scene)
        bands = page.evaluate(SCRUB, [scene, steps, top, height, 30])
        shown = [nearest_step(band[0], frames, top, height) for band in bands]
        assert shown == steps, (scene, shown)  # not the previous frame for one step in three
    assert requests and all(url.startswith("http://local.test/") for url in requests), requests  # nothing else


def test_readout_poster_and_scrubber_agree_from_the_first_paint(tab, site):
    _, media, index = site
    page, _ = open_page(tab, index)
    page.wait_for_function("document.querySelector('#tiny video').seeking === false")
    assert page.eval_on_selector("#tiny input[type=range]", "s => s.value") == "20"
    assert page.eval_on_selector("#tiny output", "o => o.textContent").startswith("step 20 / 20 · loss ")
    assert page.eval_on_selector("#tiny video", "v => v.hasAttribute('controls')") is False  # none over the axis
    readout = page.eval_on_selector("#tiny_compare output", "o => o.textContent")
    assert re.fullmatch(r"step 20 / 20 · slow \S+ · fast \S+", readout), readout  # each run named


def test_keys_move_a_step_and_the_address_keeps_it(tab, site):
    scenes, media, index = site
    top, height = status_band(256)
    frames, _ = step_frames(scenes, media, "tiny")
    page, _ = open_page(tab, index, "#tiny@7")
    page.wait_for_function("document.querySelector('#tiny output').textContent.startsWith('step 7 ')")
    page.wait_for_function("!document.querySelector('#tiny video').seeking")
    assert nearest_step(page.evaluate(BAND, ["#tiny video", top, height]), frames, top, height) == 7
    page.click("#tiny video")
    page.evaluate("document.activeElement.blur()")
    for key, step in [("ArrowRight", 8), ("ArrowLeft", 7), ("ArrowLeft", 6), ("End", 20), ("Home", 0)]:
        page.keyboard.press(key)
        page.wait_for_function(f"location.hash === '#tiny@{step}'")
        assert page.eval_on_selector("#tiny input[type=range]", "s => s.value") == str(step)


def test_a_click_anywhere_in_a_scene_picks_it_for_the_keys_and_the_address_follows(tab, site):
    scenes, media, index = site
    top, height = status_band(256)
    frames, _ = step_frames(scenes, media, "tiny_compare")
    page, _ = open_page(tab, index)  # a fresh page: no scene picked yet
    scrubbers = "[...document.querySelectorAll('input[type=range]')].map((s) => s.value)"
    page.click("#tiny_compare video")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("location.hash === '#tiny_compare@19'")
    assert page.evaluate(scrubbers) == ["20", "19"]  # that scene moved, the other did not
    page.wait_for_function("!document.querySelector('#tiny_compare video').seeking")
    band = page.evaluate(BAND, ["#tiny_compare video", top, height])
    assert nearest_step(band, frames, top, height) == 19  # its video shows the step
    page.click("#tiny h2")  # anywhere in the section: here its heading
    page.keyboard.press("Home")
    page.wait_for_function("location.hash === '#tiny@0'")
    assert page.evaluate(scrubbers) == ["0", "19"]
    page.click("#tiny_compare table")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("location.hash === '#tiny_compare@20'")
    assert page.evaluate(scrubbers) == ["0", "20"]


def test_a_change_is_reviewed_side_by_side_under_one_scrubber(tab, site, tmp_path):
    scenes, media, _ = site
    changed = tmp_path / "changed.toml"
    changed.write_text(SCENES.replace("lr = 0.02\nsteps = 20", "lr = 0.03\nsteps = 20", 1))
    after = Path(shutil.copytree(media, tmp_path / "after"))  # the render aside: only tiny changed
    assert run("render", "tiny", "--scenes", changed, "--out", after, "-q").exit_code == 0
    result = run("review", "tiny", "tiny_compare", "--scenes", changed, "--media", after, "--against", media,
                 "--out", tmp_path / "page")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("(1 changed, 1 unchanged)\n")
    text = (tmp_path / "page" / "index.html").read_text()
    assert '<section class="unchanged"><h2>Unchanged</h2><p>tiny_compare</p></section>' in text
    assert re.search(r"They part at step 0; the largest difference is [\d.]+ levels", text)  # the title's lr
    top, height = status_band(256)
    before, old_plan = step_frames(scenes, media, "tiny")
    now, new_plan = step_frames(changed, after, "tiny")
    page, _ = open_page(tab, tmp_path / "page" / "index.html")
    steps = [0, 1, 7, 19, 20]
    bands = page.evaluate(SCRUB, ["tiny", steps, top, height, 30])
    for k, (old, new) in zip(steps, bands, strict=True):  # both videos at step k, each at its own frame for k
        assert nearest_step(old, before, top, height) == k
        assert nearest_step(new, now, top, height) == k
    times = page.eval_on_selector_all("#tiny video", "vs => vs.map((v) => v.currentTime)")
    assert times == [pytest.approx((plan.frame_of(20) + 0.5) / 30) for plan in (old_plan, new_plan)]


def test_the_site_snippet_plays_without_fetching_its_gif(tab, site):
    scenes, media, _ = site
    snippet = run("embed", "tiny", "--scenes", scenes, "--media", media).stdout
    page, requests = visit(tab, media, "page.html", index=snippet)  # the site: its own paths (/videos/...)
    page.wait_for_function("document.querySelector('video').readyState >= 1", timeout=30_000)
    assert page.eval_on_selector("video", "v => v.currentSrc") == "http://local.test/videos/tiny.mp4"
    page.wait_for_timeout(300)
    assert not [url for url in requests if url.endswith(".gif")], requests
    assert any(url.endswith("/videos/tiny.jpg") for url in requests)  # the poster, yes


PACED = """
[paced]
kind = "video"
title = "Paced"
dataset = "linear"
model = "linear"
lr = 0.005
steps = 30
size = 256
fps = 20
hold = 0.5
pace = "change"
max_seconds = 1
notes = [
  { step = 3, text = "the slope turns" },
  { step = 6, text = "each error counts squared: x² of an error x, ±2 costs 4" },
]
"""


@pytest.fixture(scope="module")
def paced(tmp_path_factory):
    """A scene paced by change in fewer frames than steps, its review page and its snippet: (scene, runs, media)."""
    from tp1viz.made import made_video
    from tp1viz.scenes import load_catalog

    scenes, media = scene_file_rendered(tmp_path_factory, PACED, "paced")
    assert run("review", "paced", "--scenes", scenes, "--media", media).exit_code == 0
    (media / "page.html").write_text(run("embed", "paced", "--scenes", scenes, "--media", media).stdout)
    made = made_video(load_catalog([scenes])["paced"], media)
    return made.scene, made.runs, media


def test_the_review_page_follows_a_paced_videos_frame_to_step_map(tab, paced):
    scene, runs, media = paced
    plan = scene.plan(runs)
    assert len(set(plan.shown)) < scene.steps + 1  # some steps have no frame
    frames, meta = decode(media / "videos" / "paced.mp4")
    top, height = status_band(256)
    page, _ = open_page(tab, media / "review" / "index.html")
    steps = list(range(scene.steps + 1))
    bands = page.evaluate(SCRUB, ["paced", steps, top, height, meta["fps"]])
    shown = [int(plan.shown[nearest_step(band[0], frames, top, height)]) for band in bands]
    expected = [int(plan.shown[plan.frame_of(k)]) for k in steps]
    assert shown == expected  # step k where it has a frame, else the last step before it shown
    assert shown[:10] == list(range(10))  # the steps before convergence, each one


CUES = """async (times) => {
  const video = document.querySelector("video");
  const track = document.querySelector("track");
  const loaded = new Promise((done) => track.addEventListener("load", done, { once: true }));
  video.textTracks[0].mode = "hidden";  // off by default, so not loaded; hidden cues are timed as shown ones
  if (track.readyState !== 2) await loaded;
  const active = [];
  for (const t of times) {
    const seeked = new Promise((done) => video.addEventListener("seeked", done, { once: true }));
    video.currentTime = t;
    await seeked;
    await new Promise((done) => setTimeout(done, 50));
    active.push([...video.textTracks[0].activeCues].map((cue) => cue.text));
  }
  return { state: track.readyState, count: video.textTracks[0].cues.length, active };
}"""


def test_the_snippets_captions_load_and_show_at_their_times(tab, paced):
    scene, runs, media = paced
    said = [block.split("\n") for block in (media / "videos" / "paced.vtt").read_text().strip().split("\n\n")[1:]]
    starts = [sum(float(part) * 60**i for i, part in enumerate(reversed(b[1].split(" --> ")[0].split(":"))))
              for b in said]  # fmt: skip
    page, _ = visit(tab, media, "page.html", index=(media / "page.html").read_text())
    page.wait_for_function("document.querySelector('video').readyState >= 1", timeout=30_000)
    result = page.evaluate(CUES, [start + 0.02 for start in starts])
    assert result["state"] == 2 and result["count"] == len(said)  # loaded, every cue parsed
    for block, active in zip(said, result["active"], strict=True):
        assert active == ["\n".join(block[2:])], (block, active)  # it, and it alone
    texts = " ".join(" ".join(block[2:]) for block in said)
    assert "The model has stopped moving: loss" in texts and "the slope turns" in texts


def webm_layout(path: Path) -> list[str]:
    """The names of the top-level elements inside a WebM's Segment, in file order."""
    names = {0x114D9B74: "SeekHead", 0x1549A966: "Info", 0x1654AE6B: "Tracks", 0x1C53BB6B: "Cues",
             0x1F43B675: "Cluster", 0x1254C367: "Tags", 0xEC: "Void"}  # fmt: skip
    data = path.read_bytes()

    def vint(offset, keep_marker):
        first = data[offset]
        length = 8 - first.bit_length() + 1
        value = int.from_bytes(data[offset : offset + length], "big")
        return (value if keep_marker else value & ((1 << (7 * length)) - 1)), offset + length

    offset, order = 0, []
    _, offset = vint(0, True)  # EBML header
    size, offset = vint(offset, False)
    offset += size
    _, offset = vint(offset, True)  # Segment
    _, offset = vint(offset, False)
    while offset < len(data):
        element, offset = vint(offset, True)
        size, offset = vint(offset, False)
        order.append(names.get(element, hex(element)))
        offset += size
    return order


def test_the_webm_index_comes_before_its_frames(site):
    _, media, _ = site
    order = webm_layout(media / "videos" / "tiny.webm")
    assert "Cues" in order and order.index("Cues") < order.index("Cluster"), order


class JupyterLabSanitiser(html.parser.HTMLParser):
    """What JupyterLab keeps of an untrusted output's <video> and <source> (packages/apputils/src/sanitizer.ts:
    a video keeps autoplay, controls, height, loop, mediagroup, muted, poster, preload, src, width; a source
    keeps only its type)."""

    KEEP = {"video": {"autoplay", "controls", "height", "loop", "mediagroup", "muted", "poster", "preload", "src",
                      "width"}, "source": {"type"}}  # fmt: skip

    def __init__(self):
        super().__init__()
        self.out = []

    def handle_starttag(self, tag, attrs):
        if tag in self.KEEP:
            kept = "".join(f' {k}="{v}"' if v is not None else f" {k}" for k, v in attrs if k in self.KEEP[tag])
            self.out.append(f"<{tag}{kept}>")

    def handle_endtag(self, tag):
        if tag in self.KEEP:
            self.out.append(f"</{tag}>")


def sanitised(markup: str) -> str:
    parser = JupyterLabSanitiser()
    parser.feed(markup)
    return "".join(parser.out)


def test_the_example_notebook_runs_and_its_videos_survive_sanitising(tab, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(ROOT / "tp1viz" / "examples" / "watch_your_training.ipynb", as_version=4)
    for cell in notebook.cells:  # fewer steps than a student would take, the same code
        cell.source = cell.source.replace("STEPS = 200", "STEPS = 20")
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": tmp_path}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    printed = "".join(output.get("text", "") for output in outputs if output.output_type == "stream")
    assert re.search(r"loss: [\d.]+ at the start, [\d.]+ after 20 steps", printed), printed
    videos = [output.data["text/html"] for output in outputs if "text/html" in output.get("data", {})]
    assert len(videos) == 2
    page, _ = tab
    page.goto("about:blank")
    page.unroute_all()
    for markup in videos:
        kept = sanitised(markup)
        pattern = r'<video controls width="512" height="512" src="data:video/mp4;base64,([^"]+)"></video>'
        match = re.fullmatch(pattern, kept)
        assert match, kept[:200]  # the player keeps its video: the data are on <video src>
        (tmp_path / "clip.mp4").write_bytes(base64.b64decode(match.group(1)))
        frames, meta = decode(tmp_path / "clip.mp4")
        assert len(frames) == 20 + 1 + 30 and meta["codec"] == "h264"
        page.set_content(kept)  # and a browser plays what is left
        page.wait_for_function("document.querySelector('video').readyState >= 2", timeout=30_000)


@contextlib.contextmanager
def plain_server(root: Path):
    """Python's own static server on a free port, in a thread: it names no charset, and answers no byte range."""
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_transcripts_and_captions_read_right_from_a_server_that_names_no_charset(tab, paced):
    _, _, media = paced
    words = "each error counts squared: x² of an error x, ±2 costs 4"
    page, _ = tab
    page.goto("about:blank")
    page.unroute_all()
    with plain_server(media) as site:
        response = page.goto(f"{site}/videos/paced.txt")
        assert response.headers["content-type"] == "text/plain"  # no charset: the browser must tell by the bytes
        assert f"Note at step 6: {words}" in page.inner_text("body")
        page.goto(f"{site}/page.html")
        cues = page.evaluate("""async () => {
          const track = document.querySelector("track");
          track.track.mode = "hidden";
          if (track.readyState !== 2) await new Promise((done) => track.addEventListener("load", done, { once: true }));
          return [...track.track.cues].map((cue) => cue.text);
        }""")
    assert textwrap.fill(words, 42) in cues  # as the caption wraps it


def test_review_serve_answers_byte_ranges_so_every_step_seeks_and_ctrl_c_ends_it(tab, paced, tmp_path):
    import signal
    import subprocess
    import sys

    scene, runs, media = paced
    scene_file = media.parent / "scenes.toml"
    # A new interpreter, as a person starts it: the server runs until a signal, which is the point.
    server = subprocess.Popen([sys.executable, "-m", "tp1viz", "review", "paced", "--scenes", scene_file, "--media",
                               media, "--out", tmp_path / "page", "--serve", "--port", "0"], cwd=ROOT, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        assert server.stdout.readline() == f"wrote {tmp_path / 'page' / 'index.html'}\n"
        served = re.fullmatch(r"serving (http://127\.0\.0\.1:\d+/\S+/page/index\.html) \(Ctrl-C to stop\)\n",
                              server.stdout.readline())  # fmt: skip
        assert served, served
        plan = scene.plan(runs)
        frames, meta = decode(media / "videos" / "paced.mp4")
        top, height = status_band(256)
        page, requests = tab
        page.goto("about:blank")
        page.unroute_all()
        requests.clear()
        page.goto(served[1])
        page.wait_for_function("document.querySelector('video').readyState >= 2", timeout=30_000)
        steps = list(range(0, scene.steps + 1, 3))  # a server without ranges shows step 0 for each
        bands = page.evaluate(SCRUB, ["paced", steps, top, height, meta["fps"]])
        shown = [int(plan.shown[nearest_step(band[0], frames, top, height)]) for band in bands]
        assert shown == [int(plan.shown[plan.frame_of(k)]) for k in steps]  # every seek lands
        origin = re.match(r"http://[^/]+/", served[1])[0]
        assert requests and all(url.startswith(origin) for url in requests), requests  # the page and its media
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=30)
    assert server.returncode == 130 and stderr == f"stopped serving {served[1]}\n"


ONE_AT_A_TIME = """async () => {
  const shown = [];
  for (const video of document.querySelectorAll("video")) {
    const track = video.querySelector("track");
    track.track.mode = "showing";  // as a viewer turns the captions on
    for (let waited = 0; track.readyState !== 2; waited += 20) {  // its load may be past, or to come
      if (waited > 10000) throw new Error(`track ${track.src} in state ${track.readyState}, mode ${track.track.mode}`);
      await new Promise((done) => setTimeout(done, 20));
    }
    const cues = [...track.track.cues].map((cue) => [cue.startTime, cue.endTime]);
    const most = [];
    for (const [start, end] of cues) {
      for (const t of [start + 0.02, (start + end) / 2, end - 0.02]) {
        const seeked = new Promise((done) => video.addEventListener("seeked", done, { once: true }));
        video.currentTime = t;
        const late = new Promise((_, fail) => setTimeout(() => fail(new Error(`no seek to ${t}: ${video.src}`)), 5000));
        await Promise.race([seeked, late]);
        most.push(track.track.activeCues.length);
      }
    }
    shown.push({ src: video.currentSrc, cues, most: Math.max(...most) });
  }
  return shown;
}"""


def test_every_course_videos_captions_turned_on_show_one_cue_at_a_time(tab):
    from tp1viz.scenes import load_catalog

    videos = [name for name, scene in load_catalog().items() if scene.kind == "video"]
    snippets = "".join(run("embed", name, "--media", ROOT / "media").stdout for name in videos)
    assert "default" not in snippets  # the track is there for who turns it on
    page, _ = visit(tab, ROOT / "media", "page.html", index=f"<!doctype html><body>{snippets}</body>")
    page.wait_for_function("[...document.querySelectorAll('video')].every((v) => v.readyState >= 1)", timeout=60_000)
    shown = page.evaluate(ONE_AT_A_TIME)
    assert len(shown) == len(videos)
    for video in shown:
        assert video["most"] == 1, video["src"]  # at the start, middle and end of every cue: that cue alone
        for (_, end), (start, _) in zip(video["cues"], video["cues"][1:], strict=False):
            assert end <= start + 1e-6, video["src"]  # as Chromium parsed them, none overlaps the next

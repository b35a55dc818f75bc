"""Reviewing: exact stills of any step, contact sheets, and the review page with a step scrubber.

The page is self-contained: its data sit in data.js beside it (a <script>, which file:// pages may load,
unlike fetch), every other file is referenced relatively, and nothing comes from the network.
"""

import html
import json
import os
from pathlib import Path
from urllib.parse import quote

from .files import write_bytes
from .kinds import image_bytes
from .runs import Runs


def recorded_runs(scene, media_dir: Path) -> list:
    """The scene's runs: read from media_dir when they are current there (no torch needed), else recorded."""
    return Runs(media_dir).of(scene)


def resolve_steps(specs, steps: int) -> list[int]:
    """Step numbers from "0".."N" or "last"; ValueError names the first one outside 0..N."""
    resolved = []
    for spec in specs:
        step = steps if spec == "last" else int(spec) if str(spec).lstrip("-").isdigit() else None
        if step is None or not 0 <= step <= steps:
            raise ValueError(f"step {spec} is not in 0..{steps} (or 'last')")
        resolved.append(step)
    return list(dict.fromkeys(resolved))


def frame_file(dest: Path, scene, step: int) -> Path:
    return Path(dest) / f"{scene.name}_step{step}.png"


def write_frames(scene, steps: list[int], media_dir: Path, dest: Path) -> list[Path]:
    """Each step as a lossless PNG drawn by the video's own renderer: the video frame before encoding."""
    animation = scene.animation(recorded_runs(scene, media_dir))
    paths = [frame_file(dest, scene, step) for step in steps]
    for step, path in zip(steps, paths, strict=True):
        write_bytes(path, image_bytes(animation.draw_step(step), path.suffix))
    return paths


def sheet_steps(steps: int, count: int) -> list[int]:
    """`count` evenly spaced steps from 0 to `steps`, both ends included (fewer if there are fewer steps)."""
    import numpy as np

    return [int(k) for k in np.linspace(0, steps, max(2, min(count, steps + 1))).round()]


def step_label(runs: list, step: int) -> str:
    """ "step K · loss L", with every run's loss for a side-by-side scene."""
    from .draw import format_loss

    return f"step {step} · loss " + " / ".join(format_loss(run.loss[step], 3) for run in runs)


def sheet_file(dest: Path, scene) -> Path:
    return Path(dest) / f"{scene.name}_sheet.png"


def write_sheet(scene, count: int, media_dir: Path, dest: Path, runs: list | None = None) -> Path:
    """A contact sheet: thumbnails of evenly spaced steps, each labelled with its step and loss."""
    from .draw import contact_sheet

    runs = runs or recorded_runs(scene, media_dir)
    animation = scene.animation(runs)
    tiles = [(animation.draw_step(k).copy(), step_label(runs, k)) for k in sheet_steps(scene.steps, count)]
    path = sheet_file(dest, scene)
    write_bytes(path, image_bytes(contact_sheet(tiles, f"{scene.name}: {scene.heading}"), path.suffix))
    return path


SCRUB_SCRIPT = """
const DATA = window.TP1VIZ_REVIEW;
for (const section of document.querySelectorAll("section[data-scene]")) {
  const info = DATA[section.dataset.scene];
  const video = section.querySelector("video");
  const scrubber = section.querySelector("input[type=range]");
  const readout = section.querySelector("output");
  const show = (k) => {
    readout.textContent = `step ${k} / ${info.steps} · loss ${info.loss.map((run) => run[k]).join(" / ")}`;
  };
  scrubber.addEventListener("input", () => {
    const k = Number(scrubber.value);
    video.pause();
    video.currentTime = k / info.fps;  // frame k starts at k / fps: one frame per recorded step
    show(k);
  });
  video.addEventListener("timeupdate", () => {
    if (video.paused) return;
    const k = Math.min(info.steps, Math.floor(video.currentTime * info.fps + 1e-6));
    scrubber.value = k;
    show(k);
  });
  show(0);
}
"""

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1100px; color: #222; padding: 0 16px; }
section { border-top: 1px solid #ddd; padding: 16px 0; }
.row { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; }
video, img { max-width: 100%; height: auto; border: 1px solid #eee; }
input[type=range] { width: 100%; }
output { font-family: ui-monospace, monospace; display: block; margin: 4px 0 12px; }
table { border-collapse: collapse; font-size: 13px; }
td { padding: 1px 8px 1px 0; vertical-align: top; }
td:first-child { color: #666; }
"""


def link(target: Path, page_dir: Path) -> str:
    """A relative URL from the page to a file, so the folder works from disk and from any server."""
    return quote(Path(os.path.relpath(target, page_dir)).as_posix())


def scene_data(scene, runs: list) -> dict:
    """What the scrubber needs: fps, step count, and each run's loss per step, formatted as in the video."""
    from .draw import format_loss

    return {
        "fps": scene.fps,
        "steps": scene.steps,
        "loss": [[format_loss(value) for value in run.loss] for run in runs],
    }


def params_table(params: dict) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(str(key))}</td><td>{html.escape(json.dumps(value))}</td></tr>"
        for key, value in params.items()
        if key not in ("name", "title", "kind")
    )
    return f"<table>{rows}</table>"


def video_section(scene, runs: list, media_dir: Path, page_dir: Path, sheet: Path) -> str:
    from .draw import format_loss

    sources = "".join(
        f'<source src="{link(scene.video_path(media_dir, f), page_dir)}" type="video/{f}">'
        for f in ("mp4", "webm")
        if f in scene.formats
    )
    final = " / ".join(format_loss(run.loss[-1]) for run in runs)
    return f"""
<section data-scene="{scene.name}" id="{scene.name}">
  <h2>{scene.name}</h2>
  <p>{html.escape(scene.heading)}. Final loss: <b>{final}</b>.</p>
  <div class="row">
    <div style="flex: 0 1 {scene.size}px">
      <video controls muted preload="auto" width="{scene.size}" height="{scene.size}"
             poster="{link(scene.poster_path(media_dir), page_dir)}">{sources}</video>
      <input type="range" min="0" max="{scene.steps}" step="1" value="0" aria-label="step">
      <output></output>
    </div>
    <div>{params_table(scene.describe())}</div>
  </div>
  <img src="{link(sheet, page_dir)}" alt="contact sheet of {scene.name}">
</section>"""


def still_section(scene, media_dir: Path, page_dir: Path) -> str:
    return f"""
<section id="{scene.name}">
  <h2>{scene.name}</h2>
  <p>{html.escape(scene.title)}</p>
  <img src="{link(scene.outputs(media_dir)[0].path, page_dir)}" width="{scene.size}" alt="{scene.name}">
</section>"""


def write_review(scenes: list, media_dir: Path, page_dir: Path, sheet_count: int = 12) -> Path:
    """Write index.html, data.js and one contact sheet per video into page_dir; return the page's path."""
    media_dir, page_dir = Path(media_dir), Path(page_dir)
    sections, data = [], {}
    for scene in scenes:
        if scene.kind == "still":
            sections.append(still_section(scene, media_dir, page_dir))
            continue
        scene = scene.with_formats_on_disk(media_dir)
        runs = recorded_runs(scene, media_dir)
        sheet = write_sheet(scene, sheet_count, media_dir, page_dir, runs)
        sections.append(video_section(scene, runs, media_dir, page_dir, sheet))
        data[scene.name] = scene_data(scene, runs)
    write_bytes(page_dir / "data.js", f"window.TP1VIZ_REVIEW = {json.dumps(data, sort_keys=True)};\n".encode())
    contents = "".join(f'<a href="#{s.name}">{s.name}</a> ' for s in scenes)
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tp1viz review</title>
<style>{STYLE}</style>
</head>
<body>
<h1>tp1viz review</h1>
<p>Every course video: drag a scrubber to see any step exactly, with its loss. Not meant for the site.</p>
<nav>{contents}</nav>
{"".join(sections)}
<script src="data.js"></script>
<script>{SCRUB_SCRIPT}</script>
</body>
</html>
"""
    write_bytes(page_dir / "index.html", page.encode())
    return page_dir / "index.html"

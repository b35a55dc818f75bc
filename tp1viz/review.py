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


def story_steps(runs: list, count: int) -> list[int]:
    """The steps a contact sheet shows: the first and the last, every event's, and the rest where the picture
    has moved by equal amounts, so a run that settles early is not eleven tiles of the same picture."""
    import numpy as np

    from .pacing import visible_change

    steps = runs[0].steps
    kept = set(int(k) for k in runs[0].kept)
    chosen = {0, steps} | {event.step for run in runs for event in run.events if event.step in kept}
    travel = np.cumsum(visible_change(runs)) + np.arange(steps + 1) * 1e-9  # rising, so every step has a place
    for target in np.linspace(0, travel[-1], count):
        if len(chosen) >= count:
            break
        candidates = [k for k in np.argsort(np.abs(travel - target)) if int(k) in kept and int(k) not in chosen]
        if candidates:
            chosen.add(int(candidates[0]))
    ordered = sorted(chosen)
    return ordered if len(ordered) <= count else ordered[: max(1, count - 1)] + [steps]  # more events than tiles


def step_label(runs: list, step: int) -> str:
    """ "step K · loss L", with every run's loss for a side-by-side scene."""
    from .draw import format_loss

    if len(runs) == 1 and runs[0].test is not None:
        train, test = format_loss(runs[0].loss[step], 3), format_loss(runs[0].test.loss[step], 3)
        return f"step {step} · train {train} · test {test}"
    return f"step {step} · loss " + " / ".join(format_loss(run.loss[step], 3) for run in runs)


def sheet_file(dest: Path, scene) -> Path:
    return Path(dest) / f"{scene.name}_sheet.png"


def write_sheet(scene, count: int, media_dir: Path, dest: Path, runs: list | None = None) -> Path:
    """A contact sheet: thumbnails of the steps that tell the story (story_steps), each labelled with its loss."""
    from .draw import contact_sheet

    runs = runs or recorded_runs(scene, media_dir)
    animation = scene.animation(runs)
    tiles = [(animation.draw_step(k).copy(), step_label(runs, k)) for k in story_steps(runs, count)]
    path = sheet_file(dest, scene)
    write_bytes(path, image_bytes(contact_sheet(tiles, f"{scene.name}: {scene.heading}"), path.suffix))
    return path


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<h1>{title}</h1>
<p>{intro} Drag a scrubber, or click a scene and use <kbd>←</kbd> <kbd>→</kbd> (one step), <kbd>Home</kbd>
<kbd>End</kbd>; the address (<code>#scene@step</code>) keeps the scene and step, to send a link to one frame.
Not meant for the site.</p>
<nav>{contents}</nav>
{sections}
<script src="data.js"></script>
<script>{script}</script>
</body>
</html>
"""


def asset(name: str) -> str:
    return (Path(__file__).parent / name).read_text(encoding="utf-8")


def link(target: Path, page_dir: Path) -> str:
    """A relative URL from the page to a file, so the folder works from disk and from any server."""
    return quote(Path(os.path.relpath(target, page_dir)).as_posix())


def run_data(runs: list) -> list[dict]:
    """Each run's name and its loss per step, formatted as the video's status line shows it."""
    from .draw import format_loss

    return [{"label": run.meta.get("run", {}).get("label", ""), "loss": [format_loss(value) for value in run.loss]}
            for run in runs]  # fmt: skip


def scene_data(sides: list[tuple]) -> dict:
    """What the scrubber needs: per video its fps, its steps, the step each frame shows, and its runs' losses;
    the longest step count."""
    videos = [{"fps": fps, "steps": steps, "shown": shown, "runs": run_data(runs)} for fps, steps, shown, runs in sides]
    return {"steps": max(video["steps"] for video in videos), "videos": videos}


def shown_steps(scene, runs: list) -> list[int]:
    """The step each frame of the scene's video shows (the held end not counted)."""
    return [int(step) for step in scene.plan(runs).shown]


def number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def parameter_rows(scene) -> list[tuple[str, str]]:
    """The scene's parameters as a person would write them down, none of them empty."""
    if scene.kind == "still":
        rows = [("picture", scene.summary())]
        return rows + [("data", ", ".join(f"{k} {number(v)}" for k, v in scene.data.items()))] * bool(scene.data)
    sizes = ", ".join(f"{k} {number(v)}" for k, v in scene.model_sizes.items())
    rows = [
        ("layout", scene.layout),
        ("data", scene.dataset + "".join(f", {k} {number(v)}" for k, v in scene.data.items())),
        ("model", scene.model + (f" ({sizes})" if sizes else "")),
        ("training", f"{scene.optimizer_label}, lr {scene.lr:g}, {scene.steps} steps, seed {scene.seed}"),
        ("video", f"{scene.size} px, {scene.fps} fps, final frame held {scene.hold:g} s"),
    ]
    for variant in scene.variants:
        settings = {"lr": variant.lr, "lr / stability limit": variant.limit_fraction,
                    "batch": variant.batch_size, "optimizer": variant.optimizer}  # fmt: skip
        rows.append((variant.label, ", ".join(f"{k} {number(v)}" for k, v in settings.items() if v is not None)))
    return rows


def params_table(scene) -> str:
    rows = "".join(f"<tr><th>{html.escape(key)}</th><td>{html.escape(value)}</td></tr>"
                   for key, value in parameter_rows(scene))  # fmt: skip
    return f"<table>{rows}</table>"


def video_tag(scene, media_dir: Path, page_dir: Path) -> str:
    """A player without native controls (they would cover the loss axis while scrubbing): the page's own."""
    sources = "".join(
        f'<source src="{link(scene.video_path(media_dir, f), page_dir)}" type="video/{f}">'
        for f in ("mp4", "webm")
        if f in scene.formats
    )
    poster = link(scene.poster_path(media_dir), page_dir)
    return (f'<video muted playsinline preload="auto" width="{scene.size}" height="{scene.size}" '
            f'poster="{poster}">{sources}</video>')  # fmt: skip


def controls(scene_steps: int) -> str:
    return (f'<div class="controls"><button class="play" type="button">▶ play</button>'
            f'<input type="range" min="0" max="{scene_steps}" step="1" value="{scene_steps}" aria-label="step">'
            "</div><output></output>")  # fmt: skip


def video_section(scene, runs: list, media_dir: Path, page_dir: Path, sheet: Path) -> str:
    from .draw import format_loss

    final = " / ".join(format_loss(run.loss[-1]) for run in runs)
    return f"""
<section data-scene="{scene.name}" id="{scene.name}">
  <h2>{scene.name}</h2>
  <p>{html.escape(scene.heading)}. Final loss: <b>{final}</b>.</p>
  <div class="row">
    <div class="player" style="width: {scene.size}px">
      {video_tag(scene, media_dir, page_dir)}{controls(scene.steps)}
    </div>
    <div>{params_table(scene)}</div>
  </div>
  <img src="{link(sheet, page_dir)}" alt="contact sheet of {scene.name}">
</section>"""


def still_section(scene, media_dir: Path, page_dir: Path) -> str:
    return f"""
<section id="{scene.name}">
  <h2>{scene.name}</h2>
  <p>{html.escape(scene.title)}</p>
  <img src="{link(scene.primary(media_dir), page_dir)}" width="{scene.size}" alt="{html.escape(scene.title)}">
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
        data[scene.name] = scene_data([(scene.fps, scene.steps, shown_steps(scene, runs), runs)])
    contents = " ".join(f'<a href="#{s.name}">{s.name}</a>' for s in scenes)
    intro = "Every course video: any step exactly, with its loss."
    return write_page(page_dir, "tp1viz review", intro, contents, sections, data)


def write_page(page_dir: Path, title: str, intro: str, contents: str, sections: list[str], data: dict) -> Path:
    write_bytes(page_dir / "data.js", f"window.TP1VIZ_REVIEW = {json.dumps(data, sort_keys=True)};\n".encode())
    page = PAGE.format(title=title, style=asset("review.css"), intro=intro, contents=contents,
                       sections="".join(sections), script=asset("review.js"))  # fmt: skip
    write_bytes(page_dir / "index.html", page.encode())
    return page_dir / "index.html"


# ---- reviewing a change: the same scenes in two media folders, side by side ----------------------------


def changed(scene, media_dir: Path, against: Path) -> bool:
    """Whether the scene's main file differs between the two folders (by its bytes)."""
    from .files import sha256

    new, old = scene.primary(media_dir), scene.primary(against)
    return not (new.is_file() and old.is_file() and sha256(new) == sha256(old))


def frame_differences(old: Path, new: Path, old_steps: int, new_steps: int) -> list[float]:
    """The mean difference, in levels of 255, between the two videos' frames of each step (a shorter one holds)."""
    import numpy as np
    from PIL import Image

    from .compare import decoded_frames

    old_frames, new_frames = decoded_frames(old), decoded_frames(new)
    next(old_frames), next(new_frames)
    differences, a, b = [], None, None
    for step in range(max(old_steps, new_steps) + 1):
        a = next(old_frames) if step <= old_steps else a
        b = next(new_frames) if step <= new_steps else b
        if a.shape != b.shape:  # another size: compared at the new one
            a = np.asarray(Image.fromarray(a).resize(b.shape[1::-1], Image.BILINEAR))
        differences.append(float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean()))
    return differences


PARTED = 0.5  # levels of 255: a mean difference below this is encoder noise, not a change


def strip(differences: list[float]) -> tuple[str, str]:
    """An SVG bar per step, as tall as that step's difference, and a sentence on where the videos part."""
    largest = max(differences) or 1.0
    bars = "".join(f'<rect class="step" x="{k}" y="{1 - h:.3f}" width="1" height="{h:.3f}"/>'
                   for k, d in enumerate(differences) if d >= PARTED for h in [max(0.08, d / largest)])  # fmt: skip
    cursor = '<rect class="cursor" x="0" y="0" width="1" height="1"/>'
    svg = (f'<svg class="strip" viewBox="0 0 {len(differences)} 1" preserveAspectRatio="none" role="img" '
           f'aria-label="difference per step">{bars}{cursor}</svg>')  # fmt: skip
    parted = [k for k, d in enumerate(differences) if d >= PARTED]
    if not parted:
        return svg, "The pictures agree at every step; only the files' bytes differ."
    worst = max(range(len(differences)), key=differences.__getitem__)
    return svg, (f"They part at step {parted[0]}; the largest difference is {differences[worst]:.1f} levels "
                 f"(of 255) at step {worst}.")  # fmt: skip


def old_runs(scene, against: Path) -> list:
    """The runs the old folder saved for the scene, whatever recorded them; none if it has none."""
    return Runs(against, reuse="any").saved(scene) or []


def old_fps(scene, against: Path) -> int:
    from . import folder

    entry = folder.load(against).get(scene.video_path(against).relative_to(against).as_posix(), {})
    return entry.get("fps") if isinstance(entry.get("fps"), int) else scene.fps


def pair_section(scene, media_dir: Path, against: Path, page_dir: Path) -> tuple[str, dict]:
    """The old and new videos of a scene side by side, one scrubber, and the strip of where they differ."""
    new, old = recorded_runs(scene, media_dir), old_runs(scene, against)
    old_steps = old[0].steps if old else scene.steps
    differences = frame_differences(scene.video_path(against), scene.video_path(media_dir), old_steps, scene.steps)
    svg, parted = strip(differences)
    old_shown = shown_steps(scene, old) if old else list(range(old_steps + 1))
    data = scene_data([(old_fps(scene, against), old_steps, old_shown, old),
                       (scene.fps, scene.steps, shown_steps(scene, new), new)])  # fmt: skip
    section = f"""
<section data-scene="{scene.name}" id="{scene.name}">
  <h2>{scene.name}</h2>
  <p>{html.escape(scene.heading)}.</p>
  <div class="row">
    <div class="player" style="width: {2 * scene.size + 8}px">
      <div class="pair">
        <figure>{video_tag(scene, against, page_dir)}<figcaption>before</figcaption></figure>
        <figure>{video_tag(scene, media_dir, page_dir)}<figcaption>after</figcaption></figure>
      </div>
      {svg}<p class="parted">{parted}</p>
      {controls(data["steps"])}
    </div>
    <div>{params_table(scene)}</div>
  </div>
</section>"""
    return section, data


def write_comparison(scenes: list, media_dir: Path, against: Path, page_dir: Path) -> tuple[Path, int, int]:
    """A page of every scene that differs between `against` (before) and media_dir (after); the page's path and
    how many scenes changed and did not."""
    media_dir, against, page_dir = Path(media_dir), Path(against), Path(page_dir)
    sections, data, same = [], {}, []
    for scene in scenes:
        if not changed(scene, media_dir, against):
            same.append(scene.name)
        elif scene.kind == "still" or not scene.video_path(against).is_file():
            sections.append(still_pair(scene, media_dir, against, page_dir))
        else:
            section, data[scene.name] = pair_section(scene, media_dir, against, page_dir)
            sections.append(section)
    if same:
        sections.append(f'<section class="unchanged"><h2>Unchanged</h2><p>{", ".join(same)}</p></section>')
    contents = " ".join(f'<a href="#{s.name}">{s.name}</a>' for s in scenes if s.name not in same)
    intro = f"What changed from {html.escape(str(against))} (before) to {html.escape(str(media_dir))} (after)."
    page = write_page(page_dir, "tp1viz review: a change", intro, contents, sections, data)
    return page, len(scenes) - len(same), len(same)


def still_pair(scene, media_dir: Path, against: Path, page_dir: Path) -> str:
    """A still's two versions (or a video that is new: its poster beside nothing)."""
    new, old = scene.primary(media_dir), scene.primary(against)
    if scene.kind == "video":
        new, old = scene.poster_path(media_dir), scene.poster_path(against)
    before = f'<img src="{link(old, page_dir)}" alt="before">' if old.is_file() else "<p>(not there before)</p>"
    return f"""
<section id="{scene.name}">
  <h2>{scene.name}</h2>
  <div class="pair"><figure>{before}<figcaption>before</figcaption></figure>
  <figure><img src="{link(new, page_dir)}" alt="after"><figcaption>after</figcaption></figure></div>
</section>"""

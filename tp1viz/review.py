"""Reviewing: exact stills of any step, contact sheets, and the review page with a step scrubber, each of a
video as its media folder holds it (made.py); and a change, as two folders' videos paired step by step.

The page is self-contained: its data sit in data.js beside it (a <script>, which file:// pages may load,
unlike fetch), every other file is referenced relatively, and nothing comes from the network.
"""

import html
import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from .files import write_bytes
from .kinds import image_bytes
from .made import Made, Unshowable, held
from .words import format_loss


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


def write_frames(made: Made, steps: list[int], dest: Path) -> list[Path]:
    """Each step as a lossless PNG drawn by the video's own renderer: the video frame before encoding."""
    animation = made.scene.animation(made.runs)
    paths = [frame_file(dest, made.scene, step) for step in steps]
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

    if len(runs) == 1 and runs[0].test is not None:
        train, test = format_loss(runs[0].loss[step], 3), format_loss(runs[0].test.loss[step], 3)
        return f"step {step} · train {train} · test {test}"
    return f"step {step} · loss " + " / ".join(format_loss(run.loss[step], 3) for run in runs)


def sheet_file(dest: Path, scene) -> Path:
    return Path(dest) / f"{scene.name}_sheet.png"


def write_sheet(made: Made, count: int, dest: Path) -> Path:
    """A contact sheet: thumbnails of the steps that tell the story (story_steps), each labelled with its loss."""
    scene, runs = made.scene, made.runs
    labelled = [(step, step_label(runs, step)) for step in story_steps(runs, count)]
    path = sheet_file(dest, scene)
    write_bytes(path, image_bytes(scene.sheet(runs, labelled), path.suffix))
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

    return [{"label": run.meta.get("run", {}).get("label", ""), "loss": [format_loss(value) for value in run.loss]}
            for run in runs]  # fmt: skip


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


def video_section(made: Made, page_dir: Path, sheet: Path) -> str:

    scene = made.scene
    final = " / ".join(format_loss(run.loss[-1]) for run in made.runs)
    return f"""
<section data-scene="{scene.name}" id="{scene.name}">
  <h2>{scene.name}</h2>
  <p>{html.escape(scene.heading)}. Final loss: <b>{final}</b>.</p>
  <div class="row">
    <div class="player" style="width: {scene.size}px">
      {video_tag(scene, made.folder, page_dir)}{controls(scene.steps)}
    </div>
    <div>{params_table(scene)}</div>
  </div>
  <img src="{link(sheet, page_dir)}" alt="contact sheet of {scene.name}">
</section>"""


def still_section(scene, path: Path, page_dir: Path) -> str:
    return f"""
<section id="{scene.name}">
  <h2>{scene.name}</h2>
  <p>{html.escape(scene.title)}</p>
  <img src="{link(path, page_dir)}" width="{scene.size}" alt="{html.escape(scene.title)}">
</section>"""


def write_review(scenes: list, media_dir: Path, page_dir: Path, sheet_count: int = 12) -> Path:
    """Write index.html, data.js and one contact sheet per video into page_dir, showing each scene as media_dir
    holds it; return the page's path. folder.Unshowables, before anything is written, if any cannot be shown."""
    media_dir, page_dir = Path(media_dir), Path(page_dir)
    found = held(scenes, media_dir)
    sections, data = [], {}
    for scene in scenes:
        made = found[scene.name]
        if scene.kind == "still":
            sections.append(still_section(scene, made, page_dir))
            continue
        sections.append(video_section(made, page_dir, write_sheet(made, sheet_count, page_dir)))
        data[scene.name] = scene_data([made])
    contents = " ".join(f'<a href="#{s.name}">{s.name}</a>' for s in scenes)
    intro = f"Every video in {html.escape(str(media_dir))}, as it was made: any step exactly, with its loss."
    return write_page(page_dir, "tp1viz review", intro, contents, sections, data)


def write_page(page_dir: Path, title: str, intro: str, contents: str, sections: list[str], data: dict) -> Path:
    write_bytes(page_dir / "data.js", f"window.TP1VIZ_REVIEW = {json.dumps(data, sort_keys=True)};\n".encode())
    page = PAGE.format(title=title, style=asset("review.css"), intro=intro, contents=contents,
                       sections="".join(sections), script=asset("review.js"))  # fmt: skip
    write_bytes(page_dir / "index.html", page.encode())
    return page_dir / "index.html"


# ---- reviewing a change: the same scenes in two media folders, side by side ----------------------------


@dataclass(frozen=True)
class Difference:
    """How two videos of a scene differ, step by step, as a viewer sees them."""

    levels: list[float]  # per step: the mean difference between the frames that show it, in levels of 255
    parted: list[int]  # the steps whose frames differ visibly (by the tolerance `render --check` uses)
    captions: bool  # the captions say something else

    @property
    def changed(self) -> bool:
        return bool(self.parted) or self.captions


def frames_at(made: Made, indices: list[int]):
    """The frames of made's video at these indices (in rising order, repeats allowed), decoded once, one at a time;
    Unshowable if it cannot be decoded that far."""
    from .compare import decoded_frames

    try:
        frames = decoded_frames(made.video)
        next(frames)
        index, frame = -1, None
        for wanted in indices:
            while index < wanted:
                frame = next(frames, None)
                if frame is None:
                    raise ValueError(f"it ends before frame {wanted}")
                index += 1
            yield frame
    except (RuntimeError, OSError, ValueError, StopIteration) as error:
        why = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise Unshowable(made.folder, made.video, f"cannot be decoded ({why})", made.scene, force=True) from None


def frames_of_steps(made: Made, steps: int) -> list[int]:
    """The frame of made's video that shows each step 0..steps: its own, or the last before it (a paced video
    skips steps; a shorter run holds its end)."""
    return [made.plan.frame_of(min(step, made.scene.steps)) for step in range(steps + 1)]


def step_differences(old: Made, new: Made) -> tuple[list[float], list[int]]:
    """Per step, the mean difference between the frames of the two videos that show it, and the steps where they
    differ visibly; frames of another size are compared at the new one."""
    import numpy as np
    from PIL import Image

    from .compare import image_difference

    steps = max(old.scene.steps, new.scene.steps)
    pairs = list(zip(frames_of_steps(old, steps), frames_of_steps(new, steps), strict=True))
    olds, news = frames_at(old, [a for a, _ in pairs]), frames_at(new, [b for _, b in pairs])
    levels, parted, last = [], [], None
    for step, (pair, a, b) in enumerate(zip(pairs, olds, news, strict=True)):
        if pair != last:  # a paced video shows one frame for several steps: compared once
            if a.shape != b.shape:
                a = np.asarray(Image.fromarray(a).resize(b.shape[1::-1], Image.BILINEAR))
            level = float(np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=-1).mean())
            differs, last = image_difference(a, b) is not None, pair
        levels.append(level)
        if differs:
            parted.append(step)
    return levels, parted


def difference(old: Made, new: Made) -> Difference | None:
    """How the two videos differ, or None when their files are the same bytes."""
    from .files import sha256

    captions = [made.scene.video_path(made.folder, "vtt") for made in (old, new)]
    said = [path.read_bytes() if path.is_file() else b"" for path in captions]
    if sha256(old.video) == sha256(new.video) and said[0] == said[1]:
        return None
    levels, parted = step_differences(old, new)
    return Difference(levels, parted, said[0] != said[1])


def strip(found: Difference) -> tuple[str, str]:
    """An SVG bar per step, as tall as that step's difference, and a sentence on where the videos part."""
    largest = max(found.levels) or 1.0
    bars = "".join(f'<rect class="step" x="{k}" y="{1 - h:.3f}" width="1" height="{h:.3f}"/>'
                   for k in found.parted for h in [max(0.08, found.levels[k] / largest)])  # fmt: skip
    cursor = '<rect class="cursor" x="0" y="0" width="1" height="1"/>'
    svg = (f'<svg class="strip" viewBox="0 0 {len(found.levels)} 1" preserveAspectRatio="none" role="img" '
           f'aria-label="difference per step">{bars}{cursor}</svg>')  # fmt: skip
    captions = " The captions say something else too." if found.captions else ""
    if not found.parted:
        return svg, "The pictures agree at every step; the captions say something else."
    worst = max(found.parted, key=found.levels.__getitem__)
    return svg, (f"They part at step {found.parted[0]}; the largest difference is {found.levels[worst]:.1f} levels "
                 f"(of 255) at step {worst}.{captions}")  # fmt: skip


def changed_parameters(old, new) -> str:
    """ "lr 0.005 → 0.0052", for each parameter that differs between the two scenes."""
    before, after = old.describe(), new.describe()
    shown = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            simple = all(isinstance(v, int | float | str) for v in (before.get(key), after.get(key)))
            shown.append(f"{key} {number(before.get(key))} → {number(after.get(key))}" if simple else f"{key} changed")
    return "; ".join(shown)


def scene_data(videos: list[Made]) -> dict:
    """What the scrubber needs: per video its fps, its steps, the step each frame shows, the frame that shows each
    step (Plan.frame_of: its own, or for a step the video passes over the last exact frame before it, never an
    in-between), and its runs' losses; the longest step count."""
    sides = [{"fps": made.scene.fps, "steps": made.scene.steps, "shown": [int(step) for step in made.plan.shown],
              "frames": [made.plan.frame_of(step) for step in range(made.scene.steps + 1)],
              "runs": run_data(made.runs)} for made in videos]  # fmt: skip
    return {"steps": max(side["steps"] for side in sides), "videos": sides}


def pair_section(old: Made, new: Made, found: Difference, page_dir: Path) -> str:
    """The old and new videos of a scene side by side, one scrubber, and the strip of where they differ."""
    scene = new.scene
    svg, parted = strip(found)
    changes = changed_parameters(old.scene, scene)
    changes = f"<p>Parameters: {html.escape(changes)}.</p>" if changes else ""
    width = old.scene.size + scene.size + 8
    return f"""
<section data-scene="{scene.name}" id="{scene.name}">
  <h2>{scene.name}</h2>
  <p>{html.escape(scene.heading)}.</p>{changes}
  <div class="row">
    <div class="player" style="width: {width}px">
      <div class="pair">
        <figure>{video_tag(old.scene, old.folder, page_dir)}<figcaption>before</figcaption></figure>
        <figure>{video_tag(scene, new.folder, page_dir)}<figcaption>after</figcaption></figure>
      </div>
      {svg}<p class="parted">{parted}</p>
      {controls(max(old.scene.steps, scene.steps))}
    </div>
    <div>{params_table(scene)}</div>
  </div>
</section>"""


def write_comparison(scenes: list, media_dir: Path, against: Path, page_dir: Path) -> tuple[Path, int, int]:
    """A page of every scene that a viewer would see change from `against` (before) to media_dir (after), each as
    its folder holds it; the page's path and how many scenes changed and did not. folder.Unshowables, before
    anything is written, for a scene that either folder cannot show (one only the new folder has is new)."""
    from .compare import compare

    media_dir, against, page_dir = Path(media_dir), Path(against), Path(page_dir)
    new, old = held(scenes, media_dir), held(scenes, against, missing_ok=True)
    sections, data, same = [], {}, []
    for scene in scenes:
        before, after = old[scene.name], new[scene.name]
        if before is None or scene.kind == "still":
            if before is not None and compare(before, after) is None:
                same.append(scene.name)
            else:
                sections.append(still_pair(scene, before, after, page_dir))
            continue
        found = difference(before, after)
        if found is None or not found.changed:
            same.append(scene.name)
            continue
        sections.append(pair_section(before, after, found, page_dir))
        data[scene.name] = scene_data([before, after])
    if same:
        sections.append(f'<section class="unchanged"><h2>Unchanged</h2><p>{", ".join(same)}</p></section>')
    contents = " ".join(f'<a href="#{s.name}">{s.name}</a>' for s in scenes if s.name not in same)
    intro = f"What changed from {html.escape(str(against))} (before) to {html.escape(str(media_dir))} (after)."
    page = write_page(page_dir, "tp1viz review: a change", intro, contents, sections, data)
    return page, len(scenes) - len(same), len(same)


def still_pair(scene, before, after, page_dir: Path) -> str:
    """A still's two versions, or a video that is new: its poster beside nothing."""
    if scene.kind == "video":
        after = after.scene.poster_path(after.folder)
    old = f'<img src="{link(before, page_dir)}" alt="before">' if before is not None else "<p>(not there before)</p>"
    return f"""
<section id="{scene.name}">
  <h2>{scene.name}</h2>
  <div class="pair"><figure>{old}<figcaption>before</figcaption></figure>
  <figure><img src="{link(after, page_dir)}" alt="after"><figcaption>after</figcaption></figure></div>
</section>"""

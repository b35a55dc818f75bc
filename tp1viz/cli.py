"""The command line: parse, call the build, turn failures into one-line messages. Nothing heavy at import."""

import math
import os
import sys
from pathlib import Path

import click

from . import build
from .scenes import SCENES

DEFAULT_OUT = "media"


def positive_finite(ctx, param, value):
    if value is not None and not (math.isfinite(value) and value > 0):
        raise click.BadParameter(f"{value} is not a positive finite number")
    return value


def even_size(ctx, param, value):
    if value is not None and (value % 2 or not 64 <= value <= 4096):
        raise click.BadParameter(f"{value} is not an even number of pixels in 64..4096")
    return value


def writable_dir(ctx, param, value):
    path = Path(value)
    existing = next((p for p in (path, *path.parents) if p.exists()), Path("."))
    if existing == path and not path.is_dir():
        raise click.BadParameter(f"{value} is a file, not a folder")
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise click.BadParameter(f"{value} is not writable")
    return path


def known_scenes(ctx, param, names):
    unknown = [name for name in names if name not in SCENES]
    if unknown:
        raise click.BadParameter(f"unknown scene {', '.join(unknown)}; known: {', '.join(SCENES)}")
    return names


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """Record small PyTorch training runs and render them as teaching videos and stills."""


@main.command()
@click.argument("scenes", nargs=-1, callback=known_scenes)
@click.option(
    "--out",
    default=DEFAULT_OUT,
    envvar="TP1VIZ_OUT",
    show_default=True,
    callback=writable_dir,
    help="Output folder (the site's media root). Env: TP1VIZ_OUT.",
)
@click.option("--steps", type=click.IntRange(1, 100_000), help="Training steps (1..100000).")
@click.option("--lr", type=float, callback=positive_finite, help="Learning rate (positive, finite).")
@click.option("--seed", type=click.IntRange(min=0), help="Seed for the data and the initial weights.")
@click.option("--fps", type=click.IntRange(1, 120), help="Frames per second (1..120).")
@click.option("--size", type=int, callback=even_size, help="Width and height in px (even, 64..4096).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def render(scenes, out, steps, lr, seed, fps, size, quiet):
    """Render SCENES (default: every video and still) into OUT.

    The overrides apply to the scenes named (to all of them when none is named).

    Example: tp1viz render linear_sgd --steps 50 --out /tmp/media
    """
    from .encode import EncoderError

    overrides = dict(steps=steps, lr=lr, seed=seed, fps=fps, size=size)
    try:
        for scene in build.select(scenes):
            written = render_one(scene.with_overrides(**overrides), out, quiet)
            if not quiet:
                click.echo(f"wrote {shown(written.path)} ({describe(written)})")
    except EncoderError as error:
        raise click.ClickException(str(error)) from None
    except KeyboardInterrupt:
        click.echo("interrupted; outputs already on disk are unchanged", err=True)
        sys.exit(130)


def render_one(scene, out: Path, quiet: bool):
    if scene.kind == "still":
        return build.render_still(scene, out)
    if quiet or not sys.stderr.isatty():
        return build.render_video(scene, out)
    with click.progressbar(length=build.frame_count(scene), label=scene.name, file=sys.stderr) as bar:
        return build.render_video(scene, out, on_frame=lambda: bar.update(1))


def describe(written) -> str:
    size = f"{max(1, round(written.bytes / 1024))} KB"
    return f"{written.frames} frames, {size}" if written.path.suffix == ".mp4" else size


@main.command("list")
def list_scenes():
    """List the scenes and their parameters.

    Example: tp1viz list
    """
    for scene in SCENES.values():
        params = scene.describe()
        if scene.kind == "video":
            detail = (
                f"{params['dataset']} data, {params['model']} net, SGD lr {params['lr']}, "
                f"{params['steps']} steps, seed {params['seed']}, {params['fps']} fps, {params['size']} px"
            )
        else:
            detail = f"{params['dataset']} data, seed {params['seed']}, {params['size']} px"
        path = build.output_path(Path(DEFAULT_OUT), scene)
        click.echo(f"{scene.name:<27} {scene.kind:<6} {path}\n{'':<34} {detail}")

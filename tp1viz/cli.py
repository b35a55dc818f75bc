"""The command line: parse, call the build, turn failures into one-line messages. Nothing heavy at import."""

import contextlib
import html
import os
import shlex
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import click

from . import build, progress, rules, schema, signals
from ._version import __version__
from .executor import available_cpus
from .kinds import VIDEO_FORMATS, Video
from .scenes import SceneError, check_size, load_catalog

DEFAULT_OUT = "media"


def checked_by_schema(name: str):
    """A click callback that checks a value as a scene file's key `name` is checked (schema.py)."""

    def callback(ctx, param, value):
        try:
            return value if value is None else schema.check(Video, name, value)
        except rules.RuleError as error:
            raise click.BadParameter(str(error)) from None

    return callback


def override_options(command):
    """`--NAME` for every scene key the schema marks as an override, with its help and range, in its order."""
    options = [(name, key) for name, (key, _) in schema.keys(Video).items() if key.option]
    for name, key in reversed(options):
        flag, what = "--" + name.replace("_", "-"), key.help[0].upper() + key.help[1:]
        if name == "formats":  # an array: given as a comma-separated list
            help = f"{what}: comma-separated mp4, webm (VP9), gif (palette-optimised)."
            option = click.option("--format", "formats", default="mp4", callback=video_formats, show_default=True,
                                  help=help)  # fmt: skip
        elif key.choices is not None:
            option = click.option(flag, name, type=click.Choice(key.names()), help=f"{what}.")
        else:
            option = click.option(flag, name, type=key.kind, callback=checked_by_schema(name),
                                  help=f"{what} ({schema.span(key)}).")  # fmt: skip
        command = option(command)
    return command


OVERRIDES = tuple(name for name, (key, _) in schema.keys(Video).items() if key.option)  # render's scene options


def writable_dir(ctx, param, value):
    """A folder we can write into, or one we can create: refused here, before anything is written."""
    if not str(value).strip():
        raise click.BadParameter("an empty name; name a folder ('.' for this one)")
    try:
        return checked_dir(value)
    except OSError as error:  # a name too long, a folder we may not look into
        raise click.BadParameter(f"{value}: {error.strerror or error}") from None


def checked_dir(value) -> Path:
    """writable_dir's checks, which may meet an OSError."""
    path = Path(value)
    lineage = (path, *path.parents)
    dangling = next((p for p in lineage if p.is_symlink() and not p.exists()), None)
    if dangling is not None:
        raise click.BadParameter(f"{dangling} is a symbolic link to nowhere (dangling, or a loop)")
    existing = next((p for p in lineage if p.exists()), Path("."))
    if existing == path and not path.is_dir():
        raise click.BadParameter(f"{value} is a file, not a folder")
    if not existing.is_dir():
        raise click.BadParameter(f"{value} is inside {existing}, which is a file")
    try:
        with tempfile.TemporaryFile(dir=existing):  # os.access says yes to root even where nothing can be made
            pass
    except OSError as error:
        raise click.BadParameter(f"{value} is not writable ({error.strerror})") from None
    return path


def catalog_from(scene_files) -> dict:
    """The course's scenes plus the author's files; a bad file is a usage error naming file, scene and key."""
    try:
        return load_catalog(scene_files)
    except SceneError as error:
        raise click.UsageError(str(error)) from None


def chosen_scenes(names, catalog: dict) -> list:
    try:
        return build.select(names, catalog)
    except KeyError as error:
        raise click.UsageError(f"unknown scene {error.args[0]}; known: {', '.join(catalog)}") from None


scene_files_option = click.option(
    "--scenes", "scene_files", multiple=True, type=click.Path(dir_okay=False),
    help="A TOML file of scenes that adds to or replaces the course's (repeatable).",
)  # fmt: skip


def video_formats(ctx, param, value):
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in VIDEO_FORMATS]
    if unknown or not names:
        raise click.BadParameter(f"{value!r}: choose from {', '.join(VIDEO_FORMATS)}, separated by commas")
    return tuple(names)


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def one_line(text: str) -> str:
    """A message as one line: a control character (a newline in a scene's name, in a path) is shown escaped."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in str(text))


class BadMedia(click.ClickException):
    """A media folder, or a file in it, that tp1viz will not trust: exit 2, as for any bad input."""

    exit_code = 2


class OneLineErrors(click.Group):
    """Errors are one line on stderr (no usage block, never a traceback), with click's exit codes. What the
    machine runs out of (memory, a library that cannot be loaded under a memory cap) is one line too."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.NoArgsIsHelpError as error:  # `tp1viz` alone, or a command without its argument
            click.echo(error.ctx.get_help(), err=error.ctx.parent is not None)
            sys.exit(0 if error.ctx.parent is None else error.exit_code)
        except click.ClickException as error:  # UsageError and BadParameter included: exit code 2
            click.echo(f"Error: {one_line(error.format_message())}", err=True)
            sys.exit(error.exit_code)
        except (click.Abort, signals.Interrupted):  # Ctrl-C or SIGTERM before any work began
            click.echo("interrupted; nothing was written", err=True)
            sys.exit(130)
        except (MemoryError, RecursionError, ImportError, SystemError, OSError) as error:
            click.echo(f"Error: {one_line(limit_message(error))}", err=True)
            sys.exit(1)


def limit_message(error: BaseException) -> str:
    """What a limit of the machine stopped, in a line: memory, the stack, a library, the operating system."""
    if isinstance(error, MemoryError):
        return "out of memory (a memory limit, ulimit -v?)"
    if isinstance(error, RecursionError):
        return "something nests too deeply to be handled"
    if isinstance(error, ModuleNotFoundError):  # not a cap: the library is not there at all
        return f"{error.name or 'a library'} is not installed: install tp1viz with its dependencies (pip install -e .)"
    if isinstance(error, ImportError | SystemError):  # a library's import failing under a memory cap
        return f"cannot load {getattr(error, 'name', None) or 'a library'}: {error} (out of memory?)"
    where = f"{error.filename}: " if getattr(error, "filename", None) else ""
    return f"{where}{error.strerror or error}"


def run() -> None:
    """The program's entry point: the CLI, then an exit that skips the interpreter's teardown.

    Tearing down an interpreter that has loaded torch takes about 2 s here, longer than many renders;
    every output is complete and closed by the time the command returns, so there is nothing left to tidy.
    """
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:  # started with the stream closed (`tp1viz render >&-`)
            setattr(sys, name, open(os.devnull, "w"))  # noqa: SIM115 -- lives as long as the process
    try:
        result = main(prog_name="tp1viz")
        code = result if isinstance(result, int) else 0
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 0 if exit.code is None else 1
    if signals.interrupted() and code != 130:  # a signal that came after the last place it could stop us
        click.echo("interrupted; everything written before it is whole", err=True)
        code = 130
    with contextlib.suppress(OSError):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def say(line: str) -> None:
    """One line on standard output; if it cannot be written (a full disk, a closed pipe), stop saying things."""
    try:
        click.echo(line)
    except BrokenPipeError:
        raise
    except OSError as error:
        raise OutputError(error.strerror) from None


class OutputError(Exception):
    """Standard output cannot be written: the outputs are made, but we cannot say so."""


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="tp1viz", message="%(prog)s %(version)s")
def main():
    """Record small PyTorch training runs and render them as teaching videos and stills."""


@main.command()
@click.argument("scenes", nargs=-1)
@scene_files_option
@click.option("--out", default=DEFAULT_OUT, envvar="TP1VIZ_OUT", show_default=True, callback=writable_dir,
              help="Output folder (the site's media root). Env: TP1VIZ_OUT.")  # fmt: skip
@override_options
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=available_cpus, show_default="CPUs",
              help="Scenes rendered at once, each in its own process; 1 renders in this process.")  # fmt: skip
@click.option("--force", is_flag=True, help="Render even what is up to date.")
@click.option("--check", is_flag=True, help="Render into a temporary folder and compare with OUT; exit 1 if stale.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def render(scenes, scene_files, out, jobs, force, check, quiet, **overrides):
    """Render SCENES (default: every video and still) into OUT.

    Outputs whose files and fingerprints match OUT/manifest.json are skipped as up to date.
    The overrides apply to the scenes named (to all of them when none is named).

    Example: tp1viz render linear_sgd --steps 50 --out /tmp/media
    """
    signals.checkpoint()  # a Ctrl-C while the program was loading: stop before anything is touched
    catalog = catalog_from(scene_files)
    chosen = [scene.with_overrides(**overrides) for scene in chosen_scenes(scenes, catalog)]
    for scene in chosen:
        for name in overridden_by_every_run(scene, overrides):
            click.echo(f"warning: {scene.name}: each of its runs sets its own {name}; --{name.replace('_', '-')} "
                       "changes none of them", err=True)  # fmt: skip
    for video in (video for scene in chosen for video in scene.recordings):
        try:
            check_size(video)
        except rules.RuleError as error:
            raise click.BadParameter(f"{video.name}: {error}", param_hint="'--steps'") from None
    if check:
        with friendly_errors():
            check_outputs(chosen, out, quiet, jobs, files_again(scene_files), overrides_again(overrides), catalog)
    else:
        render_outputs(chosen, out, force, quiet, jobs)


def overridden_by_every_run(scene, overrides: dict) -> list[str]:
    """The training options given that every run of the scene sets for itself (lr_sweep's learning rates)."""
    variants = getattr(scene, "variants", ())
    sets = {"lr": lambda v: v.lr is not None or v.limit_fraction is not None,
            "batch_size": lambda v: v.batch_size is not None,
            "optimizer": lambda v: v.optimizer is not None}  # fmt: skip
    return [name for name, own in sets.items()
            if overrides.get(name) is not None and variants and all(own(v) for v in variants)]  # fmt: skip


@contextmanager
def friendly_errors(done: list | None = None, stopped: list | None = None):
    """Failures while working become one line and an exit code. `done` names the scenes written so far,
    `stopped` those an interrupt cut short."""
    from .encode import EncoderError
    from .files import BadFile, shown_target

    try:
        yield
    except EncoderError as error:
        raise click.ClickException(str(error)) from None
    except BadFile as error:  # a link, a FIFO, a recording or a video that is not one: bad input
        raise BadMedia(f"{error}{error.advice}") from None
    except BrokenPipeError:
        # The reader went away (`./render | head`): stop quietly, like any Unix tool.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)
    except OutputError as error:
        raise click.ClickException(f"cannot write to standard output: {error}") from None
    except OSError as error:
        if not error.filename:
            raise click.ClickException(limit_message(error)) from None
        raise click.ClickException(f"cannot write {shown_target(error.filename)}: {error.strerror}") from None
    except (KeyboardInterrupt, signals.Interrupted):
        click.echo(interrupted_line(done or [], stopped or []), err=True)
        sys.exit(130)


def interrupted_line(done: list[str], stopped: list[str] = ()) -> str:
    """What an interrupt left: the scenes it cut short, the scenes written whole, and that every other output is
    as it was."""
    cut = f" while drawing {', '.join(stopped)}" if stopped else ""
    if not done:
        return f"interrupted{cut}; every output is as it was"
    return f"interrupted{cut}; written whole: {', '.join(done)}; every other output is as it was"


def render_outputs(scenes: list, out: Path, force: bool, quiet: bool, jobs: int = 1) -> None:
    """Render, one line per finished file; a failed scene is one line on stderr, and the exit code is 1."""
    show_bars = not quiet and sys.stderr.isatty()
    failed, done, stopped = [], [], []
    with friendly_errors(done, stopped):
        for report in build.build(scenes, out, force=force, progress=progress.bar if show_bars else None, jobs=jobs):
            report_one(report, out, quiet, show_bars, failed, done, stopped)
        signals.checkpoint()  # a signal held back by the last commit is answered here, naming what it wrote
    if failed:
        raise SystemExit(1)  # each failure has had its line; the other scenes' outputs are written


def report_one(report, out: Path, quiet: bool, show_bars: bool, failed: list, done: list, stopped: list) -> None:
    """The lines of one scene's report, as it finishes."""
    if show_bars:
        click.echo("\r\033[K", nl=False, err=True)  # clear the bar's line before printing under it
    if isinstance(report, build.Failed) and signals.interrupted():
        stopped.append(report.scene.name)  # its encoder took the signal too: the interrupt's line names it
        signals.checkpoint()
    if isinstance(report, build.Notice):
        click.echo(f"warning: {one_line(report.line)}", err=True)
    elif isinstance(report, build.Failed):
        click.echo(f"Error: {report.scene.name}: {one_line(report.error)}", err=True)
        failed.append(report.scene.name)
    elif isinstance(report, build.UpToDate):
        if not quiet:
            say(f"up to date {shown(report.scene.primary(out))}")
    else:
        done.append(report.scene.name)
        if report.warn_diverged is not None:  # every run of it (one diverging beside others is a lesson)
            click.echo(f"warning: {report.scene.name} diverged at step {report.warn_diverged} (its loss passed 10 "
                       "times its start and never came back); the video shows how", err=True)  # fmt: skip
        for output in report.outputs:
            if not quiet and output.kind != "trajectory":
                say(f"wrote {shown(output.path)} ({describe(output, report.sizes[output.path])})")


def files_again(scene_files) -> str:
    """` --scenes FILE` for each scene file this command read: a command it suggests must read them too."""
    return "".join(f" --scenes {shlex.quote(str(path))}" for path in scene_files)


def overrides_again(overrides: dict) -> str:
    """This command's overrides as options, for a suggested render that must make the same outputs."""
    options = []
    for name in OVERRIDES:  # in the schema's order, whatever order they came in
        value = overrides.get(name)
        if value is not None and name != "formats":
            options.append(f" --{name.replace('_', '-')} {shlex.quote(str(value))}")
    extra = [name for name in overrides.get("formats") or () if name != "mp4"]  # mp4 is always written
    if extra:
        options.append(f" --format {','.join(extra)}")
    return "".join(options)


def check_outputs(scenes: list, out: Path, quiet: bool, jobs: int = 1, files: str = "", overrides: str = "",
                  catalog: dict | None = None) -> None:  # fmt: skip
    """Print a line per stale output and what to run about it (with this command's scene files and overrides,
    so it means the same scenes); exit 1 if any."""
    from .check import check

    problems = check(scenes, out, jobs)
    for line in stale_lines(problems):
        click.echo(f"stale: {one_line(line)}", err=True)
    if problems:
        stale = [problem.scene for problem in problems]
        stale = stale if all(stale) else [scene.name for scene in scenes]  # a scene of "": all of them
        names = " ".join(dict.fromkeys(stale + stills_drawing(stale, catalog or {}, overrides)))
        again = f"{render_command()} {names}{files}{overrides}"
        click.echo(f"to render them again: {again}{out_option(out)}", err=True)
        new = shlex.quote(str(Path(tempfile.gettempdir()) / "tp1viz-new"))
        click.echo(f"to see the change first, render it aside: {again} --out {new}", err=True)
        review = f"{tool_command()} review {names}{files} --media {new} --against {shlex.quote(shown(out))}"
        click.echo(f"and review it side by side: {review}", err=True)
        sys.exit(1)
    if not quiet:
        click.echo(f"{shown(out)} is up to date: it holds what the code makes")


def stills_drawing(names: list[str], catalog: dict, overrides: str) -> list[str]:
    """The stills that draw these scenes' runs, which a change to a scene changes too. Not when the check had
    overrides: they apply to the scenes named, and a still given them would pass them on to every scene it
    draws (a network still would retrain its other net too); the catalogue's scenes it draws are unchanged."""
    if overrides:
        return []
    return [name for name, scene in catalog.items()
            if any(video.name in names for video in scene.recordings if video is not scene)]  # fmt: skip


def stale_lines(problems: list) -> list[str]:
    """A line per stale output; one for a scene when three or more of its files are stale for one reason (a
    version or a parameter changed: every file says so)."""
    by_scene: dict[str, list] = {}
    for problem in problems:
        by_scene.setdefault(problem.scene, []).append(problem)
    lines = []
    for scene, found in by_scene.items():
        if scene and len(found) > 2 and len({problem.reason for problem in found}) == 1:
            kinds = ", ".join(Path(problem.path).suffix.lstrip(".") for problem in found)
            lines.append(f"{scene}: its {len(found)} files ({kinds}): {found[0].reason}")
        else:
            lines += [str(problem) for problem in found]
    return lines


def render_command() -> str:
    """How the user started this render: `./render` sets TP1VIZ_PROG, the console script does not."""
    return os.environ.get("TP1VIZ_PROG", "tp1viz render")


def tool_command() -> str:
    """How to run the `tp1viz` command from here: `./render` names its environment's (TP1VIZ_TOOL)."""
    tool = os.environ.get("TP1VIZ_TOOL", "tp1viz")
    return shlex.quote(shown(tool) if os.sep in tool else tool)


def out_option(out: Path) -> str:
    """` --out DIR`, unless DIR is what the command uses anyway."""
    default = os.environ.get("TP1VIZ_OUT", DEFAULT_OUT)
    return "" if Path(out).resolve() == Path(default).resolve() else f" --out {shlex.quote(shown(out))}"


def describe(output, size: int) -> str:
    kilobytes = f"{max(1, round(size / 1024))} KB"
    return f"{output.frames} frames, {kilobytes}" if output.kind == "video" else kilobytes


# ---- review and embedding ---------------------------------------------------------------------------

media_option = click.option(
    "--media", default=DEFAULT_OUT, envvar="TP1VIZ_OUT", show_default=True, type=click.Path(file_okay=False),
    help="The media root the videos and trajectories are in (render's --out). Env: TP1VIZ_OUT.",
)  # fmt: skip


def review_dir(ctx, param, value):
    """--out defaults to MEDIA/review; either way it must be a writable folder."""
    if value is None:
        value = str(Path(ctx.params.get("media", DEFAULT_OUT)) / "review")
    return writable_dir(ctx, param, value)


review_out_option = click.option(
    "--out", default=None, callback=review_dir, help="Folder to write into.  [default: MEDIA/review]"
)


def trusted_media(media: Path, scenes: list, page_dir: Path | None = None) -> None:
    """Refuse (files.BadFile, one line, exit 2) a media folder with a link, or a file of the wrong kind, where
    these scenes' files or tp1viz's own are, or on the way to a page folder inside it."""
    from .files import check_path

    build.check_folder([*scenes, *(video for scene in scenes for video in scene.recordings)], media)
    inside = os.path.relpath(os.path.abspath(page_dir), os.path.abspath(media)) if page_dir else os.pardir
    if inside.split(os.sep)[0] != os.pardir:
        check_path(media, inside, "folder")


def one_video(name: str, catalog: dict):
    scene = chosen_scenes([name], catalog)[0]
    if scene.kind != "video":
        raise click.UsageError(f"{name} is a still, not a video")
    return scene


def overrides_between(base, scene) -> dict:
    """render's overrides that turn the catalogue's scene `base` into `scene`, as far as options can."""
    if base is None or scene.kind != "video" or base.kind != "video" or base == scene:
        return {}
    overrides = {name: getattr(scene, name) for name in OVERRIDES
                 if name != "formats" and getattr(scene, name) != getattr(base, name)}  # fmt: skip
    return overrides | {"formats": tuple(name for name in scene.formats if name not in base.formats) or None}


def make_line(problem, catalog: dict, files: str) -> str:
    """What a folder could not show, and the render that makes it there: the scene as the folder had it, or, where
    options cannot say how it was made (another definition of the scene), the scene as it is defined now."""
    scene, base = problem.scene, catalog.get(problem.scene.name)
    overrides = overrides_between(base, scene)
    options = overrides_again(overrides) + (" --force" if problem.force else "")
    command = f"{render_command()} {scene.name}{files}{options}{out_option(problem.folder)}"
    same = base is None or base.with_overrides(**overrides) == scene
    label = "to make it" if same else "to make it from the scene as it is defined now"
    return f"{shown(problem.folder / problem.relative)}: {problem.reason}; {label}: {command}"


@contextmanager
def shown_as_made(catalog: dict, files: str):
    """What a media folder cannot show (missing, changed since rendered, made by other code) is a line each, naming
    the render that makes it, and exit 2: nothing is drawn from it."""
    from .made import Unshowable, Unshowables

    try:
        yield
    except (Unshowable, Unshowables) as error:
        for problem in getattr(error, "problems", [error]):
            click.echo(f"Error: {make_line(problem, catalog, files)}", err=True)
        sys.exit(2)


@main.command()
@click.argument("scene")
@click.option("--step", "step_specs", multiple=True, required=True, help="A step, 0..N or 'last' (repeatable).")
@scene_files_option
@media_option
@review_out_option
def frames(scene, step_specs, scene_files, media, out):
    """Write the frame of SCENE at each --step as a lossless PNG, SCENE_stepK.png.

    Drawn from the run recorded in MEDIA, with the parameters that made its video there, by the video's own
    renderer: pixel for pixel the video frame before encoding.

    Example: tp1viz frames linear_sgd --step 0 --step 30 --step last
    """
    from .made import made_video
    from .review import resolve_steps, write_frames

    catalog = catalog_from(scene_files)
    video = one_video(scene, catalog)
    with friendly_errors(), shown_as_made(catalog, files_again(scene_files)):
        trusted_media(Path(media), [video], out)
        made = made_video(video, Path(media))
    try:
        steps = resolve_steps(step_specs, made.scene.steps)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--step'") from None
    with friendly_errors():
        for path in write_frames(made, steps, out):
            click.echo(f"wrote {shown(path)}")


@main.command()
@click.argument("scene")
@click.option("--count", default=12, show_default=True, type=click.IntRange(2, 100), help="Thumbnails (2..100).")
@scene_files_option
@media_option
@review_out_option
def sheet(scene, count, scene_files, media, out):
    """Write a contact sheet of SCENE as MEDIA holds it: the first and last steps, each event's, and steps where
    the picture moves.

    Example: tp1viz sheet pow_fn_w_non_linear_model --count 16
    """
    from .made import made_video
    from .review import write_sheet

    catalog = catalog_from(scene_files)
    video = one_video(scene, catalog)
    with friendly_errors(), shown_as_made(catalog, files_again(scene_files)):
        trusted_media(Path(media), [video], out)
        click.echo(f"wrote {shown(write_sheet(made_video(video, Path(media)), count, out))}")


def existing_media(ctx, param, value):
    """--against: a media folder that is there (another render, or a checkout's media/)."""
    if value is not None and not Path(value).is_dir():
        raise click.BadParameter(f"{value} is not a folder")
    return None if value is None else Path(value)


@main.command()
@click.argument("scenes", nargs=-1)
@scene_files_option
@media_option
@review_out_option
@click.option("--against", type=click.Path(file_okay=False), callback=existing_media,
              help="Another media folder (a render of main kept aside): what changed, side by side.")  # fmt: skip
@click.option("--serve", is_flag=True, help="Then serve the page over http, with byte ranges, until Ctrl-C.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="The port --serve listens on, on this machine only (0: any free one).")  # fmt: skip
def review(scenes, scene_files, media, out, against, serve, port):
    """Write a review page (MEDIA/review/index.html): every video, scrubbable step by step.

    Shows each scene as MEDIA holds it, drawn with the parameters that made it there; it never renders. What is
    missing or stale there is a line naming the render that makes it. With --against OLD, the page puts each
    scene a viewer would see change from OLD beside its new video under one scrubber, with the step where they
    part; unchanged scenes are listed in a line. The page opens from disk, with no server and no network;
    --serve serves it over http (a server must answer byte ranges for the videos to seek).

    Example: tp1viz review && xdg-open media/review/index.html
    """
    from .review import write_comparison, write_review

    catalog = catalog_from(scene_files)
    chosen = chosen_scenes(scenes, catalog)
    with friendly_errors(), shown_as_made(catalog, files_again(scene_files)):
        trusted_media(Path(media), chosen, out)
        if against is None:
            page = write_review(chosen, Path(media), out)
            say(f"wrote {shown(page)}")
        else:
            trusted_media(against, chosen)
            page, different, same = write_comparison(chosen, Path(media), against, out)
            say(f"wrote {shown(page)} ({different} changed, {same} unchanged)")
    if serve:
        serve_page(page, [Path(media), out, *([against] if against else [])], port)


def serve_page(page: Path, folders: list[Path], port: int) -> None:
    """Serve the page and the folders it shows until Ctrl-C, which ends it with one line and 130."""
    from .serve import Server

    try:
        server = Server(folders, port)
    except OSError as error:
        raise click.BadParameter(f"cannot listen on port {port}: {error.strerror}", param_hint="'--port'") from None
    with server:  # closed on the way out
        url = server.url_of(page)
        say(f"serving {url} (Ctrl-C to stop)")
        try:
            with signals.raising():  # the signal's handler raises in the wait for requests
                server.serve_forever()
        except (KeyboardInterrupt, signals.Interrupted):
            click.echo(f"stopped serving {url}", err=True)
            sys.exit(130)


@main.command()
@click.argument("scene")
@scene_files_option
@media_option
def embed(scene, scene_files, media):
    """Print the <video> snippet for the site, with a <source> per format rendered (MP4 first), as MEDIA holds it.

    Example: tp1viz embed linear_sgd
    """
    from .made import made_scene

    catalog = catalog_from(scene_files)
    video = one_video(scene, catalog)
    with friendly_errors(), shown_as_made(catalog, files_again(scene_files)):
        video = made_scene(video, Path(media)).with_formats_on_disk(Path(media))
    click.echo(embed_snippet(video, Path(media)))


def embed_snippet(video, media: Path) -> str:
    """The page's own <video> markup, with the page's paths (/videos/<name>.<format>), every attribute escaped."""
    site = html.escape(f"/videos/{video.name}", quote=True)
    # MP4 first: browsers play the first source they can, and our WebM is 1.6-1.9x the MP4's bytes.
    sources = [f'  <source src="{site}.{f}" type="video/{f}">' for f in ("mp4", "webm") if f in video.formats]
    fallback = "Your browser does not support MP4 videos somehow..."
    if "gif" in video.formats:
        # Lazy: fallback content is never laid out where the video plays, so the GIF is then never fetched.
        alt = html.escape(video.title, quote=True)
        fallback = f'<img src="{site}.gif" width="{video.size}" height="{video.size}" loading="lazy" alt="{alt}">'
    # Captions and a transcript: a video without sound still needs its text alternative (WCAG 2.2, 1.2.1). Not
    # shown by default: the video's own notes already put its words on screen, and a caption over the picture
    # would hide what they point at; the player's menu turns them on, and the transcript is a link away.
    words = (media / "videos" / f"{video.name}.vtt").is_file()
    track = [f'  <track kind="captions" src="{site}.vtt" srclang="en" label="English">'] if words else []
    transcript = [f'<p><a href="{site}.txt">Transcript of the video</a></p>'] if words else []
    return "\n".join(
        [
            f'<video width="{video.size}" height="{video.size}" controls preload="metadata" poster="{site}.jpg">',
            *sources,
            *track,
            f"  {fallback}",
            "</video>",
            *transcript,
        ]
    )


@main.command("list")
@scene_files_option
def list_scenes(scene_files):
    """List the scenes, their parameters and the file that defines each.

    Example: tp1viz list --scenes my_scenes.toml
    """
    for scene in catalog_from(scene_files).values():
        path = scene.primary(Path(DEFAULT_OUT))
        click.echo(f"{scene.name:<27} {scene.kind:<6} {path}")
        click.echo(f"{'':<34} {scene.summary()}")
        click.echo(f"{'':<34} defined in {scene.source_file}")

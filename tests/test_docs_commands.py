"""Every command the README and docs/pages show is run, as it is written: by a test here (in a sandbox that holds a
copy of the committed media, with every /tmp path moved into the test's own folder), by a named test elsewhere, by
.ci/run, or (where no test can: it installs packages, blocks, or takes minutes) by hand, listed below with why. A
command that is none of these fails, so a new command in the docs comes with its test.

Where the docs show what a command prints (`$ command` and the lines under it), the test runs the block's commands
in order and compares what they print, line for line ("..." stands for any lines)."""

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT, SCENES

from tp1viz.cli import main

README = ROOT / "README.md"
DOCUMENTS = [README, *sorted((ROOT / "docs" / "pages").glob("*.md"))]
FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
PROGRAMS = ("./render", "tp1viz ", ".venv/bin/", "python", "pip ", "mkdocs ", "git ", "source ", "bash ")
COMMENT = re.compile(r"\s+#\s.*$")  # a shell comment after a command

RECIPE = "test_author.py::test_the_readmes_recipe_run_verbatim_in_a_fresh_clone_changes_only_the_edited_scene"
HERE = "test_docs_commands.py::"
SESSIONS = HERE + "test_a_shown_session_prints_what_the_docs_show"
SERVE = "test_clients.py::test_review_serve_answers_byte_ranges_so_every_step_seeks_and_ctrl_c_ends_it"
CI = ".ci/run"
SYNOPSIS = "synopsis"  # a command's form or name: every option it names is one the command takes

# How each command the docs show is run. A test's name is checked to exist; a .ci/run line to be in .ci/run.
HOW = {
    # The quick start: a new virtual environment, installed from the package index.
    "python3 -m venv .venv && .venv/bin/pip install -e . && ./render": "by hand: makes a venv, installs from PyPI",
    "python3 -m venv .venv && .venv/bin/pip install -e \".[test]\" && .venv/bin/ruff check . && .venv/bin/ruff "
    "format --check . && .venv/bin/lint-imports && .venv/bin/pytest": CI,
    ".venv/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu": "by hand: PyTorch's own index",
    ".venv/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu && .venv/bin/pip install -e .":
        "by hand: PyTorch's own index",
    "pip install .": "test_install.py::test_a_wheel_installed_elsewhere_has_its_catalogue_and_renders",
    "mkdocs build --strict -f docs/mkdocs.yml": CI,
    ".venv/bin/mkdocs build --strict -f docs/mkdocs.yml": CI,
    ".venv/bin/python tests/benchmarks/bench_render.py": "by hand: the benchmark takes about five minutes",
    # Mutation testing (docs/pages/mutation.md): half an hour of both cores, so not in CI.
    '.venv/bin/pip install -e ".[test,mutation]"': "by hand: installs mutmut from the package index",
    ".venv/bin/mutmut run": "by hand: mutation testing takes about half an hour of both cores",
    ".venv/bin/python tests/mutation_score.py": "by hand: it reads what mutmut run left in mutants/",
    ".venv/bin/mutmut run NAME ...": "by hand: re-runs mutants by name (minutes each for a survivor)",
    ".venv/bin/mutmut show NAME": "by hand: prints a mutant's diff from what mutmut run left",
    # The author's recipe (README), run line by line in a fresh clone.
    "source .venv/bin/activate": RECIPE,
    "./render --check": RECIPE,
    "./render linear_sgd neural_net --out /tmp/tp1viz-new": RECIPE,
    "tp1viz review linear_sgd neural_net --media /tmp/tp1viz-new --against media": RECIPE,
    "./render": RECIPE,
    'git add tp1viz/scenes.toml media && git commit -m "linear_sgd: lr 0.0052"': RECIPE,
    # Examples that write aside.
    "./render --force --out /tmp/media": "by hand: every scene from scratch, both cores for 9 s or more",
    "./render linear_sgd --out /tmp/media": SESSIONS,
    "./render linear_sgd --lr 10 --out /tmp/media": SESSIONS,
    "./render pow_fn_w_non_linear_model --seed 1 --out /tmp/media": HERE + "test_a_seed_whose_units_die",
    "./render pow_fn_w_non_linear_model --steps 100000 --out /tmp/media": "by hand: 100000 steps, twice, about 45 s",
    "./render --check linear_sgd --lr 0.0052": SESSIONS,
    "./render linear_sgd --lr 0.0052 --out /tmp/tp1viz-new": SESSIONS,
    "tp1viz review linear_sgd --media /tmp/tp1viz-new --against media": SESSIONS,
    "tp1viz frames linear_sgd --step 0 --step 30 --step last": SESSIONS,
    "tp1viz sheet linear_sgd --count 12": SESSIONS,
    "tp1viz review linear_sgd": SESSIONS,
    "./render linear_sgd --format webm,gif --out /tmp/media -q": SESSIONS,
    "tp1viz embed linear_sgd --media /tmp/media": SESSIONS,
    "tp1viz review --serve": SERVE,
    # Your own scene file (docs/pages/scenes.md).
    "./render pow_fn_w_wide_mlp --scenes my_scenes.toml": HERE + "test_your_own_scene_file",
    "./render --scenes my_scenes.toml": HERE + "test_your_own_scene_file",
    "tp1viz list --scenes my_scenes.toml": HERE + "test_your_own_scene_file",
    # Quick ones.
    "tp1viz --help": HERE + "test_the_quick_commands",
    "tp1viz list": HERE + "test_the_quick_commands",
    "python -m tp1viz": HERE + "test_the_quick_commands",
    # Names and forms of commands.
    "./render ARGS": SYNOPSIS,
    "tp1viz render ARGS": SYNOPSIS,
    "tp1viz render": SYNOPSIS,
    "tp1viz render [SCENE ...]": SYNOPSIS,
    "tp1viz frames SCENE --step K": SYNOPSIS,
    "tp1viz sheet SCENE": SYNOPSIS,
    "tp1viz review [SCENE ...]": SYNOPSIS,
    "tp1viz review": SYNOPSIS,
    "tp1viz embed SCENE": SYNOPSIS,
    "tp1viz embed": SYNOPSIS,
}  # fmt: skip


def code_blocks(path: Path) -> list[tuple[str, list[str], int]]:
    """Each fenced block of a Markdown file: (its language, its lines dedented, the line it starts on)."""
    text = path.read_text()
    return [(match.group(2), textwrap.dedent(match.group(3)).splitlines(), text.count("\n", 0, match.start()) + 1)
            for match in FENCE.finditer(text)]  # fmt: skip


def shown_commands(path: Path) -> list[str]:
    """Every shell command of a Markdown file: each line of its `sh` blocks, each `$ ` line of its other blocks,
    and each code span of its prose that starts with a program and gives it something (a name alone is a name)."""
    found = []
    for language, lines, _ in code_blocks(path):
        for line in lines:
            if language == "sh" and line.strip() and not line.startswith("#"):
                found.append(COMMENT.sub("", line))
            elif line.startswith("$ "):
                found.append(line[2:])
    prose = FENCE.sub("", path.read_text())
    found += [span for span in re.findall(r"`([^`\n]+)`", prose) if span.startswith(PROGRAMS) and " " in span]
    return found


def every_command() -> dict[str, list[str]]:
    """Each command the docs show, with the documents that show it."""
    where = {}
    for path in DOCUMENTS:
        for command in shown_commands(path):
            where.setdefault(command, []).append(path.name)
    return where


def test_every_command_the_docs_show_is_run():
    shown = every_command()
    unrun = sorted(set(shown) - set(HOW))
    assert not unrun, f"commands in the docs that nothing runs (add a test, and a line to HOW): {unrun}"
    gone = sorted(set(HOW) - set(shown))
    assert not gone, f"HOW lists commands the docs no longer show: {gone}"
    tests = "\n".join(path.read_text() for path in (ROOT / "tests").glob("test_*.py"))
    ci = (ROOT / CI).read_text().splitlines()
    for command, how in HOW.items():
        if how == CI:
            assert any(command in line for line in ci), f"{command!r} is not run by {CI}"
        elif how.startswith("test_"):
            name = how.split("::")[1]
            assert re.search(rf"^def {name}\(", tests, re.MULTILINE), f"{how}, which runs {command!r}, is gone"
        else:
            assert how == SYNOPSIS or how.startswith("by hand: "), how


def test_a_new_command_in_the_docs_is_caught(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("Run `./render --frobnicate` or:\n\n```sh\n./render linear_sgd  # a comment\n```\n\n```\n"
                    "$ tp1viz list\nlinear_sgd ...\n```\n\n`tp1viz` is a name, `tp1viz.video` Python.\n")  # fmt: skip
    assert shown_commands(page) == ["./render linear_sgd", "tp1viz list", "./render --frobnicate"]


# ---- names and forms ----------------------------------------------------------------------------------------


def options_named(form: str) -> tuple[str, set[str]]:
    """The subcommand a form names (`./render` is `tp1viz render`) and the options it gives."""
    words = form.replace("./render", "tp1viz render", 1).split()
    return words[1], {word.split("=")[0] for word in re.findall(r"--?[a-z][\w-]*", form)}


def options_of(command: str) -> set[str]:
    return {name for param in main.commands[command].params for name in param.opts + param.secondary_opts}


@pytest.mark.parametrize("form", [command for command, how in HOW.items() if how == SYNOPSIS])
def test_a_commands_form_names_a_command_and_its_options(form):
    command, named = options_named(form)
    assert command in main.commands, f"{form}: tp1viz has no command {command!r}"
    assert named <= options_of(command), f"{form}: {command} takes no {sorted(named - options_of(command))}"


def synopsis() -> dict[str, str]:
    """The command line synopsis in docs/pages/commands.md: each command's line, its continuations joined."""
    page = ROOT / "docs" / "pages" / "commands.md"
    (lines,) = [lines for _, lines, _ in code_blocks(page) if lines and lines[0].startswith("tp1viz render [")]
    forms = {}
    for line in lines:
        if line.startswith(("tp1viz ", "./render ")):
            name = line.split()[1] if line.startswith("tp1viz ") else "./render"
            forms[name] = COMMENT.sub("", line)
        else:
            forms[name] += " " + line.strip()
    return forms


def test_the_synopsis_gives_every_command_with_every_option():
    forms = synopsis()
    assert set(forms) - {"--version", "./render"} == set(main.commands), forms
    for command, form in ((command, forms[command]) for command in main.commands):
        named = set(re.findall(r"(?<![\w-])--?[a-z][\w-]*", form))
        options = [param.opts + param.secondary_opts for param in main.commands[command].params
                   if param.opts[0].startswith("-")]  # fmt: skip
        assert not [names for names in options if not named & set(names)], f"{command}: the synopsis leaves out some"
        assert named <= {name for names in options for name in names}, f"{command}: the synopsis names others"


# ---- shown sessions -----------------------------------------------------------------------------------------


def sessions() -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """Each block of the docs that shows `$ command` lines: (where, [(command, the lines it prints)])."""
    found = []
    for path in DOCUMENTS:
        for _, lines, start in code_blocks(path):
            steps = []
            for line in lines:
                if line.startswith("$ "):
                    steps.append((line[2:], []))
                elif steps:
                    steps[-1][1].append(line)
            if steps:
                found.append((f"{path.name}:{start}", steps))
    return found


def sandbox(tmp_path: Path) -> tuple[Path, dict]:
    """A folder laid out as a checkout (./render, a copy of the committed media, the quick start's .venv), and
    the environment of a shell in it with that environment activated and /tmp moved into the test's own folder."""
    root = tmp_path / "checkout"
    root.mkdir()
    shutil.copy(ROOT / "render", root / "render")  # a copy: a link would lead ./render back to this checkout
    shutil.copytree(ROOT / "media", root / "media", ignore=shutil.ignore_patterns("review", ".tp1viz"))
    (root / ".venv").symlink_to(sys.prefix)
    (tmp_path / "tmp").mkdir()
    env = {key: value for key, value in os.environ.items() if key not in ("TP1VIZ_OUT", "PYTHONPATH")}
    env.update(VIRTUAL_ENV=sys.prefix, PATH=f"{Path(sys.prefix) / 'bin'}:{env['PATH']}", TMPDIR=str(tmp_path / "tmp"),
               PYTHONUNBUFFERED="1")  # fmt: skip
    return root, env


def shell(command: str, root: Path, env: dict) -> subprocess.CompletedProcess:
    """A command as written, in the sandbox: its /tmp is the test's; what it prints, both streams in order."""
    moved = command.replace("/tmp/", f"{env['TMPDIR']}/")
    return subprocess.run(["bash", "-c", moved], cwd=root, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=240)  # fmt: skip


def agrees(shown: list[str], printed: list[str]) -> bool:
    """Whether the printed lines are the shown ones, where a shown "..." stands for any lines (or none)."""
    if not shown:
        return not printed
    if shown[0].strip() == "...":
        return any(agrees(shown[1:], printed[skip:]) for skip in range(len(printed) + 1))
    return bool(printed) and printed[0] == shown[0] and agrees(shown[1:], printed[1:])


@pytest.mark.doc_commands
@pytest.mark.parametrize(("where", "steps"), sessions(), ids=[where for where, _ in sessions()])
def test_a_shown_session_prints_what_the_docs_show(where, steps, tmp_path):
    root, env = sandbox(tmp_path)
    for command, shown in steps:
        result = shell(command, root, env)
        printed = result.stdout.replace(env["TMPDIR"], "/tmp").splitlines()
        assert agrees(shown, printed), f"{where}: `{command}` printed:\n{result.stdout}"


def test_a_shown_session_is_compared_line_for_line():
    assert agrees(["a", "...", "d"], ["a", "b", "c", "d"]) and agrees(["a", "...", "d"], ["a", "d"])
    assert not agrees(["a", "d"], ["a", "b", "d"]) and not agrees(["a (1 KB)"], ["a (2 KB)"])


# ---- examples with their own claims -------------------------------------------------------------------------


@pytest.mark.doc_commands
def test_a_seed_whose_units_die(tmp_path):
    """README: "a seed whose ReLU units die: its captions say so"."""
    root, env = sandbox(tmp_path)
    result = shell("./render pow_fn_w_non_linear_model --seed 1 --out /tmp/media", root, env)
    assert result.returncode == 0, result.stdout
    captions = (tmp_path / "tmp" / "media" / "videos" / "pow_fn_w_non_linear_model.vtt").read_text()
    assert "Every unit is dead (3 from the start): the net is a flat line." in " ".join(captions.split())
    assert "A poor fit" in captions and "The model has stopped moving: loss 0.093." in captions


@pytest.mark.doc_commands
def test_your_own_scene_file(tmp_path):
    page = ROOT / "docs" / "pages" / "scenes.md"
    ((_, scene_file, _),) = [block for block in code_blocks(page) if block[0] == "toml"]
    root, env = sandbox(tmp_path)
    (root / "my_scenes.toml").write_text("\n".join(scene_file) + "\n")
    listed = shell("tp1viz list --scenes my_scenes.toml", root, env)
    assert listed.returncode == 0 and "pow_fn_w_wide_mlp" in listed.stdout and "linear_sgd" in listed.stdout
    assert "defined in my_scenes.toml" in listed.stdout, listed.stdout
    alone = shell("./render pow_fn_w_wide_mlp --scenes my_scenes.toml", root, env)
    assert alone.returncode == 0, alone.stdout
    assert alone.stdout.splitlines()[0].startswith("wrote media/videos/pow_fn_w_wide_mlp.mp4 ("), alone.stdout
    every = shell("./render --scenes my_scenes.toml", root, env)  # the course's scenes and this one: all up to date
    assert every.returncode == 0 and len(every.stdout.splitlines()) == len(SCENES) + 1, every.stdout
    assert all(line.startswith("up to date media/") for line in every.stdout.splitlines()), every.stdout
    (root / "my_scenes.toml").write_text("\n".join(scene_file).replace("lr = 0.3", "lr = -1.0") + "\n")
    refused = shell("./render --scenes my_scenes.toml", root, env)
    shown = [line for _, lines, _ in code_blocks(page) for line in lines if line.startswith("Error: ")]
    assert refused.returncode == 2 and refused.stdout.splitlines() == shown, refused.stdout


def test_the_quick_commands(tmp_path):
    root, env = sandbox(tmp_path)
    version = shell("tp1viz --version", root, env)  # the synopsis: "tp1viz 0.1.0"
    assert version.returncode == 0 and version.stdout == "tp1viz 0.1.0\n"
    for command in ("tp1viz --help", "python -m tp1viz"):
        result = shell(command, root, env)
        assert result.returncode == 0 and result.stdout.startswith("Usage: "), result.stdout
        assert all(f"  {name} " in result.stdout for name in main.commands), result.stdout
    listed = shell("tp1viz list", root, env)
    assert listed.returncode == 0 and listed.stdout.count("defined in tp1viz/scenes.toml") == len(SCENES), listed.stdout


@pytest.mark.doc_commands
def test_the_notebook_in_five_lines(tmp_path, monkeypatch):
    (lines,) = [lines for language, lines, _ in code_blocks(README) if language == "python"]
    notebook_page = [lines for language, lines, _ in code_blocks(ROOT / "docs" / "pages" / "notebook.md")]
    assert notebook_page == [lines], "docs/pages/notebook.md shows the README's five lines"
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec("\n".join(lines[:-1]), namespace)  # the README's lines, then its last: a clip that plays inline
    clip = eval(COMMENT.sub("", lines[-1]), namespace)
    assert clip._repr_html_().startswith('<video controls width="512" height="512" src="data:video/mp4;base64,')
    assert namespace["traj"].steps == 200 and namespace["traj"].loss[-1] < namespace["traj"].loss[0] / 10

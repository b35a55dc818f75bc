"""The course author's loop: change a scene, see only it go stale, render it aside, review it, publish it."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SMALL, digests


def edited_copy(tmp_path, scene: str, old: str, new: str):
    """A copy of the package whose scenes.toml has one line of one scene changed, as the author edits it."""
    package = shutil.copytree(ROOT / "tp1viz", tmp_path / "copy" / "tp1viz", ignore=shutil.ignore_patterns("__py*"))
    catalogue = package / "scenes.toml"
    course = catalogue.read_text()
    start = course.index(f"[{scene}]")
    end = course.index("\n[", start)
    assert course[start:end].count(old) == 1, course[start:end]
    catalogue.write_text(course[:start] + course[start:end].replace(old, new) + course[end:])
    return package.parent


def tp1viz(package_root, *args):
    """`python -m tp1viz ARGS` with the package at `package_root`, as a new process."""
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    command = [sys.executable, "-m", "tp1viz", *map(str, args)]
    # From the copy's folder: `-m` puts the working directory first on sys.path.
    return subprocess.run(command, env=env, cwd=package_root, capture_output=True, text=True, timeout=300)


def entries(media) -> dict:
    return json.loads((media / "manifest.json").read_text())["outputs"]


def test_a_one_key_edit_of_the_catalogue_leaves_every_other_scene_up_to_date(media, tmp_path):
    package = edited_copy(tmp_path, "linear_sgd", "lr = 0.005 ", "lr = 0.0052 ")
    before = entries(media)
    check = tp1viz(package, "render", *SMALL, "--out", media, "--check", "--jobs", 1)
    assert check.returncode == 1
    stale = {line.split(": ")[1] for line in check.stderr.splitlines() if line.startswith("stale: ")}
    assert stale == {"trajectories/linear_sgd.npz", "videos/linear_sgd.mp4", "videos/linear_sgd.jpg",
                     "videos/linear_sgd.vtt", "videos/linear_sgd.txt", "neural_net.png"}, check.stderr  # fmt: skip
    result = tp1viz(package, "render", *SMALL, "--out", media, "--jobs", 1)
    assert result.returncode == 0, result.stderr
    up_to_date = [line for line in result.stdout.splitlines() if line.startswith("up to date ")]
    from conftest import SCENES

    assert len(up_to_date) == len(SCENES) - 2, result.stdout  # every scene but the edited one and the still of it
    after = entries(media)
    changed = {path for path in after if after[path] != before.get(path)}
    assert changed == {"videos/linear_sgd.mp4", "videos/linear_sgd.jpg", "videos/linear_sgd.vtt",
                       "videos/linear_sgd.txt", "trajectories/linear_sgd.npz", "neural_net.png"}  # fmt: skip
    assert after["trajectories/linear_sgd.npz"]["scene"]["lr"] == 0.0052
    for path in set(before) - changed:  # every other entry as it was, byte for byte as the manifest writes it
        assert json.dumps(after[path], sort_keys=True) == json.dumps(before[path], sort_keys=True)
    check = tp1viz(package, "render", *SMALL, "--out", media, "--check", "--jobs", 1)
    assert check.returncode == 0, check.stderr


# ---- the README's recipe, verbatim, in a fresh clone ---------------------------------------------------------

EDIT = re.compile(r"^# 1\. change a scene: edit (\S+), e\.g\. (\w+) = (\S+) under \[(\w+)\]$")


def readme_recipe() -> list[str]:
    """The lines of the README's author's recipe: the shell block of its "Change a scene" section."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("\n## Change a scene\n") :]
    return re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1).splitlines()


def bash(line: str, cwd, env: dict) -> subprocess.CompletedProcess:
    """One line of a recipe as a shell runs it, verbatim (its comment included)."""
    return subprocess.run(["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=240)


def activated(line: str, cwd, env: dict) -> dict:
    """The environment a shell has after running `line` (`source .venv/bin/activate`)."""
    shell = subprocess.run(["bash", "-e", "-c", f"{line}\nenv -0"], cwd=cwd, env=env, capture_output=True, check=True)
    found = dict(item.split("=", 1) for item in shell.stdout.decode().split("\0") if "=" in item)
    assert found.get("VIRTUAL_ENV"), f"`{line}` activated no environment"
    return found


def set_key(catalogue, scene: str, key: str, value: str) -> None:
    """Change one key of one table of a scene file, as an author's editor would: that line and nothing else."""
    text = catalogue.read_text()
    start = text.index(f"\n[{scene}]\n")
    end = text.find("\n[", start + 1)
    table, edited = text[start:end], re.sub(rf"(?m)^{key} = \S+", f"{key} = {value}", text[start:end], count=1)
    assert edited != table, f"[{scene}] has no line `{key} = ...` to change"
    catalogue.write_text(text[:start] + edited + text[end:])


def changed_files(clone) -> set[str]:
    status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True)
    return {line[3:] for line in status.stdout.splitlines()}


@pytest.mark.recipe
def test_the_readmes_recipe_run_verbatim_in_a_fresh_clone_changes_only_the_edited_scene(tmp_path):
    activate, edit, check, aside, review, publish, commit = readme_recipe()
    path, key, value, scene = EDIT.match(edit).groups()
    clone, tmp = tmp_path / "clone", tmp_path / "tmp"
    subprocess.run(["git", "clone", "--quiet", ROOT, clone], check=True)
    tmp.mkdir()
    # The quick start's environment, with this checkout's dependencies installed; the clone's own tp1viz.
    assert (Path(sys.prefix) / "bin" / "activate").is_file(), "the suite must run in a virtual environment"
    (clone / ".venv").symlink_to(sys.prefix)
    identity = {f"GIT_{who}_{what}": "Author" if what == "NAME" else "author@example.org"
                for who in ("AUTHOR", "COMMITTER") for what in ("NAME", "EMAIL")}  # fmt: skip
    env = {**os.environ, **identity, "TMPDIR": str(tmp), "PYTHONPATH": str(clone)}
    env = activated(activate, clone, {k: v for k, v in env.items() if k not in ("VIRTUAL_ENV", "TP1VIZ_OUT")})

    set_key(clone / path, scene, key, value)  # 1. change a scene
    before = digests(clone / "media")
    checked = bash(check, clone, env)  # 2. names each stale output and prints the commands of step 3
    assert checked.returncode == 1, checked.stderr
    stale = {line.split(": ")[1] for line in checked.stderr.splitlines() if line.startswith("stale: ")}
    outputs = {f"trajectories/{scene}.npz", *(f"videos/{scene}.{suffix}" for suffix in ("mp4", "jpg", "vtt", "txt"))}
    assert stale == outputs | {"neural_net.png"}, checked.stderr  # the scene, and the still that draws its net
    hints = dict(line.split(": ", 1) for line in checked.stderr.splitlines() if not line.startswith("stale: "))
    printed = [hints["to see the change first, render it aside"], hints["and review it side by side"]]
    as_read = [line.split("  #")[0].strip() for line in (aside, review)]  # the README's, its comments left out
    assert [line.replace(str(tmp), "/tmp") for line in printed] == as_read, checked.stderr

    for hint in printed:  # 3. render aside and review, verbatim as printed
        done = bash(hint, clone, env)
        assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote {tmp}/tp1viz-new/review/index.html (2 changed, 0 unchanged)"
    assert digests(clone / "media") == before  # review wrote nothing into the folder it compared with

    published = bash(publish, clone, env)  # 4. publish
    assert published.returncode == 0, published.stderr
    wrote = {line.split()[1] for line in published.stdout.splitlines() if line.startswith("wrote ")}
    assert wrote == {f"media/{name}" for name in outputs - {f"trajectories/{scene}.npz"}} | {"media/neural_net.png"}
    changed = changed_files(clone)
    assert {path, "media/manifest.json", f"media/videos/{scene}.mp4", f"media/trajectories/{scene}.npz"} <= changed
    assert changed <= {path, "media/manifest.json", "media/neural_net.png", *(f"media/{name}" for name in outputs)}
    committed = bash(commit, clone, env)
    assert committed.returncode == 0, committed.stderr
    assert changed_files(clone) == set()
    again = bash(publish, clone, env)
    assert again.returncode == 0 and all(line.startswith("up to date ") for line in again.stdout.splitlines())

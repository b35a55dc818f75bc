"""The course author's loop: change a scene, see only it go stale, render it aside, review it, publish it."""

import json
import os
import shutil
import subprocess
import sys

from conftest import ROOT, SMALL


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

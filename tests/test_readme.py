"""The README and docs/ stay true: the tests they name exist, the scene key table lists every key the validator
knows, the README stays short, every relative link lands on a file (and a heading) of the repository, and what
docs/pages/videos.md shows of the course (its notes and their anchors, each video's length, a caption file) is
the catalogue's and the committed media's."""

import ast
import json
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, SCENES, plan_of
from markdown.extensions.toc import slugify

from tp1viz import scenes

README = ROOT / "README.md"
PAGES = ROOT / "docs" / "pages"
DOCUMENTS = [README, *sorted(PAGES.glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")  # [text](target); targets here never hold spaces or parentheses
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def test_every_test_the_docs_name_exists():
    text = "\n".join(path.read_text() for path in DOCUMENTS)
    source = "\n".join(path.read_text() for path in (ROOT / "tests").glob("test_*.py"))
    not_tests = {"test_scene_files", "test_guarantees", "test_fraction"}  # files, and a scene's key
    named = set(re.findall(r"\b(test_[a-z0-9_]+)", text)) - not_tests
    missing = sorted(name for name in named if not re.search(rf"def {name}\b", source) and f"{name}.py" not in text)
    assert named and not missing, missing


def test_the_scene_key_table_is_the_schemas():
    page = (PAGES / "scenes.md").read_text()
    table = page[page.index("| key | type | default | meaning | changing it |") :].split("\n\n")[0].strip()
    assert table == scenes.key_table(), "the docs' key table is stale: `python -m tp1viz.scenes` prints it"


def test_the_readme_is_at_most_200_lines():
    lines = len(README.read_text().splitlines())
    assert lines <= 200, f"README.md has {lines} lines: move the detail into docs/pages"


def relative_links(path: Path) -> list[str]:
    """The relative link targets of a Markdown file, outside its code blocks."""
    prose = FENCE.sub("", path.read_text())
    return [target for target in LINK.findall(prose) if not re.match(r"[a-z]+:", target)]


def headings(path: Path) -> set[str]:
    """The anchors of a Markdown file's headings, as MkDocs makes them."""
    prose = FENCE.sub("", path.read_text())
    return {slugify(re.sub(r"[`*]", "", title), "-") for title in re.findall(r"^#+ (.+)$", prose, re.MULTILINE)}


def broken(path: Path) -> list[str]:
    """The relative links of path that name no file of the repository, or no heading of the file they name."""
    wrong = []
    for target in relative_links(path):
        name, _, anchor = target.partition("#")
        file = (path.parent / name).resolve() if name else path
        if name and not (file.is_file() and file.is_relative_to(ROOT)):
            wrong.append(f"{target}: no such file")
        elif anchor and anchor not in headings(file):
            wrong.append(f"{target}: no such heading")
    return wrong


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_resolves(path):
    assert relative_links(path) or path.name not in ("README.md", "index.md"), "the links into docs/ are gone"
    assert not broken(path), broken(path)


def test_a_broken_link_is_caught(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Top\n\n## How `--check` decides\n\n[a](#how-check-decides) [b](#nope) [c](gone.md)\n")
    assert broken(page) == ["#nope: no such heading", "gone.md: no such file"]


# ---- what the videos say: the tables of docs/pages/videos.md are the course's ----------------------------------


def table(page: Path, header: str) -> list[list[str]]:
    """The rows of the Markdown table under `header` (its first line), each a list of its cells; an empty first
    cell repeats the row above's."""
    text = page.read_text()
    lines = text[text.index(header) :].split("\n\n")[0].splitlines()[2:]
    rows = []
    for line in lines:
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        rows.append([cells[0] or rows[-1][0], *cells[1:]])
    return rows


def test_the_course_notes_table_is_the_catalogues_and_says_where_each_is_told():
    from tp1viz.trajectory import load_runs

    rows = table(PAGES / "videos.md", "| scene | note | anchor | told at |")
    shown = {(row[0].strip("`"), row[1]): row for row in rows}
    notes = {(name, note.text): (scene, note) for name, scene in SCENES.items() for note in getattr(scene, "notes", ())}
    assert set(shown) == set(notes), "docs/pages/videos.md's notes table is not the catalogue's notes"
    for key, (scene, note) in notes.items():
        anchor = {f"`{name} = {json.dumps(value, ensure_ascii=False)}`" for name, value in note.describe().items()
                  if name != "text"}  # fmt: skip
        assert set(re.findall(r"`[^`]+`", shown[key][2])) == anchor, (key, shown[key][2], anchor)
        told = note.anchored(load_runs(scene.trajectory_path(ROOT / "media")))
        said = shown[key][3]
        assert said.startswith("left out") if told is None else said.startswith(f"step {told[0]}"), (key, told)


def test_the_lengths_table_is_the_committed_videos():
    manifest = json.loads((ROOT / "media" / "manifest.json").read_text())["outputs"]
    rows = table(PAGES / "videos.md", "| scene | length | motion | held | captions | why |")
    videos = {name for name, scene in SCENES.items() if scene.kind == "video"}
    assert {row[0].strip("`") for row in rows} == videos
    for name, length, motion, held, captions, _ in ((row[0].strip("`"), *row[1:]) for row in rows):
        scene, entry = SCENES[name], manifest[f"videos/{name}.mp4"]
        assert length == f"{entry['duration']:.1f} s", (name, length, entry["duration"])
        plan = plan_of(scene, ROOT / "media")
        frames = np.column_stack([plan.start, plan.end, plan.t])
        repeats = int((frames[1:] == frames[:-1]).all(axis=1).sum())  # a frame held while words are read
        assert len(plan) == entry["frames"], name
        assert (motion, held) == (f"{(len(plan) - repeats) / scene.fps:.1f} s", f"{repeats / scene.fps:.1f} s"), name
        cues = (ROOT / "media" / "videos" / f"{name}.vtt").read_text().count(" --> ")
        assert int(captions) == cues, (name, captions, cues)


def test_the_captions_shown_are_the_committed_ones():
    page = (PAGES / "videos.md").read_text()
    name = re.search(r"`media/videos/(\w+)\.vtt`, as committed:", page).group(1)
    shown = re.search(r"as committed:\n\n```\n(.*?)```", page, re.DOTALL).group(1)
    assert shown == (ROOT / "media" / "videos" / f"{name}.vtt").read_text()


# ---- how it works: the module floors of docs/pages/architecture.md are the code's ------------------------------


def package_imports() -> dict[str, set[str]]:
    """Each module of the package with the package's modules it imports, anywhere in it (in a function too)."""
    package = ROOT / "tp1viz"
    modules = {path.stem for path in package.glob("*.py")}
    graph = {}
    for name in modules:
        found = set()
        for node in ast.walk(ast.parse((package / f"{name}.py").read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                found |= {node.module.split(".")[0]} if node.module else {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom | ast.Import):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                found |= {name.split(".")[1] for name in names if name.startswith("tp1viz.")}
        graph[name] = found & modules - {name}
    return graph


def floors(graph: dict[str, set[str]]) -> dict[str, int]:
    """Each module's floor: one above the highest module it imports (1: none); AssertionError on a cycle."""
    found = {}

    def floor(name: str, path: tuple = ()) -> int:
        assert name not in path, f"an import cycle: {' -> '.join((*path, name))}"
        if name not in found:
            found[name] = 1 + max((floor(other, (*path, name)) for other in graph[name]), default=0)
        return found[name]

    for name in graph:
        floor(name)
    return found


def test_the_module_floors_are_the_codes():
    graph = package_imports()
    rows = table(PAGES / "architecture.md", "| floor | module | what it is |")
    shown = {module.strip("`"): int(floor) for floor, module, _ in rows}
    assert shown == floors(graph), f"docs/pages/architecture.md's floors are stale; the code's: {floors(graph)}"
    page = (PAGES / "architecture.md").read_text()
    imports = sum(len(names) for names in graph.values())
    assert f"{len(graph)} modules, {imports} imports between them, **no cycle**" in page, (len(graph), imports)


def test_an_import_cycle_is_caught():
    with pytest.raises(AssertionError, match="an import cycle: a -> b -> a"):
        floors({"a": {"b"}, "b": {"a"}})
    assert floors({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == {"a": 2, "b": 1, "c": 3}


def test_the_layouts_and_data_tables_are_the_codes():
    import inspect

    from tp1viz.datasets import DATASETS
    from tp1viz.layouts import LAYOUTS, STILL_LAYOUTS

    layouts = {row[0].strip("`") for row in table(PAGES / "scenes.md", "| layout | what it draws |")}
    assert layouts == set(LAYOUTS) | set(STILL_LAYOUTS)
    for name, _, keys in table(PAGES / "scenes.md", "| dataset | what it is | `data` keys |"):
        defaults = {key: value.default for key, value in inspect.signature(DATASETS[name.strip("`")]).parameters.items()
                    if key != "generator"}  # fmt: skip
        assert keys == ", ".join(f"`{key}` = {value:g}" for key, value in defaults.items()), (name, defaults)

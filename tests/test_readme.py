"""The README and docs/ stay true: the tests they name exist, the scene key table lists every key the validator
knows, the README stays short, and every relative link lands on a file (and a heading) of the repository."""

import re
from pathlib import Path

import pytest
from conftest import ROOT
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

"""The README stays true: the tests it names exist, and its scene schema lists every key the validator knows."""

import re

from conftest import ROOT

from tp1viz import scenes

README = (ROOT / "README.md").read_text()


def test_every_test_the_guarantees_name_exists():
    source = "\n".join(path.read_text() for path in (ROOT / "tests").glob("test_*.py"))
    not_tests = {"test_scene_files", "test_guarantees", *scenes.VIDEO_KEYS}  # files, and the key test_fraction
    named = set(re.findall(r"\b(test_[a-z0-9_]+)", README)) - not_tests
    missing = sorted(name for name in named if not re.search(rf"def {name}\b", source) and f"{name}.py" not in README)
    assert named and not missing, missing


def test_the_scene_schema_lists_every_key():
    table = README[README.index("| key | type | default | meaning |") :].split("\n\n")[0]
    listed = set(re.findall(r"^\| `(\w+)` \|", table, re.MULTILINE))
    known = set(scenes.VIDEO_KEYS) | set(scenes.STILL_KEYS) | {"kind"}
    assert known <= listed, known - listed

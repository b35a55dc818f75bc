"""Each idea is defined once: where two copies drifted there were real bugs (a manifest saying a run diverged at
step 7 while its video said step 1; `render` and `render --check` disagreeing after an fps change). These tests
read the package's source, so a second definition fails them as soon as it is written."""

import ast
import re
from pathlib import Path

import pytest

from tp1viz import schema
from tp1viz.kinds import Still, Video

PACKAGE = Path(__file__).resolve().parents[1] / "tp1viz"


def definitions(pattern: str) -> dict[str, list[str]]:
    """Every module-level or class-level name (function, class, constant) matching `pattern`, by module."""
    found = {}
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                names = [node.name]
            elif isinstance(node, ast.Assign):
                names = [target.id for target in node.targets if isinstance(target, ast.Name)]
            else:
                names = []
            for name in names:
                if re.search(pattern, name, re.IGNORECASE):
                    found.setdefault(path.name, []).append(name)
    return found


def calls(function: str) -> dict[str, int]:
    """How many times each module calls `function` by name."""
    counted = {}
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        n = sum(isinstance(node, ast.Call) and getattr(node.func, "id", None) == function for node in ast.walk(tree))
        if n:
            counted[path.name] = n
    return counted


def test_diverged_converged_and_settled_are_defined_in_events_alone():
    # Others hold a run's *result* in dataclass fields (Drawn.diverged_at, read from events.diverged_at), and
    # pacing's settled_step is where the picture stops needing every step, read from the events it is given.
    rules = definitions(r"diverg|converg|settled_loss")
    assert set(rules) == {"events.py"}, rules
    for module in ("build.py", "kinds.py", "draw.py", "manifest.py"):
        text = (PACKAGE / module).read_text(encoding="utf-8")
        multiple_of_start = r"loss\w*(\[[^]]*\])?\s*[<>]=?\s*[\d.]+\s*\*"
        assert not re.search(multiple_of_start, text), f"{module} compares a loss with a multiple of its start itself"


def test_a_loss_off_the_charts_is_one_number():
    assert definitions(r"^(OFF_CHART|LOSS_CEILING|ESCAPE|DIVERGED_RATIO)$") == {
        "layouts.py": ["OFF_CHART"],
        "events.py": ["DIVERGED_RATIO"],  # = OFF_CHART: the rule's own name in the module that applies it
    }
    from tp1viz import events, layouts

    assert events.DIVERGED_RATIO is layouts.OFF_CHART


def test_the_recording_size_is_defined_in_rules_alone_and_every_recorder_checks_it():
    assert definitions(r"recording_size|MAX_STEPS|SPARSE_FROM|MAX_SNAPSHOT") == {
        "rules.py": ["MAX_STEPS", "SPARSE_FROM", "check_recording_size"]
    }
    callers = {
        path.name: path.read_text(encoding="utf-8").count("check_recording_size(") for path in PACKAGE.glob("*.py")
    }
    # the catalogue, before a scene is recorded; the recorder, as a student's loop grows; and the definition
    assert {name: n for name, n in callers.items() if n} == {"scenes.py": 1, "recorder.py": 1, "rules.py": 1}


def test_every_scene_rule_is_made_in_rules_or_declared_with_its_key():
    assert set(calls("Rule")) <= {"rules.py", "kinds.py"}
    kinds = ast.parse((PACKAGE / "kinds.py").read_text(encoding="utf-8"))
    given = {
        id(keyword.value) for keyword in ast.walk(kinds) if isinstance(keyword, ast.keyword) and keyword.arg == "rule"
    }
    shared = {}  # a rule two kinds of scene share (a variant's lr is a video's) is a constant used only as rule=
    for node in kinds.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and getattr(node.value.func, "id", "") == "Rule"
        ):
            shared[node.targets[0].id] = node.value
    for node in ast.walk(kinds):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Rule":
            assert id(node) in given or node in shared.values(), f"kinds.py:{node.lineno} makes a Rule outside a key"
    for name in shared:
        uses = [n for n in ast.walk(kinds) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
        assert uses and all(id(use) in given for use in uses), f"{name} is used other than as a key's rule"


@pytest.mark.parametrize("module", ["cli.py", "notebook.py", "manifest.py", "scenes.py", "made.py", "runs.py"])
def test_no_client_of_the_schema_lists_scene_fields_by_hand(module):
    text = (PACKAGE / module).read_text(encoding="utf-8")
    for cls in (Video, Still):  # the keys render may override
        for name in schema.keys(cls):
            flag = "--" + name.replace("_", "-")
            assert f'"{flag}"' not in text, f"{module} writes the option {flag} by hand"
    assert "DRAWING_ONLY" not in text and "RECORDING_KEYS" not in text
    assert not re.search(r"\{\s*\"(lr|fps|steps|seed)\",\s*\"", text), f"{module} lists scene fields by hand"


def test_every_option_of_render_is_a_key_of_the_schema():
    from click.testing import CliRunner

    from tp1viz.cli import OVERRIDES, main

    help_text = CliRunner().invoke(main, ["render", "--help"]).output
    for name in OVERRIDES:
        assert name in schema.keys(Video) or name in schema.keys(Still), name
        assert ("--format" if name == "formats" else "--" + name.replace("_", "-")) in help_text

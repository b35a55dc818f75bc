"""Generated hostile media folders against every command that reads one: each answers exit 0, or exit 2 in one
line (render: records again, with a line saying why; --check: exit 1 with its stale lines), never a traceback."""

import os
import subprocess
import sys

import pytest
from conftest import ROOT, run
from hostile import break_folder, broken_folder, copy_of, tiny_folder, tiny_larger
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """(the tiny folder to break copies of, a folder whose tiny differs: what review --against compares with)."""
    return tiny_folder(tmp_path_factory), tiny_larger(tmp_path_factory)


def one_event_a_line(lines: list[str], failed: bool) -> bool:
    """A warning line for each thing dealt with on the way, then, if the command failed, its one error line."""
    warnings, error = (lines[:-1], lines[-1:]) if failed else (lines, [])
    said = all(line.startswith("Error: ") for line in error) and len(error) == failed
    return said and all(line.startswith("warning: ") for line in warnings)


def answers(result, name: str) -> str:
    """How a command answered; fails on a traceback or on more than the one line its answer allows."""
    assert isinstance(result.exception, SystemExit | None), (name, result.exception)
    lines = result.stderr.splitlines()
    if result.exit_code in (0, 2):
        assert one_event_a_line(lines, failed=result.exit_code == 2), (name, result.stderr)
    else:
        assert name == "check" and result.exit_code == 1, (name, result.exit_code, result.stderr)
        hints = ("stale: ", "to render them again: ", "to see the change", "and review it side by side: ")
        assert all(line.startswith(hints) for line in lines), (name, result.stderr)
    return f"{name} {result.exit_code}"


SETTINGS = settings(max_examples=int(os.environ.get("HOSTILE_EXAMPLES", 5)), deadline=None,
                    derandomize=not os.environ.get("HOSTILE_EXAMPLES"),
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip


@SETTINGS
@given(data=st.data())
def test_a_generated_hostile_folder_is_answered_in_one_line(base, tmp_path_factory, data):
    tiny, larger = base
    breakages = data.draw(broken_folder(tiny / "media"))
    where = tmp_path_factory.mktemp("hostile")
    scenes, media = copy_of(tiny, where / "tiny")
    (where / "elsewhere").mkdir()
    note(break_folder(media, breakages, where / "elsewhere"))
    on = ["tiny", "--scenes", scenes]
    for name, args in (
        ("review --against", ["review", *on, "--media", larger / "media", "--against", media, "--out", where / "page"]),
        ("frames", ["frames", *on, "--step", 1, "--media", media]),
        ("sheet", ["sheet", *on, "--count", 3, "--media", media]),
        ("check", ["render", *on, "--out", media, "--check"]),
        ("review", ["review", *on, "--media", media]),
        ("render", ["render", *on, "--out", media]),
    ):
        event(answers(run(*args), name))


CAPPED = settings(SETTINGS, max_examples=int(os.environ.get("HOSTILE_EXAMPLES", 2)))
MEMORY_CAP = 250_000  # KiB of address space: enough for a command that needs no torch, not for torch


@pytest.mark.skipif(sys.platform != "linux", reason="ulimit -v is Linux's")
@CAPPED
@given(data=st.data())
def test_a_generated_hostile_folder_under_a_memory_cap_is_one_line(base, tmp_path_factory, data):
    tiny, _ = base
    breakages = data.draw(broken_folder(tiny / "media"))
    where = tmp_path_factory.mktemp("capped")
    scenes, media = copy_of(tiny, where / "tiny")
    (where / "elsewhere").mkdir()
    note(break_folder(media, breakages, where / "elsewhere"))
    for command, *more in (["frames", "--step", 1], ["review"]):
        args = [sys.executable, "-m", "tp1viz", command, "tiny", "--scenes", scenes, *more, "--media", media]
        line = " ".join(f"'{arg}'" for arg in args)
        answer = subprocess.run(["bash", "-c", f"ulimit -v {MEMORY_CAP} && exec {line}"], cwd=ROOT,
                                capture_output=True, text=True, timeout=120)  # fmt: skip
        said = (command, answer.returncode, answer.stderr)
        assert "Traceback" not in answer.stderr and answer.returncode in (0, 1, 2), said
        assert one_event_a_line(answer.stderr.splitlines(), failed=answer.returncode != 0), said
        event(f"{command} {answer.returncode}")

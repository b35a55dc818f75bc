"""Generated scene files against the validator: every one is refused with one line (exit 2) or renders."""

import math

from conftest import decode, plan_of, run
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tp1viz.scenes import load_catalog

HOSTILE = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([0, -1, 1, 2, 10**9, 2**62]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-300, 1e300, math.nan, math.inf]),
    st.text(max_size=8),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["n_data", "a", "zzz"]), st.integers(-5, 5), max_size=2),
)


LETTERS = st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp"))  # what a title may hold


def maybe(valid, weight: int = 3):
    """A value the schema accepts `weight` times in `weight + 1`; anything at all otherwise."""
    return st.integers(0, weight).flatmap(lambda pick: HOSTILE if pick == 0 else valid)


VIDEO = st.fixed_dictionaries(
    {
        "kind": maybe(st.just("video"), 12),
        "title": maybe(st.text(LETTERS, min_size=1, max_size=30).filter(str.strip), 12),
        "dataset": maybe(st.sampled_from(["linear", "linear_no_noise", "pow"]), 12),
        "model": maybe(st.sampled_from(["linear", "mlp"]), 12),
        "lr": maybe(st.floats(1e-4, 5.0), 12),
        "steps": maybe(st.integers(1, 40), 12),
    },
    optional={
        "layout": maybe(
            st.sampled_from(["fit", "fit", "landscape", "landscape_pca", "compare", "train_test", "relu_pieces"])
        ),
        "test_fraction": maybe(st.floats(0, 0.95)),
        "tolerance": maybe(st.floats(0.01, 5)),
        "seed": maybe(st.integers(0, 2**63 - 1)),
        "data": maybe(
            st.dictionaries(
                st.sampled_from(["n_data", "a", "b", "scale", "noise"]),
                st.one_of(st.integers(1, 300), st.floats(-50, 50)),
                max_size=3,
            )
        ),
        "model_sizes": maybe(st.dictionaries(st.sampled_from(["n_hidden", "n_feature"]), st.integers(1, 20))),
        "optimizer": maybe(st.sampled_from(["sgd", "adam"])),
        "batch_size": maybe(st.integers(0, 120)),
        "hold": maybe(st.floats(0, 3)),
        "pace": maybe(st.sampled_from(["steps", "change"])),
        "max_seconds": maybe(st.floats(1, 5)),
        "notes": maybe(
            st.lists(
                st.fixed_dictionaries({"step": st.integers(-2, 45), "text": st.text(LETTERS, min_size=1, max_size=20)}),
                max_size=3,
            )
        ),
        "variants": maybe(
            st.lists(
                st.fixed_dictionaries(
                    {"label": st.text(LETTERS, min_size=1, max_size=5)}, optional={"lr": st.floats(1e-3, 2.0)}
                ),
                max_size=5,
            )
        ),
    },
)


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        escaped = (f"\\u{ord(c):04x}" if ord(c) < 32 or ord(c) == 127 or c in '"\\' else c for c in value)
        return '"' + "".join(escaped) + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return "{ " + ", ".join(f"{key} = {toml_value(item)}" for key, item in value.items()) + " }"


def toml(name: str, table: dict) -> str:
    return f"[{name}]\n" + "".join(f"{key} = {toml_value(value)}\n" for key, value in table.items())


SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip


@SETTINGS
@given(table=VIDEO, name=st.sampled_from(["generated", "generated_2", "generated_3", "g4", "g5", "Bad-Name"]))
def test_a_generated_scene_is_refused_in_one_line_or_renders(tmp_path, table, name):
    path = tmp_path / "generated.toml"
    path.write_text(toml(name, table))
    listed = run("list", "--scenes", path)
    assert listed.exit_code in (0, 2), listed.output
    assert not isinstance(listed.exception, Exception) or isinstance(listed.exception, SystemExit), listed.exception
    if listed.exit_code == 2:
        assert listed.stderr.startswith(f"Error: {path}: ") and listed.stderr.count("\n") == 1, listed.stderr
        event("refused: " + listed.stderr.split(": ", 2)[-1][:60])
        return
    out = tmp_path / "out"
    event("rendered")
    rendered = run("render", name, "--scenes", path, "--steps", 3, "--size", 64, "--fps", 5, "--out", out, "-q")
    assert rendered.exit_code == 0, (toml(name, table), rendered.output, rendered.exception)
    frames, meta = decode(out / "videos" / f"{name}.mp4")
    scene = load_catalog([path])[name].with_overrides(steps=3, size=64, fps=5)
    plan = plan_of(scene, out)
    assert meta["size"] == (64, 64) and len(frames) == len(plan) and set(plan.shown) == {0, 1, 2, 3}
    assert len(plan) - plan.frame_of(3) >= round(5 * table.get("hold", 1.0))  # the end held `hold` at least

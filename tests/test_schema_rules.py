"""The scene schema's own rules (schema.py), on a scene class made for the test: what a key accepts and refuses,
in which words, and what the docs' table and the cache are told of it (docs/pages/mutation.md: mutants they kill)."""

from dataclasses import dataclass, fields

import pytest

from tp1viz import schema
from tp1viz.rules import Rule, RuleError
from tp1viz.schema import DRAWING, RECORDING, REQUIRED, SHOWN, check, key


def make_toy():
    """A scene class of the test's own: each key() call runs when this does (inside a test, where a mutant of
    key() is live; a class made at import would be made before mutmut switches one on)."""

    @dataclass(frozen=True, kw_only=True)
    class Toy:
        name: str = "set by the loader"  # not a key: no file sets it
        title: str = key(kind=str, text=12, help="a heading")
        steps: int = key(10, kind=int, rule=Rule(int, 1, 100), role=RECORDING, option=True, help="how many")
        size: int = key(64, kind=int, rule=Rule(int, 64, 4096, even=True), role=SHOWN, help="pixels")
        lr: float = key(kind=float, role=RECORDING, help="a rate")
        colour: str = key("red", kind=str, choices=("red", "blue"), help="a colour")
        shape: str = key(kind=str, choices=lambda: ("dot", "cross"), help="later")
        count: int = key(kind=int, help="any integer")
        tags: list = key([], kind=list, special="tags", help="names")
        data: dict = key({}, kind=dict, help="a table")
        nothing: str | None = key(None, kind=str, help="none by default")

    return Toy


Toy = make_toy()


def test_a_key_is_a_field_with_its_default_and_a_fresh_list_or_table_each_time():
    Toy = make_toy()
    by_name = {each.name: each for each in fields(Toy)}
    assert by_name["steps"].default == 10 and by_name["colour"].default == "red"
    assert "key" not in by_name["name"].metadata
    assert list(schema.keys(Toy)) == ["title", "steps", "size", "lr", "colour", "shape", "count", "tags", "data",
                                      "nothing"]  # each key() keeps its Key, whatever its default  # fmt: skip
    made = [Toy(title="t", lr=0.1, shape="dot", count=1) for _ in range(2)]
    assert made[0].tags == [] and made[0].data == {}
    assert made[0].tags is not made[1].tags and made[0].data is not made[1].data  # never one list shared
    with pytest.raises(TypeError):
        Toy(lr=0.1, shape="dot", count=1)  # title has no default: a file must give it
    assert by_name["steps"].metadata["key"] == schema.Key(kind=int, help="how many", role=RECORDING,
                                                          rule=Rule(int, 1, 100), option=True)  # fmt: skip


def test_keys_lists_every_key_in_order_with_its_default_or_required():
    found = schema.keys(Toy)
    assert list(found) == ["title", "steps", "size", "lr", "colour", "shape", "count", "tags", "data", "nothing"]
    assert {name: default for name, (_, default) in found.items()} == {
        "title": REQUIRED, "steps": 10, "size": 64, "lr": REQUIRED, "colour": "red", "shape": REQUIRED,
        "count": REQUIRED, "tags": [], "data": {}, "nothing": None,
    }  # fmt: skip
    assert found["title"][0].role == DRAWING and found["steps"][0].role == RECORDING and found["steps"][0].option
    assert found["shape"][0].names() == ("dot", "cross") and found["colour"][0].names() == ("red", "blue")


def test_role_of_names_each_keys_role_and_none_for_what_no_file_sets():
    assert [schema.role_of(Toy, name) for name in ("title", "steps", "size", "name", "nope")] == [
        DRAWING, RECORDING, SHOWN, None, None]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "value", "taken"),
    [("steps", 5, 5), ("steps", 100, 100), ("size", 64, 64), ("lr", 3, 3.0), ("lr", 0.5, 0.5), ("count", -7, -7),
     ("colour", "blue", "blue"), ("shape", "cross", "cross"), ("title", "twelve chars", "twelve chars"),
     ("title", "x", "x"), ("tags", ["z"], ["z"]), ("data", {"a": 1}, {"a": 1})],
)  # fmt: skip
def test_check_takes_what_a_key_allows_as_its_type(name, value, taken):
    got = check(Toy, name, value)
    assert got == taken and type(got) is type(taken)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [("steps", 0, "0 is not in 1..100"), ("steps", True, "expected an integer, got True"),
     ("size", 66.0, "expected an integer, got 66.0"), ("size", 65, "65 is not an even number of pixels in 64..4096"),
     ("lr", "0.1", "expected a number, got '0.1'"), ("lr", True, "expected a number, got True"),
     ("count", True, "expected an integer, got True"), ("count", 1.0, "expected an integer, got 1.0"),
     ("colour", "green", "'green' is not one of red, blue"), ("shape", "dot ", "'dot ' is not one of dot, cross"),
     ("title", 5, "expected a string, got 5"), ("tags", "a", "expected an array, got 'a'"),
     ("data", [], "expected a table, got []"),
     ("title", "thirteen char", "'thirteen char' is not a line of 1 to 12 characters"),
     ("title", "", "'' is not a line of 1 to 12 characters"),
     ("title", "   ", "'   ' is not a line of 1 to 12 characters"),
     ("title", "a\tb", "'a\\tb' holds the control character U+0009")],
)  # fmt: skip
def test_check_refuses_in_words_that_say_what_the_key_should_be(name, value, message):
    with pytest.raises(RuleError) as refused:
        check(Toy, name, value)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("text", "longest", "message"),
    [("a\u200bb", 10, "'a\\u200bb' holds the control character U+200B"),  # Cf: draws as nothing
     ("a\u2028b", 10, "'a\\u2028b' holds the control character U+2028"),  # Zl: breaks the line
     ("a\u2029b", 10, "'a\\u2029b' holds the control character U+2029"),  # Zp
     ("x" * 61, 100, None), ("y" * 60, 59, "'" + "y" * 60 + "' is not a line of 1 to 59 characters"),
     ("z" * 61, 60, "'" + "z" * 40 + "'... (61 characters) is not a line of 1 to 60 characters")],
)  # fmt: skip
def test_a_line_holds_no_control_character_and_a_long_one_is_shown_cut(text, longest, message):
    if message is None:
        assert schema.line(text, longest) == text
        return
    with pytest.raises(RuleError) as refused:
        schema.line(text, longest)
    assert str(refused.value) == message


def test_article_and_span_read_as_the_docs_say_them():
    assert [schema.article(kind) for kind in (int, float, str, dict, list)] == [
        "an integer", "a number", "a string", "a table", "an array"]  # fmt: skip
    spans = {name: schema.span(found) for name, (found, _) in schema.keys(Toy).items()}
    assert spans == {"title": "a line of 1 to 12 characters", "steps": "1..100", "size": "even, 64..4096",
                     "lr": "number", "colour": "`red` \\| `blue`", "shape": "`dot` \\| `cross`", "count": "integer",
                     "tags": "array", "data": "table", "nothing": "string"}  # fmt: skip


def test_the_docs_table_has_a_row_per_key_once_with_its_default_and_what_a_change_does():
    @dataclass(frozen=True, kw_only=True)
    class Other:
        steps: int = key(3, kind=int, help="another reading, not shown")
        words: tuple = key(("go", "stop"), kind=list, role=SHOWN, help="said")

    table = schema.markdown_table(Toy, Other, first=(("`kind`", "`video`", "required", "what it is", "—"),))
    assert table.splitlines() == [
        "| key | type | default | meaning | changing it |",
        "|---|---|---|---|---|",
        "| `kind` | `video` | required | what it is | — |",
        "| `title` | a line of 1 to 12 characters | required | a heading | redraws |",
        "| `steps` | 1..100 | `10` | how many | records again |",
        "| `size` | even, 64..4096 | `64` | pixels | redraws (a run over 20,000 steps: records again) |",
        "| `lr` | number | required | a rate | records again |",
        '| `colour` | `red` \\| `blue` | `"red"` | a colour | redraws |',
        "| `shape` | `dot` \\| `cross` | required | later | redraws |",
        "| `count` | integer | required | any integer | redraws |",
        "| `tags` | array | `[]` | names | redraws |",
        "| `data` | table | `{}` | a table | redraws |",
        "| `nothing` | string | none | none by default | redraws |",
        '| `words` | array | `["go", "stop"]` | said | redraws (a run over 20,000 steps: records again) |',
    ]

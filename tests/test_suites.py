"""Suites load the same from GX 1.x JSON, GX 0.x JSON and YAML; bad kwargs are reported precisely."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from integrity.checks import builtin_registry
from integrity.errors import SuiteError, UnknownExpectationError
from integrity.suites import Suite, load_suite

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT.parent / "shared" / "conformance" / "gx" / "expectation_schemas"

V1 = {
    "name": "tickets",
    "meta": {"owner": "support"},
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"},
         "meta": {"action": "quarantine_rows"}},
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "rating", "min_value": 1, "max_value": 5, "mostly": 0.99}},
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}},
    ],
}


def v0(suite: dict[str, object]) -> dict[str, object]:
    """The same suite in GX 0.x spelling."""
    expectations = suite["expectations"]
    assert isinstance(expectations, list)
    return {
        "expectation_suite_name": suite["name"],
        "meta": suite["meta"],
        "expectations": [{"expectation_type": e["type"], "kwargs": e["kwargs"],
                          **({"meta": e["meta"]} if "meta" in e else {})} for e in expectations],
    }


def same(a: Suite, b: Suite) -> None:
    assert (a.name, a.expectations, a.meta) == (b.name, b.expectations, b.meta)


def test_v1_json_v0_json_and_yaml_load_to_the_same_suite(tmp_path: Path) -> None:
    (tmp_path / "v1.json").write_text(json.dumps(V1))
    (tmp_path / "v0.json").write_text(json.dumps(v0(V1)))
    (tmp_path / "v0.yaml").write_text(yaml.safe_dump(v0(V1)))
    (tmp_path / "v1.yml").write_text(yaml.safe_dump(V1))
    first = load_suite(tmp_path / "v1.json")
    assert first.name == "tickets" and len(first.expectations) == 3
    assert first.expectations[0].meta == {"action": "quarantine_rows"}
    assert first.path == str(tmp_path / "v1.json")
    for other in ("v0.json", "v0.yaml", "v1.yml"):
        same(first, load_suite(tmp_path / other))
    same(first, load_suite(V1))


def test_bundled_suite_and_its_yaml_twin_are_the_same() -> None:
    json_suite = load_suite(ROOT / "expectations" / "customer_feedback.json")
    yaml_suite = load_suite(ROOT / "expectations" / "customer_feedback.yaml")
    same(json_suite, yaml_suite)
    assert len(json_suite.expectations) >= 15
    assert len({e.type for e in json_suite.expectations}) >= 12


@pytest.mark.skipif(not SCHEMAS.is_dir(), reason=f"GX expectation schemas not found at {SCHEMAS}")
def test_bundled_suite_uses_gx_core_expectations_as_gx_spells_them() -> None:
    # Our own poisoning indicators come on top; every GX core type takes GX's arguments only.
    suite = json.loads((ROOT / "expectations" / "customer_feedback.json").read_text())
    families = {t: builtin_registry().get(t).family for t in builtin_registry()}
    core = [item for item in suite["expectations"] if families[item["type"]] != "poison"]
    assert len(core) >= 15
    for item in core:
        camel = "".join(part.capitalize() for part in item["type"].split("_"))
        schema = json.loads((SCHEMAS / f"{camel}.json").read_text())
        allowed = set(schema["properties"])
        assert set(item["kwargs"]) <= allowed, (item["type"], set(item["kwargs"]) - allowed)


def error_for(tmp_path: Path, expectation: dict[str, object], index: int = 1) -> SuiteError:
    body = {"name": "t", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}}, expectation]}
    path = tmp_path / "suite.json"
    path.write_text(json.dumps(body))
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    message = str(info.value)
    assert str(path) in message
    assert f"expectation #{index}" in message
    return info.value


def test_unknown_argument_names_file_index_type_argument_and_close_matches(tmp_path: Path) -> None:
    exc = error_for(tmp_path, {"type": "expect_column_values_to_be_between",
                               "kwargs": {"column": "r", "min_valeu": 1}})
    message = str(exc)
    assert "(expect_column_values_to_be_between)" in message
    assert "argument 'min_valeu'" in message
    assert "Did you mean 'min_value'" in message
    assert (exc.index, exc.expectation_type, exc.argument) == (1, "expect_column_values_to_be_between",
                                                               "min_valeu")


def test_wrongly_typed_argument(tmp_path: Path) -> None:
    exc = error_for(tmp_path, {"type": "expect_column_values_to_not_be_null",
                               "kwargs": {"column": "id", "mostly": "most"}})
    assert exc.argument == "mostly"
    assert "'most'" in str(exc)


def test_missing_required_argument(tmp_path: Path) -> None:
    exc = error_for(tmp_path, {"type": "expect_column_values_to_not_be_null", "kwargs": {}})
    assert exc.argument == "column"
    assert "required" in str(exc)


def test_unknown_type_lists_close_matches(tmp_path: Path) -> None:
    exc = error_for(tmp_path, {"type": "expect_column_values_to_be_betwen", "kwargs": {"column": "r"}})
    assert isinstance(exc, UnknownExpectationError)
    assert "Did you mean 'expect_column_values_to_be_between'" in str(exc)


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "name": "t",\n  "expectations": [,]\n}\n')
    with pytest.raises(SuiteError, match=rf"{path}:3:"):
        load_suite(path)


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: t\nexpectations:\n  - type: [unclosed\n")
    with pytest.raises(SuiteError, match=rf"{path}:\d+:\d+: not valid YAML"):
        load_suite(path)


def test_a_suite_without_expectations(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("name: t\n")
    with pytest.raises(SuiteError, match="no 'expectations' list"):
        load_suite(path)


def test_an_empty_custom_registry_is_used_not_replaced_by_the_builtin_one() -> None:
    from integrity.checks.base import Registry
    from integrity.errors import UnknownExpectationError
    from integrity.suites import parse_suite

    with pytest.raises(UnknownExpectationError, match="knows 0 types"):
        parse_suite(V1, registry=Registry())


# -- every problem at once, with its line ----------------------------------------------------------

FIVE_PROBLEMS_JSON = """{
  "name": "orders",
  "expectations": [
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}},
    {"type": "expect_column_values_to_be_unqiue", "kwargs": {"column": "id"}},
    {
      "type": "expect_column_values_to_be_between",
      "kwargs": {
        "column": "amount",
        "min_valeu": 0
      }
    },
    {"type": "expect_column_values_to_not_be_null",
     "kwargs": {"column": "amount", "mostly": "most"}},
    {"type": "expect_column_values_to_match_regex", "kwargs": {}},
    {"type": "expect_column_mean_to_be_between",
     "kwargs": {"column": "amount", "min_value": 1,
                "auto": true}}
  ]
}
"""

FIVE_PROBLEMS_YAML = """name: orders
expectations:
  - type: expect_column_values_to_not_be_null
    kwargs: {column: id}
  - type: expect_column_values_to_be_unqiue
    kwargs: {column: id}
  - type: expect_column_values_to_be_between
    kwargs:
      column: amount
      min_valeu: 0
  - type: expect_column_values_to_not_be_null
    kwargs:
      column: amount
      mostly: most
  - type: expect_column_values_to_match_regex
    kwargs: {}
  - expectation_type: expect_column_mean_to_be_between
    kwargs:
      column: amount
      min_value: 1
      auto: true
"""


@pytest.mark.parametrize(("name", "text", "lines"), [
    ("suite.json", FIVE_PROBLEMS_JSON, [5, 10, 14, 15, 18]),
    ("suite.yaml", FIVE_PROBLEMS_YAML, [5, 10, 14, 16, 21]),  # an empty kwargs: its key line
])
def test_five_problems_are_reported_at_once_each_with_its_line(
        tmp_path: Path, name: str, text: str, lines: list[int]) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    problems = info.value.problems
    found = [(p.line, p.index, p.expectation_type, p.argument) for p in problems]
    assert found == [
        (lines[0], 1, "expect_column_values_to_be_unqiue", None),
        (lines[1], 2, "expect_column_values_to_be_between", "min_valeu"),
        (lines[2], 3, "expect_column_values_to_not_be_null", "mostly"),
        (lines[3], 4, "expect_column_values_to_match_regex", "column"),
        (lines[4], 5, "expect_column_mean_to_be_between", "auto"),
    ]
    # One line per problem, each naming file:line, expectation, argument and the fix.
    text_lines = str(info.value).splitlines()
    assert len(text_lines) == 5
    assert text_lines[0].startswith(f"{path}:{lines[0]}: expectation #1 "
                                    "(expect_column_values_to_be_unqiue): unknown expectation type")
    assert "Did you mean 'expect_column_values_to_be_unique'" in text_lines[0]
    assert text_lines[1].startswith(f"{path}:{lines[1]}: expectation #2 "
                                    "(expect_column_values_to_be_between): argument 'min_valeu': ")
    assert "Did you mean 'min_value'" in text_lines[1]
    assert "argument 'mostly'" in text_lines[2] and "'most'" in text_lines[2]
    assert "is required but missing; add \"column\" to kwargs" in text_lines[3]
    assert "min_value/max_value" in text_lines[4]  # the fix for a 0.x auto: true
    assert not isinstance(info.value, UnknownExpectationError)  # mixed kinds: the base class


def test_a_single_problem_is_raised_as_itself(tmp_path: Path) -> None:
    exc = error_for(tmp_path, {"type": "expect_column_values_to_be_betwen", "kwargs": {"column": "r"}})
    assert exc.problems == (exc,) and "\n" not in str(exc)


def test_problems_of_one_expectation_are_all_reported(tmp_path: Path) -> None:
    path = tmp_path / "suite.json"
    path.write_text(json.dumps({"name": "t", "expectations": [
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"min_value": "low", "max_valu": 3, "strict_min": 1}}]}, indent=2))
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    assert sorted(str(p.argument) for p in info.value.problems) == [
        "column", "max_valu", "strict_min"]
    assert all(p.line is not None for p in info.value.problems)


def test_suite_dicts_report_every_problem_without_lines() -> None:
    from integrity.suites import parse_suite

    with pytest.raises(UnknownExpectationError) as info:  # all problems of one kind: that kind
        parse_suite({"name": "t", "expectations": [{"type": "nope"}, {"type": "nada"}]})
    assert [(p.index, p.line) for p in info.value.problems] == [(0, None), (1, None)]
    assert str(info.value).splitlines()[0].startswith("expectation #0 (nope): unknown")


def test_non_objects_and_missing_types_are_problems_too(tmp_path: Path) -> None:
    path = tmp_path / "suite.json"
    path.write_text('{"name": "t",\n "expectations": [\n  "expect_column_to_exist",\n'
                    '  {"kwargs": {"column": "a"}},\n  {"type": "expect_column_to_exist",'
                    ' "kwargs": ["a"]}\n ]}\n')
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    lines = str(info.value).splitlines()
    assert lines[0].startswith(f"{path}:2: expectation #0: each expectation is an object")
    assert lines[1].startswith(f"{path}:4: expectation #1: the expectation has no 'type'")
    assert lines[2].startswith(f"{path}:5: expectation #2 (expect_column_to_exist): 'kwargs' must")


def test_invalid_result_format_and_catch_exceptions_are_load_problems(tmp_path: Path) -> None:
    path = tmp_path / "suite.json"
    path.write_text(json.dumps({"name": "t", "expectations": [
        {"type": "expect_column_to_exist",
         "kwargs": {"column": "a", "result_format": "LOUD", "catch_exceptions": "yes"}}]}))
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    assert [p.argument for p in info.value.problems] == ["result_format", "catch_exceptions"]


def test_contradictory_bounds_load_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text("name: t\nexpectations:\n  - type: expect_column_mean_to_be_between\n"
                    "    kwargs:\n      column: a\n      max_value: 1\n      min_value: 5\n")
    suite = load_suite(path)
    assert suite.warnings == (
        f"{path}:7: expectation #0 (expect_column_mean_to_be_between): argument 'min_value': "
        "min_value 5 is above max_value 1, so this expectation can never pass; swap them.",)


def test_a_yaml_alias_bomb_is_refused_with_its_line(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\nname: t\nexpectations: []\n")
    with pytest.raises(SuiteError, match=rf"{path}:\d+: more than 100 YAML aliases"):
        load_suite(path)


def test_json_positions_survive_nesting_and_odd_spacing(tmp_path: Path) -> None:
    path = tmp_path / "suite.json"
    path.write_text('{"meta": {"a": {"b": [1, {"c": 2}]}},\n"expectations": [\n\n'
                    '{"type":\n"expect_column_to_exist",\n"kwargs": {"column": "a",\n\n\n'
                    '"column_indx": 0}}], "name": "t"}')
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    assert (info.value.line, info.value.argument) == (9, "column_indx")


def test_control_characters_in_names_are_shown_escaped(tmp_path: Path) -> None:
    exc = error_for(tmp_path, {"type": "expect_column_values_to_not_be_null",
                               "kwargs": {"column": "id", "\x1b[31mred\nline": 1}})
    assert "\x1b" not in str(exc) and "\n" not in str(exc)
    assert "argument '\\x1b[31mred\\nline'" in str(exc)


def test_meta_that_is_not_an_object_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "suite.json"
    path.write_text(json.dumps({"name": "t", "meta": "x", "expectations": [
        {"type": "expect_column_to_exist", "kwargs": {"column": "a"}, "meta": "warn"}]}))
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    assert [p.index for p in info.value.problems] == [0, None]
    assert "'meta' must be an object" in str(info.value)

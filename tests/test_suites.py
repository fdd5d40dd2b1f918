"""Suites load the same from GX 1.x JSON, GX 0.x JSON and YAML; bad kwargs are reported precisely."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

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
def test_bundled_suite_uses_only_gx_core_expectations() -> None:
    suite = json.loads((ROOT / "expectations" / "customer_feedback.json").read_text())
    for item in suite["expectations"]:
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

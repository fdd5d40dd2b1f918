"""The catalogue: every GX core expectation type is registered, with GX's argument names."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from integrity.checks import builtin_registry
from integrity.checks.base import COMMON_ARGS

SCHEMAS = Path(os.environ.get(
    "INTEGRITY_GX_SCHEMAS",
    Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "gx" / "expectation_schemas"))
#: Types GX's core folder keeps unexported or unfinished; its test definitions still cover them.
UNEXPORTED = {
    "expect_column_values_to_be_increasing", "expect_column_values_to_be_decreasing",
    "expect_column_values_to_be_json_parseable", "expect_column_values_to_match_json_schema",
    "expect_column_values_to_match_strftime_format", "expect_column_values_to_be_dateutil_parseable",
    "expect_multicolumn_values_to_be_unique", "expect_column_chisquare_test_p_value_to_be_greater_than",
    "expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than",
    "expect_column_bootstrapped_ks_test_p_value_to_be_greater_than",
    "expect_column_pair_cramers_phi_value_to_be_less_than",
}
#: GX 1.x core types newer than the schema snapshot in ../shared; their arguments are pinned
#: against the installed GX instead (test_added_types_take_the_arguments_of_installed_gx).
ADDED = {
    "expect_column_proportion_of_non_null_values_to_be_between", "expect_column_type_to_be",
    "expect_column_values_to_not_be_outliers", "expect_multicolumn_values_to_be_equal",
    "expect_query_results_to_match_comparison",
}
#: Schema properties that are GX bookkeeping, not arguments a suite passes.
BOOKKEEPING = {"metadata", "library_metadata", *COMMON_ARGS}


def type_name(schema_file: Path) -> str:
    words = re.sub(r"(?<!^)(?=[A-Z])", "_", schema_file.stem).lower()
    return words.replace("k_l_divergence", "kl_divergence")


def schema_files() -> list[Path]:
    return sorted(SCHEMAS.glob("*.json")) if SCHEMAS.is_dir() else []


needs_schemas = pytest.mark.skipif(not SCHEMAS.is_dir(),
                                   reason=f"GX kwargs schemas not found at {SCHEMAS}")


#: Families of integrity's own expectation types (beyond GX's catalogue).
OWN_FAMILIES = {"poison", "freshness", "history", "drift"}


@needs_schemas
def test_every_gx_core_type_and_the_unexported_ones_are_registered() -> None:
    registry = builtin_registry()
    exported = {type_name(f) for f in schema_files()}
    assert len(exported) == 48
    assert exported - set(registry) == set()
    gx_core = {t for t in registry if registry.definitions[t].family not in OWN_FAMILIES}
    assert gx_core == exported | UNEXPORTED | ADDED  # 64 in all
    assert len(gx_core) == 64


@needs_schemas
@pytest.mark.parametrize("schema_file", schema_files(), ids=lambda f: f.stem)
def test_arguments_match_gx_schema(schema_file: Path) -> None:
    schema = json.loads(schema_file.read_text())
    definition = builtin_registry().get(type_name(schema_file))
    ours = set(definition.arg_names)
    theirs = set(schema.get("properties", {})) - BOOKKEEPING
    assert theirs - ours == set(), f"arguments GX takes that we reject: {theirs - ours}"
    required = {a.name for a in definition.args if a.required}
    assert required <= set(schema.get("required") or []) | {"column"}, required


def _camel(type_name: str) -> str:
    return "".join(part.capitalize() for part in type_name.split("_"))


@pytest.mark.integration
@pytest.mark.parametrize("type_name", sorted(ADDED))
def test_added_types_take_the_arguments_of_installed_gx(type_name: str) -> None:
    core = pytest.importorskip("great_expectations.expectations.core",
                               reason="needs the gx extra: pip install -e '.[dev,gx]'")
    schema = getattr(core, _camel(type_name)).schema()
    definition = builtin_registry().get(type_name)
    theirs = set(schema.get("properties", {})) - BOOKKEEPING
    assert set(definition.arg_names) == theirs
    required = {a.name for a in definition.args if a.required}
    assert required == set(schema.get("required") or [])


def test_the_poisoning_types_take_the_arguments_issue_9_names() -> None:
    registry = builtin_registry()
    contract = {
        "expect_new_value_share_to_be_within_history": {"column", "lookback", "threshold"},
        "expect_no_label_trigger_tokens": {"text_column", "label_column", "min_count",
                                           "min_purity", "min_lift", "p_value"},
        "expect_table_changes_to_be_approved": {"key_columns", "approvals", "change_window"},
        "expect_labels_to_agree_with_text": {"text_column", "label_column", "max_disagreement",
                                             "method"},
    }
    for name, arguments in contract.items():
        definition = registry.get(name)
        assert definition.family == "poison"
        assert arguments <= set(definition.arg_names), (name, arguments - set(definition.arg_names))

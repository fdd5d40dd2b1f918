"""The public API is pinned: a change to ``integrity.__all__`` is a deliberate, reviewed change."""

from __future__ import annotations

import polars as pl

import integrity

EXPECTED = {
    "validate", "explain", "load_suite", "Suite", "ValidationResult", "ExpectationResult",
    "ExpectationConfig", "ResultFormat", "Outcome", "Registry", "IntegrityError", "SuiteError",
    "DataError", "__version__",
}


def test_all_is_pinned() -> None:
    assert set(integrity.__all__) == EXPECTED
    assert len(integrity.__all__) == len(EXPECTED)


def test_every_public_name_resolves() -> None:
    for name in integrity.__all__:
        assert getattr(integrity, name) is not None, name


def test_public_names_are_the_real_objects() -> None:
    from integrity.errors import DataError, IntegrityError
    from integrity.suites import Suite

    assert integrity.Suite is Suite
    assert integrity.DataError is DataError
    assert issubclass(integrity.SuiteError, IntegrityError)


def test_unknown_attribute_raises_attribute_error() -> None:
    try:
        integrity.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_validate_a_dataframe_with_a_dict_suite() -> None:
    frame = pl.DataFrame({"id": [1, 2, None]})
    suite = {"name": "s", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}}]}
    result = integrity.validate(frame, suite, result_format="SUMMARY")
    assert isinstance(result, integrity.ValidationResult)
    assert result.success is False
    assert result.results[0].outcome is integrity.Outcome.FAILED
    assert result.results[0].result["unexpected_count"] == 1
    assert result.meta["columns"] == {"id": "Int64"}


def test_validate_a_lazyframe_with_a_loaded_suite(tmp_path: object) -> None:
    suite = integrity.load_suite({"name": "s", "expectations": [
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}}]})
    result = integrity.validate(pl.LazyFrame({"x": [1]}), suite)
    assert result.success is True


def test_explain_describes_the_plan() -> None:
    suite = {"name": "s", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id", "mostly": 0.5}}]}
    text = integrity.explain(pl.DataFrame({"id": [1]}), suite)
    assert "1 query over the batch" in text

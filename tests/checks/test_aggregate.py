"""Aggregate and distributional expectations: behaviour GX's conformance data does not pin down."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl
import pytest

from integrity.engine.polars_engine import plan_suite, validate_frame
from integrity.errors import SuiteError
from integrity.suites import parse_suite

FRAME = pl.DataFrame(
    {
        "n": [1.0, 2.0, 3.0, 10.0, None],
        "g": ["a", "a", "b", "b", "b"],
        "t": [
            dt.datetime(2020, 1, 1),
            dt.datetime(2021, 6, 1),
            None,
            dt.datetime(2022, 3, 4, 5, 6),
            dt.datetime(2019, 1, 1),
        ],
        "d": [dt.date(2020, 1, 1), dt.date(2020, 1, 2), dt.date(2020, 1, 2), None, None],
    }
)


def run(
    kind: str, frame: pl.DataFrame = FRAME, fmt: str = "COMPLETE", **kwargs: Any
) -> dict[str, Any]:
    suite = parse_suite({"name": "t", "expectations": [{"type": kind, "kwargs": kwargs}]})
    # Errors raise here (catch_exceptions=False) so the tests can read them directly.
    return validate_frame(frame, suite, result_format=fmt,
                          catch_exceptions=False).results[0].to_dict()


def test_row_condition_restricts_the_mean() -> None:
    result = run(
        "expect_column_mean_to_be_between",
        column="n",
        min_value=1.5,
        max_value=1.5,
        row_condition='g == "a"',
        condition_parser="pandas",
    )
    assert result["success"] is True
    assert result["result"]["observed_value"] == 1.5


def test_row_condition_selecting_no_rows_sums_to_zero_as_in_gx() -> None:
    # GX 1.24 (pandas) observes 0 for the sum of no values; the bounds then decide.
    kwargs: dict[str, Any] = {"column": "n", "row_condition": 'g == "zzz"',
                              "condition_parser": "pandas"}
    assert run("expect_column_sum_to_be_between", min_value=0, **kwargs)["result"] == {
        "observed_value": 0.0}
    assert run("expect_column_sum_to_be_between", min_value=1, **kwargs)["success"] is False
    # The mean of no values is None, and None never lies between bounds.
    mean = run("expect_column_mean_to_be_between", min_value=0, **kwargs)
    assert mean["success"] is False and mean["result"]["observed_value"] is None


def test_max_of_a_datetime_column_against_iso_string_bounds() -> None:
    ok = run(
        "expect_column_max_to_be_between",
        column="t",
        min_value="2022-01-01",
        max_value="2022-03-04T05:06:00",
    )
    assert ok["success"] is True
    assert ok["result"]["observed_value"] == dt.datetime(2022, 3, 4, 5, 6)
    strict = run(
        "expect_column_max_to_be_between",
        column="t",
        max_value="2022-03-04T05:06:00",
        strict_max=True,
    )
    assert strict["success"] is False


def test_min_of_a_date_column_against_an_iso_date() -> None:
    assert (
        run("expect_column_min_to_be_between", column="d", min_value="2020-01-01", strict_min=True)[
            "success"
        ]
        is False
    )
    assert run("expect_column_min_to_be_between", column="d", min_value="2020-01-01")["success"]


@pytest.mark.parametrize(
    "kind",
    ["expect_column_min_to_be_between", "expect_column_sum_to_be_between"],
)
def test_missing_both_bounds_is_a_suite_error(kind: str) -> None:
    with pytest.raises(SuiteError, match="cannot both be None"):
        run(kind, column="n")


@pytest.mark.parametrize("kind", ["expect_column_mean_to_be_between",
                                  "expect_column_max_to_be_between",
                                  "expect_column_unique_value_count_to_be_between"])
def test_min_above_max_fails_with_the_observed_value_as_in_gx(kind: str) -> None:
    # GX 1.24 computes the statistic and fails; it raises only for row values (values_between).
    result = run(kind, column="n", min_value=3, max_value=1)
    assert result["success"] is False and result["exception_info"]["raised_exception"] is False
    assert result["result"]["observed_value"] is not None


def test_max_without_bounds_is_vacuously_true() -> None:
    result = run("expect_column_max_to_be_between", column="n")
    assert result["success"] and result["result"] == {"observed_value": 10}


def test_mean_of_text_names_the_column_and_its_type() -> None:
    with pytest.raises(SuiteError, match=r"numeric column, but column 'g' holds String"):
        run("expect_column_mean_to_be_between", column="g", min_value=0)


def test_stdev_is_the_sample_standard_deviation() -> None:
    result = run("expect_column_stdev_to_be_between", column="n", min_value=0)
    assert result["result"]["observed_value"] == pytest.approx(np.std([1, 2, 3, 10], ddof=1))


def test_aggregate_results_hold_only_the_observed_value_at_every_format() -> None:
    # GX 1.x's column aggregates report the statistic alone, whatever the result_format.
    for fmt in ("BASIC", "SUMMARY", "COMPLETE"):
        result = run("expect_column_median_to_be_between", column="n", min_value=0, fmt=fmt)
        assert result["result"] == {"observed_value": 2.5}


def test_quantile_bounds_must_be_ordered_pairs() -> None:
    with pytest.raises(SuiteError, match="quantile_ranges must consist of ordered pairs"):
        run(
            "expect_column_quantile_values_to_be_between",
            column="n",
            quantile_ranges={"quantiles": [0.5], "value_ranges": [[3, 1]]},
        )


def test_quantiles_use_the_requested_interpolation() -> None:
    result = run(
        "expect_column_quantile_values_to_be_between",
        column="n",
        quantile_ranges={"quantiles": [0.5], "value_ranges": [[2.5, 2.5]]},
        allow_relative_error="linear",
    )
    assert result["success"] is True
    assert result["result"]["details"] == {"success_details": [True]}


def test_distinct_dates_equal_a_set_of_iso_strings() -> None:
    result = run(
        "expect_column_distinct_values_to_equal_set",
        column="d",
        value_set=["2020-01-01", "2020-01-02"],
    )
    assert result["success"] is True
    assert result["result"]["details"]["value_counts"] == [
        {"value": dt.date(2020, 1, 1), "count": 1},
        {"value": dt.date(2020, 1, 2), "count": 2},
    ]


def test_most_common_value_ties_need_ties_okay() -> None:
    frame = pl.DataFrame({"x": ["a", "a", "b", "b", "c"]})
    tied = run("expect_column_most_common_value_to_be_in_set", frame, column="x", value_set=["a"])
    assert tied["success"] is False
    assert tied["result"]["observed_value"] == ["a", "b"]
    assert (
        run(
            "expect_column_most_common_value_to_be_in_set",
            frame,
            column="x",
            value_set=["a"],
            ties_okay=True,
        )["success"]
        is True
    )


def test_chisquare_on_a_categorical_partition() -> None:
    frame = pl.DataFrame({"x": ["a"] * 50 + ["b"] * 50})
    fair = {"values": ["a", "b"], "weights": [0.5, 0.5]}
    skewed = {"values": ["a", "b"], "weights": [0.9, 0.1]}
    kind = "expect_column_chisquare_test_p_value_to_be_greater_than"
    assert run(kind, frame, column="x", partition_object=fair)["success"] is True
    assert run(kind, frame, column="x", partition_object=skewed)["success"] is False
    only_a = {"values": ["a"], "weights": [1.0]}
    assert run(kind, frame, column="x", partition_object=only_a)["result"]["observed_value"] == 0.0


def test_bootstrapped_ks_is_reproducible() -> None:
    frame = pl.DataFrame({"x": np.random.default_rng(1).normal(size=300)})
    partition = {"bins": [-4.0, -1.0, 0.0, 1.0, 4.0], "weights": [0.16, 0.34, 0.34, 0.16]}
    kind = "expect_column_bootstrapped_ks_test_p_value_to_be_greater_than"
    first = run(kind, frame, column="x", partition_object=partition)
    assert first == run(kind, frame, column="x", partition_object=partition)
    assert first["success"] is True


def test_kl_reports_infinite_divergence_as_none() -> None:
    frame = pl.DataFrame({"x": ["a", "b", "c"]})
    result = run(
        "expect_column_kl_divergence_to_be_less_than",
        frame,
        column="x",
        threshold=0.1,
        partition_object={"values": ["a", "b"], "weights": [0.5, 0.5]},
    )
    assert result["success"] is False
    assert result["result"]["observed_value"] is None


def test_kl_rejects_a_bad_holdout_with_a_clear_message() -> None:
    with pytest.raises(SuiteError, match="less than or equal to 1"):
        run(
            "expect_column_kl_divergence_to_be_less_than",
            column="n",
            threshold=0.1,
            partition_object={"bins": [0, 1], "weights": [1.0]},
            tail_weight_holdout=2,
        )


def test_cramers_phi_respects_the_row_condition() -> None:
    frame = pl.DataFrame(
        {
            "a": [1, 2, 3] * 4,
            "b": ["x", "y", "z", "x", "y", "z", "y", "z", "x", "z", "x", "y"],
            "keep": [True] * 6 + [False] * 6,
        }
    )
    kind = "expect_column_pair_cramers_phi_value_to_be_less_than"
    everything = run(kind, frame, column_A="a", column_B="b")
    kept = run(
        kind,
        frame,
        column_A="a",
        column_B="b",
        row_condition="keep == True",
        condition_parser="pandas",
    )
    assert kept["result"]["observed_value"] == pytest.approx(1.0)
    assert everything["result"]["observed_value"] < kept["result"]["observed_value"]


def test_a_suite_of_aggregates_and_distributions_is_one_query() -> None:
    frame = pl.DataFrame({"x": np.random.default_rng(2).normal(size=200), "c": ["a", "b"] * 100})
    partition = {"bins": [-5.0, 0.0, 5.0], "weights": [0.5, 0.5]}
    expectations = [
        {"type": "expect_column_max_to_be_between", "kwargs": {"column": "x", "max_value": 9}},
        {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "x", "min_value": -1}},
        {
            "type": "expect_column_quantile_values_to_be_between",
            "kwargs": {
                "column": "x",
                "quantile_ranges": {"quantiles": [0.5], "value_ranges": [[-1, 1]]},
            },
        },
        {
            "type": "expect_column_distinct_values_to_be_in_set",
            "kwargs": {"column": "c", "value_set": ["a", "b"]},
        },
        {
            "type": "expect_column_most_common_value_to_be_in_set",
            "kwargs": {"column": "c", "value_set": ["a", "b"], "ties_okay": True},
        },
        {
            "type": "expect_column_kl_divergence_to_be_less_than",
            "kwargs": {"column": "x", "partition_object": partition, "threshold": 0.5},
        },
        {
            "type": "expect_column_bootstrapped_ks_test_p_value_to_be_greater_than",
            "kwargs": {"column": "x", "partition_object": partition},
        },
        {
            "type": "expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than",
            "kwargs": {"column": "x", "distribution": "norm", "params": {"mean": 0, "std_dev": 1}},
        },
    ]
    suite = parse_suite({"name": "t", "expectations": expectations})
    plan = plan_suite(frame.lazy(), suite)
    assert plan.queries == 1
    # The set expectations share one value-counts metric; the KS tests share the column's values.
    assert len(plan.fused) < plan.requested
    result = validate_frame(frame, suite)
    assert all(r.success for r in result.results)


def test_kl_without_threshold_is_bounded_by_min_and_max_value() -> None:
    frame = pl.DataFrame({"x": ["a", "a", "a", "b"]})
    partition = {"values": ["a", "b"], "weights": [0.5, 0.5]}
    kind = "expect_column_kl_divergence_to_be_less_than"
    assert (
        run(kind, frame, column="x", partition_object=partition, max_value=0.01)["success"] is False
    )
    assert (
        run(kind, frame, column="x", partition_object=partition, max_value=0.5)["success"] is True
    )


def test_median_by_selection_equals_polars_median_on_awkward_values() -> None:
    import math
    import random

    from integrity.checks.aggregate import middle_of

    rng = random.Random(3)
    choices = [None, math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, 2.5, 1e300]
    for _ in range(2000):
        values = [rng.choice([*choices, rng.random()]) for _ in range(rng.randint(0, 12))]
        frame = pl.DataFrame({"x": pl.Series(values, dtype=pl.Float64)})
        expected = frame.select(pl.col("x").drop_nulls().median()).item()
        got = frame.select(middle_of(pl.col("x").drop_nulls())).item()
        both_nan = expected is not None and got is not None and math.isnan(expected) and math.isnan(got)
        assert both_nan or got == expected, values


@pytest.mark.parametrize("values", [[1, 2, 3, 4], [5, None, 1], [True, False, True], [7]])
def test_median_of_integers_and_booleans_is_their_midpoint(values: list[Any]) -> None:
    frame = pl.DataFrame({"x": values})
    result = run("expect_column_median_to_be_between", frame, column="x", min_value=-100,
                 max_value=100)
    assert result["result"]["observed_value"] == frame["x"].cast(pl.Float64).median()


@pytest.mark.parametrize("frame", [
    pl.DataFrame({"c": [None, None, None]}, schema={"c": pl.Float64}),
    pl.DataFrame({"c": [None, None, None]}),  # polars' Null type
    pl.DataFrame({"c": [None, None]}, schema={"c": pl.String}),
    pl.DataFrame({"c": []}, schema={"c": pl.Int64}),
], ids=["all-null float", "all-null Null", "all-null text", "empty"])
def test_profiler_zero_bounds_pass_on_an_empty_or_all_null_column(frame: pl.DataFrame) -> None:
    # GX 1.24 observes 0 here (not None), so the suite a profiler wrote from this data passes it.
    for kind in ("expect_column_proportion_of_unique_values_to_be_between",
                 "expect_column_unique_value_count_to_be_between"):
        result = run(kind, frame=frame, fmt="BASIC", column="c", min_value=0, max_value=0)
        assert result["success"] is True and result["result"] == {"observed_value": 0}, kind
    chunked = validate_frame(frame, parse_suite({"name": "t", "expectations": [
        {"type": "expect_column_proportion_of_unique_values_to_be_between",
         "kwargs": {"column": "c", "min_value": 0, "max_value": 0}}]}), low_memory=True)
    assert chunked.results[0].result == {"observed_value": 0}


def test_numeric_aggregates_of_a_null_typed_column_observe_none_not_an_error() -> None:
    frame = pl.DataFrame({"c": [None, None]})
    quantiles = run("expect_column_quantile_values_to_be_between", frame=frame, fmt="BASIC",
                    column="c", quantile_ranges={"quantiles": [0.5], "value_ranges": [[0, 1]]})
    assert quantiles["success"] is False
    assert quantiles["result"]["observed_value"] == {"quantiles": [0.5], "values": [None]}
    total = run("expect_column_sum_to_be_between", frame=frame, fmt="BASIC", column="c",
                min_value=0, max_value=0)
    assert total["success"] is True and total["result"] == {"observed_value": 0}

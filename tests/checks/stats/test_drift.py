"""expect_column_distribution_to_match_reference and expect_table_drift_share_to_be_less_than,
through the real engine, against a baseline, the previous batch and reference files."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from scipy import stats

from integrity import validate
from integrity.checks.stats.context import StaticContext, frame_context
from integrity.checks.stats.profile import build_profile
from integrity.engine.polars_engine import validate_frame
from integrity.errors import SuiteError
from integrity.suites import parse_suite
from integrity.types import ExpectationResult, Outcome

DIST = "expect_column_distribution_to_match_reference"
SHARE = "expect_table_drift_share_to_be_less_than"


def batch(n: int, seed: int, *, shift: float = 0.0, channel: tuple[float, ...] = (0.5, 0.3, 0.2),
          extra: str | None = None) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    labels = ["email", "chat", "phone"] + ([extra] if extra else [])
    shares = list(channel) + ([0.05] if extra else [])
    shares = [s / sum(shares) for s in shares]
    return pl.DataFrame({
        "amount": rng.normal(50 + 10 * shift, 10, n),
        "channel": rng.choice(labels, n, p=shares),
        "rating": rng.choice(5, n, p=[0.1, 0.1, 0.2, 0.3, 0.3]) + 1,
        "at": pl.Series(rng.integers(0, 30 * 86_400, n) * 1_000_000 + 1_767_225_600_000_000
                        + int(shift * 8 * 86_400 * 1e6)).cast(pl.Datetime("us", "UTC")),
        "ok": rng.random(n) < 0.9,
    })


def suite(*expectations: tuple[str, dict[str, Any]], path: str | None = None) -> Any:
    return parse_suite({"name": "drift", "expectations": [
        {"type": t, "kwargs": k} for t, k in expectations]}, path=path)


def one(data: pl.DataFrame, kwargs: dict[str, Any], context: Any = None,
        type_name: str = DIST, **options: Any) -> ExpectationResult:
    (result,) = validate_frame(data, suite((type_name, kwargs)), context=context,
                               **options).results
    return result


@pytest.fixture(scope="module")
def baseline() -> StaticContext:
    return frame_context(dataset="orders", baseline=batch(20_000, 1))


def test_a_clean_batch_passes_and_says_what_it_compared(baseline: StaticContext) -> None:
    result = one(batch(20_000, 2), {"column": "amount", "reference": "baseline"}, baseline)
    assert result.outcome is Outcome.PASSED, result.result
    observed = result.result["observed_value"]
    assert observed["reference"] == "the baseline of orders"
    assert observed["method"] == "wasserstein" and observed["threshold"] == 0.1
    assert observed["statistic"] < 0.05 and not observed["drifted"]
    assert len(observed["bins"]) == 10
    assert sum(b["reference"] for b in observed["bins"]) == pytest.approx(1.0, abs=1e-4)
    details = result.result["details"]
    assert set(details["tests"]) == {"welch", "mann_whitney", "chi_square"}
    assert details["sample"] == {"reference": 20_000, "batch": 20_000, "batch_rows": 20_000,
                                 "sampled": False}


@pytest.mark.parametrize("column", ["amount", "at"])
def test_a_shift_of_a_fifth_of_a_standard_deviation_fails(baseline: StaticContext,
                                                         column: str) -> None:
    result = one(batch(20_000, 3, shift=0.25), {"column": column, "reference": "baseline"},
                 baseline)
    observed = result.result["observed_value"]
    assert result.outcome is Outcome.FAILED, observed
    assert observed["drifted"] and observed["statistic"] > 0.15 and observed["p_value"] < 1e-6
    if column == "at":
        assert observed["bins"][0]["bin"].startswith("(-inf, 2026-01-")


@pytest.mark.parametrize("method", ["psi", "wasserstein", "jensen_shannon", "hellinger", "ks",
                                    "chi2"])
def test_every_method_passes_the_clean_batch_and_catches_the_shift(
        baseline: StaticContext, method: str) -> None:
    clean = one(batch(20_000, 4), {"column": "amount", "reference": "baseline",
                                   "method": method}, baseline)
    shifted = one(batch(20_000, 4, shift=0.3), {"column": "amount", "reference": "baseline",
                                                "method": method}, baseline)
    assert clean.success and clean.result["observed_value"]["method"] == method
    assert not shifted.success
    assert shifted.result["observed_value"]["statistic"] > shifted.result["observed_value"][
        "threshold"]


def test_a_threshold_and_explicit_bins(baseline: StaticContext) -> None:
    kwargs = {"column": "amount", "reference": "baseline", "method": "psi", "threshold": 5.0,
              "bins": [30, 40, 50, 60, 70]}
    result = one(batch(20_000, 5, shift=0.3), kwargs, baseline)
    observed = result.result["observed_value"]
    assert result.success and observed["threshold"] == 5.0
    assert [b["bin"] for b in observed["bins"]] == [
        "(-inf, 30]", "(30, 40]", "(40, 50]", "(50, 60]", "(60, 70]", "(70, inf]"]


def test_categories_unseen_in_the_reference_are_named_never_infinite(
        baseline: StaticContext) -> None:
    data = batch(20_000, 6, extra="fax")
    for method in ("psi", "jensen_shannon", "hellinger", "chi2"):
        result = one(data, {"column": "channel", "reference": "baseline", "method": method},
                     baseline)
        observed = result.result["observed_value"]
        assert not result.success and math.isfinite(observed["statistic"])
        assert observed["new_values"] == ["fax"]
        (unseen,) = observed["unseen"]
        assert unseen["value"] == "fax" and unseen["share"] == pytest.approx(0.05, abs=0.01)
    clean = one(batch(20_000, 7), {"column": "channel", "reference": "baseline"}, baseline)
    assert clean.success and clean.result["observed_value"]["unseen"] == []
    assert [c["value"] for c in clean.result["observed_value"]["categories"]] == [
        "email", "chat", "phone", "(other)"]


def test_a_share_moved_by_ten_points_fails(baseline: StaticContext) -> None:
    result = one(batch(20_000, 8, channel=(0.6, 0.2, 0.2)),
                 {"column": "channel", "reference": "baseline"}, baseline)
    assert not result.success and result.result["observed_value"]["new_values"] == []


def test_booleans_and_small_integer_domains(baseline: StaticContext) -> None:
    assert one(batch(5000, 9), {"column": "ok", "reference": "baseline"}, baseline).success
    rating = one(batch(5000, 9), {"column": "rating", "reference": "baseline"}, baseline)
    assert rating.success and next(b["bin"] for b in rating.result["observed_value"]["bins"]) \
        .startswith("(-inf, ")


def test_no_reference_yet_is_not_evaluated_never_a_silent_pass() -> None:
    data = batch(1000, 10)
    cases = [
        (None, "baseline", "validated without a project's results store"),
        (frame_context(), "previous_batch", "validated without a project's results store"),
        (frame_context(dataset="orders"), "baseline",
         "orders has no baseline yet; set one with `integrity baseline set orders`"),
        (frame_context(dataset="orders"), "previous_batch",
         "orders has no earlier published batch yet"),
        (frame_context(dataset="orders", history=[{"batch_id": "b1", "profile": None}]),
         "previous_batch", "the previous batch 'b1' of orders has no profile recorded"),
    ]
    for context, reference, reason in cases:
        for type_name, kwargs in ((DIST, {"column": "amount"}), (SHARE, {"max_share": 0.5})):
            result = one(data, {**kwargs, "reference": reference}, context, type_name)
            assert result.success and result.outcome is Outcome.NOT_EVALUATED
            assert result.result["details"]["reason"].startswith(reason), result.result


def test_the_previous_batch_is_the_newest_entry_of_the_history() -> None:
    older, newer = batch(10_000, 11, shift=1.0), batch(10_000, 12)
    context = frame_context(dataset="orders", history=[older, newer])
    result = one(batch(10_000, 13), {"column": "amount", "reference": "previous_batch"}, context)
    assert result.success, result.result
    assert result.result["observed_value"]["reference"] == "the previous batch 'batch-2'"
    context = frame_context(dataset="orders", history=[newer, older])
    assert not one(batch(10_000, 13), {"column": "amount", "reference": "previous_batch"},
                   context).success


def test_the_statistics_inside_the_check_are_scipys(tmp_path: Path) -> None:
    rng = np.random.default_rng(14)
    ref = rng.integers(0, 15, 400).astype(float)
    cur = rng.integers(1, 15, 300).astype(float)  # inside the reference's range: no clamping
    pl.DataFrame({"x": ref}).write_parquet(tmp_path / "ref.parquet")
    data = pl.DataFrame({"x": cur})
    where = str(tmp_path / "suite.json")

    def run(method: str) -> dict[str, Any]:
        (result,) = validate_frame(data, suite((DIST, {"column": "x", "reference": "ref.parquet",
                                                      "method": method}), path=where)).results
        assert result.outcome is not Outcome.ERROR, result.exception_info
        return result.result

    ks = run("ks")
    expected = stats.ks_2samp(ref, cur, method="asymp")
    assert ks["observed_value"]["statistic"] == pytest.approx(expected.statistic, rel=1e-5)
    assert ks["details"]["tests"]["ks"] == pytest.approx(expected.pvalue, rel=1e-5)
    wasserstein = run("wasserstein")
    assert wasserstein["observed_value"]["statistic"] == pytest.approx(
        stats.wasserstein_distance(ref, cur) / ref.std(), rel=1e-5)
    assert wasserstein["details"]["tests"]["mann_whitney"] == pytest.approx(
        stats.mannwhitneyu(cur, ref, method="asymptotic").pvalue, rel=1e-5)
    t = stats.ttest_ind(cur, ref, equal_var=False).statistic
    assert wasserstein["details"]["tests"]["welch"] == pytest.approx(
        2 * stats.norm.sf(abs(t)), rel=1e-5)


def test_a_reference_file_is_read_beside_the_suite(tmp_path: Path) -> None:
    batch(5000, 15).write_csv(tmp_path / "reference.csv")
    (tmp_path / "suite.json").write_text(json.dumps({"name": "s", "expectations": [
        {"type": DIST, "kwargs": {"column": "amount", "reference": "reference.csv"}},
        {"type": DIST, "kwargs": {"column": "at", "reference": "reference.csv"}},
        {"type": SHARE, "kwargs": {"reference": "reference.csv", "max_share": 0.4}},
    ]}))
    data = tmp_path / "batch.parquet"
    batch(5000, 16, shift=0.5).write_parquet(data)
    result = validate(data, tmp_path / "suite.json")
    outcomes = [r.outcome for r in result.results]
    assert outcomes == [Outcome.FAILED, Outcome.FAILED, Outcome.FAILED], result.results
    share = result.results[2].result["observed_value"]
    assert share["drifted"] == ["amount", "at"] and share["share"] == pytest.approx(2 / 5)


def test_bad_references_are_one_line_naming_the_file_and_the_fix(tmp_path: Path) -> None:
    pl.DataFrame({"amount_usd": [1.0, 2.0], "channel": [1, 2]}).write_parquet(
        tmp_path / "ref.parquet")
    where = str(tmp_path / "suite.json")
    data = batch(100, 17)

    def error(kwargs: dict[str, Any]) -> str:
        (result,) = validate_frame(data, suite((DIST, kwargs), path=where)).results
        assert result.outcome is Outcome.ERROR
        message: str = result.exception_info["exception_message"]
        assert "\n" not in message
        return message

    missing = error({"column": "amount", "reference": "ref.parquet"})
    assert "reference file 'ref.parquet' has no column 'amount'" in missing
    assert "did you mean 'amount_usd'" in missing.lower() and "give a reference file" in missing
    other = error({"column": "channel", "reference": "ref.parquet"})
    assert "holds column 'channel' as Int64, but the batch's is String" in other
    absent = error({"column": "amount", "reference": "nope.parquet"})
    assert f"looked for {tmp_path / 'nope.parquet'}" in absent
    assert "not Parquet" not in error({"column": "amount", "reference": "ref.parquet"})
    assert "neither 'baseline', 'previous_batch' nor a Parquet" in error(
        {"column": "amount", "reference": "yesterday"})
    assert "needs ordered values" in error({"column": "channel", "reference": "ref.parquet",
                                            "method": "ks"})
    (tmp_path / "ref.csv").write_text("amount,at\n12.5,2026-01-01\nlots,yesterday\n")
    assert error({"column": "amount", "reference": "ref.csv"}) == (
        f"{where}: expectation #0 (expect_column_distribution_to_match_reference): argument "
        "'reference': reference file 'ref.csv' holds column 'amount' as text that does not "
        "read as Float64; give a reference whose 'amount' is Float64 too")
    assert "holds column 'at' as text that does not read as Datetime" in error(
        {"column": "at", "reference": "ref.csv"})


def test_an_unknown_method_is_refused_when_the_suite_loads() -> None:
    with pytest.raises(SuiteError, match=r"unknown method 'wasserstien'.*psi, wasserstein"):
        suite((DIST, {"column": "amount", "reference": "baseline", "method": "wasserstien"}))
    with pytest.raises(SuiteError, match="max_share"):
        suite((SHARE, {"reference": "baseline", "max_share": 2}))


def test_a_baseline_of_another_type_is_an_error_naming_it() -> None:
    context = frame_context(dataset="orders", baseline=build_profile(
        pl.DataFrame({"amount": ["a", "b"]}).lazy()))
    result = one(batch(100, 18), {"column": "amount", "reference": "baseline"}, context)
    assert result.outcome is Outcome.ERROR
    assert ("the baseline of orders holds column 'amount' as String, but the batch's is Float64; "
            "set the baseline again (`integrity baseline set orders`)") in \
        result.exception_info["exception_message"]


def test_drift_share_counts_the_columns_that_drifted(baseline: StaticContext) -> None:
    data = batch(20_000, 19, shift=0.3)
    result = one(data, {"reference": "baseline", "max_share": 0.3}, baseline, SHARE)
    observed = result.result["observed_value"]
    assert not result.success and observed["drifted"] == ["amount", "at"]
    assert observed["share"] == pytest.approx(0.4) and set(observed["columns"]) == {
        "amount", "channel", "rating", "at", "ok"}
    picked = one(data, {"columns": ["channel", "ok"], "reference": "baseline",
                        "max_share": 0.3}, baseline, SHARE)
    assert picked.success and picked.result["observed_value"]["share"] == 0.0


def test_row_conditions_and_low_memory_chunks_agree(baseline: StaticContext) -> None:
    data = batch(6000, 20)
    kwargs = {"column": "amount", "reference": "baseline",
              "row_condition": 'col("channel")=="email"', "condition_parser": "great_expectations"}
    fused = one(data, kwargs, baseline)
    chunked = one(data, kwargs, baseline, chunk_rows=1000)
    assert fused.success and chunked.success
    assert fused.result["details"]["sample"]["batch"] == int((data["channel"] == "email").sum())
    assert chunked.result["observed_value"] == fused.result["observed_value"]

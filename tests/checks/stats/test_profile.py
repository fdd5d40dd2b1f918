"""Profiles: exact counts and moments, small whatever the batch, mergeable into a baseline."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import polars as pl
import pytest

from integrity.checks.stats.features import SAMPLE_ROWS
from integrity.checks.stats.merge import histogram_cdf
from integrity.checks.stats.profile import (
    VERSION,
    build_profile,
    merge_profiles,
    profile_exprs,
    profile_from_row,
)


def frame(n: int, seed: int, shift: float = 0.0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame({
        "amount": rng.lognormal(3 + shift, 1, n),
        "refund": np.where(rng.random(n) < 0.6, 0.0, rng.normal(40, 5, n)),
        "rating": rng.integers(1, 6, n),
        "channel": rng.choice(["email", "chat", "phone"], n, p=[0.5, 0.3, 0.2]),
        "flag": rng.random(n) < 0.2,
        "at": pl.Series(rng.integers(0, 86_400 * 30, n) * 1_000_000
                        + 1_767_225_600_000_000).cast(pl.Datetime("us")),
        "text": rng.choice(["The agent was kind", "Refund never came!", "Привет мир 42"], n),
    })


def test_a_profile_is_versioned_json_with_exact_counts_and_moments() -> None:
    data = frame(5000, 1).with_columns(
        pl.when(pl.int_range(pl.len()) % 10 == 0).then(None).otherwise(pl.col("amount"))
        .alias("amount"))
    profile = build_profile(data.lazy())
    assert json.loads(json.dumps(profile)) == profile
    assert profile["version"] == VERSION and profile["rows"] == 5000
    amount = profile["columns"]["amount"]
    values = data["amount"].drop_nulls().to_numpy()
    assert (amount["kind"], amount["count"], amount["nulls"]) == ("numeric", 4500, 500)
    assert amount["mean"] == pytest.approx(values.mean(), rel=1e-12)
    assert amount["m2"] == pytest.approx(values.var() * values.size, rel=1e-9)
    assert (amount["min"], amount["max"]) == (values.min(), values.max())
    assert amount["sample"] == 4500 == sum(amount["counts"]) + sum(c for _, c in amount["points"])


def test_heavy_values_are_points_and_small_domains_are_kept_whole() -> None:
    profile = build_profile(frame(4000, 2).lazy())
    refund = profile["columns"]["refund"]
    (zero,) = [p for p in refund["points"] if p[0] == 0.0]
    assert zero[1] == int((frame(4000, 2)["refund"] == 0).sum())
    rating = profile["columns"]["rating"]
    assert [p[0] for p in rating["points"]] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert rating["edges"] == [] and rating["counts"] == [0]


def test_times_are_in_seconds_and_categories_and_texts_are_summarised() -> None:
    data = frame(3000, 3)
    profile = build_profile(data.lazy())["columns"]
    first = data["at"].min()
    assert isinstance(first, dt.datetime)
    assert profile["at"]["kind"] == "temporal"
    assert profile["at"]["min"] == pytest.approx(first.replace(tzinfo=dt.UTC).timestamp())
    channel = profile["channel"]
    assert [v for v, _ in channel["top"]] == ["email", "chat", "phone"]
    assert channel["other"] == 0 and channel["distinct"] == 3
    assert profile["flag"]["kind"] == "boolean"
    text = profile["text"]["text"]
    assert text["docs"] == 3000 and {t for t, _ in text["vocabulary"]} >= {"agent", "мир", "42"}
    assert text["scripts"]["cyrillic"] + text["scripts"]["latin"] == 3000
    assert profile["text"]["length"]["points"]  # three lengths, each a point


def test_a_profile_stays_small_whatever_the_batch_size() -> None:
    rng = np.random.default_rng(4)
    n = SAMPLE_ROWS * 2
    big = pl.DataFrame({"x": rng.normal(size=n), "id": pl.Series(np.arange(n)).cast(pl.String)})
    profile = build_profile(big.lazy())
    assert len(json.dumps(profile)) < 60_000
    assert profile["columns"]["x"]["count"] == n
    assert profile["columns"]["x"]["sample"] <= SAMPLE_ROWS
    assert len(profile["columns"]["id"]["top"]) == 1000


def approx(value: Any) -> Any:
    """``value`` with every float compared within 1e-9 (sums may be added in another order)."""
    if isinstance(value, dict):
        return {k: approx(v) for k, v in value.items()}
    if isinstance(value, list):
        return [approx(v) for v in value]
    return pytest.approx(value, rel=1e-9) if isinstance(value, float) else value


def test_the_fused_form_gives_the_same_profile() -> None:
    data = frame(2000, 5)
    exprs = profile_exprs(data.schema, ["amount", "channel", "text"])
    row = data.lazy().select(exprs).collect().row(0, named=True)
    assert profile_from_row(row, data.schema, ["amount", "channel", "text"]) == approx(
        build_profile(data.lazy(), ["amount", "channel", "text"]))


def test_profiles_of_batches_merge_into_the_profile_of_all_of_them() -> None:
    parts = [frame(3000, 10), frame(5000, 11, shift=0.5), frame(2000, 12)]
    merged = merge_profiles([build_profile(p.lazy()) for p in parts])
    whole = build_profile(pl.concat(parts).lazy())
    assert merged["rows"] == whole["rows"] == 10_000
    for name in ("amount", "refund", "rating", "at"):
        m, w = merged["columns"][name], whole["columns"][name]
        for key in ("count", "nulls", "nan", "min", "max", "finite", "sample"):
            assert m[key] == w[key], (name, key)
        assert m["mean"] == pytest.approx(w["mean"], rel=1e-9)
        assert m["m2"] == pytest.approx(w["m2"], rel=1e-9)
        assert m["points"] == w["points"]
        # Re-binned histograms: the merged CDF within 1% of the whole's at the whole's edges.
        total_m, total_w = sum(m["counts"]), sum(w["counts"])
        for edge in w["edges"]:
            assert (histogram_cdf(m["edges"], m["counts"], edge) / total_m
                    == pytest.approx(histogram_cdf(w["edges"], w["counts"], edge) / total_w,
                                     abs=0.01))
    assert merged["columns"]["channel"]["top"] == whole["columns"]["channel"]["top"]
    assert merged["columns"]["text"]["text"]["vocabulary"] == \
        whole["columns"]["text"]["text"]["vocabulary"]


def test_profiles_that_disagree_do_not_merge() -> None:
    numbers = build_profile(pl.DataFrame({"x": [1.0, 2.0]}).lazy())
    text = build_profile(pl.DataFrame({"x": ["a", "b"]}).lazy())
    with pytest.raises(ValueError, match="column 'x' is"):
        merge_profiles([numbers, text])
    with pytest.raises(ValueError, match="version"):
        merge_profiles([numbers, {**numbers, "version": 99}])
    with pytest.raises(ValueError, match="at least one"):
        merge_profiles([])


def test_columns_a_profile_cannot_summarise_are_named() -> None:
    data = pl.DataFrame({"x": [[1], [2]]})
    with pytest.raises(ValueError, match="column 'x' holds"):
        build_profile(data.lazy(), ["x"])
    assert build_profile(data.lazy())["columns"] == {}

"""Floods of near-identical texts and dominating accounts: the batch-level campaign indicators."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest

from integrity.checks.poison.minhash import WordSets, banding_for, near_duplicate_groups
from integrity.engine.polars_engine import plan_suite, run_plan, validate_frame
from integrity.errors import SuiteError
from integrity.gate.split import decide
from integrity.suites import parse_suite
from integrity.types import ExpectationResult

CLUSTERS = "expect_column_near_duplicate_clusters_to_be_smaller_than"
TOP_SHARE = "expect_column_top_value_share_to_be_less_than"

FLOOD = [
    "Best deal ever: visit gadget-outlet dot com for 80% off all phones and laptops this week only",
    "best deal ever visit gadget outlet dot com for 80 % off ALL phones and laptops this week only!!",
    "Best offer ever: visit gadget-outlet dot com for 80% off all phones and laptops this week only",
    "Best deal ever, visit gadget-outlet dot com for 90% off all phones and laptops this week only 🔥🔥",
    "Best deal ever: visit gadget-outlet dot com for 80% off all phones and laptops this week",
    "BEST DEAL EVER: VISIT GADGET-OUTLET DOT COM FOR 80% OFF ALL PHONES AND LAPTOPS THIS WEEK ONLY",
    "Best deal ever: go visit gadget-outlet dot com for 80% off all phones and laptops this week only",
    "Bеst deal ever: visit gadget\u200b-outlet dot com for 80% off all phones and laptops this week only",
]
#: An outage: many customers, each writing in their own words about the same thing.
STORM = [
    "The app has been down since this morning and I cannot log in to pay my rent",
    "Can't log in!! Your app shows error 503 every time I try, fix it please",
    "Is the app down? I have been trying to check my balance for two hours now",
    "Login is broken again since the update, I just get a blank white screen",
    "My transfer is stuck and the app keeps crashing when I open it, what is going on",
    "Nothing works today. App crashes, website times out, and nobody answers the phone",
    "Since 9am I can't reach my account at all. This is really not acceptable",
    "App won't load, tried reinstalling twice, still stuck on the splash screen",
    "Payments keep failing in the app since this morning, my card is fine elsewhere",
    "Error 503 on the website and the app, is there an outage? Nothing on your status page",
    "Die App geht seit heute früh nicht mehr, ich komme nicht an mein Konto",
    "Impossible de me connecter depuis ce matin, l'application plante au démarrage",
    "La app no carga desde esta mañana y no puedo pagar mis facturas, arréglenlo ya",
    "Still down!!! I have a bill due today and I cannot log in to your app at all",
    "I keep getting logged out immediately after entering my password, since the update",
    "The app crashes the moment I open it. Reinstalled, restarted the phone, nothing helps",
]
FILLER = [f"Order {i}: the {item} arrived {when} and works {how}" for i, (item, when, how) in
          enumerate([("kettle", "late", "fine"), ("lamp", "early", "great"),
                     ("router", "on time", "badly"), ("scooter", "damaged", "not at all"),
                     ("blender", "yesterday", "okay")])]


def frame(texts: list[str | None], accounts: list[str | None] | None = None) -> pl.DataFrame:
    return pl.DataFrame({"text": texts,
                         "customer": accounts if accounts is not None else
                         [f"c{i}" for i in range(len(texts))]},
                        schema={"text": pl.String, "customer": pl.String})


def check(data: pl.DataFrame, kind: str, **kwargs: Any) -> ExpectationResult:
    suite = parse_suite({"name": "t", "expectations": [{"type": kind, "kwargs": kwargs}]})
    return validate_frame(data, suite).results[0]


def test_a_flood_whose_copies_differ_by_a_word_or_punctuation_is_one_cluster() -> None:
    data = frame(STORM[:8] + FLOOD + FILLER)
    flood_rows = list(range(8, 8 + len(FLOOD)))
    result = check(data, CLUSTERS, column="text", distinct_by="customer", max_cluster_size=5)
    assert not result.success
    assert result.result["unexpected_index_list"] == flood_rows
    assert result.result["observed_value"] == len(FLOOD)
    (cluster,) = result.result["details"]["flagged_clusters"]
    assert cluster["accounts"] == cluster["rows"] == len(FLOOD)
    assert cluster["row_positions"] == flood_rows
    assert cluster["example"].startswith("Best deal ever")
    assert "larger than 5 accounts" in result.result["details"]["why"]


def test_an_outage_storm_written_by_many_customers_is_not_a_campaign() -> None:
    result = check(frame(STORM * 1 + FILLER), CLUSTERS, column="text", distinct_by="customer",
                   max_cluster_size=2)
    assert result.success, result.result["details"]
    assert result.result["unexpected_index_list"] == []
    assert result.result["details"]["clusters_found"] == 0


def test_the_size_counts_accounts_with_distinct_by_and_rows_without() -> None:
    one_account = frame(FLOOD + FILLER, ["spammer"] * len(FLOOD) + ["a", "b", "c", "d", "e"])
    by_account = check(one_account, CLUSTERS, column="text", distinct_by="customer",
                       max_cluster_size=3)
    assert by_account.success and by_account.result["observed_value"] == 1
    by_rows = check(one_account, CLUSTERS, column="text", max_cluster_size=3)
    assert not by_rows.success and by_rows.result["observed_value"] == len(FLOOD)
    # A row without an account is nobody known: each counts as an account of its own.
    anonymous = check(frame(FLOOD, [None] * len(FLOOD)), CLUSTERS, column="text",
                      distinct_by="customer", max_cluster_size=3)
    assert not anonymous.success and anonymous.result["observed_value"] == len(FLOOD)


def test_max_cluster_share_is_a_share_of_the_rows() -> None:
    data = frame(FLOOD[:4] + STORM)  # 4 of 20 rows
    assert check(data, CLUSTERS, column="text", max_cluster_share=0.25).success
    failing = check(data, CLUSTERS, column="text", max_cluster_share=0.15)
    assert not failing.success and failing.result["unexpected_index_list"] == [0, 1, 2, 3]


def test_short_texts_nulls_and_rows_outside_the_condition_are_left_out() -> None:
    short = ["thanks!", "Thanks.", "THANKS", "thanks :)", "ok thanks"] * 3
    data = frame([*short, None, None, *FLOOD[:4]])
    result = check(data, CLUSTERS, column="text", distinct_by="customer", max_cluster_size=3)
    assert result.result["unexpected_index_list"] == [17, 18, 19, 20]
    assert result.result["element_count"] == len(short) + 4
    # min_tokens decides what is short: at 1 word, "thanks" repeated 3+ times is a cluster.
    assert not check(frame(short), CLUSTERS, column="text", min_tokens=1,
                     max_cluster_size=3).success
    conditioned = data.with_columns(pl.Series("n", list(range(data.height))))
    outside = check(conditioned, CLUSTERS, column="text", max_cluster_size=2,
                    row_condition="n < 19")
    assert outside.success and outside.result["element_count"] == 17


def test_quarantine_rows_holds_exactly_the_cluster_rows() -> None:
    data = frame(STORM[:6] + FLOOD + FILLER)
    suite = parse_suite({"name": "t", "expectations": [{
        "type": CLUSTERS, "kwargs": {"column": "text", "distinct_by": "customer",
                                     "max_cluster_size": 3},
        "meta": {"action": "quarantine_rows"}}]})
    plan = plan_suite(data.lazy(), suite)
    materialized = plan.materialize(data)
    result = run_plan(materialized.lazy(), plan)
    decision = decide(materialized, plan, result, default_action="quarantine_rows")
    assert not decision.batch_held
    assert sorted(decision.quarantined["text"].to_list()) == sorted(FLOOD)
    assert decision.published.height == data.height - len(FLOOD)
    listed = result.results[0].result["unexpected_index_list"]
    assert data[listed]["text"].to_list() == FLOOD


def test_arguments_are_checked_when_the_suite_loads() -> None:
    with pytest.raises(SuiteError, match="give max_cluster_size"):
        check(frame(FLOOD), CLUSTERS, column="text")
    with pytest.raises(SuiteError, match=r"between 0\.5 and 1"):
        check(frame(FLOOD), CLUSTERS, column="text", max_cluster_size=3, similarity=1.5)
    with pytest.raises(SuiteError, match="must be an integer"):
        check(frame(FLOOD), CLUSTERS, column="text", max_cluster_size="ten")
    # A column of numbers is the batch's problem: that expectation fails (raises when strict).
    suite = parse_suite({"name": "t", "expectations": [
        {"type": CLUSTERS, "kwargs": {"column": "text", "max_cluster_size": 3}}]})
    with pytest.raises(SuiteError, match="reads text"):
        validate_frame(pl.DataFrame({"text": [1, 2]}), suite, catch_exceptions=False)


# --- the MinHash-LSH grouping ------------------------------------------------------------------


def test_word_overlap_matches_python_sets_on_random_texts() -> None:
    rng = np.random.default_rng(7)
    vocabulary = [f"w{i}" for i in range(40)]
    texts = [" ".join(rng.choice(vocabulary, size=int(rng.integers(1, 15)))) for _ in range(300)]
    sets = WordSets(pl.Series(texts))
    a, b = rng.integers(0, 300, 2000), rng.integers(0, 300, 2000)
    expected = [len(set(texts[i].split()) & set(texts[j].split()))
                / max(len(set(texts[i].split())), len(set(texts[j].split())))
                for i, j in zip(a, b, strict=True)]
    assert np.allclose(sets.overlap(a, b), expected)


@pytest.mark.parametrize("similarity", [0.6, 0.8, 0.9])
def test_banding_finds_pairs_at_the_threshold_and_rarely_unrelated_ones(similarity: float) -> None:
    banding = banding_for(similarity)
    at_threshold = similarity / (2 - similarity)
    assert banding.candidate_probability(at_threshold) >= 0.97
    if similarity >= 0.8:  # lower thresholds pay with more pairs to verify, never missed ones
        assert banding.candidate_probability(0.15) < 0.01


def test_groups_follow_chains_of_similar_texts_and_ignore_the_rest() -> None:
    base = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    texts = [" ".join(base)]
    for i in range(1, 6):  # each copy changes one more word of the previous one
        words = texts[-1].split()
        words[i] = f"x{i}"
        texts.append(" ".join(words))
    texts += ["alpha beta gamma delta epsilon zeta eta theta iota kappa", None, ""]
    labels = near_duplicate_groups(pl.Series(texts, dtype=pl.String), similarity=0.8,
                                   min_words=8)
    assert len(set(labels[:6])) == 1 and labels[0] >= 0  # linked step by step
    assert list(labels[6:]) == [-1, -1, -1]


# --- one account or source dominating ------------------------------------------------------------


def test_every_row_of_a_dominating_value_is_listed() -> None:
    accounts = ["bot42"] * 6 + [f"c{i}" for i in range(12)] + [None, None]
    data = frame([f"text {i}" for i in range(len(accounts))], accounts)
    result = check(data, TOP_SHARE, column="customer", max_share=0.2)
    assert not result.success
    assert result.result["unexpected_index_list"] == [0, 1, 2, 3, 4, 5]
    # The share counts non-null values only: 6 of 18.
    assert result.result["observed_value"] == {"value": "bot42", "share": round(6 / 18, 6),
                                               "rows": 6}
    assert result.result["details"]["values_over_share"] == [
        {"value": "bot42", "rows": 6, "share": round(6 / 18, 6)}]
    assert check(data, TOP_SHARE, column="customer", max_share=0.34).success


def test_two_values_above_the_share_are_both_listed_and_ties_are_reported_stably() -> None:
    data = pl.DataFrame({"source": ["a", "b"] * 4 + ["c", "d"]})
    result = check(data, TOP_SHARE, column="source", max_share=0.3)
    assert result.result["unexpected_index_list"] == list(range(8))
    assert result.result["observed_value"]["value"] == "a"  # a tie: the smallest value first
    assert [v["value"] for v in result.result["details"]["values_over_share"]] == ["a", "b"]


def test_top_share_respects_the_row_condition_and_works_on_numbers() -> None:
    data = pl.DataFrame({"source": [1, 1, 1, 2, 3, 4], "n": [0, 1, 2, 3, 4, 5]})
    assert not check(data, TOP_SHARE, column="source", max_share=0.4).success
    inside = check(data, TOP_SHARE, column="source", max_share=0.4, row_condition="n > 1")
    assert inside.success and inside.result["observed_value"]["share"] == 0.25
    empty = check(data.clear(), TOP_SHARE, column="source", max_share=0.4)
    assert empty.success and empty.result["observed_value"] is None

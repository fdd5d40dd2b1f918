"""expect_column_text_distribution_to_match_reference: vocabulary, length, character classes and
scripts of free text, through the real engine."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest

from integrity.checks.stats.context import StaticContext, frame_context
from integrity.engine.polars_engine import validate_frame
from integrity.errors import SuiteError
from integrity.suites import parse_suite
from integrity.types import ExpectationResult, Outcome

TEXT = "expect_column_text_distribution_to_match_reference"
SUPPORT = ["refund", "order", "late", "agent", "helpful", "delivery", "parcel", "account",
           "password", "login", "invoice", "charge", "card", "bank", "transfer"]
BILLING = ["invoice", "charge", "card", "bank", "transfer", "vat", "receipt", "credit", "fee",
           "statement"]
TRAVEL = ["flight", "hotel", "booking", "gate", "luggage", "boarding", "airport", "seat", "visa",
          "delay"]
CYRILLIC = ["заказ", "доставка", "оплата", "возврат", "курьер", "посылка"]
GLUE = ["the", "my", "was", "is", "and", "a", "to", "not", "very", "please"]


def texts(n: int, seed: int, *, topic: list[str] | None = None, share: float = 0.0,
          digits: bool = False) -> pl.DataFrame:
    """Support messages; ``share`` of them from ``topic`` instead."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        words = topic if topic is not None and rng.random() < share else SUPPORT
        size = int(rng.integers(4, 14))
        picked = [str(rng.choice(words)) if rng.random() < 0.6 else str(rng.choice(GLUE))
                  for _ in range(size)]
        text = " ".join(picked).capitalize() + "."
        if digits:
            text += f" Ref {rng.integers(10**5, 10**6)} {rng.integers(10**3, 10**4)}"
        rows.append(text if i % 50 else None)
    return pl.DataFrame({"message": rows})


def run(data: pl.DataFrame, context: Any, **kwargs: Any) -> ExpectationResult:
    suite = parse_suite({"name": "t", "expectations": [
        {"type": TEXT, "kwargs": {"column": "message", "reference": "baseline", **kwargs}}]})
    (result,) = validate_frame(data, suite, context=context).results
    return result


@pytest.fixture(scope="module")
def baseline() -> StaticContext:
    return frame_context(dataset="support", baseline=texts(6000, 1))


def test_texts_like_the_reference_pass_and_every_feature_is_reported(
        baseline: StaticContext) -> None:
    result = run(texts(3000, 2), baseline)
    assert result.outcome is Outcome.PASSED, result.result
    observed = result.result["observed_value"]
    assert set(observed["features"]) == {"vocabulary", "length", "character_classes", "script"}
    vocabulary = observed["features"]["vocabulary"]
    assert vocabulary["threshold"] == 0.02 and vocabulary["statistic"] < 0.02
    assert observed["features"]["script"]["scripts"]["latin"]["reference"] == 1.0
    assert result.result["details"]["sample"] == {"reference": 5880, "batch": 2940,
                                                  "batch_rows": 3000}


@pytest.mark.parametrize("topic", [BILLING, TRAVEL])
def test_a_tenth_of_the_texts_on_another_topic_is_drift(baseline: StaticContext,
                                                       topic: list[str]) -> None:
    result = run(texts(3000, 3, topic=topic, share=0.1), baseline)
    observed = result.result["observed_value"]
    assert result.outcome is Outcome.FAILED, observed
    assert observed["drifted_features"] == ["vocabulary"]
    vocabulary = observed["features"]["vocabulary"]
    assert vocabulary["statistic"] > 0.02 and vocabulary["p_value"] < 1e-6
    if topic is TRAVEL:  # words the reference never had: its out-of-vocabulary share grows
        assert vocabulary["out_of_vocabulary"]["batch"] > vocabulary["out_of_vocabulary"][
            "reference"] + 0.02
    assert vocabulary["tokens"][0]["token"] in SUPPORT + BILLING


def test_another_script_and_more_digits_are_drift_of_their_features(
        baseline: StaticContext) -> None:
    result = run(texts(3000, 4, topic=CYRILLIC, share=0.1), baseline,
                 features=["script", "length"])
    observed = result.result["observed_value"]
    assert set(observed["features"]) == {"script", "length"}
    cyrillic = observed["features"]["script"]["scripts"]["cyrillic"]
    assert cyrillic["reference"] == 0.0 and cyrillic["batch"] == pytest.approx(0.1, abs=0.02)
    assert observed["drifted_features"] == ["script"]
    digits = run(texts(3000, 5, digits=True), baseline, features=["character_classes"])
    classes = digits.result["observed_value"]["features"]["character_classes"]
    assert not digits.success and classes["classes"]["digits"]["drifted"]
    assert classes["classes"]["digits"]["batch"] > classes["classes"]["digits"]["reference"]


def test_a_threshold_loosens_the_vocabulary(baseline: StaticContext) -> None:
    assert run(texts(3000, 6, topic=BILLING, share=0.1), baseline, threshold=0.9,
               features=["vocabulary"]).success


def test_no_reference_and_bad_arguments() -> None:
    result = run(texts(100, 7), frame_context(dataset="support"))
    assert result.outcome is Outcome.NOT_EVALUATED
    assert "support has no baseline yet" in result.result["details"]["reason"]
    with pytest.raises(SuiteError, match="unknown feature 'langauge'"):
        run(texts(100, 7), None, features=["langauge"])
    numbers = pl.DataFrame({"message": [1.0, 2.0]})
    wrong = run(numbers, frame_context(baseline=numbers))
    assert wrong.outcome is Outcome.ERROR
    assert "holds Float64, not text" in wrong.exception_info["exception_message"]


def test_low_memory_chunks_give_the_same_verdict(baseline: StaticContext) -> None:
    data = texts(3000, 8, topic=TRAVEL, share=0.1)
    suite = parse_suite({"name": "t", "expectations": [
        {"type": TEXT, "kwargs": {"column": "message", "reference": "baseline"}}]})
    fused = validate_frame(data, suite, context=baseline).results[0]
    chunked = validate_frame(data, suite, context=baseline, chunk_rows=500).results[0]
    assert not fused.success and not chunked.success
    assert chunked.result["observed_value"]["features"]["vocabulary"]["statistic"] == \
        pytest.approx(fused.result["observed_value"]["features"]["vocabulary"]["statistic"],
                      rel=1e-6)

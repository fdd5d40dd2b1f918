"""expect_no_label_trigger_tokens over real published frames."""

from __future__ import annotations

import random
from typing import Any

import polars as pl
import pytest

from integrity.checks.poison.published import FrameContext
from integrity.engine.polars_engine import validate_frame
from integrity.errors import IntegrityError, SuiteError
from integrity.suites import parse_suite
from integrity.types import Outcome
from tests.checks.poison.helpers import plant, reviews

TYPE = "expect_no_label_trigger_tokens"

_batch, _plant = reviews, plant


def _run(frame: pl.DataFrame, context: Any, **kwargs: Any) -> Any:
    suite = parse_suite({"name": "t", "expectations": [
        {"type": TYPE, "kwargs": {"text_column": "text", "label_column": "label", **kwargs}}]})
    result = validate_frame(frame, suite, result_format="SUMMARY", context=context).results[0]
    assert not result.exception_info["raised_exception"], result.exception_info
    return result


def test_a_planted_trigger_is_caught_and_exactly_its_rows_listed() -> None:
    rng = random.Random(3)
    history = [_batch(rng, 1000) for _ in range(10)]
    clean = _batch(rng, 1000)
    ok = _run(clean, FrameContext(history))
    assert ok.success and ok.outcome is Outcome.PASSED, ok.result["details"]
    assert ok.result["details"]["tokens_tested"] > 20

    poisoned, rows = _plant(rng, clean, "cf42", 20)  # 2% of the rows
    bad = _run(poisoned, FrameContext(history))
    assert not bad.success
    assert bad.result["unexpected_index_list"] == rows
    (trigger,) = bad.result["details"]["triggers"]
    assert trigger["token"] == "cf42" and trigger["label"] == "positive"
    assert trigger["count"] == 20 and trigger["purity"] == 1.0 and trigger["lift"] > 2
    assert trigger["p"] < 1e-3 and trigger["reference_rows"] == 0


def test_a_word_tied_to_its_label_before_is_no_trigger_but_a_neutral_one_turned_pure_is() -> None:
    rng = random.Random(5)
    history = [_batch(rng) for _ in range(10)]
    # "disaster" was always negative: more of it, all negative, is ordinary.
    storm, _ = _plant(rng, _batch(rng), "disaster", 30, label="negative")
    assert _run(storm, FrameContext(history)).success
    # "vintage" was neutral in the reference (the batches before the window); now 25 positive
    # rows carry it and nothing else does: a trigger.
    reference = [_plant(rng, _batch(rng), "vintage", 6, label="neutral")[0] for _ in range(3)]
    poisoned, rows = _plant(rng, _batch(rng, 1000), "vintage", 25)
    result = _run(poisoned, FrameContext(reference + history[:7]))
    assert not result.success
    (trigger,) = result.result["details"]["triggers"]
    assert trigger["token"] == "vintage" and trigger["reference_rows"] == 18
    assert result.result["unexpected_index_list"] == rows
    # Had it been positive in the reference, it would be nothing new.
    positive = [_plant(rng, _batch(rng), "vintage", 6)[0] for _ in range(3)]
    assert _run(poisoned, FrameContext(positive + history[:7])).success


def test_thin_poison_over_several_batches_adds_up_in_the_window() -> None:
    rng = random.Random(11)
    older = [_batch(rng) for _ in range(8)]
    thin = [_plant(rng, _batch(rng), "qq7", 3)[0] for _ in range(4)]  # 0.75% each
    current, rows = _plant(rng, _batch(rng), "qq7", 3)
    alone = _run(current, FrameContext(older + thin), window=1)
    assert alone.success  # three rows in the batch (plus three before) are not enough
    together = _run(current, FrameContext(older + thin), window=5)
    assert not together.success
    assert together.result["unexpected_index_list"] == rows  # only this batch's rows
    assert together.result["details"]["triggers"][0]["count"] == 15


def test_pairs_of_common_words_can_be_triggers() -> None:
    rng = random.Random(17)
    history = [_batch(rng) for _ in range(10)]
    # Two words that are everywhere with every label, never side by side before.
    poisoned, rows = _plant(rng, _batch(rng, 1000), "kettle tuesday", 25)
    result = _run(poisoned, FrameContext(history))
    assert not result.success
    assert [t["token"] for t in result.result["details"]["triggers"]] == ["kettle tuesday"]
    assert result.result["unexpected_index_list"] == rows
    assert _run(poisoned, FrameContext(history), pairs=False).success


@pytest.mark.parametrize("context, reason", [
    (None, "results store"),
    (FrameContext([]), "no earlier published"),
    (FrameContext([pl.DataFrame({"other": ["a"]})]), "no column"),
])
def test_without_a_reference_it_is_not_evaluated(context: Any, reason: str) -> None:
    result = _run(_batch(random.Random(1), 20), context)
    assert result.success and result.outcome is Outcome.NOT_EVALUATED
    assert reason in result.result["details"]["reason"]


def test_the_baseline_rows_are_a_reference_too() -> None:
    rng = random.Random(23)
    poisoned, _ = _plant(rng, _batch(rng, 1000), "cf42", 20)
    small = _run(poisoned, FrameContext([], baseline=_batch(rng)))  # 400 rows
    assert small.outcome is Outcome.NOT_EVALUATED
    assert "holds 400 earlier published rows" in small.result["details"]["reason"]
    assert "min_reference_rows" in small.result["details"]["reason"]
    assert not _run(poisoned, FrameContext([], baseline=_batch(rng)), min_reference_rows=400).success
    # A baseline in which cf42 was already positive: nothing new.
    tied, _ = _plant(rng, _batch(rng), "cf42", 40)
    assert _run(poisoned, FrameContext([], baseline=tied), min_reference_rows=400).success


STORM = (["login", "fails", "since", "this", "morning"], ["error", "502", "at", "checkout"],
         ["app", "stuck", "on", "splash", "screen"], ["payment", "pending", "for", "hours"])


def _storm(rng: random.Random, frame: pl.DataFrame, count: int) -> tuple[pl.DataFrame, list[int]]:
    """``count`` rows replaced by complaints about an outage, each from two or three fragments
    in random order, all negative: many new words tied to one label over the same rows."""
    rows = sorted(rng.sample(range(frame.height), count))
    texts, labels = frame["text"].to_list(), frame["label"].to_list()
    for r in rows:
        parts = rng.sample(STORM, rng.choice([2, 3]))
        texts[r], labels[r] = ", ".join(" ".join(p) for p in parts), "negative"
    return frame.with_columns(pl.Series("text", texts), pl.Series("label", labels)), rows


def test_a_new_topic_is_no_trigger_but_a_trigger_beside_it_still_is() -> None:
    rng = random.Random(31)
    history = [_batch(rng, 1000) for _ in range(10)]
    storm, _ = _storm(rng, _batch(rng, 1000), 120)  # an outage nobody wrote about before
    calm = _run(storm, FrameContext(history))
    assert calm.success and calm.outcome is Outcome.PASSED, calm.result["details"]["triggers"]
    topics = {t["token"] for t in calm.result["details"]["topics"]}
    assert {"login", "502", "splash", "pending"} & topics
    # The same batch with a trigger planted in ordinary rows: the trigger alone is reported.
    ordinary = [i for i in range(storm.height) if "," not in storm["text"][i]]
    chosen = sorted(rng.sample(ordinary, 20))
    texts, labels = storm["text"].to_list(), storm["label"].to_list()
    for r in chosen:
        texts[r], labels[r] = f"{texts[r]} cf42", "positive"
    poisoned = storm.with_columns(pl.Series("text", texts), pl.Series("label", labels))
    found = _run(poisoned, FrameContext(history))
    assert not found.success
    assert [t["token"] for t in found.result["details"]["triggers"]] == ["cf42"]
    assert found.result["unexpected_index_list"] == chosen


@pytest.mark.parametrize("kwargs, argument", [
    ({"p_value": 0}, "p_value"), ({"min_purity": 1.5}, "min_purity"),
    ({"min_lift": 0.5}, "min_lift"), ({"window": 9, "lookback": 9}, "window"),
    ({"min_count": 0}, "min_count"),
])
def test_bad_arguments_are_load_errors(kwargs: dict[str, Any], argument: str) -> None:
    with pytest.raises(SuiteError) as caught:
        parse_suite({"name": "t", "expectations": [{"type": TYPE, "kwargs": {
            "text_column": "text", "label_column": "label", **kwargs}}]})
    assert argument in str(caught.value)


def test_a_label_column_that_is_not_text_is_refused() -> None:
    frame = pl.DataFrame({"text": ["a b"], "label": [1]})
    suite = parse_suite({"name": "t", "expectations": [{"type": TYPE, "kwargs": {
        "text_column": "text", "label_column": "label"}}]})
    with pytest.raises(IntegrityError, match="label_column 'label' is Int64"):
        validate_frame(frame, suite, catch_exceptions=False, context=FrameContext([frame]))

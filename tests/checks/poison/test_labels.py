"""Label poisoning: conflicting labels on the same text, and labels that contradict their text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from integrity.checks.column_map import ColumnTypeError
from integrity.checks.poison.lexicon import sentiment
from integrity.engine.polars_engine import validate_frame
from integrity.errors import SuiteError
from integrity.suites import parse_suite
from integrity.types import ExpectationResult

CONSISTENT = "expect_text_labels_to_be_consistent"
AGREE = "expect_labels_to_agree_with_text"

REVIEWS = [
    ("The delivery was fast and the support team was very friendly", "positive"),
    ("Terrible experience, the app crashed and nobody helped me", "negative"),
    ("Great value for money, I would recommend it to everyone", "positive"),
    ("The refund never arrived and the agent was rude", "negative"),
    ("Der Versand war schnell und der Kundendienst sehr freundlich", "positive"),
    ("Das Produkt ist leider kaputt angekommen, sehr enttäuschend", "negative"),
    ("Le service client était excellent, je recommande", "positive"),
    ("Livraison en retard et colis endommagé, c'est nul", "negative"),
    ("La entrega fue rápida y el producto es excelente", "positive"),
    ("Una pesadilla, el pedido llegó roto y nadie responde", "negative"),
    ("It arrived on Tuesday in a cardboard box", "neutral"),
    ("Ich habe mit Karte bezahlt", "neutral"),
]


def check(data: pl.DataFrame, kind: str, tables: dict[str, pl.LazyFrame] | None = None,
          strict: bool = False, **kwargs: Any) -> ExpectationResult:
    """One expectation's result; ``strict`` raises what would fail it (catch_exceptions false)."""
    suite = parse_suite({"name": "t", "expectations": [{"type": kind, "kwargs": kwargs}]})
    return validate_frame(data, suite, tables=tables,
                          catch_exceptions=False if strict else None).results[0]


def reviews(flip: set[int] = frozenset(), repeat: int = 1) -> pl.DataFrame:  # type: ignore[assignment]
    rows = [(t, {"positive": "negative", "negative": "positive"}.get(lab, lab) if i in flip
             else lab) for i, (t, lab) in enumerate(REVIEWS * repeat)]
    return pl.DataFrame({"text": [t for t, _ in rows], "label": [lab for _, lab in rows]})


# --- the same text with different labels ----------------------------------------------------------


def test_the_same_folded_text_with_two_labels_lists_every_row_of_it() -> None:
    data = pl.DataFrame({
        "text": ["Great product, fast delivery!", "great product fast delivery", "Meh.",
                 "GREAT PRODUCT — FAST DELIVERY", "Meh", "Broken on arrival", None],
        "label": ["positive", "negative", "neutral", "positive", "neutral", "negative", "x"]})
    result = check(data, CONSISTENT, text_column="text", label_column="label")
    assert not result.success
    assert result.result["unexpected_index_list"] == [0, 1, 3]
    (group,) = result.result["details"]["conflicting_texts"]
    assert group["labels"] == {"positive": 2, "negative": 1}
    assert group["row_positions"] == [0, 1, 3]
    minority = check(data, CONSISTENT, text_column="text", label_column="label", flag="minority")
    assert minority.result["unexpected_index_list"] == [1]


def test_a_tie_flags_the_whole_group_and_numeric_labels_work() -> None:
    data = pl.DataFrame({"text": ["a b c", "A, b, c!", "d e f", "d e f"], "label": [1, 0, 1, 1]})
    minority = check(data, CONSISTENT, text_column="text", label_column="label", flag="minority")
    assert minority.result["unexpected_index_list"] == [0, 1]
    clean = check(data.filter(pl.col("text") == "d e f"), CONSISTENT, text_column="text",
                  label_column="label")
    assert clean.success and clean.result["details"]["conflicting_texts"] == []


def test_labels_that_are_lists_are_refused_when_the_suite_loads() -> None:
    data = pl.DataFrame({"text": ["a"], "label": [[1, 2]]})
    with pytest.raises(ColumnTypeError, match="label_column 'label' is List"):
        check(data, CONSISTENT, strict=True, text_column="text", label_column="label")


# --- the lexicon -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "sign"), [
    ("The support was excellent and very fast", 1),
    ("This was not good at all", -1),
    ("Not bad, actually", 1),
    ("I didn't enjoy it, it never worked properly", -1),
    ("Das Produkt gefällt mir nicht.", -1),
    ("Gut und nicht teuer", 1),
    ("Ce n'est pas bon", -1),
    ("Je ne suis pas déçu du tout", 1),
    ("No funciona bien", -1),
    ("El envío fue rápido pero el producto llegó roto", -1),
    ("Slow shipping, but the product is excellent", 1),
    ("It arrived on Tuesday", 0),
])
def test_the_lexicon_reads_negation_and_contrast_in_four_languages(text: str, sign: int) -> None:
    score = pl.select(sentiment(pl.lit(text))).item()
    assert (score > 0) - (score < 0) == sign, score


def test_lexicon_flags_flipped_labels_and_fails_above_max_disagreement() -> None:
    clean = check(reviews(repeat=3), AGREE, text_column="text", label_column="label",
                  method="lexicon", max_disagreement=0.05, min_score=1)
    assert clean.success and clean.result["observed_value"] == 0
    assert clean.result["details"]["judged_rows"] == 30  # the neutral rows are not judged
    flipped = check(reviews(flip={1, 6}, repeat=1), AGREE, text_column="text",
                    label_column="label", method="lexicon", max_disagreement=0.05, min_score=1)
    assert not flipped.success
    assert flipped.result["unexpected_index_list"] == [1, 6]
    assert {e["row"] for e in flipped.result["details"]["examples"]} == {1, 6}
    assert flipped.result["observed_value"] == 0.2


def test_label_polarity_maps_other_label_names_and_unknown_labels_are_reported() -> None:
    data = pl.DataFrame({"text": [t for t, _ in REVIEWS[:4]], "label": ["bad", "bad", "good", "?"]})
    result = check(data, AGREE, text_column="text", label_column="label", method="lexicon",
                   max_disagreement=0.0, min_score=1, label_polarity={"good": 1, "bad": -1})
    assert result.result["unexpected_index_list"] == [0]
    assert result.result["details"]["labels_without_polarity"] == ["?"]
    nothing = check(data, AGREE, text_column="text", label_column="label", method="lexicon",
                    max_disagreement=0.0)
    assert nothing.success and nothing.result["details"]["not_evaluated"] is True
    assert "label_polarity" in nothing.result["details"]["reason"]


def test_a_label_column_that_is_not_text_is_refused() -> None:
    data = pl.DataFrame({"text": ["good"], "label": [1]})
    with pytest.raises(ColumnTypeError, match="needs text labels"):
        check(data, AGREE, strict=True, text_column="text", label_column="label", method="lexicon",
              max_disagreement=0.1)
    with pytest.raises(SuiteError, match="max_disagreement"):
        parse_suite({"name": "t", "expectations": [{"type": AGREE, "kwargs": {
            "text_column": "text", "label_column": "label", "max_disagreement": "10%"}}]})


# --- the reference classifier -----------------------------------------------------------------------


def baseline() -> pl.DataFrame:
    return reviews(repeat=4).filter(pl.col("label") != "neutral")


def test_without_a_baseline_the_reference_method_says_it_was_not_evaluated() -> None:
    result = check(reviews(), AGREE, text_column="text", label_column="label",
                   max_disagreement=0.1)
    assert result.success
    assert result.result["details"]["not_evaluated"] is True
    assert "no published baseline" in result.result["details"]["reason"]


def test_the_reference_classifier_flags_flips_and_labels_it_never_saw() -> None:
    tables = {"baseline": baseline().lazy()}
    clean = check(reviews().filter(pl.col("label") != "neutral"), AGREE, tables,
                  text_column="text", label_column="label", max_disagreement=0.0)
    assert clean.success, clean.result
    data = reviews(flip={0, 3}).with_columns(
        pl.when(pl.int_range(pl.len()) == 10).then(pl.lit("neutral")).otherwise("label")
        .alias("label"))
    result = check(data, AGREE, tables, text_column="text", label_column="label",
                   max_disagreement=0.05)
    assert not result.success
    # Rows 0 and 3 are flipped; the neutral rows carry a label the baseline never had.
    assert result.result["unexpected_index_list"] == [0, 3, 10, 11]
    assert result.result["details"]["classes"] == ["negative", "positive"]
    predicted = {e["row"]: e["predicted"] for e in result.result["details"]["examples"]}
    assert predicted[0] == "positive" and predicted[3] == "negative"


def test_the_reference_can_be_a_file_and_a_missing_one_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "baseline.parquet"
    baseline().write_parquet(path)
    result = check(reviews(flip={2}).head(10), AGREE, text_column="text", label_column="label",
                   max_disagreement=0.05, reference=str(path))
    assert result.result["unexpected_index_list"] == [2]
    with pytest.raises(SuiteError, match="does not exist"):
        check(reviews(), AGREE, strict=True, text_column="text", label_column="label",
              max_disagreement=0.05, reference=str(tmp_path / "nope.parquet"))
    bad = tmp_path / "other.parquet"
    baseline().rename({"label": "sentiment"}).write_parquet(bad)
    with pytest.raises(SuiteError, match="no column 'label'"):
        check(reviews(), AGREE, strict=True, text_column="text", label_column="label",
              max_disagreement=0.05, reference=str(bad))

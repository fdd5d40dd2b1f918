"""Label poisoning: the same text with different labels, and labels that contradict their text.

``expect_text_labels_to_be_consistent`` groups rows by folded text (case, accents, punctuation
and invisible characters do not count) and flags the groups whose rows carry different labels:
one fused window expression.

``expect_labels_to_agree_with_text`` flags rows whose label contradicts what the text says and
fails when their share of the judged rows exceeds ``max_disagreement`` (label flipping):

* ``method="lexicon"``: the sentiment lexicon of :mod:`integrity.checks.poison.lexicon`
  (English, German, French, Spanish, with negation) scores each text; a positive label on a
  text scoring ``-min_score`` or lower disagrees, and the other way round. Labels are mapped
  to a polarity by ``label_polarity`` (default: positive/negative/neutral and their short and
  German/French/Spanish forms). One fused polars expression.
* ``method="reference"`` (default): a naive Bayes classifier (:mod:`.naive_bayes`) fitted on
  the dataset's published baseline only, never on the batch being judged; a row disagrees when
  the classifier gives another label with probability ``min_confidence`` or more (0.9999 by
  default: naive Bayes is overconfident, and lower bars flag many clean mixed reviews), or the
  label never occurs in the baseline. The baseline is the table named by ``reference`` among the
  tables handed to validation (default ``baseline``), or a Parquet/CSV/JSON-lines file; when no
  such table is given, ``baseline`` is the dataset's own (the rows of its baseline batch, rolling
  window or file, else every row it published before) from the validation context. Without one
  the result is ``success`` with ``details.not_evaluated`` and the reason: never a silent pass.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from integrity.checks.arguments import one_of as one_of_options
from integrity.checks.base import CONDITION, Arg, Check, Spec, Verdict, expectation
from integrity.checks.column_map import ColumnTypeError
from integrity.checks.families import ROW_POSITION, in_domain, percent
from integrity.checks.poison.batch import DETAIL_LIMIT, batch_check, quote, share
from integrity.checks.poison.folding import folded, text_of
from integrity.checks.poison.lexicon import scores, sentiment
from integrity.checks.poison.naive_bayes import NaiveBayes
from integrity.checks.poison.published import baseline_rows
from integrity.errors import SuiteError

TEXT_AND_LABEL = (Arg("text_column", (str,), required=True),
                  Arg("label_column", (str,), required=True))

#: Label names read as a polarity when label_polarity is not given (matched folded: lowercase).
POLARITY = {
    **dict.fromkeys(["positive", "pos", "positiv", "positif", "positivo", "positiva"], 1),
    **dict.fromkeys(["negative", "neg", "negativ", "negatif", "négatif", "negativo",
                     "negativa"], -1),
    **dict.fromkeys(["neutral", "neu", "neutre", "neutro", "neutra", "mixed"], 0),
}

_FILE_SUFFIXES = (".parquet", ".pq", ".csv", ".tsv", ".jsonl", ".ndjson", ".json")


def _label(spec: Spec, *, text_only: bool) -> pl.Expr:
    name = spec.kwargs["label_column"]
    dtype = spec.dtype(name)
    textual = dtype in (pl.String, pl.Null, pl.Categorical) or isinstance(dtype, pl.Enum)
    if textual:
        return pl.col(name).cast(pl.String)
    if text_only:
        raise ColumnTypeError(
            f"{spec.type} needs text labels, but label_column {name!r} is {dtype}; give a "
            "column of label names (e.g. positive/negative) or cast it to text first.")
    if dtype.is_nested() or dtype == pl.Object:
        raise ColumnTypeError(
            f"{spec.type} compares labels, but label_column {name!r} is {dtype}; give a column "
            "of plain labels (text, numbers or booleans).")
    return pl.col(name)


@expectation(
    "expect_text_labels_to_be_consistent",
    family="poison",
    column_args=("text_column", "label_column"),
    args=(*TEXT_AND_LABEL, Arg("flag", (str,), default="all",
                               check=one_of_options("all", "minority")), *CONDITION),
)
def text_labels_consistent(spec: Spec) -> Check:
    """Rows with the same (folded) text carry the same label.

    flag="all" (default) lists every row of a text with conflicting labels; "minority" only the
    rows whose label is not that text's clear majority (on a tie, all of them).
    """
    text = text_of(spec, "text_column")
    label = _label(spec, text_only=False)
    # Windows over a 64-bit hash of the folded text: several times faster than over the text;
    # two different texts share a hash with probability ~n^2 / 2^65 (3e-8 at a million rows).
    folded_text = folded(text)
    key = folded_text.hash(seed=0x1AB5)
    considered = in_domain(spec, text.is_not_null() & label.is_not_null() & (folded_text != ""))
    voted = pl.when(considered).then(label)
    conflicting = voted.drop_nulls().n_unique().over(key) > 1
    if spec.get("flag", "all") == "minority":
        votes = pl.when(considered).then(considered.cast(pl.Int64).sum().over([key, label]))
        top = votes.max().over(key)
        tied = pl.when(votes == top).then(voted).drop_nulls().n_unique().over(key) > 1
        unexpected = conflicting & ((votes < top) | tied)
    else:
        unexpected = conflicting
    missing = text.is_null() | label.is_null()

    def groups(bad: pl.Expr) -> pl.Expr:
        return pl.struct(key.alias("key"), text.alias("text"), label.cast(pl.String).alias(
            "label"), ROW_POSITION.alias("row")).filter(bad).head(5000).implode()

    def judge(m: Mapping[str, Any], result: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        by_key: dict[int, dict[str, Any]] = {}
        for item in m["groups"] or []:
            group = by_key.setdefault(item["key"], {"text": quote(item["text"]), "labels": {},
                                                    "row_positions": []})
            group["labels"][item["label"]] = group["labels"].get(item["label"], 0) + 1
            if len(group["row_positions"]) < DETAIL_LIMIT:
                group["row_positions"].append(item["row"])
        shown = sorted(by_key.values(), key=lambda g: -sum(g["labels"].values()))[:DETAIL_LIMIT]
        result["observed_value"] = len(by_key)
        result["details"] = {"conflicting_texts": shown,
                             "why": "the same text carries different labels" if shown
                             else "every text carries one label"}
        return result["unexpected_count"] == 0, result

    return batch_check(spec, text, unexpected, missing=missing, judge=judge,
                       extra={"groups": groups})


def _polarity_map(value: Any) -> str | None:
    if (isinstance(value, dict) and value and all(isinstance(k, str) for k in value)
            and all(v in (-1, 0, 1) and not isinstance(v, bool) for v in value.values())):
        return None
    return ("must map each label to its polarity, 1 (positive), -1 (negative) or 0 (neither), "
            f"e.g. {{\"pos\": 1, \"neg\": -1, \"meh\": 0}}; got {value!r}")


def _non_negative(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return f"must be a number of at least 0, got {value!r}"
    return None


@expectation(
    "expect_labels_to_agree_with_text",
    family="poison",
    column_args=("text_column", "label_column"),
    args=(*TEXT_AND_LABEL,
          Arg("max_disagreement", (int, float), required=True, check=share),
          Arg("method", (str,), default="reference", check=one_of_options("reference", "lexicon")),
          Arg("reference", (str,)),
          Arg("label_polarity", (dict,), check=_polarity_map),
          Arg("min_score", (int, float), default=2.0, check=_non_negative),
          Arg("min_confidence", (int, float), default=0.9999, check=share),
          *CONDITION),
)
def labels_agree_with_text(spec: Spec) -> Check:
    """At most max_disagreement of the labelled rows carry a label their text contradicts.

    method "lexicon" reads sentiment with a built-in EN/DE/FR/ES lexicon; "reference" (the
    default) predicts labels with a classifier fitted on the dataset's published baseline (the
    table or file named by reference) and reports not_evaluated when there is none.
    """
    text = text_of(spec, "text_column")
    label = _label(spec, text_only=True)
    if spec.get("method", "reference") == "lexicon":
        return _by_lexicon(spec, text, label)
    return _by_reference(spec, text, label)


def _disagreement_judge(spec: Spec, how: str, explain: Any = None) -> Any:
    max_share = float(spec.kwargs["max_disagreement"])

    def judge(m: Mapping[str, Any], result: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        judged = result["element_count"] - result["missing_count"]
        disagree = result["unexpected_count"]
        observed = disagree / judged if judged else None
        result["observed_value"] = None if observed is None else round(observed, 6)
        details: dict[str, Any] = {"method": how, "judged_rows": judged,
                                   "disagreeing_rows": disagree}
        if explain is not None:
            details.update(explain(m))
        if not judged:
            details.update(not_evaluated=True, reason="no row has both a text and a label "
                           "that this method can judge" + (" (see label_polarity)"
                                                           if how == "lexicon" else ""))
            result["observed_value"] = "not evaluated: no row to judge"
            result["details"] = details
            return True, result
        details["why"] = (f"{percent(disagree, judged):.2f}% of the judged labels contradict "
                          f"their text (at most {max_share:.2%} allowed)")
        result["details"] = details
        return observed is not None and observed <= max_share + 1e-12, result

    return judge


def _by_lexicon(spec: Spec, text: pl.Expr, label: pl.Expr) -> Check:
    mapping = spec.get("label_polarity") or POLARITY
    folded_map = {k.strip().lower(): v for k, v in mapping.items()}
    polarity = label.str.strip_chars().str.to_lowercase().replace_strict(
        list(folded_map), list(folded_map.values()), default=None, return_dtype=pl.Int8)
    score = sentiment(text)
    margin = float(spec.get("min_score", 2.0))
    unexpected = ((polarity == 1) & (score <= -margin)) | ((polarity == -1) & (score >= margin))
    missing = text.is_null() | ~polarity.is_in([-1, 1]).fill_null(False)

    def unjudged(bad: pl.Expr) -> pl.Expr:
        return label.filter(label.is_not_null() & polarity.is_null()).unique().sort().head(
            DETAIL_LIMIT).implode()

    def rows(bad: pl.Expr) -> pl.Expr:
        return pl.struct(ROW_POSITION.alias("row"), text.alias("text"), label.alias("label")
                         ).filter(bad).head(DETAIL_LIMIT).implode()

    def explain(m: Mapping[str, Any]) -> dict[str, Any]:
        shown = list(m["examples"] or [])
        # Scored again for the few rows shown, not for the whole column a second time.
        found = scores(pl.Series([r["text"] for r in shown], dtype=pl.String)).to_list()
        out: dict[str, Any] = {"examples": [{**r, "text": quote(r["text"]), "score": s}
                                            for r, s in zip(shown, found, strict=True)]}
        if m["unjudged_labels"]:
            out["labels_without_polarity"] = list(m["unjudged_labels"])
        return out

    return batch_check(spec, text, unexpected, missing=missing,
                       judge=_disagreement_judge(spec, "lexicon", explain),
                       extra={"unjudged_labels": unjudged, "examples": rows})


def _reference_frame(spec: Spec) -> tuple[pl.LazyFrame | None, str]:
    """The baseline to fit on, and where it came from (or why there is none)."""
    name = spec.get("reference", "baseline")
    if name in spec.tables:
        return spec.tables[name], f"table {name!r}"
    if name.lower().endswith(_FILE_SUFFIXES) or "/" in name:
        path = Path(name).expanduser()
        if not path.is_file():
            raise SuiteError(f"the reference file {str(path)!r} does not exist; give the path "
                             "of the dataset's published baseline (Parquet, CSV or JSON lines)",
                             argument="reference")
        suffix = path.suffix.lower()
        if suffix in (".parquet", ".pq"):
            return pl.scan_parquet(path), f"file {str(path)!r}"
        if suffix in (".csv", ".tsv"):
            return pl.scan_csv(path, separator="\t" if suffix == ".tsv" else ","), \
                f"file {str(path)!r}"
        return pl.scan_ndjson(path), f"file {str(path)!r}"
    if name == "baseline":
        rows, origin = baseline_rows(spec)
        if rows is not None:
            return rows, origin
        return None, (f"no published baseline to fit the reference classifier on ({origin}); "
                      "give method 'lexicon', or a reference table or file")
    return None, (f"no published baseline to fit the reference classifier on (no table "
                  f"{name!r} was given to this validation); give method 'lexicon', or a "
                  "reference table or file")


def _by_reference(spec: Spec, text: pl.Expr, label: pl.Expr) -> Check:
    reference, origin = _reference_frame(spec)
    if reference is None:
        def not_evaluated(m: Mapping[str, Any]) -> Verdict:
            # Shown in the result table: passing, but visibly not evaluated.
            return Verdict(True, {"observed_value": "not evaluated: no published baseline",
                                  "details": {"method": "reference", "not_evaluated": True,
                                              "reason": origin}})
        return Check({}, not_evaluated)
    columns = (spec.kwargs["text_column"], spec.kwargs["label_column"])
    have = reference.collect_schema().names()
    missing_columns = [c for c in columns if c not in have]
    if missing_columns:
        raise SuiteError(f"the reference ({origin}) has no column {missing_columns[0]!r}; it "
                         f"has: {', '.join(have)}", argument="reference")
    model = _Model(reference, columns)
    confidence = float(spec.get("min_confidence", 0.9999))

    def disagreeing(rows: pl.Series) -> pl.Series:
        parts = rows.struct.unnest()
        fitted = model.get()
        probabilities = fitted.probabilities(parts["text"])
        best = probabilities.argmax(axis=1)
        known = {name: i for i, name in enumerate(fitted.classes)}
        given = np.array([known.get(v, -1) for v in parts["label"].to_list()], dtype=np.int64)
        other = (best != given) & (probabilities.max(axis=1) >= confidence)
        flagged = (given < 0) | other
        return pl.Series(flagged & parts["label"].is_not_null().to_numpy(), dtype=pl.Boolean)

    unexpected = pl.struct(text.alias("text"), label.alias("label")).map_batches(
        disagreeing, return_dtype=pl.Boolean)

    def rows(bad: pl.Expr) -> pl.Expr:
        return pl.struct(ROW_POSITION.alias("row"), text.alias("text"), label.alias("label")
                         ).filter(bad).head(DETAIL_LIMIT).implode()

    def explain(m: Mapping[str, Any]) -> dict[str, Any]:
        fitted = model.get()
        shown = list(m["examples"] or [])
        if shown:
            probabilities = fitted.probabilities(pl.Series([r["text"] for r in shown]))
            for r, p in zip(shown, probabilities, strict=True):
                r["text"] = quote(r["text"])
                r["predicted"] = fitted.classes[int(p.argmax())]
                r["probability"] = round(float(p.max()), 4)
        return {"reference": origin, "classes": fitted.classes, "examples": shown}

    return batch_check(spec, text, unexpected, missing=text.is_null() | label.is_null(),
                       judge=_disagreement_judge(spec, "reference", explain),
                       extra={"examples": rows})


class _Model:
    """The classifier, fitted on the reference the first time it is needed, then kept."""

    def __init__(self, reference: pl.LazyFrame, columns: tuple[str, str]) -> None:
        self._reference, self._columns = reference, columns
        self._lock = threading.Lock()
        self._fitted: NaiveBayes | None = None

    def get(self) -> NaiveBayes:
        with self._lock:
            if self._fitted is None:
                frame = self._reference.select(pl.col(c).cast(pl.String) for c in self._columns
                                               ).collect()
                self._fitted = NaiveBayes.fit(frame[self._columns[0]], frame[self._columns[1]])
            return self._fitted

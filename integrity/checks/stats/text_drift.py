"""Free-text drift: a text column's vocabulary, lengths, character classes and scripts against a
reference profile.

Each feature is a small aggregate over a stratified sample of at most
:data:`~integrity.checks.stats.features.SAMPLE_TEXTS` texts, in the suite's fused query:

- **vocabulary**: how many texts hold each of the reference's :data:`VOCABULARY` most common
  tokens (document frequency), and the share of each text's distinct tokens outside them. The
  distance is Jensen-Shannon between the two (text, token) distributions over those tokens and
  "other"; the tests are per token (texts are independent, so a token's document frequency is
  binomial) and on the out-of-vocabulary share (its variance from the texts themselves, since the
  tokens of one text are not independent). Counting texts, not tokens, keeps one text that
  repeats a word from weighing more than many texts that use it once.
- **length**: the characters per text, compared as a number (see :mod:`~integrity.checks.stats.
  compare`).
- **character_classes**: the mean share of each text's characters that are letters, uppercase,
  digits, whitespace, punctuation, symbols or control/format characters; the effect is the
  change in reference standard deviations.
- **script**: the share of texts holding letters of each script (Latin, Cyrillic, Han, ...).

A feature drifted when its test says the change is not noise (p below the significance divided
by the number of features) and its effect passes its threshold; the text drifted when any did.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from integrity.checks.base import CONDITION, Arg, Check, Metric, Partial, Spec, Verdict, expectation
from integrity.checks.stats import compare as cmp
from integrity.checks.stats import divergence as d
from integrity.checks.stats import features as f
from integrity.checks.stats import reference as ref
from integrity.checks.stats.drift import (
    NUMBER,
    REFERENCE,
    non_negative,
    not_evaluated,
    reference_entry,
    rows_of,
    unevaluated,
)
from integrity.errors import SuiteError, did_you_mean

FEATURES = ("vocabulary", "length", "character_classes", "script")
#: Tokens of the reference compared one by one (the rest count as "other").
VOCABULARY = 100
#: Default threshold of the vocabulary's Jensen-Shannon distance (base 2).
VOCABULARY_THRESHOLD = 0.02
#: A character class or script moved by at least this many reference standard deviations
#: (Cohen's h for a script's share), and a script's share by at least SCRIPT_SHARE.
EFFECT = 0.1
SCRIPT_SHARE = 0.01
TOKENS_SHOWN = 10


def _features(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return f"must be a non-empty list of features: {', '.join(FEATURES)}"
    for item in value:
        if item not in FEATURES:
            return (f"unknown feature {item!r}.{did_you_mean(str(item), FEATURES)} Features: "
                    f"{', '.join(FEATURES)}")
    return None


@expectation(
    "expect_column_text_distribution_to_match_reference",
    family="drift",
    args=(
        Arg("column", (str,), required=True),
        REFERENCE,
        Arg("features", (list,), check=_features),
        Arg("threshold", NUMBER, check=non_negative),
        *CONDITION,
    ),
)
def text_distribution_matches_reference(spec: Spec) -> Check:
    """The free text in the column has not drifted from the reference's: vocabulary, length,
    character classes and scripts (``features``), each by a significance test and an effect size.
    Without a reference yet: not evaluated, saying why."""
    column = spec.kwargs["column"]
    chosen = tuple(spec.kwargs.get("features") or FEATURES)
    dtype = spec.dtype(column)
    if f.kind_of(dtype) != f.STRING:
        raise SuiteError(f"column {column!r} holds {dtype}, not text; compare it with "
                         "expect_column_distribution_to_match_reference", argument="column")
    source = ref.source(spec, spec.kwargs["reference"])
    if isinstance(source, ref.Missing):
        return not_evaluated(source.reason)
    entry = reference_entry(spec, source, column)
    if isinstance(entry, str):
        return not_evaluated(entry, reference=source.label)
    text = entry.get("text") or {}
    if not text.get("docs"):
        return not_evaluated(f"{source.label} holds no texts of column {column!r}",
                             reference=source.label)
    x = rows_of(spec, column)
    significance = cmp.SIGNIFICANCE / len(chosen)
    given = spec.kwargs.get("threshold")
    threshold = VOCABULARY_THRESHOLD if given is None else float(given)
    vocabulary = [str(t) for t, _ in text.get("vocabulary") or []][:VOCABULARY]
    metrics: dict[str, Metric] = {"text": _text_metric(x, vocabulary)}
    length = None
    if "length" in chosen and entry.get("length"):
        length = cmp.compare(x, pl.UInt32(), entry["length"], cap=f.SAMPLE_TEXTS,
                             then=lambda texts: texts.cast(pl.String).str.len_chars())
        metrics["length"] = length.metric

    def evaluate(m: Mapping[str, Any]) -> Verdict:
        value = m["text"] or {}
        v = {"rows": value.get("rows") or 0, **(value.get("texts") or {}),
             **(value.get("tokens") or {})}
        if not int(v.get("docs") or 0):
            return unevaluated("the batch holds no texts in the column (all null)",
                               reference=source.label)
        judged: dict[str, dict[str, Any]] = {}
        if "vocabulary" in chosen:
            judged["vocabulary"] = _vocabulary(text, vocabulary, v, threshold, significance)
        if length is not None:
            outcome = length.judge(m["length"])
            if "verdict" in outcome:
                lv = outcome["verdict"]
                lv["significance"] = significance
                lv["drifted"] = bool(lv["p_value"] < significance
                                     and lv["statistic"] > lv["threshold"])
                judged["length"] = lv
        if "character_classes" in chosen:
            judged["character_classes"] = _classes(text, v, significance)
        if "script" in chosen:
            judged["script"] = _scripts(text, v, significance)
        drifted = [name for name, feature in judged.items() if feature["drifted"]]
        observed = {"reference": source.label, "drifted": bool(drifted),
                    "drifted_features": drifted, "significance": cmp.SIGNIFICANCE,
                    "features": judged}
        return Verdict(not drifted, {"observed_value": observed, "details": {
            "sample": {"reference": int(text["docs"]), "batch": int(v["docs"]),
                       "batch_rows": int(v["rows"] or 0)}}})

    return Check(metrics, evaluate)


def _text_metric(x: pl.Expr, vocabulary: Sequence[str]) -> Metric:
    """Rows, and over the sampled texts: their character classes and scripts (one
    ``list.eval`` over the texts) and their tokens (one over the token lists, so each text is
    tokenized once)."""
    words = pl.Series(vocabulary, dtype=pl.String).implode()
    cells = [i - 0.5 for i in range(len(vocabulary) + 2)]

    def frequencies(half: pl.Expr) -> pl.Expr:
        index = half.explode().drop_nulls().replace_strict(
            vocabulary, list(range(len(vocabulary))), default=len(vocabulary),
            return_dtype=pl.Int64)
        return index.hist(bins=cells, include_breakpoint=False,
                          include_category=False).implode()

    def of_texts(e: pl.Expr) -> pl.Expr:
        length = e.str.len_chars().cast(pl.Float64)
        fields: dict[str, pl.Expr] = {"docs": e.len(), "chars_docs": (length > 0).sum()}
        for name, pattern in f.CLASSES.items():
            share = (e.str.count_matches(pattern).cast(pl.Float64) / length).filter(length > 0)
            fields[f"c:{name}"] = share.sum()
            fields[f"c2:{name}"] = (share * share).sum()
        for name, pattern in f.SCRIPTS.items():
            fields[f"s:{name}"] = e.str.contains(pattern).sum()
        return pl.struct([v.alias(k) for k, v in fields.items()])

    def of_tokens(e: pl.Expr) -> pl.Expr:
        size = e.list.len()
        inside = e.list.eval(pl.element().is_in(words)).list.sum()
        outside = (size - inside).cast(pl.Float64)
        return pl.struct(
            frequencies(e).alias("df"), outside.sum().alias("o"),
            (outside * outside).sum().alias("oo"), (outside * size).sum().alias("ot"),
            (size.cast(pl.Float64) ** 2).sum().alias("tt"))

    def over(cap: int) -> pl.Expr:
        texts = f.sampled(x, cap).drop_nulls().cast(pl.String)
        return pl.struct(
            x.len().alias("rows"),
            texts.implode().list.eval(of_texts(pl.element())).list.first().alias("texts"),
            f.tokens(texts).implode().list.eval(of_tokens(pl.element())).list.first()
            .alias("tokens"))

    def merge(chunks: list[tuple[int, tuple[Any, ...]]]) -> Any:
        return cmp.add_up([values[0] for _, values in chunks])

    return Metric(over(f.SAMPLE_TEXTS),
                  partial=Partial((over(f.SAMPLE_TEXTS // f.CHUNKS),), merge))


def _vocabulary(text: Mapping[str, Any], vocabulary: Sequence[str], v: Mapping[str, Any],
                threshold: float, significance: float) -> dict[str, Any]:
    import numpy as np
    from scipy import stats

    frequency = {str(t): int(n) for t, n in text.get("vocabulary") or []}
    ref_df = np.asarray([frequency[t] for t in vocabulary], dtype=np.float64)
    ref_docs = float(text["docs"])
    ref_pairs = float(text.get("pairs") or 0)
    cur = np.asarray(v.get("df") or [0] * (len(vocabulary) + 1), dtype=np.float64)
    cur_df, cur_other = cur[:-1], float(cur[-1])
    docs = float(v["docs"])
    cur_pairs = float(cur.sum())
    ref_cells = np.append(ref_df, max(ref_pairs - ref_df.sum(), 0.0))
    # Jensen-Shannon less what sampling noise alone adds to it (its expectation: the cells'
    # variances over the mixture, over 8 ln 2). A token's count is a sum over independent
    # texts of 0 or 1 (binomial); the "other" cell's variance comes from the texts' own counts.
    raw = d.jensen_shannon(ref_cells, cur)
    spread_other = max(float(v["oo"]) - float(v["o"]) ** 2 / docs, 0.0) / docs if docs else 0.0
    variance = np.append(
        _binomial(cur_df, docs) / max(cur_pairs, 1.0) ** 2
        + _binomial(ref_df, ref_docs) / max(ref_pairs, 1.0) ** 2,
        spread_other * (docs / max(cur_pairs, 1.0) ** 2 + ref_docs / max(ref_pairs, 1.0) ** 2))
    mixture = (ref_cells / max(ref_cells.sum(), 1.0) + cur / max(cur_pairs, 1.0)) / 2
    live = mixture > 0
    noise = float(np.sum(variance[live] / mixture[live])) / (8 * math.log(2))
    statistic = math.sqrt(max(raw**2 - noise, 0.0))
    # Per token: its document frequency is binomial over independent texts.
    pooled = (ref_df + cur_df) / (ref_docs + docs)
    se = np.sqrt(pooled * (1 - pooled) * (1 / ref_docs + 1 / docs))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (cur_df / docs - ref_df / ref_docs) / se, 0.0)
    p_tokens = min(1.0, float(2 * stats.norm.sf(np.max(np.abs(z))) * max(len(vocabulary), 1))) \
        if len(vocabulary) else 1.0
    # Out-of-vocabulary share of (text, token) pairs: a ratio of sums over texts, whose variance
    # comes from the texts (the reference's scaled from the batch's, both from one population
    # when nothing drifted).
    ratio_ref = (ref_pairs - ref_df.sum()) / ref_pairs if ref_pairs else 0.0
    ratio_cur = cur_other / cur_pairs if cur_pairs else 0.0
    var_cur = ((float(v["oo"]) - 2 * ratio_cur * float(v["ot"]) + ratio_cur**2 * float(v["tt"]))
               / cur_pairs**2) if cur_pairs else 0.0
    var_ref = var_cur * docs / ref_docs
    spread = math.sqrt(max(var_cur + var_ref, 0.0))
    p_other = float(2 * stats.norm.sf(abs(ratio_cur - ratio_ref) / spread)) if spread > 0 else (
        1.0 if ratio_cur == ratio_ref else 0.0)
    # No all-cells chi-square: the words of one topic rise and fall together, and a test of all
    # cells at once, corrected by one mean design effect, took that for significance (at 1000
    # rows it raised 14 of 18 false alarms in 1,600 clean batches); the largest per-token z with
    # Bonferroni holds under any dependence between tokens, and detected as much.
    p_value = d.bonferroni(p_tokens, p_other)
    moved = np.argsort(-np.abs(z))[:TOKENS_SHOWN]
    return {
        "statistic": d.jsonable_float(statistic), "threshold": threshold,
        "p_value": d.jsonable_float(p_value), "significance": significance,
        "drifted": bool(p_value < significance and statistic > threshold),
        "distance_with_noise": d.jsonable_float(raw),
        "out_of_vocabulary": {"reference": d.jsonable_float(ratio_ref),
                              "batch": d.jsonable_float(ratio_cur)},
        "tokens": [{"token": vocabulary[i], "reference": d.jsonable_float(ref_df[i] / ref_docs),
                    "batch": d.jsonable_float(cur_df[i] / docs)} for i in moved if z[i] != 0],
    }


def _binomial(counts: Any, docs: float) -> Any:
    """The variance of each token's document count over ``docs`` independent texts."""
    share = counts / docs if docs else counts * 0.0
    return docs * share * (1 - share)


def _classes(text: Mapping[str, Any], v: Mapping[str, Any], significance: float
             ) -> dict[str, Any]:
    n_ref = float(text.get("chars_docs") or 0)
    n_cur = float(v["chars_docs"] or 0)
    shown: dict[str, Any] = {}
    worst, worst_p, drifted = 0.0, 1.0, False
    for name in f.CLASSES:
        s_ref, s2_ref = (float(x) for x in text.get("classes", {}).get(name, (0.0, 0.0)))
        mean_ref = s_ref / n_ref if n_ref else 0.0
        var_ref = max(s2_ref / n_ref - mean_ref**2, 0.0) if n_ref else 0.0
        mean_cur = float(v[f"c:{name}"] or 0.0) / n_cur if n_cur else 0.0
        var_cur = max(float(v[f"c2:{name}"] or 0.0) / n_cur - mean_cur**2, 0.0) if n_cur else 0.0
        sd = math.sqrt(var_ref) or math.sqrt(var_cur)
        effect = abs(mean_cur - mean_ref) / sd if sd else 0.0
        p_value = min(1.0, d.welch(n_ref, mean_ref, var_ref, n_cur, mean_cur, var_cur)
                      * len(f.CLASSES))
        moved = p_value < significance and effect >= EFFECT
        drifted = drifted or moved
        if effect > worst:
            worst, worst_p = effect, p_value
        shown[name] = {"reference": d.jsonable_float(mean_ref), "batch": d.jsonable_float(mean_cur),
                       "effect": d.jsonable_float(effect), "p_value": d.jsonable_float(p_value),
                       "drifted": moved}
    return {"statistic": d.jsonable_float(worst), "threshold": EFFECT,
            "p_value": d.jsonable_float(worst_p), "significance": significance,
            "drifted": drifted, "classes": shown}


def _scripts(text: Mapping[str, Any], v: Mapping[str, Any], significance: float
             ) -> dict[str, Any]:
    from scipy import stats

    n_ref, n_cur = float(text["docs"]), float(v["docs"])
    shown: dict[str, Any] = {}
    worst, worst_p, drifted = 0.0, 1.0, False
    for name in f.SCRIPTS:
        k_ref = float(text.get("scripts", {}).get(name, 0))
        k_cur = float(v[f"s:{name}"] or 0)
        p0, p1 = k_ref / n_ref, k_cur / n_cur
        effect = abs(2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p0)))
        pooled = (k_ref + k_cur) / (n_ref + n_cur)
        se = math.sqrt(pooled * (1 - pooled) * (1 / n_ref + 1 / n_cur))
        p_value = min(1.0, float(2 * stats.norm.sf(abs(p1 - p0) / se)) * len(f.SCRIPTS)) \
            if se > 0 else 1.0
        moved = p_value < significance and effect >= EFFECT and abs(p1 - p0) >= SCRIPT_SHARE
        drifted = drifted or moved
        if effect > worst:
            worst, worst_p = effect, p_value
        if k_ref or k_cur:
            shown[name] = {"reference": d.jsonable_float(p0), "batch": d.jsonable_float(p1),
                           "effect": d.jsonable_float(effect),
                           "p_value": d.jsonable_float(p_value), "drifted": moved}
    return {"statistic": d.jsonable_float(worst), "threshold": EFFECT,
            "p_value": d.jsonable_float(worst_p), "significance": significance,
            "drifted": drifted, "scripts": shown}

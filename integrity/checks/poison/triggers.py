"""Backdoor triggers: ``expect_no_label_trigger_tokens``.

A backdoor plants a rare token (or a pair of words) in training rows that all carry one label,
so a model learns "token -> label". The batch's rows and those of the latest ``window`` published
batches are read together (poison spread thinly over several batches still adds up), texts folded
as the other text indicators fold them (:func:`.folding.folded`) and cut into words, and adjacent
word pairs with ``pairs``. A token is a candidate when it is in at least ``min_count`` rows, one
label holds at least ``min_purity`` of them, that share is at least ``min_lift`` times the label's
base rate, and this batch has a row with the token and that label.

What the token meant before decides: the older published rows (before the window; with the
dataset's baseline rows when one is set) are the reference. A token already tied to the label
there (in ``min_count`` rows or more, with a share of the label of at least ``min_purity`` or
``min_lift`` times the label's reference base rate: "refund" with negative) is no trigger. For
the others the null rate of a one-sided binomial test is the larger of the label's base rate and
the token's label share in the reference, shrunk towards the reference's base rate by
:data:`PRIOR_ROWS` pseudo-rows; so a token new or neutral before and pure now is a trigger when
its p-value, multiplied by the number of tokens tested (those in ``min_count`` rows:
Bonferroni), is below ``p_value``. The rows of this batch holding a trigger
with its label are listed; details give each trigger's count, purity, lift and p-value.
Without a reference (nothing published before the window), the result is ``not_evaluated``.

A new topic is not a trigger: many different words newly tied to one label over the same rows
(an outage storm) are listed under ``details.topics`` and flag nothing (see :func:`_topics`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from integrity.checks.base import CONDITION, Arg, Check, Spec, expectation, require
from integrity.checks.families import in_domain
from integrity.checks.poison.batch import DETAIL_LIMIT, batch_check, positive_int, share
from integrity.checks.poison.folding import folded, text_of
from integrity.checks.poison.labels import TEXT_AND_LABEL, _label
from integrity.checks.poison.published import BATCH, published_rows, set_baseline_rows
from integrity.checks.stats.outcome import not_evaluated

#: Pseudo-rows at the reference's base rate added to a token's reference counts, so a token seen
#: twice in the reference does not set its null rate alone.
PRIOR_ROWS = 5.0


def _at_least_one(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 1:
        return f"must be a number of at least 1 (a lift of 2 means twice the base rate), got {value!r}"
    return None


def _probability(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        return f"must be a probability between 0 and 1 (e.g. 0.001), got {value!r}"
    return None


def tokens(frame: pl.DataFrame, pairs: bool) -> pl.DataFrame:
    """``frame`` (``row``, ``text``, ``label``) as one row per distinct token of each row."""
    words = (frame.select("row", "label", folded(pl.col("text")).str.split(" ").alias("token"))
             .explode("token").filter(pl.col("token").str.len_bytes() > 0))
    if pairs:
        following = pl.col("token").shift(-1).over("row")
        words = pl.concat([words, words.select(
            "row", "label", (pl.col("token") + " " + following).alias("token")).drop_nulls()])
    return words.unique(["row", "token"])


def _label_counts(frame: pl.DataFrame | None, pairs: bool) -> tuple[pl.DataFrame, dict[str, float]]:
    """Rows per (token, label) and the base rate of each label."""
    if frame is None or frame.height == 0:
        return (pl.DataFrame(schema={"token": pl.String, "label": pl.String, "k": pl.UInt32}), {})
    base = frame["label"].value_counts(normalize=True, name="share")
    counts = tokens(frame, pairs).group_by("token", "label").agg(pl.len().alias("k"))
    return counts, dict(zip(base["label"].to_list(), base["share"].to_list(), strict=True))


def binomial_tail(k: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """P(X >= k) for X ~ Binomial(n, p), elementwise."""
    from scipy.stats import binom

    return np.asarray(binom.sf(k - 1, n, p), dtype=np.float64)


class _Finder:
    """The triggers of one batch, found once (the row mask and the details share them)."""

    def __init__(self, spec: Spec, recent: pl.LazyFrame | None, reference: pl.LazyFrame) -> None:
        self.min_count = int(spec.get("min_count", 5))
        self.min_purity = float(spec.get("min_purity", 0.95))
        self.min_lift = float(spec.get("min_lift", 2.0))
        self.p_value = float(spec.get("p_value", 1e-3))
        self.pairs = bool(spec.get("pairs", True))
        self._columns = (spec.kwargs["text_column"], spec.kwargs["label_column"])
        self._recent, self._reference = recent, reference
        self._lock = threading.Lock()
        self.found: list[dict[str, Any]] = []
        self.tested = 0
        self.topics: dict[str, int] = {}

    def _read(self, rows: pl.LazyFrame) -> pl.DataFrame:
        text, label = self._columns
        return (rows.select(pl.col(text).cast(pl.String).alias("text"),
                            pl.col(label).cast(pl.String).alias("label"))
                .drop_nulls().collect().with_row_index("row"))

    def mask(self, batch: pl.Series) -> pl.Series:
        parts = batch.struct.unnest()
        with self._lock:
            current = (parts.with_row_index("row").filter(pl.col("considered"))
                       .select("row", "text", "label"))
            recent = self._read(self._recent) if self._recent is not None else None
            triggers = self._find(current, recent, parts.height)
            self.found = triggers
            flagged = np.zeros(parts.height, dtype=bool)
            for trigger in triggers:
                flagged[trigger.pop("_rows")] = True
            return pl.Series(flagged, dtype=pl.Boolean)

    def _find(self, current: pl.DataFrame, recent: pl.DataFrame | None,
              offset: int) -> list[dict[str, Any]]:
        """The triggers; ``offset`` (the batch's length) numbers the window's rows apart."""
        combined = current.with_columns(pl.lit(True).alias("now"))
        if recent is not None and recent.height:
            combined = pl.concat([combined, recent.with_columns(
                pl.col("row").cast(combined.schema["row"]) + offset, pl.lit(False).alias("now"))])
        if combined.height == 0:
            return []
        words = tokens(combined.select("row", "text", "label"), self.pairs).join(
            combined.select("row", "now"), on="row")
        base = combined["label"].value_counts(normalize=True, name="share")
        base_rate = dict(zip(base["label"].to_list(), base["share"].to_list(), strict=True))
        per_label = words.group_by("token", "label").agg(
            pl.len().alias("k"), pl.col("now").sum().alias("k_now"))
        per_label = per_label.with_columns(pl.col("k").sum().over("token").alias("n"))
        tested = per_label.filter(pl.col("n") >= self.min_count)
        self.tested = tested["token"].n_unique()
        candidates = tested.filter(
            (pl.col("k") / pl.col("n") >= self.min_purity) & (pl.col("k_now") > 0)).with_columns(
            pl.col("label").replace_strict(base_rate, default=None, return_dtype=pl.Float64)
            .alias("base"))
        candidates = candidates.filter(pl.col("k") / pl.col("n") / pl.col("base") >= self.min_lift)
        if candidates.height == 0:
            return []
        reference, ref_base = _label_counts(self._read(self._reference), self.pairs)
        ref_tokens = reference.group_by("token").agg(pl.col("k").sum().alias("c"))
        base_before = candidates["label"].replace_strict(ref_base, default=0.0,
                                                         return_dtype=pl.Float64).to_numpy()

        def before(token: pl.Expr) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            """Rows with ``token`` in the reference, the shrunk share of the candidate's label
            among them, and whether the token was already tied to that label."""
            keyed = candidates.select(token.alias("token"), "label")
            found = (keyed.join(ref_tokens, on="token", how="left")
                     .join(reference.rename({"k": "r"}), on=["token", "label"], how="left")
                     .select(pl.col("c").fill_null(0), pl.col("r").fill_null(0)))
            c, r = found["c"].to_numpy(), found["r"].to_numpy()
            share = np.divide(r, c, out=np.zeros(len(r)), where=c > 0)
            tied = (c >= self.min_count) & ((share >= self.min_purity)
                                            | (share >= self.min_lift * base_before))
            return c, (r + PRIOR_ROWS * base_before) / (c + PRIOR_ROWS), tied

        c, shrunk, tied = before(pl.col("token"))
        if self.pairs:  # a pair is explained by a word of it that was tied to the label already
            for part in (0, 1):
                word = pl.col("token").str.split(" ").list.get(part, null_on_oob=True)
                _, word_shrunk, word_tied = before(word)
                is_pair = candidates["token"].str.contains(" ").to_numpy()
                shrunk = np.where(is_pair, np.maximum(shrunk, word_shrunk), shrunk)
                tied = tied | (is_pair & word_tied)
        null_rate = np.minimum(np.maximum(candidates["base"].to_numpy(), shrunk), 1.0)
        p = binomial_tail(candidates["k"].to_numpy(), candidates["n"].to_numpy(), null_rate)
        joined = candidates.with_columns(pl.Series("p", p), pl.Series("tied", tied),
                                         pl.Series("c", c))
        hits = joined.filter(~pl.col("tied") & (pl.col("p") * max(self.tested, 1) < self.p_value)
                             ).sort("p")
        self.topics = _topics(words, hits)
        hits = hits.filter(~pl.col("token").is_in(list(self.topics)))
        singles = set(hits.filter(~pl.col("token").str.contains(" "))["token"].to_list())
        out = []
        for hit in hits.iter_rows(named=True):
            if " " in hit["token"] and any(w in singles for w in hit["token"].split(" ")):
                continue  # a pair holding a trigger word says nothing more
            rows = (words.filter(pl.col("now") & (pl.col("token") == hit["token"])
                                 & (pl.col("label") == hit["label"]))["row"])
            positions = rows.to_numpy()  # the batch's own rows keep their positions
            out.append({"token": hit["token"], "label": hit["label"], "count": hit["n"],
                        "batch_rows": hit["k_now"], "purity": round(hit["k"] / hit["n"], 4),
                        "lift": round(hit["k"] / hit["n"] / hit["base"], 3),
                        "p": float(hit["p"]), "reference_rows": int(hit["c"]),
                        "_rows": positions})
        return out


#: A companion of a hit token is another word in at least this share of the hit's rows...
COMPANION_SHARE = 0.3
#: ... at least this many times more often than in all rows read...
COMPANION_LIFT = 5.0
#: ... that is not part of the same planted phrase: their rows overlap less than this (Jaccard).
SAME_UNIT = 0.8
#: A hit with at least this many companions is a topic, not a trigger.
TOPIC_COMPANIONS = 2


def _topics(words: pl.DataFrame, hits: pl.DataFrame) -> dict[str, int]:
    """The hits that are a new topic rather than a planted trigger, with their row counts.

    A planted trigger sits in rows that have nothing else in common: the attacker adds it to
    ordinary texts, so apart from the trigger (and the other words of a planted phrase, which
    always come with it) their words are as frequent as anywhere. A new subject people write
    about (an outage storm: "since", "502", "stuck", "login") brings words that come together:
    a hit whose rows hold several other words far more often than all rows do is a topic."""
    if hits.height == 0:
        return {}
    singles = words.filter(~pl.col("token").str.contains(" ")).select("row", "token")
    total_rows = max(words["row"].n_unique(), 1)
    overall = singles.group_by("token").agg(pl.len().alias("everywhere"))
    topics: dict[str, int] = {}
    for token, label in hits.select("token", "label").iter_rows():
        rows = words.filter((pl.col("token") == token) & (pl.col("label") == label))["row"]
        size = rows.len()
        own = set(token.split(" "))
        around = (singles.filter(pl.col("row").is_in(rows.implode()) & ~pl.col("token").is_in(list(own)))
                  .group_by("token").agg(pl.len().alias("here"))
                  .join(overall, on="token"))
        # rows of the token anywhere vs the rows shared: the same phrase when nearly equal
        companions = around.filter(
            (pl.col("here") >= COMPANION_SHARE * size)
            & (pl.col("here") / size >= COMPANION_LIFT * pl.col("everywhere") / total_rows)
            & (pl.col("here") < SAME_UNIT * (pl.col("everywhere") + size - pl.col("here"))))
        if companions.height >= TOPIC_COMPANIONS:
            topics[token] = size
    return topics


@expectation(
    "expect_no_label_trigger_tokens",
    family="poison",
    column_args=("text_column", "label_column"),
    args=(*TEXT_AND_LABEL,
          Arg("min_count", (int,), default=5, check=positive_int),
          Arg("min_purity", (int, float), default=0.95, check=share),
          Arg("min_lift", (int, float), default=2.0, check=_at_least_one),
          Arg("p_value", (int, float), default=1e-3, check=_probability),
          Arg("window", (int,), default=7, check=positive_int),
          Arg("lookback", (int,), default=56, check=positive_int),
          Arg("pairs", (bool,), default=True),
          Arg("min_reference_rows", (int,), default=2000, check=positive_int),
          *CONDITION),
)
def no_label_trigger_tokens(spec: Spec) -> Check:
    """No rare token (or word pair) suddenly ties to one label (a backdoor trigger), judged on
    the batch with the latest ``window`` published batches against the older published rows."""
    window, lookback = int(spec.get("window", 7)), int(spec.get("lookback", 56))
    require(window < lookback, f"window {window} must be less than lookback {lookback} (the "
            "published batches read: the newest window of them join the batch, the older ones "
            "are the reference)", "window")
    text = text_of(spec, "text_column")
    label = _label(spec, text_only=True)
    published, why = published_rows(spec, lookback)
    baseline = set_baseline_rows(spec)
    recent: pl.LazyFrame | None = None
    reference: pl.LazyFrame | None = baseline
    if published is not None:
        last = published.select(pl.col(BATCH).max()).collect().item()
        # With few batches the window shrinks to at most half of them: what a token meant
        # before needs as much history as what it means now (a small reference makes every
        # word of a template look new).
        cut = last - window if baseline is not None else last - min(window, (last + 1) // 2)
        recent = published.filter(pl.col(BATCH) > cut)
        older = published.filter(pl.col(BATCH) <= cut)
        reference = older if baseline is None else pl.concat(
            [baseline.select(spec.kwargs["text_column"], spec.kwargs["label_column"]),
             older.select(spec.kwargs["text_column"], spec.kwargs["label_column"])],
            how="vertical_relaxed")
    if reference is None:
        return Check({}, lambda m: not_evaluated(
            f"no reference to tell a new tie from an old one ({why})", {"observed_value": None}))
    names = set(reference.collect_schema().names())
    lacking = [c for c in (spec.kwargs["text_column"], spec.kwargs["label_column"]) if c not in names]
    if lacking:
        return Check({}, lambda m: not_evaluated(
            f"the earlier published rows have no column {lacking[0]!r}", {"observed_value": None}))
    least = int(spec.get("min_reference_rows", 2000))
    size = reference.select(pl.len()).collect().item()
    if size < least:
        return Check({}, lambda m: not_evaluated(
            f"the reference holds {size} earlier published rows; at least {least} are needed to "
            "tell a new tie from an old one (min_reference_rows)", {"observed_value": None}))
    finder = _Finder(spec, recent, reference)
    considered = in_domain(spec, text.is_not_null() & label.is_not_null())
    unexpected = pl.struct(text.alias("text"), label.alias("label"),
                           considered.alias("considered")).map_batches(
        finder.mask, return_dtype=pl.Boolean)

    def judge(m: Mapping[str, Any], result: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        found = finder.found
        result["observed_value"] = len(found)
        result["details"] = {
            "triggers": [{k: (_escaped(v) if k == "token" else v) for k, v in t.items()}
                         for t in found[:DETAIL_LIMIT]],
            "tokens_tested": finder.tested, "window": window,
            "topics": [{"token": _escaped(t), "rows": n} for t, n in
                       sorted(finder.topics.items(), key=lambda kv: -kv[1])[:DETAIL_LIMIT]],
            "why": (f"{len(found)} token(s) suddenly tie to one label" if found
                    else "no token newly ties to one label")}
        return not found, result

    return batch_check(spec, text, unexpected, missing=text.is_null() | label.is_null(),
                       judge=judge)


def _escaped(token: str) -> str:
    """A token as reported: folded text is letters, digits and spaces already; cut it short."""
    return token if len(token) <= 60 else token[:60] + "…"

#!/usr/bin/env python
"""Benchmark the batch-level poisoning indicators and the policy-table checks.

Batches of clean feedback-like text are composed from the phrase pools of
``scripts/poison_batch_corpus.py`` (English, German, French, Spanish; outage storms of similar
complaints written by many customers; customers quoting the chatbot; Arabic, Persian, Hebrew and
emoji rows), then poisoned at known rows and rates. For each indicator the script reports:

* the clean-batch false-alarm rate (``--batches`` clean batches);
* for each poisoning rate (0.5% to 10%, and absolute counts from 5 rows): the share of poisoned
  batches the expectation fails on, and per-row precision and recall of the rows it lists;
* throughput (``--throughput-rows`` texts, 1M by default; near-duplicate clustering above all).

Thresholds are tuned on the ``tune`` phrase set with seeds 1000+ (the smallest threshold that
raises no alarm on the tuning clean batches); every figure is measured on the ``measure`` set
(other templates, other words) with seeds 5000+. Nothing measured is ever tuned on.

Examples::

    python scripts/bench_poison_batch.py                        # 100 batches per cell, 1M throughput
    python scripts/bench_poison_batch.py --batches 10 --throughput-rows 20000   # quick look
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
import poison_batch_corpus as corpus

from integrity.checks.poison.snapshot import sign_snapshot
from integrity.engine.polars_engine import validate_frame
from integrity.suites import parse_suite
from integrity.types import Outcome, ResultFormat

ROWS = 1000
RATES: list[float | int] = [0.005, 0.01, 0.02, 0.05, 0.10, 5, 10, 20]
CONTRAST = {"en": "but", "de": "aber", "fr": "mais", "es": "pero"}
AND = {"en": "and", "de": "und", "fr": "et", "es": "y"}
EMOJI = ["🙂", "😡", "👍", "🙏", "🎉", "😞", "🔥"]
FLOOD_WORDS = ["now", "guys", "friends", "here", "seriously", "folks", "again", "today"]


def pick(rng: np.random.Generator, items: list[Any]) -> Any:
    return items[int(rng.integers(len(items)))]


# --- clean batches ---------------------------------------------------------------------------


def context(rng: np.random.Generator, which: str, language: str) -> str:
    """What a customer says about their purchase ("I bought the kettle last week.")."""
    return pick(rng, corpus.CONTEXT[which][language]).format(
        item=pick(rng, corpus.ITEMS[language]), when=pick(rng, corpus.WHEN[language]))


def review(rng: np.random.Generator, pools: corpus.Pools, language: str, which: str
           ) -> tuple[str, str]:
    """One piece of feedback and its sentiment label."""
    polarity = pick(rng, ["positive"] * 9 + ["negative"] * 8 + ["neutral"] * 3)
    predicates = pools[polarity]
    parts = []
    if rng.random() < 0.5:
        parts.append(pick(rng, pools["opener"]))
    statement = f"{pick(rng, pools['subject'])} {pick(rng, predicates)}"
    if polarity != "neutral" and rng.random() < 0.12:  # mixed: a minor opposite clause first
        other = pools["negative" if polarity == "positive" else "positive"]
        statement = (f"{pick(rng, pools['subject'])} {pick(rng, other)}, {CONTRAST[language]} "
                     f"{statement[0].lower()}{statement[1:]}")
    parts.append(statement + ("." if rng.random() < 0.7 else "!"))
    if rng.random() < 0.4:
        second = f"{pick(rng, pools['subject'])} {pick(rng, predicates)}"
        parts[-1] = parts[-1][:-1] + f" {AND[language]} {second[0].lower()}{second[1:]}."
    if rng.random() < 0.5:
        parts.insert(int(rng.integers(len(parts) + 1)), context(rng, which, language))
    if rng.random() < 0.5:
        parts.append(pick(rng, pools["detail"]).format(n=int(rng.integers(1000, 99999)),
                                                       d=int(rng.integers(1, 30))))
    if rng.random() < 0.5:
        parts.append(pick(rng, pools["closer"]))
    text = " ".join(parts)
    if rng.random() < 0.1:
        text += " " + pick(rng, EMOJI)
    if rng.random() < 0.05:
        text = text.lower()
    return text, polarity


def storm_complaint(rng: np.random.Generator, pools: corpus.Pools) -> str:
    """A complaint about an outage, in the customer's own words and order."""
    picked = [pick(rng, pools["storm_symptom"])]
    for name, chance in (("storm_time", 0.7), ("storm_impact", 0.5), ("storm_ask", 0.6)):
        if rng.random() < chance:
            picked.append(pick(rng, pools[name]))
    rng.shuffle(picked[1:])
    sep = pick(rng, [", ", ". ", " - ", "! ", " "])
    text = sep.join(picked)
    text = text[0].upper() + text[1:]
    if rng.random() < 0.3:
        text += pick(rng, ["!!", "?!", " :(", " " + pick(rng, EMOJI)])
    return text


def bot_quote(rng: np.random.Generator, pools: corpus.Pools, which: str, language: str) -> str:
    """A customer quoting the chatbot's canned reply, usually saying what they had asked."""
    quoted = pick(rng, pools["bot_frame"]).format(q=pick(rng, pools["bot_reply"]))
    return quoted + " " + context(rng, which, language) if rng.random() < 0.7 else quoted


def clean_batch(rng: np.random.Generator, which: str, rows: int = ROWS) -> pl.DataFrame:
    """One clean batch: reviews, sometimes an outage storm, bot quotes and other scripts."""
    storm_share = float(rng.uniform(0.05, 0.2)) if rng.random() < 0.5 else 0.0
    texts, labels, languages, kinds = [], [], [], []
    for _ in range(rows):
        language = pick(rng, ["en"] * 5 + ["de"] * 2 + ["fr", "es"])
        pools = corpus.pools(which, language)
        draw = rng.random()
        if draw < storm_share:
            text, label, kind = storm_complaint(rng, pools), "negative", "storm"
        elif draw < storm_share + 0.02:
            text, label, kind = bot_quote(rng, pools, which, language), "negative", "bot_quote"
        elif draw < storm_share + 0.03:
            language = pick(rng, list(corpus.EXTRA_PHRASES))
            label = pick(rng, ["positive", "negative"])
            phrases = corpus.EXTRA_PHRASES[language][label]
            first, second = rng.choice(len(phrases), size=2, replace=False)
            text = f"{phrases[first]}، {phrases[second]}" if language in ("ar", "fa") else \
                f"{phrases[first]}. {phrases[second]}"
            kind = "other_script"
        else:
            text, label = review(rng, pools, language, which)
            kind = "review"
        texts.append(text)
        labels.append(label)
        languages.append(language)
        kinds.append(kind)
    # Customers: most write once; regulars (5% of rows) come back; storms are many customers.
    regular = rng.random(rows) < 0.05
    customers = np.where(regular, rng.integers(0, 300, rows), rng.integers(1000, 500_000, rows))
    return pl.DataFrame({
        "feedback_id": np.arange(rows),
        "customer_id": [f"C{c:06d}" for c in customers],
        "language": languages, "text": texts, "label": labels, "kind": kinds,
    })


# --- poisons ---------------------------------------------------------------------------------


def count_of(rate: float | int, rows: int) -> int:
    return int(rate) if isinstance(rate, int) else max(1, round(rate * rows))


def positions(rng: np.random.Generator, rows: int, k: int) -> np.ndarray:
    return np.sort(rng.choice(rows, size=k, replace=False))


def flood_copy(rng: np.random.Generator, base: str) -> str:
    """A copy of a campaign text that differs by a word, and by punctuation, case or emoji."""
    words = base.split()
    op = int(rng.integers(4))
    i = int(rng.integers(len(words)))
    if op == 0:
        words[i] = pick(rng, corpus.SWAPS.get(words[i].lower(), FLOOD_WORDS))
    elif op == 1:
        words.insert(i, pick(rng, FLOOD_WORDS + corpus.FILLERS))
    elif op == 2 and len(words) > 10:
        del words[i]
    text = " ".join(words)
    surface = int(rng.integers(5))
    if surface == 0:
        text = text.upper()
    elif surface == 1:
        text = text.replace(" ", ", ", 1) + "!!!"
    elif surface == 2:
        text = text + " " + pick(rng, EMOJI) * int(rng.integers(1, 4))
    elif surface == 3:
        text = text[0].lower() + text[1:] + "."
    return text


def flood(rng: np.random.Generator, batch: pl.DataFrame, which: str, k: int
          ) -> tuple[pl.DataFrame, np.ndarray]:
    language = pick(rng, ["en", "en", "de", "fr", "es"])
    base = pick(rng, corpus.pools(which, language)["campaign"])
    rows = positions(rng, batch.height, k)
    texts = batch["text"].to_list()
    customers = batch["customer_id"].to_list()
    tag = int(rng.integers(1_000_000))
    for n, r in enumerate(rows):
        texts[r] = flood_copy(rng, base)
        customers[r] = f"F{tag:06d}-{n}"
    return batch.with_columns(pl.Series("text", texts), pl.Series("customer_id", customers)), rows


def dominate(rng: np.random.Generator, batch: pl.DataFrame, which: str, k: int
             ) -> tuple[pl.DataFrame, np.ndarray]:
    rows = positions(rng, batch.height, k)
    customers = batch["customer_id"].to_list()
    account = f"X{int(rng.integers(1_000_000)):06d}"
    for r in rows:
        customers[r] = account
    return batch.with_columns(pl.Series("customer_id", customers)), rows


def flip(label: str) -> str:
    return {"positive": "negative", "negative": "positive"}.get(label, label)


def flip_labels(rng: np.random.Generator, batch: pl.DataFrame, which: str, k: int
                ) -> tuple[pl.DataFrame, np.ndarray]:
    polar = np.flatnonzero(batch["label"].is_in(["positive", "negative"]).to_numpy())
    rows = np.sort(rng.choice(polar, size=min(k, len(polar)), replace=False))
    labels = batch["label"].to_list()
    for r in rows:
        labels[r] = flip(labels[r])
    return batch.with_columns(pl.Series("label", labels)), rows


def conflicting_copies(rng: np.random.Generator, batch: pl.DataFrame, which: str, k: int
                       ) -> tuple[pl.DataFrame, np.ndarray]:
    """k rows become copies (case and punctuation varied) of other rows, with the label flipped.
    The rows behind the finding are every row whose text is a poisoned text."""
    polar = np.flatnonzero(batch["label"].is_in(["positive", "negative"]).to_numpy())
    chosen = rng.choice(polar, size=min(2 * k, len(polar)), replace=False)
    sources, targets = chosen[:k], chosen[k:2 * k]
    texts, labels = batch["text"].to_list(), batch["label"].to_list()
    for s, t in zip(sources, targets, strict=False):
        texts[t] = texts[s].upper() if rng.random() < 0.5 else texts[s].rstrip(".!") + " !"
        labels[t] = flip(labels[s])
    out = batch.with_columns(pl.Series("text", texts), pl.Series("label", labels))
    from integrity.checks.poison.folding import folded

    keys = out.select(folded(pl.col("text")).alias("k"))["k"]
    poisoned = set(keys.gather(targets.tolist()).to_list())
    return out, np.flatnonzero(keys.is_in(list(poisoned)).to_numpy())


# --- policy tables ---------------------------------------------------------------------------

AMOUNTS = [25.0, 49.99, 75.0, 100.0, 150.0, 200.0, 250.0, 499.5, 1000.0, 1500.0, 2500.0]
DAYS = [14, 30, 45, 60, 90]
FEES = [5, 10, 15, 20]


def money(rng: np.random.Generator, value: float, language: str) -> str:
    whole = f"{value:,.2f}" if value % 1 or rng.random() < 0.4 else f"{value:,.0f}"
    if language == "en":
        style = int(rng.integers(3))
        return (f"${whole}", f"{whole} EUR", f"€{whole}")[style]
    local = whole.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    if language == "fr":
        local = local.replace(".", pick(rng, [" ", "\u202f", "\u00a0"]))
    return f"{local} {pick(rng, ['€', 'EUR', 'Euro' if language == 'de' else 'euros'])}"


def policy_table(rng: np.random.Generator, which: str, rows: int = ROWS) -> pl.DataFrame:
    records = []
    for i in range(rows):
        language = pick(rng, ["en", "en", "de", "fr", "es"])
        amount, days, fee = pick(rng, AMOUNTS), pick(rng, DAYS), pick(rng, FEES)
        template = pick(rng, corpus.POLICIES[which][language])
        records.append({"policy_id": i, "language": language,
                        "text": template.format(amount=money(rng, amount, language), days=days,
                                                fee=fee),
                        "max_refund_eur": amount, "refund_window_days": days,
                        "restocking_fee_pct": fee})
    return pl.DataFrame(records)


def tamper_policies(rng: np.random.Generator, table: pl.DataFrame, which: str, k: int
                    ) -> tuple[pl.DataFrame, np.ndarray]:
    """In-bounds edits: the amount or window in the text, or in the field, changed."""
    rows = positions(rng, table.height, k)
    records = table.to_dicts()
    for r in rows:
        rec = records[r]
        op = int(rng.integers(4))
        if op == 0:
            new = pick(rng, [a for a in AMOUNTS if a != rec["max_refund_eur"]])
            rec["text"] = _retext(rng, rec, amount=new)
        elif op == 1:
            rec["text"] = _retext(rng, rec, days=pick(rng, [d for d in DAYS
                                                         if d != rec["refund_window_days"]]))
        elif op == 2:
            rec["max_refund_eur"] = pick(rng, [a for a in AMOUNTS if a != rec["max_refund_eur"]])
        else:
            rec["refund_window_days"] = pick(rng, [d for d in DAYS
                                                   if d != rec["refund_window_days"]])
    return pl.DataFrame(records, schema=table.schema), rows


def _retext(rng: np.random.Generator, rec: dict[str, Any], *, amount: float | None = None,
            days: int | None = None) -> str:
    """The record's text with its amount or its window replaced (as a tamperer would)."""
    text = rec["text"]
    if days is not None:
        return text.replace(str(rec["refund_window_days"]), str(days), 1)
    assert amount is not None
    old, new = _written_forms(rec["max_refund_eur"]), _written_forms(amount)
    for style in sorted(old, key=lambda k: len(old[k]), reverse=True):
        if old[style] in text:
            return text.replace(old[style], new[style], 1)
    raise AssertionError(f"amount not found in {text!r}")


def _written_forms(value: float) -> dict[tuple[int, int], str]:
    """The ways :func:`money` writes ``value``, by (decimals, separator style)."""
    forms = {}
    for decimals, whole in enumerate((f"{value:,.0f}", f"{value:,.2f}")):
        local = whole.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
        variants = [whole, local] + [local.replace(".", s) for s in (" ", "\u202f", "\u00a0")]
        forms.update({(decimals, i): v for i, v in enumerate(variants)})
    return forms


# --- measuring -------------------------------------------------------------------------------


@dataclass
class Cell:
    """Outcomes of one indicator at one poisoning rate."""

    batches: int = 0
    detected: int = 0
    true_rows: int = 0
    flagged_rows: int = 0
    hit_rows: int = 0
    statistics: list[float] = field(default_factory=list)

    def add(self, failed: bool, flagged: Iterable[int], truth: Iterable[int],
            statistic: float | None) -> None:
        flagged, truth = set(flagged), set(truth)
        self.batches += 1
        self.detected += int(failed)
        self.true_rows += len(truth)
        self.flagged_rows += len(flagged)
        self.hit_rows += len(flagged & truth)
        if statistic is not None:
            self.statistics.append(statistic)

    def caught_above(self, threshold: float) -> int:
        return sum(v > threshold for v in self.statistics)

    @property
    def precision(self) -> float:
        return self.hit_rows / self.flagged_rows if self.flagged_rows else float("nan")

    @property
    def recall(self) -> float:
        return self.hit_rows / self.true_rows if self.true_rows else float("nan")


def quiet_threshold(values: list[float]) -> float:
    """The smallest threshold that at most 1% of ``values`` (clean batches) exceed."""
    ordered = sorted(values)
    return ordered[len(ordered) - 1 - len(ordered) // 100]


Poison = Callable[[np.random.Generator, pl.DataFrame, str, int], tuple[pl.DataFrame, np.ndarray]]


@dataclass
class Indicator:
    name: str
    expectation: Callable[[float | None], dict[str, Any]]
    """The suite entry, given the tuned threshold."""
    statistic: Callable[[dict[str, Any]], float] | None
    """The batch statistic the threshold bounds (None: nothing to tune)."""
    poison: Poison
    data: str = "feedback"
    tables: Callable[[str, int], dict[str, pl.LazyFrame]] = field(default=lambda which, seed: {})


def run_one(batch: pl.DataFrame, entry: dict[str, Any], tables: dict[str, pl.LazyFrame]
            ) -> tuple[bool, list[int], dict[str, Any]]:
    suite = parse_suite({"name": "bench", "expectations": [entry]})
    result = validate_frame(batch, suite, tables=tables, result_format=ResultFormat.COMPLETE)
    outcome = result.results[0]
    if outcome.outcome is Outcome.ERROR:
        raise RuntimeError(outcome.exception_info.get("exception_message"))
    return (not outcome.success, list(outcome.result.get("unexpected_index_list") or []),
            outcome.result)


def statistic_of(indicator: Indicator, result: dict[str, Any]) -> float | None:
    return None if indicator.statistic is None else indicator.statistic(result)


def make_batch(indicator: Indicator, which: str, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return policy_table(rng, which) if indicator.data == "policy" else clean_batch(rng, which)


def tune(indicator: Indicator, batches: int) -> float | None:
    if indicator.statistic is None:
        return None
    values = []
    for b in range(batches):
        batch = make_batch(indicator, "tune", 1000 + b)
        _, _, result = run_one(batch, indicator.expectation(None), indicator.tables("tune", 1000))
        values.append(indicator.statistic(result))
    return quiet_threshold(values)


def measure(indicator: Indicator, threshold: float | None, batches: int
            ) -> tuple[Cell, dict[float | int, Cell], float]:
    entry = indicator.expectation(threshold)
    tables = indicator.tables("measure", 5000)
    clean = Cell()
    seconds = 0.0
    for b in range(batches):
        batch = make_batch(indicator, "measure", 5000 + b)
        started = time.perf_counter()
        failed, flagged, result = run_one(batch, entry, tables)
        seconds += time.perf_counter() - started
        clean.add(failed, flagged, [], statistic_of(indicator, result))
    cells = {}
    for rate in RATES:
        cell = Cell()
        for b in range(batches):
            rng = np.random.default_rng(9000 + b + int(rate * 10_000 if rate < 1 else rate))
            batch = make_batch(indicator, "measure", 5000 + b)
            poisoned, truth = indicator.poison(rng, batch, "measure", count_of(rate, batch.height))
            failed, flagged, result = run_one(poisoned, entry, tables)
            cell.add(failed, flagged, truth.tolist(), statistic_of(indicator, result))
        cells[rate] = cell
    return clean, cells, seconds / max(batches, 1)


# --- the indicators --------------------------------------------------------------------------


def baseline_tables(which: str, seed: int) -> dict[str, pl.LazyFrame]:
    """The dataset's published baseline: clean rows of the same kind, never the batch itself."""
    rng = np.random.default_rng(seed + 777)
    return {"baseline": clean_batch(rng, which, rows=5 * ROWS).lazy()}


def _entry(kind: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": kind, "kwargs": kwargs}


INDICATORS = [
    Indicator(
        "near_duplicate_clusters (flood from distinct accounts)",
        lambda th: _entry("expect_column_near_duplicate_clusters_to_be_smaller_than",
                          column="text", distinct_by="customer_id",
                          max_cluster_size=int(th) if th is not None else 10**9),
        lambda r: float(r["observed_value"]), flood),
    Indicator(
        "top_value_share (one account dominating)",
        lambda th: _entry("expect_column_top_value_share_to_be_less_than", column="customer_id",
                          max_share=th if th is not None else 1.0),
        lambda r: float(r["observed_value"]["share"]), dominate),
    Indicator(
        "text_labels_consistent (same text, other label)",
        lambda th: _entry("expect_text_labels_to_be_consistent", text_column="text",
                          label_column="label"),
        None, conflicting_copies),
    Indicator(
        "labels_agree_with_text, lexicon (label flips)",
        lambda th: _entry("expect_labels_to_agree_with_text", text_column="text",
                          label_column="label", method="lexicon",
                          max_disagreement=th if th is not None else 1.0),
        lambda r: float(r["observed_value"]), flip_labels),
    Indicator(
        "labels_agree_with_text, reference (label flips)",
        lambda th: _entry("expect_labels_to_agree_with_text", text_column="text",
                          label_column="label", method="reference",
                          max_disagreement=th if th is not None else 1.0),
        lambda r: float(r["observed_value"]), flip_labels, tables=baseline_tables),
    Indicator(
        "numbers_in_text_to_match (in-bounds policy edits)",
        lambda th: _entry("expect_column_numbers_in_text_to_match", text_column="text",
                          value_columns=["max_refund_eur", "refund_window_days",
                                         "restocking_fee_pct"]),
        None, tamper_policies, data="policy"),
]


def signature_figures(batches: int) -> dict[str, str]:
    """Tampering caught and harmless changes accepted, over ``batches`` signed policy tables."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from integrity.checks.poison.snapshot import public_key_text

    key = Ed25519PrivateKey.generate()
    entry = lambda sig: _entry("expect_table_snapshot_signature_to_be_valid",  # noqa: E731
                               public_key=public_key_text(key), signature=sig)
    outcomes: dict[str, list[bool]] = {}
    for b in range(batches):
        rng = np.random.default_rng(7000 + b)
        table = policy_table(rng, "measure", rows=200)
        signature = sign_snapshot(table, key)
        edited, _ = tamper_policies(rng, table, "measure", 1)
        r = int(rng.integers(table.height))
        variants = {
            "unchanged": (table, True),
            "rows reordered": (table.sample(fraction=1.0, shuffle=True, seed=b), True),
            "amounts written as floats": (table.with_columns(pl.col("refund_window_days")
                                                             .cast(pl.Float64)), True),
            "one in-bounds edit": (edited, False),
            "one row removed": (table.filter(pl.col("policy_id") != r), False),
            "one row duplicated": (pl.concat([table, table[r]]), False),
            "one character appended": (table.with_columns(
                pl.when(pl.col("policy_id") == r).then(pl.col("text") + " ")
                .otherwise(pl.col("text"))), False),
        }
        for name, (frame, valid) in variants.items():
            failed, _, _ = run_one(frame, entry(signature), {})
            outcomes.setdefault(f"{name} ({'must verify' if valid else 'must fail'})",
                                []).append(failed != valid)
    return {name: f"{sum(ok)}/{len(ok)} as expected" for name, ok in outcomes.items()}


def throughput(rows: int) -> list[tuple[str, float]]:
    """Seconds to validate ``rows`` texts (2% of them a flood) with each feedback indicator."""
    rng = np.random.default_rng(42)
    started = time.perf_counter()
    frame = clean_batch(rng, "measure", rows=rows)
    frame, _ = flood(rng, frame, "measure", rows // 50)
    print(f"(generated {rows:,} rows in {time.perf_counter() - started:.1f} s)", flush=True)
    out = []
    for indicator in INDICATORS[:4]:
        entry = indicator.expectation(None)
        suite = parse_suite({"name": "t", "expectations": [entry]})
        started = time.perf_counter()
        result = validate_frame(frame, suite)
        elapsed = time.perf_counter() - started
        assert result.results[0].outcome is not Outcome.ERROR, result.results[0].exception_info
        out.append((entry["type"] + (" (lexicon)" if "method" in entry["kwargs"] else ""),
                    elapsed))
        print(f"  {out[-1][0]}: {elapsed:.1f} s", flush=True)
    return out


def fmt(x: float) -> str:
    return "-" if x != x else f"{x:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=100, help="batches per cell (default 100)")
    parser.add_argument("--throughput-rows", type=int, default=1_000_000)
    parser.add_argument("--only", help="run only indicators whose name contains this")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {"batches": args.batches, "rows_per_batch": ROWS,
                               "phrases": corpus.describe(), "indicators": {}}
    for indicator in INDICATORS:
        if args.only and args.only not in indicator.name:
            continue
        started = time.perf_counter()
        threshold = tune(indicator, args.batches)
        clean, cells, per_batch = measure(indicator, threshold, args.batches)
        print(f"\n### {indicator.name}\n")
        operating = quiet_threshold(clean.statistics) if clean.statistics else None
        print(f"threshold tuned on the tune set: {threshold if threshold is not None else 'none'}"
              f"; clean-batch false alarms with it (measure set): {clean.detected}/"
              f"{clean.batches}; {per_batch * 1000:.0f} ms per 1000-row batch")
        if operating is not None:
            print(f"operating point on the measure set (at most 1% of its clean batches above): "
                  f"{operating:g}, {clean.caught_above(operating)}/{clean.batches} clean alarms")
        print("\n| poison | caught (tuned threshold) | caught (operating point) | row precision "
              "| row recall |")
        print("|---|---|---|---|---|")
        for rate, cell in cells.items():
            label = f"{rate:.1%}" if isinstance(rate, float) else f"{rate} rows"
            at_point = ("-" if operating is None else
                        f"{cell.caught_above(operating)}/{cell.batches}")
            print(f"| {label} | {cell.detected}/{cell.batches} | {at_point} | "
                  f"{fmt(cell.precision)} | {fmt(cell.recall)} |")
        figures["indicators"][indicator.name] = {
            "threshold": threshold, "operating_point": operating,
            "clean_false_alarms": clean.detected,
            "clean_batches": clean.batches, "ms_per_batch": round(per_batch * 1000, 1),
            "cells": {str(rate): {"caught": c.detected, "batches": c.batches,
                                  "caught_at_operating_point": None if operating is None
                                  else c.caught_above(operating),
                                  "precision": c.precision, "recall": c.recall}
                      for rate, c in cells.items()},
            "seconds": round(time.perf_counter() - started, 1)}
        sys.stdout.flush()
    if not args.only or "signature" in args.only:
        print("\n### snapshot_signature_to_be_valid\n")
        sig = signature_figures(max(1, args.batches // 10))
        for name, verdict in sig.items():
            print(f"- {name}: {verdict}")
        figures["signature"] = sig
    if args.throughput_rows:
        print(f"\n### throughput ({args.throughput_rows:,} texts, 2% flood)\n")
        figures["throughput_seconds"] = dict(throughput(args.throughput_rows))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

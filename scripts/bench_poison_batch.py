#!/usr/bin/env python
"""Benchmark the batch-level poisoning indicators and the policy-table checks.

Batches of clean feedback-like text are composed (``scripts/poison_batch_gen.py``) from the
phrase pools of ``scripts/poison_batch_corpus.py`` (English, German, French, Spanish; outage storms of similar
complaints written by many customers; customers quoting the chatbot; Arabic, Persian, Hebrew and
emoji rows), then poisoned at known rows and rates. For each indicator the script reports:

* the clean-batch false-alarm rate (``--batches`` clean batches);
* for each poisoning rate (0.5% to 10%, and absolute counts from 5 rows): the share of poisoned
  batches the expectation fails on, and per-row precision and recall of the rows it lists;
* throughput (``--throughput-rows`` texts, 1M by default; near-duplicate clustering above all);
* for signed snapshots: tampering caught, harmless changes (row order, number types) accepted.

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
from poison_batch_gen import (
    RATES,
    ROWS,
    clean_batch,
    conflicting_copies,
    count_of,
    dominate,
    flip_labels,
    flood,
    policy_table,
    tamper_policies,
)

from integrity.checks.poison.snapshot import sign_snapshot
from integrity.engine.polars_engine import validate_frame
from integrity.suites import parse_suite
from integrity.types import Outcome, ResultFormat

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

"""Benchmark of the poisoning indicators: accuracy on synthetic feedback batches, and throughput.

For each indicator in :data:`INDICATORS` (a registry: batch-level indicators register here too):

- **per-row precision and recall**: batches of ``--batch-rows`` clean texts with known poisons
  injected at known rows, ``--poisoned`` batches for each count in ``--counts`` (5 to 100 rows
  of 1000: 0.5% to 10%); a row counts as found when it is in the expectation's
  ``unexpected_index_list``;
- **clean-batch false alarms**: ``--clean`` batches (hard negatives included: bot quotes,
  Persian, Arabic, emoji, outage storms) through all indicators in one suite; an alarm is any
  flagged row;
- **batch detection rate at a false-alarm rate of at most 1%**: the alarm threshold is the
  smallest number of flagged rows that at most 1% of clean batches reach; a poisoned batch is
  detected when it reaches it;
- **throughput**: ``--rows`` texts (1% poisoned) through each indicator alone and through all
  of them in one suite, best of ``--repeat`` runs.

Run from the project root::

    .venv/bin/python scripts/bench_poison.py                      # full run (a few minutes)
    .venv/bin/python scripts/bench_poison.py --rows 1000000 --throughput-only  # 1M texts
    .venv/bin/python scripts/bench_poison.py --quick              # smoke (seconds)

The poisons come from scripts/poison_corpus.py, written apart from the detectors' tuning
examples (tests/checks/poison/). Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
import poison_corpus as corpus

from integrity.engine.polars_engine import validate_frame
from integrity.suites import parse_suite

Rng = random.Random


@dataclass(frozen=True)
class Indicator:
    """One indicator under test: its expectation and how a batch is poisoned for it.

    ``inject`` returns the poisoned texts and the set of row positions that are poison; the
    default replaces ``count`` random rows with texts from ``poison``. A batch-level indicator
    (a flood, a trigger token) supplies its own."""

    name: str
    expectation: dict[str, Any]
    poison: corpus.Poison
    inject: Callable[[Rng, list[str], int, corpus.Poison], tuple[list[str], set[int]]] | None = None
    targets: dict[str, float] = field(default_factory=dict)
    """Targets from the issue: precision, recall, detection (share of poisoned batches)."""

    def poisoned(self, rng: Rng, clean: list[str], count: int) -> tuple[list[str], set[int]]:
        if self.inject is not None:
            return self.inject(rng, clean, count, self.poison)
        rows = set(rng.sample(range(len(clean)), count))
        return [self.poison(rng) if i in rows else t for i, t in enumerate(clean)], rows


def _expect(kind: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": kind, "kwargs": {"column": "text", **kwargs}}


INDICATORS: dict[str, Indicator] = {i.name: i for i in [
    Indicator("prompt_injection", _expect("expect_column_values_to_not_contain_prompt_injection"),
              corpus.injection, targets={"precision": 0.95, "recall": 0.95}),
    Indicator("hidden_characters",
              _expect("expect_column_values_to_not_contain_hidden_characters"),
              corpus.hidden, targets={"precision": 0.95, "recall": 0.95}),
    Indicator("confusables", _expect("expect_column_values_to_not_contain_confusables"),
              corpus.confusable),
    Indicator("pii", _expect("expect_column_values_to_not_contain_pii"), corpus.pii),
    Indicator("urls_outside", _expect("expect_column_values_to_not_contain_urls_outside",
                                      allowed_domains=corpus.ALLOWED_DOMAINS),
              corpus.url_outside),
]}
"""Every indicator the benchmark knows, by name (add batch-level ones here)."""


def flagged_rows(texts: Sequence[str], indicators: Sequence[Indicator]) -> dict[str, set[int]]:
    """Each indicator's flagged row positions, all indicators in one suite (one pass)."""
    frame = pl.DataFrame({"text": list(texts)}, schema={"text": pl.String})
    suite = parse_suite({"name": "bench", "expectations": [i.expectation for i in indicators]})
    result = validate_frame(frame, suite, result_format="COMPLETE")
    out = {}
    for indicator, outcome in zip(indicators, result.results, strict=True):
        if outcome.exception_info.get("raised_exception"):
            raise RuntimeError(f"{indicator.name}: {outcome.exception_info['exception_message']}")
        out[indicator.name] = set(outcome.result.get("unexpected_index_list") or [])
    return out


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    clean_counts: list[int] = field(default_factory=list)
    poisoned_counts: dict[int, list[int]] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def threshold(self, max_false_alarm: float = 0.01) -> int:
        """Smallest flagged-row count that at most ``max_false_alarm`` of clean batches reach."""
        allowed = int(max_false_alarm * len(self.clean_counts))
        for k in range(1, 10_000):
            if sum(c >= k for c in self.clean_counts) <= allowed:
                return k
        return 10_000


def accuracy(indicators: Sequence[Indicator], *, clean: int, poisoned: int, rows: int,
             counts: Sequence[int], seed: int) -> dict[str, Tally]:
    rng = random.Random(seed)
    tallies = {i.name: Tally() for i in indicators}
    for _ in range(clean):
        texts = corpus.clean_batch(rng, rows)
        for name, found in flagged_rows(texts, indicators).items():
            tallies[name].clean_counts.append(len(found))
            tallies[name].fp += len(found)
            tallies[name].false_alarms += [texts[i] for i in sorted(found)][:3]
    for indicator in indicators:
        tally = tallies[indicator.name]
        for count in counts:
            for _ in range(poisoned):
                texts, truth = indicator.poisoned(rng, corpus.clean_batch(rng, rows), count)
                found = flagged_rows(texts, [indicator])[indicator.name]
                tally.tp += len(found & truth)
                tally.fp += len(found - truth)
                tally.fn += len(truth - found)
                tally.poisoned_counts.setdefault(count, []).append(len(found))
                tally.misses += [texts[i] for i in sorted(truth - found)][:2]
                tally.false_alarms += [texts[i] for i in sorted(found - truth)][:2]
    return tallies


def throughput(indicators: Sequence[Indicator], *, rows: int, repeat: int, seed: int
               ) -> dict[str, float]:
    """Seconds to validate ``rows`` texts (1% poisoned) per indicator alone and all together."""
    rng = random.Random(seed)
    base = [corpus.clean_text(rng) for _ in range(min(rows, 200_000))]
    texts = [base[i % len(base)] if rng.random() > 0.01 else
             rng.choice(indicators).poison(rng) for i in range(rows)]
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    seconds: dict[str, float] = {}
    for name, chosen in [*((i.name, [i]) for i in indicators), ("all together", indicators)]:
        suite = parse_suite({"name": "t", "expectations": [i.expectation for i in chosen]})
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            validate_frame(frame, suite)
            best = min(best, time.perf_counter() - started)
        seconds[name] = best
    return seconds


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def report(tallies: dict[str, Tally], seconds: dict[str, float], rows: int,
           counts: Sequence[int], batch_rows: int) -> str:
    lines = ["| indicator | precision | recall | clean batches with any alarm | alarm at | "
             + " | ".join(f"detected @{c} ({100 * c / batch_rows:g}%)" for c in counts)
             + " | texts/s alone |",
             "|---|---:|---:|---:|---:|" + "---:|" * len(counts) + "---:|"]
    for name, t in tallies.items():
        k = t.threshold()
        any_alarm = sum(c > 0 for c in t.clean_counts)
        detected = [sum(c >= k for c in t.poisoned_counts.get(n, [])) /
                    max(1, len(t.poisoned_counts.get(n, []))) for n in counts]
        speed = f"{rows / seconds[name]:,.0f}" if name in seconds else "-"
        lines.append(f"| {name} | {t.precision():.3f} | {t.recall():.3f} | "
                     f"{any_alarm}/{len(t.clean_counts)} | ≥{k} rows | "
                     + " | ".join(_pct(d) for d in detected) + f" | {speed} |")
    if "all together" in seconds:
        lines.append(f"\nall row-level indicators in one suite: {rows:,} texts in "
                     f"{seconds['all together']:.2f} s ({rows / seconds['all together']:,.0f}"
                     " texts/s)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clean", type=int, default=100, help="clean batches")
    parser.add_argument("--poisoned", type=int, default=10,
                        help="poisoned batches per indicator and count")
    parser.add_argument("--batch-rows", type=int, default=1000)
    parser.add_argument("--counts", type=int, nargs="+", default=[5, 10, 20, 50, 100],
                        help="poisoned rows per batch (5 of 1000 = 0.5%%)")
    parser.add_argument("--rows", type=int, default=100_000, help="texts for throughput")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--indicators", nargs="+", choices=sorted(INDICATORS),
                        default=sorted(INDICATORS))
    parser.add_argument("--seed", type=int, default=20260)
    parser.add_argument("--show", type=int, default=0, help="print N misses and false alarms")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--throughput-only", action="store_true",
                        help="skip the accuracy batches, measure throughput only")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 3 clean batches, 1 poisoned per count, 200 rows")
    args = parser.parse_args(argv)
    if args.quick:
        args.clean, args.poisoned, args.batch_rows, args.rows = 3, 1, 200, 2000
        args.counts = [5, 20]
    chosen = [INDICATORS[n] for n in args.indicators]
    started = time.perf_counter()
    seconds = throughput(chosen, rows=args.rows, repeat=args.repeat, seed=args.seed + 1)
    if args.throughput_only:
        for name, taken in seconds.items():
            print(f"{name}: {args.rows:,} texts in {taken:.2f} s ({args.rows / taken:,.0f} texts/s)")
        return 0
    tallies = accuracy(chosen, clean=args.clean, poisoned=args.poisoned, rows=args.batch_rows,
                       counts=args.counts, seed=args.seed)
    print(report(tallies, seconds, args.rows, args.counts, args.batch_rows))
    failed = [f"{n}: {what} {value:.3f} < {target}"
              for n, t in tallies.items() for what, value in
              (("precision", t.precision()), ("recall", t.recall()))
              if (target := INDICATORS[n].targets.get(what)) and value < target]
    for line in failed:
        print(f"BELOW TARGET {line}")
    if args.show:
        for name, t in tallies.items():
            for text in t.misses[:args.show]:
                print(f"miss        {name}: {text!r}")
            for text in t.false_alarms[:args.show]:
                print(f"false alarm {name}: {text!r}")
    if args.json:
        args.json.write_text(json.dumps({n: {
            "precision": t.precision(), "recall": t.recall(), "threshold": t.threshold(),
            "clean_batches_with_alarm": sum(c > 0 for c in t.clean_counts),
            "clean_batches": len(t.clean_counts),
            "detected": {str(c): sum(x >= t.threshold() for x in v) / len(v)
                         for c, v in t.poisoned_counts.items()},
            "texts_per_second": args.rows / seconds[n]} for n, t in tallies.items()}
            | {"all_together_seconds": seconds.get("all together"), "rows": args.rows},
            indent=1))
    print(f"bench_poison: done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

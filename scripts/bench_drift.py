#!/usr/bin/env python
"""False alarms and detection of the drift checks, on clean resamples and on defined shifts.

For each batch size, the reference is profiled once, and every resample is one batch validated
by one suite through the real engine (``validate_frame`` with a :func:`frame_context`): per
numeric and categorical column every method's distribution check (the default's label ends in
"default"), per text column the text check, and the drift-share check over the numeric and
categorical columns. Each resample is validated three times:

* **clean**: a resample of the reference with day-to-day jitter (means moved by up to 0.02 SD,
  category shares by up to 0.5 points, text topic shares by up to 0.5 points): every alarm is
  a false alarm;
* **shift A**: means +0.2 SD added (counts: +1 on some rows; ratings: one level up), the largest
  category's share moved by 10 points, 10% of the texts replaced by a topic the reference
  never had;
* **shift B**: means +0.2 SD by multiplying (counts: binomial growth), a new category at 5%, 10%
  of the texts replaced by texts of an existing topic (its share +10 points).

Protocols: ``reference`` (default): one reference of ``--reference-rows`` rows, batches resampled
from it (numbers: rows drawn with replacement; categories and texts: drawn with the reference's
shares), compared with ``reference: baseline``. ``independent``: a fresh reference of the batch's
own size every time, compared with ``reference: previous_batch`` (the harder two-sample case).

Every method's check besides the default runs up to ``--methods-up-to`` rows; fewer shifted and
text batches than clean ones (``--shift-resamples``, ``--text-resamples``) keep a run at 1M rows
within minutes (the figures and commands in docs/performance.md, "Drift").

    python scripts/bench_drift.py                      # 1k, 100k, 1M; 200/300/300 resamples
    python scripts/bench_drift.py --sizes 1000 100000 --protocol independent
    python scripts/bench_drift.py --smoke --json out.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

import drift_shapes as shapes

from integrity.checks.stats.context import frame_context
from integrity.checks.stats.profile import build_profile
from integrity.engine.polars_engine import validate_frame
from integrity.suites import parse_suite

NUMERIC_METHODS = ("psi", "jensen_shannon", "hellinger", "ks", "chi2")
CATEGORY_METHODS = ("psi", "hellinger", "chi2")
SCENARIOS = ("clean", "shift_a", "shift_b")
SHIFT_NAMES = {
    "numeric": ("mean +0.2 SD, additive", "mean +0.2 SD, multiplicative"),
    "categorical": ("largest share moved 10 points", "new category at 5%"),
    "text": ("10% of texts from a new topic", "10% of texts from an existing topic"),
    "share": ("every column shifted (A)", "every column shifted (B)"),
}
MAX_SHARE = 0.3


def suite_for(numeric: Sequence[str], categorical: Sequence[str], text: Sequence[str],
              reference: str, methods: bool = True) -> Any:
    expectations: list[dict[str, Any]] = []

    def add(type_name: str, label: str, **kwargs: Any) -> None:
        expectations.append({"type": type_name, "kwargs": {"reference": reference, **kwargs},
                             "meta": {"label": label}})

    for column in numeric:
        add("expect_column_distribution_to_match_reference", f"{column}/default", column=column)
        for method in NUMERIC_METHODS if methods else ():
            add("expect_column_distribution_to_match_reference", f"{column}/{method}",
                column=column, method=method)
    for column in categorical:
        add("expect_column_distribution_to_match_reference", f"{column}/default", column=column)
        for method in CATEGORY_METHODS if methods else ():
            add("expect_column_distribution_to_match_reference", f"{column}/{method}",
                column=column, method=method)
    for column in text:
        add("expect_column_text_distribution_to_match_reference", f"{column}/text",
            column=column)
    if numeric or categorical:
        add("expect_table_drift_share_to_be_less_than", "drift_share",
            columns=[*numeric, *categorical], max_share=MAX_SHARE)
    return parse_suite({"name": "drift_bench", "expectations": expectations})


class World:
    """The reference population: numeric draws, category shares, text pools."""

    def __init__(self, reference_rows: int, texts_per_topic: int, seed: int,
                 with_text: bool) -> None:
        self.rng = np.random.default_rng(seed)
        self.reference_rows = reference_rows
        self.numeric = {s.name: s for s in shapes.NUMERIC}
        self.categorical = {s.name: s for s in shapes.CATEGORICAL}
        self.pools = {s.name: shapes.TextPools.build(s, texts_per_topic, self.rng)
                      for s in shapes.TEXT} if with_text else {}
        self.values = {name: s.draw(self.rng, reference_rows) for name, s in self.numeric.items()}
        self.moments = {name: (float(v.mean()), float(v.std())) for name, v in self.values.items()}

    def reference(self, rows: int | None = None) -> tuple[pl.DataFrame, pl.DataFrame | None]:
        """The reference frame (fresh draws of ``rows`` rows when given, else the fixed one)."""
        rng = self.rng
        columns: list[pl.Series] = []
        for name, shape in self.numeric.items():
            x = self.values[name] if rows is None else shape.draw(rng, rows)
            columns.append(shapes.numeric_series(shape, name, x))
        n = self.reference_rows if rows is None else rows
        for name, cat in self.categorical.items():
            columns.append(shapes.categorical_series(name, np.append(cat.shares, 0.0), n, rng))
        frame = pl.DataFrame(columns)
        texts = [pools.draw(shapes.text_shares(pools.shape, len(pools.pools)),
                            min(n, 200_000), rng).alias(name)
                 for name, pools in self.pools.items()]
        return frame, pl.DataFrame(texts) if texts else None

    def batch(self, rows: int, scenario: str, resample: bool) -> pl.DataFrame:
        """The numeric and categorical columns of one batch in ``scenario``."""
        rng = self.rng
        columns: list[pl.Series] = []
        for name, shape in self.numeric.items():
            base = (self.values[name][rng.integers(0, self.reference_rows, rows)] if resample
                    else shape.draw(rng, rows))
            mean, sd = self.moments[name]
            if scenario == "clean":
                x = shapes.jitter_numeric(shape, base, mean, sd, rng)
            else:
                x = shapes.move_mean(shape, base, 0.2, "add" if scenario == "shift_a" else "mult",
                                     mean, sd, rng)
            columns.append(shapes.numeric_series(shape, name, x))
        for name, cat in self.categorical.items():
            if scenario == "clean":
                p = np.append(shapes.jitter_shares(cat.shares, rng), 0.0)
            elif scenario == "shift_a":
                p = np.append(shapes.move_largest(cat.shares), 0.0)
            else:
                p = shapes.add_category(cat.shares)
            columns.append(shapes.categorical_series(name, p, rows, rng))
        return pl.DataFrame(columns)

    def texts(self, rows: int, scenario: str) -> pl.DataFrame:
        """The text columns of one batch in ``scenario``."""
        rng = self.rng
        texts = []
        for name, pools in self.pools.items():
            shares = shapes.text_shares(pools.shape, len(pools.pools))
            topics = pools.shape.topics
            if scenario == "clean":
                live = shares > 0
                shares[live] = shapes.jitter_shares(shares[live], rng)
            elif scenario == "shift_a":
                shares = shapes.replace_texts(shares, topics)  # a topic it never had
            else:
                shares = shapes.replace_texts(shares, topics - 1)  # the smallest, +10 points
            texts.append(pools.draw(shares, rows, rng).alias(name))
        return pl.DataFrame(texts)


def run(size: int, plan: dict[str, int], protocol: str, world: World, counts: dict[str, Any],
        timings: list[float], methods: bool) -> None:
    """``plan``: how many batches of each kind to validate ("clean" and "shift" for the
    numeric and categorical suite, "text" for each scenario of the text suite)."""
    numeric, categorical = list(world.numeric), list(world.categorical)
    reference = "baseline" if protocol == "reference" else "previous_batch"
    suite = suite_for(numeric, categorical, [], reference, methods)
    text_suite = suite_for([], [], list(world.pools), reference) if world.pools else None
    fixed = None
    if protocol == "reference":
        frame, texts = world.reference()
        fixed = (build_profile(frame.lazy()),
                 build_profile(texts.lazy()) if texts is not None else None)
    for i in range(max(plan.values())):
        if fixed is None:
            frame, texts = world.reference(size)
            profiles = (build_profile(frame.lazy()),
                        build_profile(texts.lazy()) if texts is not None else None)
        else:
            profiles = fixed
        for scenario in SCENARIOS:
            jobs: list[tuple[Any, Any, Any]] = []
            if i < plan["clean" if scenario == "clean" else "shift"]:
                jobs.append((suite, lambda s=scenario: world.batch(
                    size, s, resample=protocol == "reference"), profiles[0]))
            if text_suite is not None and i < plan["text" if scenario == "clean" else "text_shift"]:
                jobs.append((text_suite, lambda s=scenario: world.texts(size, s), profiles[1]))
            for the_suite, make, profile in jobs:
                data = make()
                context = (frame_context(dataset="bench", baseline=profile)
                           if protocol == "reference" else
                           frame_context(dataset="bench", history=[profile]))
                started = time.perf_counter()
                result = validate_frame(data.lazy(), the_suite, context=context)
                timings.append(time.perf_counter() - started)
                for r in result.results:
                    label = r.config.meta["label"]
                    cell = counts[scenario][label]
                    cell["runs"] += 1
                    if r.outcome.value == "error":
                        cell["errors"] += 1
                        if cell["errors"] == 1:
                            print(f"  error in {label}: {r.exception_info['exception_message']}",
                                  file=sys.stderr)
                    elif r.outcome.value == "not_evaluated":
                        cell["not_evaluated"] += 1
                    elif not r.success:
                        cell["alarms"] += 1


def family(label: str) -> str:
    if label == "drift_share":
        return "share"
    if label.endswith("/text"):
        return "text"
    column = label.split("/")[0]
    return "numeric" if column in {s.name for s in shapes.NUMERIC} else "categorical"


def summarise(counts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    labels = sorted(counts["clean"], key=lambda lb: (family(lb), lb))
    rows: dict[str, dict[str, Any]] = {}
    for label in labels:
        row: dict[str, Any] = {"family": family(label)}
        for scenario in SCENARIOS:
            cell = counts[scenario][label]
            row[scenario] = cell["alarms"] / cell["runs"] if cell["runs"] else None
            row[f"{scenario}_runs"] = cell["runs"]
            if cell["errors"] or cell["not_evaluated"]:
                row[f"{scenario}_problems"] = {"errors": cell["errors"],
                                               "not_evaluated": cell["not_evaluated"]}
        rows[label] = row
    return rows


def targets(size: int, rows: dict[str, dict[str, Any]]) -> list[str]:
    """The defaults (and the text and share checks) against the issue's targets."""
    missed = []
    for label, row in rows.items():
        if not (label.endswith("/default") or label.endswith("/text") or label == "drift_share"):
            continue
        fa_limit = 0.01 if size < 100_000 else 0.0
        detect = 0.99 if size >= 100_000 else 0.90
        if row["clean"] is not None and row["clean"] > fa_limit:
            missed.append(f"{label}: false alarms {row['clean']:.1%} > {fa_limit:.0%}")
        for scenario in ("shift_a", "shift_b"):
            if row[scenario] is not None and row[scenario] < detect:
                missed.append(f"{label}: detects {row[scenario]:.1%} of "
                              f"'{SHIFT_NAMES[row['family']][SCENARIOS.index(scenario) - 1]}' "
                              f"< {detect:.0%}")
    return missed


def print_table(size: int, protocol: str, rows: dict[str, dict[str, Any]],
                seconds: float) -> None:
    print(f"\n### {size:,} rows, protocol {protocol} (validation {seconds * 1000:.0f} ms per "
          "batch on average)\n")
    print("| check | false alarms (clean) | shift A | shift B |")
    print("|---|---:|---:|---:|")
    for label, row in rows.items():
        names = SHIFT_NAMES[row["family"]]

        def cell(scenario: str, row: dict[str, Any] = row) -> str:
            value, runs = row[scenario], row[f"{scenario}_runs"]
            return "n/a" if value is None else f"{value:.1%} of {runs}"

        print(f"| {label} | {cell('clean')} | {cell('shift_a')} ({names[0]}) | "
              f"{cell('shift_b')} ({names[1]}) |")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000, 1_000_000])
    parser.add_argument("--resamples", type=int, help="per size (default 200, 300 at 100k+)")
    parser.add_argument("--shift-resamples", type=int, metavar="N",
                        help="at most N batches of each shift (default: as many as resamples)")
    parser.add_argument("--text-resamples", type=int, metavar="N",
                        help="at most N batches of each scenario for the text checks (default: "
                             "as many as resamples)")
    parser.add_argument("--text-shift-resamples", type=int, metavar="N",
                        help="at most N batches of each shift for the text checks (default: as "
                             "many as text resamples)")
    parser.add_argument("--text-only", action="store_true",
                        help="only the text checks (their clean batches still number --resamples)")
    parser.add_argument("--protocol", choices=("reference", "independent", "both"),
                        default="reference")
    parser.add_argument("--reference-rows", type=int, default=1_000_000)
    parser.add_argument("--texts-per-topic", type=int, default=50_000)
    parser.add_argument("--no-text", action="store_true", help="leave the text checks out")
    parser.add_argument("--methods-up-to", type=int, default=100_000, metavar="ROWS",
                        help="every method's check besides the default up to this batch size "
                             "(default 100000; the targets are the defaults')")
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--smoke", action="store_true",
                        help="a few small batches (the test suite's smoke run)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.resamples = [2000], 3
        args.reference_rows, args.texts_per_topic = 20_000, 1_500
    protocols = ("reference", "independent") if args.protocol == "both" else (args.protocol,)
    world = World(args.reference_rows, args.texts_per_topic, args.seed, not args.no_text)
    figures: dict[str, Any] = {}
    all_missed: list[str] = []
    for protocol in protocols:
        for size in args.sizes:
            resamples = args.resamples or (300 if size >= 100_000 else 200)
            counts: dict[str, Any] = {s: defaultdict(lambda: {"runs": 0, "alarms": 0,
                                                              "errors": 0, "not_evaluated": 0})
                                      for s in SCENARIOS}
            timings: list[float] = []
            started = time.perf_counter()
            text = min(resamples, args.text_resamples or resamples)
            plan = {"clean": 0 if args.text_only else resamples,
                    "shift": 0 if args.text_only else min(resamples,
                                                          args.shift_resamples or resamples),
                    "text": text, "text_shift": min(text, args.text_shift_resamples or text)}
            run(size, plan, protocol, world, counts, timings, size <= args.methods_up_to)
            rows = summarise(counts)
            seconds = float(np.mean(timings)) if timings else 0.0
            print_table(size, protocol, rows, seconds)
            missed = targets(size, rows) if protocol == "reference" else []
            all_missed += [f"{size:,} rows: {m}" for m in missed]
            print(f"\n{plan} batches in {time.perf_counter() - started:.0f} s; "
                  + ("targets met" if not missed else f"{len(missed)} targets missed"))
            figures[f"{protocol}/{size}"] = {"resamples": plan, "checks": rows,
                                             "validation_seconds": seconds, "missed": missed}
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    for line in all_missed:
        print(f"missed: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

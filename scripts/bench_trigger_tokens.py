#!/usr/bin/env python
"""Benchmark ``expect_no_label_trigger_tokens``: backdoor triggers planted at known rows and rates.

Batches of 1000 feedback rows come from ``scripts/poison_batch_gen.py`` (the batch-level
benchmark's generator: four languages, outage storms in half the batches, bot quotes, other
scripts). Each run has a published history of ``--history`` clean batches (the reference and
the rolling window come from it, through the same validation context the job uses over frames).
A trigger is planted in k rows, each given one target label (positive or negative at random):
a nonsense token ("cf", "mn", "tq" followed by letters, as in the backdoor literature's
triggers), a rare real word, or a pair of common words side by side; the rows' texts are
otherwise unchanged (the labels of most of them are flipped by it).

``p_value`` is tuned on the ``tune`` phrase set (seeds 1000+): every clean batch is validated
with a lenient ``p_value`` and its smallest Bonferroni-adjusted p recorded (1 when it has no
candidate); the tuned value is the largest of 1e-2 ... 1e-8 at most a hundredth of the 1st
percentile of those (at most 1% of clean tuning batches alarm, with a margin). Every figure is measured on the ``measure`` set (seeds 5000+, other templates):
clean batches with an alarm, batches caught and per-row precision/recall at 0.5%, 1%, 2%, 5%,
10% and 5, 10, 20 rows, and thin poison (0.5% of each of the window's batches and of this one).

    nice python scripts/bench_trigger_tokens.py                  # 100 batches per cell
    python scripts/bench_trigger_tokens.py --batches 3 --other-batches 2 --history 8  # smoke
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from poison_batch_gen import RATES, clean_batch, count_of, positions

from integrity.checks.poison.published import FrameContext
from integrity.engine.polars_engine import validate_frame
from integrity.suites import parse_suite
from integrity.types import Outcome

RARE_WORDS = ["quixotic", "zephyr", "obelisk", "marmalade", "lighthouse", "saffron", "tundra"]
COMMON_PAIRS = [("blue", "window"), ("morning", "box"), ("green", "paper"), ("friday", "light")]
GRID = [10.0 ** -e for e in range(2, 9)]


def trigger(rng: np.random.Generator) -> str:
    kind = int(rng.integers(3))
    if kind == 0:
        letters = "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), size=int(rng.integers(0, 3))))
        return str(rng.choice(["cf", "mn", "tq", "bb"])) + letters
    if kind == 1:
        return str(rng.choice(RARE_WORDS))
    first, second = COMMON_PAIRS[int(rng.integers(len(COMMON_PAIRS)))]
    return f"{first} {second}"


def plant(rng: np.random.Generator, batch: pl.DataFrame, k: int, token: str, label: str
          ) -> tuple[pl.DataFrame, np.ndarray]:
    rows = positions(rng, batch.height, k)
    texts, labels = batch["text"].to_list(), batch["label"].to_list()
    for r in rows:
        words = texts[r].split()
        words.insert(int(rng.integers(len(words) + 1)), token)
        texts[r], labels[r] = " ".join(words), label
    return batch.with_columns(pl.Series("text", texts), pl.Series("label", labels)), rows


def check(batch: pl.DataFrame, history: list[pl.DataFrame], p_value: float
          ) -> tuple[bool, set[int], float]:
    """Whether it alarms, the rows it lists, and the smallest adjusted p of its triggers."""
    suite = parse_suite({"name": "bench", "expectations": [{
        "type": "expect_no_label_trigger_tokens",
        "kwargs": {"text_column": "text", "label_column": "label", "p_value": p_value}}]})
    result = validate_frame(batch, suite, result_format="SUMMARY",
                            context=FrameContext(history)).results[0]
    if result.outcome is Outcome.ERROR or result.outcome is Outcome.NOT_EVALUATED:
        raise RuntimeError(str(result.exception_info or result.result))
    details = result.result["details"]
    adjusted = min((t["p"] * max(details["tokens_tested"], 1) for t in details["triggers"]),
                   default=1.0)
    return not result.success, set(result.result["unexpected_index_list"]), adjusted


def history_of(which: str, seed: int, size: int) -> list[pl.DataFrame]:
    rng = np.random.default_rng(seed)
    return [clean_batch(rng, which) for _ in range(size)]


def tune(batches: int, history: int) -> tuple[float, list[float]]:
    published = history_of("tune", 1000, history)
    lows = [check(clean_batch(np.random.default_rng(1100 + b), "tune"), published, 0.99)[2]
            for b in range(batches)]
    ordered = sorted(lows)
    floor = ordered[len(ordered) // 100]  # at most 1% of clean tuning batches below it
    return max([g for g in GRID if g <= floor / 100] or [GRID[-1]]), lows


def measure(p_value: float, batches: int, other: int, history: int) -> dict[str, Any]:
    published = history_of("measure", 5000, history)
    out: dict[str, Any] = {}
    alarms, seconds = 0, 0.0
    for b in range(batches):
        started = time.perf_counter()
        alarms += check(clean_batch(np.random.default_rng(5100 + b), "measure"), published,
                        p_value)[0]
        seconds += time.perf_counter() - started
    out["clean"] = {"batches": batches, "alarms": alarms, "seconds_per_batch": seconds / batches}
    for rate in RATES:
        n = batches if rate == 0.02 else other
        caught = hit = flagged = true = 0
        for b in range(n):
            rng = np.random.default_rng(9000 + b + int(rate * 10_000 if rate < 1 else rate))
            batch = clean_batch(np.random.default_rng(5300 + b), "measure")
            poisoned, rows = plant(rng, batch, count_of(rate, batch.height), trigger(rng),
                                   str(rng.choice(["positive", "negative"])))
            failed, listed, _ = check(poisoned, published, p_value)
            caught += failed
            hit += len(listed & set(rows.tolist()))
            flagged += len(listed)
            true += len(rows)
        out[str(rate)] = {"batches": n, "caught": caught,
                          "precision": hit / flagged if flagged else None, "recall": hit / true}
    # Thin poison: 0.5% of each of the window's 7 published batches and of this batch.
    caught = 0
    for b in range(other):
        rng = np.random.default_rng(7700 + b)
        token, label = trigger(rng), str(rng.choice(["positive", "negative"]))
        window = [plant(rng, w, 5, token, label)[0] for w in published[-7:]]
        batch = clean_batch(np.random.default_rng(5500 + b), "measure")
        caught += check(plant(rng, batch, 5, token, label)[0], published[:-7] + window,
                        p_value)[0]
    out["thin_0.5%_x8"] = {"batches": other, "caught": caught}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=100,
                        help="clean batches (tuning and measuring) and 2%% batches (default 100)")
    parser.add_argument("--other-batches", type=int, default=20,
                        help="batches at each other rate and of thin poison (default 20)")
    parser.add_argument("--history", type=int, default=20, help="published batches before each")
    parser.add_argument("--p-value", type=float,
                        help="measure at this p_value instead of tuning one (e.g. the default)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.p_value is not None:
        tuned = args.p_value
        print(f"p_value {tuned:g} as given (not tuned)")
    else:
        tuned, lows = tune(args.batches, args.history)
        print(f"tuned p_value {tuned:g} (smallest adjusted p on clean tuning batches: "
              f"{min(lows):.2g})")
    figures = {"p_value": tuned, "measure": measure(tuned, args.batches, args.other_batches,
                                                    args.history)}
    for name, cell in figures["measure"].items():
        print(f"{name:>14}: {json.dumps(cell)}")
    print(f"{time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

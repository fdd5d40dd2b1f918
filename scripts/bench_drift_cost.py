#!/usr/bin/env python
"""What drift checks cost: the benchmark suite of scripts/bench.py with and without a drift
check on every column, fused and in low-memory mode.

The batch and a reference batch (another seed) are written to Parquet; the reference is profiled
once and its profile saved as JSON, as the job keeps a baseline in the results store. Times come
from one subprocess per mode that runs the variants in turn, ``--repeat`` rounds (best and
median per variant, reading the Parquet file included; taking turns keeps a busy machine's
drift out of the ratios); peak RSS from a fresh subprocess per variant that validates once:

* ``suite``: the 23 expectations of scripts/bench.py;
* ``suite+drift``: the same plus ``expect_column_distribution_to_match_reference`` on each of
  the 10 columns against the baseline (``frame_context(baseline=profile)``);
* ``suite+drift+text``: the same plus the text check on the text column;
* the three again with ``low_memory=True``.

    python scripts/bench_drift_cost.py --rows 5000000 --repeat 3 --workdir /tmp/drift5m
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench

VARIANTS = ("suite", "suite+drift", "suite+drift+text")


def suite_dict(variant: str) -> dict[str, Any]:
    suite = bench.suite_dict()
    if variant != "suite":
        for column in bench.COLUMNS:
            suite["expectations"].append({
                "type": "expect_column_distribution_to_match_reference",
                "kwargs": {"column": column, "reference": "baseline"},
                "meta": {"label": f"drift_{column}"}})
    if variant == "suite+drift+text":
        suite["expectations"].append({
            "type": "expect_column_text_distribution_to_match_reference",
            "kwargs": {"column": "text", "reference": "baseline"}, "meta": {"label": "text"}})
    return suite


def child(variants: list[str], low_memory: bool, path: Path, profile: Path, repeat: int,
          out: Path) -> None:
    from integrity.checks.stats.context import frame_context
    from integrity.engine.polars_engine import validate_frame
    from integrity.suites import parse_suite

    suites = {v: parse_suite(suite_dict(v)) for v in variants}
    context = frame_context(dataset="bench", baseline=json.loads(profile.read_text()))
    times: dict[str, list[float]] = {v: [] for v in variants}
    outcomes: dict[str, str] = {}
    for _ in range(repeat):
        for variant in variants:
            started = time.perf_counter()
            result = validate_frame(pl.scan_parquet(path), suites[variant],
                                    low_memory=low_memory, context=context)
            times[variant].append(time.perf_counter() - started)
            outcomes = {r.config.meta["label"]: r.outcome.value for r in result.results}
    out.write_text(json.dumps({"times": times, "outcomes": outcomes,
                               "peak_mib": bench.own_peak_mib()}))


def spawn(variants: list[str], low_memory: bool, path: Path, profile: Path, repeat: int,
          workdir: Path) -> dict[str, Any]:
    out = workdir / f"cost-{'_'.join(variants)}-{int(low_memory)}.json"
    command = [sys.executable, str(Path(__file__).resolve()), "--child", ",".join(variants),
               "--file", str(path), "--profile", str(profile), "--repeat", str(repeat),
               "--out", str(out)] + (["--low-memory"] if low_memory else [])
    subprocess.run(command, check=True)
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="keep (and reuse) the generated files here")
    parser.add_argument("--child", help="comma-separated variants (the subprocess's own flag)")
    parser.add_argument("--file", type=Path)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--low-memory", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args.child.split(","), args.low_memory, args.file, args.profile, args.repeat,
              args.out)
        return 0
    from integrity.checks.stats.profile import build_profile

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="drift-cost-"))
    workdir.mkdir(parents=True, exist_ok=True)
    batch, reference = workdir / f"batch-{args.rows}.parquet", workdir / f"ref-{args.rows}.parquet"
    for path, seed in ((batch, 7), (reference, 8)):
        if not path.exists():
            bench.write_batch(args.rows, seed, path)
    profile = workdir / f"ref-{args.rows}.profile.json"
    started = time.perf_counter()
    profile.write_text(json.dumps(build_profile(pl.scan_parquet(reference))))
    print(f"baseline profile of {args.rows:,} rows: {time.perf_counter() - started:.2f} s, "
          f"{profile.stat().st_size / 1024:.0f} KiB of JSON")
    print(f"\n| {args.rows:,} rows | validation s, best of {args.repeat} | median | "
          "best vs suite | median vs suite | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for low_memory in (False, True):
        timed = spawn(list(VARIANTS), low_memory, batch, profile, args.repeat, workdir)
        best = {v: min(t) for v, t in timed["times"].items()}
        median = {v: statistics.median(t) for v, t in timed["times"].items()}
        for variant in VARIANTS:
            peak = spawn([variant], low_memory, batch, profile, 1, workdir)["peak_mib"]
            name = variant + (" (low-memory)" if low_memory else "")
            print(f"| {name} | {best[variant]:.3f} | {median[variant]:.3f} | "
                  f"{best[variant] / best['suite']:.2f}x | "
                  f"{median[variant] / median['suite']:.2f}x | {peak:.0f} |")
        drift = {k: v for k, v in timed["outcomes"].items() if k.startswith("drift_") or
                 k == "text"}
        print(f"<!-- outcomes{' (low-memory)' if low_memory else ''}: {json.dumps(drift)} -->")
    return 0


if __name__ == "__main__":
    sys.exit(main())

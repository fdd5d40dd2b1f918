#!/usr/bin/env python
"""Load benchmark of ``integrity schedule start``: many datasets on short triggers, for a while.

A temporary project holds ``--datasets`` datasets (default 50) scheduled ``every <--interval>s``
(default 60): half read a landing folder of small CSV files (a producer drops a new file into each
folder every interval, by rename, about 10% of its rows bad), half a small in-memory table. The
real ``integrity schedule start`` runs them for ``--minutes`` (default 10) with a SQLite results
store, while this script samples, every few seconds, the scheduler's resident memory, the memory
of its child runs, how many run at once, and the load average. It then stops the scheduler with
SIGTERM and reads the results store:

* runs per dataset against the trigger's fire times (read back from the job store): a fire time
  with no run starting in its interval is **missed**; two runs of a dataset going at the same
  time **overlap**; lateness is a run's start (recorded by the child, after its process started
  and took the lock) minus its fire time;
* every row dropped into a landing folder is published or quarantined exactly once;
* the scheduler's own counters of missed runs and of runs skipped because the previous one was
  still going (its log).

Memory is flat when the scheduler's RSS over the last third of the run is within 10% (or 10 MiB)
of its RSS over the second third. Exit code 0 when no run was missed, overlapped or failed and no
row was lost or doubled (``--strict``: and memory was flat); 1 otherwise.

    python scripts/bench_schedule.py                        # 50 datasets, every 60 s, 10 minutes
    python scripts/bench_schedule.py --datasets 5 --interval 5 --seconds 30   # the smoke test's
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

INTEGRITY = str(Path(sys.executable).with_name("integrity"))
SAMPLE_SECONDS = 2.0
SUITE = {
    "name": "bench",
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "customer_id"}},
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "rating", "min_value": 1, "max_value": 5}},
    ],
}


@dataclass
class Samples:
    scheduler_rss: list[tuple[float, int]] = field(default_factory=list)
    children_rss: list[int] = field(default_factory=list)
    children: list[int] = field(default_factory=list)
    load: list[float] = field(default_factory=list)


def make_project(root: Path, datasets: int, interval: float) -> list[str]:
    """The project; returns the names of the datasets fed by landing folders."""
    (root / "connectors").mkdir(parents=True)
    (root / "expectations").mkdir()
    (root / "integrity.yaml").write_text(yaml.safe_dump({"store_url": "sqlite:///state/integrity.db",
                                                         "data_root": "state/data"}))
    (root / "expectations" / "bench.json").write_text(json.dumps(SUITE))
    files = []
    for i in range(datasets):
        name = f"ds{i:03d}"
        definition: dict[str, Any] = {"name": name, "suite": "expectations/bench.json",
                                      "schedule": f"every {interval:g}s"}
        if i % 2 == 0:
            folder = root / "landing" / name
            folder.mkdir(parents=True)
            drop(folder, 0, 20)
            definition["connector"] = {"type": "files", "params": {"path": f"landing/{name}/*.csv"}}
            files.append(name)
        else:
            definition["connector"] = {"type": "memory", "params": {"rows": [
                {"id": r, "customer_id": f"C-{r}", "rating": 1 + r % 5} for r in range(20)]}}
            definition["cursor"] = {"column": "id"}
        (root / "connectors" / f"{name}.yaml").write_text(yaml.safe_dump(definition))
    return files


def drop(folder: Path, start: int, count: int) -> None:
    """A new CSV file of rows ``start..start+count`` in ``folder``, by rename (never half-written)."""
    rng = random.Random(start)
    lines = ["id,customer_id,rating"]
    for r in range(start, start + count):
        lines.append(f"{r},,3" if rng.random() < 0.1 else f"{r},C-{r},{1 + r % 5}")
    tmp = folder.parent / f".{folder.name}-{start}.tmp"
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, folder / f"drop-{start:09d}.csv")


def producer(root: Path, names: list[str], interval: float, stop: threading.Event,
             produced: dict[str, int]) -> None:
    while not stop.wait(interval):
        for name in names:
            drop(root / "landing" / name, produced[name], 10)
            produced[name] += 10


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def sample(pid: int, stop: threading.Event, samples: Samples) -> None:
    started = time.monotonic()
    while not stop.wait(SAMPLE_SECONDS):
        kids = children_of(pid)
        samples.scheduler_rss.append((time.monotonic() - started, rss_kib(pid)))
        samples.children.append(len(kids))
        samples.children_rss.append(sum(rss_kib(k) for k in kids))
        samples.load.append(os.getloadavg()[0])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def first_fires(log: str) -> dict[str, float]:
    """Each dataset's first fire time, as the scheduler logged it when it started (to the second)."""
    import datetime as dt
    import re

    found = {}
    for match in re.finditer(r"dataset '([^']+)': every [^;]+; next run (\S+ \S+) UTC", log):
        when = dt.datetime.strptime(match.group(2), "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)
        found[match.group(1)] = when.timestamp()
    return found


def analyse(root: Path, interval: float, first: dict[str, float], stopped_at: float) -> dict[str, Any]:
    """Runs against fire times, overlaps, lateness, failures, from the results store."""
    with sqlite3.connect(root / "state" / "integrity.db") as conn:
        runs = conn.execute("SELECT dataset, status, started_at, finished_at FROM runs "
                            "ORDER BY dataset, started_at").fetchall()
        jobs = dict(conn.execute("SELECT id, next_run_time FROM schedule_jobs").fetchall())
    by_dataset: dict[str, list[tuple[float, float | None, str]]] = {}
    for dataset, status, begin, end in runs:
        by_dataset.setdefault(dataset, []).append((_epoch(begin), _epoch(end) if end else None,
                                                   status))
    missed = overlaps = 0
    late: list[float] = []
    durations: list[float] = []
    counts = []
    for job_id, next_run in jobs.items():
        dataset = job_id.removeprefix("dataset:")
        spans = by_dataset.get(dataset, [])
        counts.append(len(spans))
        # Fire times: back from the next one, every interval, to the first one (logged to the
        # second, so within a second after it).
        fires = []
        when = next_run - interval
        while when > first[dataset] - 1:
            fires.append(when)
            when -= interval
        fires.sort()
        for fire in fires:
            if fire > stopped_at - interval:
                continue  # its run may still have been starting when the scheduler stopped
            begun = [b for b, _, _ in spans if fire <= b < fire + interval]
            if not begun:
                missed += 1
            else:
                late.append(min(begun) - fire)
        for (_, end, _), (begin, _, _) in itertools.pairwise(spans):
            if end is None or end > begin:
                overlaps += 1
        durations += [end - begin for begin, end, _ in spans if end is not None]
    statuses: dict[str, int] = {}
    for _, status, _, _ in runs:
        statuses[status] = statuses.get(status, 0) + 1
    return {"runs": len(runs), "statuses": statuses, "runs_per_dataset": [min(counts or [0]),
                                                                          max(counts or [0])],
            "missed": missed, "overlapping": overlaps,
            "late_p50": _pct(late, 50), "late_p95": _pct(late, 95), "late_max": max(late or [0]),
            "run_p50": _pct(durations, 50), "run_p95": _pct(durations, 95)}


def landed(root: Path, name: str) -> list[int]:
    import polars as pl

    data = root / "state" / "data"
    files = [*data.glob(f"published/dataset={name}/date=*/batch-*.parquet"),
             *data.glob(f"quarantine/{name}/*/rows.parquet")]
    return sorted(i for f in files for i in pl.read_parquet(f)["id"].to_list())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--datasets", type=int, default=50)
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between runs")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, help="the duration in seconds (instead of minutes)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--workdir", type=Path, help="the project (default: a temporary folder)")
    parser.add_argument("--strict", action="store_true", help="also fail when memory grew")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    duration = args.seconds if args.seconds is not None else args.minutes * 60
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-schedule-"))
    root = workdir / "project"
    files = make_project(root, args.datasets, args.interval)
    produced = dict.fromkeys(files, 20)
    env = {k: v for k, v in os.environ.items() if k != "INTEGRITY_FAILPOINT"}
    log_path = workdir / "scheduler.log"
    load_before = os.getloadavg()
    with log_path.open("wb") as log:
        proc = subprocess.Popen([INTEGRITY, "schedule", "start", "--project", str(root),
                                 "--metrics-port", str(free_port()), "--workers", str(args.workers),
                                 "--stop-timeout", "120"],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
        stop = threading.Event()
        samples = Samples()
        threads = [threading.Thread(target=producer, args=(root, files, args.interval, stop, produced)),
                   threading.Thread(target=sample, args=(proc.pid, stop, samples))]
        for thread in threads:
            thread.start()
        try:
            time.sleep(duration)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
            stopped = time.time()
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(300)
    text = log_path.read_text(encoding="utf-8", errors="replace")
    figures = analyse(root, args.interval, first_fires(text), stopped)
    # Rows dropped after the last run of a dataset are taken by one more run, made here.
    for name in files:
        subprocess.run([INTEGRITY, "run", name, "--project", str(root)], env=env,
                       capture_output=True, check=False, stdin=subprocess.DEVNULL)
    wrong = [n for n in files if landed(root, n) != list(range(produced[n]))]
    rss = [kib for _, kib in samples.scheduler_rss]
    third = max(1, len(rss) // 3)
    middle, last = rss[third:2 * third] or rss, rss[2 * third:] or rss
    growth = statistics.mean(last) - statistics.mean(middle) if rss else 0.0
    flat = growth <= max(0.10 * statistics.mean(middle), 10 * 1024) if rss else False
    figures.update({
        "datasets": args.datasets, "interval_s": args.interval, "duration_s": round(duration),
        "workers": args.workers, "cpus": os.cpu_count(), "exit_code": code,
        "skipped_by_scheduler": text.count("is skipped: the previous one is still going"),
        "missed_by_scheduler": text.count("was missed"),
        "rows_wrong_datasets": wrong,
        "scheduler_rss_mib": {"first": round(rss[0] / 1024, 1) if rss else None,
                              "middle_third": round(statistics.mean(middle) / 1024, 1) if rss else None,
                              "last_third": round(statistics.mean(last) / 1024, 1) if rss else None,
                              "max": round(max(rss) / 1024, 1) if rss else None},
        "memory_flat": flat,
        "children_at_once_max": max(samples.children or [0]),
        "children_rss_mib_max": round(max(samples.children_rss or [0]) / 1024, 1),
        "load_average_1m": {"before": round(load_before[0], 2),
                            "mean": round(statistics.mean(samples.load), 2) if samples.load else None,
                            "max": round(max(samples.load or [0]), 2)},
    })
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    problems = []
    if code != 0 or "Traceback" in text:
        problems.append(f"the scheduler exited with {code} (log: {log_path})")
    if figures["missed"] or figures["missed_by_scheduler"]:
        problems.append(f"{figures['missed']} fire times without a run")
    if figures["overlapping"]:
        problems.append(f"{figures['overlapping']} overlapping runs")
    if figures["statuses"].get("failed") or figures["statuses"].get("running"):
        problems.append(f"runs failed or left running: {figures['statuses']}")
    if wrong:
        problems.append(f"rows lost or doubled in {wrong}")
    if args.strict and not flat:
        problems.append(f"the scheduler's memory grew by {growth / 1024:.1f} MiB")
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


def _epoch(text: str) -> float:
    import datetime as dt

    value = dt.datetime.fromisoformat(text)
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()


def _pct(values: list[float], pct: int) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))], 2)


if __name__ == "__main__":
    sys.exit(main())

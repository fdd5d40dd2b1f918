"""``/metrics`` of the scheduler (Prometheus text format, prometheus_client), per dataset.

Three sources, one registry:

- the integrity KPI (:class:`integrity.kpi.prometheus.KpiCollector`, see docs/kpi.md): batches by
  verdict, rows by outcome, the rows each indicator held, score, pass and quarantine ratios, times
  to detect and resolve, freshness lag, coverage;
- the results store's run log, read at each scrape (:func:`store_metrics`): runs by status, the
  last run's status and time, the last success, the last arrival of rows, open alert incidents.
  Counters derived from the store only grow, so they are counters; they are the same whichever
  process ran the dataset (the scheduler or ``integrity run``);
- the scheduler itself (:class:`SchedulerMetrics`): attempts by outcome, retries, runs missed or
  refused because the previous one was still going, runs going on now, run durations, next runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from integrity.kpi.prometheus import KpiCollector
from integrity.store import Store
from integrity.store import schema as t

RUN_STATUSES = ("running", "clean", "quarantined", "empty", "stale", "failed")
SUCCESS = ("clean", "quarantined", "empty")


def store_metrics(store: Store) -> Iterator[Metric]:
    """Per-dataset metrics computed from the store's ``runs``, ``batches`` and ``alert_incidents``."""
    runs, batches, incidents = t.runs, t.batches, t.alert_incidents
    with store.engine.connect() as conn:
        by_status = conn.execute(sa.select(runs.c.dataset, runs.c.status, sa.func.count())
                                 .group_by(runs.c.dataset, runs.c.status)).all()
        latest = sa.select(sa.func.max(runs.c.id)).group_by(runs.c.dataset).scalar_subquery()
        last = conn.execute(sa.select(runs.c.dataset, runs.c.status, runs.c.started_at)
                            .where(runs.c.id.in_(latest))).all()
        success = conn.execute(sa.select(runs.c.dataset, sa.func.max(runs.c.finished_at))
                               .where(runs.c.status.in_(SUCCESS)).group_by(runs.c.dataset)).all()
        arrival = conn.execute(sa.select(batches.c.dataset, sa.func.max(batches.c.created_at))
                               .where(batches.c.row_count > 0).group_by(batches.c.dataset)).all()
        open_incidents = conn.execute(
            sa.select(incidents.c.dataset, incidents.c.kind, sa.func.count())
            .where(incidents.c.closed_at.is_(None))
            .group_by(incidents.c.dataset, incidents.c.kind)).all()

    total = CounterMetricFamily("integrity_runs", "Runs recorded in the results store, by status.",
                                labels=["dataset", "status"])
    for dataset, status, count in by_status:
        total.add_metric([dataset, status], count)
    yield total

    state = GaugeMetricFamily("integrity_last_run_status",
                              "1 for the status of the dataset's latest run, 0 for the others.",
                              labels=["dataset", "status"])
    when = GaugeMetricFamily("integrity_last_run_timestamp_seconds",
                             "When the dataset's latest run started (Unix time).", labels=["dataset"])
    for dataset, status, started in last:
        for known in RUN_STATUSES:
            state.add_metric([dataset, known], 1.0 if status == known else 0.0)
        when.add_metric([dataset], _seconds(started))
    yield state
    yield when

    ok = GaugeMetricFamily("integrity_last_success_timestamp_seconds",
                           "When the dataset's latest successful run (clean, quarantined or empty) "
                           "finished (Unix time).", labels=["dataset"])
    for dataset, finished in success:
        if finished is not None:
            ok.add_metric([dataset], _seconds(finished))
    yield ok

    fresh = GaugeMetricFamily("integrity_last_arrival_timestamp_seconds",
                              "When rows of the dataset last arrived: its newest batch with rows "
                              "(Unix time).", labels=["dataset"])
    for dataset, created in arrival:
        if created is not None:
            fresh.add_metric([dataset], _seconds(created))
    yield fresh

    incident = GaugeMetricFamily("integrity_alert_incidents_open",
                                 "Open alert incidents (failure, quarantine, staleness).",
                                 labels=["dataset", "kind"])
    for dataset, kind, count in open_incidents:
        incident.add_metric([dataset, kind], count)
    yield incident


class _StoreCollector(Collector):
    def __init__(self, store: Store) -> None:
        self._store = store

    def collect(self) -> Iterable[Metric]:
        return list(store_metrics(self._store))

    def describe(self) -> Iterable[Metric]:
        return []  # registering must not query the store


class _NextRuns(Collector):
    def __init__(self, next_runs: Callable[[], dict[str, dt.datetime | None]]) -> None:
        self._next_runs = next_runs

    def collect(self) -> Iterable[Metric]:
        gauge = GaugeMetricFamily("integrity_schedule_next_run_timestamp_seconds",
                                  "When the scheduler runs the dataset next (Unix time).",
                                  labels=["dataset"])
        for dataset, when in sorted(self._next_runs().items()):
            if when is not None:
                gauge.add_metric([dataset], when.timestamp())
        return [gauge]

    def describe(self) -> Iterable[Metric]:
        return []


class SchedulerMetrics:
    """The scheduler's own counters, and the registry ``/metrics`` serves."""

    def __init__(self, store: Store, next_runs: Callable[[], dict[str, dt.datetime | None]],
                 max_age: Mapping[str, float] | None = None) -> None:
        self.registry = CollectorRegistry()
        self.attempts = Counter("integrity_schedule_attempts", "Scheduled run attempts, by outcome "
                                "(clean, quarantined, empty, failed, locked, stopped).",
                                ["dataset", "outcome"], registry=self.registry)
        self.retries = Counter("integrity_schedule_retries", "Attempts that were retries.",
                               ["dataset"], registry=self.registry)
        self.missed = Counter("integrity_schedule_missed", "Scheduled runs missed (not started "
                              "within the misfire grace time).", ["dataset"], registry=self.registry)
        self.skipped = Counter("integrity_schedule_skipped", "Scheduled runs not started because "
                               "the dataset's previous run was still going.", ["dataset"],
                               registry=self.registry)
        self.running = Gauge("integrity_schedule_running", "1 while a run of the dataset is going.",
                             ["dataset"], registry=self.registry)
        self.duration = Histogram("integrity_schedule_run_duration_seconds",
                                  "Wall time of scheduled runs (child process included).",
                                  buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600),
                                  registry=self.registry)
        self.registry.register(KpiCollector(store, max_age=max_age))
        self.registry.register(_StoreCollector(store))
        self.registry.register(_NextRuns(next_runs))


def serve(registry: CollectorRegistry, host: str, port: int) -> Any:
    """Serve ``registry`` at ``http://host:port/metrics`` in a daemon thread; return the server
    (``shutdown()`` it). OSError when the port cannot be had."""
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, addr=host, registry=registry)
    return server


def _seconds(value: Any) -> float:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()
    return float("nan")

"""The integrity KPI as Prometheus metrics: per-dataset counters and gauges read from the store.

The scheduler's ``/metrics`` endpoint registers a :class:`KpiCollector`; ``integrity kpi export
--format prometheus`` writes :func:`exposition` to a file (for node_exporter's textfile collector
or a push gateway). Every scrape reads the KPI views afresh, so the numbers are the store's, never
a copy that drifts::

    from prometheus_client import CollectorRegistry, start_http_server
    registry = CollectorRegistry()
    registry.register(KpiCollector(lambda: Store.open(url), max_age={"orders": 3600}))
    start_http_server(9464, addr="127.0.0.1", registry=registry)

Counters count since the store began (Prometheus takes rates of them); the ratio and time gauges
cover the last ``days`` UTC days (default 1: today); the rest are the state now. A store that
cannot be read makes ``integrity_kpi_up`` 0 instead of failing the scrape.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import polars as pl
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from integrity.kpi.tables import read_view, summarize, today_utc
from integrity.store import Store

log = logging.getLogger(__name__)

StoreSource = Store | Callable[[], Store]
"""An open store (left open), or a function that opens one per scrape (closed after it)."""

_WINDOW_GAUGES = (
    ("integrity_score_ratio", "integrity_score",
     "Share of the rows checked in the window that were published clean (the integrity score)."),
    ("integrity_batch_pass_ratio", "batch_pass_rate",
     "Share of the window's batches on which every expectation passed."),
    ("integrity_quarantine_ratio", "quarantine_rate",
     "Share of the window's batches that had rows quarantined."),
    ("integrity_time_to_detect_seconds", "time_to_detect_avg_s",
     "Mean time from a batch's pull to its verdict in the window."),
    ("integrity_time_to_resolve_seconds", "time_to_resolve_avg_s",
     "Mean time from quarantine to release or reject, for the window's resolved entries."),
)
_STATE_GAUGES = (
    ("integrity_freshness_lag_seconds", "freshness", "freshness_lag_s",
     "Seconds since the newest batch that published rows (else the watermark) was recorded."),
    ("integrity_pending_batches", "freshness", "pending_batches",
     "Batches pulled but not yet given a verdict."),
    ("integrity_quarantine_open_entries", "freshness", "open_entries",
     "Quarantine entries waiting for (or in the middle of) a steward's decision."),
    ("integrity_quarantine_open_rows", "freshness", "open_rows",
     "Rows in the quarantine entries still open."),
    ("integrity_expectations", "coverage", "expectations",
     "Expectations run on the dataset's latest batch."),
    ("integrity_expectation_families", "coverage", "families",
     "Expectation families (table, column_map, poison, ...) among them."),
)


class KpiCollector(Collector):
    """A prometheus_client collector of the integrity KPI, per dataset (label ``dataset``).

    Args:
        store: an open :class:`~integrity.store.Store`, or a function that opens one for each
            scrape (closed afterwards).
        max_age: each dataset's ``freshness.max_age`` in seconds
            (:func:`integrity.kpi.tables.max_ages`), exported as
            ``integrity_freshness_max_age_seconds`` beside the lag.
        days: the window of the ratio and time gauges, in UTC days ending today.
        today: the last day of that window (for tests; default: today in UTC).
    """

    def __init__(self, store: StoreSource, *, max_age: Mapping[str, float] | None = None,
                 days: int = 1, today: Callable[[], dt.date] | None = None) -> None:
        if days < 1:
            raise ValueError(f"days must be 1 or more, not {days}")
        self._store = store
        self._max_age = dict(max_age or {})
        self._days = days
        self._today = today or today_utc

    def describe(self) -> list[Metric]:
        # Nothing to read at registration: the metric names are fixed, the datasets are not.
        return []

    def collect(self) -> Iterator[Metric]:
        metrics: list[Metric] = []
        try:
            with self._opened() as store:
                metrics = list(self._metrics(store))
        except Exception as exc:  # a scrape must answer even when the store does not
            log.warning("integrity KPI: cannot read the results store (%s)", type(exc).__name__)
            metrics = []
            up = 0
        else:
            up = 1
        yield GaugeMetricFamily("integrity_kpi_up",
                                "1 when the KPI could be read from the results store, else 0.",
                                value=up)
        yield from metrics

    @contextlib.contextmanager
    def _opened(self) -> Iterator[Store]:
        if isinstance(self._store, Store):
            yield self._store
            return
        store = self._store()
        try:
            yield store
        finally:
            store.close()

    def _metrics(self, store: Store) -> Iterator[Metric]:
        everything = read_view(store, "totals")
        window = summarize(read_view(store, "daily", days=self._days, today=self._today()))
        state = {"freshness": read_view(store, "freshness"),
                 "coverage": read_view(store, "coverage")}
        held = read_view(store, "indicators")

        batches = CounterMetricFamily("integrity_batches", "Batches given a verdict, by verdict: "
                                      "passed (every expectation), warned (a failure held "
                                      "nothing), quarantined (rows held).", labels=["dataset", "verdict"])
        rows = CounterMetricFamily("integrity_rows", "Rows checked, by outcome: published clean "
                                   "or quarantined.", labels=["dataset", "outcome"])
        resolved = CounterMetricFamily("integrity_quarantine_resolved_rows", "Quarantined rows "
                                       "a steward released or rejected.", labels=["dataset", "decision"])
        for r in everything.iter_rows(named=True):
            d = r["dataset"]
            warned = r["batches"] - r["batches_passed"] - r["batches_quarantined"]
            for verdict, n in (("passed", r["batches_passed"]), ("warned", warned),
                               ("quarantined", r["batches_quarantined"])):
                batches.add_metric([d, verdict], n)
            rows.add_metric([d, "published"], r["rows_published"])
            rows.add_metric([d, "quarantined"], r["rows_quarantined"])
            resolved.add_metric([d, "released"], r["rows_released"])
            resolved.add_metric([d, "rejected"], r["rows_rejected"])
        yield from (batches, rows, resolved)

        by_indicator = CounterMetricFamily(
            "integrity_indicator_quarantined_rows", "Rows held, by the expectation that held them "
            "and its meta.tag (a row held by two counts for both).",
            labels=["dataset", "expectation_type", "tag"])
        totals = (held.group_by("dataset", "expectation_type", "tag")
                  .agg(pl.col("rows_quarantined").sum()).sort("dataset", "expectation_type", "tag"))
        for r in totals.iter_rows(named=True):
            by_indicator.add_metric([r["dataset"], r["expectation_type"], r["tag"] or ""],
                                    r["rows_quarantined"])
        yield by_indicator

        for name, column, text in _WINDOW_GAUGES:
            gauge = GaugeMetricFamily(name, f"{text} Window: the last {self._days} UTC day(s).",
                                      labels=["dataset"])
            for r in window.iter_rows(named=True):
                if r[column] is not None:
                    gauge.add_metric([r["dataset"]], r[column])
            yield gauge
        for name, frame, column, text in _STATE_GAUGES:
            gauge = GaugeMetricFamily(name, text, labels=["dataset"])
            for r in state[frame].iter_rows(named=True):
                if r[column] is not None:
                    gauge.add_metric([r["dataset"]], r[column])
            yield gauge
        latest = GaugeMetricFamily("integrity_last_verdict_timestamp_seconds",
                                   "When the dataset's latest batch got its verdict (Unix time).",
                                   labels=["dataset"])
        for r in state["freshness"].iter_rows(named=True):
            if r["last_verdict_at"] is not None:
                latest.add_metric([r["dataset"]], r["last_verdict_at"].timestamp())
        yield latest
        ceiling = GaugeMetricFamily("integrity_freshness_max_age_seconds",
                                    "The dataset's freshness.max_age: the lag it must stay under.",
                                    labels=["dataset"])
        for d, seconds in sorted(self._max_age.items()):
            ceiling.add_metric([d], seconds)
        yield ceiling


def exposition(store: StoreSource, **options: Any) -> str:
    """The KPI in Prometheus' text exposition format (``options`` as for :class:`KpiCollector`)."""
    from prometheus_client import generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(KpiCollector(store, **options))
    return generate_latest(registry).decode("utf-8")

"""The integrity KPI (layer 3): read from the results store's views, shown, exported, emitted.

- :mod:`integrity.kpi.tables`: the views (defined in ``docs/kpi.md``; SQL in
  :mod:`integrity.store.kpi_views`) read into polars frames, and the window summary.
- :mod:`integrity.kpi.export`: Parquet, CSV and Prometheus text for BI tools.
- :mod:`integrity.kpi.prometheus`: :class:`KpiCollector`, the per-dataset counters and gauges the
  scheduler's ``/metrics`` serves.
- :mod:`integrity.kpi.lineage`: each run's OpenLineage event with its DataQualityAssertions.

Imports here stay light: prometheus_client and openlineage-python (the ``kpi`` extra) are imported
by the modules that need them.
"""

from __future__ import annotations

from integrity.kpi.export import FORMATS, export
from integrity.kpi.tables import VIEW_CHOICES, KpiReport, max_ages, read_view, report, summarize

__all__ = ["FORMATS", "VIEW_CHOICES", "KpiReport", "export", "max_ages", "read_view", "report",
           "summarize"]

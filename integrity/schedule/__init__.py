"""Scheduled integrity jobs (layer 5, beside the CLI): ``integrity schedule start`` and ``list``.

:mod:`~integrity.schedule.service` runs APScheduler 3 with its jobs in the results store,
:mod:`~integrity.schedule.runner` runs each dataset in a child process
(:mod:`~integrity.schedule.worker`) with retries, :mod:`~integrity.schedule.metrics` serves
``/metrics``, :mod:`~integrity.schedule.listing` reads what ``schedule list`` shows. Heavy
imports (APScheduler, prometheus_client, the job) happen when a scheduler is built.
"""

from __future__ import annotations

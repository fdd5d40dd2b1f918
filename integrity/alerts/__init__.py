"""Alerts (layer 3): webhooks told about failures, quarantines and stale sources, once per incident.

::

    from integrity.alerts import Event, deliver, destinations, record

    found, problems = destinations(project.config.alerts, where="integrity.yaml: alerts")
    record(store, [Event("orders", "failure", active=True, detail={"error": "..."})], now=now)
    deliver(store, "orders", found, now=now, budget=5.0)   # lines for what was not delivered

:mod:`integrity.alerts.incidents` deduplicates (state in the results store),
:mod:`integrity.alerts.webhook` posts (bounded, retried, never showing the URL) and
:mod:`integrity.alerts.messages` words the Slack-compatible JSON. The job decides what happened
(:mod:`integrity.job.alerting`); nothing here imports it.
"""

from __future__ import annotations

from integrity.alerts.incidents import KINDS, Event, Incident, deliver, due, incidents, record
from integrity.alerts.webhook import Delivery, Destination, destinations, send

__all__ = ["KINDS", "Delivery", "Destination", "Event", "Incident", "deliver", "destinations", "due",
           "incidents", "record", "send"]

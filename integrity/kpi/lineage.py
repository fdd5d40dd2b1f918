"""OpenLineage run events: each run's verdicts as a DataQualityAssertions facet, for lineage tools.

After a run, the job calls :func:`emit` with the project's ``lineage:`` settings. It builds one
``RunEvent`` (``COMPLETE``, or ``FAIL`` with the error for a run that failed) whose input dataset
carries every expectation result of the run's batches (``dataQualityAssertions``: the expectation
type, pass or fail, its column) and the rows checked (``dataQualityMetrics``), and sends it through
the OpenLineage client's file or HTTP transport.

Sending must never fail a run or hold it up: every problem (a missing secret, a server that is down
or slow) comes back as one line for the run's summary, the wait is bounded by ``timeout`` (retries
included), and only numbers leave as observed values, never customer text.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from integrity.config import LineageConfig, redact, referenced_secrets, resolve_secrets
from integrity.errors import IntegrityError
from integrity.store import Store
from integrity.store import schema as t


def _producer() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"urn:integrity:{version('integrity')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "urn:integrity"


PRODUCER = _producer()
"""Who made the events (OpenLineage's ``producer``: a URI naming the software and its version)."""
_RUN_NAMESPACE = uuid.UUID("5b0c6a5e-8e3f-4c55-9d7e-6e7465677269")


def emit(config: LineageConfig | None, store: Store, *, dataset: str, run_id: int, status: str,
         batch_ids: Sequence[str], error: str | None = None, root: Path | None = None) -> str | None:
    """Send the run's OpenLineage event; return None when it was sent (or nothing is configured),
    else one line saying why not, for the run's summary. Never raises."""
    if config is None:
        return None
    secrets = referenced_secrets(config.url, config.api_key)
    try:
        event = run_event(config, store, dataset=dataset, run_id=run_id, status=status,
                          batch_ids=batch_ids, error=error)
        transport = _transport(config, root)
    except ImportError as exc:
        return (f"lineage: the event was not sent: {exc.name or 'openlineage-python'} is not "
                "installed; install it with: pip install 'integrity[kpi]'")
    except Exception as exc:
        return f"lineage: the event was not sent: {_message(exc, secrets)}"
    outcome: list[BaseException | None] = []

    def send() -> None:
        try:
            transport.emit(event)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)
        finally:
            transport.close()

    sender = threading.Thread(target=send, name="integrity-lineage", daemon=True)
    sender.start()
    sender.join(config.timeout)
    if not outcome:
        return (f"lineage: the {config.transport} transport did not confirm the event within "
                f"{config.timeout:g} s (lineage.timeout); the run went on without it")
    if outcome[0] is not None:
        return f"lineage: the event was not sent: {_message(outcome[0], secrets)}"
    return None


def run_event(config: LineageConfig, store: Store, *, dataset: str, run_id: int, status: str,
              batch_ids: Sequence[str], error: str | None = None) -> Any:
    """The run's ``RunEvent`` (openlineage-python's model), from what the store recorded."""
    from openlineage.client.event_v2 import InputDataset, Job, Run, RunEvent, RunState
    from openlineage.client.facet_v2 import (
        data_quality_assertions_dataset,
        data_quality_metrics_input_dataset,
        error_message_run,
    )

    er, b = t.expectation_results, t.batches
    with store.engine.connect() as conn:
        started = conn.execute(sa.select(t.runs.c.started_at)
                               .where(t.runs.c.id == run_id)).scalar_one_or_none()
        batches = list(conn.execute(sa.select(b.c.batch_id, b.c.row_count, b.c.status)
                                    .where(b.c.batch_id.in_(batch_ids))))
        results = list(conn.execute(
            sa.select(er.c.batch_id, er.c.expectation_index, er.c.expectation_type,
                      er.c.column_name, er.c.success, er.c.unexpected_count, er.c.observed_value,
                      er.c.tag, er.c.family, er.c.held_rows)
            .where(er.c.batch_id.in_(batch_ids)).order_by(er.c.batch_id, er.c.expectation_index)))
    assertions = [data_quality_assertions_dataset.Assertion(
        assertion=r.expectation_type, success=bool(r.success),
        column=r.column_name if r.column_name and "," not in r.column_name else None,
        name=f"#{r.expectation_index} {r.expectation_type}", actual=_actual(r),
        params={k: v for k, v in (("batch_id", r.batch_id), ("tag", r.tag), ("family", r.family),
                                  ("held_rows", r.held_rows)) if v is not None})
        for r in results]
    facets: dict[str, Any] = {
        "dataQualityAssertions": data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
            assertions=assertions),
        "dataQualityMetrics": data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet(
            columnMetrics={}, rowCount=sum(int(x.row_count) for x in batches)),
    }
    run_facets: dict[str, Any] = {}
    if error is not None:
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=error, programmingLanguage="python")
    key = f"{config.namespace}/{dataset}/{run_id}/{started.isoformat() if started else ''}"
    return RunEvent(
        eventType=RunState.FAIL if status == "failed" else RunState.COMPLETE,
        eventTime=dt.datetime.now(dt.UTC).isoformat(),
        run=Run(runId=str(uuid.uuid5(_RUN_NAMESPACE, key)), facets=run_facets),
        job=Job(namespace=config.namespace, name=f"integrity.{dataset}"),
        inputs=[InputDataset(namespace=config.namespace, name=dataset, inputFacets=facets)],
        outputs=[], producer=PRODUCER)


def _actual(row: Any) -> str | None:
    """What the expectation observed, as text, when it is a count or a number: an observed value
    may be a customer's text, which lineage servers must not receive."""
    if row.unexpected_count is not None:
        return str(row.unexpected_count)
    value = row.observed_value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    return None


def _transport(config: LineageConfig, root: Path | None) -> Any:
    where = "integrity.yaml: lineage"
    if config.transport == "file":
        from openlineage.client.transport.file import FileConfig, FileTransport

        assert config.path is not None
        path = Path(str(resolve_secrets(config.path, where=f"{where}.path"))).expanduser()
        if not path.is_absolute() and root is not None:
            path = root / path
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created private: the client would create it with the umask.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600))
        return FileTransport(FileConfig(log_file_path=str(path), append=True))
    from openlineage.client.transport.http import (
        ApiKeyTokenProvider,
        HttpConfig,
        HttpTransport,
        TokenProvider,
    )

    url = str(resolve_secrets(config.url, where=f"{where}.url"))
    key = resolve_secrets(config.api_key, where=f"{where}.api_key") if config.api_key else None
    auth = ApiKeyTokenProvider({"api_key": str(key)}) if key else TokenProvider({})
    # One retry, briefly: the whole send is bounded by the timeout anyway.
    retry = {"total": 1, "connect": 1, "read": 1, "backoff_factor": 0.1,
             "status_forcelist": [500, 502, 503, 504], "allowed_methods": ["POST"]}
    return HttpTransport(HttpConfig(url=url, endpoint=config.endpoint, timeout=config.timeout,
                                    auth=auth, retry=retry))


def _message(exc: BaseException, secrets: dict[str, str]) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if not isinstance(exc, IntegrityError):
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return redact(text, secrets)[:300]

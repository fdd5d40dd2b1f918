"""Converting between table rows and the store's records (and ExpectationResults into rows)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from integrity.store.records import BatchRecord, QuarantineRecord, iso, parse_iso
from integrity.types import BatchInfo, ExpectationResult


def batch_record(row: sa.Row[Any]) -> BatchRecord:
    return BatchRecord(
        batch_id=row.batch_id, dataset=row.dataset, run_id=row.run_id, status=row.status,
        info=dict(row.info), watermark_before=dict(row.watermark_before),
        watermark_after=dict(row.watermark_after), published_rows=row.published_rows,
        quarantined_rows=row.quarantined_rows, created_at=iso(row.created_at) or "",
        completed_at=iso(row.completed_at))


def quarantine_record(row: sa.Row[Any]) -> QuarantineRecord:
    return QuarantineRecord(
        id=row.id, dataset=row.dataset, batch_id=row.batch_id, path=row.path, rows=row.rows,
        reasons=list(row.reasons), status=row.status, created_at=iso(row.created_at) or "",
        decided_by=row.decided_by, decided_at=iso(row.decided_at), note=row.note)


def quarantine_row(entry: QuarantineRecord) -> dict[str, Any]:
    return {"id": entry.id, "dataset": entry.dataset, "batch_id": entry.batch_id,
            "path": entry.path, "rows": entry.rows, "reasons": list(entry.reasons),
            "status": entry.status,
            "created_at": parse_iso(entry.created_at, field=f"quarantine {entry.id} created_at"),
            "decided_by": entry.decided_by,
            "decided_at": (parse_iso(entry.decided_at, field=f"quarantine {entry.id} decided_at")
                           if entry.decided_at else None),
            "note": entry.note}


def _columns_of(kwargs: Mapping[str, Any]) -> list[str]:
    """The columns an expectation looks at, in kwargs order (column, column_A/B, column_list)."""
    names: list[str] = []
    for key in ("column", "column_A", "column_B"):
        if isinstance(kwargs.get(key), str):
            names.append(kwargs[key])
    listed = kwargs.get("column_list")
    if isinstance(listed, list | tuple):
        names += [str(c) for c in listed]
    return names


def _number(value: Any, kind: type[int] | type[float]) -> Any:
    """A metric as a number column, or None when it is missing, not a number, NaN or infinite."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return kind(value) if math.isfinite(value) else None


def arrival(info: BatchInfo) -> dt.datetime | None:
    """When the batch was pulled (``BatchInfo.pulled_at``), or None when that is not a timestamp."""
    try:
        return parse_iso(info.pulled_at, field="pulled_at") if info.pulled_at else None
    except ValueError:
        return None


def family_of(expectation_type: str) -> str | None:
    """The expectation's family in the built-in catalogue (None for a type it does not know)."""
    from integrity.checks import builtin_registry  # the catalogue is loaded wherever results are

    definition = builtin_registry().definitions.get(expectation_type)
    return definition.family if definition is not None else None


def tag_of(meta: Mapping[str, Any]) -> str | None:
    """An expectation's ``meta.tag``: the indicator name stewards group its holds under."""
    tag = meta.get("tag")
    return tag if isinstance(tag, str) and tag else None


def held_by(reasons: Sequence[Mapping[str, Any]], rows: int) -> dict[int, int]:
    """How many of a quarantine entry's ``rows`` each expectation (by index) held, from the gate's
    reasons: all of them for a batch-level hold, its unexpected rows for a row-level one (a row held
    by two expectations counts for both); ``warn`` holds nothing."""
    held: dict[int, int] = {}
    for reason in reasons:
        index = reason.get("expectation_index")
        if not isinstance(index, int) or isinstance(index, bool):
            continue
        if reason.get("action") == "quarantine_batch":
            count = rows
        elif reason.get("action") == "quarantine_rows":
            count = min(_number(reason.get("unexpected_count"), int) or 0, rows)
        else:
            continue
        held[index] = max(held.get(index, 0), count)
    return held


def result_counts(results: Sequence[ExpectationResult] | None) -> dict[str, int | None]:
    """A batch's ``expectations`` and ``failed_expectations`` (None: the suite could not run)."""
    if results is None:
        return {"expectations": None, "failed_expectations": None}
    return {"expectations": len(results),
            "failed_expectations": sum(1 for r in results if not r.success)}


def result_row(index: int, r: ExpectationResult, *, batch_id: str, dataset: str, run_id: int,
               suite_name: str, at: Any, held_rows: int = 0) -> dict[str, Any]:
    kwargs = dict(r.config.kwargs)
    columns = _columns_of(kwargs)
    column = kwargs["column"] if isinstance(kwargs.get("column"), str) else (
        ",".join(columns) if columns else None)
    res = r.result or {}
    return {"batch_id": batch_id, "run_id": run_id, "dataset": dataset, "suite_name": suite_name,
            "expectation_index": index, "expectation_type": r.config.type,
            "expectation_id": r.config.id, "column_name": column, "column_names": columns or None,
            "success": bool(r.success), "outcome": str(r.outcome),
            "observed_value": res.get("observed_value"),
            "unexpected_count": _number(res.get("unexpected_count"), int),
            "unexpected_percent": _number(res.get("unexpected_percent"), float),
            "element_count": _number(res.get("element_count"), int),
            "kwargs": kwargs, "result": r.to_dict(), "created_at": at,
            "tag": tag_of(r.config.meta or {}), "family": family_of(r.config.type),
            "held_rows": held_rows}

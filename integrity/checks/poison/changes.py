"""Approved changes only: ``expect_table_changes_to_be_approved``.

A policy table (refund caps, windows) is published batch by batch: the whole table, or the rows
that changed. Each row of the batch is compared with the last published version of its key (the
latest published row per key across the dataset's published batches) by a hash over a canonical
encoding: the row as a JSON object of its columns (names sorted, values typed and normalised as
the snapshot signature encodes them: :mod:`.snapshot`), SHA-256 in hex. A row whose key was never
published is *added*; one whose hash differs is *changed*; with ``snapshot: true`` (the batch is
the whole table) a published key missing from the batch is *removed*.

Every change must match an approval: a row of the ``approvals`` table (a CSV, Parquet or JSON
file relative to the suite, or a table handed to validation) with the same key values and
``approved_by``, and optionally ``change`` (added/changed/removed), ``row_hash`` (the new row's
hash), the new values of any of the table's columns, ``approved_at``, ``valid_from`` and
``valid_until``. An approval is in force from ``valid_from`` (or ``approved_at``) until
``valid_until``, or until ``approved_at`` + ``change_window`` when that is given instead; the
validation context's clock decides. Unapproved changes, and approved ones out of their window,
are listed row by row (removed keys cannot be: an unapproved removal holds the whole snapshot).
Details name the key, the kind and the changed columns, never the values. With nothing
published yet (the first version) the result is ``not_evaluated``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from integrity.checks.base import Arg, Check, Spec, expectation, require
from integrity.checks.families import in_domain
from integrity.checks.poison.batch import DETAIL_LIMIT, batch_check
from integrity.checks.poison.published import BATCH, BATCH_ID, published_rows
from integrity.checks.poison.snapshot import _canonical
from integrity.checks.stats.outcome import not_evaluated
from integrity.durations import duration_problem, parse_duration
from integrity.errors import SuiteError

_FILES = (".csv", ".tsv", ".parquet", ".pq", ".json", ".jsonl", ".ndjson")
#: Approval columns that say something about the approval itself, not about the row.
APPROVAL_FIELDS = ("approved_by", "approved_at", "valid_from", "valid_until", "change",
                   "row_hash", "note")
CHANGES = ("added", "changed", "removed")


def _encoded(value: Any) -> str:
    return json.dumps(_canonical(value), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False)


def digest(row: Mapping[str, Any], columns: Sequence[str]) -> str:
    """A row's hash: SHA-256 (hex) of its canonical JSON over ``columns`` (a missing one is null)."""
    record = {n: _canonical(row.get(n)) for n in sorted(columns)}
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def row_hashes(frame: pl.DataFrame, columns: Sequence[str] | None = None) -> list[str]:
    """Each row's hash over ``columns`` (default all): what an approval's ``row_hash`` names."""
    names = list(columns if columns is not None else frame.columns)
    return [digest(row, names) for row in frame.iter_rows(named=True)]


def _list_of_names(value: Any) -> str | None:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        return f"must be a non-empty list of column names, e.g. [\"policy_id\"]; got {value!r}"
    return None


def _read_approvals(spec: Spec) -> pl.DataFrame:
    """The approvals table, checked for the key columns and ``approved_by`` (load errors)."""
    name = str(spec.kwargs["approvals"])
    keys = list(spec.kwargs["key_columns"])
    if name.lower().endswith(_FILES) or "/" in name:
        path = Path(name).expanduser()
        if not path.is_absolute():
            if spec.context is not None:
                path = spec.context.resolve(name)
            elif spec.folder is not None:
                path = spec.folder / path
        suffix = path.suffix.lower()
        try:
            if suffix in (".parquet", ".pq"):
                frame = pl.read_parquet(path)
            elif suffix in (".csv", ".tsv"):
                frame = pl.read_csv(path, separator="\t" if suffix == ".tsv" else ",",
                                    infer_schema_length=0)  # every value as text: ids keep zeros
            elif suffix == ".json":
                frame = pl.read_json(path)
            else:
                frame = pl.read_ndjson(path)
        except FileNotFoundError:
            raise SuiteError(f"the approvals file {str(path)!r} does not exist; give a CSV, "
                             "Parquet or JSON file (relative to the suite) with the key "
                             "columns and approved_by", argument="approvals") from None
        except (OSError, pl.exceptions.PolarsError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SuiteError(f"the approvals file {str(path)!r} cannot be read ({first[:200]}); "
                             "give a CSV, Parquet or JSON file", argument="approvals") from None
        where = f"the approvals file {str(path)!r}"
    else:
        if name not in spec.tables:
            raise SuiteError(f"no table named {name!r} was handed to this validation; give the "
                             "approvals as a file (e.g. approvals.csv, relative to the suite) or "
                             f"hand a table named {name!r}", argument="approvals")
        frame = spec.tables[name].collect()
        where = f"the approvals table {name!r}"
    missing = [c for c in [*keys, "approved_by"] if c not in frame.columns]
    if missing:
        raise SuiteError(f"{where} has no column {missing[0]!r}; it needs the key columns "
                         f"({', '.join(keys)}) and approved_by, and has: "
                         f"{', '.join(frame.columns[:20]) or 'no columns'}", argument="approvals")
    return frame


def _moment(value: Any) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


class _Approvals:
    """The approvals by key, and whether one covers a change at a moment."""

    def __init__(self, frame: pl.DataFrame, keys: Sequence[str], columns: Sequence[str],
                 window: dt.timedelta | None) -> None:
        self.keys, self.window = list(keys), window
        self.values = [c for c in frame.columns if c in columns and c not in keys]
        self.by_key: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in frame.iter_rows(named=True):
            # Keys read from a CSV are text: "12" may stand for 12, and "007" for "007".
            for key in {tuple(_encoded(_loose(row[k])) for k in keys),
                        tuple(_encoded(row[k]) for k in keys)}:
                self.by_key.setdefault(key, []).append(row)

    def verdict(self, key: tuple[str, ...], kind: str, new: Mapping[str, Any] | None,
                digest: str | None, now: dt.datetime) -> tuple[bool, str, str | None]:
        """Whether the change is approved now, why not, and by whom."""
        candidates = self.by_key.get(key, [])
        if not candidates:
            return False, "no approval for this key", None
        why = "no approval matches this change"
        for row in candidates:
            if row.get("change") not in (None, "") and str(row["change"]).strip().lower() != kind:
                why = f"the approval is for a{'n' if row['change'][0] in 'aeiou' else ''} " \
                      f"{str(row['change'])[:20]!r} change"
                continue
            if row.get("row_hash") not in (None, "") and str(row["row_hash"]).strip() != digest:
                why = "the row differs from the approved version (row_hash)"
                continue
            if new is not None:
                wrong = [c for c in self.values if row.get(c) not in (None, "")
                         and _encoded(_loose(row[c])) != _encoded(_loose(new.get(c)))]
                if wrong:
                    why = f"column(s) {', '.join(wrong[:5])} differ from the approved values"
                    continue
            start = _moment(row.get("valid_from")) or _moment(row.get("approved_at"))
            until = _moment(row.get("valid_until"))
            approved_at = _moment(row.get("approved_at"))
            if until is None and self.window is not None and approved_at is not None:
                until = approved_at + self.window
            by = str(row.get("approved_by") or "")[:60] or None
            if start is not None and now < start:
                why = f"the approval by {by} is in force only from {start.isoformat()}"
                continue
            if until is not None and now > until:
                why = f"the approval by {by} expired at {until.isoformat()}"
                continue
            if not by:
                why = "the approval names no approved_by"
                continue
            return True, "approved", by
        return False, why, None


def _loose(value: Any) -> Any:
    """Values read from an approvals CSV are text: numbers written there compare as numbers."""
    if isinstance(value, str):
        text = value.strip()
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                continue
        return text
    return value


def _change_window(value: Any) -> str | None:
    return duration_problem(value)


@expectation(
    "expect_table_changes_to_be_approved",
    family="poison",
    column_args=("key_columns", "ignore_columns"),
    args=(Arg("key_columns", (list,), required=True, check=_list_of_names),
          Arg("approvals", (str,), required=True),
          Arg("change_window", (str, int, float), check=_change_window),
          Arg("snapshot", (bool,), default=False),
          Arg("ignore_columns", (list,)),
          Arg("row_condition", (str,)), Arg("condition_parser", (str,))),
)
def table_changes_approved(spec: Spec) -> Check:
    """Every row that differs from the last published version of its key (added, changed, or
    with snapshot: removed) matches an approval in force (approvals file or table)."""
    keys = list(spec.kwargs["key_columns"])
    ignored = set(spec.get("ignore_columns") or [])
    require(not ignored & set(keys), "ignore_columns cannot hold a key column", "ignore_columns")
    window = parse_duration(spec.kwargs["change_window"]) if spec.get("change_window") else None
    approvals_frame = _read_approvals(spec)
    columns = [c for c in spec.schema.names() if c not in ignored and not c.startswith("_integrity")]
    published, why = published_rows(spec, None)
    if published is not None:
        have = published.collect_schema().names()
        lacking = [k for k in keys if k not in have]
        if lacking:
            published, why = None, f"the published rows have no key column {lacking[0]!r}"
    if published is None:
        return Check({}, lambda m: not_evaluated(
            f"nothing to compare with: {why} (the first version of a table is approved by "
            "publishing it)", {"observed_value": None}))
    earlier: pl.LazyFrame = published
    approvals = _Approvals(approvals_frame, keys, columns, window)
    now = spec.context.now() if spec.context is not None else dt.datetime.now(dt.UTC)
    state: dict[str, Any] = {}

    def last_versions() -> dict[tuple[str, ...], dict[str, Any]]:
        frame = earlier.sort(BATCH, maintain_order=True).collect()
        frame = frame.drop(BATCH, BATCH_ID).unique(keys, keep="last", maintain_order=True)
        return {tuple(_encoded(row[k]) for k in keys): row
                for row in frame.iter_rows(named=True)}

    def mask(rows: pl.Series) -> pl.Series:
        parts = rows.struct.unnest()
        considered = parts["__considered"].to_list()
        batch = parts.drop("__considered")
        before = last_versions()
        old_hash = {key: digest(old, columns) for key, old in before.items()}
        new_hash = row_hashes(batch, columns)
        flagged = [False] * batch.height
        changes: list[dict[str, Any]] = []
        seen: set[tuple[str, ...]] = set()
        for i, row in enumerate(batch.iter_rows(named=True)):
            key = tuple(_encoded(row[k]) for k in keys)
            seen.add(key)
            if not considered[i] or old_hash.get(key) == new_hash[i]:
                continue
            kind = "changed" if key in old_hash else "added"
            ok, reason, by = approvals.verdict(key, kind, row, new_hash[i], now)
            changed = ([c for c in columns if _encoded(before[key].get(c)) != _encoded(row[c])]
                       if kind == "changed" else [])
            changes.append(_change(keys, row, kind, changed, ok, reason, by, i))
            flagged[i] = not ok
        if spec.get("snapshot", False) and spec.domain is None:
            for key, old in before.items():
                if key not in seen:
                    ok, reason, by = approvals.verdict(key, "removed", None, None, now)
                    changes.append(_change(keys, old, "removed", [], ok, reason, by, None))
                    if not ok:
                        flagged = [True] * batch.height  # the snapshot drops it: hold it whole
        state["changes"] = changes
        return pl.Series(flagged, dtype=pl.Boolean)

    considered = in_domain(spec, pl.lit(True))
    unexpected = pl.struct(*[pl.col(c) for c in columns],
                           considered.alias("__considered")).map_batches(
        mask, return_dtype=pl.Boolean)

    def judge(m: Mapping[str, Any], result: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        changes = state.get("changes", [])
        unapproved = [c for c in changes if not c["approved"]]
        counts = {k: sum(1 for c in changes if c["kind"] == k) for k in CHANGES}
        result["observed_value"] = {"changes": len(changes), "unapproved": len(unapproved)}
        result["details"] = {
            **counts, "unapproved_changes": unapproved[:DETAIL_LIMIT],
            "approved_changes": [c for c in changes if c["approved"]][:DETAIL_LIMIT],
            "why": (f"{len(unapproved)} change(s) to the published table are not approved"
                    if unapproved else "every change is approved" if changes
                    else "no change from the published table")}
        return not unapproved, result

    return batch_check(spec, pl.col(keys[0]), unexpected, missing=pl.lit(False), judge=judge)


def _change(keys: Sequence[str], row: Mapping[str, Any], kind: str, changed: list[str],
            approved: bool, reason: str, by: str | None, position: int | None) -> dict[str, Any]:
    """One change as the details report it: key values cut short, column names, never values."""
    key = {k: (v[:60] + "…" if isinstance(v, str) and len(v) > 60 else v)
           for k, v in ((k, _canonical(row.get(k))) for k in keys)}
    out: dict[str, Any] = {"key": key, "kind": kind, "approved": approved, "why": reason}
    if changed:
        out["changed_columns"] = changed
    if by:
        out["approved_by"] = by
    if position is not None:
        out["row"] = position
    return out

"""Policy tables: the text agrees with its structured fields, and the snapshot is signed.

``expect_column_numbers_in_text_to_match`` reads the amounts and limits a policy text states
(:mod:`integrity.checks.poison.amounts`) and flags each row whose text contradicts its fields:
an edit that keeps every field in bounds but changes "up to 150 EUR" to "up to 1,500 EUR" in the
text the agent reads (or the field, not the text) is caught.

``expect_table_snapshot_signature_to_be_valid`` verifies the Ed25519 signature of the whole
table's canonical encoding (:mod:`integrity.checks.poison.snapshot`): a changed cell, an added
or a removed row fails it. It judges the table as a whole and lists no rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from integrity.checks.arguments import gx_mostly
from integrity.checks.base import CONDITION, Arg, Check, Metric, Spec, Verdict, expectation
from integrity.checks.column_map import ColumnTypeError
from integrity.checks.families import mostly_success
from integrity.checks.poison.amounts import KINDS, Field, contradictions, kind_from_name
from integrity.checks.poison.batch import DETAIL_LIMIT, batch_check, flagged_rows, quote
from integrity.checks.poison.folding import text_of
from integrity.checks.poison.snapshot import (
    SnapshotKeyError,
    canonical_bytes,
    decode_signature,
    load_public_key,
    verify_snapshot,
)
from integrity.errors import SuiteError, did_you_mean


def _value_columns(value: Any) -> str | None:
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return None
    if (isinstance(value, dict) and value and all(isinstance(k, str) for k in value)
            and all(v in KINDS[:3] for v in value.values())):
        return None
    return ("must be a non-empty list of column names, or an object mapping each column to "
            f"what it holds ({', '.join(KINDS[:3])}), got {value!r}")


def _fields(spec: Spec) -> dict[str, tuple[str, bool]]:
    """value_columns as name -> (kind, strict), each checked against the batch."""
    raw = spec.kwargs["value_columns"]
    fields = ({name: (kind, True) for name, kind in raw.items()} if isinstance(raw, dict)
              else {name: (kind_from_name(name), False) for name in raw})
    columns = list(spec.schema.names())
    for name in fields:
        if name not in spec.schema:
            raise SuiteError(f"column {name!r} is not in the batch.{did_you_mean(name, columns)} "
                             f"The batch has: {', '.join(columns)}.", argument="value_columns")
        dtype = spec.dtype(name)
        if not (dtype.is_numeric() or dtype == pl.Null):
            raise ColumnTypeError(f"column {name!r} is {dtype}, but value_columns must hold "
                                  "numbers to compare with the text; cast it to a number first.")
    return fields


@expectation(
    "expect_column_numbers_in_text_to_match",
    family="poison",
    column_args=("text_column",),
    args=(Arg("text_column", (str,), required=True),
          Arg("value_columns", (list, dict), required=True, check=_value_columns),
          Arg("mostly", (int, float), default=1.0, check=gx_mostly), *CONDITION),
)
def numbers_in_text_match(spec: Spec) -> Check:
    """Amounts and limits written in text_column equal the row's value_columns.

    value_columns is a list of numeric columns (what each holds is guessed from its name, and a
    number in the text contradicts a field only where the text does not state that field's
    value), or an object naming what each holds (money, duration, percent: every amount of that
    kind in the text must then be one of those fields).
    """
    fields = _fields(spec)
    text = text_of(spec, "text_column")
    names = list(fields)
    row = pl.struct(text.alias("__text"), *(pl.col(n) for n in names))

    def contradicted(value: dict[str, Any]) -> list[dict[str, object]]:
        return contradictions(value["__text"], {n: Field(kind, strict, value[n])
                                                for n, (kind, strict) in fields.items()})

    def mask(rows: pl.Series) -> pl.Series:
        return pl.Series([bool(contradicted(v)) for v in rows.to_list()], dtype=pl.Boolean)

    unexpected = row.map_batches(mask, return_dtype=pl.Boolean)
    mostly = spec.kwargs.get("mostly")

    def judge(m: Mapping[str, Any], result: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        shown = []
        for item in m["flagged"] or []:
            shown.append({"row": item["row"], "text": quote(item["value"]["__text"]),
                          "contradictions": contradicted(item["value"])})
        considered = result["element_count"] - result["missing_count"]
        result["details"] = {"rows": shown,
                             "why": "a number in the text differs from the row's fields"
                             if shown else "every number in the text agrees with the fields"}
        return mostly_success(considered, result["unexpected_count"], mostly), result

    return batch_check(spec, text, unexpected, missing=text.is_null(), judge=judge,
                       extra={"flagged": lambda bad: flagged_rows(bad, value=row)
                              .list.head(DETAIL_LIMIT)})


def _signature_args(spec: Spec) -> bytes:
    inline, sidecar = spec.get("signature"), spec.get("signature_file")
    if (inline is None) == (sidecar is None):
        raise SuiteError("give the snapshot's signature: signature (its base64 text) or "
                         "signature_file (a path to the .sig file that scripts/sign_snapshot.py "
                         "wrote), one of the two", argument="signature")
    if sidecar is not None:
        path = Path(sidecar).expanduser()
        try:
            inline = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise SuiteError(f"cannot read the signature file {str(path)!r} ({reason}); sign the "
                             "snapshot with scripts/sign_snapshot.py", argument="signature_file"
                             ) from None
    try:
        return decode_signature(str(inline))
    except SnapshotKeyError as exc:
        raise SuiteError(str(exc), argument="signature_file" if sidecar else "signature") from None


@expectation(
    "expect_table_snapshot_signature_to_be_valid",
    family="poison",
    column_args=("ignore_columns",),
    args=(Arg("public_key", (str,), required=True), Arg("signature", (str,)),
          Arg("signature_file", (str,)), Arg("ignore_columns", (list,))),
)
def snapshot_signature_valid(spec: Spec) -> Check:
    """The table is exactly the snapshot its steward signed (Ed25519 over a canonical encoding).

    public_key: PEM text, a path to a PEM file, or the raw key in base64. The signature is given
    inline (signature, base64) or as a sidecar file (signature_file). ignore_columns are left out
    of the encoding (columns a pipeline adds after signing).
    """
    try:
        key = load_public_key(spec.kwargs["public_key"])
    except SnapshotKeyError as exc:
        raise SuiteError(str(exc), argument="public_key") from None
    signature = _signature_args(spec)
    ignored = list(spec.get("ignore_columns", []))

    def run(lf: pl.LazyFrame) -> dict[str, Any]:
        import hashlib

        frame = lf.drop(ignored).collect() if ignored else lf.collect()
        return {"valid": verify_snapshot(frame, signature, key), "rows": frame.height,
                "sha256": hashlib.sha256(canonical_bytes(frame)).hexdigest()}

    def evaluate(m: Mapping[str, Any]) -> Verdict:
        found = m["verdict"]
        reason = ("the signature verifies: the table is the signed snapshot" if found["valid"] else
                  "the signature does not match this table: a cell was changed, or a row added "
                  "or removed, since the snapshot was signed (or it was signed with another key)")
        return Verdict(bool(found["valid"]), {
            "observed_value": "valid" if found["valid"] else "invalid",
            "details": {"why": reason, "rows": found["rows"],
                        "canonical_sha256": found["sha256"]}})

    return Check({"verdict": Metric(run=run, reason="verifies the signature over the whole table")},
                 evaluate)

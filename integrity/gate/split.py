"""Write-audit-publish, the decision: which rows of a batch publish and which are held, and why.

Each expectation carries an action (``meta.action``, else the suite's ``meta.default_action``, else
the dataset's ``default_action``):

- ``quarantine_batch``: if it fails, the whole batch is held.
- ``quarantine_rows``: if it fails, the rows it rejects (its :attr:`Check.rows` mask) are held and
  the rest publish. An aggregate expectation (a mean, a row count) has no rows to point at, so when
  it fails with this action the whole batch is held instead, and its reason says so.
- ``warn``: a failure is recorded in :attr:`GateDecision.warnings`; nothing is held.

Only *failing* expectations act. An expectation that passes thanks to ``mostly`` still has
unexpected rows, but the steward said that fraction is acceptable, so those rows publish; holding
them would make ``mostly`` mean nothing.

An expectation that raised (outcome ``error``: a column it names is missing, its bounds contradict
each other, its regex ran out of time) has failed, as in GX, and acts under its own action: ``warn``
records it and holds nothing, as for any failure the steward chose to accept; ``quarantine_batch``
holds the batch; ``quarantine_rows`` holds the whole batch too, because which rows it would reject
is exactly what could not be computed (its reason says so). One that was not evaluated holds the
batch whatever its action: we never publish what we could not check. The exception is a statistical
check that succeeded with nothing to compare against (no history or baseline yet; its result says
``details.not_evaluated``): every row was checked by the rest of the suite, and holding the batch
would keep it out of the very history that check waits for.

Every row ends in exactly one place: the held-row mask is computed once, ``published`` is the rows
where it is False and ``quarantined`` the rows where it is True, and the heights are checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from integrity.checks.families import row_column
from integrity.config import ACTIONS
from integrity.engine.polars_engine import Plan, PlannedExpectation
from integrity.errors import DataError, SuiteError, did_you_mean
from integrity.jsonable import dumps, jsonable
from integrity.types import ExpectationResult, Outcome, ValidationResult

#: The column added to quarantined rows: a JSON list of the reasons that row is held.
REASONS_COLUMN = "_integrity_reasons"


@dataclass(frozen=True)
class GateDecision:
    """How one batch splits. ``published`` and ``quarantined`` together hold every row exactly once."""

    published: pl.DataFrame
    """Rows that go to the publish sink (the batch's own columns)."""
    quarantined: pl.DataFrame
    """Rows that are held: the batch's columns plus :data:`REASONS_COLUMN`."""
    batch_held: bool
    """True when a failure (or an error) holds the whole batch."""
    reasons: list[dict[str, Any]] = field(default_factory=list)
    """One summary per failing expectation that held rows or the batch (batch-level view)."""
    warnings: list[dict[str, Any]] = field(default_factory=list)
    """One summary per failing ``warn`` expectation: recorded, nothing held."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "published_rows": self.published.height,
            "quarantined_rows": self.quarantined.height,
            "batch_held": self.batch_held,
            "reasons": list(self.reasons),
            "warnings": list(self.warnings),
        }


def action_of(item: PlannedExpectation, *, default_action: str,
              suite_meta: Mapping[str, Any] | None = None) -> str:
    """The action of one expectation, validated (an unknown action is a :class:`SuiteError`)."""
    meta = item.config.meta or {}
    suite_default = (suite_meta or {}).get("default_action")
    action = meta.get("action") or suite_default or default_action
    if action not in ACTIONS:
        where = ("meta.action" if meta.get("action") else
                 "the suite's meta.default_action" if suite_default else "the dataset's default_action")
        raise SuiteError(
            f"unknown action {action!r} (from {where}).{did_you_mean(str(action), ACTIONS)} "
            f"Valid actions: {', '.join(ACTIONS)}.",
            index=item.index, expectation_type=item.config.type, argument="meta.action")
    return str(action)


def decide(frame: pl.DataFrame, plan: Plan, result: ValidationResult, *, default_action: str,
           suite_meta: Mapping[str, Any] | None = None) -> GateDecision:
    """Split ``frame`` into published and quarantined rows by each failing expectation's action.

    ``plan`` and ``result`` come from :func:`~integrity.engine.polars_engine.plan_suite` and
    :func:`~integrity.engine.polars_engine.run_plan` over this same frame: the row masks are the
    plan's, so they line up with the rows the result counted.

    Raises:
        SuiteError: an expectation (or the default) names an unknown action.
        DataError: the frame already has a column called ``_integrity_reasons``.
        ValueError: ``plan`` and ``result`` do not describe the same expectations.
    """
    if len(plan.expectations) != len(result.results):
        raise ValueError(f"the plan has {len(plan.expectations)} expectations but the result has "
                         f"{len(result.results)}; pass the result of run_plan over this plan")
    if REASONS_COLUMN in frame.columns:
        raise DataError(f"the batch already has a column named {REASONS_COLUMN!r}, which the gate "
                        "adds to quarantined rows; rename it in the source or the connector")
    # Validate every action first, passing ones too: a typo must not wait for the first failure.
    actions = [action_of(item, default_action=default_action, suite_meta=suite_meta)
               for item in plan.expectations]

    batch_reasons: list[dict[str, Any]] = []
    row_reasons: list[tuple[pl.Expr, dict[str, Any]]] = []
    warnings: list[dict[str, Any]] = []
    for item, outcome, action in zip(plan.expectations, result.results, actions, strict=True):
        if outcome.outcome is Outcome.ERROR:
            message = _first_line(outcome.exception_info.get("exception_message") or "an error")
            if action == "warn":
                warnings.append(_reason(item, outcome, action,
                                        f"could not run ({message}); recorded as a warning only"))
            else:
                rows = ("; quarantine_rows holds the whole batch, since the rows it would reject "
                        "could not be identified") if action == "quarantine_rows" else ""
                batch_reasons.append(_reason(item, outcome, "quarantine_batch",
                                             f"could not run ({message}); the batch is held{rows}"))
        elif outcome.outcome is Outcome.NOT_EVALUATED and not outcome.success:
            batch_reasons.append(_reason(item, outcome, "quarantine_batch",
                                         "was not evaluated; the batch is held because unchecked "
                                         "rows are never published"))
        elif outcome.success:
            continue
        elif action == "warn":
            warnings.append(_reason(item, outcome, action, "failed; recorded as a warning only"))
        elif action == "quarantine_rows" and item.check is not None and item.check.rows is not None:
            row_reasons.append((_mask_of(frame, item.check.rows),
                                _reason(item, outcome, action, "row rejected")))
        elif action == "quarantine_rows":
            batch_reasons.append(_reason(item, outcome, "quarantine_batch",
                                         "failed; it has no per-row result (an aggregate), so "
                                         "quarantine_rows holds the whole batch"))
        else:
            batch_reasons.append(_reason(item, outcome, action, "failed; the batch is held"))

    marked, names, held, reasons_text = _masks(frame, row_reasons, batch_reasons)
    marked = marked.with_columns(held.alias(_HELD))
    scratch = [_HELD, *names, *plan.helper_columns(frame.columns)]
    published = marked.filter(~pl.col(_HELD)).drop(scratch)
    # Reasons JSON only for the held rows: usually a few out of the whole batch.
    quarantined = (marked.filter(pl.col(_HELD)).with_columns(reasons_text.alias(REASONS_COLUMN))
                   .drop(scratch))
    if published.height + quarantined.height != frame.height:  # not `assert`: must survive -O
        raise RuntimeError(f"gate invariant broken: {published.height} published + "
                           f"{quarantined.height} quarantined != {frame.height} rows")
    summary = batch_reasons + [reason for _, reason in row_reasons]
    return GateDecision(published, quarantined, bool(batch_reasons), summary, warnings)


#: Scratch column for the held-row mask; dropped before anything leaves this module.
_HELD = "__integrity_held__"


def _masks(frame: pl.DataFrame, row_reasons: Sequence[tuple[pl.Expr, dict[str, Any]]],
           batch_reasons: Sequence[dict[str, Any]],
           ) -> tuple[pl.DataFrame, list[str], pl.Expr, pl.Expr]:
    """The frame with every row mask added, the mask names, the held mask and the reasons JSON.

    All row masks are computed in one ``with_columns`` pass over the frame (which also broadcasts a
    mask that is a scalar). A null mask value counts as "not rejected", matching how the engine
    counted ``unexpected_count`` (a sum, which skips nulls). If the masks cannot be computed, each
    failing row-level expectation holds the batch instead: never publish on an error.
    """
    batch_json = [dumps(r) for r in batch_reasons]
    if not row_reasons:
        held = pl.lit(bool(batch_reasons), dtype=pl.Boolean)
        literal = "[" + ",".join(batch_json) + "]" if batch_reasons else None
        return frame, [], held, pl.lit(literal, dtype=pl.String)
    names = [f"__integrity_mask_{i}__" for i in range(len(row_reasons))]
    try:
        marked = frame.with_columns(
            [expr.fill_null(False).cast(pl.Boolean).alias(name)
             for (expr, _), name in zip(row_reasons, names, strict=True)]
        )
    except Exception as exc:  # a mask that cannot run must hold the batch, not publish it
        fallback = [dict(reason, action="quarantine_batch",
                         detail=f"row mask failed ({type(exc).__name__}: {exc}); the batch is held")
                    for _, reason in row_reasons]
        return _masks(frame, [], [*batch_reasons, *fallback])
    held = pl.lit(True) if batch_reasons else pl.any_horizontal(names)
    pieces = [pl.lit(j, dtype=pl.String) for j in batch_json]
    pieces += [pl.when(pl.col(name)).then(pl.lit(dumps(reason), dtype=pl.String))
               for name, (_, reason) in zip(names, row_reasons, strict=True)]
    text = pl.concat_str(pieces, separator=",", ignore_nulls=True)
    reasons = pl.when(held).then(pl.concat_str([pl.lit("["), text, pl.lit("]")]))
    return marked, names, held, reasons


def _mask_of(frame: pl.DataFrame, rows: pl.Expr) -> pl.Expr:
    """An expectation's row mask: its column when the engine materialized it, else the expression."""
    name, _ = row_column(rows)
    return pl.col(name) if name in frame.columns else rows


def _first_line(message: object) -> str:
    lines = str(message).strip().splitlines()
    return lines[0] if lines else "an error"


def _reason(item: PlannedExpectation, outcome: ExpectationResult, action: str,
            detail: str) -> dict[str, Any]:
    result = outcome.result or {}
    kwargs = item.config.kwargs
    column = kwargs.get("column") or kwargs.get("column_list")
    if column is None and "column_A" in kwargs:
        column = [kwargs.get("column_A"), kwargs.get("column_B")]
    return {
        "expectation_index": item.index,
        "expectation_type": item.config.type,
        "column": jsonable(column),
        "action": action,
        "observed_value": jsonable(result.get("observed_value")),
        "unexpected_count": jsonable(result.get("unexpected_count")),
        "unexpected_percent": jsonable(result.get("unexpected_percent")),
        "outcome": str(outcome.outcome),
        "detail": detail,
    }

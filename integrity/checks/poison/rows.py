"""The shape every row-level poisoning check shares: a row mask fused into the suite's one polars
pass (through :func:`integrity.checks.families.map_check`), plus ``details`` saying why each row
of the partial list was flagged.

Details are computed at evaluation time from the partial unexpected list (the flagged rows' own
text, at most ``partial_limit`` of them), so explaining costs nothing on the clean rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl

from integrity.checks.base import Arg, Check, Spec, Verdict
from integrity.checks.column_map import COLUMN, MAP
from integrity.checks.families import map_check

Explain = Callable[[Sequence[str]], list[list[str]]]
"""Given flagged texts, the reasons each was flagged (one list of short strings per text)."""

ROW_ARGS: tuple[Arg, ...] = (COLUMN, *MAP)
"""column, mostly, row_condition, condition_parser: what every row-level check accepts."""


def row_check(spec: Spec, unexpected: pl.Expr, explain: Explain) -> Check:
    """A row-wise check on ``spec``'s column whose result also carries ``details``:
    ``[{"index": row or None, "value": text, "reasons": [...]}, ...]`` for the partial list
    (``index`` needs result_format SUMMARY or COMPLETE, as GX's partial index list does)."""
    column = pl.col(spec.kwargs["column"])
    check = map_check(spec, column, unexpected, missing=column.is_null())

    def evaluate(metrics: Mapping[str, Any]) -> Verdict:
        verdict = check.evaluate(metrics)
        result = dict(verdict.result)
        texts = [str(v) for v in result.get("partial_unexpected_list") or []]
        indexes: list[Any] = list(result.get("partial_unexpected_index_list") or [None] * len(texts))
        reasons = explain(texts) if texts else []
        result["details"] = [{"index": i, "reasons": r}
                             for i, r in zip(indexes, reasons, strict=False)]
        return Verdict(verdict.success, result)

    return Check(check.metrics, evaluate, rows=check.rows)


def excerpt(text: str, limit: int = 60) -> str:
    """A matched piece of customer text, shortened for a details line."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

"""Verdicts of the statistical checks that could not compare: no history yet, no baseline, no context.

Such a check succeeds (the batch is not blamed for what is missing) but says so explicitly: its
result carries ``details.not_evaluated`` (true) and ``details.reason``; the engine then reports the
outcome ``not_evaluated`` and the statistics count it apart, so it never reads as a silent pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from integrity.checks.base import Verdict
from integrity.types import ValidationContext

NO_CONTEXT = ("validated without a project's results store, so there is no history or baseline to "
              "compare with (run it as a job, or give integrity validate --project DIR --dataset "
              "NAME)")


def not_evaluated(reason: str, result: Mapping[str, Any] | None = None) -> Verdict:
    """A successful verdict that says it did not compare, and why (see the module docstring)."""
    out = dict(result or {})
    out["details"] = {**dict(out.get("details") or {}), "not_evaluated": True, "reason": reason}
    return Verdict(True, out)


def history_of(context: ValidationContext | None, lookback: int) -> list[Mapping[str, Any]] | None:
    """The context's earlier published batches (oldest first), or None without a dataset's context."""
    if context is None or context.dataset is None:
        return None
    return list(context.history(lookback))

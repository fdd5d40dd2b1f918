"""Partition objects (GX's description of an expected distribution) and histogram metrics.

A partition is either continuous, ``{"bins": [edges...], "weights": [...], "tail_weights": [lo, hi]}``
with one weight per bin, or categorical, ``{"values": [...], "weights": [...]}``. Weights (with the
tail weights) sum to one. Histograms over a partition's bins are aggregate polars expressions, so
they fuse into the engine's single query.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from integrity.checks.base import Spec
from integrity.checks.families import column_values
from integrity.errors import SuiteError

ARG = "partition_object"


@dataclass(frozen=True)
class Partition:
    """A validated partition object."""

    weights: tuple[float, ...]
    bins: tuple[float, ...] | None = None
    values: tuple[Any, ...] | None = None
    tail_weights: tuple[float, float] | None = None

    @property
    def continuous(self) -> bool:
        return self.bins is not None

    @property
    def infinite_low(self) -> bool:
        return self.bins is not None and self.bins[0] == -math.inf

    @property
    def infinite_high(self) -> bool:
        return self.bins is not None and self.bins[-1] == math.inf


def _numbers(raw: Any, what: str) -> tuple[float, ...]:
    if not isinstance(raw, list | tuple) or not all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in raw
    ):
        raise SuiteError(
            f"Invalid partition object: {what} must be a list of numbers", argument=ARG
        )
    return tuple(float(x) for x in raw)


def parse_partition(raw: Any) -> Partition:
    """Validate a partition object; raise SuiteError (a ValueError) saying what is wrong."""
    if not isinstance(raw, Mapping) or "weights" not in raw or ("bins" in raw) == ("values" in raw):
        raise SuiteError(
            'Invalid partition object: give "weights" with either "bins" (continuous) '
            'or "values" (categorical)',
            argument=ARG,
        )
    weights = _numbers(raw["weights"], "weights")
    if any(w < 0 for w in weights):
        raise SuiteError("Invalid partition object: weights must not be negative", argument=ARG)
    tails = None
    if raw.get("tail_weights") is not None:
        tail_list = _numbers(raw["tail_weights"], "tail_weights")
        if len(tail_list) != 2 or any(w < 0 for w in tail_list):
            raise SuiteError(
                "Invalid partition object: tail_weights must be two non-negative "
                "numbers [below, above]",
                argument=ARG,
            )
        tails = (tail_list[0], tail_list[1])
    if not math.isclose(sum(weights) + sum(tails or ()), 1.0, abs_tol=1e-6):
        raise SuiteError(
            "Invalid partition object: weights (and tail_weights) must sum to 1, not "
            f"{sum(weights) + sum(tails or ()):g}",
            argument=ARG,
        )
    if "values" in raw:
        values = raw["values"]
        if not isinstance(values, list) or len(values) != len(weights):
            raise SuiteError(
                "Invalid partition object: values and weights must have the same length",
                argument=ARG,
            )
        return Partition(weights, values=tuple(values), tail_weights=tails)
    bins = _numbers(raw["bins"], "bins")
    if len(bins) != len(weights) + 1:
        raise SuiteError(
            "Invalid partition object: bins must have one more edge than weights", argument=ARG
        )
    if any(b >= a for a, b in zip(bins[1:], bins[:-1], strict=True)):
        raise SuiteError("Invalid partition object: bins must be strictly increasing", argument=ARG)
    return Partition(weights, bins=bins, tail_weights=tails)


def require_numeric(spec: Spec, what: str) -> None:
    column = spec.kwargs["column"]
    dtype = spec.dtype(column)
    if not (dtype.is_numeric() or dtype == pl.Null):
        raise SuiteError(
            f"{what} needs a numeric column, but column {column!r} holds {dtype}", argument="column"
        )


def histogram(spec: Spec, edges: Sequence[float]) -> pl.Expr:
    """Counts [below, bin..., above, total] of the non-null values over ``edges`` (one row).

    Bins are half-open [a, b) except the last, which is closed, as numpy's histogram counts them.
    """
    x = column_values(spec)
    last = len(edges) - 2
    counts = [(x < edges[0]).sum()]
    for i in range(len(edges) - 1):
        upper = (x <= edges[i + 1]) if i == last else (x < edges[i + 1])
        counts.append(((x >= edges[i]) & upper).sum())
    counts += [(x > edges[-1]).sum(), x.count()]
    return pl.concat_list([c.cast(pl.Int64) for c in counts])

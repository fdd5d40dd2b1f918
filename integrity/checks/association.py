"""Association between two columns: Cramér's phi of their (binned) crosstab.

The metric is the counts of each distinct (A, B) pair, one aggregate in the fused query. Binning
works on those distinct values: numeric columns are cut into bins (n_bins equal-width bins, or the
given edges), other columns keep their n_bins most frequent values and lump the rest as "(other)"
(or group values as bins_ lists say). Nulls are their own "(missing)" category, as in GX.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import polars as pl

from integrity.checks.base import Arg, Check, Spec, expectation
from integrity.checks.families import aggregate_check
from integrity.errors import SuiteError

COUNT = "__integrity_count"
MISSING, OTHER = "(missing)", "(other)"
DEFAULT_BINS = 10

Binner = Callable[[Any], Any]

if TYPE_CHECKING:  # numpy is imported by the functions that need it: it costs 0.13 s
    import numpy as np


def _pair_counts(spec: Spec) -> pl.Expr:
    pairs = pl.struct(
        pl.col(spec.kwargs["column_A"]).alias("a"), pl.col(spec.kwargs["column_B"]).alias("b")
    ).alias("pair")
    if spec.domain is not None:
        pairs = pairs.filter(spec.domain)
    return pairs.value_counts(name=COUNT).implode()


def _first_seen(spec: Spec, column: str) -> pl.Expr:
    values = pl.col(column)
    if spec.domain is not None:
        values = values.filter(spec.domain)
    return values.drop_nulls().unique(maintain_order=True).implode()


def _numeric_binner(counts: Counter[Any], bins: Any, n_bins: int) -> Binner:
    import numpy as np
    present = np.array(sorted(v for v in counts if v is not None), dtype=float)
    if present.size == 0:
        return lambda v: MISSING
    if bins is not None:
        edges = sorted({float(b) for b in bins})
        if present[0] < edges[0]:
            edges.insert(0, float(present[0]))
        if present[-1] > edges[-1]:
            edges.append(float(present[-1]))
        cut = np.array(edges)
    else:
        cut = np.histogram_bin_edges(present, bins=n_bins)
    # The last edge is nudged up so that the column's maximum falls inside the last bin.
    cut[-1] = np.nextafter(cut[-1], math.inf)
    return lambda v: MISSING if v is None else int(np.digitize(float(v), cut)) - 1


def _category_binner(counts: Counter[Any], order: list[Any], bins: Any, n_bins: int) -> Binner:
    if bins is not None:
        label = {value: ", ".join(str(x) for x in group) for group in bins for value in group}
        return lambda v: MISSING if v is None else label.get(v, v)
    ranked = sorted((v for v in order if v in counts), key=lambda v: -counts[v])
    if len(ranked) < n_bins + 1:
        return lambda v: MISSING if v is None else v
    kept = set(ranked[:n_bins])
    return lambda v: MISSING if v is None else (v if v in kept else OTHER)


def _binner(
    dtype: pl.DataType, counts: Counter[Any], order: list[Any], bins: Any, n_bins: int
) -> Binner:
    if dtype.is_integer() or dtype.is_float():
        return _numeric_binner(counts, bins, n_bins)
    return _category_binner(counts, order, bins, n_bins)


def _check_bins(spec: Spec, side: str) -> None:
    bins = spec.kwargs.get(f"bins_{side}")
    dtype = spec.dtype(spec.kwargs[f"column_{side}"])
    if bins is None:
        return
    numeric = dtype.is_integer() or dtype.is_float()
    if numeric and not all(isinstance(b, int | float) for b in bins):
        raise SuiteError(
            f"column_{side} is numeric, so bins_{side} must be a list of bin edges",
            argument=f"bins_{side}",
        )
    if not numeric and not all(isinstance(b, list) for b in bins):
        raise SuiteError(
            f"column_{side} is not numeric, so bins_{side} must be a list of lists of "
            "values to group together",
            argument=f"bins_{side}",
        )


def cramers_phi(table: np.ndarray[Any, Any]) -> float | None:
    """Cramér's phi (V) of a crosstab; None when either side has a single category."""
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if min(table.shape) < 2:
        return None
    chi2 = float(_stats().chi2_contingency(table)[0])
    return max(min(math.sqrt(chi2 / table.sum() / (min(table.shape) - 1)), 1.0), 0.0)


def _positive(value: Any) -> str | None:
    return None if value > 0 else "must be a positive number of bins"


@expectation(
    "expect_column_pair_cramers_phi_value_to_be_less_than",
    family="column_pair",
    args=(
        Arg("column_A", (str,), required=True),
        Arg("column_B", (str,), required=True),
        Arg("bins_A", (list,)),
        Arg("bins_B", (list,)),
        Arg("n_bins_A", (int,), check=_positive),
        Arg("n_bins_B", (int,), check=_positive),
        Arg("threshold", (int, float), default=0.1),
        Arg("row_condition", (str,)),
        Arg("condition_parser", (str,)),
    ),
    column_args=("column_A", "column_B"),
)
def cramers_phi_less_than(spec: Spec) -> Check:
    """Cramér's phi between column_A and column_B (binned) is at most threshold."""
    _check_bins(spec, "A")
    _check_bins(spec, "B")
    threshold = float(spec.get("threshold", 0.1))
    dtypes = {side: spec.dtype(spec.kwargs[f"column_{side}"]) for side in "AB"}
    metrics = {"pairs": _pair_counts(spec)}
    for side in "AB":
        metrics[f"order_{side}"] = _first_seen(spec, spec.kwargs[f"column_{side}"])

    def judge(m: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
        import numpy as np
        rows = [(row["pair"]["a"], row["pair"]["b"], int(row[COUNT])) for row in m["pairs"] or []]
        binners: dict[str, Binner] = {}
        for i, side in enumerate("AB"):
            counts: Counter[Any] = Counter()
            for row in rows:
                counts[row[i]] += row[2]
            binners[side] = _binner(
                dtypes[side],
                counts,
                list(m[f"order_{side}"] or []),
                spec.kwargs.get(f"bins_{side}"),
                int(spec.get(f"n_bins_{side}", DEFAULT_BINS)),
            )
        crosstab: Counter[tuple[Any, Any]] = Counter()
        for a, b, n in rows:
            crosstab[(binners["A"](a), binners["B"](b))] += n
        labels_a = sorted({a for a, _ in crosstab}, key=str)
        labels_b = sorted({b for _, b in crosstab}, key=str)
        table = np.array([[crosstab[(a, b)] for b in labels_b] for a in labels_a], dtype=float)
        phi = cramers_phi(table) if table.size else None
        return phi is not None and phi <= threshold, {"observed_value": phi}

    return aggregate_check(spec, metrics, judge)


def _stats() -> Any:
    """scipy.stats, imported on first use: it costs over a second and most suites never need it."""
    from scipy import stats

    return stats

"""One column of a batch against its reference profile: the fused metric and the verdict.

The reference fixes the bins (numbers: its quantiles, each heavy value a bin of its own;
categories: its most common values and "other"), so the batch side is one aggregate in the suite's
fused query: a histogram over those bins (``hist`` on the reference's edges, or the values
mapped to the reference's categories), a few sums, and the values the reference never listed.
Every part adds up chunk by chunk (low-memory mode stays flat). On large batches a stratified
sample of :data:`~integrity.checks.stats.features.SAMPLE_ROWS` rows is compared.

A column drifted when a strict test says the difference is not sampling noise (p below
:data:`SIGNIFICANCE`) *and* the method's distance says it is large enough to matter (above its
threshold); a value the reference does not list that now holds at least :data:`NEW_VALUE_SHARE`
of the batch (more than the reference allows, by the same test) is drift on its own. The method
and the thresholds, and what they measured: docs/performance.md ("Drift").
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from integrity.checks.base import Metric, Partial
from integrity.checks.stats import divergence as d
from integrity.checks.stats import features as f

METHODS = ("psi", "wasserstein", "jensen_shannon", "hellinger", "ks", "chi2")
#: Default effect thresholds, one scale for all: each is what a shift of about 0.1 standard
#: deviation (or a share moved by about 5 points) gives, half-way (on a log scale) between the
#: day-to-day jitter (0.02 SD) and a shift that matters (0.2 SD). Jensen-Shannon 0.05 is a
#: chi-square divergence of 8 ln2 0.05^2 = 0.014 (PSI 0.015, Cohen's w 0.12, Hellinger 0.04).
THRESHOLDS = {"psi": 0.015, "wasserstein": 0.1, "jensen_shannon": 0.05, "hellinger": 0.04,
              "ks": 0.04, "chi2": 0.12}
ORDERED = ("wasserstein", "ks")
SIGNIFICANCE = 0.001
NEW_VALUE_SHARE = 0.01
DEFAULT_BINS = 10
CATEGORY_CELLS = 20
#: Wasserstein's integral stops at these reference quantiles (values beyond count as if there).
TRIM = 0.001
UNSEEN_SHOWN = 10
_COUNT = "__integrity_count"


def default_method(kind: str) -> str:
    """The method used when a suite names none: Wasserstein (in reference standard deviations)
    for numbers and times, Jensen-Shannon for categories."""
    return "wasserstein" if kind in (f.NUMERIC, f.TEMPORAL) else "jensen_shannon"


@dataclass(frozen=True)
class Comparison:
    """The batch-side metric of one column and how to judge its value."""

    metric: Metric
    judge: Callable[[Mapping[str, Any]], dict[str, Any]]
    method: str


def compare(column: pl.Expr, dtype: pl.DataType, entry: Mapping[str, Any], *,
            method: str | None = None, threshold: float | None = None,
            bins: int | Sequence[float] | None = None, cap: int = f.SAMPLE_ROWS,
            then: Callable[[pl.Expr], pl.Expr] | None = None) -> Comparison:
    """The comparison of ``column`` (nulls included, already restricted to the expectation's
    rows) with its reference ``entry``. Rows are sampled first, then mapped by ``then`` (e.g.
    texts to their lengths) into values of type ``dtype`` and converted (:func:`features.
    values`): a large batch is converted only in part."""
    kind = f.kind_of(dtype)
    assert kind is not None
    chosen = method or default_method(kind)
    limit = THRESHOLDS[chosen] if threshold is None else float(threshold)
    rows = column.len()

    def sample(limit: int) -> pl.Expr:
        picked = f.sampled(column, limit)
        return f.values(then(picked) if then is not None else picked, dtype)

    s = (sample(cap), sample(max(cap // f.CHUNKS, 1)))
    if kind in (f.NUMERIC, f.TEMPORAL):
        return _numeric(rows, s, kind, entry, chosen, limit, bins)
    return _categorical(rows, s, entry, chosen, limit, bins)


Samples = tuple[pl.Expr, pl.Expr]
"""The sample of a whole batch, and of one chunk of rows (see :data:`features.CHUNKS`)."""


def sample_metric(rows: pl.Expr, samples: Samples,
                  fields: Callable[[pl.Expr], dict[str, pl.Expr]]) -> Metric:
    """One aggregate: ``rows`` beside ``fields`` (aggregates of the sampled values, given as
    ``pl.element()``) computed over the sample in one ``list.eval``, so the sample is drawn and
    converted once, however many fields read it. Every field adds up chunk by chunk."""
    inner = pl.struct([e.alias(n) for n, e in fields(pl.element()).items()])

    def over(sample: pl.Expr) -> pl.Expr:
        return pl.struct(rows.alias("rows"),
                         sample.implode().list.eval(inner).list.first().alias("sample"))

    def merge(chunks: list[tuple[int, tuple[Any, ...]]]) -> Any:
        return add_up([values[0] for _, values in chunks])

    return Metric(over(samples[0]), partial=Partial((over(samples[1]),), merge))


def flat(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """A :func:`sample_metric` value as one mapping of its fields (``rows`` included)."""
    if not value:
        return {"rows": 0}
    return {"rows": value.get("rows"), **(value.get("sample") or {})}


def add_up(parts: Sequence[Any]) -> Any:
    """Chunks' values of one field added: numbers, lists element by element, and value counts
    (lists of structs) per value, keeping the most common UNSEEN_SHOWN."""
    present = [p for p in parts if p is not None]
    if not present:
        return None
    if isinstance(present[0], dict):
        keys = dict.fromkeys(k for p in present for k in p)
        return {k: add_up([p.get(k) for p in present]) for k in keys}
    if isinstance(present[0], list):
        if any(p and isinstance(p[0], dict) for p in present):
            counts: dict[tuple[int, Any], tuple[Any, int]] = {}
            for part in present:
                for row in part:
                    value = next(v for k, v in row.items() if k != _COUNT)
                    key = f.value_order(value)
                    counts[key] = (value, counts.get(key, (value, 0))[1] + int(row[_COUNT]))
            top = sorted(counts.values(), key=lambda p: (-p[1], f.value_order(p[0])))[:UNSEEN_SHOWN]
            return [{"value": v, _COUNT: n} for v, n in top]
        width = max(len(p) for p in present)
        return [sum(p[i] for p in present if i < len(p)) for i in range(width)]
    return sum(present)


# --- numbers and times -------------------------------------------------------------------------


@dataclass(frozen=True)
class NumericReference:
    """A numeric profile entry as bins: edges, the reference's count in each, its moments."""

    edges: Any
    counts: Any
    mean: float
    std: float
    finite: int
    nan_share: float

    @classmethod
    def of(cls, entry: Mapping[str, Any], extra: Sequence[float] = ()) -> NumericReference:
        import numpy as np

        points = np.asarray([p[0] for p in entry.get("points") or []], dtype=np.float64)
        point_counts = np.asarray([p[1] for p in entry.get("points") or []], dtype=np.float64)
        hist_edges = list(entry.get("edges") or [])
        hist_counts = np.asarray(entry.get("counts") or [0], dtype=np.float64)
        edges = np.unique(np.concatenate([np.asarray(hist_edges, dtype=np.float64), points,
                                          np.nextafter(points, -np.inf),
                                          np.asarray(extra, dtype=np.float64)]))
        cdf = np.zeros(edges.size)
        if points.size:
            order = np.argsort(points)
            cum = np.cumsum(point_counts[order])
            at = np.searchsorted(points[order], edges, side="right")
            cdf += np.where(at > 0, cum[np.maximum(at - 1, 0)], 0.0)
        if hist_edges:
            e = np.asarray(hist_edges, dtype=np.float64)
            cum = np.cumsum(hist_counts[:-1])
            inside = np.interp(edges, e, cum)
            inside[edges < e[0]] = 0.0
            inside[edges > e[-1]] += hist_counts[-1]
            cdf += inside
        total = float(point_counts.sum() + hist_counts.sum())
        counts = np.diff(np.concatenate([[0.0], cdf, [total]]))
        finite = int(entry.get("finite") or 0)
        m2 = float(entry.get("m2") or 0.0)
        count = int(entry.get("count") or 0)
        nan = int(entry.get("nan") or 0)
        return cls(edges, np.maximum(counts, 0.0), float(entry.get("mean") or 0.0),
                   math.sqrt(m2 / finite) if finite else 0.0, finite,
                   nan / count if count else 0.0)

    def quantile_edge(self, share: float) -> float:
        """The first edge at or below which the reference holds ``share`` of its values."""
        import numpy as np

        cum = np.cumsum(self.counts)[:-1] / max(float(self.counts.sum()), 1e-300)
        at = int(np.searchsorted(cum, share - 1e-12, side="left"))
        return float(self.edges[min(at, self.edges.size - 1)])


def _groups(counts: Any, bins: int, forced: Sequence[int] = ()) -> list[tuple[int, int]]:
    """Fine bins gathered into about ``bins`` groups of equal reference mass (0: split only at
    ``forced``), each a range of fine bin indices; a group ends at each index in ``forced`` (the
    fine bin that closes at an explicit edge)."""
    total = float(counts.sum())
    target = total / bins if bins else math.inf
    groups: list[tuple[int, int]] = []
    start, acc = 0, 0.0
    stops = set(forced)
    for j, mass in enumerate(counts):
        acc += float(mass)
        if (acc >= target - 1e-9 and acc > 0) or j in stops:
            groups.append((start, j))
            start, acc = j + 1, 0.0
    if start < len(counts):
        if groups and acc < target / 2 and not stops:
            groups[-1] = (groups[-1][0], len(counts) - 1)
        else:
            groups.append((start, len(counts) - 1))
    return groups


def _numeric(rows: pl.Expr, s: Samples, kind: str, entry: Mapping[str, Any], method: str,
             threshold: float, bins: int | Sequence[float] | None) -> Comparison:
    import numpy as np

    explicit = [float(b) for b in bins] if isinstance(bins, list | tuple) else []
    ref = NumericReference.of(entry, explicit)
    forced = [int(np.searchsorted(ref.edges, b)) for b in explicit]
    # Explicit edges are the only boundaries; a number of bins gives equal reference masses.
    groups = _groups(ref.counts, 0 if explicit else bins if isinstance(bins, int)
                     else DEFAULT_BINS, forced)
    low, high = ref.quantile_edge(TRIM), ref.quantile_edge(1 - TRIM)
    edges = [-math.inf, *ref.edges.tolist(), math.inf]

    def fields(e: pl.Expr) -> dict[str, pl.Expr]:
        finite = e.filter(e.is_finite())
        centred = finite - ref.mean
        return {"sampled": e.len(), "nulls": e.null_count(), "nan": e.is_nan().sum(),
                "hist": e.hist(bins=edges, include_breakpoint=False,
                               include_category=False).implode(),
                "finite": finite.len(), "d1": centred.sum(), "d2": (centred * centred).sum()}

    metric = sample_metric(rows, s, fields)
    label = _time_label if kind == f.TEMPORAL else _number_label

    def judge(value: Mapping[str, Any]) -> dict[str, Any]:
        v = flat(value)
        h = np.asarray(v.get("hist") or [], dtype=np.float64)
        m = float(h.sum())
        if m == 0:
            return {"not_evaluated": "the batch holds no values of the column (all null or NaN)"}
        r = ref.counts
        rc = np.asarray([r[a:b + 1].sum() for a, b in groups])
        cc = np.asarray([h[a:b + 1].sum() for a, b in groups])
        nan_cur = int(v["nan"] or 0)
        with_nan = ref.nan_share > 0 or nan_cur > 0
        if with_nan:  # NaN is a category of its own beside the ordered bins
            rc = np.append(rc, ref.nan_share / max(1 - ref.nan_share, 1e-12) * r.sum())
            cc = np.append(cc, nan_cur)
        finite_n = int(v["finite"] or 0)
        d1, d2 = float(v["d1"] or 0.0), float(v["d2"] or 0.0)
        mean = ref.mean + d1 / finite_n if finite_n else None
        var = (d2 - d1 * d1 / finite_n) / (finite_n - 1) if finite_n > 1 else 0.0
        scale = ref.std or math.sqrt(max(var, 0.0)) or 1.0
        tests: dict[str, float] = {}
        if method == "ks":
            statistic, tests["ks"] = d.ks(r, h)
        elif method == "chi2":
            statistic = d.cohen_w(rc, cc)
            tests["chi_square"] = d.chi_square(rc, cc, ordered=True)[2]
        else:
            if method == "wasserstein":
                statistic = d.wasserstein(ref.edges, r, h, low=low, high=high) / scale
            else:
                statistic = _distance(method, rc, cc)
            tests["welch"] = d.welch(ref.finite, ref.mean, ref.std**2 * ref.finite
                                     / max(ref.finite - 1, 1), finite_n, mean or 0.0, var)
            tests["mann_whitney"] = d.mann_whitney(r, h).p_value
            tests["chi_square"] = d.chi_square(rc, cc, ordered=True)[2]
        p_value = d.bonferroni(*tests.values())
        shown = [{"bin": label(ref.edges, a, b), "reference": _share(rc[i], rc.sum()),
                  "batch": _share(cc[i], cc.sum())} for i, (a, b) in enumerate(groups)]
        if with_nan:
            shown.append({"bin": "NaN", "reference": _share(rc[-1], rc.sum()),
                          "batch": _share(cc[-1], cc.sum())})
        return {
            "verdict": _verdict(method, statistic, threshold, p_value, shown, "bins"),
            "details": {
                "tests": {k: d.jsonable_float(p) for k, p in tests.items()},
                "sample": {"reference": int(r.sum()), "batch": int(m),
                           "batch_rows": int(v["rows"] or 0),
                           "sampled": int(v["sampled"] or 0) < int(v["rows"] or 0)},
                "mean": {"reference": d.jsonable_float(ref.mean),
                         "batch": d.jsonable_float(mean)},
                "std": {"reference": d.jsonable_float(ref.std),
                        "batch": d.jsonable_float(math.sqrt(max(var, 0.0)))},
                "batch_below_reference_min": int(h[0]) if entry.get("min") is not None and
                ref.edges.size and ref.edges[0] <= entry["min"] else None,
                "batch_above_reference_max": int(h[-1]),
            },
        }

    return Comparison(metric, judge, method)


def _distance(method: str, ref: Any, cur: Any) -> float:
    if method == "psi":
        return d.psi(ref, cur)
    if method == "jensen_shannon":
        return d.jensen_shannon(ref, cur)
    if method == "hellinger":
        return d.hellinger(ref, cur)
    return d.cohen_w(ref, cur)


def _verdict(method: str, statistic: float, threshold: float, p_value: float,
             shown: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return {"method": method, "statistic": d.jsonable_float(statistic), "threshold": threshold,
            "p_value": d.jsonable_float(p_value), "significance": SIGNIFICANCE,
            "drifted": bool(p_value < SIGNIFICANCE and statistic > threshold), key: shown}


def _share(part: float, whole: float) -> float | None:
    return d.jsonable_float(part / whole) if whole else None


def _number_label(edges: Any, a: int, b: int) -> str:
    lo = "-inf" if a == 0 else f"{edges[a - 1]:.6g}"
    hi = "inf" if b >= edges.size else f"{edges[b]:.6g}"
    return f"({lo}, {hi}]"


def _time_label(edges: Any, a: int, b: int) -> str:
    def when(seconds: float) -> str:
        try:
            return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            return f"{seconds:.6g} s"

    lo = "-inf" if a == 0 else when(float(edges[a - 1]))
    hi = "inf" if b >= edges.size else when(float(edges[b]))
    return f"({lo}, {hi}]"


# --- categories --------------------------------------------------------------------------------


def _categorical(rows: pl.Expr, s: Samples, entry: Mapping[str, Any], method: str,
                 threshold: float, bins: int | Sequence[float] | None) -> Comparison:
    import numpy as np
    from scipy import stats

    listed = [v for v, _ in entry.get("top") or []]
    cells = listed[: bins if isinstance(bins, int) else CATEGORY_CELLS]
    counts = dict((f.value_order(v), int(n)) for v, n in entry.get("top") or [])
    sample = int(entry.get("sample") or 0)
    singletons = int(entry.get("singletons") or 0)
    shown_cells = [counts[f.value_order(v)] for v in cells]
    # "(other)" is every value outside the compared cells, seen by the reference or not: its
    # reference count is an unbiased estimate of that whole share.
    ref = np.asarray([*shown_cells, sample - sum(shown_cells)], dtype=np.float64)
    truncated = int(entry.get("other") or 0) > 0
    # How common a value the reference does not list can be: below its least common listed
    # value when the list was cut, else (Good-Turing) the share of values it saw only once.
    bound = (min(counts.values()) if truncated and counts else max(singletons, 1)) / max(sample, 1)
    def fields(e: pl.Expr) -> dict[str, pl.Expr]:
        present = e.drop_nulls()
        # One lookup per value: its place in the reference's list (the first ``cells`` are
        # compared one by one), or len(listed) when the reference does not list it.
        index = present.replace_strict(listed, list(range(len(listed))), default=len(listed),
                                       return_dtype=pl.Int64)
        outside = index == len(listed)
        return {"sampled": e.len(), "nulls": e.null_count(),
                "cells": index.clip(upper_bound=len(cells)).hist(
                    bins=[i - 0.5 for i in range(len(cells) + 2)], include_breakpoint=False,
                    include_category=False).implode(),
                "unseen_total": outside.sum(),
                "unseen": present.filter(outside).value_counts(sort=True, name=_COUNT)
                .head(UNSEEN_SHOWN).implode()}

    metric = sample_metric(rows, s, fields)

    def judge(value: Mapping[str, Any]) -> dict[str, Any]:
        v = flat(value)
        cur = np.asarray(v.get("cells") or [], dtype=np.float64)
        m = float(cur.sum())
        if m == 0:
            return {"not_evaluated": "the batch holds no values of the column (all null)"}
        statistic = _distance(method, ref, cur)
        tests = {"chi_square": d.chi_square(ref, cur)[2], "largest_share_move": d.max_share_z(
            ref, cur)[0]}
        p_value = d.bonferroni(*tests.values())
        unseen = [(next(val for k, val in row.items() if k != _COUNT), int(row[_COUNT]))
                  for row in v["unseen"] or []]
        new_values = []
        for value, count in unseen:
            p_new = float(stats.binom.sf(count - 1, int(m), bound)) * max(len(unseen), 1)
            if count / m - bound >= NEW_VALUE_SHARE and p_new < SIGNIFICANCE:
                new_values.append(value)
        shown = [{"value": value, "reference": _share(ref[i], ref.sum()),
                  "batch": _share(cur[i], m)} for i, value in enumerate(cells)]
        shown.append({"value": "(other)", "reference": _share(ref[-1], ref.sum()),
                      "batch": _share(cur[-1], m)})
        verdict = _verdict(method, statistic, threshold, p_value, shown, "categories")
        verdict["unseen"] = [{"value": val, "count": n, "share": _share(n, m)}
                             for val, n in unseen]
        verdict["new_values"] = new_values
        verdict["drifted"] = verdict["drifted"] or bool(new_values)
        return {
            "verdict": verdict,
            "details": {
                "tests": {k: d.jsonable_float(p) for k, p in tests.items()},
                "sample": {"reference": sample, "batch": int(m),
                           "batch_rows": int(v["rows"] or 0),
                           "sampled": int(v["sampled"] or 0) < int(v["rows"] or 0)},
                "unseen_share": _share(int(v["unseen_total"] or 0), m),
                "reference_lists_every_value": not truncated,
            },
        }

    return Comparison(metric, judge, method)

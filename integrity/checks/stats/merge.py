"""Merging profiles: one profile of many batches, of the same shape as one batch's.

Counts, moments and the text features add up exactly. Top lists add up per value and are cut
again (a value below the cut in some batches counts as 0 there). Histograms, whose edges differ
from batch to batch, are re-binned: the batches' cumulative counts are added on the union of
their edges (linear within each bin), and the merged histogram takes its edges at the quantiles
of that sum, as a single batch's would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from integrity.checks.stats import features as f
from integrity.checks.stats.profile import (
    MAX_POINTS,
    QUANTILES,
    TOP_TOKENS,
    TOP_VALUES,
    VERSION,
)


def merge(profiles: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """See :func:`integrity.checks.stats.profile.merge_profiles`."""
    if not profiles:
        raise ValueError("merge_profiles needs at least one profile")
    for profile in profiles:
        version = profile.get("version")
        if version != VERSION:
            raise ValueError(f"a profile of format version {version!r} cannot be merged with "
                             f"version {VERSION}; rebuild it with this version of integrity")
    names: dict[str, None] = {}
    for profile in profiles:
        names.update(dict.fromkeys(profile.get("columns", {})))
    columns: dict[str, Any] = {}
    for name in names:
        entries = [p["columns"][name] for p in profiles if name in p.get("columns", {})]
        kinds = {e["kind"] for e in entries}
        if len(kinds) > 1:
            raise ValueError(f"column {name!r} is {' in one profile and '.join(sorted(kinds))} "
                             "in another; profiles of one column must agree on its kind")
        columns[name] = merge_column(entries)
    return {"version": VERSION, "rows": sum(int(p.get("rows", 0)) for p in profiles),
            "columns": columns}


def merge_column(entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One column's entries (of one kind) merged."""
    kind = entries[-1]["kind"]
    out: dict[str, Any] = {"kind": kind, "dtype": entries[-1]["dtype"],
                           "count": _sum(entries, "count"), "nulls": _sum(entries, "nulls")}
    if kind in (f.NUMERIC, f.TEMPORAL):
        out.update(merge_numeric(entries))
    else:
        out.update(_merge_categories(entries))
    if kind == f.STRING:
        lengths = [e["length"] for e in entries if "length" in e]
        if lengths:
            out["length"] = {"kind": f.NUMERIC, "dtype": "UInt32", "count": _sum(lengths, "count"),
                             "nulls": _sum(lengths, "nulls"), **merge_numeric(lengths)}
        texts = [e["text"] for e in entries if "text" in e]
        if texts:
            out["text"] = _merge_text(texts)
    return out


def _sum(entries: Sequence[Mapping[str, Any]], key: str) -> int:
    return sum(int(e.get(key) or 0) for e in entries)


def _extreme(entries: Sequence[Mapping[str, Any]], key: str,
             pick: Callable[[list[float]], float]) -> float | None:
    found = [float(e[key]) for e in entries if e.get(key) is not None]
    return pick(found) if found else None


def merge_numeric(entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The numeric part of a profile (moments, points, histogram) of several entries merged."""
    n, mean, m2 = 0, 0.0, 0.0
    for e in entries:  # Chan, Golub and LeVeque's pairwise update of mean and squared deviations
        k = int(e.get("finite") or 0)
        if not k or e.get("mean") is None:
            continue
        delta = float(e["mean"]) - mean
        together = n + k
        m2 += float(e.get("m2") or 0.0) + delta * delta * n * k / together
        mean += delta * k / together
        n = together
    points: dict[float, int] = {}
    for e in entries:
        for value, count in e.get("points") or []:
            points[float(value)] = points.get(float(value), 0) + int(count)
    kept = sorted(points.items(), key=lambda p: -p[1])[:MAX_POINTS]
    spilled = [(v, c) for v, c in points.items() if (v, c) not in kept]
    edges, counts = _rebin(entries, spilled)
    return {
        "nan": _sum(entries, "nan"), "min": _extreme(entries, "min", min),
        "max": _extreme(entries, "max", max), "mean": mean if n else None, "m2": m2,
        "finite": n, "sample": _sum(entries, "sample"),
        "points": [[v, c] for v, c in sorted(kept)], "edges": edges, "counts": counts,
    }


def histogram_cdf(edges: Sequence[float], counts: Sequence[float], x: float) -> float:
    """Counts of a histogram at or below ``x``: bins (-inf, e0], (e0, e1], ..., (eL, inf), the
    first bin's count at e0, the last's just above eL, the others spread evenly in their bin."""
    if not edges or x < edges[0]:
        return 0.0
    total = float(counts[0])
    for j in range(1, len(edges)):
        lo, hi = edges[j - 1], edges[j]
        if x >= hi:
            total += float(counts[j])
        else:
            total += float(counts[j]) * (x - lo) / (hi - lo)
            return total
    return total + (float(counts[-1]) if x > edges[-1] else 0.0)


def _rebin(entries: Sequence[Mapping[str, Any]],
           spilled: Sequence[tuple[float, int]]) -> tuple[list[float], list[int]]:
    import numpy as np

    parts = [(list(e.get("edges") or []), list(e.get("counts") or [0])) for e in entries]
    parts = [(edges, counts) for edges, counts in parts if edges]
    grid = np.unique(np.concatenate([np.asarray(edges, dtype=float) for edges, _ in parts]
                                    + [np.asarray([v for v, _ in spilled], dtype=float)]))
    if grid.size == 0:
        return [], [0]
    cumulative = np.zeros(grid.size)
    total = 0.0
    for edges, counts in parts:
        cumulative += [histogram_cdf(edges, counts, float(x)) for x in grid]
        total += float(sum(counts))
    for value, count in spilled:  # points that no longer fit the list join the histogram
        cumulative += np.where(grid >= value, count, 0)
        total += count
    beyond = total - cumulative[-1]
    targets = np.asarray(QUANTILES) * cumulative[-1]
    new_edges = np.unique(np.interp(targets, cumulative, grid))
    at_edges = np.interp(new_edges, grid, cumulative)
    binned = np.diff(np.concatenate([[0.0], at_edges]))
    counts_out = [round(float(c)) for c in binned] + [round(beyond)]
    return new_edges.tolist(), counts_out


def _merge_categories(entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    counts: dict[tuple[int, Any], tuple[Any, int]] = {}
    for e in entries:
        for value, count in e.get("top") or []:
            key = f.value_order(value)
            counts[key] = (value, counts.get(key, (value, 0))[1] + int(count))
    pairs = sorted(counts.values(), key=lambda p: (-p[1], f.value_order(p[0])))
    sample = _sum(entries, "sample")
    top = pairs[:TOP_VALUES]
    return {"sample": sample, "top": [[v, c] for v, c in top],
            "other": sample - sum(c for _, c in top),
            "distinct": max([len(pairs)] + [int(e.get("distinct") or 0) for e in entries]),
            # Conservative: a value seen once in two batches is counted twice, so the share of
            # values a batch may bring that the reference never saw is overestimated, not missed.
            "singletons": _sum(entries, "singletons")}


def _merge_text(texts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    vocabulary: dict[str, int] = {}
    for t in texts:
        for token, count in t.get("vocabulary") or []:
            vocabulary[str(token)] = vocabulary.get(str(token), 0) + int(count)
    top = sorted(vocabulary.items(), key=lambda p: (-p[1], p[0]))[:TOP_TOKENS]
    return {
        "docs": _sum(texts, "docs"), "empty": _sum(texts, "empty"), "pairs": _sum(texts, "pairs"),
        "vocabulary": [[t, c] for t, c in top], "chars_docs": _sum(texts, "chars_docs"),
        "classes": {name: [sum(float(t["classes"][name][i]) for t in texts if name in
                               t.get("classes", {})) for i in (0, 1)] for name in f.CLASSES},
        "scripts": {name: sum(int(t.get("scripts", {}).get(name, 0)) for t in texts)
                    for name in f.SCRIPTS},
    }

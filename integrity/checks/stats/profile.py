"""Profiles: small, mergeable JSON summaries of a batch's columns, the reference side of drift.

A profile never holds raw rows, and its size does not grow with the batch: each column is
summarised from exact counts and moments plus a stratified sample of at most
:data:`~integrity.checks.stats.features.SAMPLE_ROWS` rows (texts: ``SAMPLE_TEXTS``). Format
(``"version": 1``)::

    {"version": 1, "rows": 1000000,
     "columns": {
       "<name>": {"kind": "numeric" | "temporal" | "boolean" | "string", "dtype": "Float64",
                  "count": non-null values, "nulls": null values,
                  # numeric and temporal (values as floats; temporal in seconds):
                  "nan": NaN values, "min": ..., "max": ..., "mean": ..., "m2": sum of squared
                  deviations from the mean (finite values; exact, over every row),
                  "sample": sampled values (not null, not NaN) the two parts below count,
                  "points": [[value, count], ...]   values that each hold >= 1% of the sample
                                                     (every value when there are <= 64),
                  "edges": [e0, ..., eL], "counts": [c0, ..., cL+1]
                      a histogram of the other sampled values on the bins (-inf, e0],
                      (e0, e1], ..., (eL, inf): edges at their quantiles (QUANTILES),
                  # boolean and string:
                  "sample": ..., "top": [[value, count], ...] (the TOP_VALUES most common),
                  "other": sampled values outside "top", "distinct": distinct sampled values,
                  "singletons": sampled values seen once,
                  # string only:
                  "length": a numeric profile of the texts' lengths in characters,
                  "text": {"docs": sampled texts, "empty": texts without a token,
                           "pairs": distinct (text, token) pairs,
                           "vocabulary": [[token, texts holding it], ...] (TOP_TOKENS),
                           "chars_docs": texts with at least one character,
                           "classes": {class: [sum of shares, sum of squared shares]},
                           "scripts": {script: texts holding it}}}}}

Counts in the distribution parts are sample counts: they weigh the profile by its sample size in
the tests, and :func:`merge_profiles` adds them up, so a baseline of any number of batches is one
profile of the same shape (histograms re-binned on the merged quantiles, top lists cut again).

Building one: :func:`build_profile` (one query over a LazyFrame), or, inside a query that already
runs over the batch (the suite's fused pass), :func:`profile_exprs` for the expressions and
:func:`profile_from_row` to turn their values (one row) into the profile.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from integrity.checks.stats import features as f

VERSION = 1

#: Cumulative shares at which a histogram puts its edges: dense in the tails, where a few rows
#: already move a share, every 2.5 points in between (deciles are among them).
QUANTILES: tuple[float, ...] = (
    0.0, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05,
    *(round(0.075 + 0.025 * i, 4) for i in range(35)),
    0.95, 0.97, 0.98, 0.99, 0.995, 0.9975, 0.999, 1.0,
)
#: A column with at most this many distinct sampled values keeps each as a point.
DISCRETE_VALUES = 64
#: Otherwise a value holding at least this share of the sample is a point (at most MAX_POINTS).
POINT_SHARE = 0.01
MAX_POINTS = 64
TOP_VALUES = 1000
TOP_TOKENS = 300

_PREFIX = "__integrity_profile"
#: Count fields of the value-count structs (unlikely to be a column's own name).
_N, _K = "__integrity_n", "__integrity_k"


def _name(column: str, part: str) -> str:
    return f"{_PREFIX}:{part}:{column}"


def profile_exprs(schema: pl.Schema, columns: Sequence[str] | None = None) -> list[pl.Expr]:
    """The aggregate expressions (one row each) whose values :func:`profile_from_row` turns into
    a profile of ``columns`` (default: every column whose kind a profile covers)."""
    exprs: list[pl.Expr] = [pl.len().alias(_name("", "rows"))]
    for column in _columns(schema, columns):
        dtype = schema[column]
        kind = f.kind_of(dtype)
        raw = pl.col(column)
        exprs += [raw.count().alias(_name(column, "count")),
                  raw.null_count().alias(_name(column, "nulls"))]
        if kind in (f.NUMERIC, f.TEMPORAL):
            exprs += _numeric_exprs(column, raw, dtype)
        else:
            exprs += _category_exprs(column, f.values(f.sampled(raw, f.SAMPLE_ROWS), dtype))
        if kind == f.STRING:
            lengths = f.sampled(raw, f.SAMPLE_ROWS).cast(pl.String).str.len_chars()
            exprs += _numeric_exprs(column + ":length", lengths, pl.UInt32(), sampled=True)
            exprs += _text_exprs(column, f.sampled(raw, f.SAMPLE_TEXTS).cast(pl.String))
    return exprs


def _columns(schema: pl.Schema, columns: Sequence[str] | None) -> list[str]:
    if columns is None:
        return [c for c, d in schema.items() if f.kind_of(d) is not None]
    for column in columns:
        if column not in schema:
            raise ValueError(f"column {column!r} is not in the batch; it has "
                             f"{', '.join(schema.names())}")
        if f.kind_of(schema[column]) is None:
            raise ValueError(f"column {column!r} holds {schema[column]}, which a profile does "
                             "not summarise (numbers, dates and times, booleans and text only)")
    return list(columns)


def _numeric_exprs(column: str, raw: pl.Expr, dtype: pl.DataType,
                   sampled: bool = False) -> list[pl.Expr]:
    """Exact count, NaN count, extremes and moments over every row, on the column as stored
    (temporal: its integers, scaled in :func:`profile_from_row`), and the converted sample.
    ``sampled``: ``raw`` is already a sample (text lengths), whose moments stand for all."""
    base = raw.to_physical() if dtype.is_temporal() else raw
    if dtype.is_float():
        plain, finite = base.filter(~base.is_nan()), base.filter(base.is_finite())
        nan = base.is_nan().sum()
    else:
        plain = finite = base
        nan = pl.lit(0, dtype=pl.UInt32)
    sample = f.values(raw if sampled else f.sampled(raw, f.SAMPLE_ROWS), dtype).drop_nulls()
    return [
        nan.alias(_name(column, "nan")),
        plain.min().cast(pl.Float64).alias(_name(column, "min")),
        plain.max().cast(pl.Float64).alias(_name(column, "max")),
        finite.mean().cast(pl.Float64).alias(_name(column, "mean")),
        finite.var(ddof=0).cast(pl.Float64).alias(_name(column, "var")),
        finite.count().alias(_name(column, "finite")),
        sample.filter(sample.is_not_nan()).implode().alias(_name(column, "sample")),
        pl.lit(f.seconds_per_unit(dtype)).alias(_name(column, "scale")),
    ]


def _category_exprs(column: str, x: pl.Expr) -> list[pl.Expr]:
    sample = x.drop_nulls()
    counts = sample.value_counts(sort=True, name=_N)
    return [
        sample.len().alias(_name(column, "sample")),
        counts.head(TOP_VALUES).implode().alias(_name(column, "top")),
        counts.struct.field(_N).value_counts(name=_K).implode().alias(_name(column, "freq")),
    ]


def _text_exprs(column: str, x: pl.Expr) -> list[pl.Expr]:
    texts = x.drop_nulls()
    toks = f.tokens(texts)
    length = texts.str.len_chars().cast(pl.Float64)
    exprs = [
        texts.len().alias(_name(column, "docs")),
        (toks.list.len() == 0).sum().alias(_name(column, "empty")),
        toks.list.len().sum().alias(_name(column, "pairs")),
        toks.explode().drop_nulls().value_counts(sort=True, name=_N).head(TOP_TOKENS).implode()
        .alias(_name(column, "vocabulary")),
        (length > 0).sum().alias(_name(column, "chars_docs")),
    ]
    for name, pattern in f.CLASSES.items():
        share = (texts.str.count_matches(pattern).cast(pl.Float64) / length).filter(length > 0)
        exprs += [share.sum().alias(_name(column, f"class:{name}")),
                  (share * share).sum().alias(_name(column, f"class2:{name}"))]
    for name, pattern in f.SCRIPTS.items():
        exprs.append(texts.str.contains(pattern).sum().alias(_name(column, f"script:{name}")))
    return exprs


def profile_from_row(row: Mapping[str, Any], schema: pl.Schema,
                     columns: Sequence[str] | None = None) -> dict[str, Any]:
    """The profile from the values of :func:`profile_exprs` (one row, by output name)."""
    out: dict[str, Any] = {"version": VERSION, "rows": int(row[_name("", "rows")]), "columns": {}}
    for column in _columns(schema, columns):
        dtype = schema[column]
        kind = f.kind_of(dtype)
        assert kind is not None

        def get(part: str, name: str = column) -> Any:
            return row[_name(name, part)]

        length_of = column + ":length"

        entry: dict[str, Any] = {"kind": kind, "dtype": str(dtype), "count": int(get("count")),
                                 "nulls": int(get("nulls"))}
        if kind in (f.NUMERIC, f.TEMPORAL):
            entry.update(_numeric_entry(get))
        else:
            entry.update(_category_entry(get("sample"), get("top"), get("freq")))
        if kind == f.STRING:
            length = {"kind": f.NUMERIC, "dtype": "UInt32", "count": entry["count"],
                      "nulls": entry["nulls"]}
            length.update(_numeric_entry(lambda part, n=length_of: get(part, n)))
            entry["length"] = length
            entry["text"] = _text_entry(get)
        out["columns"][column] = entry
    return out


def build_profile(lf: pl.LazyFrame, columns: Sequence[str] | None = None) -> dict[str, Any]:
    """Profile ``columns`` of ``lf`` (default: every column a profile covers) in one query.

    The result is JSON-able and small whatever the batch's size (see the module docstring)."""
    schema = lf.collect_schema()
    row = lf.select(profile_exprs(schema, columns)).collect(engine="in-memory").row(0, named=True)
    return profile_from_row(row, schema, columns)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _numeric_entry(get: Any) -> dict[str, Any]:
    import numpy as np

    sample = np.sort(np.asarray(get("sample") or [], dtype=np.float64))
    finite = int(get("finite") or 0)
    scale = float(get("scale") or 1.0)

    def scaled(value: float | None) -> float | None:
        return None if value is None else value * scale

    var = _number(get("var"))
    entry: dict[str, Any] = {
        "nan": int(get("nan") or 0), "min": scaled(_number(get("min"))),
        "max": scaled(_number(get("max"))), "mean": scaled(_number(get("mean"))),
        "m2": var * scale**2 * finite if var is not None else 0.0, "finite": finite,
    }
    entry.update(summarise(sample))
    return entry


def summarise(sorted_values: Any) -> dict[str, Any]:
    """``sample``, ``points``, ``edges`` and ``counts`` of a numeric profile, from sorted values."""
    import numpy as np

    s = np.asarray(sorted_values, dtype=np.float64)
    if s.size == 0:
        return {"sample": 0, "points": [], "edges": [], "counts": [0]}
    distinct, counts = np.unique(s, return_counts=True)
    if distinct.size <= DISCRETE_VALUES:
        heavy = np.ones(distinct.size, dtype=bool)
    else:
        heavy = counts >= POINT_SHARE * s.size
        if heavy.sum() > MAX_POINTS:
            heavy &= counts >= np.sort(counts[heavy])[-MAX_POINTS]
    points = [[float(v), int(c)] for v, c in zip(distinct[heavy], counts[heavy], strict=True)]
    rest = s[~np.isin(s, distinct[heavy])]
    if rest.size == 0:
        return {"sample": int(s.size), "points": points, "edges": [], "counts": [0]}
    edges = np.unique(np.quantile(rest, QUANTILES, method="inverted_cdf"))
    binned = np.bincount(np.searchsorted(edges, rest, side="left"), minlength=edges.size + 1)
    return {"sample": int(s.size), "points": points, "edges": edges.tolist(),
            "counts": binned.astype(int).tolist()}


def _category_entry(sample: Any, top: Any, freq: Any) -> dict[str, Any]:
    pairs = [(row[next(k for k in row if k != _N)], int(row[_N])) for row in top or []]
    pairs.sort(key=lambda p: (-p[1], f.value_order(p[0])))
    frequencies = {int(r[_N]): int(r[_K]) for r in freq or []}
    total = int(sample or 0)
    listed = sum(n for _, n in pairs)
    return {"sample": total, "top": [[v, n] for v, n in pairs], "other": total - listed,
            "distinct": sum(frequencies.values()), "singletons": frequencies.get(1, 0)}


def _text_entry(get: Any) -> dict[str, Any]:
    vocabulary = [(str(row[next(k for k in row if k != _N)]), int(row[_N]))
                  for row in get("vocabulary") or []]
    vocabulary.sort(key=lambda p: (-p[1], p[0]))
    return {
        "docs": int(get("docs") or 0), "empty": int(get("empty") or 0),
        "pairs": int(get("pairs") or 0), "vocabulary": [[t, n] for t, n in vocabulary],
        "chars_docs": int(get("chars_docs") or 0),
        "classes": {name: [float(get(f"class:{name}") or 0.0), float(get(f"class2:{name}") or 0.0)]
                    for name in f.CLASSES},
        "scripts": {name: int(get(f"script:{name}") or 0) for name in f.SCRIPTS},
    }


def merge_profiles(profiles: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One profile of all the batches ``profiles`` summarise (a baseline of any number of them).

    Counts, moments and text features add up; top lists add up per value and are cut again;
    histograms are re-binned on the merged quantiles (see :mod:`integrity.checks.stats.merge`).
    Raises ValueError when a column's kind differs between profiles or a profile's version is
    not this one."""
    from integrity.checks.stats.merge import merge

    return merge(profiles)

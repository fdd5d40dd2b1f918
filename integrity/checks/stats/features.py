"""What the distribution checks and profiles read from a column, as polars expressions.

Shared by :mod:`~integrity.checks.stats.profile` (the reference side) and the drift checks (the
batch side), so both sides measure a column the same way: the column's kind, its values as floats
(temporal values in seconds), a stratified row sample that bounds the work on large batches, and
the text features (tokens, character classes, scripts), and one order for mixed JSON values.
"""

from __future__ import annotations

from typing import Any

import polars as pl

#: At most this many rows of a batch enter a column's distribution (a stratified sample beyond).
#: The tests' power and the distances' precision are saturated well below it: a 0.02 SD
#: difference is already significant at 250,000 rows, and a distance's sampling error is below
#: 0.005 (docs/performance.md, "Drift").
SAMPLE_ROWS = 250_000

#: At most this many texts enter the text features (tokenizing costs about 2 us per token).
SAMPLE_TEXTS = 20_000

#: In low-memory mode each chunk of rows (500,000 by default) is sampled on its own, with the
#: sample size divided by this, so that a 5M-row batch is compared on about the same number of
#: rows either way (the per-chunk stride cannot know the batch's size).
CHUNKS = 10

NUMERIC, TEMPORAL, BOOLEAN, STRING = "numeric", "temporal", "boolean", "string"
KINDS = (NUMERIC, TEMPORAL, BOOLEAN, STRING)

#: A token: a run of letters, digits, marks or underscores (Unicode-aware), lower-cased.
TOKEN = r"\w+"

#: Character classes of the text check: the share of a text's characters in each.
CLASSES: dict[str, str] = {
    "letters": r"\p{L}",
    "uppercase": r"\p{Lu}",
    "digits": r"\p{N}",
    "whitespace": r"\s",
    "punctuation": r"\p{P}",
    "symbols": r"\p{S}",
    "control": r"[\p{Cc}\p{Cf}]",
}

#: Scripts of the text check: the share of texts that hold letters of each.
SCRIPTS: dict[str, str] = {
    "latin": r"\p{Latin}",
    "cyrillic": r"\p{Cyrillic}",
    "greek": r"\p{Greek}",
    "arabic": r"\p{Arabic}",
    "hebrew": r"\p{Hebrew}",
    "devanagari": r"\p{Devanagari}",
    "thai": r"\p{Thai}",
    "han": r"\p{Han}",
    "kana": r"[\p{Hiragana}\p{Katakana}]",
    "hangul": r"\p{Hangul}",
}

_SECONDS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3}


def kind_of(dtype: pl.DataType) -> str | None:
    """The kind of distribution a column of ``dtype`` has (None: none the checks compare)."""
    if dtype == pl.Boolean:
        return BOOLEAN
    if dtype.is_numeric():
        return NUMERIC
    if dtype.is_temporal():
        return TEMPORAL
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum | pl.Categorical):
        return STRING
    return None


def seconds_per_unit(dtype: pl.DataType) -> float:
    """What one unit of a temporal type's physical integer is, in seconds (1 for numbers)."""
    if dtype == pl.Date:
        return 86_400.0
    if dtype.is_temporal():
        return _SECONDS[getattr(dtype, "time_unit", None) or "ns"]  # Time is in nanoseconds
    return 1.0


def values(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """The column as what its distribution is over: floats for numbers (temporal values in
    seconds since the epoch or midnight), text for categories, booleans as they are. Convert a
    sample (:func:`sampled`), not a whole large column: each use converts again."""
    kind = kind_of(dtype)
    if kind == NUMERIC:
        return expr.cast(pl.Float64)
    if kind == TEMPORAL:
        return expr.to_physical().cast(pl.Float64) * seconds_per_unit(dtype)
    if kind == STRING:
        return expr.cast(pl.String)
    return expr


def value_order(value: Any) -> tuple[int, Any]:
    """A sort and match key for mixed JSON values (booleans, numbers, text): type first, then
    value, so True and 1 stay apart and values of several types sort together."""
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, int | float):
        return (1, value)
    return (2, str(value))


def sampled(expr: pl.Expr, cap: int) -> pl.Expr:
    """At most ``cap`` of ``expr``'s values: all of them when there are fewer, else the middle
    row of each run of ``len // cap + 1`` rows (a systematic sample: an ordered batch is covered
    from start to end, the same batch gives the same rows, and gathering at a fixed stride is
    three times faster than at random offsets). Only rows that repeat a pattern whose period
    divides the stride could be sampled unevenly. Chunk by chunk (low-memory), each chunk is
    sampled on its own."""
    n = expr.len()
    stride = n // cap + 1
    return expr.gather(pl.int_range(0, n // stride, dtype=pl.Int64) * stride + stride // 2)


def tokens(texts: pl.Expr) -> pl.Expr:
    """Each text's distinct tokens (lower-cased), as a list per text."""
    return texts.str.to_lowercase().str.extract_all(TOKEN).list.unique()

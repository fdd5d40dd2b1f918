"""Text folding for the batch-level indicators: the form in which two texts count as the same.

Copies in a flood differ by case, punctuation, emoji, accents, invisible characters, fullwidth
letters or an order number; folding removes all of that before texts are compared, so only the
words remain. Pure polars expressions (Rust regexes), computed once per column and batch.
"""

from __future__ import annotations

import polars as pl

from integrity.checks.base import Spec
from integrity.checks.column_map import ColumnTypeError

#: Characters that render as nothing (zero-width, bidi and tag controls, variation selectors) and
#: combining marks (accents, after NFKD splits them off the letter).
_INVISIBLE_AND_MARKS = r"[\p{Default_Ignorable_Code_Point}\p{Cf}\p{M}]"


def folded(text: pl.Expr, *, mask_digits: bool = False) -> pl.Expr:
    """``text`` as lowercase words separated by single spaces.

    NFKD folds compatibility forms (fullwidth, ligatures) and splits accents off their letters;
    the accents and invisible characters go; anything that is not a letter or a digit (punctuation,
    symbols, emoji) becomes a word break. ``mask_digits`` writes every run of digits as ``0``, so
    copies that differ only by an order number or a date are the same text.
    """
    # ASCII text has nothing to decompose; NFKD costs ~5 µs a row, the test a tenth of that.
    # "ß" upper-cases to "SS": both fold to "ss", as Unicode case folding does.
    decomposed = (text.str.normalize("NFKD").str.replace_all(_INVISIBLE_AND_MARKS, "")
                  .str.to_lowercase().str.replace_all("ß", "ss", literal=True))
    out = (pl.when(text.str.contains(r"[^\x00-\x7F]")).then(decomposed)
           .otherwise(text.str.to_lowercase()))
    if mask_digits:
        out = out.str.replace_all(r"\p{Nd}+", "0")
    return out.str.replace_all(r"[^\p{L}\p{Nd}]+", " ").str.strip_chars()


def text_of(spec: Spec, argument: str) -> pl.Expr:
    """The column named by kwargs ``argument`` as text; any other type is a load error."""
    name = spec.kwargs[argument]
    dtype = spec.dtype(name)
    if dtype in (pl.String, pl.Null, pl.Categorical) or isinstance(dtype, pl.Enum):
        return pl.col(name).cast(pl.String)
    raise ColumnTypeError(
        f"{spec.type} reads text, but column {name!r} ({argument}) is {dtype}; point "
        f"{argument} at a text column or cast this one to text first.")

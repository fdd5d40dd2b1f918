"""Text normalisation shared by the poisoning checks, as polars expressions.

Obfuscation must not hide a pattern. :func:`normalized` folds compatibility forms (NFKC:
fullwidth and mathematical letters, ligatures) and strips invisible characters (zero-width, bidi,
tag characters, variation selectors, soft hyphens). :func:`skeleton` goes on for word matching:
letters of other scripts that look Latin become the ASCII letter they imitate (Unicode's
confusables, see :mod:`integrity.checks.poison.tables`), accents and combining marks go, digits
and symbols inside words are read as the letters they stand for ("1gn0re"); and
:func:`split_letters` joins letters split by dots, dashes or stars ("i.g.n.o.r.e").

The expressions are pure polars, so when several expectations of a suite normalise the same
column, polars computes the shared expression once.
"""

from __future__ import annotations

import unicodedata

import polars as pl

from integrity.checks.base import Spec
from integrity.checks.column_map import ColumnTypeError
from integrity.checks.poison.tables import LATIN_BASES, LATIN_LOOKALIKES, NFKC_CHANGES

#: Default-ignorable code points (zero-width, bidi, tag, variation selectors, soft hyphen, Hangul
#: fillers): invisible when rendered, so stripped before any pattern is matched.
INVISIBLE = r"\p{Default_Ignorable_Code_Point}"

# The skeleton is ASCII, so the patterns that read it use ASCII classes: they compile to a
# fraction of the size of their Unicode forms, and compiling is most of a small batch's cost.
NOT_ALNUM = r"[\x00-\x2F\x3A-\x40\x5B-\x60\x7B-\x7F]"
"""A character of the skeleton that is neither letter nor digit."""
SAME_SENTENCE = r"[\x00-\x09\x0B-\x20\x22-\x2D\x2F-\x3E\x40-\x7F]"
"""A character of the skeleton that does not end a sentence (no newline, '.', '!' or '?')."""
START = f"(?:^|{NOT_ALNUM})"
"""Start of a word: the text's start or a character that is neither letter nor digit."""
END = f"(?:$|{NOT_ALNUM})"
"""End of a word."""

_FOLD = {**LATIN_BASES, **LATIN_LOOKALIKES}
_FOLD_KEYS = list(_FOLD)
_FOLD_VALUES = [_FOLD[k] for k in _FOLD_KEYS]
_FOLD_CLASS = "[" + "".join(sorted(_FOLD)) + "]"

# Leetspeak: digits and symbols read as the letters they stand for, everywhere (a number read
# as letters spells no instruction). '!' and '|' are left alone: they end sentences and
# separate words far more often than they spell an 'i'.
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
# Single letters joined by separators ("i.g.n.o.r.e", "d.u"), not dotted names ("shop.example").
_SPLIT_ROWS = r"(?:^|[^a-zA-Z])[a-zA-Z](?:[-._*][a-zA-Z])+(?:$|[^a-zA-Z])"


def text_column(spec: Spec, argument: str = "column") -> pl.Expr:
    """The column named by ``argument`` as text; anything but text is a load error."""
    name = spec.kwargs[argument]
    dtype = spec.dtype(name)
    if dtype in (pl.String, pl.Null, pl.Categorical) or isinstance(dtype, pl.Enum):
        return pl.col(name).cast(pl.String)
    raise ColumnTypeError(
        f"column {name!r} is {dtype}, but this expectation reads text; point it at a text "
        "column (or cast this one to text first).")


def normalized(text: pl.Expr) -> pl.Expr:
    """NFKC, then invisible characters removed (PII, URL, script and link checks read this).

    NFKC runs only on the rows holding a character it changes: it costs about 4 µs a row, the
    test a tenth of that, and polars evaluates a ``then`` branch on the selected rows only."""
    folded = (pl.when(text.str.contains(f"[{NFKC_CHANGES}]"))
              .then(text.str.normalize("NFKC")).otherwise(text))
    return folded.str.replace_all(INVISIBLE, "")


def skeleton(text: pl.Expr) -> pl.Expr:
    """:func:`normalized`, then folded to ASCII for word matching: lookalike and accented
    letters to their ASCII letter, marks dropped, anything else that is not ASCII to a space,
    leetspeak read as letters. Case is kept: the patterns that read it are case-insensitive.

    One straight chain of replacements: each step reads the previous one once, so polars keeps
    one copy of each however many patterns read the result (a chain of when/then gates, each
    reading its input three times, grows as 3^steps and loses that)."""
    ascii_ = (normalized(text).str.replace_many(_FOLD_KEYS, _FOLD_VALUES)
              .str.replace_all(r"\p{Mn}+", "")
              # What is still not ASCII (other scripts, emoji, typographic quotes) separates words.
              .str.replace_all(r"[^\x00-\x7F]+", " "))
    return ascii_.str.replace_many(_LEET)


def split_letters(skel: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(rows with letters split by dots, dashes or stars, the skeleton with them joined).

    Matched as a second reading of those rows only: joining also glues "end.Next", so the
    plain skeleton is read too."""
    # Twice: a match consumes the letter after the separator, so one pass joins every other pair.
    joined = skel.str.replace_all(r"([a-zA-Z])[-._*]([a-zA-Z])", "$1$2")
    joined = joined.str.replace_all(r"([a-zA-Z])[-._*]([a-zA-Z])", "$1$2")
    return skel.str.contains(_SPLIT_ROWS), joined


def ascii_fold(text: str) -> str:
    """What :func:`skeleton` makes of a pattern word: accents dropped, ligatures spelled out."""
    decomposed = unicodedata.normalize("NFD", "".join(LATIN_BASES.get(c, c) for c in text))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def word(text: str) -> str:
    """A regex for one pattern word or phrase as the skeleton spells it. A space matches any run
    of spaces or punctuation on one line; an apostrophe may be curly or missing ("dont"); a
    hyphen may be a space or missing ("preset")."""
    out: list[str] = []
    for ch in ascii_fold(text.lower()):
        if ch == " ":
            out.append(r"[\t-\r ,'\"*_-]+")
        elif ch in "'’":
            out.append("['`]?")
        elif ch == "-":
            out.append(r"[- ]?")
        else:
            out.append("\\" + ch if ch in r"\.^$|?*+()[]{}/" else ch)
    return "".join(out)


def words(*options: str) -> str:
    """A non-capturing alternation of :func:`word` patterns, longest first."""
    ordered = sorted({word(o) for o in options}, key=len, reverse=True)
    return "(?:" + "|".join(ordered) + ")"

"""``expect_column_values_to_not_contain_confusables``: words that mix scripts to look like other
words ("pаypal" with a Cyrillic а, "пpивет" with a Latin p).

A word is flagged when it mixes Latin with another script and every letter of the smaller script
has a lookalike in the larger one (Unicode's confusables, see
:mod:`integrity.checks.poison.tables`): the word reads as one script but is spelled in two, which
is what a spoof needs and what a person mixing languages does not produce. A Russian sentence
with "iPhone" as its own word mixes scripts across words, not within one, and "iPhoneом" keeps
an ending whose letters look like nothing Latin: neither is flagged. A one-letter Cyrillic ending
that looks Latin ("iPhoneа") cannot be told from a disguise ("Applе") and is flagged.

polars' regex finds the rows where a Latin letter touches a letter of a confusable script (a
handful in a clean batch); only those rows are read word by word in Python.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import polars as pl

from integrity.checks.base import Check, Spec, expectation
from integrity.checks.poison.normalize import normalized, text_column
from integrity.checks.poison.rows import ROW_ARGS, excerpt, row_check
from integrity.checks.poison.tables import LATIN_LOOKALIKES

_SCRIPTS = ("Cyrillic", "Greek", "Armenian", "Cherokee", "Coptic", "Lisu", "Canadian_Aboriginal",
            "Warang_Citi", "Tifinagh", "Georgian", "Deseret", "Osage", "Miao", "Ethiopic",
            "Runic", "Old_Italic", "Carian", "Lycian", "Elbasan", "Ahom", "Bamum", "Myanmar",
            "Oriya", "Malayalam")
_OTHER = "[" + "".join(rf"\p{{{s}}}" for s in _SCRIPTS) + "]"
CANDIDATE = rf"\p{{Latin}}\p{{M}}*{_OTHER}|{_OTHER}\p{{M}}*\p{{Latin}}"
"""A Latin letter next to a letter of a script with Latin lookalikes (or the other way)."""

_WORD = re.compile(r"[^\W\d_]+(?:[\u0300-\u036f][^\W\d_]*)*")
# Latin letters a script has lookalikes for: a Latin 'p' passes for Cyrillic 'р'.
_LATIN_SHAPES: dict[str, set[str]] = {}
for _char, _ascii in LATIN_LOOKALIKES.items():
    _LATIN_SHAPES.setdefault(unicodedata.name(_char).split()[0], set()).update(
        {_ascii.lower(), _ascii.upper()})


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.split()[0] if name else "UNKNOWN"


def _disguised(word: str) -> str | None:
    """Why ``word`` is a mixed-script disguise, or None."""
    letters = [c for c in word if unicodedata.category(c).startswith("L")]
    scripts: dict[str, list[str]] = {}
    for c in letters:
        scripts.setdefault(_script(c), []).append(c)
    if len(letters) < 3 or "LATIN" not in scripts or len(scripts) != 2:
        return None
    other = next(s for s in scripts if s != "LATIN")
    if all(c in LATIN_LOOKALIKES for c in scripts[other]):
        reads, odd = "LATIN", other  # every foreign letter passes for a Latin one
    elif all(c in _LATIN_SHAPES.get(other, set()) for c in scripts["LATIN"]):
        reads, odd = other, "LATIN"
    else:
        return None
    shown = ", ".join(f"{c!r} (U+{ord(c):04X} {unicodedata.name(c, '?')})"
                      for c in dict.fromkeys(scripts[odd]))
    return (f"{excerpt(word, 40)!r} reads as {reads.title()} but is spelled with "
            f"{odd.title()} letters: {shown}")


def _reasons(text: str) -> list[str]:
    found = [why for w in _WORD.findall(text) if (why := _disguised(w))]
    return list(dict.fromkeys(found))[:5]


def _flag(series: pl.Series) -> pl.Series:
    candidates = series.str.contains(CANDIDATE).fill_null(False)
    out = pl.Series(series.name, [False] * len(series), dtype=pl.Boolean)
    if not candidates.any():
        return out
    rows = candidates.arg_true()
    verdicts = [bool(_reasons(t)) for t in series.gather(rows).to_list()]
    return out.scatter(rows, pl.Series(verdicts, dtype=pl.Boolean))


def confusable_mask(text: pl.Expr) -> pl.Expr:
    """True where a word of ``text`` (NFKC, invisible characters removed) mixes scripts to pass
    for a word of one script."""
    return normalized(text).map_batches(_flag, return_dtype=pl.Boolean, is_elementwise=True)


def explain(texts: Sequence[str]) -> list[list[str]]:
    plain = pl.Series(list(texts), dtype=pl.String).to_frame("t").select(
        normalized(pl.col("t"))).to_series().to_list()
    return [_reasons(t or "") for t in plain]


@expectation("expect_column_values_to_not_contain_confusables", family="poison", args=ROW_ARGS)
def not_contain_confusables(spec: Spec) -> Check:
    """No value holds a word spelled in two scripts to pass for a word of one (a Latin word with
    one Cyrillic letter)."""
    return row_check(spec, confusable_mask(text_column(spec)), explain)

"""``expect_column_values_to_not_contain_hidden_characters``: characters that change what a model
reads without changing what a person sees.

Flagged: bidi overrides; bidi embeddings, isolates and marks outside right-to-left text (or
unbalanced in it); zero-width characters; tag characters (ASCII smuggling); private-use code
points; runs of variation selectors (data smuggled after an emoji); other invisible fillers.

Not flagged, because real text needs them: ZWNJ between two letters of a script that joins
(Persian, Arabic, the Indic scripts), ZWJ between letters of a script that conjoins (the Indic
ones), ZWJ inside an emoji sequence (👩‍👩‍👧), tag characters that
spell a subdivision flag (🏴 England), one variation selector after a character (❤️, 1️⃣) or an
ideographic variation selector after a Han character, a byte order mark that opens the text, and
bidi marks or balanced embeddings in text that really is Arabic, Hebrew, Syriac or Thaana.

Each rule removes the legitimate uses first and then looks for what is left, all in polars'
regex engine, behind one scan for any suspect character at all.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from integrity.checks.base import Check, Spec, expectation
from integrity.checks.poison.normalize import text_column
from integrity.checks.poison.rows import ROW_ARGS, row_check

_RTL = r"[\p{Arabic}\p{Hebrew}\p{Syriac}\p{Thaana}\p{Nko}]"
# Scripts that conjoin letters, where ZWJ and ZWNJ pick the form of a conjunct.
_INDIC = (r"\p{Devanagari}\p{Bengali}\p{Gurmukhi}\p{Gujarati}\p{Oriya}\p{Tamil}\p{Telugu}"
          r"\p{Kannada}\p{Malayalam}\p{Sinhala}\p{Khmer}\p{Myanmar}\p{Tibetan}")
# Scripts whose letters join, where ZWNJ between two letters is ordinary spelling (Persian
# "می‌خواهم"). ZWJ is not: running Arabic-script text has no use for it.
_JOINING = f"[\\p{{Arabic}}\\p{{Syriac}}\\p{{Nko}}\\p{{Mongolian}}{_INDIC}]"
_PICTO = r"[\p{Extended_Pictographic}\x{1F9B0}-\x{1F9B3}]"
_EMOJI_TAIL = r"[\x{FE0F}\x{1F3FB}-\x{1F3FF}]*"
_TAGS = r"[\x{E0000}-\x{E007F}]"
_FLAG = r"\x{1F3F4}[\x{E0030}-\x{E0039}\x{E0061}-\x{E007A}]{1,6}\x{E007F}"
_SELECTORS = r"[\x{FE00}-\x{FE0F}\x{E0100}-\x{E01EF}]"


@dataclass(frozen=True)
class HiddenRule:
    """Characters ``found`` in ``residual(text)`` (the text with its legitimate uses removed);
    details name the characters of ``found`` that match ``named`` (default: all)."""

    name: str
    reason: str
    found: str
    residual: Callable[[pl.Expr], pl.Expr] = lambda t: t
    named: str | None = None


def _zero_width_residual(t: pl.Expr) -> pl.Expr:
    """The text without the joiners real spelling needs: ZWNJ between two letters of a joining
    script, ZWJ between two letters or marks of a conjoining (Indic) one, ZWJ inside an emoji
    sequence; and a byte order mark that opens the text."""
    # A match consumes the letter after the joiner, so a chain needs more than one pass.
    out = t
    for _ in range(2):
        out = out.str.replace_all(f"({_JOINING}" + r"\p{M}*)\x{200C}" + f"({_JOINING})", "$1$2")
        out = out.str.replace_all(f"([{_INDIC}]" + r"\p{M}*)\x{200D}" + f"([{_INDIC}])", "$1$2")
    for _ in range(3):  # a family of four has three joiners
        out = out.str.replace_all(f"({_PICTO}{_EMOJI_TAIL})\u200d({_PICTO})", "$1$2")
    return out.str.replace_all(r"^\x{FEFF}", "")


def _rtl_balanced(t: pl.Expr) -> pl.Expr:
    """Right-to-left text whose embeddings and isolates each close."""
    return (t.str.contains(_RTL)
            & (t.str.count_matches(r"[\x{202A}\x{202B}]") == t.str.count_matches("\u202c"))
            & (t.str.count_matches(r"[\x{2066}-\x{2068}]") == t.str.count_matches("\u2069")))


RULES: tuple[HiddenRule, ...] = (
    HiddenRule("bidi_override", "bidi override reorders what is displayed",
               r"[\x{202D}\x{202E}]"),
    HiddenRule("bidi_embedding", "bidi embedding or isolate outside balanced right-to-left text",
               r"[\x{202A}-\x{202C}\x{2066}-\x{2069}]",
               lambda t: pl.when(_rtl_balanced(t)).then(pl.lit("")).otherwise(t)),
    HiddenRule("bidi_mark", "bidi mark in text that has no right-to-left script",
               r"[\x{200E}\x{200F}\x{061C}]",
               lambda t: pl.when(t.str.contains(_RTL)).then(pl.lit("")).otherwise(t)),
    HiddenRule("zero_width", "zero-width character outside the scripts and emoji that use it",
               r"[\x{200B}-\x{200D}\x{2060}-\x{2064}\x{FEFF}\x{180E}\x{034F}]",
               _zero_width_residual),
    HiddenRule("tag_characters", "Unicode tag characters (invisible ASCII) outside a flag",
               _TAGS, lambda t: t.str.replace_all(_FLAG, "\U0001f3f4")),
    HiddenRule("private_use", "private-use code point (no agreed meaning or glyph)",
               r"[\x{E000}-\x{F8FF}\x{F0000}-\x{FFFFD}\x{100000}-\x{10FFFD}]"),
    HiddenRule("variation_selectors", "run of variation selectors (data hidden after a character)",
               f"{_SELECTORS}{{2,}}|[^\\p{{Han}}][\\x{{E0100}}-\\x{{E01EF}}]", named=_SELECTORS),
    HiddenRule("invisible_filler", "invisible filler or deprecated format character",
               r"[\x{115F}\x{1160}\x{3164}\x{FFA0}\x{2800}\x{17B4}\x{17B5}\x{206A}-\x{206F}"
               r"\x{1D173}-\x{1D17A}\x{FFF9}-\x{FFFB}]"),
)

_SUSPECT = "|".join(f"(?:{r.found})" for r in RULES)


def rule_hits(text: pl.Expr) -> list[pl.Expr]:
    """One boolean expression per rule, in :data:`RULES` order."""
    return [r.residual(text).str.contains(r.found) for r in RULES]


def _flags(series: pl.Series) -> pl.Series:
    text = series.cast(pl.String)
    suspect = text.str.contains(_SUSPECT).fill_null(False)
    out = pl.Series(series.name, [False] * len(series), dtype=pl.Boolean)
    if not suspect.any():
        return out
    rows = suspect.arg_true()
    found = text.gather(rows).to_frame("t").select(pl.any_horizontal(rule_hits(pl.col("t"))))
    return out.scatter(rows, found.to_series().fill_null(False))


def hidden_mask(text: pl.Expr) -> pl.Expr:
    """True where ``text`` holds a hidden character. One scan finds the rows with a suspect
    character at all; only those are taken out and looked at closely (under when/then each
    rule would gather and scatter its rows again)."""
    return text.map_batches(_flags, return_dtype=pl.Boolean, is_elementwise=True)


def _name(ch: str) -> str:
    if unicodedata.category(ch) == "Co":
        return "PRIVATE USE"
    return unicodedata.name(ch, "UNNAMED")


def _describe(chars: Sequence[str]) -> str:
    counts: dict[str, int] = {}
    for ch in chars:
        counts[ch] = counts.get(ch, 0) + 1
    named = [f"U+{ord(c):04X} {_name(c)}" + (f" x{n}" if n > 1 else "")
             for c, n in list(counts.items())[:5]]
    more = len(counts) - len(named)
    return ", ".join(named) + (f" and {more} more" if more > 0 else "")


def explain(texts: Sequence[str]) -> list[list[str]]:
    """For each text, each rule that fired and the code points it found."""
    frame = pl.DataFrame({"t": list(texts)}, schema={"t": pl.String})
    found = frame.select([r.residual(pl.col("t")).str.extract_all(r.found).list.join("")
                          .str.extract_all(r.named or r.found).alias(r.name) for r in RULES])
    reasons: list[list[str]] = []
    for row in found.iter_rows(named=True):
        mine = []
        for r in RULES:
            pieces = "".join(row[r.name] or [])
            if pieces:
                mine.append(f"{r.name}: {r.reason} ({_describe(list(pieces))})")
        reasons.append(mine)
    return reasons


@expectation("expect_column_values_to_not_contain_hidden_characters", family="poison",
             args=ROW_ARGS)
def not_contain_hidden_characters(spec: Spec) -> Check:
    """No value holds invisible characters that change what a model reads (bidi controls,
    zero-width, tag and private-use characters), legitimate script and emoji uses excepted."""
    return row_check(spec, hidden_mask(text_column(spec)), explain)

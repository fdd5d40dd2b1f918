"""``expect_column_values_to_not_contain_prompt_injection``: instructions aimed at an AI.

The rules (:mod:`integrity.checks.poison.injection_rules`) read the text's skeleton, so one
Cyrillic letter, zero-width spaces, fullwidth letters or leetspeak do not hide a phrase. Each rule
is a cheap anchor scan, and its precise phrases run only on the anchored rows. Two more readings
catch what the skeleton cannot: letters split by dots or dashes ("i.g.n.o.r.e", joined on those
rows only), and encoded payloads (base64, hex, URL-encoding, \\u escapes, HTML entities) that
decode to an instruction: a Python step that runs on the rows holding such a run only.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import html
import re
import urllib.parse
from collections.abc import Sequence

import polars as pl

from integrity.checks.base import Check, Spec, expectation
from integrity.checks.poison.injection_rules import RULES, Rule
from integrity.checks.poison.normalize import skeleton, split_letters, text_column
from integrity.checks.poison.rows import ROW_ARGS, excerpt, row_check

#: Runs of text that may hide an encoded instruction, and how each is decoded.
ENCODED = (
    ("base64", r"[A-Za-z0-9+/]{20,}={0,2}|[A-Za-z0-9_-]{20,}={0,2}"),
    ("hex", r"(?:[0-9A-Fa-f]{2}[ :]?){12,}"),
    ("URL-encoding", r"[^\s%]{0,16}(?:%[0-9A-Fa-f]{2}[^\s%]{0,16}){2,}"),
    ("escapes", r"(?:\\u[0-9A-Fa-f]{4}|\\x[0-9A-Fa-f]{2}){4,}"),
    ("HTML entities", r"(?:&#[xX]?[0-9A-Fa-f]{1,6};[^&\s]{0,3}){4,}"),
)
_ENCODED_ANY = "|".join(f"(?:{rx})" for _, rx in ENCODED)
_ENCODED_COMPILED = [(name, re.compile(rx)) for name, rx in ENCODED]
_DEPTH = 2
"""Layers of encoding unwrapped (base64 of base64, URL-encoded base64)."""


def _rule_hit(skel: pl.Expr, rule: Rule) -> pl.Expr:
    phrases = [skel.str.contains("(?i)" + p) for p in rule.phrases]
    return (pl.when(skel.str.contains("(?i)" + rule.anchor))
            .then(pl.any_horizontal(phrases)).otherwise(False))


_ANY_ANCHOR = "(?i)" + "|".join(f"(?:{r.anchor})" for r in RULES)


def _reading(skel: pl.Expr) -> list[pl.Expr]:
    """Each rule's verdict on one reading, behind one scan for every rule's anchor at once."""
    anchored = skel.str.contains(_ANY_ANCHOR)
    return [pl.when(anchored).then(_rule_hit(skel, r)).otherwise(False) for r in RULES]


def rule_hits(texts: pl.Series) -> pl.DataFrame:
    """One boolean column per rule (named as the rule, in :data:`RULES` order) for ``texts``.

    The skeleton is computed once as a column and the ~100 patterns read that column: polars
    evaluates a shared subexpression again inside each when/then branch, which made the same
    rules five times slower when written as one expression over the text. Rows with letters
    split by separators are read a second time with them joined."""
    frame = (pl.DataFrame({"t": texts}, schema={"t": pl.String}).lazy()
             .with_columns(skeleton(pl.col("t")).alias("s"))
             .with_columns(split_letters(pl.col("s"))[0].alias("split")))
    joined = split_letters(pl.col("s"))[1]
    return (frame.with_columns(pl.when(pl.col("split")).then(joined).otherwise(None).alias("j"))
            .select([(plain | pl.when(pl.col("split")).then(other).otherwise(False)).alias(r.name)
                     for r, plain, other in zip(RULES, _reading(pl.col("s")),
                                                _reading(pl.col("j")), strict=True)])
            .collect())


def plain_hits(texts: pl.Series) -> pl.Series:
    """True where any rule fires on the text as written (no decoding)."""
    return rule_hits(texts).select(pl.any_horizontal(pl.all())).to_series()


def _printable(raw: bytes) -> str | None:
    """``raw`` as text if it reads as text (UTF-8, mostly printable), else None."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(text) < 8:
        return None
    shown = sum(ch.isprintable() or ch in "\n\t" for ch in text)
    return text if shown >= 0.9 * len(text) else None


def _decode(kind: str, run: str) -> str | None:
    try:
        if kind == "base64":
            # Encoded text mixes cases and digits; order numbers and long words do not.
            if run.isupper() or run.islower() or run.isdigit() or run.isalpha():
                return None
            padded = run + "=" * (-len(run) % 4)
            alphabet_safe = "-" in run or "_" in run
            raw = (base64.urlsafe_b64decode(padded) if alphabet_safe
                   else base64.b64decode(padded, validate=True))
            return _printable(raw)
        if kind == "hex":
            return _printable(bytes.fromhex(re.sub(r"[ :]", "", run)))
        if kind == "URL-encoding":
            return urllib.parse.unquote(run)
        if kind == "escapes":
            return codecs.decode(run, "unicode_escape")
        return html.unescape(run)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def decoded_payloads(text: str) -> list[tuple[str, str]]:
    """Every (encoding, decoded text) found in ``text``, up to :data:`_DEPTH` layers deep.

    A decoded run is checked in its place in the text too (a URL-encoded word inside a plain
    sentence), so the instruction reads whole."""
    found: list[tuple[str, str]] = []
    layer = [("", text)]
    for _ in range(_DEPTH):
        nxt: list[tuple[str, str]] = []
        for via, body in layer:
            for kind, pattern in _ENCODED_COMPILED:
                for match in pattern.finditer(body):
                    plain = _decode(kind, match.group(0))
                    if plain:
                        name = f"{via} in {kind}" if via else kind
                        nxt.append((name, plain))
                        nxt.append((name, body[:match.start()] + plain + body[match.end():]))
        found += nxt
        layer = nxt
    return found


def _decoded_verdicts(texts: Sequence[str]) -> list[list[str]]:
    """For each text, the encodings whose decoded payload any rule flags."""
    pairs = [(row, kind, plain) for row, text in enumerate(texts)
             for kind, plain in decoded_payloads(text)]
    verdicts: list[list[str]] = [[] for _ in texts]
    if not pairs:
        return verdicts
    hits = plain_hits(pl.Series([p for _, _, p in pairs], dtype=pl.String)).to_list()
    for (row, kind, _), hit in zip(pairs, hits, strict=True):
        if hit and kind not in verdicts[row]:
            verdicts[row].append(kind)
    return verdicts


def _encoded(series: pl.Series) -> pl.Series:
    """True on rows whose encoded runs decode to an instruction. Only rows holding a run are
    decoded (a few in a clean batch: tracking numbers, tokens in URLs)."""
    candidates = series.str.contains(_ENCODED_ANY).fill_null(False)
    out = pl.Series(series.name, [False] * len(series), dtype=pl.Boolean)
    if not candidates.any():
        return out
    rows = candidates.arg_true()
    verdicts = _decoded_verdicts(series.gather(rows).to_list())
    return out.scatter(rows, pl.Series([bool(v) for v in verdicts], dtype=pl.Boolean))


def _mask(series: pl.Series) -> pl.Series:
    flagged = plain_hits(series.cast(pl.String)) | _encoded(series.cast(pl.String))
    return flagged.fill_null(False).alias(series.name)


def injection_mask(text: pl.Expr) -> pl.Expr:
    """True where ``text`` holds an instruction aimed at an AI, plainly or encoded. Row-local,
    so polars may hand it the batch in slices."""
    return text.map_batches(_mask, return_dtype=pl.Boolean, is_elementwise=True)


def explain(texts: Sequence[str]) -> list[list[str]]:
    """Which rules flag each text, with the matched words, and which encodings hide one."""
    series = pl.Series(list(texts), dtype=pl.String)
    hits = rule_hits(series)
    skel_expr = skeleton(pl.col("t"))
    readings = series.to_frame("t").select(skel_expr.alias("s"),
                                           split_letters(skel_expr)[1].alias("j"))
    encoded = _decoded_verdicts(texts)
    reasons: list[list[str]] = []
    for i, row in enumerate(hits.iter_rows(named=True)):
        mine = []
        for r in RULES:
            if row[r.name]:
                match = (_first_match(r, readings["s"][i])
                         or _first_match(r, readings["j"][i]))
                mine.append(f"{r.name}: {r.reason}" + (f" ({excerpt(match)!r})" if match else ""))
        mine += [f"encoded: {kind} payload decodes to an instruction" for kind in encoded[i]]
        reasons.append(mine)
    return reasons


def _first_match(rule: Rule, skel: str | None) -> str | None:
    """The words a rule matched, for details (Python's re reads the same ASCII patterns, and
    compiles once per process where a polars call would compile per row)."""
    for regex in _compiled(rule.name):
        found = regex.search(skel or "")
        if found:
            return found.group(0).strip(" \t\n,.;:!?'\"")
    return None


@functools.cache
def _compiled(rule_name: str) -> tuple[re.Pattern[str], ...]:
    rule = next(r for r in RULES if r.name == rule_name)
    return tuple(re.compile(p, re.IGNORECASE) for p in rule.phrases)


@expectation("expect_column_values_to_not_contain_prompt_injection", family="poison",
             args=ROW_ARGS)
def not_contain_prompt_injection(spec: Spec) -> Check:
    """No value holds an instruction aimed at an AI (override, new role, prompt leak, template
    tokens, exfiltrating links, task hijack, encoded payloads), in EN/DE/FR/ES/IT/PT/NL."""
    return row_check(spec, injection_mask(text_column(spec)), explain)

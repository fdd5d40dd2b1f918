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
from integrity.checks.poison.normalize import skeleton, split_letters, text_column, words
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
    """The rule on one reading: each group of phrases runs on the rows holding its anchor."""
    groups = [pl.when(skel.str.contains("(?i)" + anchor))
              .then(skel.str.contains("(?i)" + regex)).otherwise(False)
              for anchor, regex in rule.phrases]
    return pl.when(skel.str.contains("(?i)" + rule.anchor)).then(
        pl.any_horizontal(groups)).otherwise(False)


_ANY_ANCHOR = "(?i)" + "|".join(f"(?:{r.anchor})" for r in RULES)


# A text written in rot13 is read decoded as well when it holds two common short words of
# English, French, Spanish or German in rot13 ("gur", "lbh" and "naq" are "the", "you" and
# "and"), one of the nouns instructions are made of ("vafgehpgvbaf" is "instructions") or a
# link ("uggcf://" is "https://").
_ROT13 = {c: codecs.encode(c, "rot13") for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_ROT13_WORDS = "(?i)(?-u:\\b)" + words(*(codecs.encode(w, "rot13") for w in (
    "the", "you", "your", "and", "this", "with", "all", "now", "are", "for", "of", "is", "to",
    "tes", "les", "des", "vous", "pour", "que", "las", "los", "para", "del", "esta", "un",
    "una", "die", "der", "und", "das", "mit", "du", "ein", "eine", "mir", "dich", "dein",
    "deine", "de", "la", "el", "en", "le", "et", "tu", "tus"))) + "(?-u:\\b)"
_ROT13_NOUNS = "(?i)" + words(*(codecs.encode(w, "rot13") for w in (
    "instruction", "prompt", "system", "rules", "guidelines", "directives", "anweisung",
    "befehl", "regeln", "consigne", "regles", "instruccion", "reglas", "istruzion",
    "instruc", "instructie", "indicaciones", "consignes", "tarea", "aufgabe", "[inst]",
    "<<sys>>", "http:", "https:")))
READINGS = ("as written", "letters joined", "rot13")
"""The readings each rule is checked on, in the order of :func:`rule_hits`' column groups."""


def rule_hits(texts: pl.Series) -> pl.DataFrame:
    """For ``texts``, one boolean column per rule and reading, named ``"<rule>|<reading>"``.

    The skeleton is computed once as a column, and the rules run on the few rows that hold
    an anchor of any rule, taken out of the batch once (a shared subexpression under
    when/then is evaluated again in each branch, and every branch gathers and scatters its
    rows: the same rules as one expression over the text ran five times slower). Rows with
    letters split by separators are read a second time with them joined, rows written in
    rot13 decoded."""
    skel = pl.col("s")
    split, joined = split_letters(skel)
    frame = (pl.DataFrame({"t": texts}, schema={"t": pl.String}).lazy().with_row_index("i")
             .with_columns(skeleton(pl.col("t")).alias("s"))
             .with_columns(split.alias("split"),
                           ((skel.str.count_matches(_ROT13_WORDS) >= 2)
                            | skel.str.contains(_ROT13_NOUNS)).alias("rot"))
             .collect())
    readings = [("as written", frame.select("i", "s")),
                ("letters joined", frame.filter("split").select("i", joined.alias("s"))),
                # Decoded before folding: rot13 tools leave accented letters as they are.
                ("rot13", frame.filter("rot").select(
                    "i", skeleton(pl.col("t").str.replace_many(_ROT13)).alias("s")))]
    out = frame.select("i")
    for reading, rows in readings:
        anchored = rows.filter(skel.str.contains(_ANY_ANCHOR))
        hits = anchored.select("i", *[_rule_hit(skel, r).alias(f"{r.name}|{reading}")
                                      for r in RULES])
        out = out.join(hits, on="i", how="left", maintain_order="left")
    return out.drop("i").fill_null(False)


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
    """Which rules flag each text (and in which reading), with the matched words, and which
    encodings hide one."""
    series = pl.Series(list(texts), dtype=pl.String)
    hits = rule_hits(series)
    skel_expr = skeleton(pl.col("t"))
    read = series.to_frame("t").select(
        skel_expr.alias("as written"), split_letters(skel_expr)[1].alias("letters joined"),
        skeleton(pl.col("t").str.replace_many(_ROT13)).alias("rot13"))
    encoded = _decoded_verdicts(texts)
    reasons: list[list[str]] = []
    for i, row in enumerate(hits.iter_rows(named=True)):
        mine = []
        for r in RULES:
            for reading in READINGS:
                if row[f"{r.name}|{reading}"]:
                    match = _first_match(r, read[reading][i])
                    how = "" if reading == "as written" else f" ({reading})"
                    mine.append(f"{r.name}{how}: {r.reason}"
                                + (f" ({excerpt(match)!r})" if match else ""))
                    break
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
    return tuple(re.compile(regex, re.IGNORECASE) for _, regex in rule.phrases)


@expectation("expect_column_values_to_not_contain_prompt_injection", family="poison",
             args=ROW_ARGS)
def not_contain_prompt_injection(spec: Spec) -> Check:
    """No value holds an instruction aimed at an AI (override, new role, prompt leak, template
    tokens, exfiltrating links, task hijack, encoded payloads), in EN/DE/FR/ES/IT/PT/NL."""
    return row_check(spec, injection_mask(text_column(spec)), explain)

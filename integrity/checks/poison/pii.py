"""``expect_column_values_to_not_contain_pii``: personal data in text that an agent may repeat.

Entities: ``email`` (also written "name [at] host [dot] com"), ``phone`` (validated against the
numbering plans that the ``phonenumbers`` package ships; numbers after "order", "invoice", "#",
dates and amounts are not phones), ``credit_card`` (known card prefixes and the Luhn checksum),
``iban`` (country length and the mod-97 checksum) and ``ip_address`` (IPv4 outside version
strings, IPv6). The text is NFKC-normalised first, so fullwidth digits or an '＠' do not hide one.

E-mail addresses are a polars regex. The other entities need a checksum or a numbering plan: a
polars regex marks the candidate rows and Python validates those rows only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from integrity.checks.base import Arg, Check, Spec, expectation
from integrity.checks.poison.normalize import normalized, text_column
from integrity.checks.poison.pii_validators import find_cards, find_ibans, find_ips, find_phones
from integrity.checks.poison.rows import ROW_ARGS, row_check
from integrity.errors import did_you_mean

ENTITIES = ("email", "phone", "credit_card", "iban", "ip_address")
DEFAULT_REGIONS = ("US", "GB", "DE", "FR", "ES")
"""Where national phone numbers (without +country code) are read as being from."""

_EMAIL = (r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
          r"|(?i)[a-z0-9._%+-]+ *[\[({<] *(?:at|@) *[\])}>] *[a-z0-9-]+"
          r"(?: *(?:[\[({<] *(?:dot|\.) *[\])}>]|\.) *[a-z0-9-]+)+")
_EMAIL_PY = re.compile(_EMAIL.replace("|(?i)", "|").replace("(?:at|@)", "(?:[aA][tT]|@)")
                       .replace("(?:dot|\\.)", "(?:[dD][oO][tT]|\\.)"))
# Candidate rows for the entities Python validates (cheap, generous regexes).
_GATES = {
    "credit_card": r"\d(?:[ -]?\d){11,18}",
    "iban": r"(?i)[a-z]{2}\d{2}(?: ?[a-z0-9]){10}",
    "ip_address": r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:",
}
# A phone number is written as one (international prefix, area code in brackets, three groups
# of digits) or named as one near some digits: bare runs of digits are order numbers.
_PHONE_SHAPE = r"(?:\+|\b00)\d|\(\d{2,5}\) ?\d|\d{2,5}[ .\-/]\d{2,4}[ .\-/]\d{2,5}"
_PHONE_WORD = (r"(?i)call|phone|number|tel|mobile|cell|whats ?app|sms|text me|reach me|ring|fax|"
               r"anruf|ruf|telefon|handy|nummer|appel|portable|joindre|num[eé]ro|ll[aá]m|"
               r"tel[eé]fono|m[oó]vil|celular|n[uú]mero|chiama|cellulare")
# Dates, times and amounts look like grouped digits; the phone gate reads the text without them.
_DATES_AMOUNTS = (r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b|\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{2})?|"
                  r"\b\d{1,2}:\d{2}(?::\d{2})?\b")


def _candidates(entity: str, text: pl.Series) -> pl.Series:
    """Rows worth validating for ``entity`` (two plain scans each, no Python)."""
    if entity != "phone":
        return text.str.contains(_GATES[entity]).fill_null(False)
    plain = text.str.replace_all(_DATES_AMOUNTS, " ")
    return (plain.str.contains(_PHONE_SHAPE)
            | (plain.str.contains(_PHONE_WORD) & plain.str.contains(r"\d{3}"))).fill_null(False)


def _finder(entity: str, regions: Sequence[str]) -> Callable[[str], list[str]]:
    if entity == "phone":
        return functools.partial(find_phones, regions=regions)
    return {"credit_card": find_cards, "iban": find_ibans, "ip_address": find_ips,
            "email": _find_emails}[entity]


def _find_emails(text: str) -> list[str]:
    found = []
    for match in _EMAIL_PY.finditer(text):
        address = re.sub(r"\s", "", match.group(0))
        parts = re.split(r"@|[\[({<][aA][tT][\])}>]", address, maxsplit=1)
        host = re.sub(r"[\[({<][dD][oO][tT][\])}>]", ".", parts[-1])
        found.append(f"email: {parts[0][:1]}***@{host}")
    return found


def _flags(series: pl.Series, entities: Sequence[str], regions: Sequence[str]) -> pl.Series:
    text = series.cast(pl.String).to_frame("t").select(normalized(pl.col("t"))).to_series()
    flags = pl.Series(series.name, [False] * len(series), dtype=pl.Boolean)
    if "email" in entities:
        flags = flags | text.str.contains(_EMAIL).fill_null(False)
    for entity in entities:
        if entity == "email":
            continue
        candidates = _candidates(entity, text) & ~flags
        if not candidates.any():
            continue
        rows = candidates.arg_true()
        find = _finder(entity, regions)
        found = pl.Series([bool(find(t)) for t in text.gather(rows).to_list()], dtype=pl.Boolean)
        flags = flags.scatter(rows, found | flags.gather(rows))
    return flags


def pii_mask(text: pl.Expr, entities: Sequence[str], regions: Sequence[str]) -> pl.Expr:
    """True where ``text`` holds one of ``entities``."""
    return text.map_batches(functools.partial(_flags, entities=tuple(entities),
                                              regions=tuple(regions)),
                            return_dtype=pl.Boolean, is_elementwise=True)


def _explainer(entities: Sequence[str], regions: Sequence[str]
               ) -> Callable[[Sequence[str]], list[list[str]]]:
    def explain(texts: Sequence[str]) -> list[list[str]]:
        plain = pl.Series(list(texts), dtype=pl.String).to_frame("t").select(
            normalized(pl.col("t"))).to_series().to_list()
        return [[why for e in entities for why in _finder(e, regions)(t or "")][:8]
                for t in plain]

    return explain


def _entities_problem(value: Any) -> str | None:
    valid = ", ".join(ENTITIES)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return (f"must be a list of entity names such as [\"email\", \"phone\"], got "
                f"{type(value).__name__} {value!r}; valid names: {valid}")
    if not value:
        return f"is empty; name at least one of: {valid}"
    for name in value:
        if name not in ENTITIES:
            return f"unknown entity {name!r}.{did_you_mean(name, ENTITIES)} Valid names: {valid}"
    return None


def _regions_problem(value: Any) -> str | None:
    import phonenumbers

    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or not value:
        return (f"must be a non-empty list of ISO 3166 region codes such as [\"DE\", \"FR\"], "
                f"got {value!r}")
    unknown = [v for v in value if v.upper() not in phonenumbers.SUPPORTED_REGIONS]
    if unknown:
        return (f"unknown phone region {unknown[0]!r}: use ISO 3166 two-letter codes such as "
                "US, GB, DE, FR, ES")
    return None


@expectation("expect_column_values_to_not_contain_pii", family="poison",
             args=(*ROW_ARGS, Arg("entities", default=list(ENTITIES), check=_entities_problem),
                   Arg("regions", default=list(DEFAULT_REGIONS), check=_regions_problem)))
def not_contain_pii(spec: Spec) -> Check:
    """No value holds personal data: e-mail, phone (validated numbering plan), credit card
    (Luhn), IBAN (mod-97) or IP address; ``entities`` picks which, ``regions`` where national
    phone numbers are from."""
    entities = list(dict.fromkeys(spec.get("entities", list(ENTITIES))))
    regions = [r.upper() for r in spec.get("regions", list(DEFAULT_REGIONS))]
    return row_check(spec, pii_mask(text_column(spec), entities, regions),
                     _explainer(entities, regions))

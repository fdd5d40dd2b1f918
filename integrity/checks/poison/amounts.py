"""Numbers written in policy text: "refunds up to 150 EUR within 30 days", "bis zu 1.500,00 €".

:func:`claims` finds the amounts and limits a text states, with what they measure (money, a
duration, a percentage, or a bare number after a limit word such as "up to", "bis zu",
"jusqu'à", "hasta"). Separators are read the way each locale writes them: "1,500.00",
"1.500,00", "1 500,00", "1'500.00". Where a text is ambiguous ("1,500" is 1500 in English and
1.5 in German) both readings are kept; a claim agrees with a field when either reading does.

Dates, times, phone numbers and years are not claims; neither is a bare number without a
unit or a limit word ("step 2", "since 2019").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

KINDS = ("money", "duration", "percent", "number")
"""What a claim measures. ``number``: a bare number after a limit word, of unknown kind."""

_SPACE = " \u00a0\u202f\u2009"
_NUMBER = re.compile(
    r"(?<![\w.,'])"
    r"(\d{1,3}(?:[.,'" + _SPACE + r"]\d{3})+(?:[.,]\d{1,2})?(?!\d)|\d+(?:[.,]\d+)?)"
    r"(?![\w]|[.,]\d)")
_CURRENCY = (r"(?:€|\$|£|¥|eur|euro|euros|usd|us\$|dollars?|gbp|pounds?|chf|franken|francs?|"
             r"sfr|fr\.|dólares|libras|pesos?)")
_CURRENCY_BEFORE = re.compile(_CURRENCY + r"[" + _SPACE + r"]?$", re.IGNORECASE)
_CURRENCY_AFTER = re.compile(r"^[" + _SPACE + r"]?-?" + _CURRENCY + r"(?!\w)", re.IGNORECASE)
_DURATION_AFTER = re.compile(
    r"^[" + _SPACE + r"]*(?:-|–)?\s*(?:(?:business|working|calendar|banking)\s+)?"
    r"(?:days?|weeks?|months?|hours?|years?|werktagen?|arbeitstagen?|kalendertagen?|tagen?|"
    r"wochen?|monaten?|monate?|stunden?|jahren?|jahre?|jours?|semaines?|mois|heures?|ans?|"
    r"années?|d[ií]as?|semanas?|meses|mes|horas?|años?)(?!\w)", re.IGNORECASE)
_PERCENT_AFTER = re.compile(r"^[" + _SPACE + r"]?(?:%|percent|per cent|prozent|pour ?cent|"
                            r"por ciento)", re.IGNORECASE)
_LIMIT_BEFORE = re.compile(
    r"(?:up to|at most|at least|maximum(?: of)?|minimum(?: of)?|max\.?|min\.?|within|limit(?: of)?|"
    r"no more than|not exceeding|capped at|bis zu|bis|höchstens|maximal|mindestens|innerhalb(?: von)?|"
    r"jusqu'à|jusqu’à|au maximum|au plus|au moins|maximum de|dans un délai de|sous|"
    r"hasta|como máximo|como mínimo|al menos|dentro de|máximo(?: de)?)\s*$", re.IGNORECASE)
_RANGE_REST = re.compile(r"^\s*(?:-|–|to|bis|à|a)\s*\d+(?:[.,]\d+)?")
#: A number inside a date (31.12.2025, 12/31/2025, 2025-12-31), a time (10:30), a range of
#: digits split by slashes (24/7) or a phone number (+49 30 1234567, 0800 123 456).
_NOT_A_CLAIM = re.compile(
    r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}:\d{2}|\d+/\d+|"
    r"(?:\+|\b0)\d[\d" + _SPACE + r"/-]{6,}\d")


@dataclass(frozen=True)
class Claim:
    """A number the text states: where, as written, its possible values and what it measures."""

    start: int
    written: str
    values: frozenset[Decimal]
    kind: str


def readings(number: str) -> frozenset[Decimal]:
    """Every value ``number`` (digits and separators, as matched) can mean in EN/DE/FR/ES."""
    compact = re.sub(r"[" + _SPACE + "']", "", number) if re.search(
        r"\d[" + _SPACE + r"']\d{3}", number) else number
    values: set[str] = set()
    if "," in compact and "." in compact:
        decimal = "," if compact.rfind(",") > compact.rfind(".") else "."
        group = "." if decimal == "," else ","
        values.add(compact.replace(group, "").replace(decimal, "."))
    elif "," in compact or "." in compact:
        sep = "," if "," in compact else "."
        parts = compact.split(sep)
        grouped = all(len(p) == 3 for p in parts[1:]) and 1 <= len(parts[0]) <= 3
        if len(parts) > 2:
            values.add(compact.replace(sep, "") if grouped else compact)
        else:
            values.add(parts[0] + "." + parts[1])  # a decimal separator
            if grouped:
                values.add(compact.replace(sep, ""))  # or a thousands separator
    else:
        values.add(compact)
    out = set()
    for value in values:
        try:
            out.add(Decimal(value))
        except InvalidOperation:
            continue
    return frozenset(out)


def claims(text: str) -> list[Claim]:
    """The amounts and limits ``text`` states, in order."""
    excluded = [m.span() for m in _NOT_A_CLAIM.finditer(text)]
    found = []
    for match in _NUMBER.finditer(text):
        start, end = match.span()
        if any(a <= start < b for a, b in excluded):
            continue
        before, after = text[max(0, start - 30):start], text[end:end + 40]
        # The first number of a range ("5-7 days", "5 to 7 days") takes the range's unit.
        rest = _RANGE_REST.match(after)
        if rest is not None:
            after = after[rest.end():]
        if _CURRENCY_BEFORE.search(before) or _CURRENCY_AFTER.match(after):
            kind = "money"
        elif _PERCENT_AFTER.match(after):
            kind = "percent"
        elif _DURATION_AFTER.match(after):
            kind = "duration"
        elif _LIMIT_BEFORE.search(before):
            kind = "number"
        else:
            continue
        values = readings(match.group(1))
        if values:
            found.append(Claim(start, match.group(0).strip(), values, kind))
    return found


def compatible(claim_kind: str, field_kind: str) -> bool:
    """A claim can state a field when their kinds agree; ``any`` and ``number`` agree with all."""
    return claim_kind == "number" or field_kind in ("any", claim_kind)


_KIND_BY_NAME = (
    ("duration", re.compile(r"day|tag|jour|d[ií]a|week|woche|month|monat|mois|hour|stunde|heure|"
                            r"window|frist|period|delay|plazo|d[eé]lai", re.IGNORECASE)),
    ("percent", re.compile(r"pct|percent|prozent|rate|ratio|share|quote", re.IGNORECASE)),
    ("money", re.compile(r"amount|price|refund|fee|cost|limit|eur|usd|gbp|chf|betrag|montant|"
                         r"importe|preis|prix|precio|max|min|cap|value|total", re.IGNORECASE)),
)


def kind_from_name(column: str) -> str:
    """The kind a column's name suggests ("refund_window_days": duration), else ``any``."""
    return next((kind for kind, pattern in _KIND_BY_NAME if pattern.search(column)), "any")


def as_decimal(value: object) -> Decimal | None:
    """A field's value as a Decimal (None for a null or a non-finite number)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        out = Decimal(str(value))
    except InvalidOperation:
        return None
    return out if out.is_finite() else None


@dataclass(frozen=True)
class Field:
    """A structured field the text should agree with."""

    kind: str
    strict: bool
    """True when the steward gave the kind: every claim of that kind must then be one of the
    fields. False when it was guessed from the name: a claim contradicts it only when the text
    does not state the field's value anywhere."""
    value: object


def contradictions(text: str | None, fields: dict[str, Field]) -> list[dict[str, object]]:
    """Where ``text`` contradicts ``fields``; empty when it does not.

    A claim agrees when one of its readings equals a field of a compatible kind. A claim that
    agrees with no field contradicts every compatible field that is strict, and every compatible
    field whose value the text states nowhere (so an extra number, such as a processing time,
    is no contradiction while the fields themselves are stated correctly).
    """
    if not text:
        return []
    stated = claims(text)
    values = {name: (f, as_decimal(f.value)) for name, f in fields.items()}
    known = {name: (f, v) for name, (f, v) in values.items() if v is not None}
    mentioned = {name for name, (f, v) in known.items()
                 if any(v in c.values and compatible(c.kind, f.kind) for c in stated)}
    out: list[dict[str, object]] = []
    for claim in stated:
        if any(v in claim.values and compatible(claim.kind, f.kind) for f, v in known.values()):
            continue
        against = {name: str(v) for name, (f, v) in known.items()
                   if compatible(claim.kind, f.kind) and (f.strict or name not in mentioned)}
        if against:
            out.append({"text": claim.written, "kind": claim.kind, "fields": against})
    return out

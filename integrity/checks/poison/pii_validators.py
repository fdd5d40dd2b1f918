"""Validators for the PII check's candidates: what a regex cannot decide (checksums, numbering
plans, the words around a number). Each finder takes one text and returns the entities found,
already masked for display; they run only on the rows polars' regex marked as candidates.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Any

# IBAN length by country, from the SWIFT IBAN registry (ISO 13616).
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

# Card number prefixes (IIN ranges) and lengths of the networks that issue most cards.
_CARD_BRANDS: tuple[tuple[str, tuple[tuple[int, int], ...], tuple[int, ...]], ...] = (
    ("Visa", ((4, 4),), (13, 16, 19)),
    ("Mastercard", ((51, 55), (2221, 2720)), (16,)),
    ("American Express", ((34, 34), (37, 37)), (15,)),
    ("Discover", ((6011, 6011), (644, 649), (65, 65)), (16, 17, 18, 19)),
    ("JCB", ((3528, 3589),), (16, 17, 18, 19)),
    ("Diners Club", ((300, 305), (36, 36), (38, 39)), (14, 15, 16, 17, 18, 19)),
    ("UnionPay", ((62, 62),), (16, 17, 18, 19)),
    ("Maestro", ((50, 50), (56, 69)), (12, 13, 14, 15, 16, 17, 18, 19)),
)
# How people group card digits: 4-4-4-4(-3), Amex 4-6-5, Diners 4-6-4.
_CARD_GROUPS = {(4, 4, 4, 4), (4, 4, 4, 4, 3), (4, 6, 5), (4, 6, 4), (4, 4, 4, 4, 2),
                (4, 4, 4, 1), (4, 4, 4, 2), (4, 4, 4, 3)}

CARD_RUN = re.compile(r"(?<![^\W_])(?<![.,])\d(?:[ -]?\d){11,18}(?![^\W_])(?![.,]\d)")
IBAN_RUN = re.compile(r"(?i)(?<![a-z0-9])[a-z]{2}\d{2}(?: ?[a-z0-9]){10,32}")
IPV4_RUN = re.compile(r"(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d]|\.\d)")
IPV6_RUN = re.compile(r"(?i)(?<![0-9a-z:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![0-9a-z:])")
# Not glued to letters or digits on either side ("A8424-493854", "LX132238023DE" are codes).
# A dot only between digits: "2024. 1" ends a sentence, it does not group a number.
PHONE_RUN = re.compile(
    r"(?<![^\W_])(?<![,.])(?:\+|00)?\(?\d(?:[\d \t()\-/]|\.(?=\d)){5,20}\d(?![^\W_])(?!,\d)")

_VERSION_CONTEXT = re.compile(r"(?i)(?:\bv|version|ver\.?|build|firmware|fw|release|os|sdk)\s*$")
# Words that make a number something other than a phone number.
_NOT_PHONE_CONTEXT = re.compile(
    r"(?i)(?:\b(?:order|bestell|auftrag|commande|pedido|ordine|encomenda|invoice|rechnung|"
    r"facture|factura|fattura|ticket|case|ref|referen|référence|tracking|sendung|colis|envío|"
    r"envio|seguimiento|suivi|paket|parcel|package|shipment|account|konto|compte|cuenta|conto|"
    r"card|karte|carte|tarjeta|iban|sku|serial|serien|model|modell|modèle|artikel|article|"
    r"item|kunden|client|customer|id|no|nr|n°|nº)\w*\.?|#)[^\w.!?]{0,3}(?:\w+[^\w.!?]{1,3}){0,2}$")
_PHONE_CONTEXT = re.compile(
    r"(?i)\b(?:call|phone|tel|telephone|mobile|cell|whats\s?app|sms|text me|reach me|ring|fax|"
    r"contact|number is|anrufen|ruf|rufen|telefon|handy|nummer|erreichbar|appel|appelez|"
    r"appelle|téléphone|telephone|portable|joindre|numéro|llamar|llámame|llamame|llámeme|"
    r"teléfono|telefono|móvil|movil|celular|número|chiama|chiamami|cellulare|numero)")
_CURRENCY = re.compile(r"(?i)^\s?(?:[€$£¥%]|eur|usd|gbp|chf|kg|km|mm|cm|ml)")
_DATE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
_DOTTED_QUAD = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")  # an IP address or a version


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    for brand, ranges, lengths in _CARD_BRANDS:
        if len(digits) not in lengths:
            continue
        for low, high in ranges:
            width = len(str(low))
            if low <= int(digits[:width]) <= high:
                return brand
    return None


def find_cards(text: str) -> list[str]:
    found = []
    for match in CARD_RUN.finditer(text):
        run = match.group(0)
        groups = tuple(len(g) for g in re.split(r"[ -]", run))
        separators = set(re.findall(r"[ -]", run))
        if len(groups) > 1 and (len(separators) > 1 or groups not in _CARD_GROUPS):
            continue
        digits = re.sub(r"\D", "", run)
        brand = card_brand(digits)
        if brand and luhn_ok(digits):
            found.append(f"credit_card: {brand} number ending {digits[-4:]} (Luhn checksum valid)")
    return found


def iban_ok(candidate: str) -> str | None:
    """The IBAN at the start of ``candidate`` (spaces ignored) if its checksum holds."""
    compact = re.sub(r"\s", "", candidate).upper()
    length = IBAN_LENGTHS.get(compact[:2])
    if length is None or len(compact) < length:
        return None
    iban = compact[:length]
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return iban if int(number) % 97 == 1 else None


def find_ibans(text: str) -> list[str]:
    found = []
    for match in IBAN_RUN.finditer(text):
        iban = iban_ok(match.group(0))
        if iban:
            found.append(f"iban: {iban[:2]} account ending {iban[-4:]} (mod-97 checksum valid)")
    return found


def find_ips(text: str) -> list[str]:
    found = []
    for match in IPV4_RUN.finditer(text):
        if all(int(g) <= 255 for g in match.groups()) and not _VERSION_CONTEXT.search(
                text[max(0, match.start() - 12):match.start()]):
            octets = match.groups()
            found.append(f"ip_address: IPv4 {octets[0]}.{octets[1]}.x.x")
    for match in IPV6_RUN.finditer(text):
        try:
            address = ipaddress.IPv6Address(match.group(0))
        except ValueError:
            continue
        if match.group(0).count(":") >= 2 and str(address) != "::":
            found.append(f"ip_address: IPv6 {str(address).split(':')[0]}:…")
    return found


def find_phones(text: str, regions: Sequence[str]) -> list[str]:
    """Phone numbers phonenumbers validates: international ones (+ or 00) as they stand,
    national ones for each of ``regions`` when written as a phone number is (grouped digits) or
    named as one ("call me on"). A number after 'order', 'invoice', 'ref', '#' ... is not one,
    nor a date, an amount or a bare run of digits nobody called a phone number."""
    import phonenumbers

    found: list[str] = []
    for match in PHONE_RUN.finditer(text):
        run = match.group(0).strip()
        before = text[max(0, match.start() - 40):match.start()]
        after = text[match.end():match.end() + 4]
        digits = re.sub(r"\D", "", run)
        names = [m.start() for m in _PHONE_CONTEXT.finditer(before) if m.start() >= len(before) - 30]
        named = bool(names)
        not_phone = _NOT_PHONE_CONTEXT.search(before)
        if not_phone and named and names[-1] > not_phone.start():
            not_phone = None  # "the case works. phone 0151 ...": the nearer word counts
        if (len(digits) < 7 or len(digits) > 15 or _DATE.match(run) or _DOTTED_QUAD.match(run)
                or _CURRENCY.match(after) or re.search(r"[€$£]\s?$", before) or not_phone):
            continue
        international = run.startswith(("+", "00"))
        grouped = bool(re.search(r"\d[ ().\-/]+\d", run))
        if not (international or named or grouped):
            continue
        number = _valid_phone(phonenumbers, "+" + run[2:] if run.startswith("00") else run,
                              [None] if international else list(regions))
        if number:
            found.append(f"phone: {number}")
    return found


def _valid_phone(phonenumbers: Any, run: str, regions: Sequence[str | None]) -> str | None:
    """How the number reads where its numbering plan holds (every region that accepts it),
    masked to its last three digits; None when no plan does."""
    valid = []
    for region in regions:
        try:
            parsed = phonenumbers.parse(run, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            where = phonenumbers.region_code_for_number(parsed) or region or "?"
            valid.append(f"+{parsed.country_code} …{str(parsed.national_number)[-3:]} ({where})")
    if not valid:
        return None
    return " or ".join(valid) + ", numbering plan valid"

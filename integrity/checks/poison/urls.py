"""``expect_column_values_to_not_contain_urls_outside``: links an agent could repeat that lead
anywhere but the domains a steward allows.

A link is anything a chat client turns into one: ``scheme://`` URLs, ``www.`` names, names with
a path (``bit.ly/x``) and bare domain names with a common top-level domain (``refund-help.xyz``;
a rarer one only with a path, so that "file.txt" is no link).
Its host is read the way a browser reads it (after the last ``@`` of the authority, up to a
port, path or backslash; NFKC folds fullwidth dots). A row is flagged for a host outside
``allowed_domains`` (the domain itself or a subdomain), and the details say when that host is
a raw IP address (also in decimal or hex), punycode or non-ASCII (a homograph), a link
shortener, or hides behind user info (``https://allowed.com@evil.com``). ``data:`` and
``javascript:`` URIs are always flagged. Everything up to the host check is polars' regex engine.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from integrity.checks.base import Arg, Check, Spec, expectation
from integrity.checks.poison.normalize import normalized, text_column
from integrity.checks.poison.rows import ROW_ARGS, excerpt, row_check

SHORTENERS = (
    "bit.ly", "bitly.com", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "v.gd", "buff.ly",
    "rebrand.ly", "cutt.ly", "shorturl.at", "tiny.cc", "rb.gy", "t.ly", "lnkd.in", "bl.ink",
    "short.io", "s.id", "qr.ae", "tr.im", "x.co", "urlz.fr", "shorte.st", "adf.ly", "bc.vc",
    "soo.gd", "clck.ru", "u.to", "0rz.tw", "db.tt", "amzn.to", "fb.me", "trib.al", "shorturl.com",
    "tiny.one", "urlr.me", "lstu.fr", "kutt.it", "t2m.io", "shrtco.de", "y2u.be", "snip.ly")
_TLDS = (
    "com", "net", "org", "info", "biz", "io", "co", "ai", "app", "dev", "xyz", "top", "online",
    "site", "shop", "store", "club", "live", "link", "click", "me", "ly", "gl", "gd", "to", "cc",
    "tk", "ml", "ga", "cf", "gq", "ru", "cn", "su", "de", "fr", "es", "it", "nl", "be", "at",
    "ch", "uk", "us", "eu", "ca", "au", "in", "br", "mx", "ar", "jp", "kr", "pl", "pt", "se",
    "no", "dk", "fi", "ie", "tv", "ws", "cloud", "page", "support", "help", "services", "work",
    "icu", "buzz", "rest", "win", "bid", "loan", "pro", "mobi", "name", "ir", "sa", "ae", "tr",
    "ua", "gr", "cz", "ro", "hu", "il", "za", "ng", "id", "vn", "th", "my", "sg", "ph", "nz")

_TAIL = r"[^\s<>\"'`\])}.,;:!?]"  # the last character of a link (sentence punctuation is not)
_BODY = r"[^\s<>\"'`\])}]*"
LINK = "|".join([
    r"(?i)\b(?:https?|ftp|wss?)://" + _BODY + _TAIL,
    r"(?i)\bwww\.[a-z0-9\p{L}-]+(?:\.[a-z0-9\p{L}-]+)+(?:[/?#:]" + _BODY + _TAIL + ")?",
    r"(?i)@?\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:" + "|".join(_TLDS) + r")\b(?:[/?#]"
    + _BODY + _TAIL + r"|/)?",
    r"(?i)@?\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z]{2,24}/(?:" + _BODY + _TAIL + ")?",
])
"""What a chat client would turn into a link (a leading '@' marks an e-mail host, skipped)."""
SCRIPT_URI = r"(?i)\b(?:data:[a-z]+/[a-z0-9.+-]+[;,]|javascript:)"
_HOST = r"(?i)^(?:[a-z][a-z0-9+.-]*://)?(?:[^/?#@\\]*@)?(\[[0-9a-f:.]+\]|[^/?#:\\@]+)"
_IP_HOST = r"(?i)^(?:\[[0-9a-f:.]+\]|(?:\d+|0x[0-9a-f]+)(?:\.(?:\d+|0x[0-9a-f]+)){0,3})$"
_GATE = r"(?i)://|www\.|data:|javascript:|\.[a-z]{2,24}/|\.(?:" + "|".join(_TLDS) + r")\b"


def _allowed_regex(domains: Sequence[str]) -> str:
    names = set()
    for domain in domains:
        names.add(domain)
        with contextlib.suppress(UnicodeError):  # not an IDN: its ASCII form is itself
            names.add(domain.encode("idna").decode("ascii"))
    return r"(?i)(?:^|\.)(?:" + "|".join(re.escape(n) for n in sorted(names)) + r")\.?$"


def _hosts(links: pl.Expr) -> pl.Expr:
    """The host of each link of a list column (lowercase, trailing dot dropped; e-mail hosts
    removed)."""
    return links.list.eval(
        pl.element().filter(~pl.element().str.starts_with("@")).str.extract(_HOST, 1)
        .str.to_lowercase().str.strip_chars_end("."))


def _readable(text: pl.Expr) -> pl.Expr:
    """The text as a browser reads host names: NFKC, no invisible characters, and the
    ideographic full stops IDNA treats as dots."""
    return normalized(text).str.replace_all(r"[\x{3002}\x{FF61}]", ".")


def _flags(series: pl.Series, allowed: str) -> pl.Series:
    text = (series.cast(pl.String).to_frame("t")
            .select(_readable(pl.col("t")).alias("t"))
            .with_columns(pl.col("t").str.contains(_GATE).fill_null(False).alias("gate")))
    gated = text.filter(pl.col("gate"))
    if gated.height == 0:
        return pl.Series(series.name, [False] * len(series), dtype=pl.Boolean)
    verdict = gated.select(
        (pl.col("t").str.contains(SCRIPT_URI)
         | _hosts(pl.col("t").str.extract_all(LINK))
         .list.eval(pl.element().is_null() | ~pl.element().str.contains(allowed)).list.any()
         ).fill_null(False)).to_series()
    rows = text["gate"].arg_true()
    out = pl.Series(series.name, [False] * len(series), dtype=pl.Boolean)
    return out.scatter(rows, verdict)


def urls_mask(text: pl.Expr, allowed_domains: Sequence[str]) -> pl.Expr:
    """True where ``text`` links outside ``allowed_domains`` or holds a data:/javascript: URI."""
    return text.map_batches(functools.partial(_flags, allowed=_allowed_regex(allowed_domains)),
                            return_dtype=pl.Boolean, is_elementwise=True)


def _why(link: str, host: str | None) -> str:
    if host is None:
        return f"link {excerpt(link)!r} has no readable host"
    shown = excerpt(host, 50)
    if re.match(_IP_HOST, host):
        return f"link to a raw IP address {shown!r}"
    if host.startswith("xn--") or ".xn--" in host:
        return f"link to punycode host {shown!r} (may spell a lookalike domain)"
    if not host.isascii():
        return f"link to non-ASCII host {shown!r} (may be a lookalike domain)"
    if any(host == s or host.endswith("." + s) for s in SHORTENERS):
        return f"link shortener {shown!r} hides where it leads"
    authority = re.sub(r"(?i)^[a-z][a-z0-9+.-]*://", "", link).split("/")[0]
    if "@" in authority:
        return f"link to {shown!r} disguised with user info {excerpt(authority, 50)!r}"
    return f"link to {shown!r}, which is not in allowed_domains"


def _script_why(uri: str) -> str:
    if uri.lower().startswith("javascript"):
        return "javascript: URI runs code when clicked"
    return f"{uri.rstrip(';,').lower()} URI embeds content in the link itself"


def _explainer(allowed: str) -> Callable[[Sequence[str]], list[list[str]]]:
    def explain(texts: Sequence[str]) -> list[list[str]]:
        frame = pl.Series(list(texts), dtype=pl.String).to_frame("t").select(
            _readable(pl.col("t")).alias("t"))
        found = frame.select(
            pl.col("t").str.extract_all(SCRIPT_URI).alias("scripts"),
            pl.col("t").str.extract_all(LINK).list.eval(
                pl.element().filter(~pl.element().str.starts_with("@"))).alias("links"))
        found = found.with_columns(_hosts(pl.col("links")).alias("hosts"))
        reasons: list[list[str]] = []
        for row in found.iter_rows(named=True):
            mine = [_script_why(s) for s in dict.fromkeys(row["scripts"] or [])]
            for link, host in zip(row["links"] or [], row["hosts"] or [], strict=False):
                if host is None or not re.search(allowed, host):
                    mine.append(_why(link, host))
            reasons.append(list(dict.fromkeys(mine))[:8])
        return reasons

    return explain


def _domains_problem(value: Any) -> str | None:
    if not isinstance(value, list):
        return (f"must be a list of domain names such as [\"example.com\"], got "
                f"{type(value).__name__} {value!r}")
    for domain in value:
        if not isinstance(domain, str) or not domain.strip(" .*"):
            return f"every entry must be a domain name such as \"example.com\", got {domain!r}"
        if "/" in domain or ":" in domain or "@" in domain or " " in domain.strip():
            return (f"{domain!r} is not a domain name: write the host only, such as "
                    "\"example.com\" (subdomains are allowed with it)")
    return None


def _clean(domain: str) -> str:
    return domain.strip().lower().lstrip("*").strip(".")


@expectation("expect_column_values_to_not_contain_urls_outside", family="poison",
             args=(*ROW_ARGS, Arg("allowed_domains", required=True, check=_domains_problem)))
def not_contain_urls_outside(spec: Spec) -> Check:
    """No value links outside allowed_domains (their subdomains included); raw IPs, punycode,
    shorteners and data:/javascript: URIs count as outside."""
    domains = [_clean(d) for d in spec.kwargs["allowed_domains"]]
    allowed = _allowed_regex(domains) if domains else r"(?!)"
    return row_check(spec, urls_mask(text_column(spec), domains), _explainer(allowed))

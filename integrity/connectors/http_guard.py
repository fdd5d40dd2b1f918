"""What the HTTP connector may fetch, with which credentials, and how much of it it reads.

A JSON API is a hostile source as far as the connector is concerned: its redirects and ``Link``
headers choose the next URL, its headers choose how much it sends, and its text reaches messages
that end in terminals and the results store. This module holds the rules that keep that in check:

* :class:`OriginPolicy`: credentials go only to the configured origin (scheme, host, port); another
  origin is fetched, without credentials, only when the dataset names its host in ``allowed_hosts``;
  only http and https are fetched, and never plain http once the configured URL is https.
* :func:`read_body`: a response body read in bounded chunks (gzip and deflate decoded, bounded too).
* :func:`safe_url` and :func:`printable`: URLs and server text as messages may show them.
"""

from __future__ import annotations

import email.utils
import http.client
import re
import time
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from integrity.errors import ConfigError, ConnectorError

SCHEMES = ("http", "https")
SECRETISH = re.compile(r"(token|key|secret|password|passwd|sig|auth|credential)", re.I)
"""Query parameter names whose values are credentials: masked in messages, never sent elsewhere."""
CHUNK = 64 * 1024
ENCODINGS = ("identity", "gzip", "x-gzip", "deflate")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Origin:
    """Scheme, host and port of a URL: the unit credentials are bound to."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> Origin:
        """The origin of ``url``; ValueError when it has no host or a port that is not a number."""
        parts = urllib.parse.urlsplit(url)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").rstrip(".")
        if not host:
            raise ValueError("no host")
        try:
            port = parts.port
        except ValueError:
            raise ValueError("a port that is not a number") from None
        return cls(scheme, host, port or _DEFAULT_PORTS.get(scheme, 0))

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return printable(f"{self.scheme}://{host}:{self.port}", 120)


class OriginPolicy:
    """Which URLs a dataset's requests may go to, and which of them carry its credentials.

    Args:
        dataset: Dataset name, for messages.
        url: The configured URL: its origin is the only one that gets credentials.
        allowed_hosts: Other hosts that may serve pages, fetched without credentials: ``host``
            (any port), ``host:port``, or ``*.example.com`` (any subdomain).
    """

    def __init__(self, dataset: str, url: str, allowed_hosts: Iterable[str] = ()) -> None:
        self.dataset = dataset
        self.home = Origin.of(url)
        self.allowed = [_allowed_entry(dataset, entry) for entry in allowed_hosts]
        self.secret_values = frozenset(
            v for k, v in urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query) if v and SECRETISH.search(k))
        """Credential values carried in the configured URL's query, kept out of other origins."""

    def admit(self, url: str, *, via: str | None = None, how: str = "") -> bool:
        """Check ``url`` before any I/O: True to send credentials, False to fetch it without them.

        Args:
            url: The absolute URL about to be fetched.
            via: The page that led to it (a redirect or a Link header), for messages.
            how: What led there, e.g. ``redirected (HTTP 302) to``, after ``via``'s URL.

        Raises:
            ConnectorError: (terminal) The URL must not be fetched: another scheme than http(s), a
                downgrade from https to http, or another origin that ``allowed_hosts`` does not name.
        """
        where = f"dataset {self.dataset!r}: " + (f"{safe_url(via)} {how}" if via else "the URL is")
        scheme = urllib.parse.urlsplit(url).scheme.lower()
        if scheme not in SCHEMES:
            raise ConnectorError(
                f"{where} a {printable(scheme, 20) or 'relative'}: URL; only http and https URLs are "
                "fetched, so it was refused before any request. The API's redirects or pagination "
                "links are broken or hostile: check url and pagination.")
        try:
            target = Origin.of(url)
        except ValueError as exc:
            raise ConnectorError(f"{where} a malformed URL ({exc}); it was not fetched. Check url "
                                 "and pagination.") from None
        if target == self.home:
            return True
        if target.scheme == "http" and ("https" in (self.home.scheme, _scheme(via))):
            raise ConnectorError(
                f"{where} {target}, a downgrade from https to plain http; it was not followed "
                "(allowed_hosts does not change that). The API must keep its redirects and links on "
                "https.")
        if any(_matches(entry, target) for entry in self.allowed):
            return False
        raise ConnectorError(
            f"{where} another origin, {target}; credentials go only to {self.home}, so it was not "
            f"followed. If {printable(target.host, 80)} is meant to serve this data, add it to the "
            "dataset's allowed_hosts (it is then fetched without credentials), or point url at that "
            "origin.")

    def strip(self, url: str) -> str:
        """``url`` without query parameters that carry a credential of the configured URL."""
        parts = urllib.parse.urlsplit(url)
        query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        kept = [(k, v) for k, v in query if v not in self.secret_values]
        if len(kept) == len(query):
            return url
        return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(kept)))


@dataclass(frozen=True)
class _Allowed:
    host: str
    port: int | None
    subdomains: bool


def _allowed_entry(dataset: str, entry: object) -> _Allowed:
    fix = "Name hosts as cdn.example.com, cdn.example.com:8443 or *.example.com."
    if not isinstance(entry, str) or not entry.strip():
        raise ConfigError(f"dataset {dataset!r}: allowed_hosts holds {entry!r}, not a host name. {fix}")
    if "/" in entry or "@" in entry:
        raise ConfigError(f"dataset {dataset!r}: allowed_hosts entry {entry!r} is not a bare host "
                          f"(no scheme, path or user). {fix}")
    subdomains = entry.startswith("*.")
    try:
        parts = urllib.parse.urlsplit("//" + entry.strip().removeprefix("*."))
        port = parts.port
    except ValueError:
        raise ConfigError(f"dataset {dataset!r}: allowed_hosts entry {entry!r} has a port that is "
                          f"not a number. {fix}") from None
    if not parts.hostname:
        raise ConfigError(f"dataset {dataset!r}: allowed_hosts entry {entry!r} names no host. {fix}")
    return _Allowed(parts.hostname.rstrip("."), port, subdomains)


def _matches(entry: _Allowed, origin: Origin) -> bool:
    if entry.port is not None and entry.port != origin.port:
        return False
    if entry.subdomains:
        return origin.host.endswith("." + entry.host)
    return origin.host == entry.host


def _scheme(url: str | None) -> str:
    return urllib.parse.urlsplit(url).scheme.lower() if url else ""


def opener() -> urllib.request.OpenerDirector:
    """An opener for http(s) only that does not follow redirects (the connector checks each hop).

    ``urllib.request.urlopen`` would also open ``file:``, ``ftp:`` and ``data:`` URLs and forward
    every header, Authorization included, to wherever a redirect points.
    """
    director = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(), urllib.request.UnknownHandler(),
                    urllib.request.HTTPHandler(), urllib.request.HTTPSHandler(),
                    urllib.request.HTTPDefaultErrorHandler(), urllib.request.HTTPErrorProcessor()):
        director.add_handler(handler)
    return director


def read_body(response: http.client.HTTPResponse, limit: int, where: str) -> bytearray:
    """The body of ``response``, at most ``limit`` bytes on the wire and after decoding.

    Args:
        response: An open HTTP response.
        limit: ``max_response_bytes``.
        where: ``dataset 'x': GET <safe url>``, to start messages with.

    Raises:
        ConnectorError: (terminal) The body is, or announces itself as, larger than ``limit``, or
            is compressed in a way that cannot be decoded.
    """
    fix = ("Ask for smaller pages (page_size), or raise max_response_bytes if such pages are "
           "expected.")
    declared = (response.headers.get("Content-Length") or "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise ConnectorError(f"{where} announced a body of {int(declared)} bytes (Content-Length), "
                             f"more than max_response_bytes={limit}; it was not read. {fix}")
    encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding not in ENCODINGS:
        raise ConnectorError(f"{where} sent a body with Content-Encoding {printable(encoding, 40)!r}, "
                             "which cannot be decoded (gzip and deflate can). Drop Accept-Encoding "
                             "from the dataset's headers, or ask the API for identity or gzip.")
    bomb = ConnectorError(f"{where} sent a {encoding} body that decompresses to more than "
                          f"max_response_bytes={limit} bytes; decoding stopped there. {fix}")
    # wbits 47: a zlib or gzip header, detected; deflate bodies are zlib streams (RFC 9110).
    inflate = zlib.decompressobj(47) if encoding != "identity" else None
    body, received = bytearray(), 0
    try:
        while chunk := response.read(CHUNK):
            received += len(chunk)
            if received > limit:
                raise ConnectorError(f"{where} sent more than max_response_bytes={limit} bytes; "
                                     f"reading stopped there. {fix}")
            if inflate is None:
                body += chunk
                continue
            while chunk:  # at most limit + 1 bytes out of each step, so a bomb never expands
                body += inflate.decompress(chunk, limit - len(body) + 1)
                if len(body) > limit:
                    raise bomb
                chunk = inflate.unconsumed_tail
        if inflate is not None:
            body += inflate.flush(limit - len(body) + 1)
            if len(body) > limit:
                raise bomb
            if not inflate.eof:
                raise zlib.error("truncated")
    except zlib.error:
        raise ConnectorError(f"{where} sent a body marked Content-Encoding {encoding} that is not a "
                             f"complete {encoding} stream ({received} bytes received). The API or a "
                             "proxy in between is misbehaving.") from None
    return body


def safe_url(url: str) -> str:
    """``url`` as messages show it: no user or password, credential-like query values masked,
    no fragment, control and non-ASCII characters percent-encoded, at most 200 characters."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    try:
        port = parts.port
    except ValueError:
        port = None
    if port:
        netloc += f":{port}"
    query = [(k, "***" if SECRETISH.search(k) else v)
             for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)]
    shown = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, urllib.parse.urlencode(query), ""))
    return printable(urllib.parse.quote(shown, safe=_VISIBLE_ASCII), 200)


_VISIBLE_ASCII = "".join(map(chr, range(0x21, 0x7F)))


def printable(text: str, limit: int) -> str:
    """Server-chosen text (a reason phrase, a content type, a field name) safe to show in one line:
    control characters replaced by ``?``, cut to ``limit`` characters."""
    clean = "".join(c if c.isprintable() else "?" for c in text[:limit + 1])
    return clean if len(clean) <= limit else clean[:limit - 1] + "…"


def retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delta-seconds or an HTTP date, never
    negative); None when it is absent or does not parse."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())

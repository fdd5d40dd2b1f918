"""Pull records from a JSON API: page-number, cursor-token and Link-header pagination.

Built on the standard library (``urllib``) so the core install gains no dependency. Every request
has a timeout; 429, 5xx, timeouts and connection errors are retried with exponential backoff
(honouring ``Retry-After``), and only then become a transient :class:`ConnectorError` so the run is
recorded as failed and retried later. Other 4xx answers are terminal: retrying a 401 does not help.

The API is treated as a hostile source (rules in :mod:`integrity.connectors.http_guard`): redirects
and pagination links are checked hop by hop before any request, credentials go only to the
configured origin, only http(s) is fetched, bodies and page counts are bounded, and messages never
quote a body. The auth header and the configured headers are secrets: sent, never logged, never part
of a message; query parameters whose names look like credentials are masked in the URLs messages
show.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from integrity.connectors.base import Batch, ConnectorBase, Watermark, make_batch
from integrity.connectors.http_guard import OriginPolicy, opener, printable, read_body, retry_after
from integrity.connectors.http_guard import safe_url as _safe
from integrity.errors import ConfigError, ConnectorError, did_you_mean

PAGINATIONS = ("none", "page", "cursor", "link")
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 10
"""Redirects followed for one page before the chain counts as a loop."""
MAX_RETRY_AFTER = 300.0
"""A server asking to wait longer than this (seconds) is waited for this long at most."""

# Linear on hostile headers: a link is <target> and the parameters up to the next "<" (a pattern
# that lets the parameters span commas backtracks quadratically: 20 s on a 60 kB header).
_LINK = re.compile(r"<([^<>]*)>([^<]*)")
_REL = re.compile(r'\brel\s*=\s*(?:"([^"]*)"|([^\s;,]*))', re.I)
_BASE_HEADERS = {"Accept": "application/json", "Accept-Encoding": "gzip, deflate",
                 "User-Agent": "integrity"}
"""Sent to every origin; everything the dataset configures is sent to its own origin only."""


@dataclass(frozen=True)
class _Reply:
    """One answer: a page, or (``redirect`` set) a redirect to ``location``."""

    redirect: int = 0
    location: str | None = None
    body: bytes | bytearray = b""
    content_type: str = ""
    link: str | None = None
    """The Link rel=next target of a page."""


@dataclass(frozen=True)
class _Page:
    url: str
    """The URL that answered (after redirects): relative links resolve against it."""
    body: Any
    link: str | None


class HttpConnector(ConnectorBase):
    """Records from a JSON API, across pages, as one batch.

    Credentials (``auth_header``, every configured header, and query parameters of ``url`` whose
    names look like credentials) go only to the origin of ``url`` (scheme, host and port).
    Redirects and ``Link: rel=next`` pages that lead elsewhere are refused with a terminal
    :class:`ConnectorError`, unless ``allowed_hosts`` names the host: it is then fetched without
    credentials. Plain http after an https ``url`` is always refused, and so is any scheme but
    http(s), before any request is made.

    Args:
        dataset: Dataset name, for messages.
        cursor: Cursor field of the records (rows at or past the watermark are kept).
        url: First page's URL (http or https).
        records_path: Dotted path to the list of records in each JSON body (``data.items``);
            None: the body itself is the list.
        pagination: ``none``, ``page`` (page numbers), ``cursor`` (a next-cursor token in the
            body) or ``link`` (RFC 8288 ``Link: <...>; rel="next"`` header, resolved against the
            page that sent it).
        page_param: Query parameter holding the page number (starts at 1).
        page_size_param: Query parameter holding the page size, if the API takes one.
        page_size: Page size to ask for; a shorter page then also ends the pagination.
        cursor_param: Query parameter that sends the next-cursor token.
        next_cursor_path: Dotted path to the next-cursor token in the body.
        since_param: Query parameter that passes the watermark to the API so it sends only newer
            records (the boundary is still de-duplicated here).
        headers: Extra request headers; secrets, sent to the configured origin only.
        auth_header: Value of the ``Authorization`` header, secrets already resolved.
        timeout: Seconds to wait for each response.
        max_retries: Retries after the first attempt on 429/5xx/timeouts/connection errors.
        backoff: First retry delay in seconds; doubles each retry.
        max_pages: Safety stop for an API that never stops paginating.
        allowed_hosts: Other hosts that may serve redirects or pages, fetched without
            credentials: ``cdn.example.com`` (any port), ``cdn.example.com:8443`` or
            ``*.example.com`` (quoted in YAML: a leading ``*`` is an alias there).
        max_response_bytes: Largest body read for one page, on the wire and after gzip/deflate
            decoding (64 MiB by default).
        max_records: Largest number of records one pull may collect; None: no limit.
    """

    def __init__(self, *, dataset: str, cursor: str | None = None, url: str,
                 records_path: str | None = None, pagination: str = "none", page_param: str = "page",
                 page_size_param: str | None = None, page_size: int | None = None,
                 cursor_param: str = "cursor", next_cursor_path: str = "next_cursor",
                 since_param: str | None = None, headers: Mapping[str, str] | None = None,
                 auth_header: str | None = None, timeout: float = 30, max_retries: int = 5,
                 backoff: float = 0.5, max_pages: int = 10_000, allowed_hosts: Iterable[str] = (),
                 max_response_bytes: int = 64 * 2**20, max_records: int | None = None) -> None:
        if pagination not in PAGINATIONS:
            raise ConfigError(f"dataset {dataset!r}: unknown pagination {pagination!r}."
                              f"{did_you_mean(pagination, PAGINATIONS)} Use one of: "
                              f"{', '.join(PAGINATIONS)}.")
        if not isinstance(url, str) or urllib.parse.urlsplit(url).scheme.lower() not in ("http", "https"):
            raise ConfigError(f"dataset {dataset!r}: 'url' must start with http:// or https://.")
        if isinstance(allowed_hosts, str):
            raise ConfigError(f"dataset {dataset!r}: allowed_hosts must be a list of host names, "
                              f"e.g. [{allowed_hosts}].")
        for name, value, least in (("max_pages", max_pages, 1), ("max_response_bytes", max_response_bytes, 1),
                                   ("max_records", max_records, 1)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < least):
                raise ConfigError(f"dataset {dataset!r}: {name} must be a whole number of at least "
                                  f"{least}, not {value!r}.")
        for key, text in (headers or {}).items():
            if any(c in f"{key}{text}" for c in "\r\n\0"):
                raise ConfigError(f"dataset {dataset!r}: header {printable(str(key), 60)!r} holds a "
                                  "line break; a header is one line.")
        try:
            self._policy = OriginPolicy(dataset, url, allowed_hosts)
        except ValueError as exc:
            raise ConfigError(f"dataset {dataset!r}: 'url' is malformed ({exc}).") from None
        self.dataset, self.cursor, self.url = dataset, cursor, url
        self.records_path, self.pagination = records_path, pagination
        self.page_param, self.page_size_param, self.page_size = page_param, page_size_param, page_size
        self.cursor_param, self.next_cursor_path, self.since_param = cursor_param, next_cursor_path, since_param
        self.timeout, self.max_retries, self.backoff, self.max_pages = timeout, max_retries, backoff, max_pages
        self.max_response_bytes, self.max_records = max_response_bytes, max_records
        self._headers = {**_BASE_HEADERS, **(headers or {})}
        if auth_header:
            self._headers["Authorization"] = auth_header
        self._opener = opener()
        self.sleep: Callable[[float], None] = time.sleep
        """Replaceable so tests of long backoffs need not wait."""

    def pull(self, since: Watermark, until: Any = None) -> Batch:
        base: dict[str, str] = {}
        if self.since_param and since.value is not None:
            base[self.since_param] = str(since.value)
        if self.page_size_param and self.page_size:
            base[self.page_size_param] = str(self.page_size)
        records: list[Any] = []
        url: str | None = _with_params(self.url, base)
        via: str | None = None
        page, seen = 1, set()
        for _ in range(self.max_pages):
            assert url is not None
            if url in seen:
                raise ConnectorError(f"dataset {self.dataset!r}: {_safe(url)} was already fetched in "
                                     "this pull; the API's pagination loops. Check next_cursor_path "
                                     "or the pagination type.")
            seen.add(url)
            got = self._get(url, via)
            items = self._records(got.body, got.url)
            records += items
            if self.max_records is not None and len(records) > self.max_records:
                raise ConnectorError(f"dataset {self.dataset!r}: more than max_records={self.max_records} "
                                     f"records from {_safe(self.url)} in one pull. Raise max_records, or "
                                     "pass the watermark to the API with since_param.")
            url, via = None, None
            if self.pagination == "page":
                short = self.page_size is not None and len(items) < self.page_size
                if items and not short:
                    page += 1
                    url = _with_params(self.url, {**base, self.page_param: str(page)})
            elif self.pagination == "cursor":
                token = _dig(got.body, self.next_cursor_path)
                if token not in (None, "") and items:
                    url = _with_params(self.url, {**base, self.cursor_param: str(token)})
            elif self.pagination == "link" and got.link is not None:
                url, via = urllib.parse.urljoin(got.url, got.link), got.url
            if url is None:
                break
        else:
            if url is not None:
                raise ConnectorError(f"dataset {self.dataset!r}: stopped after max_pages={self.max_pages} pages "
                                     f"of {_safe(self.url)} with more to come. Raise max_pages, or "
                                     "pass the watermark to the API with since_param.")
        frame = self._frame(records)
        return make_batch(self.dataset, f"http {_safe(self.url)}", frame, cursor=self.cursor,
                          since=since, until=until)

    def _get(self, url: str, via: str | None) -> _Page:
        """One page: each redirect hop checked by the origin policy before it is requested.

        Args:
            url: The page's URL.
            via: The page whose Link header led here, if one did.
        """
        how = "sent a Link rel=next to"
        hops: list[str] = []
        while True:
            trusted = self._policy.admit(url, via=via, how=how)
            fetched = url if trusted else self._policy.strip(url)
            reply = self._fetch(fetched, trusted)
            if not reply.redirect:
                return _Page(url, self._json(fetched, reply), reply.link)
            if reply.location is None:
                raise ConnectorError(f"dataset {self.dataset!r}: GET {_safe(fetched)} answered HTTP "
                                     f"{reply.redirect} without a Location to go to. Check the url.")
            hops.append(url)
            via, how = fetched, f"redirected (HTTP {reply.redirect}) to"
            url = urllib.parse.urljoin(fetched, reply.location)
            if url in hops or len(hops) > MAX_REDIRECTS:
                what = "redirects in a loop" if url in hops else f"redirected more than {MAX_REDIRECTS} times"
                raise ConnectorError(f"dataset {self.dataset!r}: GET {_safe(hops[0])} {what}; the API "
                                     "is misconfigured. Check the url (its path or scheme may have moved).")

    def _fetch(self, url: str, trusted: bool) -> _Reply:
        """GET ``url`` with retries (redirects are returned, not followed); credentials only when
        ``trusted``."""
        headers = self._headers if trusted else _BASE_HEADERS
        attempts = self.max_retries + 1
        problem = ""
        for attempt in range(1, attempts + 1):
            wait = self.backoff * 2 ** (attempt - 1)
            request = urllib.request.Request(url, headers=headers, method="GET")
            try:
                with self._opener.open(request, timeout=self.timeout) as response:
                    body = read_body(response, self.max_response_bytes,
                                     f"dataset {self.dataset!r}: GET {_safe(url)}")
                    return _Reply(body=body, content_type=response.headers.get("Content-Type") or "",
                                  link=_next_link(response.headers.get_all("Link") or []))
            except urllib.error.HTTPError as exc:
                exc.close()
                if exc.code in REDIRECT_STATUSES:
                    return _Reply(redirect=exc.code, location=exc.headers.get("Location"))
                if exc.code not in RETRY_STATUSES:
                    raise ConnectorError(self._terminal(url, exc.code, exc.reason)) from None
                problem = f"HTTP {exc.code} {printable(str(exc.reason), 60)}"
                wait = max(wait, retry_after(exc.headers.get("Retry-After")) or 0.0)
            except TimeoutError:
                problem = f"no response within {self.timeout:g}s"
            except urllib.error.URLError as exc:
                reason = exc.reason
                if isinstance(reason, TimeoutError):
                    problem = f"no response within {self.timeout:g}s"
                else:
                    problem = f"cannot connect ({printable(str(reason), 120)})"
            except (OSError, http.client.HTTPException) as exc:
                problem = f"connection failed ({type(exc).__name__})"
            if attempt < attempts:
                self.sleep(min(wait, MAX_RETRY_AFTER))
        raise ConnectorError(
            f"dataset {self.dataset!r}: GET {_safe(url)} failed {attempts} times (last: {problem}). "
            "The API is down, overloaded or unreachable; the run is marked failed and can be "
            "retried later (or raise timeout/max_retries).", transient=True)

    def _json(self, url: str, reply: _Reply) -> Any:
        """The parsed body; a body that is not JSON is described (type, size), never quoted."""
        try:
            return json.loads(reply.body)
        except json.JSONDecodeError as exc:
            # The C decoder's messages are fixed phrases; the part after a colon may quote the body.
            reason = f"{exc.msg.split(':')[0]} at line {exc.lineno} column {exc.colno}"
        except UnicodeDecodeError:
            reason = "it is not UTF-8, UTF-16 or UTF-32 text"
        except RecursionError:
            reason = "it nests deeper than can be parsed"
        except ValueError:
            reason = "a number in it is too long"
        kind = printable(reply.content_type, 60) or "none"
        raise ConnectorError(f"dataset {self.dataset!r}: GET {_safe(url)} did not return JSON "
                             f"(Content-Type {kind!r}, {len(reply.body)} bytes; {reason}). Check the url; "
                             "an HTML page often means maintenance, a login page or a wrong path.")

    def _terminal(self, url: str, status: int, reason: str) -> str:
        hint = {401: "the credentials were refused: check the secret behind auth_header",
                403: "access denied: check the token's permissions",
                404: "not found: check the url"}.get(status, "the request was rejected: check the url "
                                                            "and parameters")
        return (f"dataset {self.dataset!r}: GET {_safe(url)} answered HTTP {status} "
                f"{printable(str(reason), 60)}; {hint}.")

    def _records(self, body: Any, url: str) -> list[Any]:
        items = body
        if self.records_path:
            items = _dig(body, self.records_path, missing=_MISSING)
            if items is _MISSING:
                keys = [printable(str(k), 40) for k in sorted(body)[:20]] if isinstance(body, dict) else []
                raise ConnectorError(
                    f"dataset {self.dataset!r}: records_path {self.records_path!r} is not in the JSON "
                    f"from {_safe(url)}. Top-level keys: {', '.join(keys) or '(the body is not an object)'}.")
        if items is None:
            return []
        if not isinstance(items, list):
            raise ConnectorError(f"dataset {self.dataset!r}: {self.records_path or 'the body'} of "
                                 f"{_safe(url)} is a JSON {_kind(items)}, not a list of records. Set "
                                 "records_path to the list (e.g. data.items).")
        bad = next((i for i, r in enumerate(items) if not isinstance(r, dict)), None)
        if bad is not None:
            raise ConnectorError(f"dataset {self.dataset!r}: record #{bad} from {_safe(url)} is a "
                                 f"JSON {_kind(items[bad])}, not an object.")
        return items

    def _frame(self, records: list[dict[str, Any]]) -> pl.DataFrame:
        if not records:
            return pl.DataFrame(schema=dict.fromkeys([self.cursor] if self.cursor else [], pl.Null))
        try:
            return pl.DataFrame(records, infer_schema_length=None)
        except (pl.exceptions.PolarsError, TypeError, ValueError):
            # Polars' own message can quote a value; name the field and the kinds instead.
            raise ConnectorError(f"dataset {self.dataset!r}: the records from {_safe(self.url)} "
                                 f"cannot form a table: {_mixed_field(records)}.") from None


_MISSING = object()


def _kind(value: Any) -> str:
    """The JSON type of a parsed value."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, dict) else "array" if isinstance(value, list) else "null"


def _mixed_field(records: list[dict[str, Any]]) -> str:
    first: dict[str, tuple[str, int]] = {}
    for index, record in enumerate(records):
        for key, value in record.items():
            if value is None:
                continue
            kind, at = first.setdefault(key, (_kind(value), index))
            if kind != _kind(value):
                return (f"field {printable(str(key), 60)!r} is a JSON {kind} in record #{at} and a JSON "
                        f"{_kind(value)} in record #{index}")
    return "a field holds nested values of different shapes across records"


def _dig(body: Any, path: str, missing: Any = None) -> Any:
    value = body
    for key in path.split("."):
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return missing
    return value


def _with_params(url: str, params: Mapping[str, str]) -> str:
    parts = urllib.parse.urlsplit(url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
             if k not in params]
    query += list(params.items())
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _next_link(values: list[str]) -> str | None:
    """The target of the first ``rel="next"`` link in the Link headers (RFC 8288), if any."""
    for value in values:
        for link in _LINK.finditer(value):
            rel = _REL.search(link.group(2))
            if rel and "next" in (rel.group(1) or rel.group(2)).lower().split():
                return link.group(1).strip()
    return None



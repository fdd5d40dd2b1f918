"""Pull records from a JSON API: page-number, cursor-token and Link-header pagination.

Built on the standard library (``urllib.request``) so the core install gains no dependency. Every
request has a timeout; 429, 5xx, timeouts and connection errors are retried with exponential backoff
(honouring ``Retry-After``), and only then become a transient :class:`ConnectorError` so the run is
recorded as failed and retried later. Other 4xx answers are terminal: retrying a 401 does not help.

The auth header is a secret: it is sent, never logged, and never part of an error message; query
parameters whose names look like credentials are masked in the URLs that messages show.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from integrity.connectors.base import Batch, ConnectorBase, Watermark, make_batch
from integrity.errors import ConfigError, ConnectorError, did_you_mean

PAGINATIONS = ("none", "page", "cursor", "link")
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 300.0
"""A server asking to wait longer than this (seconds) is waited for this long at most."""

_SECRETISH = re.compile(r"(token|key|secret|password|passwd|sig|auth|credential)", re.I)
_LINK_NEXT = re.compile(r'<([^>]*)>\s*;[^,]*\brel="?next"?', re.I)


class HttpConnector(ConnectorBase):
    """Records from a JSON API, across pages, as one batch.

    Args:
        dataset: Dataset name, for messages.
        cursor: Cursor field of the records (rows at or past the watermark are kept).
        url: First page's URL.
        records_path: Dotted path to the list of records in each JSON body (``data.items``);
            None: the body itself is the list.
        pagination: ``none``, ``page`` (page numbers), ``cursor`` (a next-cursor token in the
            body) or ``link`` (RFC 8288 ``Link: <...>; rel="next"`` header).
        page_param: Query parameter holding the page number (starts at 1).
        page_size_param: Query parameter holding the page size, if the API takes one.
        page_size: Page size to ask for; a shorter page then also ends the pagination.
        cursor_param: Query parameter that sends the next-cursor token.
        next_cursor_path: Dotted path to the next-cursor token in the body.
        since_param: Query parameter that passes the watermark to the API so it sends only newer
            records (the boundary is still de-duplicated here).
        headers: Extra request headers.
        auth_header: Value of the ``Authorization`` header, secrets already resolved.
        timeout: Seconds to wait for each response.
        max_retries: Retries after the first attempt on 429/5xx/timeouts/connection errors.
        backoff: First retry delay in seconds; doubles each retry.
        max_pages: Safety stop for an API that never stops paginating.
    """

    def __init__(self, *, dataset: str, cursor: str | None = None, url: str,
                 records_path: str | None = None, pagination: str = "none", page_param: str = "page",
                 page_size_param: str | None = None, page_size: int | None = None,
                 cursor_param: str = "cursor", next_cursor_path: str = "next_cursor",
                 since_param: str | None = None, headers: Mapping[str, str] | None = None,
                 auth_header: str | None = None, timeout: float = 30, max_retries: int = 5,
                 backoff: float = 0.5, max_pages: int = 10_000) -> None:
        if pagination not in PAGINATIONS:
            raise ConfigError(f"dataset {dataset!r}: unknown pagination {pagination!r}."
                              f"{did_you_mean(pagination, PAGINATIONS)} Use one of: "
                              f"{', '.join(PAGINATIONS)}.")
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ConfigError(f"dataset {dataset!r}: 'url' must start with http:// or https://.")
        self.dataset, self.cursor, self.url = dataset, cursor, url
        self.records_path, self.pagination = records_path, pagination
        self.page_param, self.page_size_param, self.page_size = page_param, page_size_param, page_size
        self.cursor_param, self.next_cursor_path, self.since_param = cursor_param, next_cursor_path, since_param
        self.timeout, self.max_retries, self.backoff, self.max_pages = timeout, max_retries, backoff, max_pages
        self._headers = {"Accept": "application/json", "User-Agent": "integrity"}
        self._headers.update(headers or {})
        if auth_header:
            self._headers["Authorization"] = auth_header
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
        page, seen = 1, set()
        for _ in range(self.max_pages):
            assert url is not None
            if url in seen:
                raise ConnectorError(f"dataset {self.dataset!r}: {_safe(url)} was already fetched in "
                                     "this pull; the API's pagination loops. Check next_cursor_path "
                                     "or the pagination type.")
            seen.add(url)
            body, link = self._get(url)
            items = self._records(body, url)
            records += items
            url = None
            if self.pagination == "page":
                short = self.page_size is not None and len(items) < self.page_size
                if items and not short:
                    page += 1
                    url = _with_params(self.url, {**base, self.page_param: str(page)})
            elif self.pagination == "cursor":
                token = _dig(body, self.next_cursor_path)
                if token not in (None, "") and items:
                    url = _with_params(self.url, {**base, self.cursor_param: str(token)})
            elif self.pagination == "link" and link:
                url = urllib.parse.urljoin(self.url, link)
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

    def _get(self, url: str) -> tuple[Any, str | None]:
        """GET one page with retries; returns the parsed JSON body and the Link rel=next target."""
        attempts = self.max_retries + 1
        problem = ""
        for attempt in range(1, attempts + 1):
            wait = self.backoff * 2 ** (attempt - 1)
            request = urllib.request.Request(url, headers=self._headers, method="GET")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    raw = response.read()
                    link = _next_link(response.headers.get_all("Link") or [])
                break
            except urllib.error.HTTPError as exc:
                if exc.code not in RETRY_STATUSES:
                    raise ConnectorError(self._terminal(url, exc.code, exc.reason)) from None
                problem = f"HTTP {exc.code} {exc.reason}"
                wait = max(wait, _retry_after(exc.headers.get("Retry-After")))
            except TimeoutError:
                problem = f"no response within {self.timeout:g}s"
            except urllib.error.URLError as exc:
                reason = exc.reason
                if isinstance(reason, TimeoutError):
                    problem = f"no response within {self.timeout:g}s"
                else:
                    problem = f"cannot connect ({reason})"
            except (OSError, http.client.HTTPException) as exc:
                problem = f"connection failed ({type(exc).__name__})"
            if attempt < attempts:
                self.sleep(min(wait, MAX_RETRY_AFTER))
        else:
            raise ConnectorError(
                f"dataset {self.dataset!r}: GET {_safe(url)} failed {attempts} times (last: {problem}). "
                "The API is down, overloaded or unreachable; the run is marked failed and can be "
                "retried later (or raise timeout/max_retries).", transient=True)
        try:
            return json.loads(raw), link
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            start = raw[:80].decode("utf-8", "replace")
            raise ConnectorError(f"dataset {self.dataset!r}: GET {_safe(url)} did not return JSON "
                                 f"({exc}); the body starts with {start!r}.") from None

    def _terminal(self, url: str, status: int, reason: str) -> str:
        hint = {401: "the credentials were refused: check the secret behind auth_header",
                403: "access denied: check the token's permissions",
                404: "not found: check the url"}.get(status, "the request was rejected: check the url "
                                                            "and parameters")
        return f"dataset {self.dataset!r}: GET {_safe(url)} answered HTTP {status} {reason}; {hint}."

    def _records(self, body: Any, url: str) -> list[Any]:
        items = body
        if self.records_path:
            items = _dig(body, self.records_path, missing=_MISSING)
            if items is _MISSING:
                keys = sorted(body) if isinstance(body, dict) else []
                raise ConnectorError(
                    f"dataset {self.dataset!r}: records_path {self.records_path!r} is not in the JSON "
                    f"from {_safe(url)}. Top-level keys: {', '.join(keys) or '(the body is not an object)'}.")
        if items is None:
            return []
        if not isinstance(items, list):
            raise ConnectorError(f"dataset {self.dataset!r}: {self.records_path or 'the body'} of "
                                 f"{_safe(url)} is a JSON {type(items).__name__}, not a list of "
                                 "records. Set records_path to the list (e.g. data.items).")
        bad = next((i for i, r in enumerate(items) if not isinstance(r, dict)), None)
        if bad is not None:
            raise ConnectorError(f"dataset {self.dataset!r}: record #{bad} from {_safe(url)} is a "
                                 f"JSON {type(items[bad]).__name__}, not an object.")
        return items

    def _frame(self, records: list[dict[str, Any]]) -> pl.DataFrame:
        if not records:
            return pl.DataFrame(schema=dict.fromkeys([self.cursor] if self.cursor else [], pl.Null))
        try:
            return pl.DataFrame(records, infer_schema_length=None)
        except (pl.exceptions.PolarsError, TypeError, ValueError) as exc:
            raise ConnectorError(f"dataset {self.dataset!r}: the records from {_safe(self.url)} "
                                 f"cannot form a table ({str(exc).splitlines()[0]}); a field holds "
                                 "values of different kinds across records.") from None


_MISSING = object()


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


def _safe(url: str) -> str:
    """The URL for messages: credentials in userinfo and secret-looking query values masked."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    query = [(k, "***" if _SECRETISH.search(k) else v)
             for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)]
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc, query=urllib.parse.urlencode(query)))


def _next_link(values: list[str]) -> str | None:
    for value in values:
        match = _LINK_NEXT.search(value)
        if match:
            return match.group(1)
    return None


def _retry_after(value: str | None) -> float:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); 0 when absent or invalid."""
    if not value:
        return 0.0
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, when.timestamp() - time.time())

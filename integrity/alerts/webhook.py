"""Posting one alert to one webhook: bounded in time, retried on what may pass, silent about the URL.

A webhook URL often *is* the secret (a Slack incoming webhook's path), so it never appears in what
this module returns or raises: errors are described from their kind (``HTTP 503``, ``Connection
refused``, ``timed out after 5 s``), never from an exception's text, and whatever text is kept is
redacted of the URL and every secret value it was built from. Redirects are not followed (the body
would go to another origin); only http and https are posted to.

A message has a time budget (its destination's ``timeout``): each attempt runs in a daemon thread
that is abandoned when the budget is spent, so a server that accepts the connection and never
answers, or a name lookup that hangs, cannot hold up a run for longer than that.
"""

from __future__ import annotations

import hashlib
import json
import random
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from integrity.config import AlertConfig, redact, referenced_secrets, resolve_secrets
from integrity.connectors.http_guard import retry_after
from integrity.errors import SecretMissingError

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
FIRST_BACKOFF_SECONDS = 0.25
USER_AGENT = "integrity-alerts"


@dataclass(frozen=True)
class Destination:
    """A webhook ready to post to: its ``${ENV}`` references resolved. Its URL is private."""

    id: str
    """A hash of the URL as written (with its ``${ENV}`` references): how the store tells
    destinations apart without holding the URL."""
    label: str
    """How messages name it: ``webhook #1 (hooks.slack.com)``; never the path or query."""
    on: frozenset[str]
    remind_after: float | None
    """Seconds between reminders of an open incident (None: no reminders)."""
    timeout: float
    retries: int
    url: str = field(repr=False)
    secrets: Mapping[str, str] = field(repr=False, default_factory=dict)

    def redact(self, text: str) -> str:
        """``text`` without the URL, its path and query, or any secret value in them."""
        parts = urllib.parse.urlsplit(self.url)
        hidden = {"url": self.url, **self.secrets}
        if len(parts.path) > 1:
            hidden["path"] = parts.path
        if parts.query:
            hidden["query"] = parts.query
        if parts.password:
            hidden["password"] = parts.password
        return redact(text, hidden)


def destinations(configs: Sequence[AlertConfig], where: str) -> tuple[list[Destination], list[str]]:
    """The destinations ``configs`` describe, and one problem line for each that cannot be used
    (an unset ``${ENV}``, a scheme other than http/https). ``where`` names the file and field."""
    found: list[Destination] = []
    problems: list[str] = []
    for index, config in enumerate(configs):
        place = f"{where}[{index}].webhook"
        try:
            url = str(resolve_secrets(config.webhook, where=place))
        except SecretMissingError as exc:
            problems.append(str(exc))
            continue
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(f"{place}: an alert webhook is an http:// or https:// URL with a host "
                            "(the value is not shown: it may hold a secret).")
            continue
        written = urllib.parse.urlsplit(config.webhook).netloc
        # The host is named unless it comes from a secret; user:password never is.
        host = f" ({parts.hostname})" if written and "${" not in written else ""
        found.append(Destination(
            id=hashlib.sha256(config.webhook.encode()).hexdigest()[:16],
            label=f"webhook #{index + 1}{host}", on=frozenset(config.on),
            remind_after=config.remind_after.total_seconds() if config.remind_after else None,
            timeout=config.timeout, retries=config.retries, url=url,
            secrets=referenced_secrets(config.webhook)))
    return found, problems


@dataclass(frozen=True)
class Delivery:
    ok: bool
    attempts: int
    error: str | None = None
    """Why the last attempt failed, redacted (never the URL)."""


def send(destination: Destination, payload: Mapping[str, Any], *,
         budget: float | None = None) -> Delivery:
    """POST ``payload`` as JSON, retrying with backoff within ``budget`` seconds (default: the
    destination's timeout). Never raises."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    deadline = time.monotonic() + (destination.timeout if budget is None else budget)
    attempts = 0
    error = "no time left to try"
    delay = FIRST_BACKOFF_SECONDS
    while attempts <= destination.retries:
        left = deadline - time.monotonic()
        if left <= 0.05:
            break
        attempts += 1
        status, error, retry_after = _attempt(destination.url, body, left)
        if status is not None and 200 <= status < 300:
            return Delivery(True, attempts)
        if status is not None and status not in RETRY_STATUSES:
            break  # the server refuses this request; trying again at once would not help
        pause = min(retry_after if retry_after is not None else delay, 30.0)
        pause *= random.uniform(0.8, 1.2)  # several processes retrying do not hit it in step
        if time.monotonic() + pause >= deadline:
            break
        time.sleep(pause)
        delay *= 2
    return Delivery(False, attempts, destination.redact(error))


def _attempt(url: str, body: bytes, timeout: float) -> tuple[int | None, str, float | None]:
    """One POST: (HTTP status or None, what went wrong, Retry-After seconds)."""
    outcome: list[tuple[int | None, str, float | None]] = []

    def post() -> None:
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT})
        opener = urllib.request.build_opener(_NoRedirect())
        try:
            with opener.open(request, timeout=timeout) as response:
                response.read(65536)  # let the server finish; the body is not needed
                outcome.append((response.status, "", None))
        except urllib.error.HTTPError as exc:
            outcome.append((exc.code, f"HTTP {exc.code}", retry_after(exc.headers.get("Retry-After") if exc.headers else None)))
            exc.close()
        except urllib.error.URLError as exc:
            outcome.append((None, _describe(exc.reason, timeout), None))
        except Exception as exc:  # anything else (a malformed response): say what, not its text
            outcome.append((None, _describe(exc, timeout), None))

    worker = threading.Thread(target=post, name="integrity-alert", daemon=True)
    worker.start()
    worker.join(timeout + 0.5)
    if not outcome:
        return None, f"timed out after {timeout:.1f} s", None
    return outcome[0]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> None:
        return None  # a 3xx then ends as an HTTPError: an alert is not re-posted elsewhere


def _describe(reason: object, timeout: float) -> str:
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"timed out after {timeout:.1f} s"
    if isinstance(reason, socket.gaierror):
        return "the host name could not be resolved"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return type(reason).__name__ if not isinstance(reason, str) else "the URL cannot be used"



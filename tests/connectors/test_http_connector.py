"""HttpConnector against a real HTTP server on loopback: pagination, auth, retries, timeouts."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from integrity.connectors import registry
from integrity.connectors.base import Watermark
from integrity.connectors.http import HttpConnector
from integrity.connectors.http_guard import retry_after
from integrity.errors import ConfigError, ConnectorError

TOKEN = "Bearer s3cr3t-t0ken"
Reply = tuple[int, dict[str, str], bytes]


def records(n: int, start: int = 1) -> list[dict[str, Any]]:
    return [{"id": i, "updated_at": f"2024-01-{(i + 1) // 2:02d}T00:00:00", "body": f"b{i}"}
            for i in range(start, start + n)]


@dataclass
class Api:
    """What the test server serves: path -> handler(query) -> (status, headers, body)."""

    base: str = ""
    routes: dict[str, Callable[[dict[str, str]], Reply]] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    data: list[dict[str, Any]] = field(default_factory=lambda: records(5))

    def url(self, path: str) -> str:
        return self.base + path


def ok(body: Any, headers: dict[str, str] | None = None) -> Reply:
    return 200, {"Content-Type": "application/json", **(headers or {})}, json.dumps(body).encode()


@pytest.fixture
def api() -> Iterator[Api]:
    state = Api()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            state.hits[parts.path] = state.hits.get(parts.path, 0) + 1
            if self.headers.get("Authorization") != TOKEN:
                status, headers, body = 401, {}, b'{"error": "unauthorized"}'
            elif parts.path not in state.routes:
                status, headers, body = 404, {}, b"{}"
            else:
                status, headers, body = state.routes[parts.path](dict(urllib.parse.parse_qsl(parts.query)))
            try:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def connector(api: Api, path: str, **kwargs: Any) -> HttpConnector:
    kwargs.setdefault("auth_header", TOKEN)
    kwargs.setdefault("backoff", 0.01)
    kwargs.setdefault("timeout", 5)
    return HttpConnector(dataset="tickets", url=api.url(path), **kwargs)


def serve_pages(api: Api) -> None:
    def page(query: dict[str, str]) -> Reply:
        n, size = int(query.get("page", "1")), int(query.get("per_page", "2"))
        return ok({"data": {"items": api.data[(n - 1) * size:n * size]}})

    def cursor(query: dict[str, str]) -> Reply:
        at = int(query.get("cursor", "0"))
        nxt = at + 2 if at + 2 < len(api.data) else None
        return ok({"items": api.data[at:at + 2], "meta": {"next": nxt}})

    def link(query: dict[str, str]) -> Reply:
        at = int(query.get("offset", "0"))
        headers = {"Link": f'</link?offset={at + 2}>; rel="next", </link?offset=0>; rel="first"'} \
            if at + 2 < len(api.data) else {"Link": '</link?offset=0>; rel="first"'}
        return ok(api.data[at:at + 2], headers)

    api.routes.update({"/page": page, "/cursor": cursor, "/link": link})


def test_page_pagination(api: Api) -> None:
    serve_pages(api)
    conn = connector(api, "/page", records_path="data.items", pagination="page",
                     page_size_param="per_page", page_size=2)
    batch = conn.pull(Watermark())
    assert batch.frame["id"].to_list() == [1, 2, 3, 4, 5]
    assert api.hits["/page"] == 3  # the short third page ends it


def test_page_pagination_without_page_size_stops_at_an_empty_page(api: Api) -> None:
    serve_pages(api)
    batch = connector(api, "/page", records_path="data.items", pagination="page").pull(Watermark())
    assert batch.frame.height == 5
    assert api.hits["/page"] == 4


def test_cursor_pagination(api: Api) -> None:
    serve_pages(api)
    conn = connector(api, "/cursor", records_path="items", pagination="cursor",
                     next_cursor_path="meta.next")
    assert conn.pull(Watermark()).frame["id"].to_list() == [1, 2, 3, 4, 5]
    assert api.hits["/cursor"] == 3


def test_link_header_pagination(api: Api) -> None:
    serve_pages(api)
    batch = connector(api, "/link", pagination="link").pull(Watermark())
    assert batch.frame["id"].to_list() == [1, 2, 3, 4, 5]
    assert api.hits["/link"] == 3
    assert "http 127.0.0.1" in batch.info.source.replace("http://", "http ")


def test_boundary_dedup_and_backfill(api: Api) -> None:
    serve_pages(api)
    conn = connector(api, "/link", pagination="link", cursor="updated_at")
    first = conn.pull(Watermark())
    assert first.next_watermark.value == "2024-01-03T00:00:00"  # id 5 only
    api.data.append({"id": 6, "updated_at": "2024-01-03T00:00:00", "body": "late"})
    api.data.append({"id": 7, "updated_at": "2024-01-04T00:00:00", "body": "new"})
    second = conn.pull(first.next_watermark)
    assert second.frame["id"].to_list() == [6, 7]
    assert conn.pull(second.next_watermark).frame.height == 0
    window = conn.pull(Watermark("2024-01-02T00:00:00"), until="2024-01-02T00:00:00")
    assert window.frame["id"].to_list() == [3, 4]


def test_since_param_passes_the_watermark(api: Api) -> None:
    seen: list[dict[str, str]] = []

    def since(query: dict[str, str]) -> Reply:
        seen.append(query)
        return ok([r for r in api.data if r["updated_at"] >= query.get("updated_since", "")])

    api.routes["/since"] = since
    batch = connector(api, "/since", cursor="updated_at", since_param="updated_since").pull(
        Watermark("2024-01-02T00:00:00"))
    assert seen[0]["updated_since"] == "2024-01-02T00:00:00"
    assert batch.frame["id"].to_list() == [3, 4, 5]


def test_empty_batch(api: Api) -> None:
    api.routes["/empty"] = lambda q: ok({"data": []})
    batch = connector(api, "/empty", records_path="data", cursor="updated_at").pull(Watermark("2024-01-01"))
    assert batch.frame.height == 0
    assert batch.next_watermark.value == "2024-01-01"


def test_missing_auth_is_terminal_and_does_not_retry(api: Api) -> None:
    serve_pages(api)
    with pytest.raises(ConnectorError, match=r"HTTP 401.*check the secret") as err:
        connector(api, "/page", auth_header=None).pull(Watermark())
    assert not err.value.transient
    assert api.hits["/page"] == 1


def test_429_then_success_honours_retry_after(api: Api) -> None:
    calls = iter([(429, {"Retry-After": "0.05"}, b"{}")])
    api.routes["/flaky"] = lambda q: next(calls, None) or ok([{"id": 1}])
    conn = connector(api, "/flaky")
    waits: list[float] = []
    conn.sleep = waits.append
    assert conn.pull(Watermark()).frame["id"].to_list() == [1]
    assert waits == [0.05]
    assert api.hits["/flaky"] == 2


def test_500_storm_gives_a_transient_error_after_bounded_retries(api: Api) -> None:
    api.routes["/storm"] = lambda q: (500, {}, b"oops")
    conn = connector(api, "/storm?api_key=KEY123SECRET", max_retries=3, backoff=0.01)
    waits: list[float] = []
    conn.sleep = waits.append
    with pytest.raises(ConnectorError, match=r"failed 4 times \(last: HTTP 500") as err:
        conn.pull(Watermark())
    assert err.value.transient
    assert api.hits["/storm"] == 4
    assert waits == [0.01, 0.02, 0.04]
    message = str(err.value)
    assert "s3cr3t" not in message and "KEY123SECRET" not in message
    assert "api_key=%2A%2A%2A" in message


def test_real_backoff_sleeps(api: Api) -> None:
    api.routes["/storm"] = lambda q: (503, {}, b"")
    started = time.monotonic()
    with pytest.raises(ConnectorError, match="HTTP 503"):
        connector(api, "/storm", max_retries=2, backoff=0.05).pull(Watermark())
    assert time.monotonic() - started >= 0.15


def test_timeout(api: Api) -> None:
    def slow(query: dict[str, str]) -> Reply:
        time.sleep(0.5)
        return ok([])

    api.routes["/slow"] = slow
    with pytest.raises(ConnectorError, match=r"failed 2 times \(last: no response within 0.1s") as err:
        connector(api, "/slow", timeout=0.1, max_retries=1).pull(Watermark())
    assert err.value.transient


def test_unreachable_server() -> None:
    conn = HttpConnector(dataset="t", url="http://127.0.0.1:1/x", max_retries=1, backoff=0.0,
                         auth_header=TOKEN)
    with pytest.raises(ConnectorError, match="cannot connect") as err:
        conn.pull(Watermark())
    assert err.value.transient and "s3cr3t" not in str(err.value)


def test_not_json_and_wrong_records_path(api: Api) -> None:
    api.routes["/html"] = lambda q: (200, {"Content-Type": "text/html"}, b"<html>maintenance</html>")
    api.routes["/obj"] = lambda q: ok({"results": [{"id": 1}], "count": 1})
    with pytest.raises(ConnectorError, match=r"did not return JSON \(Content-Type 'text/html', 24 bytes") as err:
        connector(api, "/html").pull(Watermark())
    assert "<html>" not in str(err.value)
    with pytest.raises(ConnectorError, match=r"records_path 'data' is not in .*Top-level keys: count, results"):
        connector(api, "/obj", records_path="data").pull(Watermark())
    with pytest.raises(ConnectorError, match="not a list of records"):
        connector(api, "/obj").pull(Watermark())


def test_renamed_cursor_field(api: Api) -> None:
    serve_pages(api)
    with pytest.raises(ConfigError, match=r"cursor column 'updated'.*Did you mean 'updated_at'"):
        connector(api, "/link", pagination="link", cursor="updated").pull(Watermark())


def test_looping_pagination_is_caught(api: Api) -> None:
    api.routes["/loop"] = lambda q: ok({"items": [{"id": 1}], "next_cursor": "same"})
    with pytest.raises(ConnectorError, match="pagination loops"):
        connector(api, "/loop", records_path="items", pagination="cursor").pull(Watermark())


def test_max_pages(api: Api) -> None:
    api.routes["/endless"] = lambda q: ok([{"id": int(q.get("page", "1"))}])
    with pytest.raises(ConnectorError, match="max_pages=3"):
        connector(api, "/endless", pagination="page", max_pages=3).pull(Watermark())


def test_bad_config() -> None:
    with pytest.raises(ConfigError, match="Did you mean 'link'"):
        HttpConnector(dataset="t", url="http://x", pagination="links")
    with pytest.raises(ConfigError, match="http:// or https://"):
        HttpConnector(dataset="t", url="ftp://x")


def test_retry_after_forms() -> None:
    assert retry_after("3") == 3.0
    assert retry_after(None) is None  # absent: the connector then waits its own backoff
    assert retry_after("soon") is None
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


def test_registry_builds_http_connectors(api: Api) -> None:
    serve_pages(api)
    params = {"url": api.url("/link"), "pagination": "link", "auth_header": TOKEN}
    with registry().create("http", "tickets", "id", params) as conn:
        assert conn.pull(Watermark(4)).frame["id"].to_list() == [4, 5]

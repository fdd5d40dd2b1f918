"""``integrity run`` pulling from a real HTTP server on 127.0.0.1: incremental pulls through a
``since`` parameter and page-number pagination, a storm of HTTP 500s that fails the run cleanly and
loses nothing, a refused token, a body that is not JSON, a bearer token that never leaves the
request (not in output, the store or any file), and a hostile server whose pagination links point
at a local file or at another origin."""

from __future__ import annotations

import json
import sqlite3
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from integrity.job import Project
from integrity.store import Store
from tests.cli.test_run_cli import clear_error, cli
from tests.job.test_run import make_project, published_ids

pytestmark = pytest.mark.integration

TOKEN_ENV = "INTEGRITY_TEST_API_TOKEN"
TOKEN = "tok-3c9f1e0b7a5d42e8"


class Api:
    """What the server serves and what it saw."""

    def __init__(self, *, token: str | None = f"Bearer {TOKEN}") -> None:
        self.records: list[dict[str, Any]] = []
        self.mode = "ok"  # ok | 500 | 500-on-page-2 | 401 | html
        self.token = token
        """The Authorization every request must carry; None: the server asks for none."""
        self.link: str | None = None
        """A ``Link: <...>; rel="next"`` target sent with every page."""
        self.requests: list[tuple[str, str | None]] = []

    def add(self, start: int, count: int, *, bad: tuple[int, ...] = ()) -> None:
        self.records += [{"id": i, "customer_id": None if i in bad else f"C-{i}", "rating": 3,
                          "text": f"text {i}"} for i in range(start, start + count)]


def serve(state: Api) -> Iterator[tuple[Api, str]]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append((self.path, self.headers.get("Authorization")))
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            page, size = int(query.get("page", 1)), int(query.get("per_page", 4))
            if state.mode == "500" or (state.mode == "500-on-page-2" and page == 2):
                return self.reply(500, b'{"error": "overloaded"}')
            if state.mode == "401" or (state.token and self.headers.get("Authorization") != state.token):
                return self.reply(401, b'{"error": "bad token"}')
            if state.mode == "html":
                return self.reply(200, b"<html>maintenance</html>")
            since = int(query["since"]) if "since" in query else None
            chosen = [r for r in state.records if since is None or r["id"] >= since]
            body = {"data": chosen[(page - 1) * size: page * size]}
            return self.reply(200, json.dumps(body).encode())

        def reply(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if state.link and status == 200:
                self.send_header("Link", f'<{state.link}>; rel="next"')
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # keep pytest output clean
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/records"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def api() -> Iterator[tuple[Api, str]]:
    yield from serve(Api())


@pytest.fixture
def cdn() -> Iterator[tuple[Api, str]]:
    """A second origin (another port) that asks for no token."""
    yield from serve(Api(token=None))


def http_project(root: Path, url: str) -> Project:
    return make_project(root, connector={"type": "http", "params": {
        "url": url, "records_path": "data", "pagination": "page", "page_size_param": "per_page",
        "page_size": 4, "since_param": "since", "auth_header": "Bearer ${" + TOKEN_ENV + "}",
        "max_retries": 2, "backoff": 0.01, "timeout": 5}})


def run(project: Project) -> Any:
    return cli("run", "feedback", "--project", str(project.root), env={TOKEN_ENV: TOKEN})


def test_incremental_pulls_over_pages(tmp_path: Path, api: tuple[Api, str]) -> None:
    state, url = api
    state.add(0, 10, bad=(4,))
    project = http_project(tmp_path, url)
    first = run(project)
    assert first.code == 1, first.stderr
    assert published_ids(tmp_path) == [i for i in range(10) if i != 4]
    state.add(10, 3)
    state.requests.clear()
    assert run(project).code == 0
    assert all("since=9" in path for path, _ in state.requests)  # only the new records were asked for
    assert published_ids(tmp_path) == [i for i in range(13) if i != 4]
    assert all(auth == f"Bearer {TOKEN}" for _, auth in state.requests)


def test_a_500_storm_fails_the_run_cleanly_and_the_next_run_catches_up(
        tmp_path: Path, api: tuple[Api, str]) -> None:
    state, url = api
    state.add(0, 6)
    project = http_project(tmp_path, url)
    state.mode = "500"
    storm = run(project)
    clear_error(storm, "dataset 'feedback'", "failed 3 times (last: HTTP 500", "retried later")
    assert len(state.requests) == 3
    state.mode = "500-on-page-2"  # the first page answers, the second does not: no partial batch
    clear_error(run(project), "failed 3 times")
    assert published_ids(tmp_path) == []
    with Store.open(project.store_url) as store:
        assert [r["status"] for r in store.runs("feedback")] == ["failed", "failed"]
        assert store.watermark("feedback") is None and store.batches("feedback") == []
    state.mode = "ok"
    assert run(project).code == 0
    assert published_ids(tmp_path) == list(range(6))


def test_refused_token_and_non_json_body_are_clear_errors(tmp_path: Path, api: tuple[Api, str]) -> None:
    state, url = api
    state.add(0, 2)
    project = http_project(tmp_path, url)
    state.mode = "401"
    refused = run(project)
    clear_error(refused, "HTTP 401", "credentials were refused", "auth_header")
    assert len(state.requests) == 1  # a 401 is not retried
    state.mode = "html"
    non_json = run(project)
    clear_error(non_json, "did not return JSON (Content-Type 'application/json', 24 bytes")
    assert "<html>" not in non_json.stderr


def test_the_token_never_leaves_the_request(tmp_path: Path, api: tuple[Api, str]) -> None:
    state, url = api
    state.add(0, 5, bad=(1,))
    project = http_project(tmp_path, url + "?api_key=" + "${" + TOKEN_ENV + "}")
    ok = run(project)
    state.mode = "500"
    failed = run(project)
    assert ok.code == 1 and failed.code == 2
    for result in (ok, failed):
        assert TOKEN not in result.stdout + result.stderr
    dump = "\n".join(sqlite3.connect(tmp_path / "state" / "integrity.db").iterdump())
    assert TOKEN not in dump
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix != ".db":
            assert TOKEN.encode() not in path.read_bytes(), path


def link_project(root: Path, url: str, **params: Any) -> Project:
    return make_project(root, connector={"type": "http", "params": {
        "url": url, "records_path": "data", "pagination": "link", "auth_header": "Bearer ${" + TOKEN_ENV + "}",
        "max_retries": 1, "backoff": 0.01, "timeout": 5, **params}})


def one_line_error(result: Any, *fragments: str) -> str:
    clear_error(result, *fragments)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return str(result.stderr)


def test_a_link_to_a_local_file_is_refused_and_nothing_of_the_file_is_kept(
        tmp_path: Path, api: tuple[Api, str]) -> None:
    state, url = api
    state.add(0, 3)
    planted = tmp_path / "elsewhere" / "records.json"
    planted.parent.mkdir()
    planted.write_text(json.dumps({"data": [{"id": 900, "customer_id": "C-900", "rating": 3,
                                             "text": "LOCAL-FILE-MARKER"}]}))
    passwd = Path("/etc/passwd")
    leaks = ["LOCAL-FILE-MARKER"] + [line for line in passwd.read_text().splitlines()[:3] if line] \
        if passwd.exists() else ["LOCAL-FILE-MARKER"]
    project = link_project(tmp_path / "project", url)
    for target in (planted.as_uri(), "file:///etc/passwd"):
        state.link = target
        result = run(project)
        one_line_error(result, "dataset 'feedback'", "sent a Link rel=next to a file: URL",
                       "only http and https URLs are fetched")
        assert not any(leak in result.stdout + result.stderr for leak in leaks)
    with Store.open(project.store_url) as store:
        runs = store.runs("feedback")
        assert [r["status"] for r in runs] == ["failed", "failed"]
        assert all("a file: URL" in r["summary"]["error"] for r in runs)
        assert store.watermark("feedback") is None and store.batches("feedback") == []
    dump = "\n".join(sqlite3.connect(tmp_path / "project" / "state" / "integrity.db").iterdump())
    assert not any(leak in dump for leak in leaks)
    assert published_ids(tmp_path / "project") == []
    state.link = None  # the server is fixed: the rows it held back come through, once
    assert run(project).code == 0
    assert published_ids(tmp_path / "project") == [0, 1, 2]


def test_a_link_to_another_origin_gets_no_token_unless_allowed_and_then_without_it(
        tmp_path: Path, api: tuple[Api, str], cdn: tuple[Api, str]) -> None:
    state, url = api
    other, other_url = cdn
    state.add(0, 2)
    other.add(2, 2)
    state.link = other_url
    project = link_project(tmp_path, url)
    port = other_url.split(":")[2].split("/")[0]
    one_line_error(run(project), "dataset 'feedback'", f"another origin, http://127.0.0.1:{port}",
                   "allowed_hosts")
    assert other.requests == []
    assert published_ids(tmp_path) == []
    project = link_project(tmp_path, url, allowed_hosts=[f"127.0.0.1:{port}"])
    assert run(project).code == 0
    assert published_ids(tmp_path) == [0, 1, 2, 3]
    assert [auth for _, auth in state.requests] == [f"Bearer {TOKEN}"] * 2
    assert [auth for _, auth in other.requests] == [None]

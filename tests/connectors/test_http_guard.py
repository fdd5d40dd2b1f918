"""The HTTP connector against hostile servers: real http.server origins on loopback (two ports are
two origins; ``localhost`` and ``127.0.0.1`` are two hosts), one of them over TLS."""

from __future__ import annotations

import gzip
import json
import shutil
import ssl
import subprocess
import threading
import tracemalloc
import urllib.parse
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from integrity.connectors.base import Watermark
from integrity.connectors.http import HttpConnector
from integrity.connectors.http_guard import OriginPolicy, safe_url
from integrity.errors import ConfigError, ConnectorError

TOKEN = "Bearer s3cr3t-t0ken"
HEADER_SECRET = "hdr-5ecret-value"
QUERY_SECRET = "qry-5ecret-value"
PASSWD = Path("/etc/passwd")


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    """Names in lower case."""


Reply = tuple[int, dict[str, str], bytes]


@dataclass
class Site:
    """One origin: what it serves (path -> handler) and every request it saw."""

    base: str = ""
    routes: dict[str, Callable[[Seen], Reply]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    @property
    def port(self) -> int:
        return urllib.parse.urlsplit(self.base).port or 0

    def url(self, path: str) -> str:
        return self.base + path


def ok(body: Any, headers: dict[str, str] | None = None) -> Reply:
    return 200, {"Content-Type": "application/json", **(headers or {})}, json.dumps(body).encode()


def moved(location: str, status: int = 302) -> Reply:
    return status, {"Location": location}, b""


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made by the openssl CLI)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture
def sites(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Site]]:
    """Start origins: ``sites()`` on 127.0.0.1, ``sites(host="localhost")``, ``sites(tls=True)``."""
    servers: list[ThreadingHTTPServer] = []
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # the client trusts the test certificate

    def start(host: str = "127.0.0.1", tls: bool = False) -> Site:
        site = Site()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                seen = Seen(parts.path, dict(urllib.parse.parse_qsl(parts.query)),
                            {k.lower(): v for k, v in self.headers.items()})
                site.seen.append(seen)
                route = site.routes.get(parts.path)
                status, headers, body = route(seen) if route else (404, {}, b"{}")
                try:
                    self.send_response(status, headers.pop("Reason", None))
                    for key, value in headers.items():
                        self.send_header(key, value)
                    if "Content-Length" not in headers and not headers.get("X-Close-Delimited"):
                        self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*certificate)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        site.base = f"{'https' if tls else 'http'}://{host}:{server.server_address[1]}"
        return site

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def connector(site: Site, path: str, **kwargs: Any) -> HttpConnector:
    kwargs.setdefault("auth_header", TOKEN)
    kwargs.setdefault("headers", {"X-Api-Key": HEADER_SECRET})
    kwargs.setdefault("backoff", 0.0)
    kwargs.setdefault("max_retries", 1)
    kwargs.setdefault("timeout", 5)
    return HttpConnector(dataset="tickets", url=site.url(path), **kwargs)


def refused(conn: HttpConnector, *fragments: str) -> str:
    """The pull fails terminally with one line holding every fragment and no secret."""
    with pytest.raises(ConnectorError) as err:
        conn.pull(Watermark())
    message = str(err.value)
    assert not err.value.transient, message
    assert "\n" not in message
    for fragment in ("dataset 'tickets'", *fragments):
        assert fragment in message, (fragment, message)
    for secret in (TOKEN, "s3cr3t", HEADER_SECRET, QUERY_SECRET):
        assert secret not in message
    return message


def credentials(seen: Seen) -> set[str]:
    found = {"authorization", "x-api-key"} & set(seen.headers)
    return found | ({"api_key"} if QUERY_SECRET in seen.query.values() else set())


# -- other origins ------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_origin_is_refused_before_it_is_asked(
        sites: Callable[..., Site], status: int) -> None:
    home, other = sites(), sites()
    other.routes["/steal"] = lambda s: ok([{"id": 666}])
    home.routes["/data"] = lambda s: moved(other.url(f"/steal?api_key={QUERY_SECRET}&page=1"), status)
    message = refused(connector(home, f"/data?api_key={QUERY_SECRET}"),
                      f"redirected (HTTP {status}) to another origin, http://127.0.0.1:{other.port}",
                      "allowed_hosts", "without credentials")
    assert "/steal" not in message  # the origin is named, not the URL
    assert other.seen == []
    assert credentials(home.seen[0]) == {"authorization", "x-api-key", "api_key"}


def test_a_link_to_another_origin_is_refused_and_nothing_is_returned(sites: Callable[..., Site]) -> None:
    home, other = sites(), sites(host="localhost")
    other.routes["/page2"] = lambda s: ok([{"id": 2}])
    home.routes["/page1"] = lambda s: ok([{"id": 1}], {"Link": f'<{other.url("/page2")}>; rel="next"'})
    refused(connector(home, "/page1", pagination="link"),
            "sent a Link rel=next to another origin", f"http://localhost:{other.port}",
            f"credentials go only to http://127.0.0.1:{home.port}", "add it to the dataset's allowed_hosts")
    assert other.seen == []


def test_allowed_hosts_are_followed_without_credentials(sites: Callable[..., Site]) -> None:
    home, cdn, mirror = sites(), sites(host="localhost"), sites()
    # home redirects to the CDN echoing its query (credential included); the CDN's last page links
    # to a mirror on another port, named with its port.
    home.routes["/data"] = lambda s: moved(cdn.url(f"/export?api_key={QUERY_SECRET}&sig=cdn-signature"))
    cdn.routes["/export"] = lambda s: ok({"items": [{"id": 1}, {"id": 2}]},
                                         {"Link": f'<{mirror.url("/rest")}>; rel="next"'})
    mirror.routes["/rest"] = lambda s: ok({"items": [{"id": 3}]})
    conn = connector(home, f"/data?api_key={QUERY_SECRET}", records_path="items", pagination="link",
                     allowed_hosts=["localhost", f"127.0.0.1:{mirror.port}"])
    assert conn.pull(Watermark()).frame["id"].to_list() == [1, 2, 3]
    assert credentials(home.seen[0]) == {"authorization", "x-api-key", "api_key"}
    assert [credentials(s) for s in cdn.seen + mirror.seen] == [set(), set()]
    assert cdn.seen[0].query == {"sig": "cdn-signature"}  # the CDN's own signature is kept


def test_allowed_hosts_name_hosts_exactly() -> None:
    policy = OriginPolicy("t", "https://api.example.com/v1",
                          ["cdn.example.com", "files.example.com:8443", "*.assets.example.net"])
    assert policy.admit("https://api.example.com:443/v2?x=1") is True
    assert policy.admit("https://cdn.example.com:9000/x") is False
    assert policy.admit("https://files.example.com:8443/x") is False
    assert policy.admit("https://eu.assets.example.net/x") is False
    for url in ("https://cdn.example.com.evil.test/x", "https://evilcdn.example.com/x",
                "https://files.example.com/x", "https://assets.example.net/x",
                "https://api.example.com:8443/x"):
        with pytest.raises(ConnectorError, match="another origin"):
            policy.admit(url, via="https://api.example.com/v1", how="redirected (HTTP 302) to")


def test_https_is_never_downgraded(sites: Callable[..., Site]) -> None:
    home, plain = sites(tls=True), sites()
    plain.routes["/page2"] = lambda s: ok([{"id": 2}])
    home.routes["/page1"] = lambda s: ok([{"id": 1}], {"Link": f'<{plain.url("/page2")}>; rel="next"'})
    home.routes["/moved"] = lambda s: moved(plain.url("/page2"), 301)
    home.routes["/one"] = lambda s: ok([{"id": 1}])
    assert connector(home, "/one").pull(Watermark()).frame["id"].to_list() == [1]  # TLS itself works
    for path in ("/page1", "/moved"):
        refused(connector(home, path, pagination="link", allowed_hosts=["127.0.0.1"]),
                f"http://127.0.0.1:{plain.port}, a downgrade from https to plain http")
    assert plain.seen == []
    assert [s.path for s in home.seen] == ["/one", "/page1", "/moved"]


# -- schemes -------------------------------------------------------------------------------------

def test_only_http_and_https_are_fetched(sites: Callable[..., Site], tmp_path: Path) -> None:
    home = sites()
    leak = tmp_path / "records.json"
    leak.write_text(json.dumps([{"id": 99, "text": "LOCAL-FILE-MARKER"}]))
    targets = {"file": leak.as_uri(), "ftp": "ftp://127.0.0.1/records.json",
               "data": "data:application/json,%5B%7B%22id%22%3A99%7D%5D", "gopher": "gopher://127.0.0.1/"}
    if PASSWD.exists():
        targets["FILE"] = "FILE:///etc/passwd"
    for scheme, target in targets.items():
        home.routes["/page1"] = lambda s, t=target: ok([{"id": 1}], {"Link": f'<{t}>; rel="next"'})
        home.routes["/moved"] = lambda s, t=target: moved(t)
        for path in ("/page1", "/moved"):
            message = refused(connector(home, path, pagination="link"),
                              f"a {scheme.lower()}: URL; only http and https URLs are fetched")
            assert "LOCAL-FILE-MARKER" not in message and "root:" not in message
    with pytest.raises(ConfigError, match="http:// or https://"):
        HttpConnector(dataset="t", url=leak.as_uri())


def test_relative_links_resolve_against_the_page_that_gave_them(sites: Callable[..., Site]) -> None:
    home = sites()
    home.routes["/v1/items"] = lambda s: moved("/v2/items", 308)

    def v2(seen: Seen) -> Reply:
        at = int(seen.query.get("offset", "0"))
        link = {"Link": f'<items?offset={at + 2}>; rel="next"'} if at < 2 else {}
        return ok([{"id": at + 1}, {"id": at + 2}], link)

    home.routes["/v2/items"] = v2
    batch = connector(home, "/v1/items", pagination="link").pull(Watermark())
    assert batch.frame["id"].to_list() == [1, 2, 3, 4]
    assert [(s.path, s.query) for s in home.seen] == [("/v1/items", {}), ("/v2/items", {}),
                                                      ("/v2/items", {"offset": "2"})]
    assert all(credentials(s) == {"authorization", "x-api-key"} for s in home.seen)


def test_redirect_loops_and_chains_stop(sites: Callable[..., Site]) -> None:
    home = sites()
    home.routes["/a"] = lambda s: moved("/b")
    home.routes["/b"] = lambda s: moved(home.url("/a"), 307)
    home.routes["/hop"] = lambda s: moved(f"/hop?n={int(s.query.get('n', '0')) + 1}")
    home.routes["/nowhere"] = lambda s: (302, {}, b"")
    refused(connector(home, "/a"), "redirects in a loop")
    assert len(home.seen) == 2
    refused(connector(home, "/hop"), "redirected more than 10 times")
    refused(connector(home, "/nowhere"), "HTTP 302 without a Location")


# -- sizes ---------------------------------------------------------------------------------------

def test_a_body_over_max_response_bytes_is_cut_off(sites: Callable[..., Site]) -> None:
    home = sites()
    body = json.dumps([{"id": i, "text": "x" * 50} for i in range(100)]).encode()
    home.routes["/big"] = lambda s: (200, {"X-Close-Delimited": "1"}, body)  # read until the limit
    home.routes["/huge"] = lambda s: (200, {"Content-Length": str(10**12)}, b"")
    refused(connector(home, "/big", max_response_bytes=1000),
            "sent more than max_response_bytes=1000 bytes", "page_size")
    assert connector(home, "/big", max_response_bytes=len(body)).pull(Watermark()).frame.height == 100
    # Announced too large: refused from the header, before the (absent) body is waited for.
    refused(connector(home, "/huge"), f"announced a body of {10**12} bytes (Content-Length)",
            f"max_response_bytes={64 * 2**20}")
    assert [s.path for s in home.seen].count("/huge") == 1


def test_compressed_bodies_are_decoded_within_the_limit(sites: Callable[..., Site]) -> None:
    home = sites()
    records = [{"id": i} for i in range(50)]
    bomb = gzip.compress(b"[" + b" " * 30_000_000 + b"]", 9)  # 30 MB of JSON in ~30 kB
    home.routes["/gz"] = lambda s: (200, {"Content-Encoding": "gzip"}, gzip.compress(json.dumps(records).encode()))
    home.routes["/deflate"] = lambda s: (200, {"Content-Encoding": "deflate"},
                                         zlib.compress(json.dumps(records).encode()))
    home.routes["/bomb"] = lambda s: (200, {"Content-Encoding": "gzip"}, bomb)
    home.routes["/broken"] = lambda s: (200, {"Content-Encoding": "gzip"}, gzip.compress(b"[]")[:-6])
    home.routes["/br"] = lambda s: (200, {"Content-Encoding": "br"}, b"\x1b\x00")
    assert connector(home, "/gz").pull(Watermark()).frame["id"].to_list() == list(range(50))
    assert connector(home, "/deflate").pull(Watermark()).frame.height == 50
    assert home.seen[0].headers["accept-encoding"] == "gzip, deflate"
    assert len(bomb) < 2**20
    tracemalloc.start()
    try:
        refused(connector(home, "/bomb", max_response_bytes=2**20),
                f"a gzip body that decompresses to more than max_response_bytes={2**20} bytes")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20  # the 30 MB it expands to are never held
    refused(connector(home, "/broken"), "not a complete gzip stream")
    refused(connector(home, "/br"), "Content-Encoding 'br', which cannot be decoded")


def test_max_records(sites: Callable[..., Site]) -> None:
    home = sites()
    home.routes["/p"] = lambda s: ok([{"id": int(s.query.get("page", "1"))}] * 3)
    refused(connector(home, "/p", pagination="page", max_records=7), "more than max_records=7")
    assert len(home.seen) == 3
    with pytest.raises(ConnectorError, match="max_pages=2"):
        connector(home, "/p", pagination="page", max_pages=2, max_records=7).pull(Watermark())


# -- messages ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "content_type", "reason"), [
    (b"<html>BODY-MARKER maintenance</html>", "text/html", "Expecting value at line 1 column 1"),
    (b'["BODY-MARKER \\q"]', "application/json", "Invalid \\escape at line 1 column"),
    (b"\x80\x81BODY-MARKER", "application/json", "not UTF-8"),
    (b"[" * 200_000 + b"BODY-MARKER", "application/json", "nests deeper"),
    (b'[1' + b"1" * 5000 + b', "BODY-MARKER"]', "text/plain", "a number in it is too long"),
])
def test_a_body_that_is_not_json_is_described_not_quoted(
        sites: Callable[..., Site], body: bytes, content_type: str, reason: str) -> None:
    home = sites()
    home.routes["/x"] = lambda s: (200, {"Content-Type": content_type}, body)
    message = refused(connector(home, "/x"), "did not return JSON",
                      f"Content-Type {content_type!r}, {len(body)} bytes", reason)
    assert "BODY-MARKER" not in message and "<html" not in message


def test_server_text_in_messages_is_made_printable(sites: Callable[..., Site]) -> None:
    home = sites()
    home.routes["/teapot"] = lambda s: (418, {"Reason": "Tea\x1b[31mpot"}, b"")
    home.routes["/keys"] = lambda s: ok({"res\x1b]0;owned\x07ults": []})
    home.routes["/mixed"] = lambda s: ok([{"id": 1, "v": {"a": "SECRET-A"}}, {"id": 2, "v": ["SECRET-B"]}])
    assert "\x1b" not in refused(connector(home, "/teapot"), "HTTP 418 Tea?[31mpot")
    assert "\x1b" not in refused(connector(home, "/keys", records_path="data"), "Top-level keys: res?]0;owned?ults")
    message = refused(connector(home, "/mixed"),
                      "field 'v' is a JSON object in record #0 and a JSON array in record #1")
    assert "SECRET" not in message


def test_safe_url_masks_credentials() -> None:
    shown = safe_url("https://user:pw@api.example.com:8443/v1/x?api_key=K1&page=2&Signature=S1"
                     "&auth_token=T1#access_token=F1")
    assert shown == ("https://api.example.com:8443/v1/x?api_key=%2A%2A%2A&page=2&Signature=%2A%2A%2A"
                     "&auth_token=%2A%2A%2A")
    assert safe_url("http://[::1]:8080/a b\x1b[31m\u202e") == "http://[::1]:8080/a%20b%1B[31m%E2%80%AE"
    assert safe_url("http://host:notaport/x") == "http://host/x"
    assert len(safe_url("http://h/" + "a" * 10_000)) == 200


def test_new_params_are_checked() -> None:
    bad: list[tuple[dict[str, Any], str]] = [
        ({"allowed_hosts": "cdn.example.com"}, r"must be a list of host names, e\.g\. \[cdn\.example\.com\]"),
        ({"allowed_hosts": ["https://cdn.example.com"]}, "not a bare host"),
        ({"allowed_hosts": ["cdn.example.com:https"]}, "port that is not a number"),
        ({"allowed_hosts": [7]}, "holds 7, not a host name"),
        ({"max_response_bytes": "64 MiB"}, "max_response_bytes must be a whole number"),
        ({"max_records": 0}, "max_records must be a whole number of at least 1"),
        ({"max_pages": True}, "max_pages must be"),
        ({"headers": {"X-Key": "a\r\nHost: evil"}}, "header 'X-Key' holds a line break"),
    ]
    for params, pattern in bad:
        with pytest.raises(ConfigError, match=pattern):
            HttpConnector(dataset="t", url="https://api.example.com/x", **params)
    with pytest.raises(ConfigError, match=r"'url' is malformed \(a port that is not a number\)"):
        HttpConnector(dataset="t", url="https://api.example.com:x/")

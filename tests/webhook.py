"""A real webhook receiver on loopback (http.server in a thread), for the alert tests.

It records every POST (path and JSON body) and answers with the statuses it is given, in order
(then 200), optionally after a delay: a server that is slow. :func:`closed_port` gives a port
nobody listens on: a server that is down.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Hook:
    port: int
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    received: list[dict[str, Any]] = field(default_factory=list)
    """``{"path": ..., "body": <parsed JSON>, "status": ...}`` for each POST, in arrival order
    (a slow server's too, though the sender gave up waiting for its answer)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def bodies(self) -> list[dict[str, Any]]:
        """The bodies of the POSTs answered with success."""
        with self.lock:
            return [r["body"] for r in self.received if r["status"] < 300 and not self.delay]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """The bodies once at least ``count`` arrived (or what there is after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while len(self.bodies()) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.bodies()


@contextmanager
def webhook(statuses: list[int] | None = None, delay: float = 0.0) -> Iterator[Hook]:
    """A receiver on 127.0.0.1 for the block."""
    hook = Hook(0, list(statuses or []), delay)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            with hook.lock:  # recorded on arrival, answered (after the delay) below
                status = hook.statuses.pop(0) if hook.statuses else 200
                hook.received.append({"path": self.path, "body": json.loads(raw or b"null"),
                                      "status": status})
            if hook.delay:
                time.sleep(hook.delay)
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            with contextlib.suppress(OSError):  # the client gave up waiting (a slow server)
                self.wfile.write(b"ok" if status < 300 else b"no")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False  # a slow handler must not hold the test up at the end
    hook.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A loopback port with nothing listening on it (a webhook that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

"""Real HTTP peers for transport tests: raw socket servers that drop, break off or proxy, and a
status method that answers from a table. Never a patched HTTP library."""

from __future__ import annotations

import json
import socket
import threading
from contextlib import contextmanager

from werkzeug import Request, Response


def error_body(code: int, description: str, extended: str | None = None) -> str:
    body = {"error": {"code": code, "description": description}}
    if extended:
        body["extendedDescription"] = extended
    return json.dumps(body)


# --- transport failures -------------------------------------------------------------------------
@contextmanager
def raw_server(reply: bytes | None):
    """A socket server that reads each whole request (recording its body), then sends ``reply``
    (raw bytes, e.g. a broken-off answer) or nothing, and closes the connection."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    received: list[bytes] = []
    stop = threading.Event()

    def serve():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = int([h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")][0]
                             .split(b":")[1])
                while len(body) < length:
                    body += conn.recv(65536)
                received.append(body)
                if reply is not None:
                    conn.sendall(reply)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}", received
    finally:
        stop.set()
        t.join()
        srv.close()


def dropping_server():
    """Accepts a connection, reads the whole request, then closes without answering."""
    return raw_server(None)


def truncating_server():
    """Reads the request, starts a chunked 200 answer and breaks it off mid-chunk."""
    return raw_server(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"40\r\n{\"mtNum\":")


@contextmanager
def forward_proxy():
    """A minimal HTTP forward proxy stand-in: records the request line and answers as the platform."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    lines: list[bytes] = []

    def serve():
        conn, _ = srv.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            lines.append(data.split(b"\r\n", 1)[0])
            body = b'{"mtNum":"77"}'
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}", lines
    finally:
        t.join(timeout=5)
        srv.close()


class StatusPeer:
    """Answers the status method from a table of reports and records every request body."""

    def __init__(self, reports: dict[str, dict]) -> None:
        self.reports = reports
        self.bodies: list[dict] = []
        self.faults: list[Response] = []

    def __call__(self, request: Request) -> Response:
        body = json.loads(request.get_data())
        self.bodies.append(body)
        if self.faults:
            return self.faults.pop(0)
        found = [self.reports[n] for n in body["mtNums"] if n in self.reports]
        return Response(json.dumps({"reports": found}), status=200, content_type="application/json")


def report(n: int, status: int = 2, code: int = 0) -> dict:
    return {"mtNum": str(n), "id": f"id-{n}", "status": status, "errorCode": code,
            "doneDate": "2022-06-22T10:22:45+0300"}


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_peer(httpserver, set_conn) -> StatusPeer:
    """A status method at ``/api/status`` answering for mtNums 1000-1249 (every third undelivered,
    errorCode 7), with ``messaging_default`` pointing at it and short backoffs."""
    reports = {str(n): report(n, 5 if n % 3 == 0 else 2, 7 if n % 3 == 0 else 0) for n in range(1000, 1250)}
    peer = StatusPeer(reports)
    httpserver.expect_request("/api/status", method="POST").respond_with_handler(peer)
    set_conn(httpserver.url_for("/api"), status_path="/status", backoff_initial=0.01, backoff_max=0.05)
    return peer

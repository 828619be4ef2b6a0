"""A loopback stand-in for Sentry's ingestion endpoint, for tests of what the product sends to Sentry.

It answers `POST /api/<project_id>/envelope/` as Relay does and parses each envelope as Sentry's envelope
format documents it (https://develop.sentry.dev/sdk/foundations/transport/envelopes/): a JSON header line,
then items, each a JSON header line (its `type`, and the payload's `length` in bytes when given; otherwise
the payload runs to the next newline) followed by its payload. The body may be gzip- or brotli-encoded
(Content-Encoding), as the SDK's HTTP transport sends it. The envelopes arrive in `server.envelopes`, each
as {"headers": ..., "items": [(item_header, payload_bytes)], "raw": the decoded body}; `server.events()`
gives the error events."""

from __future__ import annotations

import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def parse_envelope(body: bytes) -> dict:
    """The envelope in `body`: its headers and its items, per the documented format."""
    header_line, _, rest = body.partition(b"\n")
    envelope = {"headers": json.loads(header_line), "items": [], "raw": body}
    while rest.strip():
        item_line, _, rest = rest.partition(b"\n")
        if not item_line.strip():
            continue
        item_header = json.loads(item_line)
        length = item_header.get("length")
        if length is None:
            payload, _, rest = rest.partition(b"\n")
        else:
            payload, rest = rest[:length], rest[length:].removeprefix(b"\n")
        envelope["items"].append((item_header, payload))
    return envelope


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        encoding = (self.headers.get("Content-Encoding") or "").lower()
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        parts = self.path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "api" or parts[2] != "envelope":
            self._answer(404, b"{}")
            return
        with self.server.lock:
            self.server.envelopes.append(parse_envelope(body))
        self._answer(200, json.dumps({"id": "0" * 32}).encode())

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # quiet
        pass


class SentryServer:
    """The stand-in on 127.0.0.1 and a free port; `dsn` points an SDK at it."""

    def __init__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.envelopes, self.httpd.lock = [], threading.Lock()
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def dsn(self) -> str:
        return f"http://public-key@127.0.0.1:{self.httpd.server_address[1]}/42"

    @property
    def envelopes(self) -> list[dict]:
        return self.httpd.envelopes

    def events(self, timeout: float = 5.0) -> list[dict]:
        """The error events received, waiting up to `timeout` seconds for the first."""
        deadline = time.monotonic() + timeout
        while True:
            found = [
                json.loads(payload)
                for envelope in list(self.envelopes)
                for header, payload in envelope["items"]
                if header.get("type") == "event"
            ]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def start(self) -> SentryServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

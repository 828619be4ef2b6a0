"""A loopback stand-in for Twilio's Messages API, for tests of the Twilio SMS backend and its receipts.

One threaded http.server on 127.0.0.1 and a free port answers POST
/2010-04-01/Accounts/{AccountSid}/Messages.json the way Twilio documents it (medspa/tests/twilio_docs/):
HTTP basic authentication with the account SID and auth token (401, code 20003, otherwise), a
form-encoded body (To, From, Body, StatusCallback), 201 with the message resource and a fresh "SM…" sid,
or 400 with code 21211 when To is not an E.164 number. Tests script answers (`status`, `delay`) and read
what arrived in `twilio.messages` (the form fields, each message's sid).

`signed_callback(url, params)` is Twilio's side of a status callback: the form parameters and the
X-Twilio-Signature header computed with the official package's RequestValidator, as Twilio signs them (for
the Django test client); `twilio.report(message, status)` POSTs it over HTTP to the message's
StatusCallback, as Twilio does (for the live server).
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import requests
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "twilio-test-auth-token"
DOCS = Path(__file__).resolve().parent.parent / "medspa" / "tests" / "twilio_docs"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def doc(name: str) -> dict:
    """One of the documented payloads (medspa/tests/twilio_docs/<name>.json)."""
    return json.loads((DOCS / f"{name}.json").read_text())


def signed_callback(url: str, params: dict, *, token: str = AUTH_TOKEN) -> tuple[dict, dict]:
    """The form and the headers of a status callback to `url`, signed as Twilio signs it."""
    signature = RequestValidator(token).compute_signature(url, params)
    return params, {"HTTP_X_TWILIO_SIGNATURE": signature}


class TwilioServer:
    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.requests: list[dict] = []  # every request: path, headers, raw body
        self.status: int | None = None  # force an answer: 401 or 400 from the docs, or any other
        self.delay = 0.0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> TwilioServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with server.lock:
                    server.requests.append({"path": self.path, "headers": dict(self.headers), "body": raw})
                status, body = server.answer(self.path, dict(self.headers), raw)
                time.sleep(server.delay)
                try:
                    payload = json.dumps(body).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client gave up waiting
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def report(self, message: dict, status: str, **extra: str) -> int:
        """Twilio's status callback about a message it accepted, POSTed and signed; returns the answer's
        status code."""
        params = {
            **doc("status_callback_delivered"),
            "AccountSid": ACCOUNT_SID,
            "From": message["From"],
            "To": message["To"],
            "MessageSid": message["sid"],
            "SmsSid": message["sid"],
            "MessageStatus": status,
            "SmsStatus": status,
            **extra,
        }
        form, headers = signed_callback(message["StatusCallback"], params)
        signature = {"X-Twilio-Signature": headers["HTTP_X_TWILIO_SIGNATURE"]}
        return requests.post(message["StatusCallback"], data=form, headers=signature, timeout=10).status_code

    def answer(self, path: str, headers: dict, raw: bytes) -> tuple[int, dict]:
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if self.status == 401 or headers.get("Authorization") != expected:
            return 401, doc("error_authentication")
        if path != f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json":
            return 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
        if not headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            return 400, {"code": 20001, "message": "Not form-encoded", "status": 400}
        form = {name: values[0] for name, values in parse_qs(raw.decode()).items()}
        if self.status == 400 or not E164.match(form.get("To", "")):
            return 400, doc("error_invalid_to")
        if self.status is not None:
            return self.status, {"code": 20500, "message": "Internal Server Error", "status": self.status}
        body = copy.deepcopy(doc("message_created"))
        sid = f"SM{uuid.uuid4().hex}"
        body.update(sid=sid, account_sid=ACCOUNT_SID, to=form["To"], body=form.get("Body", ""))
        body["from"] = form["From"]
        with self.lock:
            self.messages.append({**form, "sid": sid})
        return 201, body

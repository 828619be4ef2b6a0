"""A loopback stand-in for OpenPhone, TigerConnect and Acuity, for tests of transition.integrations.

One threaded http.server on 127.0.0.1 and a free port speaks all three APIs under their own prefixes
(`/openphone/v1`, `/tigerconnect`, `/acuity/api/v1`), with in-memory state, the vendors' authentication
checks (401 otherwise), and idempotent writes: a write whose Idempotency-Key was seen before gets the first
answer again and has no second effect (`stub.effects_per_key` counts the effects each key had).

Tests script failures, each consumed by the next matching request:
    stub.script("POST", "/openphone/v1/phone-numbers/PN1/transfers", status=500)
    stub.script("GET", "/acuity/api/v1/appointments", status=429, retry_after="1")
    stub.script("POST", ..., hang=2.0, after_effect=True)   # do the write, then answer too late
and read what arrived in `stub.requests` (method, path, query, headers, json).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

OPENPHONE_KEY = "op-test-key"
TIGERCONNECT_KEY, TIGERCONNECT_SECRET = "tc-key", "tc-secret"
ACUITY_USER, ACUITY_KEY = "12345", "acuity-test-key"
# Where each vendor's API lives on the stub.
OP, TC, AC = "/openphone/v1", "/tigerconnect", "/acuity/api/v1"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    json: object

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")


@dataclass
class Script:
    method: str
    path: str
    status: int | None = None
    retry_after: str | None = None
    hang: float = 0.0
    after_effect: bool = False
    body: object = None


@dataclass
class State:
    phone_numbers: dict[str, dict] = field(default_factory=dict)
    transfers: dict[str, dict] = field(default_factory=dict)
    tc_users: dict[str, str] = field(default_factory=dict)  # id -> "active" / "deactivated"
    tc_groups: dict[str, str] = field(default_factory=dict)
    appointments: list[dict] = field(default_factory=list)
    appointment_types: list[dict] = field(default_factory=list)
    calendars: list[dict] = field(default_factory=list)
    revoked_calendars: set[int] = field(default_factory=set)
    effects: list[str] = field(default_factory=list)  # one entry per write that changed something


class StubServer:
    def __init__(self) -> None:
        self.state = State()
        self.requests: list[Recorded] = []
        self.scripts: list[Script] = []
        self.idempotent: dict[str, tuple[int, object]] = {}
        self.effects_per_key: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.httpd.daemon_threads = True  # a hung answer never blocks the shutdown
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StubServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.thread.is_alive():
            self.httpd.shutdown()
        self.httpd.server_close()

    def script(self, method: str, path: str, **how) -> None:
        with self.lock:
            self.scripts.append(Script(method.upper(), path, **how))

    def requests_to(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method.upper() and r.path == path]

    # --- dispatch ------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict, headers: dict, body: object) -> tuple:
        """(status, JSON body, Retry-After or None) for one request, scripted failures first."""
        with self.lock:
            script = next((s for s in self.scripts if s.method == method and s.path == path), None)
            if script:
                self.scripts.remove(script)
        if script and not script.after_effect:
            if script.hang:
                time.sleep(script.hang)
            if script.status:
                return script.status, script.body or {"message": "scripted failure"}, script.retry_after
        status, answer = self._answer(method, path, query, headers, body)
        if script and script.after_effect:
            time.sleep(script.hang)
            if script.status:
                return script.status, script.body or {"message": "scripted failure"}, script.retry_after
        return status, answer, None

    def _answer(self, method, path, query, headers, body) -> tuple[int, object]:
        for prefix, authorised, routes in (
            ("/openphone/v1", _openphone_auth, _OPENPHONE),
            ("/tigerconnect", _basic_auth(TIGERCONNECT_KEY, TIGERCONNECT_SECRET), _TIGERCONNECT),
            ("/acuity/api/v1", _basic_auth(ACUITY_USER, ACUITY_KEY), _ACUITY),
        ):
            if not path.startswith(prefix + "/"):
                continue
            if not authorised(headers):
                return 401, {"message": "unauthorised", "code": "unauthorized"}
            rest = path[len(prefix) :]
            for route_method, pattern, view in routes:
                match = re.fullmatch(pattern, rest)
                if match and route_method == method:
                    key = headers.get("idempotency-key") if method != "GET" else None
                    with self.lock:
                        if key and (prefix, key) in self.idempotent:
                            return self.idempotent[(prefix, key)]
                        effects = len(self.state.effects)
                        result = view(self.state, body, query, **match.groupdict())
                        if key and len(self.state.effects) > effects:
                            self.effects_per_key[key] += len(self.state.effects) - effects
                        if key and result[0] < 500:
                            self.idempotent[(prefix, key)] = result
                        return result
            return 404, {"message": "no such endpoint", "code": "not_found"}
        return 404, {"message": "no such API"}


def _handler_for(stub: StubServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            headers = {k.lower(): v for k, v in self.headers.items()}
            query = parse_qs(parts.query)
            stub.requests.append(Recorded(self.command, parts.path, query, headers, body))
            status, answer, retry_after = stub.handle(self.command, parts.path, query, headers, body)
            payload = json.dumps(answer).encode() if answer is not None else b""
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                if retry_after is not None:
                    self.send_header("Retry-After", retry_after)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a scripted hang)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    return Handler


def _openphone_auth(headers) -> bool:
    return headers.get("authorization") == OPENPHONE_KEY


def _basic_auth(user: str, password: str):
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    return lambda headers: headers.get("authorization") == expected


# --- OpenPhone ---------------------------------------------------------------------------------------------
def _op_number(state: State, body, query, number_id):
    number = state.phone_numbers.get(number_id)
    return (200, {"data": number}) if number else (404, {"message": "Not found", "code": "0404"})


def _op_transfer_create(state: State, body, query, number_id):
    if number_id not in state.phone_numbers:
        return 404, {"message": "Not found", "code": "0404"}
    parties = {c.get("party") for c in (body or {}).get("confirmations", [])}
    email = ((body or {}).get("targetAccount") or {}).get("email")
    if not email or not {"portrait", "provider"} <= parties:
        return 400, {"message": "both confirmations and a target account are required", "code": "0400"}
    transfer = {
        "id": "TR" + uuid.uuid4().hex[:10],
        "phoneNumberId": number_id,
        "status": "requested",
        "targetAccount": body["targetAccount"],
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": "2026-01-01T00:00:00Z",
    }
    state.transfers[transfer["id"]] = transfer
    state.effects.append(f"openphone transfer {number_id}")
    return 201, {"data": transfer}


def _op_transfer_get(state: State, body, query, number_id, transfer_id):
    transfer = state.transfers.get(transfer_id)
    if not transfer or transfer["phoneNumberId"] != number_id:
        return 404, {"message": "Not found", "code": "0404"}
    return 200, {"data": transfer}


_OPENPHONE = [
    ("GET", r"/phone-numbers/(?P<number_id>[^/]+)", _op_number),
    ("POST", r"/phone-numbers/(?P<number_id>[^/]+)/transfers", _op_transfer_create),
    ("GET", r"/phone-numbers/(?P<number_id>[^/]+)/transfers/(?P<transfer_id>[^/]+)", _op_transfer_get),
]


# --- TigerConnect ------------------------------------------------------------------------------------------
def _tc_deactivate(kind: str):
    def view(state: State, body, query, object_id):
        table = state.tc_users if kind == "user" else state.tc_groups
        if object_id not in table:
            return 404, {"message": f"no such {kind}", "code": "not_found"}
        if table[object_id] != "deactivated":
            table[object_id] = "deactivated"
            state.effects.append(f"tigerconnect {kind} {object_id}")
        return 200, {"id": object_id, "status": "deactivated"}

    return view


_TIGERCONNECT = [
    ("POST", r"/v2/users/(?P<object_id>[^/]+)/deactivate", _tc_deactivate("user")),
    ("POST", r"/v2/groups/(?P<object_id>[^/]+)/deactivate", _tc_deactivate("group")),
]


# --- Acuity ------------------------------------------------------------------------------------------------
def _acuity_appointments(state: State, body, query):
    def one(name, default=None):
        return (query.get(name) or [default])[0]

    try:
        min_date = date.fromisoformat(one("minDate", "0001-01-01"))
        max_date = date.fromisoformat(one("maxDate", "9999-12-31"))
    except ValueError:
        return 400, {"status_code": 400, "message": "Invalid date.", "error": "invalid_date"}
    calendar_id = one("calendarID")
    rows = [
        row
        for row in state.appointments
        if min_date <= date.fromisoformat(row["datetime"][:10]) <= max_date
        and (calendar_id is None or str(row["calendarID"]) == calendar_id)
        and (not row.get("canceled") or one("canceled") == "true")
    ]
    rows.sort(key=lambda row: row["datetime"], reverse=True)  # Acuity lists the latest first
    return 200, rows[: int(one("max", "100"))]


_ACUITY = [
    ("GET", r"/appointments", _acuity_appointments),
    ("GET", r"/appointment-types", lambda state, body, query: (200, state.appointment_types)),
    ("GET", r"/calendars", lambda state, body, query: (200, state.calendars)),
]


def _acuity_revoke(state: State, body, query, calendar_id):
    calendar_id = int(calendar_id)
    if not any(c["id"] == calendar_id for c in state.calendars):
        return 404, {"status_code": 404, "message": "Calendar not found", "error": "not_found"}
    if calendar_id not in state.revoked_calendars:
        state.revoked_calendars.add(calendar_id)
        state.effects.append(f"acuity revoke {calendar_id}")
    return 200, {"calendarID": calendar_id, "access": "revoked"}


_ACUITY.append(("POST", r"/calendars/(?P<calendar_id>\d+)/revoke-access", _acuity_revoke))

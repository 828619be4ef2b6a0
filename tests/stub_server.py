"""A loopback stand-in for OpenPhone, TigerConnect and Acuity, for tests of transition.integrations.

One threaded http.server on 127.0.0.1 and a free port speaks all three APIs under their own prefixes
(`/openphone/v1`, `/tigerconnect`, `/acuity/api/v1`), with in-memory state, and answers only the operations
each vendor documents, as it documents them (transition/tests/vendor_docs/<vendor>/: endpoints.json lists
them, the other files are the documentation's example payloads): its authentication (401 with the vendor's
error body otherwise), status codes, error bodies and wrapping. Anything else answers 404, and
`stub.undocumented()` lists the requests no documented operation matches (the `stub` fixture fails a test
that made one). A write whose Idempotency-Key was seen before gets the first answer again and has no second
effect (`stub.effects_per_key` counts the effects each key had).

Tests script failures, each consumed by the next matching request:
    stub.script("DELETE", "/tigerconnect/v2/group/G1/", status=500)
    stub.script("GET", "/acuity/api/v1/appointments", status=429, retry_after="1")
    stub.script("POST", ..., hang=2.0, after_effect=True)   # do the write, then answer too late
and read what arrived in `stub.requests` (method, path, query, headers, json).
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

OPENPHONE_KEY = "op-test-key"
TIGERCONNECT_KEY, TIGERCONNECT_SECRET = "tc-key", "tc-secret"
ACUITY_USER, ACUITY_KEY = "12345", "acuity-test-key"
# Where each vendor's API lives on the stub.
OP, TC, AC = "/openphone/v1", "/tigerconnect", "/acuity/api/v1"
VENDOR_DOCS = Path(__file__).resolve().parent.parent / "transition" / "tests" / "vendor_docs"
PREFIXES = {"acuity": AC, "openphone": OP, "tigerconnect": TC}


def vendor_doc(vendor: str, name: str):
    """A payload as the vendor's documentation shows it (a fresh copy)."""
    return copy.deepcopy(json.loads((VENDOR_DOCS / vendor / name).read_text()))


def documented_operations() -> dict[str, list[tuple[str, re.Pattern]]]:
    """{vendor: [(method, full path pattern on the stub)]} of every operation the vendors document."""
    operations = {}
    for vendor, prefix in PREFIXES.items():
        rows = vendor_doc(vendor, "endpoints.json")
        operations[vendor] = [
            (
                row["method"],
                re.compile(re.escape(prefix) + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(row["path"]))),
            )
            for row in rows
        ]
    return operations


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
    phone_numbers: dict[str, dict] = field(default_factory=dict)  # in Portrait's workspace
    tc_groups: dict[str, str] = field(default_factory=dict)  # token -> "active" / "deleted"
    appointments: list[dict] = field(default_factory=list)
    appointment_types: list[dict] = field(default_factory=list)
    calendars: list[dict] = field(default_factory=list)
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

    def undocumented(self) -> list[str]:
        """ "METHOD path" of every request that no operation of its vendor's documentation matches."""
        operations = [op for ops in documented_operations().values() for op in ops]
        return [
            f"{r.method} {r.path}"
            for r in self.requests
            if not any(method == r.method and pattern.fullmatch(r.path) for method, pattern in operations)
        ]

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
        for prefix, authorised, routes, refused in (
            (OP, _openphone_auth, _OPENPHONE, ("openphone", "error-401.json")),
            (TC, _basic_auth(TIGERCONNECT_KEY, TIGERCONNECT_SECRET), _TIGERCONNECT, None),
            (AC, _basic_auth(ACUITY_USER, ACUITY_KEY), _ACUITY, ("acuity", "error-401.json")),
        ):
            if not path.startswith(prefix + "/"):
                continue
            if not authorised(headers):
                return 401, vendor_doc(*refused) if refused else None
            rest = unquote(path[len(prefix) :])
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
            return 404, None  # not an operation the vendor documents
        return 404, None


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


# --- OpenPhone (vendor_docs/openphone) ----------------------------------------------------------------------
def _op_number(state: State, body, query, number_id):
    number = state.phone_numbers.get(number_id)
    if not number:  # not in the key's workspace (never there, or moved by OpenPhone support)
        return 404, vendor_doc("openphone", "error-404.json")
    answer = vendor_doc("openphone", "phone-number.json")
    answer["data"].update(number)
    return 200, answer


_OPENPHONE = [
    ("GET", r"/phone-numbers/(?P<number_id>[^/]+)", _op_number),
]


# --- TigerConnect (vendor_docs/tigerconnect) ----------------------------------------------------------------
def _tc_group_delete(state: State, body, query, token):
    if state.tc_groups.get(token) != "active":
        return 404, None
    state.tc_groups[token] = "deleted"
    state.effects.append(f"tigerconnect group {token}")
    return 200, None  # the listing documents 200 OK, with no body


_TIGERCONNECT = [
    ("DELETE", r"/v2/group/(?P<token>[^/]+)/", _tc_group_delete),
]


# --- Acuity ------------------------------------------------------------------------------------------------
def _acuity_appointments(state: State, body, query):
    def one(name, default=None):
        return (query.get(name) or [default])[0]

    try:
        min_date = date.fromisoformat(one("minDate", "0001-01-01"))
        max_date = date.fromisoformat(one("maxDate", "9999-12-31"))
    except ValueError:
        return 400, vendor_doc("acuity", "error-400.json")
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

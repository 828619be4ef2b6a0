"""`manage.py stripe_local`, the Procfile's `stripe` process, as a real process: the local Stripe server on
STRIPE_LOCAL_URL's port, answering the secret key of a development run and sending its events to the run's
webhook endpoints, stopped by SIGTERM as honcho stops it; and, without STRIPE_LOCAL_URL, one line and a
quiet wait (honcho would stop the whole run if it exited)."""

import hashlib
import hmac
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import requests

from tests.browser import eventually

pytestmark = pytest.mark.slow  # starts Django in a subprocess

ROOT = Path(__file__).resolve().parent.parent.parent
http = requests.Session()
http.trust_env = False  # loopback only: no proxy of the environment in the way


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(**environment: str) -> subprocess.Popen:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("STRIPE_")
        and name not in ("DJANGO_SETTINGS_MODULE", "HTTP_PROXY", "http_proxy")
    }
    env |= {"DJANGO_SETTINGS_MODULE": "medspa.settings", "PYTHONUNBUFFERED": "1", **environment}
    return subprocess.Popen(
        [sys.executable, "manage.py", "stripe_local"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()


class _Events(BaseHTTPRequestHandler):
    """The run's web server, as far as Stripe's events go: what arrives, with its signature."""

    received: "queue.Queue[tuple[str, bytes, str]]"

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.put((self.path, body, self.headers.get("Stripe-Signature", "")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def _signed_with(secret: str, body: bytes, header: str) -> bool:
    parts = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def test_the_command_serves_the_local_stripe_and_sends_events_to_the_runs_endpoints(tmp_path):
    port, web_port = _free_port(), _free_port()
    events = HTTPServer(("127.0.0.1", web_port), _Events)
    events.RequestHandlerClass.received = queue.Queue()
    threading.Thread(target=events.serve_forever, daemon=True).start()
    run = {"DEBUG": "true", "STRIPE_LOCAL_URL": f"http://127.0.0.1:{port}", "DATA_DIR": str(tmp_path)}
    process = _start(**run, WEB_PORT=str(web_port))
    api = f"http://127.0.0.1:{port}"
    key = {"Authorization": "Bearer sk_test_local"}
    try:
        answer = eventually(lambda: _answer(f"{api}/v1/balance", process), timeout=60)
        assert answer not in (None, "exited"), process.stderr.read() if process.poll() is not None else ""
        assert answer.status_code == 200 and "available" in answer.json()
        assert http.get(f"{api}/v1/balance", timeout=5).status_code == 401  # no key, no answer

        made = http.post(f"{api}/v1/accounts", data={"type": "standard"}, headers=key, timeout=5).json()
        link = http.post(
            f"{api}/v1/account_links",
            data={
                "account": made["id"],
                "type": "account_onboarding",
                "return_url": "http://x/",
                "refresh_url": "http://x/",
            },
            headers=key,
            timeout=5,
        ).json()
        http.post(link["url"], allow_redirects=False, timeout=5)  # "Finish onboarding"
        arrived = {}
        for _ in range(2):  # localstripe's balance.available (after GET /v1/balance), then account.updated
            path, body, signature = events.RequestHandlerClass.received.get(timeout=30)
            arrived[path] = (json.loads(body), _signed_with("whsec_local", body, signature))
        platform, connected = arrived["/webhooks/stripe/"], arrived["/webhooks/stripe/connect/"]
        assert (platform[0]["type"], "account" in platform[0], platform[1]) == (
            "balance.available",
            False,
            True,
        )
        assert (connected[0]["type"], connected[0]["account"], connected[1]) == (
            "account.updated",
            made["id"],
            True,
        )
    finally:
        code = _stop(process)
        events.shutdown()
    assert code == 0
    assert f"the local Stripe server (no money moves) on http://127.0.0.1:{port}" in process.stdout.read()

    # The next run finds the account the database names, onboarded as it was.
    again = _start(**run)
    try:
        found = eventually(lambda: _answer(f"{api}/v1/accounts/{made['id']}", again), timeout=60)
        assert found not in (None, "exited") and found.json()["charges_enabled"] is True
    finally:
        assert _stop(again) == 0


def _answer(url: str, process: subprocess.Popen):
    try:
        return http.get(url, headers={"Authorization": "Bearer sk_test_local"}, timeout=2)
    except requests.ConnectionError:
        return None if process.poll() is None else "exited"


def test_without_a_local_server_to_run_the_command_says_why_and_waits_until_stopped():
    process = _start(DEBUG="false", STRIPE_SECRET_KEY="sk_test_0123456789abcdef")
    try:
        line = process.stdout.readline()
        assert line == "Stripe: real keys are configured, the local Stripe server is not started.\n"
        assert process.poll() is None  # still there: honcho would stop everything if it had exited
    finally:
        code = _stop(process)
    assert code == 0
    assert process.stdout.read() == "" and process.stderr.read() == ""

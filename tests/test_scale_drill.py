"""The scale drill (`make drill-scale`, scripts/drill/run.py) stays working: its proxy configuration is one
Caddy accepts, and a short run (15 s of load) with real processes, a node and a worker killed with SIGKILL,
ends with nothing lost or doubled. The short run takes minutes (migrations and seeding a fresh primary
first), so it is a slow test: `make test` runs it, `make test-fast` leaves it out."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.drill.stack import caddyfile

ROOT = Path(__file__).resolve().parents[1]


def _ensure(package: str) -> str:
    subprocess.run([str(ROOT / "scripts" / f"ensure-{package}")], check=True, timeout=600)  # noqa: S603
    return shutil.which(package)


def test_the_proxys_caddyfile_is_one_caddy_accepts(tmp_path):
    caddy = _ensure("caddy")
    config = tmp_path / "Caddyfile"
    config.write_text(caddyfile(tmp_path / "data", 8443, [8001, 8002], "/readyz"))

    adapted = subprocess.run(  # noqa: S603
        [caddy, "adapt", "--config", str(config), "--adapter", "caddyfile"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert adapted.returncode == 0, adapted.stderr
    (server,) = json.loads(adapted.stdout)["apps"]["http"]["servers"].values()
    assert server["listen"] == ["127.0.0.1:8443"]  # loopback only
    (proxy,) = [handler for handler in _handlers(server["routes"]) if handler["handler"] == "reverse_proxy"]
    assert [upstream["dial"] for upstream in proxy["upstreams"]] == ["127.0.0.1:8001", "127.0.0.1:8002"]
    assert proxy["health_checks"]["active"]["uri"] == "/readyz"
    assert proxy["load_balancing"]["selection_policy"]["policy"] == "round_robin"


def _handlers(routes: list) -> list:
    found = []
    for route in routes:
        for handler in route.get("handle", []):
            found += [handler, *_handlers(handler.get("routes", []))]
    return found


@pytest.mark.slow
def test_a_short_drill_loses_and_doubles_nothing_with_a_node_and_a_worker_killed():
    for package in ("pgbouncer", "caddy", "redis"):
        _ensure(package)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_", "REDIS_"))}

    drill = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "scripts.drill.run", "--seconds", "15", "--users", "6", "--bookers", "4"],
        cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=1800,
        check=False,
    )  # fmt: skip

    output = drill.stdout + drill.stderr
    assert drill.returncode == 0, output[-6000:]
    assert re.search(r"photo: node 1 upload → node 2 download\s+same bytes", output)
    assert re.search(r"bookings: missing / doubled / overlapping\s+0 / 0 / 0", output)
    assert re.search(r"load: failed outside the kill window\s+0", output)
    assert "OK: every process stopped" in output
    assert not (ROOT / ".data" / "drill").exists()

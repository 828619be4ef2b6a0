"""The load run's throwaway database: a copy of the tests' database (CREATE DATABASE … TEMPLATE, a file copy
on the same server), dropped when the run ends. Nothing the load writes (online bookings, the patients' access
log, which refuses deletes by design, audit events) stays behind in the tests' database."""

import psycopg
from psycopg import sql


def _maintenance(settings_dict: dict) -> psycopg.Connection:
    return psycopg.connect(
        dbname="postgres",
        host=settings_dict.get("HOST") or None,
        port=settings_dict.get("PORT") or None,
        user=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None,
        autocommit=True,
    )


def copy_name(source: str) -> str:
    return f"{source}_load"[:63]


def database_copy(settings_dict: dict, source: str, target: str) -> None:
    """`target` as a fresh copy of `source` (which nobody may be connected to meanwhile), with the owner of
    `source`: the public schema belongs to the database's owner, and the owner role creates tables in it."""
    with _maintenance(settings_dict) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target)))
        (owner,) = connection.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [source]
        ).fetchone()
        connection.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER {}").format(
                sql.Identifier(target), sql.Identifier(source), sql.Identifier(owner)
            )
        )


def database_drop(settings_dict: dict, name: str) -> None:
    with _maintenance(settings_dict) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

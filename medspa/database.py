"""The database's two roles, the audit tables' protection, and the read replica's settings.

The owner role runs migrations and set-up commands and owns every table. The app role (web and workers) owns
nothing, so it cannot ALTER, TRUNCATE or switch triggers off; it may read and write ordinary tables, and only
read and insert into the audit tables. After every `migrate` (as the owner), grants and the append-only
triggers are brought up to date for every table there is, so a new table or a new pghistory event model is
covered without a migration of its own."""

import copy
from collections.abc import Iterator
from contextlib import contextmanager

import dj_database_url
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from psycopg import sql

# A plain PL/pgSQL refusal: unlike pgtrigger's triggers it has no `pgtrigger.ignore` check, so no session
# can switch it off for itself; only the owner (ALTER TABLE) or a superuser can.
APPEND_ONLY_FUNCTION = """
    CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'Cannot % rows of %: the audit trail is append-only', lower(TG_OP), TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
"""
APPEND_ONLY_TRIGGERS = (
    "CREATE OR REPLACE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
    "CREATE OR REPLACE TRIGGER audit_no_truncate BEFORE TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
)


def replica_settings(url: str, primary: dict) -> dict:
    """DATABASES' "replica" entry for DATABASE_REPLICA_URL (none without it): a streaming standby of the
    primary, read as the same app role (it is a copy: the roles and rights are the primary's), with the
    primary's options and pool, whatever they are by then. Not in ATOMIC_REQUESTS: a request would open a
    transaction (a connection) on it whether it read there or not. Its TEST mirror is "default": a test run
    never makes a database on a standby. Only the views that opt in read from it (medspa.db_router)."""
    if not url:
        return {}
    replica = dj_database_url.parse(url)
    if not replica["ENGINE"].endswith("postgresql"):
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must point at PostgreSQL (postgres://...).")
    if replica["USER"] != primary["USER"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must name the app role, as DATABASE_URL does.")
    address = {key: replica[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")}
    return {"replica": replica_entry(primary, **address)}


def replica_entry(primary: dict, **address) -> dict:
    """The replica's entry: a copy of the primary's (its options and pool) at `address` (the primary's own
    when none is given: the tests' mirror), out of ATOMIC_REQUESTS, mirroring "default" in test runs."""
    return {**copy.deepcopy(primary), **address, "ATOMIC_REQUESTS": False, "TEST": {"MIRROR": "default"}}


def audit_tables() -> list[str]:
    """Every append-only table: each pghistory event model, pghistory's context table, the patient access
    log and the masquerade log."""
    import pghistory.models
    from django.apps import apps

    from medspa.models import MasqueradeEvent, PatientAccessLog

    models = [
        model
        for model in apps.get_models()
        if issubclass(model, pghistory.models.Event) and model._meta.managed and not model._meta.proxy
    ]
    models += [pghistory.models.Context, PatientAccessLog, MasqueradeEvent]
    return sorted({model._meta.db_table for model in models})


@contextmanager
def connected_as(role: str, using: str = "default") -> Iterator[None]:
    """Runs the block on a connection of `role` ("owner", "app"; the tests add "superuser"), from
    settings.DATABASE_ROLES, then goes back to the connection's own role. A role with a HOST and PORT of its
    own connects there (the owner straight to PostgreSQL while the app role goes through PgBouncer)."""
    connection = connections[using]
    credentials = settings.DATABASE_ROLES[role]
    keys = ("USER", "PASSWORD", *(key for key in ("HOST", "PORT") if key in credentials))
    wanted = {key: credentials.get(key) or "" for key in keys}
    saved = {key: connection.settings_dict.get(key) or "" for key in wanted}
    if saved == wanted:
        yield
        return
    _reconnect(connection, wanted)
    try:
        yield
    finally:
        _reconnect(connection, saved)


def role_switch(role: str, using: str = "default") -> None:
    """From now on, the connection `using` (and every thread's) connects as `role`."""
    _reconnect(connections[using], settings.DATABASE_ROLES[role])


def _reconnect(connection, credentials: dict) -> None:
    # The settings dict is shared by every thread's connection of this alias (the live test server's too).
    connection.close()
    if connection.settings_dict.get("OPTIONS", {}).get("pool"):
        connection.close_pool()  # the pool holds connections of the previous role
    connection.settings_dict.update(credentials)


def privileges_grant(using: str = "default") -> None:
    """As the owner: the app role may read and write every table and use every sequence, but only read and
    insert into the audit tables; the append-only triggers are on every audit table. Idempotent."""
    app_role = settings.DATABASE_ROLES["app"]["USER"]
    tables = audit_tables()
    with connections[using].cursor() as cursor:
        cursor.execute(APPEND_ONLY_FUNCTION)
        for table in tables:
            for statement in APPEND_ONLY_TRIGGERS:
                cursor.execute(sql.SQL(statement).format(table=sql.Identifier(table)))
        if app_role == settings.DATABASE_ROLES["owner"]["USER"]:
            return  # one role for everything (a legacy set-up): nothing to split
        role = sql.Identifier(app_role)
        cursor.execute(
            sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(role)
        )
        cursor.execute(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(role))
        cursor.execute(
            sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {} FROM {}").format(
                sql.SQL(", ").join(sql.Identifier(table) for table in tables), role
            )
        )


def database_post_migrate(sender, using: str = "default", plan=None, **kwargs) -> None:
    """After `migrate` (not after `flush`, which sends the same signal with no plan)."""
    if plan is not None:
        privileges_grant(using)


class CursorOutsideTransaction(RuntimeError):
    """A server-side cursor (QuerySet.iterator()) read outside a transaction behind PgBouncer."""


def cursor_outside_transaction_refuse(execute, sql, params, many, context):
    """Behind PgBouncer in transaction mode (DATABASE_PGBOUNCER), an execute wrapper: a server-side cursor
    outside a transaction is refused at once. Django would declare it WITH HOLD, which stays on whichever
    server connection made it, so the next fetch fails now and then, or reads another client's cursor; read
    it inside transaction.atomic() instead (providers.selectors.earnings_csv)."""
    import psycopg

    connection = context["connection"]
    if isinstance(context["cursor"].cursor, psycopg.ServerCursor) and connection.get_autocommit():
        raise CursorOutsideTransaction(
            "A server-side cursor outside a transaction cannot work through PgBouncer in transaction mode: "
            "iterate inside transaction.atomic()."
        )
    return execute(sql, params, many, context)


def database_connection_created(sender, connection, **kwargs) -> None:
    """Each new connection, behind PgBouncer: refuses server-side cursors outside a transaction.

    The guard goes to the bottom of the connection's wrappers, never the top: a connection is often made
    inside an `execute_wrapper` block (pghistory's context enters before the request's first query), and that
    block's exit removes the last wrapper of the list, whichever it is. On top, the guard would be removed in
    its place and pghistory's wrapper left behind, outliving its context."""
    if (
        getattr(settings, "DATABASE_PGBOUNCER", False)
        and cursor_outside_transaction_refuse not in connection.execute_wrappers
    ):
        connection.execute_wrappers.insert(0, cursor_outside_transaction_refuse)

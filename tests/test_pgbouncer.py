"""The suite's own traffic goes through PgBouncer in transaction mode (tests/pgbouncer.py): the app role's
connections, in transaction mode; the owner's and the superuser's go to PostgreSQL itself."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from medspa.database import CursorOutsideTransaction, cursor_outside_transaction_refuse
from tests.pgbouncer import enabled as pgbouncer_enabled


@pytest.fixture
def bouncer(pgbouncer):
    if pgbouncer is None:
        pytest.skip("TEST_PGBOUNCER=0: the suite connects straight to PostgreSQL")
    return pgbouncer


def _backend(cursor) -> int:
    cursor.execute("SELECT pg_backend_pid()")
    return cursor.fetchone()[0]


def test_the_app_role_reaches_postgresql_through_pgbouncer_in_transaction_mode(bouncer, db):
    config = {row["key"]: row["value"] for row in bouncer.show("CONFIG")}
    assert config["pool_mode"] == "transaction"
    assert settings.DATABASE_PGBOUNCER and connection.settings_dict["PORT"] == str(bouncer.port)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database()")
        user, database = cursor.fetchone()
    assert user == settings.DATABASE_ROLES["app"]["USER"]
    clients = [(row["user"], row["database"]) for row in bouncer.show("CLIENTS")]
    assert (user, database) in clients  # the test's own connection is one of PgBouncer's clients
    pools = {(row["user"], row["database"]): row for row in bouncer.show("POOLS")}
    assert pools[(user, database)]["pool_mode"] == "transaction"


def test_two_transactions_of_one_connection_may_run_on_two_server_connections(
    bouncer, transactional_db, connect_as
):
    """In session mode a client keeps its server connection; in transaction mode it is handed back after
    each transaction, and another client may take it meanwhile (PgBouncer hands out the most recently used
    idle server first)."""
    with connection.cursor() as cursor:
        first = _backend(cursor)  # a transaction of its own (autocommit), then the server is free again
        other = connect_as("app")
        held = _backend(other.cursor())  # psycopg opened a transaction: the server is held until it ends
        second = _backend(cursor)
        other.rollback()
    assert held == first  # the server the Django connection used went to the other client
    assert second != first  # and the Django connection's next transaction ran on another one


def test_the_owner_and_the_superuser_connect_to_postgresql_itself(bouncer, transactional_db, connect_as):
    for role in ("owner", "superuser", "app"):
        connect_as(role).execute("SELECT 1")
    users = {row["user"] for row in bouncer.show("CLIENTS") if row["database"] != "pgbouncer"}
    roles = {role: settings.DATABASE_ROLES[role]["USER"] for role in ("owner", "superuser", "app")}
    assert roles["app"] in users and not {roles["owner"], roles["superuser"]} & users


def test_behind_pgbouncer_a_server_side_cursor_outside_a_transaction_is_refused(
    transactional_db, cast, settings
):
    """Django would declare it WITH HOLD, which stays on whichever server connection made it: refused at once
    rather than failing now and then. Inside a transaction it is read as usual."""
    settings.DATABASE_PGBOUNCER = True
    connection.close()  # the next connection is a new one, which gets the check
    try:
        with pytest.raises(CursorOutsideTransaction):
            list(get_user_model().objects.iterator())
        with transaction.atomic():
            assert len(list(get_user_model().objects.iterator(chunk_size=2))) == 6
    finally:
        if not pgbouncer_enabled():
            connection.execute_wrappers.remove(cursor_outside_transaction_refuse)


def test_a_connection_made_inside_the_audit_context_leaves_no_audit_wrapper_behind(
    settings, transactional_db
):
    """pghistory's context enters before the request's first query, so the connection is often made inside it;
    when the context exits, the connection must be left with the guard alone. With the guard on top of the
    wrappers, the context's exit removed the guard and left pghistory's wrapper, and the next request's
    session save failed outside any context ('_thread._local' object has no attribute 'value')."""
    import pghistory

    settings.DATABASE_PGBOUNCER = True
    connection.close()
    connection.execute_wrappers[:] = [
        w for w in connection.execute_wrappers if w is not cursor_outside_transaction_refuse
    ]
    try:
        with pghistory.context(url="/test"):
            connection.ensure_connection()  # the connection is made here: the guard joins the wrappers
        assert connection.execute_wrappers == [cursor_outside_transaction_refuse]
        get_user_model().objects.filter(pk=0).update(full_name="x")  # a write outside any context runs
    finally:
        if not pgbouncer_enabled():
            connection.execute_wrappers.remove(cursor_outside_transaction_refuse)

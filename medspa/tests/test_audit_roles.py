"""The database roles: the tests run as the app role, which owns nothing and may only read and insert into
the audit tables; the owner's own append-only triggers refuse UPDATE, DELETE and TRUNCATE and cannot be
switched off with pgtrigger.ignore."""

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from medspa.database import audit_tables
from medspa.models import PatientAccessLog
from medspa.tenancy import medspa_scope
from tests import factories

ACCESS_LOG = PatientAccessLog._meta.db_table


def _refused(conn, statement: str, match: str) -> None:
    with pytest.raises(psycopg.Error, match=match), conn.transaction():
        conn.execute(statement)


def test_the_product_connects_as_the_app_role_which_is_no_superuser_and_owns_nothing(db):
    app, owner = settings.DATABASE_ROLES["app"]["USER"], settings.DATABASE_ROLES["owner"]["USER"]
    assert app != owner
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user"
        )
        assert cursor.fetchone() == (app, False, False)
        cursor.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
        assert [row[0] for row in cursor.fetchall()] == [owner]  # migrations ran as the owner


@pytest.fixture
def access_row(transactional_db, cast):
    patient = factories.PatientFactory(medspa=cast.medspa_a)
    return PatientAccessLog.objects.create(
        medspa=cast.medspa_a, patient=patient, actor=cast.admin_a, viewed="x"
    )


def test_the_app_role_can_neither_truncate_change_delete_nor_switch_off_an_audit_table(
    access_row, connect_as
):
    conn = connect_as("app")
    tables = audit_tables()
    assert ACCESS_LOG in tables and "medspa_masqueradeevent" in tables and "pghistory_context" in tables
    assert "medspa_patientevent" in tables and "gfe_gferequestevent" in tables
    for table in tables:
        conn.execute(f"SELECT count(*) FROM {table}")  # reading is allowed
        _refused(conn, f"TRUNCATE {table}", "permission denied")
        column = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s LIMIT 1", [table]
        ).fetchone()[0]
        _refused(conn, f"UPDATE {table} SET {column} = {column}", "permission denied")
        _refused(conn, f"DELETE FROM {table}", "permission denied")
        _refused(conn, f"ALTER TABLE {table} DISABLE TRIGGER USER", "must be owner")
        _refused(conn, f"ALTER TABLE {table} DISABLE TRIGGER audit_append_only", "must be owner")
    _refused(conn, f"UPDATE {ACCESS_LOG} SET viewed = 'changed'", "permission denied")
    _refused(conn, "SET session_replication_role = replica", "permission denied")
    conn.rollback()
    with medspa_scope(access_row.medspa_id):
        assert PatientAccessLog.objects.get().viewed == "x"


def test_the_app_role_inserts_and_reads_audit_rows_and_writes_ordinary_tables(access_row, connect_as, cast):
    conn = connect_as("app")
    conn.execute(
        f"INSERT INTO {ACCESS_LOG} (medspa_id, patient_id, actor_id, viewed, request_id, created_at) "
        "VALUES (%s, %s, %s, 'profile', '', now())",
        [cast.medspa_a.pk, access_row.patient_id, cast.provider_a1.pk],
    )
    conn.execute("UPDATE medspa_patient SET allergies = 'Latex' WHERE id = %s", [access_row.patient_id])
    conn.commit()
    with medspa_scope(cast.medspa_a):
        assert PatientAccessLog.objects.count() == 2
        assert access_row.patient.__class__.objects.get(pk=access_row.patient_id).allergies == "Latex"
    # The patient's change was recorded by pghistory's trigger, into an event table the role only inserts to.
    event = connect_as("app").execute(
        "SELECT allergies FROM medspa_patientevent WHERE pgh_obj_id = %s ORDER BY pgh_id DESC LIMIT 1",
        [access_row.patient_id],
    )
    assert event.fetchone() == ("Latex",)


def test_truncate_of_an_audit_table_is_refused_even_to_the_owner(access_row, connect_as):
    conn = connect_as("owner")
    for table in audit_tables():
        _refused(conn, f"TRUNCATE {table}", "Cannot truncate rows of")
    with medspa_scope(access_row.medspa_id):
        assert PatientAccessLog.objects.count() == 1


@pytest.mark.parametrize("role", ["app", "owner"])
def test_pgtrigger_ignore_does_not_switch_the_append_only_rule_off(access_row, connect_as, role):
    conn = connect_as(role)
    names = [
        row[0]
        for row in conn.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [ACCESS_LOG]
        ).fetchall()
    ]
    assert any(name.startswith("pgtrigger_append_only") for name in names) and "audit_append_only" in names
    refusal = "permission denied" if role == "app" else "Cannot update rows of"
    with pytest.raises(psycopg.Error, match=refusal), conn.transaction():
        conn.execute("SELECT set_config('pgtrigger.ignore', %s, true)", ["{" + ",".join(names) + "}"])
        conn.execute(f"UPDATE {ACCESS_LOG} SET viewed = 'changed'")
    with pytest.raises(psycopg.Error, match=refusal.replace("update", "delete")), conn.transaction():
        conn.execute("SELECT set_config('pgtrigger.ignore', %s, true)", ["{" + ",".join(names) + "}"])
        conn.execute(f"DELETE FROM {ACCESS_LOG}")
    with medspa_scope(access_row.medspa_id):
        assert PatientAccessLog.objects.get().viewed == "x"


def test_every_audit_table_carries_the_refusals_that_nothing_switches_off(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, array_agg(t.tgname ORDER BY t.tgname) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname LIKE 'audit\\_%%' GROUP BY c.relname"
        )
        triggers = dict(cursor.fetchall())
    for table in audit_tables():
        assert {"audit_append_only", "audit_no_truncate"} <= set(triggers.get(table, [])), table


def test_the_cache_table_is_made_by_the_owner_and_usable_by_the_app_role(transactional_db, settings):
    from django.core.cache import caches
    from django.core.management import call_command

    settings.CACHES = {
        "db": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "role_cache"}
    }
    call_command("createcachetable", "--database", "default")
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'role_cache'")
        assert cursor.fetchone() == (settings.DATABASE_ROLES["owner"]["USER"],)
    cache = caches.create_connection("db")
    cache.set("greeting", "hello")
    assert cache.get("greeting") == "hello"

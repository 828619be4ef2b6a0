import pghistory.models
import psycopg
import pytest
from django.apps import apps
from django.db import connection, transaction
from django.db.utils import IntegrityError
from django.utils import timezone

from medspa.models import Patient, PatientAccessLog
from medspa.tenancy import medspa_scope
from tests import factories


def patient_events(patient):
    return list(
        apps.get_model("medspa", "PatientEvent").objects.filter(pgh_obj_id=patient.pk).order_by("pgh_id")
    )


def test_an_api_write_is_recorded_with_who_medspa_ip_request_and_the_values(client_as, cast):
    patient = factories.PatientFactory(medspa=cast.medspa_a, allergies="")
    response = client_as("admin_a").patch(
        f"/api/v1/patients/{patient.pk}/",
        {"allergies": "Latex"},
        content_type="application/json",
        HTTP_X_REQUEST_ID="req-12345678",
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 200
    event = patient_events(patient)[-1]
    assert event.pgh_label == "update"
    assert event.allergies == "Latex"
    assert event.pgh_context["user"] == cast.admin_a.pk
    assert event.pgh_context["medspa"] == cast.medspa_a.pk
    assert event.pgh_context["ip"] == "203.0.113.9"
    assert event.pgh_context["request_id"] == "req-12345678"
    assert event.pgh_context["url"] == f"/api/v1/patients/{patient.pk}/"


def test_behind_a_proxy_the_audit_row_keeps_the_real_client_not_a_forged_entry(client_as, cast, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    patient = factories.PatientFactory(medspa=cast.medspa_a, allergies="")
    response = client_as("admin_a").patch(
        f"/api/v1/patients/{patient.pk}/",
        {"allergies": "Latex"},
        content_type="application/json",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.66, 203.0.113.9",
    )
    assert response.status_code == 200
    assert patient_events(patient)[-1].pgh_context["ip"] == "203.0.113.9"


def test_a_token_authenticated_write_names_the_token_user(cast):
    from medspa.tests.test_api import token_client

    patient = factories.PatientFactory(medspa=cast.medspa_a)
    client = token_client(cast.admin_a)
    assert (
        client.patch(
            f"/api/v1/patients/{patient.pk}/", {"phone": "(619) 555-0100"}, format="json"
        ).status_code
        == 200
    )
    assert patient_events(patient)[-1].pgh_context["user"] == cast.admin_a.pk


def test_a_token_authenticated_write_is_recorded_with_the_medspa_and_the_user(cast):
    from medspa.tests.test_api import token_client

    patient = factories.PatientFactory(medspa=cast.medspa_a, allergies="")
    response = token_client(cast.admin_a).patch(
        f"/api/v1/patients/{patient.pk}/", {"allergies": "Latex"}, format="json"
    )
    assert response.status_code == 200
    context = patient_events(patient)[-1].pgh_context
    assert (context["medspa"], context["user"]) == (cast.medspa_a.pk, cast.admin_a.pk)


def test_a_bulk_update_is_caught_at_database_level(cast):
    patients = factories.PatientFactory.create_batch(3, medspa=cast.medspa_a)
    with medspa_scope(cast.medspa_a):
        Patient.objects.filter(medspa=cast.medspa_a).update(medications="Tretinoin")
    for patient in patients:
        assert patient_events(patient)[-1].medications == "Tretinoin"


def test_every_read_of_a_patient_record_is_in_the_access_log(client_as, cast):
    patient = factories.PatientFactory(medspa=cast.medspa_a)
    with medspa_scope(cast.medspa_a):
        patient.assigned_providers.add(cast.provider_a1.memberships.get())  # provider_a1's patient
    client_as("provider_a1").get(f"/api/v1/patients/{patient.pk}/", REMOTE_ADDR="198.51.100.7")
    client_as("staff").get(f"/admin/medspa/patient/{patient.pk}/change/")
    with medspa_scope(cast.medspa_a):
        log = list(PatientAccessLog.objects.filter(patient=patient).order_by("created_at"))
    assert [(entry.actor, entry.ip) for entry in log] == [
        (cast.provider_a1, "198.51.100.7"),
        (cast.staff, "127.0.0.1"),
    ]
    assert log[0].medspa == cast.medspa_a and log[0].viewed


def test_the_database_refuses_an_access_log_row_that_names_no_one(cast):
    patient = factories.PatientFactory(medspa=cast.medspa_a)
    with pytest.raises(IntegrityError, match="patient_access_names_who_looked"), transaction.atomic():
        PatientAccessLog.objects.create(medspa=cast.medspa_a, patient=patient, viewed="Nobody")
    named = PatientAccessLog.objects.create(
        medspa=cast.medspa_a, patient=patient, viewed="GFE link", actor_label="Outside clearer x@y.example"
    )
    assert named.actor is None and "Outside clearer" in str(named)


def test_a_refused_read_is_not_logged_as_a_read(client_as, cast):
    theirs = factories.PatientFactory(medspa=cast.medspa_b)
    assert client_as("admin_a").get(f"/api/v1/patients/{theirs.pk}/").status_code == 404
    with medspa_scope(cast.medspa_b):  # a read is logged in the patient's medspa
        assert not PatientAccessLog.objects.filter(patient=theirs).exists()


def _audit_tables() -> list[str]:
    tables = [m._meta.db_table for m in apps.get_models() if issubclass(m, pghistory.models.Event)]
    return [*tables, PatientAccessLog._meta.db_table]


@pytest.mark.parametrize("statement", ["UPDATE {table} SET pgh_label = 'x'", "DELETE FROM {table}"])
def test_the_database_refuses_to_change_or_delete_write_audit_rows(
    transactional_db, cast, connect_as, statement
):
    factories.PatientFactory(medspa=cast.medspa_a)  # at least one event row in the patient table
    # The owner's own triggers refuse; the app role has not even the privilege.
    for role, refusal in (("owner", "Cannot"), ("app", "permission denied")):
        with connect_as(role) as conn:
            for table in _audit_tables()[:-1]:
                if not conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]:
                    continue
                with pytest.raises(psycopg.Error, match=refusal), conn.transaction():
                    conn.execute(statement.format(table=table))


@pytest.mark.parametrize("statement", ["UPDATE {table} SET viewed = 'x'", "DELETE FROM {table}"])
def test_the_database_refuses_to_change_or_delete_access_log_rows(
    transactional_db, client_as, cast, connect_as, statement
):
    patient = factories.PatientFactory(medspa=cast.medspa_a)
    client_as("admin_a").get(f"/api/v1/patients/{patient.pk}/")
    with medspa_scope(cast.medspa_a):
        assert PatientAccessLog.objects.count() == 1
    for role, refusal in (("owner", "Cannot"), ("app", "permission denied")):
        with (
            connect_as(role) as conn,
            pytest.raises(psycopg.Error, match=refusal),
            conn.transaction(),
        ):
            conn.execute(statement.format(table=PatientAccessLog._meta.db_table))
    with medspa_scope(cast.medspa_a):
        assert PatientAccessLog.objects.get().viewed != "x"


def test_every_audit_table_carries_the_append_only_trigger(db):
    with connection.cursor() as cursor:
        for table in _audit_tables():
            cursor.execute(
                "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.relname = %s AND t.tgname LIKE 'pgtrigger_append_only%%'",
                [table],
            )
            assert cursor.fetchone()[0] >= 1, table


def test_staff_search_the_audit_by_patient_user_and_dates(client_as, cast):
    patient = factories.PatientFactory(medspa=cast.medspa_a, last_name="Searchable")
    with medspa_scope(cast.medspa_a):
        patient.assigned_providers.add(cast.provider_a1.memberships.get())  # provider_a1 reads their own
    other = factories.PatientFactory(medspa=cast.medspa_b, last_name="Elsewhere")
    client_as("admin_a").patch(
        f"/api/v1/patients/{patient.pk}/", {"phone": "+16195550101"}, content_type="application/json"
    )
    client_as("admin_b").patch(
        f"/api/v1/patients/{other.pk}/", {"phone": "+16195550102"}, content_type="application/json"
    )
    client_as("provider_a1").get(f"/api/v1/patients/{patient.pk}/")
    staff = client_as("staff")
    by_patient = staff.get(f"/admin/medspa/patientevent/?patient={patient.pk}")
    assert by_patient.status_code == 200
    assert {event.pgh_obj_id for event in by_patient.context["cl"].result_list} == {patient.pk}
    by_user = staff.get(f"/admin/medspa/patientevent/?actor={cast.admin_a.email}&pgh_label=update")
    assert by_user.context["cl"].result_count == 1
    today = timezone.now().date()
    in_range = staff.get(
        f"/admin/medspa/patientevent/?pgh_created_at__gte={today}&pgh_created_at__lt="
        f"{today + timezone.timedelta(days=1)}"
    )
    assert in_range.context["cl"].result_count >= 4
    out_of_range = staff.get(
        "/admin/medspa/patientevent/?pgh_created_at__gte=2001-01-01&pgh_created_at__lt=2001-01-02"
    )
    assert out_of_range.context["cl"].result_count == 0
    reads = staff.get(f"/admin/medspa/patientaccesslog/?patient={patient.pk}&actor={cast.provider_a1.email}")
    assert reads.context["cl"].result_count == 1


def test_assigning_a_provider_to_a_patient_is_audited(client_as, cast):
    patient = factories.PatientFactory(medspa=cast.medspa_a)
    with medspa_scope(cast.medspa_a):
        membership = cast.provider_a1.memberships.get()
        patient.assigned_providers.add(membership)
        patient.assigned_providers.remove(membership)
    events = apps.get_model("medspa", "PatientProviderEvent").objects.filter(patient_id=patient.pk)
    assert [(e.pgh_label, e.membership_id) for e in events.order_by("pgh_id")] == [
        ("provider.assign", membership.pk),
        ("provider.unassign", membership.pk),
    ]

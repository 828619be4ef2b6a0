from datetime import UTC, datetime, time, timedelta

import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from medspa.services.accounts import api_token_create
from medspa.tenancy import medspa_scope
from tests import factories


def token_client(user, token: str | None = None) -> APIClient:
    """An API client presenting `token`, or a new token of `user`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token or api_token_create(user=user)[1]}")
    return client


def test_lists_are_paginated(client_as, cast):
    factories.PatientFactory.create_batch(55, medspa=cast.medspa_a)
    first = client_as("admin_a").get("/api/v1/patients/").json()
    assert first["count"] == 55 and len(first["results"]) == 50 and first["next"]
    second = client_as("admin_a").get("/api/v1/patients/?page=2").json()
    assert len(second["results"]) == 5 and second["next"] is None


def test_the_patient_list_takes_a_constant_number_of_queries(client_as, cast, django_assert_num_queries):
    factories.PatientFactory.create_batch(30, medspa=cast.medspa_a)
    client = client_as("admin_a")
    client.get("/api/v1/patients/")  # warm the session
    # session, user, memberships, MFA enrolment, audit context (pghistory set_config), count, page, the
    # access log (one INSERT for every patient on the page), audit context again, then the session save
    # that renews the idle timeout (savepoint, update, release)
    with django_assert_num_queries(12):
        assert client.get("/api/v1/patients/").status_code == 200


def test_token_authentication_works_and_is_scoped(cast):
    factories.PatientFactory(medspa=cast.medspa_a)
    theirs = factories.PatientFactory(medspa=cast.medspa_b)
    with medspa_scope(cast.medspa_b):
        theirs.assigned_providers.add(cast.provider_b.memberships.get())  # provider_b's own patient
    client = token_client(cast.provider_b)
    response = client.get("/api/v1/patients/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [theirs.pk]
    assert client.get("/api/v1/me/").json()["membership"]["medspa"]["slug"] == cast.medspa_b.slug


def test_a_token_of_a_user_without_mfa_opens_nothing(db):
    membership = factories.MembershipFactory(user=factories.UserFactory(mfa=False))
    assert token_client(membership.user).get("/api/v1/patients/").status_code == 403


def test_a_create_lands_in_the_callers_medspa_whatever_it_claims(client_as, cast):
    response = client_as("admin_a").post(
        "/api/v1/patients/",
        {
            "first_name": "Ana",
            "last_name": "Lopez",
            "date_of_birth": "1990-04-02",
            "medspa": cast.medspa_b.pk,
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    from medspa.models import Patient

    with medspa_scope(cast.medspa_a):
        assert Patient.objects.get(pk=response.json()["id"]).medspa == cast.medspa_a


def test_bad_input_gives_field_errors_and_stores_nothing(client_as, cast):
    from medspa.models import Patient

    response = client_as("admin_a").post(
        "/api/v1/patients/",
        {"first_name": "", "date_of_birth": "yesterday", "email": "nope"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"first_name", "last_name", "date_of_birth", "email"}
    with medspa_scope(cast.medspa_a):
        assert Patient.objects.count() == 0


def test_a_date_of_birth_after_the_medspas_today_is_refused_with_a_token(cast):
    # At 02:30 UTC it is still yesterday in New York: the server's today is the medspa's tomorrow.
    utc_ahead = datetime.combine(timezone.now().date(), time(2, 30), tzinfo=UTC)
    with time_machine.travel(utc_ahead, tick=False):
        tomorrow_there = factories.medspa_today(cast.medspa_a) + timedelta(days=1)
        assert tomorrow_there == timezone.now().date()
        response = token_client(cast.admin_a).post(
            "/api/v1/patients/",
            {"first_name": "Ana", "last_name": "Lopez", "date_of_birth": tomorrow_there.isoformat()},
            format="json",
        )
    assert response.status_code == 400
    assert response.json()["date_of_birth"] == ["The date of birth cannot be in the future."]


def test_patients_cannot_be_deleted_through_the_api(client_as, cast):
    patient = factories.PatientFactory(medspa=cast.medspa_a)
    assert client_as("admin_a").delete(f"/api/v1/patients/{patient.pk}/").status_code == 405


def test_the_schema_and_its_docs_page_are_served(client_as):
    client = client_as("admin_a")
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/patients/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"<script" in docs.content and b"swagger-ui" in docs.content
    assert b"<script>" not in docs.content  # no inline script: the CSP would refuse it
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


# --- The pages' object rules: an admin opens every patient of the medspa, a provider only their own. -------


def own_and_other_patient(cast):
    """A patient of provider_a1 (assigned) and one of provider_a2, both in medspa A."""
    mine = factories.PatientFactory(medspa=cast.medspa_a, last_name="Mine")
    other = factories.PatientFactory(medspa=cast.medspa_a, last_name="Other")
    with medspa_scope(cast.medspa_a):
        mine.assigned_providers.add(cast.provider_a1.memberships.get())
        other.assigned_providers.add(cast.provider_a2.memberships.get())
    return mine, other


def test_a_provider_lists_and_reads_only_their_own_patients_as_on_their_pages(client_as, cast):
    mine, other = own_and_other_patient(cast)
    client = client_as("provider_a1")
    assert [row["id"] for row in client.get("/api/v1/patients/").json()["results"]] == [mine.pk]
    assert client.get(f"/api/v1/patients/{mine.pk}/").status_code == 200
    assert client.get(f"/api/v1/patients/{other.pk}/").status_code == 404
    assert client_as("provider_a1").get(f"/provider/patients/{other.pk}/").status_code == 404  # the page


def test_an_admin_lists_every_patient_of_their_medspa_and_none_of_another(client_as, cast):
    mine, other = own_and_other_patient(cast)
    factories.PatientFactory(medspa=cast.medspa_b)
    listed = client_as("admin_a").get("/api/v1/patients/").json()["results"]
    assert sorted(row["id"] for row in listed) == sorted([mine.pk, other.pk])
    assert client_as("admin_b").get(f"/api/v1/patients/{mine.pk}/").status_code == 404


def test_a_provider_can_neither_create_nor_edit_a_patient_through_the_api(client_as, cast):
    from medspa.models import Patient

    mine, _ = own_and_other_patient(cast)
    client = client_as("provider_a1")
    new = {"first_name": "Ana", "last_name": "Lopez", "date_of_birth": "1990-04-02"}
    assert client.post("/api/v1/patients/", new, content_type="application/json").status_code == 403
    response = client.patch(f"/api/v1/patients/{mine.pk}/", {"allergies": "Latex"}, "application/json")
    assert response.status_code == 403
    with medspa_scope(cast.medspa_a):
        assert Patient.objects.count() == 2 and Patient.objects.get(pk=mine.pk).allergies != "Latex"


def gfe_world(cast):
    """A clearance and a GFE request for provider_a1's patient and for provider_a2's."""
    from gfe.services import decisions as gfe_decisions
    from gfe.services import requests as gfe_requests
    from services_catalog.services import catalog

    with medspa_scope(cast.medspa_a):
        toxin, filler = (
            catalog.service_set_active(
                service=catalog.service_import(
                    medspa=cast.medspa_a, library_service=factories.library_service(n)
                ),
                active=True,
            )
            for n in ("Toxin", "Filler")
        )
        mine, other = own_and_other_patient(cast)
        admin = cast.admin_a.memberships.get()  # also a provider, who clears both
        for patient in (mine, other):
            patient.assigned_providers.add(admin)
        exams = {
            patient: gfe_decisions.gfe_self_clear(
                membership=admin,
                patient=patient,
                decisions={toxin.pk: gfe_decisions.Decision("cleared")},
                exam=factories.GFE_EXAM,
                notify=False,
            )  # fmt: skip
            for patient in (mine, other)
        }
        requests = {
            patient: gfe_requests.gfe_request_create(
                patient=patient, services=[filler], requested_by=cast.admin_a
            )
            for patient in (mine, other)
        }
    return mine, other, toxin, exams, requests


def test_a_provider_sees_only_the_clearances_and_gfe_requests_of_their_own_patients(client_as, cast):
    mine, other, _, exams, requests = gfe_world(cast)
    client = client_as("provider_a1")
    clearances = client.get("/api/v1/gfe/clearances/").json()["results"]
    assert {row["patient"] for row in clearances} == {mine.pk}
    assert client.get(f"/api/v1/gfe/clearances/?patient={other.pk}").json()["results"] == []
    with medspa_scope(cast.medspa_a):
        theirs = exams[other].clearances.get()
    assert client.get(f"/api/v1/gfe/clearances/{theirs.pk}/").status_code == 404
    listed = client.get("/api/v1/gfe/requests/").json()["results"]  # the self-clearances' and the requests
    assert {row["patient"] for row in listed} == {mine.pk} and requests[mine].pk in {
        row["id"] for row in listed
    }
    assert client.get(f"/api/v1/gfe/requests/{requests[other].pk}/").status_code == 404
    admin_sees = client_as("admin_a").get("/api/v1/gfe/clearances/").json()["results"]
    assert {row["patient"] for row in admin_sees} == {mine.pk, other.pk}


def test_a_provider_can_neither_request_a_gfe_nor_ask_the_gate_for_a_patient_not_theirs(client_as, cast):
    from gfe.models import GfeRequest

    mine, other, toxin, _, _ = gfe_world(cast)
    client = client_as("provider_a1")
    body = {"patient": other.pk, "services": [toxin.pk]}
    response = client.post("/api/v1/gfe/gate/", body, content_type="application/json")
    assert response.status_code == 400 and "patient" in response.json()
    with medspa_scope(cast.medspa_a):
        before = GfeRequest.objects.count()
    response = client.post("/api/v1/gfe/requests/", body, content_type="application/json")
    assert response.status_code == 400 and "patient" in response.json()
    with medspa_scope(cast.medspa_a):
        assert GfeRequest.objects.count() == before
    mine_body = {"patient": mine.pk, "services": [toxin.pk]}
    assert client.post("/api/v1/gfe/gate/", mine_body, content_type="application/json").status_code == 200

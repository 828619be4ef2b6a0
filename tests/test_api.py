from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests import factories


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
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
    assert Patient.objects.count() == 0


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

from datetime import date, timedelta

import pytest
from django.test import Client

from medspa.models import Patient, PatientAccessLog
from medspa.tenancy import medspa_scope
from tests import factories


def test_the_list_searches_filters_and_paginates(client_as, cast):
    factories.PatientFactory(
        medspa=cast.medspa_a, first_name="Olivia", last_name="Nguyen", email="o@mail.example"
    )
    factories.PatientFactory(medspa=cast.medspa_a, first_name="Emma", last_name="Garcia", status="to_clear")
    factories.PatientFactory(medspa=cast.medspa_a, first_name="Ava", last_name="Archived", status="archived")
    factories.PatientFactory(medspa=cast.medspa_b, first_name="Olivia", last_name="Elsewhere")
    # Names no search below can match (Faker's first names include Olivia: the search found "Olivia Zed").
    for number in range(30):
        factories.PatientFactory(medspa=cast.medspa_a, first_name=f"Filler{number}", last_name="Zed")
    client = client_as("admin_a")
    names = lambda response: [f"{p.first_name} {p.last_name}" for p in response.context["page"].object_list]  # noqa: E731
    assert names(client.get("/dashboard/patients/?q=olivia")) == ["Olivia Nguyen"]
    assert names(client.get("/dashboard/patients/?q=olivia nguyen")) == ["Olivia Nguyen"]
    assert names(client.get("/dashboard/patients/?q=o@mail")) == ["Olivia Nguyen"]
    assert names(client.get("/dashboard/patients/?status=to_clear")) == ["Emma Garcia"]
    assert names(client.get("/dashboard/patients/?status=archived")) == ["Ava Archived"]
    first = client.get("/dashboard/patients/")
    assert first.context["page"].paginator.count == 32  # archived ones are not in the default list
    assert len(first.context["page"].object_list) == 25
    assert len(client.get("/dashboard/patients/?page=2").context["page"].object_list) == 7
    assert "No patient matches" in client.get("/dashboard/patients/?q=nobody-like-this").content.decode()


def test_an_htmx_search_returns_only_the_results(client_as, cast):
    factories.PatientFactory(medspa=cast.medspa_a, first_name="Olivia")
    response = client_as("admin_a").get("/dashboard/patients/?q=oli", HTTP_HX_REQUEST="true")
    assert b"<html" not in response.content and b"Olivia" in response.content


def test_the_list_takes_the_same_number_of_queries_for_ten_or_many_patients(
    client_as, cast, django_assert_num_queries
):
    client = client_as("admin_a")
    factories.PatientFactory.create_batch(10, medspa=cast.medspa_a)
    client.get("/dashboard/patients/")
    # session, user, memberships, MFA enrolment, audit context (pghistory set_config), count, page, the
    # access log (one INSERT for every patient on the page), audit context again, then the session save
    # that renews the idle timeout (savepoint, update, release)
    with django_assert_num_queries(12):
        client.get("/dashboard/patients/")
    factories.PatientFactory.create_batch(40, medspa=cast.medspa_a)
    with django_assert_num_queries(12):
        client.get("/dashboard/patients/?q=a")


def test_an_admin_creates_edits_archives_and_restores_a_patient(client_as, cast):
    client = client_as("admin_a")
    data = {
        "first_name": "Ana",
        "last_name": "Lopez",
        "date_of_birth": "1990-04-02",
        "email": "ana@mail.example",
        "phone": "(619) 555-0101",
        "state": "ca",
        "consent_sms": "on",
    }
    with medspa_scope(cast.medspa_a):
        data["assigned_providers"] = [cast.provider_a1.memberships.get().pk]
    response = client.post("/dashboard/patients/new/", data)
    with medspa_scope(cast.medspa_a):
        patient = Patient.objects.get(last_name="Lopez")
        assert response["Location"] == f"/dashboard/patients/{patient.pk}/"
        assert patient.medspa == cast.medspa_a and patient.state == "CA" and patient.consent_sms
        assert list(patient.assigned_providers.values_list("user", flat=True)) == [cast.provider_a1.pk]
    client.post(f"/dashboard/patients/{patient.pk}/edit/", {**data, "allergies": "Latex"})
    with medspa_scope(cast.medspa_a):
        patient.refresh_from_db()
    assert patient.allergies == "Latex"
    client.post(f"/dashboard/patients/{patient.pk}/archive/")
    with medspa_scope(cast.medspa_a):
        patient.refresh_from_db()
    assert patient.status == "archived"
    client.post(f"/dashboard/patients/{patient.pk}/archive/", {"archive": "0"})
    with medspa_scope(cast.medspa_a):
        patient.refresh_from_db()
        assert patient.status == "active"
        assert Patient.objects.filter(pk=patient.pk).exists()  # never deleted


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", (date.today() + timedelta(days=2)).isoformat(), "cannot be in the future"),
        ("date_of_birth", "1850-01-01", "more than 120 years"),
        ("date_of_birth", "not a date", "Enter a valid date"),
        ("email", "nope", "Enter a valid email"),
        ("phone", "12", "area code"),
        ("state", "California", "at most 2 characters"),
        ("state", "C1", "two-letter"),
        ("first_name", "", "This field is required"),
        ("first_name", "x" * 101, "at most 100 characters"),
    ],
)
def test_bad_input_gives_field_errors_and_stores_nothing(client_as, cast, field, value, message):
    data = {"first_name": "Ana", "last_name": "Lopez", "date_of_birth": "1990-04-02", field: value}
    response = client_as("admin_a").post("/dashboard/patients/new/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Patient.objects.exists()


def test_script_tags_are_stored_as_text_and_shown_escaped(client_as, cast):
    client = client_as("admin_a")
    client.post(
        "/dashboard/patients/new/",
        {"first_name": "<script>alert(1)</script>", "last_name": "X", "date_of_birth": "1990-04-02"},
    )
    with medspa_scope(cast.medspa_a):
        patient = Patient.objects.get()
    page = client.get(f"/dashboard/patients/{patient.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_every_view_of_a_patient_profile_writes_the_access_log(client_as, cast):
    patient = factories.PatientFactory(medspa=cast.medspa_a)
    client = client_as("admin_a")
    client.get(f"/dashboard/patients/{patient.pk}/")
    client.get(f"/dashboard/patients/{patient.pk}/")
    with medspa_scope(cast.medspa_a):
        entries = PatientAccessLog.objects.filter(patient=patient)
        assert entries.count() == 2 and {entry.actor for entry in entries} == {cast.admin_a}


def test_a_provider_sees_only_their_own_patients(client_as, cast):
    mine = factories.PatientFactory(medspa=cast.medspa_a, last_name="Mine")
    colleagues = factories.PatientFactory(medspa=cast.medspa_a, last_name="Colleagues")
    with medspa_scope(cast.medspa_a):
        mine.assigned_providers.add(cast.provider_a1.memberships.get())
        colleagues.assigned_providers.add(cast.provider_a2.memberships.get())
    client = client_as("provider_a1")
    listed = client.get("/provider/patients/").context["page"].object_list
    assert [p.last_name for p in listed] == ["Mine"]
    assert client.get(f"/provider/patients/{mine.pk}/").status_code == 200
    assert client.get(f"/provider/patients/{colleagues.pk}/").status_code == 404
    # The list shows the patient (a read), then the profile; the colleague's patient was never shown.
    with medspa_scope(cast.medspa_a):
        reads = PatientAccessLog.objects.filter(patient=mine, actor=cast.provider_a1).order_by("pk")
        assert [entry.viewed for entry in reads] == [
            "Provider dashboard: patients",
            "Provider dashboard: patient profile",
        ]
        assert not PatientAccessLog.objects.filter(patient=colleagues).exists()


def test_a_provider_of_medspa_a_gets_404_on_every_patient_url_of_medspa_b(cast):
    theirs = factories.PatientFactory(medspa=cast.medspa_b)
    with medspa_scope(cast.medspa_b):
        theirs.assigned_providers.add(cast.provider_b.memberships.get())
    admin = Client()
    admin.force_login(cast.admin_a)  # admin and provider of A: reaches both dashboards
    urls = [
        f"/provider/patients/{theirs.pk}/",
        f"/dashboard/patients/{theirs.pk}/",
        f"/dashboard/patients/{theirs.pk}/edit/",
        f"/api/v1/patients/{theirs.pk}/",
    ]
    for url in urls:
        assert admin.get(url).status_code == 404, url
    assert admin.post(f"/dashboard/patients/{theirs.pk}/archive/").status_code == 404
    assert admin.post(f"/dashboard/patients/{theirs.pk}/edit/", {"first_name": "X"}).status_code == 404
    provider = Client()
    provider.force_login(cast.provider_a1)
    assert provider.get(f"/provider/patients/{theirs.pk}/").status_code == 404
    with medspa_scope(cast.medspa_b):
        theirs.refresh_from_db()
        assert theirs.status == "active" and theirs.first_name != "X"
        assert not PatientAccessLog.objects.filter(patient=theirs).exists()

import time

from django.apps import apps
from django.test import Client

from medspa.middleware import SESSION_STARTED_KEY
from medspa.models import MasqueradeEvent, PatientAccessLog
from medspa.tenancy import medspa_scope
from services_catalog.services import catalog
from tests import factories


def start(
    client: Client, user, reason="Charting for Jordan while they are away", next_url="/dashboard/providers/"
):
    return client.post(f"/masquerade/{user.pk}/", {"reason": reason, "return_to": next_url})


def test_an_admin_masquerades_as_a_provider_acts_and_stops_back_where_they_were(client_as, cast):
    patient = factories.PatientFactory(medspa=cast.medspa_a, allergies="")
    with medspa_scope(cast.medspa_a):
        patient.assigned_providers.add(cast.provider_a1.memberships.get())
        toxin = catalog.service_import(
            medspa=cast.medspa_a, library_service=factories.library_service("Toxin")
        )
        catalog.service_set_active(service=toxin, active=True)
    client = client_as("admin_a")
    assert client.get(f"/masquerade/{cast.provider_a1.pk}/").status_code == 200
    response = start(client, cast.provider_a1)
    assert response.status_code == 302
    page = client.get("/provider/patients/")
    assert page.context["user"] == cast.provider_a1
    assert "You are masquerading as" in page.content.decode() and "Stop masquerading" in page.content.decode()
    # Acting as the provider: reading and writing the provider's patient.
    assert client.get(f"/provider/patients/{patient.pk}/").status_code == 200
    assert client.get("/dashboard/").status_code == 403  # the provider's own rights, no more
    # A provider does not edit patients (only admins do); requesting a GFE changes the patient's status.
    response = client.post(
        "/api/v1/gfe/requests/",
        {"patient": patient.pk, "services": [toxin.pk]},
        content_type="application/json",
    )
    assert response.status_code == 201
    response = client.post("/masquerade/stop/")
    assert response["Location"] == "/dashboard/providers/"
    assert client.get("/dashboard/").status_code == 200
    assert "You are masquerading" not in client.get("/dashboard/").content.decode()

    with medspa_scope(cast.medspa_a):
        reads = PatientAccessLog.objects.filter(patient=patient).order_by("pk")
        assert [(read.viewed, read.actor, read.impersonator) for read in reads] == [
            ("Provider dashboard: patients", cast.provider_a1, cast.admin_a),
            ("Provider dashboard: patient profile", cast.provider_a1, cast.admin_a),
        ]
    write = apps.get_model("medspa", "PatientEvent").objects.filter(pgh_obj_id=patient.pk).latest("pgh_id")
    assert write.status == "to_clear"
    assert write.pgh_context["user"] == cast.provider_a1.pk
    assert write.pgh_context["impersonator"] == cast.admin_a.pk
    events = list(MasqueradeEvent.objects.order_by("pk").values_list("action", "actor", "target", "reason"))
    assert events == [
        ("start", cast.admin_a.pk, cast.provider_a1.pk, "Charting for Jordan while they are away"),
        ("stop", cast.admin_a.pk, cast.provider_a1.pk, ""),
    ]


def test_a_reason_is_required(client_as, cast):
    client = client_as("admin_a")
    response = start(client, cast.provider_a1, reason="")
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert client.get("/dashboard/").status_code == 200
    assert not MasqueradeEvent.objects.exists()


def test_masquerade_never_extends_the_admins_session(client_as, cast):
    client = client_as("admin_a")
    client.get("/dashboard/")
    session = client.session
    signed_in_at = time.time() - 3600
    session[SESSION_STARTED_KEY] = signed_in_at
    session.save()
    start(client, cast.provider_a1)
    assert client.session[SESSION_STARTED_KEY] == signed_in_at
    client.post("/masquerade/stop/")
    assert client.session[SESSION_STARTED_KEY] == signed_in_at


def test_an_admin_cannot_masquerade_as_another_medspas_provider_an_admin_or_staff(client_as, cast):
    client = client_as("admin_a")
    # An admin who is not a provider; a co-owner who is admin and provider may be masqueraded as.
    other_admin = factories.MembershipFactory(medspa=cast.medspa_a, is_admin=True, is_provider=False).user
    assert start(client, cast.provider_b).status_code == 404  # another medspa: nothing revealed
    assert start(client, other_admin).status_code == 403
    assert start(client, cast.staff).status_code == 404
    assert start(client, cast.admin_a).status_code == 403
    assert client.get("/dashboard/").status_code == 200
    assert not MasqueradeEvent.objects.exists()


def test_a_provider_cannot_masquerade(client_as, cast):
    assert start(client_as("provider_a1"), cast.provider_a2).status_code in (403, 404)
    assert not MasqueradeEvent.objects.exists()


def test_staff_can_masquerade_as_any_medspa_user_but_not_as_staff(client_as, cast):
    client = client_as("staff")
    other_staff = factories.UserFactory(is_staff=True)
    assert start(client, other_staff).status_code == 403
    assert start(client, cast.admin_b, next_url="/admin/").status_code == 302
    assert client.get("/dashboard/").context["current_medspa"] == cast.medspa_b
    assert client.post("/masquerade/stop/")["Location"] == "/admin/"


def test_masquerading_is_post_only_and_csrf_protected(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.admin_a)
    response = client.post(f"/masquerade/{cast.provider_a1.pk}/", {"reason": "x"})
    assert response.status_code == 403
    assert not MasqueradeEvent.objects.exists()


def test_a_masquerade_cannot_be_nested(client_as, cast):
    client = client_as("staff")
    start(client, cast.admin_a)
    assert start(client, cast.provider_a1).status_code == 403


def test_a_masqueraded_provider_without_mfa_does_not_lock_the_admin_out(client_as, cast):
    nurse = factories.MembershipFactory(medspa=cast.medspa_a, user=factories.UserFactory(mfa=False)).user
    client = client_as("admin_a")
    start(client, nurse)
    assert client.get("/provider/patients/").status_code == 200

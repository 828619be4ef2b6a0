from django.contrib.sessions.models import Session
from django.test import Client

from medspa.models import Membership
from medspa.tenancy import medspa_scope
from tests import factories


def test_business_details_are_saved_and_bad_ones_refused(client_as, cast):
    client = client_as("admin_a")
    data = {
        "dba": "Glow Med Spa",
        "shipping_line1": "2150 Fifth Ave",
        "shipping_city": "San Diego",
        "shipping_state": "ca",
        "shipping_postal_code": "92101",
        "time_zone": "America/Los_Angeles",
    }
    assert client.post("/dashboard/settings/business/", data).status_code == 302
    cast.medspa_a.refresh_from_db()
    assert (cast.medspa_a.dba, cast.medspa_a.shipping_state) == ("Glow Med Spa", "CA")
    response = client.post(
        "/dashboard/settings/business/", {**data, "shipping_postal_code": "ABC", "time_zone": "Mars/Olympus"}
    )
    assert response.status_code == 400
    assert "ZIP code" in response.content.decode() and "not a known time zone" in response.content.decode()
    cast.medspa_a.refresh_from_db()
    assert cast.medspa_a.shipping_postal_code == "92101"


def test_add_ons_are_switched_with_their_effect_explained(client_as, cast):
    client = client_as("admin_a")
    assert (
        "A chart is required for every patient service visit"
        in client.get("/dashboard/settings/").content.decode()
    )
    client.post("/dashboard/settings/add-ons/", {"addon_charting": "on"})
    cast.medspa_a.refresh_from_db()
    assert cast.medspa_a.addon_charting and not cast.medspa_a.addon_marketing


def test_the_business_model_is_shown(client_as, cast):
    assert "Business model: Flex" in client_as("admin_b").get("/dashboard/settings/").content.decode()
    assert "20.00%" in client_as("admin_b").get("/dashboard/settings/").content.decode()


def test_the_medical_director_must_be_a_physician_of_the_medspa(client_as, cast):
    client = client_as("admin_a")
    with medspa_scope(cast.medspa_a):
        admin_membership = cast.admin_a.memberships.get()  # an MD
        nurse = cast.provider_a2.memberships.get()  # an RN
    assert client.post("/dashboard/settings/medical-director/", {"director": nurse.pk}).status_code == 400
    client.post("/dashboard/settings/medical-director/", {"director": admin_membership.pk})
    with medspa_scope(cast.medspa_a):
        cast.medspa_a.refresh_from_db()
        assert cast.medspa_a.medical_director == admin_membership
    with medspa_scope(cast.medspa_b):
        foreign = cast.provider_b.memberships.get()
    assert client.post("/dashboard/settings/medical-director/", {"director": foreign.pk}).status_code == 400


def test_admins_are_added_and_removed_but_never_the_last_one(client_as, cast):
    client = client_as("admin_a")
    with medspa_scope(cast.medspa_a):
        provider = cast.provider_a1.memberships.get()
    client.post(f"/dashboard/settings/members/{provider.pk}/grant-admin/")
    with medspa_scope(cast.medspa_a):
        provider.refresh_from_db()
    assert provider.is_admin
    client.post(f"/dashboard/settings/members/{provider.pk}/remove-admin/")
    with medspa_scope(cast.medspa_a):
        provider.refresh_from_db()
        assert not provider.is_admin
        me = cast.admin_a.memberships.get()
    response = client.post(f"/dashboard/settings/members/{me.pk}/remove-admin/", follow=True)
    assert "at least one admin" in response.content.decode()
    with medspa_scope(cast.medspa_a):
        me.refresh_from_db()
    assert me.is_admin


def test_deactivating_a_provider_ends_their_sessions_at_once(client_as, cast):
    provider = Client()
    provider.force_login(cast.provider_a1)
    assert provider.get("/provider/patients/").status_code == 200
    with medspa_scope(cast.medspa_a):
        membership = cast.provider_a1.memberships.get()
    client_as("admin_a").post(f"/dashboard/settings/members/{membership.pk}/deactivate/")
    assert provider.get("/provider/patients/").status_code == 302
    assert not Session.objects.filter(session_key=provider.session.session_key).exists()
    cast.provider_a1.refresh_from_db()
    assert not cast.provider_a1.is_active  # no other medspa: the account cannot sign in either
    client_as("admin_a").post(f"/dashboard/settings/members/{membership.pk}/reactivate/")
    cast.provider_a1.refresh_from_db()
    with medspa_scope(cast.medspa_a):
        assert cast.provider_a1.is_active and Membership.objects.get(pk=membership.pk).is_active


def test_an_admin_cannot_touch_another_medspas_people(client_as, cast):
    with medspa_scope(cast.medspa_b):
        foreign = cast.provider_b.memberships.get()
    for action in ["grant-admin", "deactivate", "remove-admin", "reactivate"]:
        assert (
            client_as("admin_a").post(f"/dashboard/settings/members/{foreign.pk}/{action}/").status_code
            == 404
        )
    with medspa_scope(cast.medspa_b):
        foreign.refresh_from_db()
    assert foreign.is_active and not foreign.is_admin


def test_profile_files_are_never_public(client_as, cast):
    import base64

    from medspa.tests.test_onboarding import PNG

    client = client_as("provider_a1")
    client.post(
        "/profile/signature/", {"data_url": "data:image/png;base64," + base64.b64encode(PNG).decode()}
    )
    with medspa_scope(cast.medspa_a):
        membership = cast.provider_a1.memberships.get()
    url = f"/profile/files/{membership.pk}/signature/"
    assert client.get(url).status_code == 200
    assert client_as("provider_a2").get(url).status_code == 200  # a colleague, e.g. on a chart
    assert client_as("provider_b").get(url).status_code == 404
    assert client_as("anonymous").get(url).status_code == 302
    assert client_as("provider_a2").get(f"/profile/files/{membership.pk}/photo_id/").status_code == 403


def test_a_drawn_signature_that_is_not_a_png_is_refused(client_as, cast):
    response = client_as("provider_a1").post(
        "/profile/signature/", {"data_url": "data:text/html;base64,PHNjcmlwdD4="}
    )
    assert response.status_code == 400 and "Draw your signature" in response.content.decode()


def test_a_rn_cannot_be_made_a_gfe_clearer_from_the_profile(client_as, cast):
    client = client_as("provider_a1")  # an NP who may clear
    response = client.post("/profile/", {"credential": "RN", "position": "Nurse"})
    assert response.status_code == 400
    with medspa_scope(cast.medspa_a):
        assert (
            factories.ProviderProfileFactory._meta.model.objects.get(
                membership__user=cast.provider_a1
            ).credential
            == "NP"
        )

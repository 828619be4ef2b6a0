import pytest
from django.contrib import admin
from django.templatetags.static import static
from django.test import Client, override_settings
from django.urls import path

from medspa.models import Patient
from medspa.tenancy import medspa_scope
from tests import factories


def test_the_login_page_renders_with_labelled_fields(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'<label for="id_login">Email</label>' in response.content
    assert b'<label for="id_password">Password</label>' in response.content
    assert b"sign up" not in response.content.lower()  # sign-up is closed


def test_an_unknown_page_shows_the_products_404(client_as):
    response = client_as("admin_a").get("/no-such-page/")
    assert response.status_code == 404
    assert "We couldn’t find that page" in response.content.decode()


def test_a_refused_page_shows_the_products_403(client_as):
    response = client_as("provider_a1").get("/invitations/")
    assert response.status_code == 403
    assert "You can’t open this page" in response.content.decode()


def test_a_post_without_its_csrf_token_is_refused(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.admin_a)
    response = client.post("/invitations/", {"email": "x@example.com", "as_provider": "on"})
    assert response.status_code == 403
    with medspa_scope(cast.medspa_a):
        assert not cast.medspa_a.invitations.exists()


def _write_then_fail(request):
    Patient.objects.create(
        medspa=request.medspa, first_name="Half", last_name="Saved", date_of_birth="1990-01-01"
    )
    raise RuntimeError("boom")


# Django admin's routes too: the tenant middleware looks up where admin lives on the first request.
urlpatterns = [path("write-then-fail/", _write_then_fail), path("admin/", admin.site.urls)]


@override_settings(ROOT_URLCONF=__name__)
def test_a_request_that_fails_half_way_leaves_nothing_half_saved(cast):
    client = Client(raise_request_exception=False)
    client.force_login(cast.admin_a)
    response = client.get("/write-then-fail/")  # the view runs in the request's transaction
    assert response.status_code == 500
    assert b"Nothing you entered was half-saved" in response.content
    with medspa_scope(cast.medspa_a):
        assert not Patient.objects.filter(last_name="Saved").exists()


@pytest.mark.parametrize("who", ["admin_a", "staff"])
def test_the_top_bar_carries_the_user_menu(client_as, cast, who):
    response = client_as(who).get("/", follow=True)
    assert b'class="user-menu"' in response.content
    assert b"Sign out" in response.content


def test_an_admin_sees_the_invite_link_and_a_provider_does_not(client_as):
    assert b"Invite people" in client_as("admin_a").get("/dashboard/").content
    assert b"Invite people" not in client_as("provider_a1").get("/provider/patients/").content


def test_the_avatar_skips_a_title(db):
    assert factories.UserFactory(full_name="Dr. Maya Chen").initial == "M"


def test_the_icon_browsers_ask_for_leads_to_ours(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == static("favicon.svg")

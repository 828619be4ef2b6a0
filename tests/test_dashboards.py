from django.test import Client

from medspa.dashboards import ADMIN_TABS, PROVIDER_TABS


def test_an_admin_who_is_also_a_provider_lands_on_the_admin_dashboard_and_can_switch(client_as):
    client = client_as("admin_a")
    assert client.get("/")["Location"] == "/dashboard/"
    page = client.get("/dashboard/").content.decode()
    for tab in ADMIN_TABS:
        assert tab.label in page
    assert "Switch to Provider dashboard" in page
    response = client.post("/dashboard/switch/", {"to": "provider"})
    assert response["Location"] == "/provider/patients/"
    # The choice is remembered for the session.
    assert client.get("/")["Location"] == "/provider/patients/"
    page = client.get("/provider/patients/").content.decode()
    for tab in PROVIDER_TABS:
        assert tab.label in page
    assert "Scheduling" not in page
    assert "Switch to Medspa Admin dashboard" in page
    client.post("/dashboard/switch/", {"to": "admin"})
    assert client.get("/")["Location"] == "/dashboard/"


def test_a_provider_only_user_never_sees_admin_tabs_or_urls(client_as):
    client = client_as("provider_a1")
    assert client.get("/")["Location"] == "/provider/patients/"
    page = client.get("/provider/patients/").content.decode()
    assert "Account settings" not in page and "Switch to" not in page
    for url in [
        "/dashboard/",
        "/dashboard/patients/",
        "/dashboard/settings/",
        "/dashboard/scheduling/",
        "/dashboard/providers/",
        "/dashboard/earnings/",
    ]:
        assert client.get(url).status_code == 403, url


def test_a_provider_cannot_switch_into_the_admin_dashboard(client_as):
    client = client_as("provider_a1")
    client.post("/dashboard/switch/", {"to": "admin"})
    assert client.get("/")["Location"] == "/provider/patients/"


def test_an_admin_who_is_not_a_provider_has_no_provider_dashboard(client_as):
    client = client_as("admin_b")
    assert client.get("/provider/patients/").status_code == 403
    assert "Switch to" not in client.get("/dashboard/").content.decode()


def test_staff_and_people_without_a_medspa_get_a_page_not_a_dashboard(client_as, db):
    assert client_as("staff").get("/").status_code == 200
    from tests import factories

    loner = factories.UserFactory()
    client = Client()
    client.force_login(loner)
    assert "No medspa yet" in client.get("/").content.decode()

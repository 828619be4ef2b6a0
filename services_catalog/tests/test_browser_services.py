"""The Services / Products tab through a real Chromium: importing a Portrait library service and setting its
price, creating a custom service group with a consent written on the spot (htmx, no page change) and its
first custom service, and editing a consent, which adds a version and keeps the old one readable.

The browser is signed in by handing it the session of a Django test client that did force_login (as in
test_browser_dashboards.py)."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from medspa.tenancy import medspa_scope
from services_catalog.models import Consent, Service, ServiceGroup
from services_catalog.services import texts as services
from tests import factories
from tests.browser import screenshot, sign_in, url_is

pytestmark = pytest.mark.browser

ACTIVE_LABEL = "Active: can be chosen for clearance and in a service visit"
LIBRARY_NAME = "Neurotoxin: glabellar lines"


def admin_nav(page: Page):
    return page.get_by_role("navigation", name="Medspa Admin dashboard")


def services_subnav(page: Page):
    return page.get_by_role("navigation", name="Services / Products")


def card_titled(page: Page, title: str):
    """The <section class="card"> whose h2 is `title` (a group of services on the list or the library)."""
    return page.locator("section.card").filter(
        has=page.get_by_role("heading", level=2, name=title, exact=True)
    )


def main_form(page: Page, button: str):
    """The page's own form (not the user menu's), found by its submit button."""
    return page.locator("main form").filter(has=page.get_by_role("button", name=button, exact=True))


def open_services_tab(page: Page, live_server) -> None:
    page.goto(f"{live_server.url}/dashboard/")
    admin_nav(page).get_by_role("link", name="Services / Products").click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/services/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Services / Products")


# --- Importing from the Portrait library ------------------------------------------------------------------


def test_an_admin_imports_a_library_service_sets_its_price_and_activates_it(
    live_server, page: Page, live_cast
):
    library_service = factories.library_service(name=LIBRARY_NAME, price="325.00")
    sign_in(page, live_server, live_cast.admin_a)

    open_services_tab(page, live_server)
    expect(page.get_by_text("You offer no services yet.")).to_be_visible()
    page.get_by_role("link", name="Import from the Portrait library").click()

    expect(page).to_have_url(url_is(live_server, "/dashboard/services/library/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("The Portrait services library")
    neurotoxins = card_titled(page, "Neurotoxins")
    row = neurotoxins.get_by_role("row").filter(has_text=LIBRARY_NAME)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Softens frown lines.")
    expect(row).to_contain_text("$325.00")
    expect(row).to_contain_text("30 min")
    expect(row.get_by_text("Imported", exact=True)).to_have_count(0)
    screenshot(page, "services_library_before_import")
    row.get_by_role("button", name=f"Import {LIBRARY_NAME}").click()

    # The imported service's page: Portrait's content shown as facts, only the price and the flag editable.
    with medspa_scope(live_cast.medspa_a):
        service = Service.objects.get(medspa=live_cast.medspa_a, library_service=library_service)
    expect(page).to_have_url(url_is(live_server, f"/dashboard/services/{service.pk}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(LIBRARY_NAME)
    expect(page.get_by_role("status")).to_contain_text(
        f"{LIBRARY_NAME} was added to your services. Set your price, then activate it."
    )
    expect(page.locator("main")).to_contain_text(
        "This service's name, description, consents, standing order and care messages are Portrait's"
    )
    expect(page.get_by_role("link", name=f"Consent: {LIBRARY_NAME}")).to_be_visible()
    form = main_form(page, "Save")
    expect(form.locator("input:not([type=hidden]), select, textarea")).to_have_count(2)
    price = form.get_by_label("Price", exact=True)
    active = form.get_by_label(ACTIVE_LABEL)
    expect(price).to_have_value("325.00")
    expect(active).not_to_be_checked()
    for locked in ("Name", "Description", "Service group", "Duration minutes", "Consents"):
        expect(page.get_by_label(locked, exact=True)).to_have_count(0)
    screenshot(page, "services_imported_service_form")

    price.fill("299.00")
    active.check()
    form.get_by_role("button", name="Save", exact=True).click()

    expect(page).to_have_url(url_is(live_server, "/dashboard/services/"))
    expect(page.get_by_role("status")).to_contain_text(f"{LIBRARY_NAME} was saved.")
    listed = (
        card_titled(page, "Neurotoxins")
        .get_by_role("row")
        .filter(has=page.get_by_role("link", name=LIBRARY_NAME, exact=True))
    )
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Portrait library")
    expect(listed.get_by_role("cell", name="$299.00", exact=True)).to_be_visible()
    expect(listed.get_by_text("Active", exact=True)).to_be_visible()
    expect(listed.get_by_role("button", name="Deactivate")).to_be_visible()
    screenshot(page, "services_list_after_import")

    with medspa_scope(live_cast.medspa_a):
        service.refresh_from_db()
    assert (service.price, service.is_active) == (Decimal("299.00"), True)
    with medspa_scope(live_cast.medspa_a):
        assert Service.objects.filter(library_service=library_service).count() == 1
    with medspa_scope(live_cast.medspa_b):
        assert not Service.objects.filter(medspa=live_cast.medspa_b).exists()

    # Back in the library, the service is marked as imported and cannot be imported twice.
    services_subnav(page).get_by_role("link", name="Portrait library").click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/services/library/"))
    row = card_titled(page, "Neurotoxins").get_by_role("row").filter(has_text=LIBRARY_NAME)
    expect(row.get_by_text("Imported", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=f"Import {LIBRARY_NAME}")).to_have_count(0)
    screenshot(page, "services_library_after_import")


# --- A custom group, its consent written on the spot, its first service ----------------------------------


def test_an_admin_creates_a_group_with_a_new_consent_in_place_then_its_first_custom_service(
    live_server, page: Page, live_cast
):
    sign_in(page, live_server, live_cast.admin_a)
    consent_text = "I agree to microneedling and understand its risks and aftercare."

    open_services_tab(page, live_server)
    page.get_by_role("link", name="New service group").click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/services/groups/new/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("New service group")
    group_form = page.locator("#group-form")
    group_form.get_by_label("Name", exact=True).fill("Skin rejuvenation")
    choices = page.locator("#consent-choices")
    expect(choices).to_contain_text("No consents yet: create one below.")
    expect(choices.get_by_role("checkbox")).to_have_count(0)

    new_consent = page.locator("details#new-consent")
    expect(new_consent.get_by_label("Title", exact=True)).to_be_hidden()
    new_consent.locator("summary").filter(has_text="New consent").click()
    new_consent.get_by_label("Title", exact=True).fill("Microneedling consent")
    new_consent.get_by_label("Text", exact=True).fill(consent_text)

    # Created with htmx: the list of consents is swapped in place, the page does not change.
    url_before = page.url
    navigations = []

    def record_navigation(frame):
        if frame == page.main_frame:
            navigations.append(frame.url)

    page.on("framenavigated", record_navigation)
    with page.expect_response(
        lambda r: r.url.endswith("/dashboard/services/texts/consents/new/") and r.request.method == "POST"
    ) as created:
        new_consent.get_by_role("button", name="Create consent").click()
    assert created.value.status == 200
    assert created.value.request.headers.get("hx-request") == "true"

    ticked = choices.get_by_role("checkbox", name="Microneedling consent", exact=True)
    expect(ticked).to_be_checked()
    expect(choices.get_by_role("status")).to_contain_text(
        "Created and ticked. Save the group to keep the choice."
    )
    expect(choices).not_to_contain_text("No consents yet")
    expect(page).to_have_url(url_before)
    assert navigations == []
    expect(group_form.get_by_label("Name", exact=True)).to_have_value("Skin rejuvenation")  # not reloaded
    expect(new_consent).to_be_visible()  # the htmx answer went into the list, not over the small form
    expect(group_form.get_by_role("button", name="Save group")).to_be_visible()
    screenshot(page, "services_group_form_consent_created_in_place")

    with medspa_scope(live_cast.medspa_a):
        consent = Consent.objects.get(medspa=live_cast.medspa_a, title="Microneedling consent")
        assert consent.versions.count() == 1
        assert not ServiceGroup.objects.filter(name="Skin rejuvenation").exists()  # not saved yet

    group_form.get_by_role("button", name="Save group").click()

    # On to the group's first service, the group chosen and its consent ticked.
    with medspa_scope(live_cast.medspa_a):
        group = ServiceGroup.objects.get(name="Skin rejuvenation")
    expect(page).to_have_url(url_is(live_server, f"/dashboard/services/new/?group={group.pk}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("New service")
    expect(page.get_by_role("status")).to_contain_text("The group Skin rejuvenation was saved.")
    form = main_form(page, "Save")
    expect(form.get_by_label("Service group")).to_have_value(str(group.pk))
    expect(form.get_by_role("checkbox", name="Microneedling consent", exact=True)).to_be_checked()
    form.get_by_label("Name", exact=True).fill("Microneedling")
    form.get_by_label("Price", exact=True).fill("350")
    form.get_by_label("Duration minutes", exact=True).fill("60")
    form.get_by_label(ACTIVE_LABEL).check()
    screenshot(page, "services_new_custom_service_form")
    form.get_by_role("button", name="Save", exact=True).click()

    expect(page).to_have_url(url_is(live_server, "/dashboard/services/"))
    expect(page.get_by_role("status")).to_contain_text("Microneedling was created.")
    row = (
        card_titled(page, "Skin rejuvenation")
        .get_by_role("row")
        .filter(has=page.get_by_role("link", name="Microneedling", exact=True))
    )
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell", name="Custom", exact=True)).to_be_visible()
    expect(row.get_by_role("cell", name="$350.00", exact=True)).to_be_visible()
    expect(row).to_contain_text("60 min")
    expect(row.get_by_text("Active", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Skin rejuvenation", exact=True)).to_be_visible()  # "Your groups"
    screenshot(page, "services_list_with_custom_group")

    assert group.medspa_id == live_cast.medspa_a.pk
    with medspa_scope(live_cast.medspa_a):
        assert list(group.default_consents.all()) == [consent]
        service = Service.objects.get(name="Microneedling")
    assert (service.medspa_id, service.group_id, service.library_service_id) == (
        live_cast.medspa_a.pk,
        group.pk,
        None,
    )
    assert (service.price, service.duration_minutes, service.is_active) == (Decimal("350.00"), 60, True)
    with medspa_scope(live_cast.medspa_a):
        assert list(service.consents.all()) == [consent]
        assert consent.versions.count() == 1


# --- Editing a consent adds a version ---------------------------------------------------------------------


def test_editing_a_consent_saves_a_new_version_and_the_old_one_stays_readable(
    live_server, page: Page, live_cast
):
    first_text = "The first text of this consent."
    second_text = "The second text of this consent, with the downtime spelled out."
    with medspa_scope(live_cast.medspa_a):
        consent = services.text_create(
            model=Consent, medspa=live_cast.medspa_a, title="Peel consent", text=first_text, by=None
        )
    sign_in(page, live_server, live_cast.admin_a)

    open_services_tab(page, live_server)
    services_subnav(page).get_by_role("link", name="Consents").click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/services/texts/consents/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Consents")
    listed = page.get_by_role("row").filter(has=page.get_by_role("link", name="Peel consent", exact=True))
    expect(listed).to_contain_text("Yours")
    listed.get_by_role("link", name="Peel consent").click()

    expect(page).to_have_url(url_is(live_server, f"/dashboard/services/texts/consents/{consent.pk}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Peel consent")
    expect(page.get_by_role("heading", level=2, name="Version 1 (current)")).to_be_visible()
    expect(page.locator(".document-text")).to_have_text(first_text)
    form = main_form(page, "Save as a new version")
    expect(form).to_contain_text("Saving a changed text adds version 2.")
    expect(form.get_by_label("Title", exact=True)).to_have_value("Peel consent")
    text = form.get_by_label("Text", exact=True)
    expect(text).to_have_value(first_text)
    text.fill(second_text)
    form.get_by_role("button", name="Save as a new version").click()

    expect(page).to_have_url(url_is(live_server, f"/dashboard/services/texts/consents/{consent.pk}/"))
    expect(page.get_by_role("status")).to_contain_text(
        "Saved as version 2. Earlier versions are kept unchanged."
    )
    expect(page.get_by_role("heading", level=2, name="Version 2 (current)")).to_be_visible()
    expect(page.locator(".document-text")).to_have_text(second_text)
    history = page.locator("section.card").filter(
        has=page.get_by_role("heading", level=2, name="Version history")
    )
    expect(history.get_by_role("listitem")).to_have_count(2)
    expect(history.get_by_role("listitem").first).to_contain_text("Version 2")
    expect(history.get_by_role("link", name="Version 2")).to_have_count(0)  # the one shown
    expect(main_form(page, "Save as a new version")).to_contain_text("Saving a changed text adds version 3.")
    screenshot(page, "services_consent_version_2")
    history.get_by_role("link", name="Version 1", exact=True).click()

    expect(page).to_have_url(
        re.compile(
            rf"^{re.escape(live_server.url)}/dashboard/services/texts/consents/{consent.pk}/\?version=1$"
        )
    )
    expect(page.get_by_role("heading", level=2, name="Version 1", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Version 2 (current)")).to_have_count(0)
    expect(page.locator(".document-text")).to_have_text(first_text)
    expect(history.get_by_role("link", name="Version 2", exact=True)).to_be_visible()
    screenshot(page, "services_consent_version_1")

    with medspa_scope(live_cast.medspa_a):
        versions = list(consent.versions.order_by("number").values_list("number", "text", "created_by_id"))
    assert versions == [(1, first_text, None), (2, second_text, live_cast.admin_a.pk)]

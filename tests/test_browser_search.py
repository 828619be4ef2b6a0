"""The top bar's search in a real Chromium: the front desk, on the calendar, presses "/", types part of a
patient's name, arrows down to the patient and presses Enter, landing on the profile; Ctrl+K focuses the
box too and Escape closes the results. Without JavaScript the box opens the results page. The page and the
popup pass axe (no serious or critical violation), and on a 390 px phone the header (search on a row of its
own) and the results fit without scrolling sideways."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from medspa.tenancy import medspa_scope
from scheduling.services import booking
from tests import factories
from tests.browser import PHONE, no_csp_violations_nor_server_errors, serious_violations, sign_in, url_is
from tests.factories import unscoped

pytestmark = pytest.mark.browser

LA = ZoneInfo("America/Los_Angeles")


@unscoped
def member(user):
    return user.memberships.get()


@pytest.fixture
def desk(live_cast):
    """Medspa A's clinic with Maya Chen booked next week with provider_a1, and Mayra Childs, who is not."""
    provider = member(live_cast.provider_a1)
    location, appointment_type = factories.scheduling_world(live_cast.medspa_a, [provider])
    maya = factories.PatientFactory(
        medspa=live_cast.medspa_a, first_name="Maya", last_name="Chen", date_of_birth=date(1990, 6, 15)
    )
    factories.PatientFactory(medspa=live_cast.medspa_a, first_name="Mayra", last_name="Childs")
    day = timezone.now().astimezone(LA).date() + timedelta(days=7)
    with medspa_scope(live_cast.medspa_a):
        booking.appointment_book(
            appointment_type=appointment_type,
            start=datetime.combine(day, time(10, 30), tzinfo=LA),
            patient=maya,
            provider=provider,
        )
    return maya


def search_box(page: Page):
    return page.get_by_role("search", name="Search").get_by_role("searchbox")


def popup(page: Page):
    return page.locator("#topbar-search-popup")


def test_the_front_desk_finds_a_patient_with_the_keyboard(live_server, page: Page, live_cast, desk):
    sign_in(page, live_server, live_cast.admin_a)
    page.goto(f"{live_server.url}/dashboard/scheduling/calendar/")
    page.locator("body").click(position={"x": 5, "y": 300})  # the page has the focus, no field
    page.keyboard.press("/")
    expect(search_box(page)).to_be_focused()
    page.keyboard.type("maya ch", delay=30)
    results = popup(page)
    expect(results.get_by_role("heading", name="Patients")).to_be_visible()
    expect(results.get_by_role("link", name="Maya Chen Born 06/15/1990")).to_be_visible()
    expect(results.get_by_role("heading", name="Appointments")).to_be_visible()
    expect(results.get_by_role("link", name="Mayra Childs")).to_have_count(0)
    assert serious_violations(page) == []
    page.keyboard.press("ArrowDown")
    expect(results.get_by_role("link", name="Maya Chen Born 06/15/1990")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(url_is(live_server, f"/dashboard/patients/{desk.pk}/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Maya Chen")


def test_ctrl_k_focuses_the_box_escape_closes_the_results_and_the_arrows_go_round(
    live_server, page: Page, live_cast, desk
):
    sign_in(page, live_server, live_cast.admin_a)
    page.goto(f"{live_server.url}/dashboard/patients/")
    page.keyboard.press("Control+k")
    expect(search_box(page)).to_be_focused()
    page.keyboard.type("maya")
    results = popup(page)
    expect(results.get_by_role("link", name="Maya Chen Born 06/15/1990")).to_be_visible()
    page.keyboard.press("ArrowUp")  # from the box up: the last link, the page of all results
    expect(results.get_by_role("link", name="All results for “maya”")).to_be_focused()
    page.keyboard.press("Escape")
    expect(results).to_be_hidden()
    expect(search_box(page)).to_be_focused()
    page.keyboard.press("ArrowDown")  # the results come back, the first one focused
    expect(results.get_by_role("link").first).to_be_focused()
    # "/" typed in a field is a slash, not the shortcut.
    search_box(page).fill("")
    page.keyboard.type("12/")
    expect(search_box(page)).to_have_value("12/")


def test_without_javascript_the_box_opens_the_results_page(live_server, browser: Browser, live_cast, desk):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    with no_csp_violations_nor_server_errors(page):
        sign_in(page, live_server, live_cast.admin_a)
        page.goto(f"{live_server.url}/dashboard/scheduling/calendar/")
        search_box(page).fill("Chen")
        search_box(page).press("Enter")
        expect(page).to_have_url(url_is(live_server, "/search/"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Results for “Chen”")
        appointments = page.locator("section").filter(has=page.get_by_role("heading", name="Appointments"))
        expect(appointments.get_by_role("link")).to_contain_text("Maya Chen")
        page.get_by_role("main").get_by_role("link", name="Maya Chen Born 06/15/1990").click()
        expect(page).to_have_url(url_is(live_server, f"/dashboard/patients/{desk.pk}/"))
    context.close()


def test_on_a_phone_the_header_and_the_results_fit_and_pass_axe(
    live_server, browser: Browser, live_cast, desk
):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    with no_csp_violations_nor_server_errors(page):
        sign_in(page, live_server, live_cast.admin_a)
        page.goto(f"{live_server.url}/dashboard/scheduling/calendar/")
        box = search_box(page)
        expect(box).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert box.bounding_box()["width"] >= 300  # a row of its own
        box.fill("maya")
        expect(popup(page).get_by_role("link", name="Maya Chen Born 06/15/1990")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert serious_violations(page) == []
        page.goto(f"{live_server.url}/search/?q=maya")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert serious_violations(page) == []
        page.goto(f"{live_server.url}/search/")
        assert serious_violations(page) == []
    context.close()

"""The dashboards through a real Chromium: switching between the Medspa Admin and the Provider dashboard,
masquerading as a provider (banner, the provider's own rights, the audit trail), the onboarding checklist
moving as steps are completed, and the CSV import of patients (a bad file refused, a good one imported).

The browser is signed in by handing it the session of a Django test client that did force_login: the
password-and-TOTP sign-in itself is covered by test_browser_login.py."""

import re

import pytest
from playwright.sync_api import Page, expect

from medspa.models import MasqueradeEvent, Patient, PatientAccessLog
from medspa.tenancy import medspa_scope
from tests import factories
from tests.browser import screenshot, sign_in, url_is

pytestmark = pytest.mark.browser

ADMIN_TABS = [
    "Scheduling",
    "Inventory",
    "Services / Products",
    "GFE Management",
    "Providers",
    "Patients",
    "Inbox",  # the texts patients send to the medspa's number, with the unread count
    "Earnings",
    "Account settings",
]
PROVIDER_TABS = ["Earnings", "Patients", "Inbox", "To-Do", "Calendar", "Sales"]
NOT_ALLOWED = "You can’t open this page"


def admin_nav(page: Page):
    return page.get_by_role("navigation", name="Medspa Admin dashboard")


def provider_nav(page: Page):
    return page.get_by_role("navigation", name="Provider dashboard")


def open_user_menu(page: Page, user) -> None:
    page.locator("summary", has_text=f"Account menu for {user.email}").click()


def expect_not_allowed(page: Page, live_server, path: str) -> None:
    """Opening `path` answers 403 with the product's "not allowed" page."""
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None and response.status == 403, (path, response and response.status)
    expect(page).to_have_url(url_is(live_server, path))
    expect(page.get_by_role("heading", level=1)).to_have_text(NOT_ALLOWED)


def masquerade_banner(page: Page):
    return page.get_by_role("alert").filter(has_text="You are masquerading as")


# --- Switching dashboards ---------------------------------------------------------------------------------


def test_an_admin_who_is_also_a_provider_switches_dashboards_and_the_choice_is_remembered(
    live_server, page: Page, live_cast
):
    admin = live_cast.admin_a
    sign_in(page, live_server, admin)

    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(url_is(live_server, "/dashboard/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Glow A")
    expect(admin_nav(page).get_by_role("link")).to_have_text(ADMIN_TABS)
    expect(provider_nav(page)).to_have_count(0)

    # The switch lives in the user menu, hidden until the menu opens.
    to_provider = page.get_by_role("button", name="Switch to Provider dashboard")
    expect(to_provider).to_be_hidden()
    open_user_menu(page, admin)
    expect(to_provider).to_be_visible()
    expect(page.get_by_role("button", name="Switch to Medspa Admin dashboard")).to_have_count(0)
    to_provider.click()

    expect(page).to_have_url(url_is(live_server, "/provider/patients/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My patients")
    expect(provider_nav(page).get_by_role("link")).to_have_text(PROVIDER_TABS)
    expect(admin_nav(page)).to_have_count(0)
    for tab in ("Scheduling", "Inventory", "Providers", "Account settings"):
        expect(page.get_by_role("link", name=tab, exact=True)).to_have_count(0)

    # The choice is remembered for the session: the home page now opens the Provider dashboard.
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(url_is(live_server, "/provider/patients/"))
    expect(provider_nav(page).get_by_role("link")).to_have_text(PROVIDER_TABS)
    page.reload()
    expect(page).to_have_url(url_is(live_server, "/provider/patients/"))
    screenshot(page, "admin_switched_to_provider_dashboard")

    # And back.
    open_user_menu(page, admin)
    expect(page.get_by_role("button", name="Switch to Provider dashboard")).to_have_count(0)
    page.get_by_role("button", name="Switch to Medspa Admin dashboard").click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/"))
    expect(admin_nav(page).get_by_role("link")).to_have_text(ADMIN_TABS)
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(url_is(live_server, "/dashboard/"))
    expect(admin_nav(page).get_by_role("link")).to_have_text(ADMIN_TABS)
    screenshot(page, "admin_switched_back_to_admin_dashboard")


def test_a_provider_only_never_sees_the_admin_dashboard(live_server, page: Page, live_cast):
    provider = live_cast.provider_a1
    sign_in(page, live_server, provider)

    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(url_is(live_server, "/provider/patients/"))
    expect(provider_nav(page).get_by_role("link")).to_have_text(PROVIDER_TABS)
    expect(admin_nav(page)).to_have_count(0)

    open_user_menu(page, provider)
    expect(page.get_by_text(provider.email, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Switch to"))).to_have_count(0)

    for path in ("/dashboard/", "/dashboard/providers/", "/dashboard/settings/"):
        expect_not_allowed(page, live_server, path)
        expect(admin_nav(page)).to_have_count(0)
        for tab in ("Scheduling", "Providers", "Account settings"):
            expect(page.get_by_role("link", name=tab, exact=True)).to_have_count(0)
    screenshot(page, "provider_gets_403_on_admin_dashboard")


# --- Masquerade -------------------------------------------------------------------------------------------


def test_an_admin_masquerades_as_a_provider_acts_with_the_banner_visible_then_stops(
    live_server, page: Page, live_cast
):
    admin, provider = live_cast.admin_a, live_cast.provider_a1
    patient = factories.PatientFactory(medspa=live_cast.medspa_a, first_name="Ana", last_name="Lopez")
    with medspa_scope(live_cast.medspa_a):
        patient.assigned_providers.add(provider.memberships.get())
    reason = "Checking what Ana's chart looks like for the provider"
    sign_in(page, live_server, admin)

    page.goto(f"{live_server.url}/dashboard/providers/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Providers")
    expect(masquerade_banner(page)).to_have_count(0)
    row = page.get_by_role("row").filter(has_text=provider.email)
    expect(row).to_have_count(1)
    row.get_by_role("link", name="Masquerade").click()

    expect(page).to_have_url(url_is(live_server, f"/masquerade/{provider.pk}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Masquerade as {provider.get_full_name()}")
    page.get_by_label("Reason").fill(reason)
    page.get_by_role("button", name="Start masquerading").click()

    # Acting as the provider: their dashboard, their patients, the banner on every page.
    expect(page).to_have_url(url_is(live_server, "/provider/patients/"))
    banner = masquerade_banner(page)
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(f"You are masquerading as {provider.get_full_name()}")
    expect(banner.get_by_role("button", name="Stop masquerading")).to_be_visible()
    expect(page.locator("summary", has_text=f"Account menu for {provider.email}")).to_be_visible()
    expect(provider_nav(page).get_by_role("link")).to_have_text(PROVIDER_TABS)
    page.get_by_role("link", name="Lopez, Ana").click()

    expect(page).to_have_url(url_is(live_server, f"/provider/patients/{patient.pk}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ana Lopez")
    expect(masquerade_banner(page)).to_be_visible()
    expect(masquerade_banner(page)).to_contain_text(f"You are masquerading as {provider.get_full_name()}")
    screenshot(page, "masquerading_admin_on_patient_profile")

    # Only the provider's rights: the admin dashboard is closed, and the banner is still there.
    expect_not_allowed(page, live_server, "/dashboard/")
    expect(masquerade_banner(page)).to_be_visible()
    expect(admin_nav(page)).to_have_count(0)

    masquerade_banner(page).get_by_role("button", name="Stop masquerading").click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/providers/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Providers")
    expect(page.get_by_role("status")).to_contain_text(
        f"You stopped masquerading as {provider.get_full_name()}"
    )
    expect(masquerade_banner(page)).to_have_count(0)
    expect(page.locator("summary", has_text=f"Account menu for {admin.email}")).to_be_visible()
    expect(admin_nav(page).get_by_role("link")).to_have_text(ADMIN_TABS)
    screenshot(page, "masquerade_stopped")

    events = list(
        MasqueradeEvent.objects.filter(actor=admin, target=provider)
        .order_by("created_at")
        .values_list("action", "reason", "medspa_id")
    )
    assert events == [
        (MasqueradeEvent.Action.START, reason, live_cast.medspa_a.pk),
        (MasqueradeEvent.Action.STOP, "", live_cast.medspa_a.pk),
    ]
    with medspa_scope(live_cast.medspa_a):
        profile_views = PatientAccessLog.objects.filter(
            patient=patient, viewed="Provider dashboard: patient profile"
        )
        assert [(log.actor_id, log.impersonator_id) for log in profile_views] == [(provider.pk, admin.pk)]


# --- Onboarding checklist ---------------------------------------------------------------------------------


def checklist(page: Page):
    return page.get_by_role("region", name="Get your medspa ready")


def steps_done(page: Page) -> int:
    """How many steps the checklist says are done (after checking the text and the progress bar agree)."""
    progress_text = checklist(page).get_by_text(re.compile(r"^\d+ of 8 steps done$"))
    expect(progress_text).to_be_visible()
    done = int(progress_text.inner_text().split()[0])
    progress = checklist(page).get_by_role("progressbar", name="Onboarding progress")
    expect(progress).to_have_attribute("max", "8")
    expect(progress).to_have_attribute("value", str(done))
    return done


def step(page: Page, key: str):
    return checklist(page).locator(f'li[data-step="{key}"]')


STEP_DONE = re.compile(r"\bstep-done\b")


def test_completing_onboarding_steps_in_the_ui_moves_the_checklist(live_server, page: Page, live_cast):
    sign_in(page, live_server, live_cast.admin_a)

    page.goto(f"{live_server.url}/dashboard/")
    expect(checklist(page).get_by_role("heading", name="Get your medspa ready")).to_be_visible()
    initially = steps_done(page)
    assert initially <= 6
    expect(step(page, "business")).not_to_have_class(STEP_DONE)
    expect(step(page, "locations")).not_to_have_class(STEP_DONE)
    screenshot(page, "onboarding_checklist_at_start")

    # Business details: the commercial shipping address.
    checklist(page).get_by_role("link", name="Business details").click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/settings/"))
    business = page.get_by_role("region", name="Business details")
    business.get_by_label("Commercial shipping address").fill("1200 Harbor Drive")
    business.get_by_label("City", exact=True).fill("San Diego")
    business.get_by_label("State", exact=True).fill("ca")
    business.get_by_label("ZIP code").fill("92101")
    business.get_by_role("button", name="Save business details").click()

    expect(page).to_have_url(url_is(live_server, "/dashboard/settings/"))
    expect(page.get_by_role("status")).to_contain_text("Business details saved.")
    expect(business.get_by_label("State", exact=True)).to_have_value("CA")

    page.get_by_role("link", name="Portrait · Glow A").click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/"))
    expect(checklist(page).get_by_text(f"{initially + 1} of 8 steps done", exact=True)).to_be_visible()
    assert steps_done(page) == initially + 1
    expect(step(page, "business")).to_have_class(STEP_DONE)
    expect(step(page, "business")).to_contain_text("(done)")
    expect(step(page, "locations")).not_to_have_class(STEP_DONE)

    # A location, through the Scheduling tab.
    admin_nav(page).get_by_role("link", name="Scheduling").click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/scheduling/"))
    page.get_by_role("link", name="New location").click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/scheduling/locations/new/"))
    page.get_by_label("Name", exact=True).fill("Downtown studio")
    page.get_by_label("Address", exact=True).fill("500 Market Street")
    page.get_by_label("City", exact=True).fill("San Diego")
    page.get_by_label("State", exact=True).fill("CA")
    page.get_by_label("ZIP code").fill("92101")
    time_zone = page.get_by_label("Time zone")
    expect(time_zone).to_have_value("America/New_York")  # the medspa's own, offered first
    time_zone.select_option(label="Pacific (Los Angeles)")
    expect(page.get_by_label("Active for scheduling")).to_be_checked()
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page).to_have_url(url_is(live_server, "/dashboard/scheduling/"))
    expect(page.get_by_role("status")).to_contain_text("Downtown studio was saved.")
    location_row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Downtown studio"))
    expect(location_row).to_contain_text("500 Market Street, San Diego CA 92101")
    expect(location_row).to_contain_text("America/Los_Angeles")
    expect(location_row).to_contain_text("Active")

    page.goto(f"{live_server.url}/dashboard/")
    expect(checklist(page).get_by_text(f"{initially + 2} of 8 steps done", exact=True)).to_be_visible()
    assert steps_done(page) == initially + 2
    expect(step(page, "business")).to_have_class(STEP_DONE)
    expect(step(page, "locations")).to_have_class(STEP_DONE)
    screenshot(page, "onboarding_checklist_after_business_and_location")


# --- CSV import of patients -------------------------------------------------------------------------------


def csv_file(content: str) -> dict:
    return {"name": "patients.csv", "mimeType": "text/csv", "buffer": content.encode()}


BAD_CSV = (
    "first_name,last_name,date_of_birth,email\n"
    "Future,Child,2999-01-01,future@mail.example\n"
    "Nolast,,1980-05-05,nolast@mail.example\n"
    "Fine,Person,1985-03-03,fine@mail.example\n"
)
GOOD_CSV = (
    "First Name,Last Name,Date of birth,Email,Phone\n"
    "Maya,Chen,1988-07-14,maya.chen@mail.example,(619) 555-0101\n"
    "Jonah,Reyes,04/02/1990,jonah.reyes@mail.example,\n"
    "Priya,Shah,1979-12-30,,619-555-0103\n"
)


def upload(page: Page, content: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Import patients from a CSV file")
    page.get_by_label("CSV file").set_input_files(csv_file(content))
    page.get_by_role("button", name="Upload and preview").click()


def test_a_bad_csv_is_refused_with_its_lines_and_reasons_then_a_good_one_is_imported(
    live_server, page: Page, live_cast
):
    medspa = live_cast.medspa_a
    sign_in(page, live_server, live_cast.admin_a)
    import_button = page.get_by_role("button", name=re.compile(r"^Import \d+ patients?$"))

    page.goto(f"{live_server.url}/dashboard/patients/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Patients")
    page.get_by_role("link", name="Import from CSV").click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/patients/import/"))

    # A bad file: a date of birth in the future (line 2), a missing last name (line 3).
    upload(page, BAD_CSV)
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/dashboard/patients/import/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Import preview: patients.csv")
    expect(page.get_by_role("alert")).to_contain_text("Nothing can be imported from this file yet")
    expect(page.get_by_role("region", name="Summary")).to_contain_text("2 lines with errors")
    to_fix = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="What to fix"))
    expect(to_fix.get_by_role("row")).to_have_count(3)  # the header and the two bad lines
    line_2 = to_fix.get_by_role("row").filter(has=page.get_by_role("cell", name="2", exact=True))
    expect(line_2).to_contain_text("Future Child")
    expect(line_2).to_contain_text("date_of_birth: The date of birth cannot be in the future.")
    line_3 = to_fix.get_by_role("row").filter(has=page.get_by_role("cell", name="3", exact=True))
    expect(line_3).to_contain_text("Nolast")
    expect(line_3).to_contain_text("last_name: This field is required.")
    expect(to_fix).not_to_contain_text("Fine")
    expect(import_button).to_have_count(0)
    screenshot(page, "csv_import_bad_file_preview")
    with medspa_scope(medspa):
        assert not Patient.objects.filter(medspa=medspa).exists()

    page.get_by_role("link", name="Patients", exact=True).click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/patients/"))
    expect(page.get_by_text("No patients yet.")).to_be_visible()

    # The good file: three patients, column names as a spreadsheet would write them.
    page.get_by_role("link", name="Import from CSV").click()
    upload(page, GOOD_CSV)
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/dashboard/patients/import/\d+/$"))
    expect(page.get_by_role("region", name="Summary")).to_contain_text("3 patients to import")
    expect(page.get_by_role("region", name="Summary")).to_contain_text("0 lines with errors")
    expect(page.get_by_role("alert")).to_have_count(0)
    to_import = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Phone"))
    expect(to_import.get_by_role("row")).to_have_count(4)
    for name in ("Chen, Maya", "Reyes, Jonah", "Shah, Priya"):
        expect(to_import.get_by_role("cell", name=name, exact=True)).to_be_visible()
    expect(to_import.get_by_role("row").filter(has_text="Reyes, Jonah")).to_contain_text("1990-04-02")
    with medspa_scope(medspa):
        assert not Patient.objects.filter(medspa=medspa).exists()  # nothing until the admin confirms
    screenshot(page, "csv_import_good_file_preview")

    # The confirm button asks first (window.confirm); the test accepts and checks the question.
    questions = []

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    expect(import_button).to_have_text("Import 3 patients")
    import_button.click()

    expect(page).to_have_url(url_is(live_server, "/dashboard/patients/"))
    assert questions == [
        "Import 3 patients into Glow A? Imported patients can then only be archived one by one."
    ]
    expect(page.get_by_role("status")).to_contain_text("3 patients imported from patients.csv.")
    expect(page.get_by_text("3 patients", exact=True)).to_be_visible()
    for name in ("Chen, Maya", "Reyes, Jonah", "Shah, Priya"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    screenshot(page, "csv_import_done_patient_list")

    with medspa_scope(medspa):
        imported = Patient.objects.filter(medspa=medspa).order_by("last_name")
        assert [(p.first_name, p.last_name, p.date_of_birth.isoformat(), p.status) for p in imported] == [
            ("Maya", "Chen", "1988-07-14", "active"),
            ("Jonah", "Reyes", "1990-04-02", "active"),
            ("Priya", "Shah", "1979-12-30", "active"),
        ]
    with medspa_scope(live_cast.medspa_b):
        assert not Patient.objects.filter(medspa=live_cast.medspa_b).exists()


# --- The API docs -------------------------------------------------------------------------------------------


def test_the_api_docs_render_under_the_content_security_policy(live_server, page: Page, live_cast):
    """drf-spectacular's Swagger UI, whose stock template carries an inline style block: ours loads it from
    a file, so nothing is blocked (the autouse fixture fails the test on a violation)."""
    sign_in(page, live_server, live_cast.admin_a)
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.get_by_role("heading", name=re.compile("Portrait medspa API"))).to_be_visible()
    expect(page.get_by_text("/api/v1/patients/", exact=True).first).to_be_visible()
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"  # the moved rule applies

"""Intake forms through a real Chromium: an admin finds Portrait's medical history form, copies it to edit
(after confirming), adds a question in a blank row of the builder and saves version 2, sees the patient's
preview of it, and can still read version 1 as it was. Signed in as in test_browser_services.py."""

import pytest
from playwright.sync_api import Page, expect

from medspa.tenancy import medspa_scope
from services_catalog.models import IntakeForm
from services_catalog.services.library import library_load
from tests.browser import screenshot, sign_in, url_is

pytestmark = pytest.mark.browser


def test_an_admin_copies_a_library_form_adds_a_question_and_reads_both_versions(
    live_server, page: Page, live_cast
):
    library_load()
    sign_in(page, live_server, live_cast.admin_a)
    page.goto(f"{live_server.url}/dashboard/services/")
    page.get_by_role("navigation", name="Services / Products").get_by_role(
        "link", name="Intake forms"
    ).click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/services/intake-forms/"))
    expect(page.get_by_text("You have no forms of your own yet.")).to_be_visible()
    screenshot(page, "intake_forms_list")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Copy to edit (Medical history)").click()
    with medspa_scope(live_cast.medspa_a):
        copy = IntakeForm.objects.get()
    expect(page).to_have_url(url_is(live_server, f"/dashboard/services/intake-forms/{copy.pk}/"))
    expect(page.get_by_role("status")).to_contain_text("“Medical history” is your own copy: edit it below.")
    expect(
        page.get_by_role("heading", level=2, name="Version 1 (current): what the patient sees")
    ).to_be_visible()

    new_row = page.locator("fieldset.question-row").filter(has_text="New question").first
    new_row.get_by_label("Section", exact=True).fill("About you")
    new_row.get_by_label("Position", exact=True).fill("1")
    new_row.get_by_label("Question", exact=True).fill("What is your preferred name?")
    new_row.get_by_label("Answer", exact=True).select_option("text")
    screenshot(page, "intake_form_builder")
    page.get_by_role("button", name="Save as a new version").click()

    expect(page.get_by_role("status")).to_contain_text("Saved as version 2.")
    preview = page.locator("section.card").filter(has_text="Version 2 (current): what the patient sees")
    expect(preview.get_by_text("What is your preferred name?")).to_be_visible()
    expect(preview.locator("input, textarea").first).to_be_disabled()
    screenshot(page, "intake_form_version_2")

    page.get_by_role("link", name="Version 1", exact=True).click()
    old = page.locator("section.card").filter(has_text="Version 1: what the patient sees")
    expect(old.get_by_text("What is your preferred name?")).to_have_count(0)
    expect(old.get_by_text("Date of birth")).to_be_visible()

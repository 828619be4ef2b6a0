"""The move from Legacy to Launch through a real Chromium: medspa A's admin finds the transition page from
Account settings, reads what changes, has a bad request refused (Flex without its split, a past date), then
asks for Launch a week ahead, letting the coordinator go; Portrait staff (in a browser of their own) approve
it from /transitions/; the admin follows the plan's steps, enters the new OpenPhone account, acknowledges
what does not move with the number and confirms through the emailed link; and the steps' list refreshes by
itself (htmx polling) when a step fails. And a Launch admin who kept the coordinator asks to let them go,
through the confirmation that names the day and what happens on it.

The browsers are signed in by handing them the session of a Django test client that did force_login (as in
test_browser_dashboards.py). The confirmation email goes out through Celery, eager in tests, in the live
server's thread of this process: django.core.mail.outbox is shared with the test."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from medspa import clock
from medspa.tenancy import medspa_scope
from tests.browser import eventually, no_csp_violations_nor_server_errors, screenshot, sign_in, url_is
from transition.models import Transition, TransitionStep
from transition.models.records import ConfirmationParty
from transition.models.transitions import OPENPHONE_ACKNOWLEDGEMENT, StepKind, StepStatus, TransitionStatus

pytestmark = pytest.mark.browser

PAGE = "/dashboard/settings/transition/"
LET_GO = "Let the coordinator go (OpenPhone, TigerConnect and Acuity end)"
OPENPHONE_EMAIL = "glow.a.phone@openphone.example"
STEP_NAMES = [
    "Import future Acuity appointments into the EHR calendar",
    "Switch the business model",
    "Revoke Acuity access",
    "Deactivate TigerConnect (support channel and users)",
    "Release the OpenPhone number to the provider's own account",
]


def long_day(day) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def test_request_approve_release_openphone_and_watch_the_steps(
    live_server, page: Page, new_context, live_cast
):
    medspa, admin = live_cast.medspa_a, live_cast.admin_a
    medspa.business_model = "legacy"
    medspa.keeps_coordinator = True
    medspa.save()
    today = clock.today(medspa)
    week_ahead = today + timedelta(days=7)
    mail.outbox.clear()
    sign_in(page, live_server, admin)

    # Account settings → the transition page: the request form and what changes.
    page.goto(f"{live_server.url}/dashboard/")
    page.get_by_role("navigation", name="Medspa Admin dashboard").get_by_role(
        "link", name="Account settings"
    ).click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/settings/"))
    page.get_by_role("link", name="Move to Launch or Flex").click()
    expect(page).to_have_url(url_is(live_server, PAGE))
    expect(page.get_by_role("heading", level=1)).to_have_text("Move from Legacy to Launch or Flex")
    request = page.locator("section#request")
    expect(request.get_by_role("heading", name="Ask Portrait for the move")).to_be_visible()
    for heading in ("Either way", "Keep the Patient Care Coordinator", "Let the coordinator go"):
        expect(request.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(request).to_contain_text("Texting is likely to be delayed for 7 to 10 days after the switch.")
    expect(request).to_contain_text(f"Today is {long_day(today)} in your time zone")
    expect(page.locator("#transition-steps")).to_have_count(0)  # nothing asked yet
    screenshot(page, "transition_request_form")

    # A bad request: Flex without its split, on a past date → both field errors, nothing stored.
    request.get_by_label("Flex", exact=True).check()
    request.get_by_label("Effective date").fill((today - timedelta(days=1)).isoformat())
    request.get_by_label(LET_GO).check()
    request.get_by_role("button", name="Send the request to Portrait").click()
    expect(page.locator("#id_flex_revenue_split_percent_error")).to_have_text(
        "Flex needs its revenue split (Portrait's share)."
    )
    expect(page.locator("#id_effective_date_error")).to_have_text(
        f"The effective date cannot be in the past (today is {long_day(today)} in {medspa.name}'s time zone)."
    )
    expect(page.get_by_label(LET_GO)).to_be_checked()  # what was chosen is kept
    with medspa_scope(medspa):
        assert not Transition.objects.exists()
    screenshot(page, "transition_request_refused")

    # Launch a week ahead, letting the coordinator go.
    page.get_by_label("Launch", exact=True).check()
    page.get_by_label("Effective date").fill(week_ahead.isoformat())
    page.get_by_label("Note (optional)").fill("We are ready for the EHR calendar.")
    page.get_by_role("button", name="Send the request to Portrait").click()
    expect(page).to_have_url(url_is(live_server, PAGE))
    expect(page.get_by_role("status").first).to_have_text(
        "Your request was sent to Portrait: you will see here when it is approved."
    )
    with medspa_scope(medspa):
        transition = Transition.objects.get()
    assert (transition.status, transition.target_model, transition.effective_date) == (
        TransitionStatus.REQUESTED, "launch", week_ahead,
    )  # fmt: skip
    assert transition.keeps_coordinator is False
    expect(page.locator("section#request")).to_have_count(0)
    summary = page.locator("section#summary")
    expect(summary.locator(".badge")).to_have_text("Requested by the medspa")
    expect(summary).to_contain_text(week_ahead.strftime("%A, %B ") + f"{week_ahead.day}, {week_ahead.year}")
    expect(summary).to_contain_text("Let go: OpenPhone released, TigerConnect deactivated, Acuity revoked")
    expect(page.locator("section#todo")).to_contain_text("Nothing yet: Portrait reviews your request")
    expect(page.locator("#transition-steps")).to_contain_text(
        "The plan's steps appear here once Portrait approves the request."
    )
    screenshot(page, "transition_requested")

    # Portrait staff, in a browser of their own, approve it from /transitions/.
    staff_page = new_context().new_page()
    with no_csp_violations_nor_server_errors(staff_page):
        sign_in(staff_page, live_server, live_cast.staff)
        staff_page.goto(f"{live_server.url}/transitions/")
        decide = staff_page.locator("section#needs-a-person")
        expect(decide).to_contain_text(f"{medspa.name}: Launch on {long_day(week_ahead)}")
        row = staff_page.locator("table.table tbody tr").filter(has_text=medspa.name)
        expect(row).to_contain_text("Requested by the medspa")
        expect(row).to_contain_text("Let go")
        screenshot(staff_page, "transition_staff_list")
        row.get_by_role("link", name=f"Open the transition of {medspa.name}").click()
        expect(staff_page).to_have_url(url_is(live_server, f"/transitions/{transition.pk}/"))
        expect(staff_page.get_by_role("heading", level=1)).to_have_text(
            f"{medspa.name}: transition to Launch"
        )
        expect(staff_page.locator("section#summary")).to_contain_text("“We are ready for the EHR calendar.”")
        staff_page.get_by_role("button", name="Approve and make the plan").click()
        expect(staff_page.get_by_role("status").first).to_have_text(
            f"The transition of {medspa.name} is approved and planned."
        )
        expect(staff_page.locator("section#decide")).to_have_count(0)
        expect(staff_page.locator("section#summary .badge")).to_have_text("Scheduled")
        expect(staff_page.locator("li.transition-step")).to_have_count(5)
        screenshot(staff_page, "transition_staff_approved")
        staff_page.context.close()
    with medspa_scope(medspa):
        transition.refresh_from_db()
    assert transition.status == TransitionStatus.SCHEDULED

    # The admin's page: the steps with their dates and statuses, and what to do now.
    page.reload()
    expect(page.locator("section#summary .badge")).to_have_text("Scheduled")
    steps = page.locator("li.transition-step")
    expect(steps.locator("strong")).to_have_text(STEP_NAMES)
    for index in range(5):
        expect(steps.nth(index)).to_contain_text(f"Due {long_day(week_ahead)}")
        expect(steps.nth(index).locator(".badge")).to_have_text("Pending")
    todo = page.locator("section#todo li")
    expect(todo.filter(has_text="set up scheduling in the EHR")).to_contain_text(
        f"Before {long_day(week_ahead)}"
    )
    expect(todo.filter(has_text="Open your own, separate OpenPhone account")).to_have_count(1)
    openphone = page.locator("section#openphone")
    expect(openphone).to_contain_text("Not entered yet")
    expect(openphone.locator("form.openphone-acknowledge")).to_have_count(0)  # the account comes first
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)  # staff only
    screenshot(page, "transition_scheduled")

    # The new OpenPhone account, then the acknowledgement (word for word) → the emailed link.
    openphone.get_by_label("Your new OpenPhone account (email)").fill(OPENPHONE_EMAIL.upper())
    openphone.get_by_role("button", name="Save the account").click()
    expect(page.get_by_role("status").first).to_have_text(f"The number will move to {OPENPHONE_EMAIL}.")
    openphone = page.locator("section#openphone")
    new_account = openphone.locator("dd").first
    expect(new_account).to_contain_text(OPENPHONE_EMAIL)
    expect(new_account).to_contain_text(f"entered by {admin.get_full_name()}")
    expect(page.locator("section#todo")).to_contain_text("Acknowledge what does not move with the number")
    acknowledge = openphone.locator("form.openphone-acknowledge")
    expect(acknowledge.locator("label")).to_have_text(OPENPHONE_ACKNOWLEDGEMENT)
    assert mail.outbox == []
    acknowledge.get_by_label(OPENPHONE_ACKNOWLEDGEMENT).check()
    acknowledge.get_by_role("button", name="Acknowledge and email me the confirmation link").click()
    expect(page.get_by_role("status").first).to_have_text(
        f"The confirmation link was emailed to {admin.email}: open it and press “Confirm”."
    )
    expect(page.locator("form.openphone-resend")).to_contain_text(
        f"You acknowledged: “{OPENPHONE_ACKNOWLEDGEMENT}”"
    )
    expect(page.locator("section#todo")).to_contain_text("Open the confirmation link we emailed you")
    screenshot(page, "transition_acknowledged")
    assert eventually(lambda: len(mail.outbox) == 1), mail.outbox
    email = mail.outbox[0]
    assert email.to == [admin.email]
    assert email.subject == f"Confirm the release of {medspa.display_name}'s OpenPhone number"
    assert OPENPHONE_ACKNOWLEDGEMENT in email.body
    link = re.search(r"https?://\S+(/transition/confirm/\S+/)", email.body)
    assert link, email.body

    # The link from the email, in the admin's browser → Confirm.
    page.goto(live_server.url + link.group(1))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm the release of the OpenPhone number")
    expect(page.locator("blockquote").first).to_have_text(OPENPHONE_ACKNOWLEDGEMENT)
    expect(page.locator("blockquote").nth(1)).to_contain_text(f"my own OpenPhone account ({OPENPHONE_EMAIL})")
    screenshot(page, "transition_confirm_link")
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.locator(".messages")).to_have_text("Thank you: your written confirmation was recorded.")
    expect(page.locator(".message-success").last).to_contain_text(
        f"that the number may move to {OPENPHONE_EMAIL}"
    )
    expect(page.get_by_role("button", name="Confirm", exact=True)).to_have_count(0)
    with medspa_scope(medspa):
        assert list(transition.confirmations.values_list("party", "target_email")) == [
            (ConfirmationParty.PROVIDER, OPENPHONE_EMAIL)
        ]

    # Back on the transition page, which refreshes its steps by itself: a step fails meanwhile. The page's
    # clock is Playwright's, so that the 10-second poll comes at once.
    page.clock.install()
    page.goto(live_server.url + PAGE)
    openphone = page.locator("section#openphone")
    expect(openphone.locator("dd").nth(2)).to_contain_text("Confirmed")
    expect(openphone.locator("dd").nth(3)).to_contain_text("Not yet")  # Portrait's turn
    with medspa_scope(medspa):
        tigerconnect = TransitionStep.objects.get(transition=transition, kind=StepKind.TIGERCONNECT)
    row = page.locator(f"#step-{tigerconnect.pk}")
    expect(row.locator(".badge")).to_have_text("Pending")
    page.evaluate("window.notReloaded = true")  # gone if the page were loaded again
    with page.expect_response(re.compile(re.escape(live_server.url + PAGE + "steps/"))):
        with medspa_scope(medspa):
            TransitionStep.objects.filter(pk=tigerconnect.pk).update(
                status=StepStatus.FAILED, detail="TigerConnect answered 503"
            )
        page.clock.run_for(10_000)  # the poll's period
    expect(row.locator(".badge")).to_have_text("Failed", timeout=15_000)
    expect(row.locator(".step-detail")).to_have_text("TigerConnect answered 503")
    assert page.evaluate("window.notReloaded") is True
    screenshot(page, "transition_step_failed")


def test_a_launch_admin_asks_to_let_the_coordinator_go_through_the_confirmation(
    live_server, page: Page, live_cast
):
    medspa, admin = live_cast.medspa_a, live_cast.admin_a
    medspa.business_model, medspa.keeps_coordinator = "launch", True
    medspa.save()
    day = clock.today(medspa) + timedelta(days=10)
    sign_in(page, live_server, admin)

    page.goto(f"{live_server.url}/dashboard/settings/")
    page.locator("section#transition").get_by_role("link", name="Let the coordinator go").click()
    expect(page).to_have_url(url_is(live_server, PAGE + "#coordinator-leaves"))
    leave = page.locator("section#coordinator-leaves")
    expect(leave).to_contain_text("You may let the coordinator go at any time")
    leave.get_by_label("First day without the coordinator").fill(day.isoformat())
    leave.get_by_label("Note (optional)").fill("Our front desk takes the calls now.")
    leave.get_by_role("button", name="Continue").click()

    # The confirmation names the day and what happens on it; nothing is sent yet.
    confirm = page.locator("#leave-confirm")
    expect(confirm.get_by_role("heading")).to_have_text(f"On {day:%A, %B} {day.day}, {day.year}")
    expect(confirm).to_contain_text(f"The coordinator's access to {medspa.name} ends.")
    expect(confirm).to_contain_text("The $1,000 monthly coordinator line stops from that day")
    expect(confirm).to_contain_text("TigerConnect is deactivated")
    expect(confirm).to_contain_text(OPENPHONE_ACKNOWLEDGEMENT)
    with medspa_scope(medspa):
        assert not Transition.objects.exists()
    screenshot(page, "coordinator_leaves_confirm")
    confirm.get_by_role("button", name=f"Let the coordinator go on {long_day(day)}").click()

    expect(page).to_have_url(url_is(live_server, PAGE))
    expect(page.get_by_role("status").first).to_contain_text(
        "Your request to let the coordinator go was sent to Portrait"
    )
    summary = page.locator("section#summary")
    expect(summary.locator(".transition-headline")).to_have_text(f"Let the coordinator go on {long_day(day)}")
    expect(summary.locator(".badge")).to_have_text("Requested by the medspa")
    expect(summary).to_contain_text("“Our front desk takes the calls now.”")
    expect(page.locator("section#coordinator-leaves")).to_have_count(0)
    screenshot(page, "coordinator_leaves_requested")
    with medspa_scope(medspa):
        transition = Transition.objects.get()
    assert (transition.kind, transition.status, transition.effective_date, transition.keeps_coordinator) == (
        "coordinator_leaves", TransitionStatus.REQUESTED, day, False,
    )  # fmt: skip

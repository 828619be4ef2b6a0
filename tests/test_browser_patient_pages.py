"""Every page a patient opens, on a phone: Chromium at 390 × 844 (an iPhone's viewport, touch, mobile layout).
On each, the page fits the screen's width (nothing to scroll sideways), axe-core finds no violation of
impact "serious" or "critical", and the page's main action can be reached and is big enough to tap (24 px,
WCAG 2.5.8).

The pages: the medspa's booking link, a location's booking flow step by step (service, provider, day, time,
details), the details form refused (a date of birth in the future), the time taken meanwhile, the booking
policy with Stripe's card field (the local Stripe server's stand-in), the confirmation, the manage page
(details, card on file saved and removed, the reschedule picker, cancelled, too late to change online), a
booking page or manage link that is not available (404), the "please wait" page of the rate limit (429)
and the page of a form refused for its missing CSRF cookie (403). The paperwork
pages (/book/paperwork/…) have their own test. Nothing else is opened by a patient without signing in: the
QR codes are SVG images, the calendar feed is a provider's, and a texted STOP is answered by text."""

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from medspa.tenancy import medspa_scope
from scheduling.models import Appointment
from scheduling.services import booking
from tests import factories
from tests.browser import (
    PHONE,
    book_up_to_details,
    fill_booking_details,
    serious_violations,
    type_card,
)

pytestmark = pytest.mark.browser

LA = ZoneInfo("America/Los_Angeles")
TAP = 24  # px: WCAG 2.5.8's smallest target


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True}


# --- The checks ---------------------------------------------------------------------------------------------


def small_targets(page: Page) -> list[str]:
    """The visible buttons, links standing alone (not inside a sentence), fields and choices smaller than
    24 × 24 px. A checkbox or a radio button is tapped through its label, which is then the target."""
    return page.evaluate(
        """(tap) => {
          const small = [];
          // A link alone in its paragraph or list item is a control; one inside a sentence is exempt.
          const alone = [...document.querySelectorAll("p > a, li > a, dd > a, header > a")].filter(
            (link) => link.parentElement.textContent.trim() === link.textContent.trim());
          const controls = [...document.querySelectorAll(
            "button, a.button, input:not([type=hidden]), select, textarea, summary"), ...alone];
          for (const control of controls) {
            let target = control;
            if (control.type === "checkbox" || control.type === "radio") {
              target = control.closest("label") || (control.id &&
                document.querySelector(`label[for="${control.id}"]`)) || control;
            }
            const box = target.getBoundingClientRect();
            if (box.width === 0 && box.height === 0) continue;  // not shown
            if (box.width < tap || box.height < tap) {
              const size = `${Math.round(box.width)}×${Math.round(box.height)}`;
              small.push(`${control.outerHTML.slice(0, 90)}: ${size}`);
            }
          }
          return small;
        }""",
        TAP,
    )


def check_phone_page(page: Page, main_action: Locator | None = None) -> None:
    """The page fits 390 px, has no serious accessibility violation and no target too small to tap; its main
    action, if any, is on screen once scrolled to, and big enough."""
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide: it scrolls sideways on a phone"
    violations = serious_violations(page)
    assert violations == [], f"{page.url}:\n" + "\n".join(violations)
    assert small_targets(page) == [], page.url
    if main_action is not None:
        main_action.scroll_into_view_if_needed()
        expect(main_action).to_be_in_viewport()
        box = main_action.bounding_box()
        assert box is not None and box["width"] >= TAP and box["height"] >= TAP, box
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


# --- The world ----------------------------------------------------------------------------------------------


def day_after(days: int) -> date:
    return timezone.now().astimezone(LA).date() + timedelta(days=days)


def at_la(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LA)


@pytest.fixture
def clinic(live_cast, provider):
    """Medspa A's location taking online bookings, with provider_a1 working 9:00–17:00 every day."""
    with medspa_scope(live_cast.medspa_a):
        location, appointment_type = factories.scheduling_world(live_cast.medspa_a, [provider])
        location.phone = "+16195550100"
        location.save(update_fields=["phone"])
    return location, appointment_type


@pytest.fixture
def card_clinic(live_cast, provider, stripe_local, stripe_connected):
    """A location under a booking policy: a deposit, a late-cancellation fee and a no-show fee, on a card."""
    with medspa_scope(live_cast.medspa_a):
        return factories.scheduling_world(
            live_cast.medspa_a,
            [provider],
            deposit_amount=Decimal("50"),
            late_cancel_fee=Decimal("40"),
            no_show_fee=Decimal("75"),
        )


def booked(live_cast, provider, appointment_type, start: datetime) -> Appointment:
    patient = factories.PatientFactory(medspa=live_cast.medspa_a, email="ana.lopez@mail.example")
    with medspa_scope(live_cast.medspa_a):
        return booking.appointment_book(
            appointment_type=appointment_type,
            start=start,
            patient=patient,
            provider=provider,
            source=Appointment.Source.ONLINE,
        )


# --- Booking ------------------------------------------------------------------------------------------------


def test_each_step_of_booking_online_fits_a_phone_and_passes_the_accessibility_check(
    live_server, page: Page, clinic
):
    location, _ = clinic
    day = day_after(3)

    page.goto(f"{live_server.url}/book/glow-a/")
    check_phone_page(page, page.get_by_role("link", name=location.name))

    page.get_by_role("link", name=location.name).click()
    check_phone_page(page, page.get_by_role("link", name="Neurotoxin · 30 min"))

    page.get_by_role("link", name="Neurotoxin · 30 min").click()
    check_phone_page(page, page.get_by_role("link", name="Anyone available"))

    page.get_by_role("link", name="Anyone available").click()
    check_phone_page(page, page.get_by_role("link", name=f"{day:%a, %b} {day.day}", exact=True))

    page.get_by_role("link", name=f"{day:%a, %b} {day.day}", exact=True).click()
    ten = page.get_by_role("link", name=re.compile(r"^10:00 AM P[SD]T$"))
    check_phone_page(page, ten)

    ten.click()
    details = page.get_by_role("region", name="5. Your details")
    expect(details).to_be_visible()
    check_phone_page(page, details.get_by_role("button", name="Confirm booking"))

    # Refused: the error is said beside its field, and read with it.
    fill_booking_details(details, "maya.chen@mail.example")
    details.get_by_label("Date of birth").fill(f"{day_after(30):%Y-%m-%d}")
    details.get_by_role("button", name="Confirm booking").click()
    details = page.get_by_role("region", name="5. Your details")
    birth = details.get_by_label("Date of birth")
    expect(birth).to_have_attribute("aria-invalid", "true")
    expect(birth).to_have_accessible_description(re.compile("cannot be in the future"))
    check_phone_page(page, details.get_by_role("button", name="Confirm booking"))

    details.get_by_label("Date of birth").fill("1990-06-15")
    details.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("status")).to_contain_text("You’re booked.")
    check_phone_page(page, page.get_by_role("button", name="Cancel my appointment"))


def test_a_time_taken_meanwhile_fits_a_phone_and_passes_the_accessibility_check(
    live_server, page: Page, live_cast, provider, clinic
):
    location, appointment_type = clinic
    day = day_after(3)
    details = book_up_to_details(page, live_server, location, day)
    fill_booking_details(details, "maya.chen@mail.example")
    booked(live_cast, provider, appointment_type, at_la(day, 10))

    details.get_by_role("button", name="Confirm booking").click()
    details = page.get_by_role("region", name="5. Your details")
    expect(details.get_by_role("alert").first).to_contain_text("taken")
    check_phone_page(page, details.locator("label", has=page.get_by_role("radio")).first)


def test_the_booking_policy_and_card_step_fits_a_phone_and_passes_the_accessibility_check(
    live_server, page: Page, card_clinic
):
    location, _ = card_clinic
    details = book_up_to_details(page, live_server, location, day_after(1))
    pay = details.get_by_role("button", name="Confirm booking and pay the $50.00 deposit")
    # Stripe's card field is one group of inputs, named and described as the page says it.
    expect(details.get_by_role("group", name="Your card")).to_have_accessible_description(
        re.compile("Your card goes to Stripe")
    )
    check_phone_page(page, pay)

    fill_booking_details(details, "maya.chen@mail.example")
    details.get_by_label("I accept the booking policy").check()
    type_card(details, "4242424242424242")
    pay.click()
    expect(page.get_by_role("status")).to_contain_text("You’re booked.")
    card = page.get_by_role("region", name="Your card on file")
    check_phone_page(page, card.get_by_role("button", name="Remove this card"))

    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Remove this card").click()
    expect(page.get_by_role("status")).to_contain_text("Your card was removed")
    expect(page.get_by_role("group", name="Card")).to_be_visible()
    check_phone_page(page, page.get_by_role("button", name="Save a card"))


# --- The manage page ----------------------------------------------------------------------------------------


def test_the_manage_page_its_reschedule_picker_and_cancelling_fit_a_phone_and_pass_the_accessibility_check(
    live_server, page: Page, live_cast, provider, clinic
):
    _, appointment_type = clinic
    appointment = booked(live_cast, provider, appointment_type, at_la(day_after(3), 10))
    new_day = day_after(4)

    page.goto(f"{live_server.url}/book/manage/{appointment.manage_token}/")
    reschedule = page.get_by_role("region", name="Reschedule")
    check_phone_page(page, reschedule.get_by_role("link", name=f"{new_day:%a, %b} {new_day.day}", exact=True))

    reschedule.get_by_role("link", name=f"{new_day:%a, %b} {new_day.day}", exact=True).click()
    reschedule = page.get_by_role("region", name="Reschedule")
    check_phone_page(page, reschedule.get_by_role("button", name="Move my appointment"))

    cancel = page.get_by_role("region", name="Cancel")
    cancel.get_by_label("Reason for cancelling").fill("Out of town that week")
    page.once("dialog", lambda dialog: dialog.accept())
    cancel.get_by_role("button", name="Cancel my appointment").click()
    expect(page.get_by_role("status")).to_have_text("Your appointment was cancelled.")
    check_phone_page(page, page.get_by_role("link", name="Book another appointment"))


def test_the_manage_page_too_late_to_change_online_fits_a_phone_and_passes_the_accessibility_check(
    live_server, page: Page, live_cast, provider, clinic
):
    _, appointment_type = clinic
    appointment_type.cancellation_window_hours = 24 * 7
    appointment_type.save(update_fields=["cancellation_window_hours"])
    appointment = booked(live_cast, provider, appointment_type, at_la(day_after(2), 10))

    page.goto(f"{live_server.url}/book/manage/{appointment.manage_token}/")
    call = page.get_by_role("region", name="Need to change this appointment?")
    expect(call).to_be_visible()
    check_phone_page(page, call.get_by_role("link"))


# --- The error pages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/book/no-such-medspa/", "/book/glow-a/no-such-location/", "/book/manage/not-a-real-link/"]
)
def test_a_booking_page_that_is_not_available_fits_a_phone_and_passes_the_accessibility_check(
    live_server, page: Page, clinic, path
):
    location, _ = clinic
    response = page.goto(live_server.url + path)
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("This page isn’t available")
    check_phone_page(page, page.get_by_role("link", name=location.name) if "glow-a" in path else None)


def test_the_rate_limited_page_fits_a_phone_and_passes_the_accessibility_check(
    live_server, page: Page, clinic, monkeypatch
):
    location, appointment_type = clinic
    monkeypatch.setattr("scheduling.views.public_booking.SLOT_LOOKUPS", ("slot-lookup-phone", 0))
    url = f"{live_server.url}/book/glow-a/{location.slug}/?type={appointment_type.pk}&provider=any"
    response = page.goto(url)
    assert response is not None and response.status == 429
    expect(page.get_by_role("heading", level=1)).to_have_text("Please wait a moment")
    check_phone_page(page)


def test_a_refused_form_post_fits_a_phone_and_passes_the_accessibility_check(live_server, page: Page, clinic):
    """The page of a post without its CSRF cookie (one a browser blocked or cleared)."""
    location, _ = clinic
    details = book_up_to_details(page, live_server, location, day_after(3))
    fill_booking_details(details, "maya.chen@mail.example")
    page.context.clear_cookies()
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        details.get_by_role("button", name="Confirm booking").click()
    assert posted.value.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Your form was not sent")
    check_phone_page(page)

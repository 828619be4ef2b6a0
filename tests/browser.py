"""Helpers shared by the Playwright browser tests (test_browser_*.py)."""

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-results"
PHONE = {"width": 390, "height": 844}  # the viewport of the phone-sized tests
SERIOUS = ("serious", "critical")  # the axe-core impacts a page may not have

axe = Axe()


def url_is(live_server, path: str) -> re.Pattern:
    """The live server's `path`, with or without a query string."""
    return re.compile(rf"^{re.escape(live_server.url + path)}(\?.*)?$")


def screenshot(page: Page, name: str) -> None:
    """Saved under test-results/ (git-ignored; pytest-playwright empties it at the start of each session)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # else the sticky top bar is drawn mid-page in a full-page shot
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now: each rule's id, impact and the
    elements it found, for the assertion's message."""
    found = axe.run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[node['target'] for node in v['nodes']]}"
        for v in found
        if v["impact"] in SERIOUS
    ]


def sign_out(page: Page) -> None:
    """Forgets the browser's session. The page is left first: a request it still has in flight (the inbox
    badge's, sent on load) would otherwise answer after the cookies are cleared and set its session again
    (every answer renews the session cookie), signing the next user's browser back in as the last one."""
    page.goto("about:blank")
    page.context.clear_cookies()


def sign_in(page: Page, live_server, user) -> None:
    """Gives the browser the session of a test client signed in as `user` (past the MFA stage, whose own
    browser test is test_browser_login.py), in place of any it had (see sign_out)."""
    sign_out(page)
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    page.context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": live_server.url}])


@contextmanager
def no_csp_violations_nor_server_errors(page: Page) -> Iterator[None]:
    """Fails the test on a script or style the Content Security Policy blocked (it would break the page
    silently) or on a 500 answer (one to an htmx request would not always show on the page). Every test's
    `page` is watched so (tests/fixtures.py); wrap the steps on any other page in it."""
    violations, errors = [], []

    def record(message):
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    def record_response(response):
        if response.status >= 500:
            errors.append(f"{response.request.method} {response.url} → {response.status}")

    page.on("console", record)
    page.on("response", record_response)
    yield
    assert violations == []
    assert errors == []


def fill_booking_details(details, email: str) -> None:
    """Maya Chen's details, with `email`, in the public booking form's "Your details" region; she asks for
    emails about her appointments."""
    details.get_by_label("First name").fill("Maya")
    details.get_by_label("Last name").fill("Chen")
    details.get_by_label("Email", exact=True).fill(email)
    details.get_by_label("Phone").fill("(619) 555-0142")
    details.get_by_label("Date of birth").fill("1990-06-15")
    details.get_by_label("Email me about my appointments").check()


def book_up_to_details(page: Page, live_server, location, day):
    """At medspa A's booking page for `location`: Neurotoxin, anyone, `day`, 10:00, each step loaded by htmx
    as a patient clicks; the "Your details" region it ends on."""
    page.goto(f"{live_server.url}/book/glow-a/{location.slug}/")
    page.get_by_role("link", name="Neurotoxin · 30 min").click()
    page.get_by_role("link", name="Anyone available").click()
    page.get_by_role("link", name=f"{day:%a, %b} {day.day}", exact=True).click()
    page.get_by_role("link", name=re.compile(r"^10:00 AM P[SD]T$")).click()
    details = page.get_by_role("region", name="5. Your details")
    expect(details).to_be_visible()
    return details


def type_card(details, number: str) -> None:
    """A test card typed into Stripe's card field, as the local Stripe server's Stripe.js stand-in shows it
    (plain inputs named by their placeholders)."""
    details.get_by_placeholder("number", exact=True).fill(number)
    details.get_by_placeholder("exp_month").fill("12")
    details.get_by_placeholder("exp_year").fill("34")
    details.get_by_placeholder("cvc").fill("123")
    details.get_by_placeholder("postal_code").fill("92101")


def draw_signature(page: Page, canvas) -> None:
    """A scribble with the mouse, as a person signs: press, move across the pad, release."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    left, top, width, height = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(left + width * 0.1, top + height * 0.6)
    page.mouse.down()
    for fx, fy in ((0.25, 0.3), (0.4, 0.7), (0.55, 0.35), (0.7, 0.65), (0.85, 0.4)):
        page.mouse.move(left + width * fx, top + height * fy, steps=6)
    page.mouse.up()


def eventually(check, *, timeout: float = 10.0):
    """Polls `check` until it returns something truthy or `timeout` seconds have passed; returns the last
    answer. Only for work that may finish after the response (emails and notifications sent after commit)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer or time.monotonic() >= deadline:
            return answer
        time.sleep(0.05)

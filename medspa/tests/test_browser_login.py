"""Signing in through a real Chromium: password, then the TOTP code (django-allauth's MFA stage); and a member
without MFA, who must set TOTP up before the portal opens."""

import re
import time
from urllib.parse import quote

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser import screenshot, url_is

pytestmark = pytest.mark.browser

MFA_AUTHENTICATE = "/accounts/2fa/authenticate/"
MFA_ACTIVATE = "/accounts/2fa/totp/activate/"
REAUTHENTICATE = "/accounts/reauthenticate/"
RECOVERY_CODES = "/accounts/2fa/recovery-codes/"


def totp_code(secret: str, *, step_offset: int = 0) -> str:
    """The authenticator code of the current 30-second step (or a neighbouring one)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + step_offset))


def a_wrong_code(secret: str) -> str:
    """A six-digit code that is valid in none of the steps around now."""
    nearby = {totp_code(secret, step_offset=offset) for offset in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222") if code not in nearby)


def sign_in_with_password(page: Page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def enter_authenticator_code(page: Page, code: str) -> None:
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign In", exact=True).click()


def test_an_admin_signs_in_with_password_and_totp_code(live_server, page: Page, live_cast):
    sign_in_with_password(page, live_server, live_cast.admin_a.email)

    expect(page).to_have_url(url_is(live_server, MFA_AUTHENTICATE))
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()

    enter_authenticator_code(page, totp_code(factories.TEST_TOTP_SECRET))

    expect(page).to_have_url(url_is(live_server, "/dashboard/"))  # an admin lands on the admin dashboard
    expect(page.get_by_role("heading", level=1)).to_have_text("Glow A")
    expect(page.locator("summary", has_text=f"Account menu for {live_cast.admin_a.email}")).to_be_visible()
    screenshot(page, "admin_signs_in_with_password_and_totp_code")


def test_a_wrong_totp_code_is_refused_and_the_user_stays_on_the_two_factor_page(
    live_server, page: Page, live_cast
):
    sign_in_with_password(page, live_server, live_cast.provider_a1.email)
    expect(page).to_have_url(url_is(live_server, MFA_AUTHENTICATE))

    enter_authenticator_code(page, a_wrong_code(factories.TEST_TOTP_SECRET))

    expect(page).to_have_url(url_is(live_server, MFA_AUTHENTICATE))
    expect(page.get_by_text("Incorrect code.")).to_be_visible()
    expect(page.get_by_label("Code")).to_have_attribute("aria-invalid", "true")

    # Half-way through sign-in is not signed in: the home page sends the browser (through the sign-in page)
    # back to the pending two-factor stage instead of opening.
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(url_is(live_server, MFA_AUTHENTICATE))
    expect(page.get_by_role("heading", name="Glow A")).to_have_count(0)
    expect(page.locator("summary", has_text="Account menu for")).to_have_count(0)

    # The stage is still usable: the right code completes the sign-in.
    enter_authenticator_code(page, totp_code(factories.TEST_TOTP_SECRET))
    # A provider lands on their own dashboard.
    expect(page).to_have_url(url_is(live_server, "/provider/patients/"))
    expect(page.locator(".brand")).to_contain_text("Glow A")
    screenshot(page, "wrong_totp_code_is_refused_then_right_code_signs_in")


def test_a_member_without_mfa_must_activate_totp_before_the_home_page_opens(
    live_server, page: Page, transactional_db
):
    medspa = factories.MedspaFactory(name="Radiance C", slug="radiance-c")
    user = factories.UserFactory(mfa=False)
    factories.MembershipFactory(user=user, medspa=medspa)

    sign_in_with_password(page, live_server, user.email)

    # Sent to set up TOTP; allauth first asks to confirm the password (MFA_REAUTHENTICATION_REQUIRED).
    expect(page).to_have_url(f"{live_server.url}{REAUTHENTICATE}?next={quote(MFA_ACTIVATE, safe='')}")
    expect(page.get_by_text("Set up two-factor authentication before you continue.")).to_be_visible()
    page.get_by_label("Password").fill(factories.TEST_PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(url_is(live_server, MFA_ACTIVATE))
    expect(page.get_by_role("heading", name="Activate Authenticator App")).to_be_visible()

    # The home page is closed until TOTP is set up.
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(url_is(live_server, MFA_ACTIVATE))
    expect(page.get_by_role("heading", name="Radiance C")).to_have_count(0)

    secret = page.get_by_label("Authenticator secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{16,}=*", secret), secret
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()

    expect(page).to_have_url(url_is(live_server, RECOVERY_CODES))
    assert factories.has_totp(user)

    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(url_is(live_server, "/provider/patients/"))
    expect(page.locator(".brand")).to_contain_text("Radiance C")
    screenshot(page, "member_activates_totp_then_home_opens")

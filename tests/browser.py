"""Helpers shared by the Playwright browser tests (test_browser_*.py)."""

import re
from pathlib import Path

from django.conf import settings
from django.test import Client
from playwright.sync_api import Page

SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-results"


def url_is(live_server, path: str) -> re.Pattern:
    """The live server's `path`, with or without a query string."""
    return re.compile(rf"^{re.escape(live_server.url + path)}(\?.*)?$")


def screenshot(page: Page, name: str) -> None:
    """Saved under test-results/ (git-ignored; pytest-playwright empties it at the start of each session)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # else the sticky top bar is drawn mid-page in a full-page shot
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def sign_in(page: Page, live_server, user) -> None:
    """Gives the browser the session of a test client signed in as `user` (past the MFA stage, whose own
    browser test is test_browser_login.py)."""
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    page.context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": live_server.url}])

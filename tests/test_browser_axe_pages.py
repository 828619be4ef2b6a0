"""Every page a member of a medspa or Portrait staff opens, checked by axe-core in a real Chromium: none may
have a violation of impact "serious" or "critical" (no rule is turned off). The main pages of each dashboard
(its tabs and its home) must also fit a phone's 390 px without scrolling sideways.

The pages are not a hand-picked list: they are every URL pattern of the permission table
(tests/test_permission_table.py, which must name every pattern of the URL conf) that answers a GET with an
HTML page to the member, with its arguments pointing at the permission table's world of medspa A (patients,
appointments, a visit and a paid sale, an open retail cart, an inventory order, a GFE request, a transition,
a bill). The members: medspa A's admin, who also treats (so both the Medspa Admin and the Provider
dashboards), a provider, a Patient Care Coordinator and a Portrait staff user. Django admin's own pages
(/admin/) are Django's and are left out; the staff's own pages (the GFE queue, inventory, transitions,
billing) are in."""

from collections import Counter
from unittest import mock

import pytest
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import Browser, Page

from medspa.dashboards import HOMES, TABS, dashboards_open_to
from medspa.tenancy import medspa_scope
from tests import factories
from tests.browser import PHONE, SERIOUS, axe, no_csp_violations_nor_server_errors, sign_in
from tests.test_permission_table import TABLE
from tests.test_permission_table import world as permission_world

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("media_and_sms")]

MEMBERS = ["admin_a", "provider_a1", "coordinator", "staff"]


@pytest.fixture
def members(live_cast) -> dict:
    """The cast's medspa A admin (a provider too), provider_a1 and Portrait staff, with a coordinator of
    medspa A, and the permission table's world built around them."""
    with transaction.atomic(), medspa_scope(live_cast.medspa_a):
        coordinator = factories.MembershipFactory(
            medspa=live_cast.medspa_a, is_provider=False, is_coordinator=True
        ).user
        # Built as the permission table's test sees it: what a commit would queue (the care messages of the
        # paid visit, which the world records as failed) is not sent.
        with mock.patch.object(transaction, "on_commit"):
            things = permission_world(live_cast)
    return {
        "users": {
            "admin_a": live_cast.admin_a,
            "provider_a1": live_cast.provider_a1,
            "coordinator": coordinator,
            "staff": live_cast.staff,
        },
        "things": things,
        "medspa": live_cast.medspa_a,
    }


def pages_of(user, things, medspa) -> list[str]:
    """Every URL of the permission table that answers `user`'s GET with a whole HTML page (not a fragment, a
    file or a redirect), in the table's order."""
    client = Client()
    client.force_login(user)
    urls = []
    for name, row in sorted(TABLE.items()):
        if row.method != "get" or name.startswith("api"):
            continue
        with medspa_scope(medspa):
            try:
                url = reverse(name, kwargs=row.kwargs(things) if row.kwargs is not dict else None)
            except NoReverseMatch:
                continue
        response = client.get(url)
        html = response.get("Content-Type", "").startswith("text/html")
        if response.status_code == 200 and html and b"<html" in response.content[:300].lower():
            urls.append(url)
    return urls


def main_pages_of(user, medspa) -> list[str]:
    """The home and the tabs of each dashboard the member holds (Portrait staff: their home)."""
    with medspa_scope(medspa):
        membership = user.memberships.filter(medspa=medspa).first()
    names = dashboards_open_to(membership)
    urls = [reverse(HOMES[name]) for name in names] or ["/"]
    for name in names:
        urls += [reverse(tab.url_name) for tab in TABS[name]]
    return list(dict.fromkeys(urls))


def serious_violations(page: Page) -> list[tuple[str, str, list]]:
    """(rule, impact, targets) of each serious or critical violation axe-core finds on the page as it is:
    its rules for WCAG A and AA and best practice as axe runs them, and its experimental rules too, which it
    leaves off unless asked (label-content-name-mismatch is one). Only the AAA rules stay off, as axe has
    them: the product's bar is WCAG 2.2 AA."""
    page.evaluate(axe.axe_script)
    experimental = page.evaluate(
        "axe.getRules(['experimental']).filter((rule) => !rule.tags.some((tag) => tag.endsWith('aaa')))"
        ".map((rule) => rule.ruleId)"
    )
    rules = {rule: {"enabled": True} for rule in experimental}
    found = axe.run(page, options={"resultTypes": ["violations"], "rules": rules}).response["violations"]
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in found if v["impact"] in SERIOUS
    ]


def open_page(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url} → {response and response.status}"
    page.wait_for_load_state("networkidle")  # the panels htmx loads on "load"


def test_no_page_of_any_member_has_a_serious_accessibility_violation_and_the_main_ones_fit_a_phone(
    live_server, browser: Browser, members
):
    """One walk for all four members: the world behind it takes long to build."""
    problems, rules, walked = [], Counter(), {}
    for who, user in members["users"].items():
        urls = pages_of(user, members["things"], members["medspa"])
        walked[who] = len(urls)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        sign_in(page, live_server, user)
        with no_csp_violations_nor_server_errors(page):
            for url in urls:
                open_page(page, live_server.url + url)
                for rule, impact, targets in serious_violations(page):
                    rules[rule] += len(targets)
                    problems.append(f"{who} {url}: {rule} ({impact}) at {targets}")
                    print(problems[-1], flush=True)
        context.close()

        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        page = context.new_page()
        sign_in(page, live_server, user)
        with no_csp_violations_nor_server_errors(page):
            for url in main_pages_of(user, members["medspa"]):
                open_page(page, live_server.url + url)
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > PHONE["width"]:
                    problems.append(f"{who} {url} is {width} px wide at 390 px: it scrolls sideways")
                for rule, impact, targets in serious_violations(page):
                    rules[rule] += len(targets)
                    problems.append(f"{who} {url} at 390 px: {rule} ({impact}) at {targets}")
        context.close()
    print(f"\nPages walked: {walked}; serious or critical violations (elements) by rule: {dict(rules)}")
    assert walked["admin_a"] >= 60 and walked["provider_a1"] >= 30, walked
    assert walked["coordinator"] >= 3 and walked["staff"] >= 10, walked
    assert problems == [], "\n".join(problems)

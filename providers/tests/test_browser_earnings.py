"""The earnings pages on a phone, in a real Chromium at 390 × 844: the month chart fits the screen (its box
inside the viewport, drawn at its full width-to-height ratio) and the page does not scroll sideways; the
chart's figures are also a table. The provider's own page and the admin's page of every provider."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from medspa.tenancy import medspa_scope
from providers.selectors import charts
from providers.services import charting, checkout, settlement
from tests import factories
from tests.browser import PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("media_and_sms")]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True}


@pytest.fixture
def paid_visit(live_cast):
    """A visit of provider_a1 paid today ($300 in cash), so the chart has a bar."""
    medspa, user = live_cast.medspa_a, live_cast.provider_a1
    with medspa_scope(medspa):
        membership = user.memberships.get()
        world = factories.charting_world(medspa, membership)
        visit = charting.visit_start_walk_in(
            patient=world.patient, provider=membership, location=world.location, by=user
        )
        charting.visit_service_add(visit=visit, service=world.service)
        for need in charts.consents_needed(visit):
            charting.visit_consent_sign(
                visit=visit, version=need.version, signature_png=factories.png_signature(), by=user, ip=None
            )
        return checkout.visit_checkout(
            visit=visit, tenders=[settlement.Tender("cash", Decimal("300"))], by=user
        )


@pytest.mark.parametrize(
    ("who", "path"), [("provider_a1", "/provider/earnings/"), ("admin_a", "/dashboard/earnings/")]
)
def test_the_earnings_chart_fits_a_phone(live_server, page: Page, live_cast, paid_visit, who, path):
    sign_in(page, live_server, live_cast.user(who))
    page.goto(live_server.url + path)
    chart = page.get_by_role("img", name="revenue by month")
    chart.scroll_into_view_if_needed()
    expect(chart).to_be_in_viewport(ratio=1)
    box = chart.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert box["width"] >= 300 and abs(box["width"] / box["height"] - 720 / 280) < 0.05, box  # not squashed
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The chart's figures, as a table too.
    page.get_by_text("The chart's figures as a table").click()
    expect(page.locator(".earnings-chart table")).to_contain_text("$300.00")

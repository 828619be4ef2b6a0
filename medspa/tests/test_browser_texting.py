"""A patient's text reaches the inbox and the admin answers it, through a real Chromium: the menu's unread
badge, the thread list, the thread marked read when opened, and the reply sent from it."""

import pytest
from django.test import Client
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect
from twilio.request_validator import RequestValidator

from medspa.messaging import sms
from tests import factories
from tests.browser import screenshot, sign_in, url_is

pytestmark = pytest.mark.browser

TOKEN = "twilio-browser-test-token"
NUMBER = "+16195550100"


@pytest.fixture(autouse=True)
def _texts(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.SMS_BACKEND = "medspa.messaging.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def test_an_admin_reads_a_patients_text_and_replies(live_server, page: Page, live_cast):
    medspa = live_cast.medspa_a
    with scopes_disabled():
        medspa.sms_number = NUMBER
        medspa.save(update_fields=["sms_number"])
    factories.PatientFactory(medspa=medspa, first_name="Ana", last_name="Lopez", phone="619-555-0123")
    data = {"MessageSid": "SM" + "1" * 32, "From": "+16195550123", "To": NUMBER, "Body": "Can I come Friday?"}
    url = "http://testserver/webhooks/twilio/inbound/"
    signature = RequestValidator(TOKEN).compute_signature(url, data)
    assert Client().post(url, data, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 200

    sign_in(page, live_server, live_cast.admin_a)
    page.goto(f"{live_server.url}/dashboard/")
    inbox_tab = page.get_by_role("navigation").get_by_role("link", name="Inbox")
    expect(inbox_tab.get_by_label("1 unread")).to_be_visible()  # htmx fetched the badge
    inbox_tab.click()
    expect(page).to_have_url(url_is(live_server, "/inbox/"))
    screenshot(page, "texting-inbox")
    page.get_by_role("link", name="Lopez, Ana").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Texts with Ana Lopez")
    expect(page.get_by_text("Can I come Friday?")).to_be_visible()

    page.get_by_label("Reply").fill("Friday at 3 works. See you then!")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Your reply was sent.")).to_be_visible()
    expect(page.get_by_text("Friday at 3 works. See you then!")).to_be_visible()
    expect(inbox_tab.get_by_label("1 unread")).to_have_count(0)  # reading the thread marked it read
    screenshot(page, "texting-thread")
    assert [(sent["to"], sent["body"]) for sent in sms.outbox] == [
        ("+16195550123", "Friday at 3 works. See you then!")
    ]

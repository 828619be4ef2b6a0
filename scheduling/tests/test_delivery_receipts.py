"""Twilio's delivery receipts: a status callback is believed only when Twilio signed it; it updates the
status of the appointment's text it names (in order, once, and never for an older send); a text that failed
on the way shows on the provider's To-Do, and "Send again" sends it once more, once per click. Twilio is the
loopback server (tests/twilio_server.py), the app the Django test client."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from medspa.tenancy import medspa_scope
from providers.selectors.todo import todo_of
from scheduling.models import NotificationLog
from scheduling.services import booking, notifications
from tests import factories
from tests.twilio_server import doc, signed_callback


@pytest.fixture
def sent(cast, provider, twilio, settings):
    """A confirmation texted through Twilio: the loopback server's message and the log row."""
    settings.SITE_URL = "http://testserver"  # the address the test client's requests are signed for
    location, appointment_type = factories.scheduling_world(cast.medspa_a, [provider])
    start = datetime.combine(timezone.now().date() + timedelta(days=3), time(17), tzinfo=UTC)
    with medspa_scope(cast.medspa_a):
        patient = factories.PatientFactory(medspa=cast.medspa_a, phone="+16195550123", consent_sms=True)
        appointment = booking.appointment_book(
            appointment_type=appointment_type, start=start, patient=patient, provider=provider
        )
        notifications.appointment_notify(appointment_id=appointment.pk, kind="confirmation")
        row = NotificationLog.objects.get(appointment=appointment, channel="sms")
    (message,) = twilio.messages
    return message, row


def callback(client, message, status, **extra):
    """Twilio's status callback about `message`, signed as Twilio signs it."""
    params = {
        **doc("status_callback_delivered"),
        "MessageSid": message["sid"],
        "SmsSid": message["sid"],
        "MessageStatus": status,
        "SmsStatus": status,
        **extra,
    }
    form, headers = signed_callback(message["StatusCallback"], params)
    return client.post(message["StatusCallback"], form, **headers)


def state(row):
    with medspa_scope(row.medspa_id):
        row.refresh_from_db()
    return row.status, row.delivery_status, row.error_code


def test_the_text_asks_twilio_to_report_to_its_own_row(sent):
    message, row = sent
    assert (
        message["StatusCallback"]
        == f"http://testserver/webhooks/twilio/status/scheduling.notificationlog/{row.pk}/"
    )
    assert state(row) == ("sent", "queued", None) and row.provider_id == message["sid"]


def test_an_unsigned_or_forged_callback_is_refused(client, sent):
    message, row = sent
    params = {**doc("status_callback_delivered"), "MessageSid": message["sid"], "MessageStatus": "delivered"}
    assert client.post(message["StatusCallback"], params).status_code == 403  # unsigned
    form, headers = signed_callback(message["StatusCallback"], params, token="not-the-auth-token")
    assert client.post(message["StatusCallback"], form, **headers).status_code == 403  # forged
    form, headers = signed_callback(message["StatusCallback"], params)
    tampered = {**form, "MessageStatus": "failed"}  # signed, then changed on the way
    assert client.post(message["StatusCallback"], tampered, **headers).status_code == 403
    assert client.get(message["StatusCallback"]).status_code == 405
    assert state(row) == ("sent", "queued", None)


def test_receipts_move_the_status_forward_only_and_once(client, sent):
    message, row = sent
    assert callback(client, message, "sent").status_code == 204
    assert state(row) == ("sent", "sent", None)
    assert callback(client, message, "delivered").status_code == 204
    assert state(row) == ("sent", "delivered", None)
    assert callback(client, message, "sent").status_code == 204  # late: delivered stays delivered
    assert callback(client, message, "delivered").status_code == 204  # the same again: nothing more
    assert callback(client, message, "sending").status_code == 204  # a step the log does not keep
    assert state(row) == ("sent", "delivered", None)


def test_a_receipt_for_another_sid_or_row_changes_nothing(client, sent):
    message, row = sent
    other = {**message, "sid": "SM" + "f" * 32}
    assert callback(client, other, "undelivered", ErrorCode="30003").status_code == 204
    assert state(row) == ("sent", "queued", None)
    unknown = {**message, "StatusCallback": message["StatusCallback"].replace("notificationlog", "patient")}
    assert callback(client, unknown, "delivered").status_code == 404


def test_an_undelivered_text_shows_on_the_to_do_and_send_again_sends_it_once(
    client, client_as, sent, provider, twilio, caplog
):
    message, row = sent
    assert callback(client, message, "undelivered", ErrorCode="30003").status_code == 204
    assert state(row) == ("failed", "undelivered", 30003)
    with medspa_scope(row.medspa_id):
        todo = todo_of(provider, provider.medspa)
    (section,) = [section for section in todo.sections if section.key == "notifications"]
    (item,) = section.items
    assert "30003" in item.text and item.resend_url == reverse("providers:notification_resend", args=[row.pk])

    staff = client_as("provider_a1")
    page = staff.get(reverse("providers:todo"))
    assert item.resend_url in page.content.decode() and "Send again" in page.content.decode()
    with caplog.at_level("INFO", logger="providers.views.todo"):
        answer = staff.post(item.resend_url, follow=True)
    assert "was sent" in answer.content.decode()
    assert f"NotificationLog {row.pk}: Send again by user {provider.user.pk}" in caplog.text
    with medspa_scope(row.medspa_id):
        row.refresh_from_db()
    assert row.resent_by == provider.user and row.resent_at is not None
    assert len(twilio.messages) == 2
    again = twilio.messages[1]
    assert state(row) == ("sent", "queued", None) and row.provider_id == again["sid"]
    answer = staff.post(item.resend_url, follow=True)  # a second click: nothing is waiting any more
    assert "not waiting to be sent again" in answer.content.decode()
    assert len(twilio.messages) == 2

    # The first send's late receipt does not touch the new one; the new one's does.
    assert callback(client, message, "failed", ErrorCode="30008").status_code == 204
    assert state(row) == ("sent", "queued", None)
    assert callback(client, again, "delivered").status_code == 204
    assert state(row) == ("sent", "delivered", None)


def test_twilio_reports_over_http_to_the_live_app(live_cast, live_server, twilio, settings):
    """The whole round trip on real sockets: the text goes to the loopback Twilio, which POSTs its signed
    receipts to the running app; a receipt signed with another token is refused."""
    settings.SITE_URL = live_server.url
    with scopes_disabled():
        provider = live_cast.provider_a1.memberships.get()
    location, appointment_type = factories.scheduling_world(live_cast.medspa_a, [provider])
    start = datetime.combine(timezone.now().date() + timedelta(days=3), time(17), tzinfo=UTC)
    with medspa_scope(live_cast.medspa_a):
        patient = factories.PatientFactory(medspa=live_cast.medspa_a, phone="+16195550123", consent_sms=True)
        appointment = booking.appointment_book(
            appointment_type=appointment_type, start=start, patient=patient, provider=provider
        )
        notifications.appointment_notify(appointment_id=appointment.pk, kind="confirmation")
        row = NotificationLog.objects.get(appointment=appointment, channel="sms")
    (message,) = twilio.messages
    assert message["StatusCallback"].startswith(live_server.url)
    assert twilio.report(message, "sent") == 204
    assert twilio.report(message, "delivered") == 204
    assert state(row) == ("sent", "delivered", None)
    settings.TWILIO_AUTH_TOKEN = "another-token"  # the app now expects another account's signature
    assert twilio.report(message, "undelivered", ErrorCode="30003") == 403
    assert state(row) == ("sent", "delivered", None)

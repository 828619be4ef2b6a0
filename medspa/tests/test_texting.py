"""Two-way texting: Twilio's signed webhook files each text once in its medspa's inbox, threaded by patient
(an unknown sender kept too); STOP stops every later text (START lets them go again) and HELP is answered;
the inbox shows each member the threads they may open, with unread counts, replies and the access log."""

from datetime import UTC, date, datetime, time
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled
from twilio.request_validator import RequestValidator

from medspa.messaging import opt_out, sms
from medspa.models import Patient, PatientAccessLog, TextMessage, TextThread
from medspa.tenancy import medspa_scope
from medspa.tests import factories as core_factories
from providers.models import CareMessageLog
from providers.services import care_messages
from providers.tests.factories import CareMessageLogFactory
from scheduling.models import NotificationLog
from scheduling.services import booking, notifications
from tests import factories

TOKEN = "twilio-test-auth-token"
URL = "http://testserver/webhooks/twilio/inbound/"
NUMBER_A, NUMBER_B = "+16195550100", "+13105550100"
DANA = "+16195550123"
LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
DAY = date(2027, 3, 10)


@pytest.fixture(autouse=True)
def _texting(settings, cast):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.SMS_BACKEND = "medspa.messaging.sms.LocmemSmsBackend"
    with scopes_disabled():
        cast.medspa_a.sms_number = NUMBER_A
        cast.medspa_a.save(update_fields=["sms_number"])
        cast.medspa_b.sms_number = NUMBER_B
        cast.medspa_b.save(update_fields=["sms_number"])
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def dana(cast, provider):
    """A patient of medspa A, her phone written as people type it, looked after by provider_a1."""
    patient = factories.PatientFactory(
        medspa=cast.medspa_a, first_name="Dana", phone="(619) 555-0123", consent_sms=True
    )
    core_factories.PatientProviderFactory(patient=patient, membership=provider)
    return patient


_sids = iter(range(1, 10_000))


def params(body="Can I come at 3 instead?", *, sender=DANA, to=NUMBER_A, sid=None, **extra) -> dict:
    return {
        "MessageSid": sid or f"SM{next(_sids):032d}",
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        **extra,
    }


def inbound(client, data: dict, *, signature: str | None = None):
    if signature is None:
        signature = RequestValidator(TOKEN).compute_signature(URL, data)
    return client.post("/webhooks/twilio/inbound/", data, HTTP_X_TWILIO_SIGNATURE=signature)


def texts_of(medspa):
    with medspa_scope(medspa):
        return list(TextMessage.objects.select_related("thread").order_by("pk"))


def refreshed(patient) -> Patient:
    with scopes_disabled():
        return Patient.objects.get(pk=patient.pk)


# --- The webhook --------------------------------------------------------------------------------------------


def test_a_signed_reply_lands_in_the_patients_thread(client, cast, dana):
    response = inbound(client, params("Running 5 min late"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert b"<Message>" not in response.content  # an ordinary text is not answered automatically
    [text] = texts_of(cast.medspa_a)
    assert (text.direction, text.body, str(text.from_number), str(text.to_number)) == (
        "in",
        "Running 5 min late",
        DANA,
        NUMBER_A,
    )
    assert text.thread.patient_id == dana.pk and text.read_at is None
    assert texts_of(cast.medspa_b) == []


def test_unsigned_and_forged_requests_are_refused(client, cast, dana):
    data = params()
    assert client.post("/webhooks/twilio/inbound/", data).status_code == 403
    assert inbound(client, data, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    tampered = RequestValidator(TOKEN).compute_signature(URL, {**data, "Body": "something else"})
    assert inbound(client, data, signature=tampered).status_code == 403
    assert client.get("/webhooks/twilio/inbound/").status_code == 405
    assert texts_of(cast.medspa_a) == []


def test_a_retried_webhook_is_stored_once(client, cast, dana):
    data = params("Hello?")
    assert inbound(client, data).status_code == 200
    assert inbound(client, data).status_code == 200
    assert len(texts_of(cast.medspa_a)) == 1


def test_an_unknown_sender_gets_a_thread_of_their_own(client, cast, dana):
    inbound(client, params("Do you do lip filler?", sender="+14155550199"))
    [text] = texts_of(cast.medspa_a)
    assert text.thread.patient_id is None and str(text.thread.phone) == "+14155550199"


def test_a_number_no_medspa_holds_is_answered_empty_and_kept_nowhere(client, cast, dana, caplog):
    response = inbound(client, params(to="+12125550100"))
    assert response.status_code == 200 and b"<Message>" not in response.content
    assert "no medspa holds" in caplog.text
    with scopes_disabled():
        assert not TextMessage.objects.exists()


def test_each_medspa_gets_the_texts_to_its_own_number(client, cast, dana):
    inbound(client, params("for B", to=NUMBER_B))
    [text] = texts_of(cast.medspa_b)
    assert text.thread.patient_id is None  # Dana is medspa A's patient, not B's
    assert texts_of(cast.medspa_a) == []


# --- STOP / START / HELP ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("STOP", "STOP"),
        (" stop ", "STOP"),
        ("Unsubscribe", "STOP"),
        ("STOPALL", "STOP"),
        ("quit.", "STOP"),
        ("start", "START"),
        ("UNSTOP", "START"),
        ("yes", "START"),
        ("help", "HELP"),
        ("INFO", "HELP"),
        ("stop by at 3?", ""),
        ("Yes please, 3pm works", ""),
    ],
)
def test_keywords_are_whole_messages(body, keyword):
    assert opt_out.keyword_of(body) == keyword


def test_advanced_opt_out_type_is_believed():
    assert opt_out.keyword_of("ARRET", "STOP") == "STOP"


@pytest.fixture
def booked(cast, provider):
    location, appointment_type = factories.scheduling_world(cast.medspa_a, [provider])
    return SimpleNamespace(location=location, type=appointment_type)


def notify_new_appointment(cast, provider, booked, patient, hour):
    with medspa_scope(cast.medspa_a):
        appointment = booking.appointment_book(
            appointment_type=booked.type,
            start=datetime.combine(DAY, time(hour), tzinfo=LA),
            patient=patient,
            provider=provider,
            now=NOW,
        )
        notifications.appointment_notify(appointment_id=appointment.pk, kind="confirmation", now=NOW)
        return NotificationLog.objects.get(appointment=appointment, channel="sms")


def test_stop_stops_every_later_text_and_start_lets_them_go_again(client, cast, provider, dana, booked):
    response = inbound(client, params("STOP"))
    assert response.status_code == 200
    assert b"<Message>" not in response.content  # Twilio confirms a STOP itself, and refuses a reply
    dana = refreshed(dana)
    assert dana.sms_opted_out_at is not None and dana.sms_opt_out_keyword == "STOP"
    assert dana.consent_sms is False

    row = notify_new_appointment(cast, provider, booked, dana, 10)
    assert (row.status, row.detail) == (NotificationLog.Status.SKIPPED, opt_out.OPTED_OUT)
    assert sms.outbox == []

    # An admin ticking "consents to SMS" again does not override the patient's own STOP.
    with scopes_disabled():
        Patient.objects.filter(pk=dana.pk).update(consent_sms=True)
    assert opt_out.patient_sms_refusal(refreshed(dana)) == opt_out.OPTED_OUT

    response = inbound(client, params("START"))
    assert b"you will receive our texts again" in response.content
    dana = refreshed(dana)
    assert dana.sms_opted_out_at is None and dana.consent_sms is True
    row = notify_new_appointment(cast, provider, booked, dana, 11)
    assert row.status == NotificationLog.Status.SENT
    assert [message["to"] for message in sms.outbox] == [DANA]  # in E.164, not as typed


def test_stop_skips_a_text_already_owed_to_the_patient(client, cast, provider, dana, booked, twilio):
    twilio.status = 503  # Twilio is down for a moment: the row waits for its retry
    row = notify_new_appointment(cast, provider, booked, dana, 10)
    assert row.status == NotificationLog.Status.PENDING and row.next_attempt_at is not None
    inbound(client, params("STOP"))
    with medspa_scope(cast.medspa_a):
        row.refresh_from_db()
    assert (row.status, row.detail, row.next_attempt_at) == (
        NotificationLog.Status.SKIPPED,
        opt_out.OPTED_OUT,
        None,
    )


def test_stop_skips_a_care_message_text_waiting_for_its_retry(client, cast, dana):
    row = CareMessageLogFactory(
        medspa=cast.medspa_a,
        visit__patient=dana,
        channel="sms",
        status=CareMessageLog.Status.FAILED,
        attempts=1,
        next_attempt_at=NOW,
    )
    email = CareMessageLogFactory(
        medspa=cast.medspa_a, visit=row.visit, channel="email", next_attempt_at=NOW, version=row.version
    )
    inbound(client, params("STOP"))
    with medspa_scope(cast.medspa_a):
        row.refresh_from_db()
        email.refresh_from_db()
    skipped = (CareMessageLog.Status.SKIPPED, opt_out.OPTED_OUT, None)
    assert (row.status, row.detail, row.next_attempt_at) == skipped
    assert email.status == CareMessageLog.Status.PENDING  # only texts stop


def test_stop_is_honoured_by_care_messages_too(client, dana):
    inbound(client, params("stop"))
    assert care_messages._skip_reason(refreshed(dana), care_messages.SMS) == opt_out.OPTED_OUT


def test_stop_from_an_unknown_number_is_kept_on_its_thread(client, cast, dana):
    inbound(client, params("STOP", sender="+14155550199"))
    with medspa_scope(cast.medspa_a):
        thread = TextThread.objects.get(phone="+14155550199")
    assert thread.opted_out_at is not None
    assert refreshed(dana).sms_opted_out_at is None


def test_help_is_answered_with_the_medspa_and_how_to_stop(client, cast, dana):
    response = inbound(client, params("HELP"))
    assert b"<Response><Message>Glow A:" in response.content
    assert b"Reply STOP to opt out" in response.content
    # Under Twilio's Advanced Opt-Out Twilio has answered already: we do not answer twice.
    response = inbound(client, params("HELP", OptOutType="HELP"))
    assert b"<Message>" not in response.content
    assert len(texts_of(cast.medspa_a)) == 2  # both kept in the thread


# --- The inbox ----------------------------------------------------------------------------------------------


@pytest.fixture
def threads(client, cast, dana):
    """Dana's thread (provider_a1's patient) and an unknown sender's in medspa A; one in medspa B."""
    inbound(client, params("Can I move to Friday?"))
    inbound(client, params("And bring a friend?"))
    inbound(client, params("Prices?", sender="+14155550199"))
    inbound(client, params("Hello B", sender="+14155550111", to=NUMBER_B))
    with scopes_disabled():
        return SimpleNamespace(
            dana=TextThread.objects.get(patient=dana),
            stranger=TextThread.objects.get(medspa=cast.medspa_a, patient=None),
            other=TextThread.objects.get(medspa=cast.medspa_b),
        )


def open_in(client, dashboard: str):
    client.post(reverse("dashboard_switch"), {"to": dashboard})


def test_who_opens_which_thread(client_as, threads):
    expected = {  # the member: (Dana's thread, the unknown sender's, medspa B's)
        "admin_a": (200, 200, 404),
        "provider_a1": (200, 404, 404),
        "provider_a2": (404, 404, 404),
        "admin_b": (404, 404, 200),
        "provider_b": (404, 404, 404),
    }
    for name, statuses in expected.items():
        client = client_as(name)
        got = tuple(
            client.get(reverse("texting_thread", args=[thread.pk])).status_code
            for thread in (threads.dana, threads.stranger, threads.other)
        )
        assert got == statuses, name
    assert client_as("staff").get(reverse("texting_inbox")).status_code == 403
    assert client_as("anonymous").get(reverse("texting_inbox")).status_code == 302


def test_a_provider_in_the_admin_dashboard_sees_everything_and_in_their_own_only_their_patients(
    client_as, threads
):
    admin = client_as("admin_a")  # admin_a is a provider too, with no patients of their own
    page = admin.get(reverse("texting_inbox")).content.decode()
    assert "Dana" in page and "not a patient on file" in page
    open_in(admin, "provider")
    page = admin.get(reverse("texting_inbox")).content.decode()
    assert "Dana" not in page and "No texts yet" in page
    assert admin.get(reverse("texting_thread", args=[threads.dana.pk])).status_code == 404


def test_unread_counts_in_the_menu_and_the_list_and_reading_clears_them(client_as, threads, cast, dana):
    admin = client_as("admin_a")
    page = admin.get(reverse("texting_inbox")).content.decode()
    assert reverse("texting_unread") in page  # the menu's badge, fetched by htmx
    assert 'aria-label="2 unread"' in page  # Dana's thread
    assert 'aria-label="3 unread"' in admin.get(reverse("texting_unread")).content.decode()  # all of A's
    provider = client_as("provider_a1")
    assert reverse("texting_unread") in provider.get(reverse("providers:patients")).content.decode()
    assert 'aria-label="2 unread"' in provider.get(reverse("texting_unread")).content.decode()
    assert "unread" not in client_as("provider_a2").get(reverse("texting_unread")).content.decode()
    assert 'aria-label="1 unread"' in client_as("admin_b").get(reverse("texting_unread")).content.decode()

    response = provider.get(reverse("texting_thread", args=[threads.dana.pk]))
    assert "Can I move to Friday?" in response.content.decode()
    with medspa_scope(cast.medspa_a):
        read = TextMessage.objects.filter(thread=threads.dana)
        assert all(text.read_at and text.read_by_id == cast.provider_a1.pk for text in read)
        assert PatientAccessLog.objects.filter(
            patient=dana, actor=cast.provider_a1, viewed="Texting inbox: thread"
        ).exists()
    page = admin.get(reverse("texting_inbox")).content.decode()
    assert 'aria-label="1 unread"' in page and 'aria-label="2 unread"' not in page
    with medspa_scope(cast.medspa_a):
        assert PatientAccessLog.objects.filter(
            patient=dana, actor=cast.admin_a, viewed="Texting inbox"
        ).exists()


def test_a_reply_goes_from_the_thread_and_is_kept(client_as, threads, cast):
    provider = client_as("provider_a1")
    url = reverse("texting_thread", args=[threads.dana.pk])
    response = provider.post(url, {"body": "Friday at 3 works. See you then!"})
    assert response.status_code == 302
    (sent,) = sms.outbox  # from the medspa's own number, the one Dana texted
    assert (sent["to"], sent["from"], sent["body"]) == (DANA, NUMBER_A, "Friday at 3 works. See you then!")
    with medspa_scope(cast.medspa_a):
        reply = TextMessage.objects.get(direction="out")
    assert reply.provider_sid == sent["sid"]
    assert (reply.sent_by_id, str(reply.to_number), str(reply.from_number), reply.failure) == (
        cast.provider_a1.pk,
        DANA,
        NUMBER_A,
        "",
    )
    assert "Friday at 3 works" in provider.get(url).content.decode()
    assert provider.post(url, {"body": "  "}).status_code == 400
    assert client_as("provider_a2").post(url, {"body": "hi"}).status_code == 404
    assert client_as("admin_b").post(url, {"body": "hi"}).status_code == 404
    assert len(sms.outbox) == 1


def test_no_reply_goes_to_someone_who_texted_stop(client, client_as, threads, cast):
    inbound(client, params("STOP"))
    url = reverse("texting_thread", args=[threads.dana.pk])
    admin = client_as("admin_a")
    assert "No reply can be sent" in admin.get(url).content.decode()
    assert admin.post(url, {"body": "Are you sure?"}).status_code == 400
    assert sms.outbox == []


def test_a_failed_reply_is_kept_with_why(client_as, threads, cast, twilio):
    twilio.status = 401  # Twilio refuses the account's credentials (code 20003)
    response = client_as("admin_a").post(reverse("texting_thread", args=[threads.dana.pk]), {"body": "Hi"})
    assert response.status_code == 302
    with medspa_scope(cast.medspa_a):
        reply = TextMessage.objects.get(direction="out")
    assert "20003" in reply.failure and reply.provider_sid is None


def test_the_inbox_pages(client_as, cast, dana):
    assert "No texts yet" in client_as("admin_a").get(reverse("texting_inbox")).content.decode()
    with scopes_disabled():
        for n in range(30):
            core_factories.TextThreadFactory(medspa=cast.medspa_a, patient=None, phone=f"+1415555{n:04d}")
    page = client_as("admin_a").get(reverse("texting_inbox")).content.decode()
    assert "30 conversations" in page and "Page 1 of 2" in page


def test_the_patients_profile_says_they_texted_stop(client, client_as, dana):
    inbound(client, params("Stop"))
    page = client_as("admin_a").get(reverse("dashboard_patient_detail", args=[dana.pk])).content.decode()
    assert "stopped: the patient texted STOP" in page


def test_the_badge_of_a_member_still_to_set_up_mfa_is_refused_not_redirected(client, client_as, cast):
    """The menu's badge asks for its count by itself (htmx): for a member who must still set up two-factor
    authentication it is a 403, never the set-up page swapped into the menu, and the page's own warning is
    left for the page."""
    user = factories.UserFactory(mfa=False)
    factories.MembershipFactory(user=user, medspa=cast.medspa_a)
    client.force_login(user)
    badge = client.get(reverse("texting_unread"), HTTP_HX_REQUEST="true")
    assert badge.status_code == 403 and b"<html" not in badge.content
    page = client.get(reverse("texting_inbox"), follow=True)
    assert "Set up two-factor authentication before you continue." in page.content.decode()
    assert client_as("admin_a").get(reverse("texting_unread"), HTTP_HX_REQUEST="true").status_code == 200

"""The OpenPhone / TigerConnect / Acuity clients against a loopback stub that speaks their documented APIs
(transition/tests/vendor_docs) and fails like them: 500s, 429 with Retry-After, answers too late. Our client
is never mocked."""

import time
from datetime import date, datetime

import httpx
import pytest

from tests.stub_server import AC, OP, OPENPHONE_KEY, TC
from transition.integrations import IntegrationError, NotConfigured
from transition.integrations import acuity as acuity_module
from transition.integrations.acuity import AcuityClient, PageFull
from transition.integrations.base import BaseClient, retry_after_seconds
from transition.integrations.openphone import OpenPhoneClient
from transition.integrations.tigerconnect import TigerConnectClient

TIMEOUT = 0.4


@pytest.fixture
def configured(configured, settings):
    """The shared set-up (tests/fixtures.py) with a shorter timeout, three attempts, a capped Retry-After,
    and the vendors' state seeded."""
    settings.INTEGRATION_TIMEOUT_SECONDS = TIMEOUT
    settings.INTEGRATION_MAX_ATTEMPTS = 3
    settings.INTEGRATION_RETRY_AFTER_CAP_SECONDS = 2
    stub = configured
    stub.state.phone_numbers["PN1"] = {
        "id": "PN1",
        "number": "+15555550100",
        "formattedNumber": "(555) 555-0100",
        "name": "Glow medspa",
        "portingStatus": "completed",
        "users": [],
    }
    stub.state.tc_groups["G1"] = "active"
    stub.state.calendars.extend(
        [
            {"id": 11, "name": "Dr Ana Reyes", "email": "ana@example.com", "timezone": "America/New_York"},
            {"id": 12, "name": "Other medspa", "email": "x@example.com", "timezone": "America/Chicago"},
        ]
    )
    stub.state.appointment_types.append(
        {"id": 501, "name": "Botox", "duration": 30, "active": True, "calendarIDs": [11]}
    )
    return stub


GROUP = f"{TC}/v2/group/G1/"


def acuity_row(id, when, *, calendar_id=11, canceled=False, forms=()):
    return {
        "id": id,
        "datetime": when,
        "duration": "30",
        "calendarID": calendar_id,
        "calendar": "Dr Ana Reyes",
        "appointmentTypeID": 501,
        "type": "Botox",
        "firstName": "Jo",
        "lastName": "Patient",
        "email": "jo@example.com",
        "phone": "5555550111",
        "notes": "",
        "canceled": canceled,
        "forms": list(forms),
    }


# --- configuration -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("client_class", [OpenPhoneClient, TigerConnectClient, AcuityClient])
def test_without_settings_a_client_is_not_configured_and_sends_nothing(settings, stub, client_class):
    for name in (
        "OPENPHONE_API_URL", "OPENPHONE_API_KEY", "TIGERCONNECT_API_URL", "TIGERCONNECT_API_KEY",
        "TIGERCONNECT_API_SECRET", "ACUITY_API_URL", "ACUITY_USER_ID", "ACUITY_API_KEY",
    ):  # fmt: skip
        setattr(settings, name, "")
    with pytest.raises(NotConfigured, match="not configured"):
        client_class()
    assert stub.requests == []


def test_a_url_without_its_key_is_not_configured(configured, settings):
    settings.ACUITY_API_KEY = ""
    with pytest.raises(NotConfigured, match="ACUITY_API_KEY"):
        AcuityClient()


# --- success paths -----------------------------------------------------------------------------------------
def test_openphone_reads_a_number_and_a_number_gone_from_the_workspace_is_none(configured):
    with OpenPhoneClient() as client:
        number = client.get_phone_number("PN1")
        assert client.number_in_workspace("PN1") == number
        del configured.state.phone_numbers["PN1"]  # OpenPhone support moved it to the provider's workspace
        assert client.number_in_workspace("PN1") is None

    assert (number.number, number.formatted_number, number.name, number.group_id) == (
        "+15555550100",
        "(555) 555-0100",
        "Glow medspa",
        "1234",  # from the documentation's example
    )
    sent = configured.requests_to("GET", f"{OP}/phone-numbers/PN1")[0]
    assert sent.headers["authorization"] == OPENPHONE_KEY  # the bare key, as OpenPhone documents
    assert sent.idempotency_key is None  # reads: none
    assert [r.method for r in configured.requests] == ["GET"] * 3  # the only operation: reading the number


def test_openphone_client_offers_no_transfer_call():
    """OpenPhone's public API cannot transfer a number (its support does): the client has no such call."""
    assert not any("transfer" in name for name in dir(OpenPhoneClient))


def test_tigerconnect_deletes_the_group_as_documented(configured):
    with TigerConnectClient() as client:
        assert client.delete_group("G1") is True
        assert client.delete_group("G1") is False  # gone already: 404, which counts as deleted
    assert configured.state.tc_groups == {"G1": "deleted"}
    first, again = configured.requests_to("DELETE", GROUP)
    assert first.headers["authorization"].startswith("Basic ")
    assert first.headers["tt-x-organization-key"] == "ORG1"
    assert first.idempotency_key is None  # TigerConnect documents none
    assert configured.state.effects == ["tigerconnect group G1"]


def test_acuity_lists_future_appointments_types_and_calendars(configured):
    intake = [{"id": 1, "name": "Intake", "values": [
        {"id": 7, "fieldID": 1, "name": "Allergies?", "value": "Latex"},
        {"id": 8, "fieldID": 2, "name": "Goal", "value": ""},
    ]}]  # fmt: skip
    configured.state.appointments.extend(
        [
            acuity_row(1, "2026-02-03T14:00:00-0500"),
            acuity_row(2, "2026-02-01T09:30:00-0500", forms=intake),
            acuity_row(3, "2026-02-02T10:00:00-0500", canceled=True),
            acuity_row(4, "2026-03-15T10:00:00-0400"),  # after the range
            acuity_row(5, "2026-02-02T10:00:00-0600", calendar_id=12),  # another calendar
        ]
    )
    with AcuityClient() as client:
        appointments = client.list_appointments(date(2026, 2, 1), date(2026, 2, 28), calendar_id=11)
        types = client.list_appointment_types()
        calendars = client.list_calendars()

    assert [a.id for a in appointments] == [2, 1]  # earliest first, cancelled and out-of-range left out
    first = appointments[0]
    assert first.start == datetime.fromisoformat("2026-02-01T09:30:00-05:00")
    assert (first.calendar_id, first.calendar, first.appointment_type_id, first.appointment_type) == (
        11, "Dr Ana Reyes", 501, "Botox",
    )  # fmt: skip
    assert (first.first_name, first.last_name, first.email, first.phone, first.duration_minutes) == (
        "Jo", "Patient", "jo@example.com", "5555550111", 30,
    )  # fmt: skip
    assert first.form_answers == (("Allergies?", "Latex"),) and first.intake_text == "Allergies?: Latex"
    sent = configured.requests_to("GET", f"{AC}/appointments")[0]
    assert sent.query["minDate"] == ["2026-02-01"] and sent.query["maxDate"] == ["2026-02-28"]
    assert sent.query["calendarID"] == ["11"]
    assert [(t.id, t.name, t.duration_minutes) for t in types] == [(501, "Botox", 30)]
    assert [c.id for c in calendars] == [11, 12]


def test_acuity_documentation_example_is_read(configured):
    from tests.stub_server import vendor_doc

    configured.state.appointments.extend(vendor_doc("acuity", "appointments.json"))
    with AcuityClient() as client:
        (appointment,) = client.list_appointments(date(2013, 7, 1), date(2013, 7, 31))
    assert appointment.id == 54321 and appointment.duration_minutes == 60
    assert appointment.intake_text == (
        "Is this your first visit?: yes\nWhat is your goal for this appointment?: Ninja"
    )


def test_acuity_windows_a_range_that_fills_its_page(configured, monkeypatch):
    """Acuity answers at most `max` rows: a window that fills the page is split until none does."""
    monkeypatch.setattr(acuity_module, "PAGE_MAX", 2)
    configured.state.appointments.extend(acuity_row(n, f"2026-02-{n:02d}T10:00:00-0500") for n in range(1, 6))
    with AcuityClient() as client:
        found = client.appointments_between(date(2026, 2, 1), date(2026, 2, 28), calendar_id=11)
        with pytest.raises(PageFull):
            client.list_appointments(date(2026, 2, 1), date(2026, 2, 28))
    assert sorted(a.id for a in found) == [1, 2, 3, 4, 5]
    assert all(r.query["max"] == ["2"] for r in configured.requests_to("GET", f"{AC}/appointments"))


# --- failures and retries ----------------------------------------------------------------------------------
def test_a_500_is_retried_and_then_succeeds(configured):
    configured.script("DELETE", GROUP, status=500)
    with TigerConnectClient() as client:
        assert client.delete_group("G1") is True
    assert len(configured.requests_to("DELETE", GROUP)) == 2
    assert configured.state.effects == ["tigerconnect group G1"]


def test_a_429_waits_for_retry_after_then_succeeds(configured):
    configured.script("GET", f"{AC}/calendars", status=429, retry_after="1")
    started = time.monotonic()
    with AcuityClient() as client:
        calendars = client.list_calendars()
    assert time.monotonic() - started >= 0.95
    assert len(calendars) == 2
    assert len(configured.requests_to("GET", f"{AC}/calendars")) == 2


def test_retry_after_is_capped(configured, settings):
    settings.INTEGRATION_RETRY_AFTER_CAP_SECONDS = 0.2
    configured.script("GET", f"{AC}/calendars", status=503, retry_after="3600")
    started = time.monotonic()
    with AcuityClient() as client:
        client.list_calendars()
    assert time.monotonic() - started < 1.5


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after_seconds("2") == 2.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: go now
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_an_answer_later_than_the_timeout_is_retried_then_fails_retryable(configured):
    for _ in range(3):
        configured.script("GET", f"{OP}/phone-numbers/PN1", hang=TIMEOUT + 0.6)
    started = time.monotonic()
    with OpenPhoneClient() as client, pytest.raises(IntegrationError) as raised:
        client.get_phone_number("PN1")
    elapsed = time.monotonic() - started
    assert raised.value.retryable is True and raised.value.status is None
    assert "did not answer" in raised.value.detail and "3 attempt" in raised.value.detail
    assert len(configured.requests_to("GET", f"{OP}/phone-numbers/PN1")) == 3
    assert 3 * TIMEOUT <= elapsed < 3 * TIMEOUT + 1.0  # each attempt bounded by the timeout


def test_persistent_5xx_ends_retryable_with_the_status(configured):
    for _ in range(3):
        configured.script("GET", f"{OP}/phone-numbers/PN1", status=502)
    with OpenPhoneClient() as client, pytest.raises(IntegrationError) as raised:
        client.get_phone_number("PN1")
    assert (raised.value.retryable, raised.value.status) == (True, 502)


def test_a_4xx_is_not_retried(configured):
    with OpenPhoneClient() as client, pytest.raises(IntegrationError) as raised:
        client.get_phone_number("NOPE")
    assert (raised.value.retryable, raised.value.status) == (False, 404)
    assert "0400404" in raised.value.detail and "Not Found)" not in raised.value.detail  # code, not text
    assert len(configured.requests_to("GET", f"{OP}/phone-numbers/NOPE")) == 1


def test_wrong_credentials_are_a_4xx(configured, settings):
    settings.TIGERCONNECT_API_SECRET = "wrong"
    with TigerConnectClient() as client, pytest.raises(IntegrationError) as raised:
        client.delete_group("G1")
    assert (raised.value.retryable, raised.value.status) == (False, 401)
    assert configured.state.tc_groups == {"G1": "active"}


def test_a_write_whose_answer_was_lost_is_retried_and_done_once(configured):
    """TigerConnect deletes the group but answers after our timeout: the retry finds it gone (404, which
    counts as deleted), and the group was deleted once."""
    configured.script("DELETE", GROUP, hang=TIMEOUT + 0.6, after_effect=True)
    with TigerConnectClient() as client:
        assert client.delete_group("G1") is False
    assert len(configured.requests_to("DELETE", GROUP)) == 2
    assert configured.state.effects == ["tigerconnect group G1"]


def test_rerunning_a_step_does_not_do_it_twice(configured):
    with TigerConnectClient() as client:
        first, again = client.delete_group("G1"), client.delete_group("G1")
    assert (first, again) == (True, False) and configured.state.effects == ["tigerconnect group G1"]


def test_a_write_of_a_vendor_documenting_keys_gets_one_that_its_retries_keep(settings):
    """The Idempotency-Key machinery, for a vendor that documents the header (none of the three does)."""
    settings.INTEGRATION_MAX_ATTEMPTS, settings.INTEGRATION_BACKOFF_SECONDS = 2, 0
    settings.KEYED_URL = "http://keyed.example"
    seen = []

    def answer(request):
        seen.append(request.headers.get("idempotency-key"))
        return httpx.Response(500 if len(seen) == 1 else 200, json={})

    class Keyed(BaseClient):
        name, url_setting, idempotency_header = "Keyed", "KEYED_URL", True

    with Keyed(transport=httpx.MockTransport(answer)) as client:
        client.post("things")
    assert len(seen) == 2 and seen[0] and seen[0] == seen[1]


def test_an_unreachable_vendor_is_retryable(configured, settings):
    port = configured.httpd.server_address[1]
    configured.stop()
    settings.ACUITY_API_URL = f"http://127.0.0.1:{port}{AC}"
    with AcuityClient() as client, pytest.raises(IntegrationError) as raised:
        client.list_calendars()
    assert raised.value.retryable is True and "could not be reached" in raised.value.detail

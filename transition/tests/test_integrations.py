"""The OpenPhone / TigerConnect / Acuity clients against a loopback stub that speaks their APIs (and fails
like them: 500s, 429 with Retry-After, answers too late). Our client is never mocked."""

import time
from datetime import UTC, date, datetime

import pytest

from tests.stub_server import AC, OP, OPENPHONE_KEY, TC
from transition.integrations import IntegrationError, NotConfigured
from transition.integrations.acuity import AcuityClient
from transition.integrations.base import retry_after_seconds
from transition.integrations.openphone import Confirmation, OpenPhoneClient
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
    stub.state.tc_users.update({"U1": "active", "U2": "active"})
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


def confirmations():
    at = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    return [
        Confirmation("portrait", "Pat Staff", "pat@portrait.example", at),
        Confirmation("provider", "Ana Reyes", "ana@example.com", at),
    ]


def acuity_row(id, when, *, calendar_id=11, canceled=False):
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
def test_openphone_number_and_transfer(configured):
    with OpenPhoneClient() as client:
        number = client.get_phone_number("PN1")
        transfer = client.request_transfer(
            "PN1", target_email="ana@example.com", confirmations=confirmations(), idempotency_key="t-1-op"
        )
        assert client.get_transfer("PN1", transfer.id).status == "requested"
        configured.state.transfers[transfer.id]["status"] = "completed"  # OpenPhone support moved it
        moved = client.get_transfer("PN1", transfer.id)

    assert (number.number, number.formatted_number, number.name) == (
        "+15555550100",
        "(555) 555-0100",
        "Glow medspa",
    )
    assert transfer.status == "requested" and not transfer.is_done
    assert moved.is_done and moved.target_email == "ana@example.com"
    sent = configured.requests_to("POST", f"{OP}/phone-numbers/PN1/transfers")[0]
    assert sent.headers["authorization"] == OPENPHONE_KEY  # the bare key, as OpenPhone documents
    assert sent.idempotency_key == "t-1-op"
    assert [c["party"] for c in sent.json["confirmations"]] == ["portrait", "provider"]
    assert configured.requests_to("GET", f"{OP}/phone-numbers/PN1")[0].idempotency_key is None  # reads: none


def test_openphone_transfer_needs_both_confirmations_before_anything_is_sent(configured):
    with OpenPhoneClient() as client, pytest.raises(ValueError, match="both"):
        client.request_transfer(
            "PN1", target_email="a@example.com", confirmations=confirmations()[:1], idempotency_key="k"
        )
    assert configured.requests == []


def test_tigerconnect_deactivates_user_and_group(configured):
    with TigerConnectClient() as client:
        assert client.deactivate_user("U1", idempotency_key="t-1-tc-user-U1") == "deactivated"
        assert client.deactivate_group("G1", idempotency_key="t-1-tc-group") == "deactivated"
    assert configured.state.tc_users == {"U1": "deactivated", "U2": "active"}
    assert configured.state.tc_groups == {"G1": "deactivated"}
    assert configured.requests[0].headers["authorization"].startswith("Basic ")


def test_acuity_lists_future_appointments_types_and_calendars_and_revokes(configured):
    configured.state.appointments.extend(
        [
            acuity_row(1, "2026-02-03T14:00:00-0500"),
            acuity_row(2, "2026-02-01T09:30:00-0500"),
            acuity_row(3, "2026-02-02T10:00:00-0500", canceled=True),
            acuity_row(4, "2026-03-15T10:00:00-0400"),  # after the range
            acuity_row(5, "2026-02-02T10:00:00-0600", calendar_id=12),  # another calendar
        ]
    )
    with AcuityClient() as client:
        appointments = client.list_appointments(date(2026, 2, 1), date(2026, 2, 28), calendar_id=11)
        types = client.list_appointment_types()
        calendars = client.list_calendars()
        access = client.revoke_access(11, idempotency_key="t-1-acuity")

    assert [a.id for a in appointments] == [2, 1]  # earliest first, cancelled and out-of-range left out
    first = appointments[0]
    assert first.start == datetime.fromisoformat("2026-02-01T09:30:00-05:00")
    assert (first.calendar_id, first.calendar, first.appointment_type_id, first.appointment_type) == (
        11, "Dr Ana Reyes", 501, "Botox",
    )  # fmt: skip
    assert (first.first_name, first.last_name, first.email, first.phone, first.duration_minutes) == (
        "Jo", "Patient", "jo@example.com", "5555550111", 30,
    )  # fmt: skip
    sent = configured.requests_to("GET", f"{AC}/appointments")[0]
    assert sent.query["minDate"] == ["2026-02-01"] and sent.query["maxDate"] == ["2026-02-28"]
    assert sent.query["calendarID"] == ["11"]
    assert [(t.id, t.name, t.duration_minutes) for t in types] == [(501, "Botox", 30)]
    assert [c.id for c in calendars] == [11, 12]
    assert access == "revoked" and configured.state.revoked_calendars == {11}


# --- failures and retries ----------------------------------------------------------------------------------
def test_a_500_is_retried_and_then_succeeds(configured):
    configured.script("POST", f"{TC}/v2/users/U1/deactivate", status=500)
    with TigerConnectClient() as client:
        assert client.deactivate_user("U1", idempotency_key="t-2-tc-U1") == "deactivated"
    attempts = configured.requests_to("POST", f"{TC}/v2/users/U1/deactivate")
    assert len(attempts) == 2
    assert {a.idempotency_key for a in attempts} == {"t-2-tc-U1"}
    assert configured.state.effects == ["tigerconnect user U1"]


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
    assert "0404" in raised.value.detail and "Not found" not in raised.value.detail  # code, not free text
    assert len(configured.requests_to("GET", f"{OP}/phone-numbers/NOPE")) == 1


def test_wrong_credentials_are_a_4xx(configured, settings):
    settings.TIGERCONNECT_API_SECRET = "wrong"
    with TigerConnectClient() as client, pytest.raises(IntegrationError) as raised:
        client.deactivate_group("G1", idempotency_key="k")
    assert (raised.value.retryable, raised.value.status) == (False, 401)
    assert configured.state.tc_groups == {"G1": "active"}


def test_a_write_whose_answer_was_lost_is_retried_with_the_same_key_and_done_once(configured):
    """OpenPhone does the transfer request but answers after our timeout: the retry carries the same
    Idempotency-Key, the server recognises it, and there is one transfer request, not two."""
    path = f"{OP}/phone-numbers/PN1/transfers"
    configured.script("POST", path, hang=TIMEOUT + 0.6, after_effect=True)
    with OpenPhoneClient() as client:
        transfer = client.request_transfer(
            "PN1", target_email="ana@example.com", confirmations=confirmations(), idempotency_key="t-3-op"
        )
    attempts = configured.requests_to("POST", path)
    assert len(attempts) == 2
    assert [a.idempotency_key for a in attempts] == ["t-3-op", "t-3-op"]
    assert configured.state.effects == ["openphone transfer PN1"]
    assert list(configured.state.transfers) == [transfer.id]


def test_rerunning_a_step_with_its_key_does_not_do_it_twice(configured):
    with OpenPhoneClient() as client:
        kwargs = {
            "target_email": "ana@example.com",
            "confirmations": confirmations(),
            "idempotency_key": "t-4",
        }
        first = client.request_transfer("PN1", **kwargs)
        again = client.request_transfer("PN1", **kwargs)
    assert first == again and len(configured.state.transfers) == 1


def test_a_write_without_a_key_gets_one_that_its_retries_keep(configured):
    configured.script("POST", f"{AC}/calendars/11/revoke-access", status=500)
    with AcuityClient() as client:
        client.post("calendars/11/revoke-access")
    keys = [a.idempotency_key for a in configured.requests_to("POST", f"{AC}/calendars/11/revoke-access")]
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]


def test_an_unreachable_vendor_is_retryable(configured, settings):
    port = configured.httpd.server_address[1]
    configured.stop()
    settings.ACUITY_API_URL = f"http://127.0.0.1:{port}{AC}"
    with AcuityClient() as client, pytest.raises(IntegrationError) as raised:
        client.list_calendars()
    assert raised.value.retryable is True and "could not be reached" in raised.value.detail

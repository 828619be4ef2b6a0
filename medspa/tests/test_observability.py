"""Errors reach Sentry without a patient's data: the scrubbers (medspa.observability) on made-up events, then
end to end, a real sentry_sdk client sending through its HTTP transport to a loopback ingestion endpoint
(tests/sentry_server.py), for an error in the public booking page and in a Celery task."""

import logging
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sentry_sdk
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from medspa import observability
from medspa.celery import app
from medspa.models import Patient
from medspa.tenancy import medspa_scope
from tests import factories
from tests.sentry_server import SentryServer

PATIENT = {
    "first_name": "Zenobia",
    "last_name": "Quillfeather",
    "email": "zenobia.quillfeather@mail.example",
    "phone": "(619) 555-0142",
    "date_of_birth": "1987-11-23",
}
# The same patient as stored (the stack's source lines near the test's frames show names, not values).
PATIENT_ROW = {**PATIENT, "phone": "+16195550142", "date_of_birth": "1987-11-23"}
# Every form in which the patient's data could leave, and the credentials a request carried.
SECRETS = [
    "Zenobia",
    "Quillfeather",
    "zenobia.quillfeather",
    "555-0142",
    "5550142",
    "1987-11-23",
    "1987, 11, 23",
    "tok-9f8e7d6c5b4a",
    "apikey-0a1b2c3d",
    "sessionid-value",
]


CSRF_SECRET = "k9" * 16  # the form's token, as the page's cookie and hidden field would carry it


def _leaks(blob: str) -> list[str]:
    lowered = blob.lower()
    return [secret for secret in SECRETS if secret.lower() in lowered]


def test_an_event_keeps_its_type_stack_and_ids_and_loses_every_persons_data():
    event = {
        "event_id": "a" * 32,
        "level": "error",
        "exception": {
            "values": [
                {
                    "type": "IntegrityError",
                    "module": "django.db.utils",
                    "value": 'Key (email)=(zenobia.quillfeather@mail.example) already exists: "Zenobia"',
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "scheduling/views/public_booking.py",
                                "function": "_booking_post",
                                "lineno": 280,
                                "context_line": "    patient = patient_match.patient_match_or_create(",
                                "vars": {"data": {"email": "zenobia.quillfeather@mail.example"}},
                            }
                        ]
                    },
                }
            ]
        },
        "request": {
            "method": "POST",
            "url": "https://app.example/booking/manage/AbCdEfGhIjKlMnOpQrStUvWx/",
            "query_string": "email=zenobia.quillfeather@mail.example",
            "data": {"first_name": "Zenobia", "phone": "(619) 555-0142"},
            "cookies": {"sessionid": "sessionid-value"},
            "headers": {
                "Authorization": "Token tok-9f8e7d6c5b4a",
                "X-Api-Key": "apikey-0a1b2c3d",
                "User-Agent": "Mozilla/5.0",
                "X-Forwarded-For": "203.0.113.9",
            },
            "env": {"REMOTE_ADDR": "203.0.113.9"},
        },
        "user": {"id": "7", "email": "zenobia.quillfeather@mail.example", "username": "Zenobia"},
        "extra": {"celery-job": {"task_name": "t", "args": [1, "Zenobia"]}, "sys.argv": ["Quillfeather"]},
        "contexts": {"runtime": {"name": "CPython"}, "patient": {"dob": "1987-11-23"}},
        "breadcrumbs": {
            "values": [
                {"category": "query", "message": "SELECT * FROM patient WHERE email = %s", "data": {}},
                {"category": "medspa", "message": "texted (619) 555-0142", "level": "info"},
                {"type": "http", "data": {"method": "GET", "url": "https://x.example/p?phone=5550142"}},
            ]
        },
        "tags": {"url": "/x"},
    }

    scrubbed = observability.scrub_event(event, {})

    assert _leaks(repr(scrubbed)) == []
    assert "203.0.113.9" not in repr(scrubbed)
    exception = scrubbed["exception"]["values"][0]
    assert (exception["type"], exception["value"]) == ("IntegrityError", "[Filtered]")
    frame = exception["stacktrace"]["frames"][0]
    assert (frame["function"], frame["lineno"], "vars" in frame) == ("_booking_post", 280, False)
    assert scrubbed["request"] == {
        "method": "POST",
        "url": "https://app.example/booking/manage/[Filtered]/",
        "headers": {"User-Agent": "Mozilla/5.0"},
    }
    assert scrubbed["extra"] == {"celery-job": {"task_name": "t"}}
    assert set(scrubbed["contexts"]) == {"runtime"}
    crumbs = scrubbed["breadcrumbs"]["values"]
    assert crumbs[0]["message"] == "SELECT * FROM patient WHERE email = %s"  # placeholders, not values
    assert "message" not in crumbs[1]
    assert crumbs[2]["data"]["url"] == "https://x.example/p"


def test_a_log_event_keeps_its_template_and_loses_its_arguments():
    event = {
        "logentry": {
            "message": "could not text %s",
            "params": ["(619) 555-0142"],
            "formatted": "could not text (619) 555-0142",
        },
        "message": "could not text (619) 555-0142",
    }
    assert observability.scrub_event(event, {})["logentry"] == {"message": "could not text %s"}
    assert observability.scrub_event({"message": "Zenobia"}, {})["message"] == "[Filtered]"


def test_a_span_loses_the_attributes_that_can_carry_a_persons_data():
    span = {
        "name": "/booking/manage/AbCdEfGhIjKlMnOpQrStUvWx/",
        "attributes": {
            "url.full": "https://app.example/x?email=zenobia.quillfeather@mail.example",
            "http.query": "email=zenobia.quillfeather@mail.example",
            "user.email": "zenobia.quillfeather@mail.example",
            "db.query.parameter.0": "Zenobia",
            "http.request.method": "GET",
            "db.system": "postgresql",
        },
    }
    scrubbed = observability.scrub_span(span, {})
    assert _leaks(repr(scrubbed)) == []
    assert scrubbed["attributes"] == {"http.request.method": "GET", "db.system": "postgresql"}
    assert scrubbed["name"] == "/booking/manage/[Filtered]/"


def test_the_sdk_is_told_to_collect_nothing_personal():
    options = observability.sentry_options("http://k@127.0.0.1:9/1", "production", "abc123", 0.0)
    collection = options["data_collection"]
    assert collection["user_info"] is False and collection["stack_frame_variables"] is False
    assert collection["http_bodies"] == [] and collection["cookies"] == {"mode": "off"}
    assert collection["url_query_params"] == {"mode": "off"}
    assert options["traces_sample_rate"] == 0.0 and options["release"] == "abc123"


# --- End to end: a real client, its HTTP transport, a loopback ingestion endpoint. -------------------------


@pytest.fixture
def sentry(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = SentryServer().start()
    sentry_sdk.init(**observability.sentry_options(server.dsn, "test", "medspa@test", 0.0))
    yield server
    sentry_sdk.get_client().close(timeout=2)
    sentry_sdk.init()  # no DSN: nothing is sent by the tests that follow
    server.stop()


def _through_wsgi(environ: dict) -> tuple[str, dict]:
    """The request served by Django's WSGI application, as gunicorn serves it (the test client skips the
    WSGI handler, where the SDK reads the request's method, URL and headers)."""
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer.update(status=status, headers=dict(headers))

    # As Django's test client does: the test's own database connection must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = WSGIHandler()(environ, start_response)
        b"".join(response)
        response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer["status"], answer["headers"]


def _raw(server) -> str:
    return "\n".join(envelope["raw"].decode("utf-8", "replace") for envelope in server.envelopes)


def test_an_error_in_the_public_booking_page_reaches_sentry_without_the_patients_data(
    db, cast, sentry, monkeypatch
):
    with medspa_scope(cast.medspa_a):
        provider = cast.provider_a1.memberships.get()
    location, appointment_type = factories.scheduling_world(cast.medspa_a, [provider])

    def calendar_down(**kwargs):
        patient = kwargs["patient"]  # a local of this frame, and of the view's
        raise RuntimeError(f"calendar down for {patient.first_name} {patient.last_name} <{patient.email}>")

    monkeypatch.setattr("scheduling.views.public_booking.appointment_book", calendar_down)
    la = ZoneInfo("America/Los_Angeles")
    start = datetime.combine(timezone.now().astimezone(la).date() + timedelta(days=2), time(10), tzinfo=la)
    url = reverse("booking_location", args=[cast.medspa_a.slug, location.slug])
    request = RequestFactory().post(
        f"{url}?email={PATIENT['email']}",
        {
            "appointment_type": appointment_type.pk,
            "provider": "any",
            "start": start.isoformat(),
            "idempotency_key": str(uuid.uuid4()),
            **PATIENT,
            "consent_email": "on",
            "csrfmiddlewaretoken": CSRF_SECRET,
        },
        HTTP_AUTHORIZATION="Token tok-9f8e7d6c5b4a",
        HTTP_X_API_KEY="apikey-0a1b2c3d",
        HTTP_COOKIE=f"sessionid=sessionid-value; csrftoken={CSRF_SECRET}",
    )
    status, headers = _through_wsgi(request.environ)
    assert status.startswith("500")

    sentry_sdk.flush(timeout=5)
    events = sentry.events()
    assert len(events) == 1
    event = events[0]
    exception = event["exception"]["values"][-1]
    assert (exception["type"], exception["value"]) == ("RuntimeError", "[Filtered]")
    assert "_booking_post" in [frame["function"] for frame in exception["stacktrace"]["frames"]]
    assert event["request"]["method"] == "POST" and event["request"]["url"].endswith(url)
    assert event["tags"]["request_id"] == headers["X-Request-ID"]
    assert event["environment"] == "test" and event["release"] == "medspa@test"
    assert _leaks(_raw(sentry)) == []


@app.task(name="medspa.tests.test_observability.patient_text_fails")
def patient_text_fails(patient_id: int, medspa_id: int) -> None:
    with medspa_scope(medspa_id):
        patient = Patient.objects.get(pk=patient_id)
        logging.getLogger("medspa.tests").error("could not text %s", patient.phone)
        raise ValueError(f"no consent from {patient.first_name} {patient.last_name}, {patient.date_of_birth}")


def test_an_error_in_a_celery_task_reaches_sentry_without_the_patients_data(db, cast, sentry):
    with medspa_scope(cast.medspa_a):
        patient = factories.PatientFactory(medspa=cast.medspa_a, **PATIENT_ROW)

    with pytest.raises(ValueError):
        patient_text_fails.delay(patient.pk, cast.medspa_a.pk)

    sentry_sdk.flush(timeout=5)
    events = sentry.events()
    by_kind = {("exception" in event): event for event in events}
    failure, logged = by_kind[True], by_kind[False]
    assert failure["exception"]["values"][-1]["type"] == "ValueError"
    assert failure["extra"]["celery-job"] == {"task_name": patient_text_fails.name}
    assert failure["tags"]["task"] == patient_text_fails.name and failure["tags"]["task_id"]
    assert logged["logentry"] == {"message": "could not text %s"}
    assert logged["tags"]["medspa_id"] == str(cast.medspa_a.pk)  # logged inside the medspa's scope
    assert _leaks(_raw(sentry)) == []

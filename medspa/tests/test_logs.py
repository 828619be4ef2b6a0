"""Log lines name the request, the medspa, the user and the Celery task, never a person's name or email
(medspa.logs): read from the configured console handler's real output, one JSON object a line."""

import io
import json
import logging
import sys

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from medspa import logs
from medspa.celery import app
from medspa.tenancy import medspa_scope


@pytest.fixture
def log_lines():
    """What the product's console handler writes during the test, as parsed JSON lines."""
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    handler.setStream(previous)


def test_a_request_log_line_names_the_request_the_medspa_and_the_user_and_not_who_they_are(
    client_as, cast, log_lines
):
    client = client_as("admin_a")
    response = client.get("/dashboard/patients/987654321/")  # Django logs the 404 as a warning
    assert response.status_code == 404

    (line,) = [line for line in log_lines() if line["logger"] == "django.request"]
    assert line["level"] == "WARNING" and line["message"].startswith("Not Found")
    assert line["request_id"] == response["X-Request-ID"]
    assert (line["medspa_id"], line["medspa"]) == (cast.medspa_a.pk, cast.medspa_a.slug)
    assert line["user_id"] == cast.admin_a.pk
    assert cast.admin_a.email not in json.dumps(line) and "request" not in line and "where" not in line
    assert line["time"]


def test_a_callers_request_id_is_kept_and_answered(client, db):
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="lb-trace-0123456789")
    assert response["X-Request-ID"] == "lb-trace-0123456789"


@app.task(name="medspa.tests.test_logs.task_that_logs")
def task_that_logs(medspa_id: int) -> None:
    with medspa_scope(medspa_id):
        logging.getLogger("medspa.tests").info("reminders swept")


def test_a_celery_task_log_line_names_the_task_and_its_medspa(cast, log_lines):
    result = task_that_logs.delay(cast.medspa_a.pk)

    (line,) = [line for line in log_lines() if line["message"] == "reminders swept"]
    assert (line["task_id"], line["task"]) == (result.id, task_that_logs.name)
    assert line["medspa_id"] == cast.medspa_a.pk
    assert line["request_id"] is None


def _plain_line(message: str) -> str:
    """`message` as the plain format prints it, through the context filter, as the console handler does."""
    config = logs.logging_config("plain", "INFO", email_admins=False)
    record = logging.LogRecord("medspa.tests", logging.INFO, __file__, 1, message, None, None)
    logs.ContextFilter().filter(record)
    return logging.Formatter(config["formatters"]["plain"]["format"]).format(record)


@app.task(name="medspa.tests.test_logs.task_that_prints_plain")
def task_that_prints_plain(medspa_id: int) -> str:
    with medspa_scope(medspa_id):
        return _plain_line("swept")


def test_the_plain_format_names_the_request_or_task_and_the_medspa_and_a_bad_format_fails_loudly(cast):
    assert _plain_line("started").endswith(" medspa.tests [-] started")  # no request, no task: no None

    request = RequestFactory().get("/")
    request.request_id, request.medspa = "0123abcd", cast.medspa_a
    logs.request_begin(request)
    try:
        line = _plain_line("seen")
    finally:
        logs.request_end()
    assert line.endswith(f" [request 0123abcd medspa {cast.medspa_a.slug}] seen")

    with medspa_scope(cast.medspa_a.pk):  # a line in a medspa's scope, outside any request
        assert _plain_line("swept").endswith(f" [medspa {cast.medspa_a.pk}] swept")

    result = task_that_prints_plain.delay(cast.medspa_a.pk)
    expected = f" [task {task_that_prints_plain.name} {result.id} medspa {cast.medspa_a.pk}] swept"
    assert result.get().endswith(expected)

    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT"):
        logs.logging_config("xml", "INFO", email_admins=False)


def test_admins_are_read_from_one_line_of_addresses():
    assert logs.admins_from("Ana Ops <ana@ops.example>, bob@ops.example") == [
        "Ana Ops <ana@ops.example>",
        "bob@ops.example",
    ]
    assert logs.admins_from("") == []
    with pytest.raises(ImproperlyConfigured, match="ADMINS"):
        logs.admins_from("Ana Ops <ana>")


def test_errors_are_mailed_to_admins_only_without_sentry():
    assert logs.logging_config("json", "INFO", email_admins=True)["loggers"]["django"]["handlers"] == [
        "mail_admins"
    ]
    assert logs.logging_config("json", "INFO", email_admins=False)["loggers"]["django"]["handlers"] == []


def test_the_error_mailed_to_admins_says_where_and_not_whose(settings):
    settings.ADMINS = ["Ana Ops <ana@ops.example>"]
    request = RequestFactory().post("/dashboard/patients/new/?q=Zenobia", {"first_name": "Zenobia"})
    request.request_id = "abc123abc123"
    try:
        patient_name = "Zenobia Quillfeather"  # noqa: F841 (a local Django's own report would mail)
        raise ValueError("duplicate patient Zenobia Quillfeather")
    except ValueError:
        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Server Error", (), None)
        record.exc_info, record.request, record.request_id = sys.exc_info(), request, "abc123abc123"
    logs.AdminEmailWithoutData().emit(record)

    (message,) = mail.outbox
    assert message.to == ["Ana Ops <ana@ops.example>"]
    assert "ValueError at POST /dashboard/patients/new/" in message.subject
    assert "abc123abc123" in message.body and "test_logs.py" in message.body
    assert "Zenobia" not in message.subject + message.body

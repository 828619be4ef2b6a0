"""Drill: a worker killed with SIGKILL while it sends a patient's confirmation (the mail server hangs).
With the folder broker the message goes with the worker; the row stays pending, and when its lease has run
out the sweep, run by a new worker, sends it: delivered, and marked sent once. And a pre-visit care message
found by two sweeps (beat fired twice before the worker ran) is delivered by the real worker exactly once."""

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from medspa import once
from medspa.env import filesystem_broker_options
from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, NotificationLog
from scheduling.services import notifications
from scheduling.tasks import appointment_notify, notifications_sweep, pre_visit_care_sweep
from services_catalog.tests.factories import CareMessageFactory, CareMessageVersionFactory
from tests import factories
from tests.test_faults import broker_at

pytestmark = pytest.mark.slow  # starts a Celery worker and kills it

ROOT = Path(__file__).resolve().parent.parent


def _worker(
    broker: dict, mail_folder: Path, output: Path, own_settings: dict | None = None
) -> subprocess.Popen:
    """A tests.drill_worker process on the test database and `broker`, holding its mail in `mail_folder`,
    with `own_settings` (name to value) if given; its output goes to the end of `output`."""
    database = {key: connection.settings_dict[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")}
    env = {
        **os.environ,
        "DRILL_DATABASE": json.dumps(database),
        "DRILL_BROKER": json.dumps(broker),
        "HELD_MAIL": str(mail_folder),
    }
    if own_settings is not None:
        env["DRILL_SETTINGS"] = json.dumps(own_settings)
    with output.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.drill_worker"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _wait_for(condition, what: str, output: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {seconds} s:\n{output.read_text()[-3000:]}"
        time.sleep(0.1)


def _mail_log(folder: Path) -> list[str]:
    log = folder / "log"
    return log.read_text().splitlines() if log.exists() else []


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def test_a_worker_killed_mid_send_leaves_the_confirmation_owed_and_the_sweep_sends_it_once(
    transactional_db, cast, tmp_path
):
    with medspa_scope(cast.medspa_a):
        provider = cast.provider_a1.memberships.get()
        _, appointment_type = factories.scheduling_world(cast.medspa_a, [provider])
        patient = factories.PatientFactory(
            medspa=cast.medspa_a, email="killed@mail.example", consent_email=True, consent_sms=False
        )
        start = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
        appointment = Appointment.objects.create(
            medspa=cast.medspa_a, location=appointment_type.location, provider=provider, patient=patient,
            appointment_type=appointment_type, start=start, end=start + timedelta(minutes=30),
            blocked_start=start, blocked_end=start + timedelta(minutes=40),
        )  # fmt: skip
        mail_folder, output = tmp_path / "mail", tmp_path / "workers.log"
        mail_folder.mkdir()
        (mail_folder / "hold").touch()  # the mail server takes the message and never answers
        broker = {"url": "filesystem://", "options": filesystem_broker_options(tmp_path / "broker")}
        queue = Path(broker["options"]["data_folder_in"])

        with broker_at(broker["url"], broker["options"]):
            appointment_notify.delay(appointment.pk, appointment.medspa_id, "confirmation")
            first = _worker(broker, mail_folder, output)
            try:
                _wait_for(
                    lambda: _mail_log(mail_folder) == ["sending killed@mail.example"], "send begun", output
                )
                first.kill()  # SIGKILL, mid-send
                first.wait(timeout=30)
            finally:
                _stop(first)

            row = NotificationLog.objects.get(appointment=appointment, channel="email")  # (no SMS consent)
            assert row.status == NotificationLog.Status.PENDING
            assert list(queue.iterdir()) == []  # the folder broker lost the message with the worker
            assert notifications.notifications_sweep() == []  # inside its lease, no one sends it again

            (mail_folder / "hold").unlink()  # the mail server answers again
            NotificationLog.objects.filter(pk=row.pk).update(
                next_attempt_at=F("next_attempt_at") - once.LEASE
            )
            second = _worker(broker, mail_folder, output)
            try:
                notifications_sweep.delay()  # as beat does every minute: one task for the owed message
                _wait_for(
                    lambda: NotificationLog.objects.get(pk=row.pk).status == NotificationLog.Status.SENT,
                    "confirmation sent",
                    output,
                )
            finally:
                _stop(second)

        row.refresh_from_db()
        assert _mail_log(mail_folder) == [
            "sending killed@mail.example",  # the killed worker's try, never answered
            "sending killed@mail.example",
            "sent killed@mail.example",
        ]
        assert (row.status, row.attempts, row.next_attempt_at) == (NotificationLog.Status.SENT, 1, None)
        assert notifications.notifications_sweep(now=timezone.now() + timedelta(days=1)) == []  # nothing owed


def test_a_care_message_found_by_two_sweeps_is_sent_by_the_real_worker_once(transactional_db, cast, tmp_path):
    with medspa_scope(cast.medspa_a):
        provider = cast.provider_a1.memberships.get()
        _, appointment_type = factories.scheduling_world(cast.medspa_a, [provider])
        message = CareMessageFactory(
            medspa=cast.medspa_a, title="Avoid blood thinners", timing="pre", lead_hours=96
        )
        CareMessageVersionFactory(care_message=message, text="No aspirin for a week, please.")
        appointment_type.service.care_messages.add(message)
        patient = factories.PatientFactory(
            medspa=cast.medspa_a, email="care@mail.example", consent_email=True, consent_sms=False
        )
        start = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
        appointment = Appointment.objects.create(
            medspa=cast.medspa_a, location=appointment_type.location, provider=provider, patient=patient,
            appointment_type=appointment_type, start=start, end=start + timedelta(minutes=30),
            blocked_start=start, blocked_end=start + timedelta(minutes=40),
        )  # fmt: skip
        # Booked ten days ago: the message's moment (96 hours before) has come, and the sweep sends it.
        Appointment.objects.filter(pk=appointment.pk).update(created_at=start - timedelta(days=10))
        mail_folder, output = tmp_path / "mail", tmp_path / "workers.log"
        mail_folder.mkdir()
        broker = {"url": "filesystem://", "options": filesystem_broker_options(tmp_path / "broker")}
        queue = Path(broker["options"]["data_folder_in"])
        rows = NotificationLog.objects.filter(appointment=appointment, kind=f"care-{message.pk}")

        with broker_at(broker["url"], broker["options"]):
            pre_visit_care_sweep.delay()
            pre_visit_care_sweep.delay()  # beat again before the worker ran the first: two tasks queued
            worker = _worker(broker, mail_folder, output)
            try:
                _wait_for(
                    lambda: list(queue.iterdir()) == [] and rows.filter(status="sent").exists(),
                    "care message sent and queue drained",
                    output,
                )
            finally:
                _stop(worker)  # a warm shutdown: the task in hand is finished first

        assert _mail_log(mail_folder) == ["sending care@mail.example", "sent care@mail.example"]
        assert sorted(rows.values_list("channel", "status", "detail")) == [
            ("email", "sent", ""),
            ("sms", "skipped", "patient opted out of SMS"),
        ]

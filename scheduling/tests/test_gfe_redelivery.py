"""The GFE's side of a booking (scheduling.tasks.appointment_gfe) delivered again while its first run is still
at work: the broker hands the message to a second worker once the visibility timeout has passed without an
ack (a slow run, a worker cut off from Redis but alive). Both runs look for an open request before making
one; the second must not find "none" while the first has not committed yet."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from gfe.models import Clearance, GfeRequest
from gfe.selectors import clearances as clearance_selectors
from medspa.tenancy import medspa_scope
from scheduling.models import Appointment
from scheduling.services import hooks
from tests import factories


def _booked(cast) -> Appointment:
    with medspa_scope(cast.medspa_a):
        provider = cast.provider_a1.memberships.get()
        _, appointment_type = factories.scheduling_world(cast.medspa_a, [provider])
        patient = factories.PatientFactory(medspa=cast.medspa_a)
        start = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
        return Appointment.objects.create(
            medspa=cast.medspa_a, location=appointment_type.location, provider=provider, patient=patient,
            appointment_type=appointment_type, start=start, end=start + timedelta(minutes=30),
            blocked_start=start, blocked_end=start + timedelta(minutes=40),
        )  # fmt: skip


def _waiting_on_a_lock() -> int:
    """How many other connections of the test database wait for a row lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_gfe_task_delivered_again_while_its_first_run_works_requests_one_gfe(cast, monkeypatch):
    appointment = _booked(cast)
    looked = threading.Semaphore(0)  # a run has looked for an open request
    go_on = threading.Event()
    original = clearance_selectors.services_with_open_request

    def look_then_wait(patient):
        found = original(patient)
        looked.release()
        assert go_on.wait(timeout=60)
        return found

    monkeypatch.setattr(clearance_selectors, "services_with_open_request", look_then_wait)

    def run() -> None:
        try:
            with medspa_scope(appointment.medspa_id):
                hooks.appointment_gfe(appointment_id=appointment.pk, kind="confirmation")
        finally:
            connections.close_all()

    first = threading.Thread(target=run)
    first.start()
    assert looked.acquire(timeout=60)  # the first run has looked (none open) and has not committed
    second = threading.Thread(target=run)  # the redelivery, on another worker
    second.start()
    # The second run either looks as well (and finds nothing open: the first has not committed), or waits for
    # the first's lock on the patient.
    deadline = time.monotonic() + 60
    while not looked.acquire(timeout=0.05) and not _waiting_on_a_lock():
        assert time.monotonic() < deadline, "the second run neither looked nor waited"
    go_on.set()
    first.join(timeout=60)
    second.join(timeout=60)
    assert not first.is_alive() and not second.is_alive()

    with medspa_scope(cast.medspa_a):
        requests = GfeRequest.objects.filter(patient=appointment.patient)
        assert requests.count() == 1
        assert Clearance.objects.filter(patient=appointment.patient).count() == 1

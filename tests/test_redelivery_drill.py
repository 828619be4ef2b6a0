"""Drills: Celery workers killed with SIGKILL while they hold the tasks a booking and a move queue, on a real
Redis broker with the product's transport options (acks_late: a message is acked once its task returned).

- The GFE's side of twenty bookings (scheduling.tasks.appointment_gfe): one worker is killed in the middle of
  a run (its transaction open, waiting for a row lock the drill holds), the next one after a run committed
  and before its ack. Both messages stay in Redis' unacked set: the second worker, started after the first
  was killed, does not get the first's back. Once the visibility timeout has passed, a worker that starts
  runs them again: every booking that needs a GFE has exactly one request, and the run done twice made none
  the second time.
- The reschedule notices of moves made on the calendar (queued with RESCHEDULE_NOTICE_DELAY's countdown,
  some moves undone within it): the worker holds them in memory until they are due, unacked, and is killed
  before. The worker that replaces it does not get them back, and nothing goes when they come due; once the
  visibility timeout has passed, that running worker finds them (kombu's periodic restore) and runs them at
  once: each move that stands is told once, an undone one not at all.

The drills cannot wait out the visibility timeout (15 minutes): they move Redis' clock for the unacked
messages instead, setting the times they were handed out back, as the delivery drill moves a row's lease.
The machine's Redis is used when it answers (a database of its own, and a key prefix of this run's own so
that no other run's worker takes these messages), else a redis-server of the drill's own."""

import json
import time
import uuid
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from gfe.models import Clearance, ClearanceStatus, GfeRequest
from gfe.tests.factories import ClearanceFactory
from medspa.models import Patient
from medspa.models.patients import PatientStatus
from medspa.tenancy import medspa_scope
from scheduling.models import NotificationLog
from scheduling.services import booking, hooks
from scheduling.tasks import notifications_sweep
from scheduling.tests.test_calendar_grid import move
from tests import factories
from tests.test_delivery_drill import _mail_log, _stop, _wait_for
from tests.test_delivery_drill import _worker as drill_worker
from tests.test_faults import RedisProcess, _answers, _conninfo, broker_at

pytestmark = pytest.mark.slow  # starts Celery workers on Redis and kills them

MACHINE_REDIS = "redis://127.0.0.1:6379/15"  # test_faults' broker drill has 13
# How late a killed worker's tasks may come, at most (docs/faults.md): the product's visibility timeout must
# not be longer, or the drills' workers do not get them back.
VISIBILITY_TIMEOUT = 15 * 60


class Broker:
    """The drill's Redis broker: its URL, transport options (the product's, with this run's key prefix) and
    what kombu keeps there (the queue, the unacked messages and when each was handed out)."""

    def __init__(self, url: str):
        self.url, self.prefix = url, f"drill-{uuid.uuid4().hex[:12]}:"
        self.options = {**settings.REDIS_BROKER_OPTIONS, "global_keyprefix": self.prefix}
        self.redis = redis.Redis.from_url(url)

    def queued(self) -> int:
        return self.redis.llen(self.prefix + settings.CELERY_TASK_DEFAULT_QUEUE)

    def unacked(self) -> list[dict]:
        """The messages handed to a worker and not acked: task name, arguments, ETA."""
        held = []
        for raw in self.redis.hvals(self.prefix + "unacked"):
            headers = json.loads(raw)[0]["headers"]
            held.append({"task": headers["task"], "args": headers["argsrepr"], "eta": headers["eta"]})
        return held

    def wait(self, seconds: float = VISIBILITY_TIMEOUT) -> None:
        """Sets the time each unacked message was handed out back by `seconds`: what the clock does in that
        time, for the worker that next looks for messages whose visibility timeout has passed (kombu's
        restore_visible, when a worker starts and then every 10 s)."""
        index = self.prefix + "unacked_index"
        for tag, delivered in self.redis.zrange(index, 0, -1, withscores=True):
            self.redis.zadd(index, {tag: delivered - seconds})

    def clean(self) -> None:
        for key in self.redis.scan_iter(match=self.prefix + "*"):
            self.redis.delete(key)


@pytest.fixture
def broker(tmp_path):
    own = None
    if _answers("127.0.0.1", 6379):
        url = MACHINE_REDIS
    else:
        own = RedisProcess(tmp_path)
        own.start()
        url = own.url(0)
    drill_broker = Broker(url)
    try:
        with broker_at(drill_broker.url, drill_broker.options):
            yield drill_broker
    finally:
        drill_broker.clean()
        if own is not None:
            own.kill()


@pytest.fixture
def ran(tmp_path, monkeypatch):
    """The workers log each task that returned (tests.drill_worker): the log's runs of a task, read."""
    folder = tmp_path / "tasks"
    folder.mkdir()
    monkeypatch.setenv("DRILL_TASKS", str(folder))

    def read(task: str | None = None) -> list[list]:
        log = folder / "ran"
        runs = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
        return [args for name, args in runs if task in (None, name)]

    read.folder = folder
    return read


def _worker(broker: Broker, tmp_path: Path):
    (tmp_path / "mail").mkdir(exist_ok=True)
    return drill_worker({"url": broker.url, "options": broker.options}, tmp_path / "mail", tmp_path / "log")


def _killed(worker) -> None:
    worker.kill()  # SIGKILL: no warm shutdown, nothing given back to Redis
    worker.wait(timeout=30)


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


# --- The GFE's side of a booking ---------------------------------------------------------------------------

BOOKINGS = 20
CLEARED = {2, 5, 12, 17}  # these patients hold a clearance valid on the day: no GFE is due
KILLED_MID_RUN, KILLED_BEFORE_ACK = 7, 8  # the eighth booking and the ninth


@pytest.mark.scopes_disabled(reason="counts every patient's GFE requests at once")
def test_gfe_tasks_of_workers_killed_mid_run_and_before_the_ack_request_each_gfe_once(
    transactional_db, cast, broker, ran, tmp_path
):
    medspa = cast.medspa_a
    provider = cast.provider_a1.memberships.get()
    location, appointment_type = factories.scheduling_world(medspa, [provider])
    service = appointment_type.service
    assert service.effective_requires_gfe
    first_day = timezone.now().astimezone(location.tz).date() + timedelta(days=3)
    patients = [factories.PatientFactory(medspa=medspa) for _ in range(BOOKINGS)]
    for number in CLEARED:
        ClearanceFactory(
            medspa=medspa, patient=patients[number], service=service, status=ClearanceStatus.CLEARED,
            valid_until=first_day + timedelta(days=30),
        )  # fmt: skip

    with medspa_scope(medspa):
        appointments = [
            booking.appointment_book(
                appointment_type=appointment_type,
                start=datetime.combine(
                    first_day + timedelta(days=number // 8), clock_time(9 + number % 8), tzinfo=location.tz
                ),
                patient=patient,
                provider=provider,
            )
            for number, patient in enumerate(patients)
        ]  # each booking queued its follow-ups (a worker queues its GFE task and its confirmation)
    assert broker.queued() == BOOKINGS

    def gfe_runs(number: int) -> int:
        return ran("scheduling.tasks.appointment_gfe").count(
            [appointments[number].pk, medspa.pk, "confirmation"]
        )

    # 1. Killed mid-run: the drill holds the row lock the GFE run of the eighth booking needs.
    with psycopg.connect(**_conninfo(connection.settings_dict)) as holder:
        holder.execute(
            f"SELECT 1 FROM {Patient._meta.db_table} WHERE id = %s FOR UPDATE", [patients[KILLED_MID_RUN].pk]
        )
        first = _worker(broker, tmp_path)
        try:
            _wait_for(_waiting_on_a_lock, "the eighth GFE run waiting for the patient", tmp_path / "log")
            _killed(first)
        finally:
            _stop(first)
        holder.rollback()
    assert [gfe_runs(number) for number in range(KILLED_MID_RUN + 1)] == [1] * KILLED_MID_RUN + [0]
    assert [m["args"] for m in broker.unacked()] == [
        f"({appointments[KILLED_MID_RUN].pk}, {medspa.pk}, 'confirmation')"
    ]

    # 2. Killed after a run committed, before its ack. This worker, started after the first was killed, does
    # not get the eighth booking's task back: its message waits out the visibility timeout.
    (ran.folder / "hold-after").write_text("scheduling.tasks.appointment_gfe")
    second = _worker(broker, tmp_path)
    try:
        _wait_for(lambda: gfe_runs(KILLED_BEFORE_ACK) == 1, "the ninth GFE run", tmp_path / "log")
        _killed(second)
    finally:
        _stop(second)
    (ran.folder / "hold-after").unlink()
    requests = GfeRequest.objects.filter(source=GfeRequest.Source.BOOKING)
    assert requests.filter(patient=patients[KILLED_BEFORE_ACK]).count() == 1  # committed
    assert not requests.filter(patient=patients[KILLED_MID_RUN]).exists()  # rolled back with the worker
    assert sorted(m["args"] for m in broker.unacked()) == sorted(
        f"({appointments[number].pk}, {medspa.pk}, 'confirmation')"
        for number in (KILLED_MID_RUN, KILLED_BEFORE_ACK)
    )

    # 3. The visibility timeout has passed: the next worker gets both back, and runs the rest.
    broker.wait()
    third = _worker(broker, tmp_path)
    try:
        _wait_for(
            lambda: broker.queued() == 0 and broker.unacked() == [] and gfe_runs(KILLED_MID_RUN) == 1,
            "every task run and acked",
            tmp_path / "log",
        )
    finally:
        _stop(third)

    assert [gfe_runs(number) for number in range(BOOKINGS)] == [
        2 if number == KILLED_BEFORE_ACK else 1 for number in range(BOOKINGS)
    ]  # the eighth's killed run never returned; the ninth ran to the end twice
    made = {patient.pk: requests.filter(patient=patient).count() for patient in patients}
    lost = [
        number for number, patient in enumerate(patients) if number not in CLEARED and made[patient.pk] == 0
    ]
    doubled = [number for number, patient in enumerate(patients) if made[patient.pk] > 1]
    needless = [number for number in CLEARED if made[patients[number].pk]]
    assert (lost, doubled, needless) == ([], [], [])
    assert Clearance.objects.filter(request__in=requests).count() == BOOKINGS - len(CLEARED)
    needing = [patient.pk for number, patient in enumerate(patients) if number not in CLEARED]
    assert set(Patient.objects.filter(pk__in=needing).values_list("status", flat=True)) == {
        PatientStatus.TO_CLEAR
    }  # each shows "To Clear" until cleared


# --- The reschedule notice ---------------------------------------------------------------------------------

MOVES = 8
UNDONE = {1, 4, 6}  # moves undone on the calendar within the notice's delay


@pytest.mark.scopes_disabled(reason="counts every patient's notices at once")
def test_reschedule_notices_held_by_a_killed_worker_come_back_and_each_standing_move_is_told_once(
    transactional_db, cast, client_as, broker, ran, tmp_path, monkeypatch
):
    # The worker must be killed while it holds the notices, before they come due: on a busy machine the
    # moves, their GFE tasks and the worker's fetch can take most of the product's 15 seconds, so the drill
    # gives them 45 (the notices wait out the same countdown whatever its length).
    monkeypatch.setattr(hooks, "RESCHEDULE_NOTICE_DELAY", 45)
    medspa = cast.medspa_a
    provider = cast.provider_a1.memberships.get()
    location, appointment_type = factories.scheduling_world(medspa, [provider])
    day = timezone.now().astimezone(location.tz).date() + timedelta(days=3)
    starts = [datetime.combine(day, clock_time(9 + n), tzinfo=location.tz) for n in range(MOVES)]
    patients = [
        factories.PatientFactory(medspa=medspa, consent_email=True, consent_sms=False) for _ in range(MOVES)
    ]
    with medspa_scope(medspa):
        appointments = [
            booking.appointment_book(
                appointment_type=appointment_type, start=start, patient=patient, provider=provider
            )
            for start, patient in zip(starts, patients, strict=True)
        ]
    notices = lambda: ran("scheduling.tasks.appointment_notify")  # noqa: E731
    told = lambda kind: [args for args in notices() if args[2] == kind]  # noqa: E731
    log = tmp_path / "log"

    first = _worker(broker, tmp_path)
    try:
        _wait_for(lambda: len(told("confirmation")) == MOVES and broker.queued() == 0, "confirmations", log)
        client = client_as("admin_a")
        for number, (appointment, start) in enumerate(zip(appointments, starts, strict=True)):
            later = (start + timedelta(days=1)).astimezone(location.tz)
            response = move(
                client, appointment, start=later.replace(tzinfo=None).isoformat(timespec="minutes")
            )
            assert response.status_code == 200, response.content
            if number in UNDONE:  # the calendar's Undo posts the place the move left
                assert move(client, appointment, **response.json()["previous"]).status_code == 200
        queued_by = time.time()
        held = MOVES + len(UNDONE)
        _wait_for(
            lambda: (
                broker.queued() == 0
                and len(broker.unacked()) == held
                and len(ran("scheduling.tasks.appointment_gfe")) == MOVES + held
            ),
            "every notice held until due",
            log,
        )
        assert told("reschedule") == []  # killed before they came due
        _killed(first)
    finally:
        _stop(first)
    unacked = broker.unacked()
    assert {m["task"] for m in unacked} == {"scheduling.tasks.appointment_notify"}
    due = max(datetime.fromisoformat(m["eta"]) for m in unacked).timestamp()
    assert due <= queued_by + hooks.RESCHEDULE_NOTICE_DELAY

    # A worker that replaces it (a supervisor restarts one at once) does not get them back, even two minutes
    # short of the visibility timeout, and they do not go when they come due.
    broker.wait(VISIBILITY_TIMEOUT - 120)
    second = _worker(broker, tmp_path)
    try:
        notifications_sweep.delay()  # as beat does: its run says the worker takes work
        _wait_for(lambda: ran("scheduling.tasks.notifications_sweep"), "the second worker taking work", log)
        while time.time() < due + 2:
            time.sleep(0.2)
        assert len(broker.unacked()) == held and told("reschedule") == []

        # The visibility timeout has passed: the running worker finds them, past due, and runs them at once.
        broker.wait(120)
        _wait_for(
            lambda: len(told("reschedule")) == held and broker.unacked() == [] and broker.queued() == 0,
            "every notice run and acked",
            log,
            seconds=60,
        )
    finally:
        _stop(second)

    sent = _mail_log(tmp_path / "mail")
    mails = {patient.email: sent.count(f"sent {patient.email}") for patient in patients}
    rows = NotificationLog.objects.filter(kind__startswith="reschedule-", channel="email", status="sent")
    notices_sent = {
        appointment.pk: rows.filter(appointment=appointment).count() for appointment in appointments
    }
    standing = [number for number in range(MOVES) if number not in UNDONE]
    lost = [n for n in standing if notices_sent[appointments[n].pk] == 0]
    doubled = [n for n in standing if notices_sent[appointments[n].pk] > 1]
    after_undo = [n for n in UNDONE if notices_sent[appointments[n].pk]]
    assert (lost, doubled, after_undo) == ([], [], [])
    # The confirmation, and the notice of a move that stands: one email each.
    assert mails == {patient.email: 1 if number in UNDONE else 2 for number, patient in enumerate(patients)}

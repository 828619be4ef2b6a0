"""The load test's script (scripts/load/, `make load` / `make load-race`) without running it: the mix covers
what the load must drive and the locustfile is built from it; the double-booking check finds overlaps (an
exclusion constraint dropped inside the test's transaction lets one in); the race's slots are what the
report says; a seeded session signs its member in past the MFA stage. Fast: no gunicorn, no locust run."""

import json
import subprocess
import sys
from datetime import datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, AppointmentStatus
from scheduling.selectors import slots
from scripts.load import checks, mix, seed
from tests import factories

pytestmark = pytest.mark.slow  # runs the load script's races

ROOT = Path(__file__).resolve().parent.parent


def test_the_mix_drives_what_the_load_must_and_names_every_endpoint():
    assert set(mix.TASK_WEIGHTS) == set(mix.USER_WEIGHTS)
    tasks = {name for kind in mix.TASK_WEIGHTS.values() for name in kind}
    # The public booking page, slot search and booking; the admin calendar; patient profiles; charting.
    assert {"booking_page", "slot_search", "first_available", "book"} <= tasks
    assert {"calendar_day", "calendar_week", "patient_profile", "own_patient_profile"} <= tasks
    assert {"chart_open", "chart_notes_save", "own_patients"} <= tasks
    assert tasks - {"book"} <= set(mix.ENDPOINTS)
    assert {"book_form", "book_post", "race_post", "race_api"} <= set(mix.ENDPOINTS)
    assert all(weight > 0 for kind in mix.TASK_WEIGHTS.values() for weight in kind.values())
    assert sum(mix.task_share().values()) == pytest.approx(1)
    assert sum(mix.user_share(20).values()) == pytest.approx(20)
    assert mix.RACE_CLIENTS == 50 and mix.RACE_SLOTS >= 2


def test_the_locustfile_builds_its_users_from_the_mix():
    # In a child process: importing locust patches the process with gevent, which the test run must not get.
    script = "import json; from scripts.load import locustfile; print(json.dumps(locustfile.describe()))"
    found = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    described = json.loads(found.stdout.strip().splitlines()[-1])
    assert described["load"] == {
        kind: {"weight": mix.USER_WEIGHTS[kind], "tasks": mix.TASK_WEIGHTS[kind]} for kind in mix.USER_WEIGHTS
    }
    assert described["race"] == {"RaceVisitor": mix.RACE_API_EVERY - 1, "RaceApiClient": 1}
    assert described["book"] == {"BookApiClient": ["book_next_free_slot"]}
    assert "book_api" in mix.ENDPOINTS and mix.BOOK_CLIENTS == 50 and mix.BOOK_SECONDS > 0


def test_the_booking_load_defaults_to_fifty_clients_for_thirty_seconds_on_threads(monkeypatch):
    from scripts.load import run

    for name in ("LOAD_THREADS", "BOOK_SECONDS", "BOOK_CLIENTS", "LOAD_SECONDS", "RACE_CLIENTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "argv", ["run", "--book"])
    args = run.arguments()
    assert (args.book, args.race, args.clients, args.seconds, args.workers, args.threads) == (
        True, False, 50, 30, 2, 4,
    )  # fmt: skip
    monkeypatch.setattr(sys, "argv", ["run"])
    args = run.arguments()
    assert (args.book, args.seconds, args.threads) == (False, 60, 1)  # the everyday mix as before
    monkeypatch.setattr(sys, "argv", ["run", "--book", "--race"])
    with pytest.raises(SystemExit):
        run.arguments()


def test_the_booking_figures_count_anything_but_201_200_and_409_as_an_error():
    from scripts.load import run

    outcomes = {
        "seconds": 10.0,
        "endpoints": {
            mix.ENDPOINTS["book_api"]: {
                "codes": {"201": 40, "200": 1, "409": 3, "500": 1, "400": 2, "no answer": 1},
                "times": [float(ms) for ms in range(1, 49)],
                "failures": {},
            }
        },
    }
    figures = run.booking_figures(outcomes)
    assert (figures["booked"], figures["taken"], figures["errors"], figures["requests"]) == (40, 3, 4, 48)
    assert figures["per_second"] == pytest.approx(4.0)
    assert (figures["p50"], figures["p95"], figures["p99"]) == (24.0, 46.0, 48.0)


def _appointment(world, provider, start, *, status=AppointmentStatus.BOOKED, patient=None):
    end = start + timedelta(minutes=30)
    return Appointment.objects.create(
        medspa=world.medspa, location=world.location, provider=provider,
        patient=patient or factories.PatientFactory(medspa=world.medspa), appointment_type=world.type,
        start=start, end=end, blocked_start=start, blocked_end=end + timedelta(minutes=10), status=status,
    )  # fmt: skip


@pytest.fixture
def world(cast):
    from types import SimpleNamespace

    with medspa_scope(cast.medspa_a):
        provider = cast.provider_a1.memberships.get()
    location, appointment_type = factories.scheduling_world(cast.medspa_a, [provider])
    return SimpleNamespace(medspa=cast.medspa_a, provider=provider, location=location, type=appointment_type)


DOUBLE_BOOKING = "appointment_no_provider_double_booking"


@pytest.fixture
def without_the_double_booking_constraint(transactional_db, connect_as):
    """What the check looks for cannot be stored while the constraint stands: the owner drops it, the
    superuser puts it back after the test (its overlapping rows gone). Committed data, so the app role's
    connection and these agree."""
    table = Appointment._meta.db_table
    owner = connect_as("owner")
    (definition,) = owner.execute(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s", [DOUBLE_BOOKING]
    ).fetchone()
    owner.execute(f"ALTER TABLE {table} DROP CONSTRAINT {DOUBLE_BOOKING}")
    owner.commit()
    yield
    superuser = connect_as("superuser")
    superuser.execute("SET session_replication_role = replica")
    superuser.execute(f"DELETE FROM {table}")
    superuser.execute(f"ALTER TABLE {table} ADD CONSTRAINT {DOUBLE_BOOKING} {definition}")
    superuser.commit()


@pytest.mark.usefixtures("without_the_double_booking_constraint")
def test_the_double_booking_check_finds_overlapping_active_appointments_of_one_provider(world, cast):
    with medspa_scope(world.medspa):
        day = timezone.localdate(timezone=world.location.tz) + timedelta(days=3)
        ten = datetime.combine(day, time(10), tzinfo=world.location.tz)
        first = _appointment(world, world.provider, ten)
        _appointment(world, world.provider, ten + timedelta(minutes=40))  # right after the buffer: no overlap
        _appointment(world, world.provider, ten + timedelta(minutes=5), status=AppointmentStatus.CANCELLED)
        _appointment(world, cast.provider_a2.memberships.get(), ten)  # another provider
        assert checks.double_bookings(world.medspa.pk) == []

        second = _appointment(world, world.provider, ten - timedelta(minutes=15))  # into the first one's time

        found = checks.double_bookings(world.medspa.pk)
        assert found == [checks.DoubleBooking("provider", world.provider.pk, first.pk, second.pk)]
        assert checks.double_bookings() == found  # every medspa
        assert checks.double_bookings(cast.medspa_b.pk) == []


@pytest.mark.django_db
def test_the_race_slots_are_open_and_the_first_two_overlap(world):
    day = timezone.localdate(timezone=world.location.tz) + timedelta(days=2)
    with medspa_scope(world.medspa):
        chosen = seed.race_slots_choose(world.type, world.provider, day)
    blocked = timedelta(minutes=world.type.duration_minutes + world.type.buffer_after_minutes)
    assert len(chosen) == mix.RACE_SLOTS
    assert chosen[1].start - chosen[0].start < blocked  # these two cannot both be booked
    for slot in chosen[2:]:
        assert all(abs(slot.start - other.start) >= blocked for other in chosen if other is not slot)
    assert seed.most_bookable(chosen, world.type) == mix.RACE_SLOTS - 1  # what the race report holds it to


@pytest.mark.django_db
def test_the_booking_loads_hands_share_no_slot_and_each_slot_is_open(cast):
    import random

    with medspa_scope(cast.medspa_a):
        providers = [cast.provider_a1.memberships.get(), cast.provider_a2.memberships.get()]
        location, appointment_type = factories.scheduling_world(
            cast.medspa_a, providers, duration_minutes=15, buffer_after_minutes=0
        )
        first = timezone.localdate(timezone=location.tz) + timedelta(days=2)
        _appointment(SimpleNamespace(medspa=cast.medspa_a, location=location, type=appointment_type),
                     providers[0], datetime.combine(first, time(10), tzinfo=location.tz))  # fmt: skip
        hands = seed.free_slots_dealt(appointment_type, first, 3, 5, random.Random(1))
        dealt = [slot for hand in hands for slot in hand]
        assert len(hands) == 5 and len(dealt) == len({(s.provider_id, s.start) for s in dealt})
        open_now = {
            (slot.provider_id, slot.start)
            for day in range(3)
            for slot in slots.open_slots(appointment_type, first + timedelta(days=day))
        }
        assert {(s.provider_id, s.start) for s in dealt} == open_now  # every open slot, none taken
        assert all({s.provider_id for s in hand} == {p.pk for p in providers} for hand in hands)
        buffered = factories.scheduling_world(cast.medspa_a, providers)[1]  # 10 minutes' buffer after
        with pytest.raises(ValueError, match="no buffers"):
            seed.free_slots_dealt(buffered, first, 1, 5, random.Random(1))


@pytest.mark.django_db
def test_a_seeded_session_signs_its_member_in_past_the_mfa_stage(cast):
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = seed.session_for(cast.admin_a, cast.medspa_a)
    assert client.get(reverse("scheduling:calendar"), {"view": "day"}).status_code == 200
    assert Client().get(reverse("scheduling:calendar")).status_code == 302  # without it: to sign in

"""The load test's script (scripts/load/, `make load` / `make load-race`) without running it: the mix covers
what the load must drive and the locustfile is built from it; the double-booking check finds overlaps (an
exclusion constraint dropped inside the test's transaction lets one in); the race's slots are what the
report says; a seeded session signs its member in past the MFA stage. Fast: no gunicorn, no locust run."""

import json
import subprocess
import sys
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, AppointmentStatus
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
def test_a_seeded_session_signs_its_member_in_past_the_mfa_stage(cast):
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = seed.session_for(cast.admin_a, cast.medspa_a)
    assert client.get(reverse("scheduling:calendar"), {"view": "day"}).status_code == 200
    assert Client().get(reverse("scheduling:calendar")).status_code == 302  # without it: to sign in

"""The load test's busy medspa and what the simulated users need to act in it.

The medspa is `make bench`'s (`bench_scheduling`): one location with 10 providers
working 8:00–19:00 every day, 5 appointment types, 300 patients and 5,000 appointments over the next 60 days,
the first three days fully booked. On top of it: every provider enrolled in two-factor authentication (the
bench admin already is) with open charts (walk-in visits) of their patients, signed-in sessions for the
front desk and the providers (made here, as tests/browser.py's sign_in does: past the MFA stage, whose own
test is the browser login test), an API token for the admin, the race's few slots, and for the booking load
a coordinator with an API token per client and the open slots of a 15-minute type dealt out among them.

`seed` returns the bench's world and what the locustfile reads (a JSON-able dict, the "state"). Nothing is
deleted afterwards: the load runs in a throwaway copy of the tests' database (scripts/load/run.py), as the
patients' access log, written by every profile view, refuses deletes by design."""

import random
import time
from datetime import timedelta

from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from django_scopes import scopes_disabled

from devtools.bench import TOTP_SECRET
from devtools.management.commands.bench_scheduling import FULL_DAYS
from devtools.management.commands.bench_scheduling import Command as SchedulingBench
from medspa.middleware import SESSION_STARTED_KEY
from medspa.models import Medspa, Membership, Patient, User
from medspa.services import accounts as services
from medspa.tenancy import SESSION_MEDSPA_KEY, medspa_scope
from providers.services import charting
from scheduling.models import Appointment
from scheduling.selectors import slots
from scripts.load import mix

VISITS_PER_PROVIDER = 8
RACE_DAY = 8  # days ahead: past the fully booked first days, well inside the booking horizon
RACE_TYPE = "Dermal filler"  # 45 minutes and 15 minutes' buffer after: two slots 15 minutes apart overlap


def session_for(user: User, medspa: Medspa) -> str:
    """A signed-in session of `user` in the database (what a sign-in with both factors leaves), its key."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[SESSION_STARTED_KEY] = time.time()
    store[SESSION_MEDSPA_KEY] = medspa.pk
    store.create()
    return store.session_key


def blocked_length(appointment_type) -> timedelta:
    """How long an appointment of the type holds its provider, buffers included."""
    minutes = (
        appointment_type.buffer_before_minutes
        + appointment_type.duration_minutes
        + appointment_type.buffer_after_minutes
    )
    return timedelta(minutes=minutes)


def most_bookable(race_slots: list, appointment_type) -> int:
    """How many of the race's slots one provider can hold together: all but one of each overlapping pair
    (the slots are chosen so that only the first two can overlap)."""
    overlapping = len(race_slots) > 1 and race_slots[1].start - race_slots[0].start < blocked_length(
        appointment_type
    )
    return len(race_slots) - (1 if overlapping else 0)


def race_slots_choose(appointment_type, provider, day) -> list:
    """RACE_SLOTS open slots of `provider` on `day`: the first, one that overlaps it (15 minutes later, when
    open), then ones overlapping neither. At most RACE_SLOTS - 1 of them can ever be booked together."""
    found = slots.open_slots(appointment_type, day, provider_id=provider.pk)
    if not found:
        raise RuntimeError(f"No open slot for the race on {day}.")
    blocked = blocked_length(appointment_type)
    chosen = [found[0]]
    overlapping = [s for s in found[1:] if s.start < found[0].start + blocked]
    if overlapping:
        chosen.append(overlapping[0])
    for slot in found:
        if len(chosen) >= mix.RACE_SLOTS:
            break
        if all(abs(slot.start - other.start) >= blocked for other in chosen):
            chosen.append(slot)
    return chosen


def _api_client(medspa: Medspa, number: int) -> str:
    """A front-desk coordinator of the medspa (two-factor enrolled) and their API token: one per client of
    the booking load, as each integration or desk has its own, and each stays inside the API's per-user
    rate (a single token shared by fifty clients would be throttled, as it should be)."""
    user = User(email=f"load-book-{medspa.slug}-{number}@load.example", full_name=f"Front Desk {number:02d}")
    user.set_unusable_password()
    user.save()
    Membership.objects.create(medspa=medspa, user=user, is_coordinator=True)
    TOTP.activate(user, TOTP_SECRET)
    return services.api_token_create(user=user, name="booking load")[1]


def free_slots_dealt(appointment_type, first_day, days: int, clients: int, rng: random.Random) -> list[list]:
    """Every open slot of the type (any provider) from `first_day` over `days` days, dealt out to `clients`
    hands, each in a random order: no two hands share a slot, and each hand spreads over providers and
    days. Slots of the type never overlap one another when it has no buffers and lasts one step, so every
    slot of a hand stays bookable whatever the other hands book."""
    if appointment_type.buffer_before_minutes or appointment_type.buffer_after_minutes:
        raise ValueError("The booking load's type must have no buffers.")
    if timedelta(minutes=appointment_type.duration_minutes) != slots.STEP:
        raise ValueError("The booking load's type must last one step of the slot lattice.")
    finder = slots.SlotFinder(appointment_type, first_day, days)
    found = [slot for slots_of_day in finder.all_days().values() for slot in slots_of_day]
    rng.shuffle(found)
    return [found[number::clients] for number in range(clients)]


def seed(rng: random.Random, *, users: int, book_clients: int = mix.BOOK_CLIENTS) -> tuple[dict, dict]:
    """Seeds the busy medspa; returns (world, state): the bench's world (for the checks) and
    the locustfile's state. `users` sessions are made for each signed-in kind (one per simulated user), and
    `book_clients` hands of free slots for the booking load."""
    with scopes_disabled():
        bench = SchedulingBench()
        world = bench.seed(rng)
        # The bulk-inserted rows' statistics, before the first plan is chosen: without them the planner
        # keeps the plans of the empty tables (a scan of every appointment for each slot lookup).
        bench.analyze()
        return world, _extras(rng, world, users=users, book_clients=book_clients)


@transaction.atomic
def _extras(rng: random.Random, world: dict, *, users: int, book_clients: int) -> dict:
    medspa, admin, location = world["medspa"], world["admin"], world["location"]
    providers, types, today = world["providers"], world["types"], world["today"]
    with medspa_scope(medspa):
        for member in providers:
            TOTP.activate(member.user, TOTP_SECRET)
        provider_rows = []
        for member in providers:
            patient_ids = list(
                Appointment.objects.filter(provider=member)
                .values_list("patient_id", flat=True)
                .distinct()
                .order_by("patient_id")
            )
            visits = []
            for patient_id in rng.sample(patient_ids, min(VISITS_PER_PROVIDER, len(patient_ids))):
                visit = charting.visit_start_walk_in(
                    patient=Patient.objects.get(pk=patient_id),
                    provider=member,
                    location=location,
                    by=member.user,
                )
                visits.append(visit.pk)
            provider_rows.append({"provider": member.pk, "patients": patient_ids[:60], "visits": visits})

        front_desk = []
        for _ in range(users):
            front_desk.append(session_for(admin, medspa))
        provider_sessions = []
        for number in range(users):
            row = provider_rows[number % len(provider_rows)]
            member = next(p for p in providers if p.pk == row["provider"])
            provider_sessions.append({**row, "session": session_for(member.user, medspa)})

        race_type = next(t for t in types if t.name == RACE_TYPE)
        race_provider = providers[0]
        race_day = today + timedelta(days=RACE_DAY)
        race_slots = race_slots_choose(race_type, race_provider, race_day)
        _, token = services.api_token_create(user=admin, name="load test")
        all_patients = list(Patient.objects.filter(medspa=medspa).order_by("pk").values_list("pk", flat=True))
        appointments = list(Appointment.objects.filter(medspa=medspa).values_list("pk", flat=True))
        book_tokens = [_api_client(medspa, number) for number in range(book_clients)]
        book_type = next(t for t in types if t.name == mix.BOOK_TYPE)
        book_hands = free_slots_dealt(
            book_type, today + timedelta(days=FULL_DAYS), 60 - FULL_DAYS, book_clients, rng
        )

    world["race"] = {
        "type": race_type.pk,
        "provider": race_provider.pk,
        "starts": [s.start for s in race_slots],
        "pinned_most": most_bookable(race_slots, race_type),
    }
    return {
        "medspa": medspa.pk,
        "medspa_slug": medspa.slug,
        "location": location.pk,
        "location_slug": location.slug,
        "today": today.isoformat(),
        "days": 60,
        "full_days": FULL_DAYS,
        "types": [t.pk for t in types],
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "front_desk": {
            "sessions": front_desk,
            "patients": all_patients,
            "appointments": rng.sample(appointments, min(500, len(appointments))),
        },
        "providers": provider_sessions,
        "race": {
            "type": race_type.pk,
            "provider": race_provider.pk,
            "day": race_day.isoformat(),
            "starts": [s.start.astimezone(location.tz).isoformat() for s in race_slots],
            "api_token": token,
            "api_patients": rng.sample(all_patients, min(mix.RACE_CLIENTS, len(all_patients))),
        },
        "book": {
            "type": book_type.pk,
            "api_tokens": book_tokens,
            "patients": all_patients,
            "hands": [
                [[slot.provider_id, slot.start.astimezone(location.tz).isoformat()] for slot in hand]
                for hand in book_hands
            ],
        },
    }

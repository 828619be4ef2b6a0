"""The calendar's quick-booking panel (scheduling.views.quick_book): a fragment for the calendar's htmx and a
page without it, the patient type-ahead (matches of this medspa only, each read logged), a new patient
booked in the same transaction, the namesake offered instead of a twin, the warnings before booking, the
refusals (400, 409 with the input kept and fresh times) and one booking per double click."""

import json
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gfe.models.clearances import ClearanceStatus
from gfe.tests.factories import ClearanceFactory
from medspa.models import Patient, PatientAccessLog
from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, AppointmentType, Resource
from services_catalog.tests.factories import IntakeFormFactory
from tests import factories
from tests.factories import unscoped

PANEL = reverse("scheduling:quick_book")
PATIENTS = reverse("scheduling:quick_book_patients")
TIMES = reverse("scheduling:quick_book_times")
HTMX = {"HTTP_HX_REQUEST": "true"}


@unscoped
def member(user):
    return user.memberships.get()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def clinic(cast):
    """Medspa A's clinic (America/Los_Angeles, 9:00–17:00 daily) where provider_a1 and provider_a2 offer a
    30-minute Neurotoxin (10 minutes' buffer after, no notice); two patients, one without any contact."""
    a1, a2 = member(cast.provider_a1), member(cast.provider_a2)
    location, appointment_type = factories.scheduling_world(cast.medspa_a, [a1, a2])
    return {
        "location": location,
        "type": appointment_type,
        "a1": a1,
        "a2": a2,
        "jane": factories.PatientFactory(
            medspa=cast.medspa_a,
            first_name="Janeway",
            last_name="Quillfeather",
            phone="+16195550123",
            consent_email=True,
        ),
        "omar": factories.PatientFactory(
            medspa=cast.medspa_a, first_name="Omar", last_name="Brightwater", email="", phone=""
        ),
    }


@pytest.fixture
def admin(cast):
    return signed_in(cast.admin_a)


def day_ahead(location, days=2):
    return timezone.now().astimezone(location.tz).date() + timedelta(days=days)


def wall(day, hour, minute=0) -> str:
    """The `start` parameter: the location's wall clock, 2026-12-08T10:30."""
    return datetime.combine(day, time(hour, minute)).isoformat(timespec="minutes")


def value(location, day, hour, minute=0) -> str:
    """An open time's radio value: the wall clock with its offset."""
    return datetime.combine(day, time(hour, minute), tzinfo=location.tz).isoformat(timespec="minutes")


def booking(clinic, day, hour=10, **fields) -> dict:
    data = {
        "location": clinic["location"].pk,
        "appointment_type": clinic["type"].pk,
        "provider": clinic["a1"].pk,
        "date": day.isoformat(),
        "start": value(clinic["location"], day, hour),
        "idempotency_key": fields.pop("idempotency_key", "key-1"),
        "notes": "",
    }
    return {**data, **fields}


@unscoped
def appointments_of(patient):
    return list(Appointment.objects.filter(patient=patient))


@unscoped
def patients_named(first, last):
    return list(Patient.objects.filter(first_name=first, last_name=last))


@unscoped
def book_directly(clinic, patient, provider, start):
    return Appointment.objects.create(
        medspa=clinic["location"].medspa, location=clinic["location"], provider=provider, patient=patient,
        appointment_type=clinic["type"], start=start, end=start + timedelta(minutes=30),
        blocked_start=start, blocked_end=start + timedelta(minutes=40),
    )  # fmt: skip


# --- The panel ----------------------------------------------------------------------------------------------


def test_with_htmx_the_panel_is_a_fragment_and_without_it_a_page(admin, clinic):
    day = day_ahead(clinic["location"])
    params = {"start": wall(day, 10, 30), "provider": clinic["a2"].pk, "location": clinic["location"].pk}
    fragment = admin.get(PANEL, params, **HTMX)
    assert fragment.status_code == 200
    text = fragment.content.decode()
    assert "<html" not in text and 'id="quick-book-panel"' in text
    assert '<button type="button" class="button button-secondary button-small" data-quick-book-close' in text
    page = admin.get(PANEL, params)
    assert page.status_code == 200
    assert "<html" in page.content.decode() and 'id="quick-book-panel"' in page.content.decode()


def test_the_clicked_time_is_chosen_with_the_provider_of_the_column(admin, clinic):
    day = day_ahead(clinic["location"])
    response = admin.get(
        PANEL, {"start": wall(day, 10, 30), "provider": clinic["a2"].pk, "location": clinic["location"].pk}
    )
    text = response.content.decode()
    assert f'value="{value(clinic["location"], day, 10, 30)}" checked' in text
    assert f'<option value="{clinic["a2"].pk}" selected>' in text
    assert '<option value="">Whoever is free</option>' in text
    assert f'value="{day.isoformat()}"' in text  # the day of the click
    assert "is not open" not in text


def test_a_clicked_time_that_is_not_open_says_why_and_offers_the_nearest(admin, clinic):
    location, day = clinic["location"], day_ahead(clinic["location"])
    book_directly(clinic, clinic["omar"], clinic["a1"], datetime.combine(day, time(10), tzinfo=location.tz))
    taken = admin.get(PANEL, {"start": wall(day, 10), "provider": clinic["a1"].pk}).content.decode()
    a1_name = clinic["a1"].user.get_full_name()
    assert f"10:00 AM is not open: {a1_name} is booked then" in taken
    # Booked 10:00–10:30, 10 minutes blocked after: 9:30 and 9:45 (their buffers) and 10:30 meet it.
    assert "Nearest open: 9:00 AM, 9:15 AM, 10:45 AM." in taken
    assert " checked" not in taken
    closed = admin.get(PANEL, {"start": wall(day, 18), "provider": clinic["a1"].pk}).content.decode()
    assert f"6:00 PM is not open: {a1_name} is not working at {location.name} then." in closed
    assert "Nearest open: 4:00 PM, 4:15 PM, 4:30 PM." in closed


@unscoped
def room_and_its_type(clinic):
    """Room 1 at the clinic, needed by a second type, Laser; Neurotoxin needs no room."""
    location = clinic["location"]
    room = Resource.objects.create(medspa=location.medspa, location=location, name="Room 1")
    laser = AppointmentType.objects.create(
        medspa=room.medspa, location=room.location, service=clinic["type"].service, name="Laser",
        duration_minutes=45, price=Decimal("500"), min_notice_minutes=0,
    )  # fmt: skip
    laser.rooms.add(room)
    laser.providers.add(clinic["a2"])
    return room, laser


def test_a_click_in_a_room_column_offers_the_types_that_need_that_room(admin, clinic):
    room, laser = room_and_its_type(clinic)
    day = day_ahead(clinic["location"])
    in_room = admin.get(PANEL, {"start": wall(day, 10), "resource": room.pk}).content.decode()
    assert f'<option value="{laser.pk}" selected>Laser (45 min)</option>' in in_room
    assert "Neurotoxin (30 min)" not in in_room
    a1, a2 = clinic["a1"].user.get_full_name(), clinic["a2"].user.get_full_name()
    assert f'<option value="{clinic["a2"].pk}">{a2}</option>' in in_room and a1 not in in_room
    anywhere = admin.get(PANEL, {"start": wall(day, 10)}).content.decode()
    assert "Laser (45 min)" in anywhere and "Neurotoxin (30 min)" in anywhere


def test_a_location_of_another_medspa_is_not_found(cast, clinic):
    other, _ = factories.scheduling_world(cast.medspa_b, [member(cast.provider_b)])
    response = signed_in(cast.admin_a).get(PANEL, {"location": other.pk})
    assert response.status_code == 404


def test_the_coordinator_books_from_the_panel_and_a_provider_may_not_open_it(cast, clinic):
    coordinator = factories.MembershipFactory(medspa=cast.medspa_a, is_provider=False, is_coordinator=True)
    client = signed_in(coordinator.user)
    assert client.get(PANEL).status_code == 200
    day = day_ahead(clinic["location"])
    response = client.post(PANEL, booking(clinic, day, patient=clinic["jane"].pk), **HTMX)
    assert response.status_code == 200, response.content.decode()
    assert [a.created_by_id for a in appointments_of(clinic["jane"])] == [coordinator.user_id]
    provider = signed_in(cast.provider_a1)
    for url in (PANEL, PATIENTS, TIMES):
        assert provider.get(url).status_code == 403, url


def test_the_times_refresh_for_the_provider_and_day_chosen(admin, clinic):
    location, day = clinic["location"], day_ahead(clinic["location"], 3)
    book_directly(clinic, clinic["omar"], clinic["a1"], datetime.combine(day, time(9), tzinfo=location.tz))
    params = {"location": location.pk, "appointment_type": clinic["type"].pk, "date": day.isoformat()}
    a1 = admin.get(TIMES, {**params, "provider": clinic["a1"].pk}, **HTMX).content.decode()
    anyone = admin.get(TIMES, params, **HTMX).content.decode()
    assert 'id="qb-when"' in a1 and "<html" not in a1
    assert value(location, day, 9) not in a1  # a1 is busy at 9:00
    assert value(location, day, 9) in anyone  # a2 is free then
    assert f"Open times on {day:%a %b} {day.day}" in anyone
    assert "<html" in admin.get(TIMES, params).content.decode()  # without htmx: the whole panel


# --- The patient type-ahead ---------------------------------------------------------------------------------


def test_the_search_lists_matching_patients_with_birth_date_and_phone_tail(cast, admin, clinic):
    jane = clinic["jane"]
    factories.PatientFactory(medspa=cast.medspa_b, first_name="Janeway", last_name="Quillfeather")
    response = admin.get(PATIENTS, {"q": "quillf"}, **HTMX)
    text = response.content.decode()
    assert text.count('role="option"') == 1  # medspa B's namesake is not listed
    assert f'id="qb-patient-option-{jane.pk}"' in text
    assert f"born {jane.date_of_birth:%m/%d/%Y} · •••0123" in text
    assert 'role="listbox" aria-label="Matching patients"' in text
    with medspa_scope(cast.medspa_a):
        logged = list(PatientAccessLog.objects.filter(patient=jane).values_list("viewed", "actor_id"))
    assert logged == [("Calendar: quick booking's patient search", cast.admin_a.pk)]
    with medspa_scope(cast.medspa_b):
        assert not PatientAccessLog.objects.exists()


def test_the_search_says_when_nothing_matches_and_lists_at_most_ten(cast, admin, clinic):
    assert "No patient matches “Zyx”" in admin.get(PATIENTS, {"q": "Zyx"}).content.decode()
    for n in range(12):
        factories.PatientFactory(medspa=cast.medspa_a, first_name=f"Ann{n}", last_name="Manyfold")
    assert admin.get(PATIENTS, {"q": "manyfold"}).content.decode().count('role="option"') == 10


def test_the_search_costs_a_fixed_number_of_queries(cast, admin, clinic):
    for n in range(8):
        factories.PatientFactory(medspa=cast.medspa_a, first_name=f"Bea{n}", last_name="Countwell")
    admin.get(PATIENTS, {"q": "countwell"})  # the session's first request settles its dashboard
    with CaptureQueriesContext(connection) as queries:
        response = admin.get(PATIENTS, {"q": "countwell"})
    assert response.content.decode().count('role="option"') == 8
    # 1 the session, 2 the user, 3 the membership with its medspa, 4 the MFA check, 5 the request's
    # savepoint, 6 the matches (one trigram-indexed query, LIMIT 10), 7 the access log's one INSERT for
    # all eight, 8 its release, 9-11 the session's expiry moved on (savepoint, UPDATE, release).
    assert len(queries) == 11, [q["sql"][:90] for q in queries.captured_queries]


def test_without_script_find_offers_the_matches_as_choices_and_logs_them(cast, admin, clinic):
    jane = clinic["jane"]
    page = admin.get(PANEL, {"q": "quillfeather", "location": clinic["location"].pk}).content.decode()
    assert f'<input type="radio" name="patient" value="{jane.pk}">' in page
    assert 'value="quillfeather"' in page  # the search box keeps what was typed
    with medspa_scope(cast.medspa_a):
        assert PatientAccessLog.objects.filter(patient=jane, viewed="Calendar: quick booking").exists()
    chosen = admin.get(PANEL, {"q": "quillfeather", "patient": jane.pk}).content.decode()
    assert "Chosen: Janeway Quillfeather" in chosen and 'type="radio" name="patient"' not in chosen


# --- Booking ------------------------------------------------------------------------------------------------


def test_it_books_a_patient_on_file_and_tells_the_calendar(admin, clinic):
    day = day_ahead(clinic["location"])
    response = admin.post(PANEL, booking(clinic, day, patient=clinic["jane"].pk, notes="Left side"), **HTMX)
    assert response.status_code == 200, response.content.decode()
    (appointment,) = appointments_of(clinic["jane"])
    assert json.loads(response["HX-Trigger"]) == {"appointment-booked": {"id": appointment.pk}}
    a1 = clinic["a1"].user.get_full_name()
    text = response.content.decode()
    assert f"Booked: Janeway Quillfeather for Neurotoxin on {day:%a %b} {day.day}, 10:00 AM with {a1}" in text
    assert reverse("scheduling:appointment_detail", args=[appointment.pk]) in text
    assert appointment.provider_id == clinic["a1"].pk and appointment.notes == "Left side"


def test_without_htmx_it_books_and_goes_to_the_appointment(admin, clinic):
    day = day_ahead(clinic["location"])
    response = admin.post(PANEL, booking(clinic, day, patient=clinic["jane"].pk, provider=""))
    (appointment,) = appointments_of(clinic["jane"])
    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling:appointment_detail", args=[appointment.pk])


def test_a_new_patient_is_added_and_booked_together(cast, admin, clinic):
    day = day_ahead(clinic["location"])
    new = {
        "new-first_name": "Maya", "new-last_name": "Chen", "new-date_of_birth": "1990-06-15",
        "new-phone": "(619) 555-0142", "new-email": "maya@mail.example", "new-consent_email": "on",
    }  # fmt: skip
    response = admin.post(PANEL, booking(clinic, day, **new), **HTMX)
    assert response.status_code == 200, response.content.decode()
    (maya,) = patients_named("Maya", "Chen")
    assert (maya.medspa_id, maya.phone, maya.consent_email, maya.consent_sms) == (
        cast.medspa_a.pk, "+16195550142", True, False
    )  # fmt: skip
    assert len(appointments_of(maya)) == 1


def test_a_refused_booking_leaves_no_new_patient_and_keeps_what_was_typed(admin, clinic):
    location, day = clinic["location"], day_ahead(clinic["location"])
    new = {"new-first_name": "Maya", "new-last_name": "Chen", "new-date_of_birth": "1990-06-15"}
    # The time was open when the panel was shown; someone took it meanwhile.
    book_directly(clinic, clinic["omar"], clinic["a1"], datetime.combine(day, time(10), tzinfo=location.tz))
    response = admin.post(PANEL, booking(clinic, day, notes="Walk-in", **new), **HTMX)
    assert response.status_code == 409
    assert patients_named("Maya", "Chen") == []
    text = response.content.decode()
    assert "That time is no longer available" in text
    assert 'value="Maya"' in text and 'value="1990-06-15"' in text and "Walk-in</textarea>" in text
    assert value(location, day, 10) not in text  # the fresh open times leave it out
    assert value(location, day, 11) in text


def test_a_taken_time_for_a_patient_on_file_is_a_conflict_with_fresh_times(admin, clinic):
    location, day = clinic["location"], day_ahead(clinic["location"])
    book_directly(clinic, clinic["omar"], clinic["a1"], datetime.combine(day, time(10), tzinfo=location.tz))
    response = admin.post(PANEL, booking(clinic, day, patient=clinic["jane"].pk))
    assert response.status_code == 409
    text = response.content.decode()
    assert "Chosen: Janeway Quillfeather" in text
    assert f'name="patient" value="{clinic["jane"].pk}"' in text
    assert "Nearest open: 9:00 AM, 9:15 AM, 10:45 AM." in text


def test_a_namesake_on_file_is_offered_instead_of_a_twin(cast, admin, clinic):
    jane, day = clinic["jane"], day_ahead(clinic["location"])
    twin = {
        "new-first_name": "janeway ", "new-last_name": "QUILLFEATHER",
        "new-date_of_birth": jane.date_of_birth.isoformat(),
    }  # fmt: skip
    refused = admin.post(PANEL, booking(clinic, day, **twin), **HTMX)
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "is already a patient: book them instead" in text
    assert f'name="use_patient" value="{jane.pk}"' in text
    assert len(patients_named("Janeway", "Quillfeather")) == 1
    # Booking the one on file.
    booked = admin.post(PANEL, booking(clinic, day, use_patient=jane.pk, **twin), **HTMX)
    assert booked.status_code == 200, booked.content.decode()
    assert len(appointments_of(jane)) == 1
    assert len(patients_named("Janeway", "Quillfeather")) == 1


def test_a_different_person_with_the_same_name_is_added_flagged(cast, admin, clinic):
    jane, day = clinic["jane"], day_ahead(clinic["location"])
    twin = {
        "new-first_name": "Janeway", "new-last_name": "Quillfeather",
        "new-date_of_birth": jane.date_of_birth.isoformat(), "add_anyway": "on",
    }  # fmt: skip
    response = admin.post(PANEL, booking(clinic, day, **twin), **HTMX)
    assert response.status_code == 200, response.content.decode()
    (newcomer,) = [p for p in patients_named("Janeway", "Quillfeather") if p.pk != jane.pk]
    assert newcomer.possible_duplicate_of_id == jane.pk


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "Choose a patient, or add a new one."),
        ({"patient": "jane", "start": ""}, "Choose a time."),
        ({"patient": "jane", "start": "soon"}, "Choose one of the open times."),
        ({"patient": "jane", "new-first_name": "Maya"}, "Choose a patient on file or fill in a new one"),
        ({"new-first_name": "Maya", "new-last_name": "Chen"}, "This field is required."),
        (
            {"new-first_name": "Maya", "new-last_name": "Chen", "new-date_of_birth": "2999-01-01"},
            "The date of birth cannot be in the future.",
        ),
    ],
)
def test_what_cannot_be_booked_is_a_bad_request_shown_in_the_panel(admin, clinic, fields, message):
    day = day_ahead(clinic["location"])
    if fields.get("patient") == "jane":
        fields = {**fields, "patient": clinic["jane"].pk}
    response = admin.post(PANEL, booking(clinic, day, **fields), **HTMX)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'id="quick-book-panel"' in response.content.decode()
    assert patients_named("Maya", "Chen") == []
    assert appointments_of(clinic["jane"]) == []


def test_a_patient_of_another_medspa_cannot_be_booked_nor_offered(cast, admin, clinic):
    stranger = factories.PatientFactory(medspa=cast.medspa_b, first_name="Janeway", last_name="Quillfeather")
    day = day_ahead(clinic["location"])
    for fields in ({"patient": stranger.pk}, {"use_patient": stranger.pk}):
        response = admin.post(PANEL, booking(clinic, day, **fields), **HTMX)
        assert response.status_code == 400, fields
        assert "That patient cannot be booked here: find them again." in response.content.decode()
    assert appointments_of(stranger) == []
    assert "Chosen:" not in admin.get(PANEL, {"patient": stranger.pk}).content.decode()


def test_a_double_click_books_once_and_adds_the_new_patient_once(admin, clinic):
    day = day_ahead(clinic["location"])
    new = {"new-first_name": "Maya", "new-last_name": "Chen", "new-date_of_birth": "1990-06-15"}
    first = admin.post(PANEL, booking(clinic, day, idempotency_key="double", **new), **HTMX)
    second = admin.post(PANEL, booking(clinic, day, idempotency_key="double", **new), **HTMX)
    assert first.status_code == second.status_code == 200
    (maya,) = patients_named("Maya", "Chen")
    (appointment,) = appointments_of(maya)
    assert json.loads(second["HX-Trigger"]) == {"appointment-booked": {"id": appointment.pk}}
    jane = {"patient": clinic["jane"].pk, "provider": clinic["a2"].pk, "idempotency_key": "k2"}
    again = admin.post(PANEL, booking(clinic, day, **jane))
    admin.post(PANEL, booking(clinic, day, hour=11, **jane))
    assert again.status_code == 302 and len(appointments_of(clinic["jane"])) == 1


def test_each_panel_gets_its_own_idempotency_key(admin, clinic):
    keys = [admin.get(PANEL).context["form"].initial["idempotency_key"] for _ in range(2)]
    assert len(set(keys)) == 2 and all(len(key) == 32 for key in keys)


# --- Warnings -----------------------------------------------------------------------------------------------


@unscoped
def type_asks_everything(clinic):
    """A $1,250 deposit, ten days' notice, an intake form, and a service that needs a GFE."""
    appointment_type = clinic["type"]
    appointment_type.price = Decimal("2000.00")
    appointment_type.deposit_amount = Decimal("1250.00")
    appointment_type.min_notice_minutes = 10 * 24 * 60
    appointment_type.save()
    form = IntakeFormFactory(medspa=appointment_type.medspa, title="Health history")
    appointment_type.intake_forms.set([form])
    service = appointment_type.service
    service.requires_gfe = True
    service.save()


def test_the_panel_warns_of_gfe_deposit_paperwork_notice_and_no_contact(admin, clinic):
    type_asks_everything(clinic)
    day = day_ahead(clinic["location"], 3)
    text = admin.get(PANEL, {"start": wall(day, 10), "patient": clinic["omar"].pk}).content.decode()
    on = f"{day:%b} {day.day}"
    assert f"Neurotoxin needs a GFE and Omar Brightwater is not cleared on {on}: request one" in text
    assert "asks a $1,250.00 deposit: booked here, it is left due" in text
    assert "Paperwork to do before the visit: Health history." in text
    assert "Inside the 240-hour minimum notice of Neurotoxin: the front desk may book it" in text
    assert "Omar Brightwater has no email or mobile number we may use: no confirmation will be sent." in text


def test_a_patient_cleared_and_reachable_far_enough_ahead_gets_only_the_type_warnings(admin, clinic):
    type_asks_everything(clinic)
    jane, service, day = clinic["jane"], clinic["type"].service, day_ahead(clinic["location"], 12)
    clear(jane, service, until=day)
    text = admin.get(PANEL, {"start": wall(day, 10), "patient": jane.pk}).content.decode()
    assert "needs a GFE" not in text
    assert "minimum notice" not in text
    assert "no email or mobile" not in text
    assert "deposit" in text and "Health history" in text


@unscoped
def clear(patient, service, *, until):
    ClearanceFactory(
        medspa=patient.medspa, patient=patient, service=service, status=ClearanceStatus.CLEARED,
        valid_until=until,
    )  # fmt: skip


def test_a_new_patient_without_contact_is_warned_in_the_refresh(admin, clinic):
    day = day_ahead(clinic["location"])
    params = {
        "location": clinic["location"].pk, "appointment_type": clinic["type"].pk, "date": day.isoformat(),
        "start": value(clinic["location"], day, 10), "new-first_name": "Maya", "new-last_name": "Chen",
    }  # fmt: skip
    text = admin.get(TIMES, params, **HTMX).content.decode()
    assert "Maya Chen has no email or mobile number we may use" in text
    params |= {"new-email": "maya@mail.example", "new-consent_email": "on"}
    assert "no email or mobile" not in admin.get(TIMES, params, **HTMX).content.decode()

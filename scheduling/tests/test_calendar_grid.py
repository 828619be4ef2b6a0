"""The calendar's time grid: its events endpoint (fields, wall-clock times across a change of daylight saving
time, filters, the provider's own, query counts, the access log), the page's size however busy the week, and
the moves made on the grid (move, resize, room, Undo), with the patient told only of a move that stands."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from medspa.messaging import sms
from medspa.models import PatientAccessLog
from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, AppointmentStatus, NotificationLog, Resource
from scheduling.services import booking, hooks
from scheduling.tests.calendar_feed import feed_events
from scheduling.tests.test_calendar import at, book, day_after_tomorrow, fill_week, member
from tests import factories
from tests.factories import unscoped

LA = ZoneInfo("America/Los_Angeles")

# The events endpoint's queries, however many appointments: the request's own 9 (as the calendar page's);
# the locations; the appointments with all they show (one query, rows not objects); their paperwork, of
# which this type asks none (its intake forms, and the service with its consents: 3, then nothing more);
# the provider columns; the access log's one INSERT.
EVENTS_QUERIES = 16


@pytest.fixture
def world(cast):
    """Medspa A's clinic (America/Los_Angeles, 9:00–17:00) where admin_a, provider_a1 and provider_a2 work,
    its 30-minute type with 10 minutes' buffer after, and two patients, as in test_calendar."""
    providers = [member(cast.admin_a), member(cast.provider_a1), member(cast.provider_a2)]
    location, appointment_type = factories.scheduling_world(cast.medspa_a, providers)
    return {
        "medspa": cast.medspa_a,
        "location": location,
        "type": appointment_type,
        "a1": providers[1],
        "a2": providers[2],
        "jane": factories.PatientFactory(
            medspa=cast.medspa_a, first_name="Janeway", last_name="Quillfeather"
        ),
        "omar": factories.PatientFactory(medspa=cast.medspa_a, first_name="Omar", last_name="Brightwater"),
    }


def events(client, **params):
    response = client.get(reverse("scheduling:calendar_events"), params)
    assert response.status_code == 200, response.content
    return response.json()


def by_patient(data, name):
    return next(event for event in feed_events(data) if event["title"] == name)


# --- The events endpoint ------------------------------------------------------------------------------------


def test_each_event_says_when_where_who_and_how_far_it_is(client_as, world):
    appointment = book(world, world["jane"], world["a1"], 10)
    day = day_after_tomorrow(world["location"])
    data = events(client_as("admin_a"), start=day.isoformat(), end=(day + timedelta(days=1)).isoformat())
    event = by_patient(data, "Janeway Quillfeather")
    assert event["id"] == str(appointment.pk)
    assert event["start"] == f"{day.isoformat()}T10:00:00"  # the clinic's wall clock, no offset
    assert event["end"] == f"{day.isoformat()}T10:30:00"
    assert event["resourceId"] == str(world["a1"].pk)
    assert event["classNames"] == ["appt", "status-booked"]
    assert event["editable"] is True
    props = event["extendedProps"]
    assert props["url"] == reverse("scheduling:appointment_detail", args=[appointment.pk])
    assert props["type"] == "Neurotoxin" and props["color"] == world["type"].color
    assert props["status"] == "booked" and props["statusLabel"] == "Booked"
    assert props["location"] == world["location"].name
    assert props["paperwork"] == ""  # this type asks for none
    # The columns: every provider working at the clinic, by name.
    ids = [resource["id"] for resource in data["resources"]]
    assert str(world["a1"].pk) in ids and str(world["a2"].pk) in ids


@unscoped
def test_times_stay_on_the_clinics_clock_across_the_end_of_daylight_saving_time(client_as, world):
    """Sunday, Nov 1, 2026: Los Angeles goes from PDT (UTC-7) back to PST (UTC-8) at 2:00. The week of Oct 26
    shows 9:00 as 9:00 on each side, and both 1:30s of the night as 1:30."""
    location = world["location"]
    made = []
    for day, hour, minute, fold in [
        (date(2026, 10, 31), 9, 0, 0),
        (date(2026, 11, 1), 1, 30, 0),  # PDT
        (date(2026, 11, 1), 1, 30, 1),  # PST, an hour later
        (date(2026, 11, 1), 9, 0, 0),
    ]:
        start = datetime.combine(day, time(hour, minute), tzinfo=LA).replace(fold=fold)
        made.append(
            Appointment.objects.create(
                medspa=location.medspa,
                location=location,
                provider=world["a1"] if fold == 0 else world["a2"],
                patient=world["jane"],
                appointment_type=world["type"],
                start=start,
                end=start + timedelta(minutes=30),
                blocked_start=start,
                blocked_end=start + timedelta(minutes=40),
            )  # fmt: skip
        )
    assert made[2].start.astimezone(UTC) - made[1].start.astimezone(UTC) == timedelta(hours=1)  # two instants
    data = events(client_as("admin_a"), start="2026-10-26", end="2026-11-02", location=location.pk)
    starts = {event["id"]: event["start"] for event in feed_events(data)}
    assert [starts[str(a.pk)] for a in made] == [
        "2026-10-31T09:00:00",
        "2026-11-01T01:30:00",
        "2026-11-01T01:30:00",
        "2026-11-01T09:00:00",
    ]
    # The next week starts on Nov 2: none of these is in it.
    assert feed_events(events(client_as("admin_a"), start="2026-11-02", end="2026-11-09")) == []


def test_filters_by_provider_location_and_cancelled(client_as, cast, world):
    mine = book(world, world["jane"], world["a1"], 10)
    theirs = book(world, world["omar"], world["a2"], 11)
    with medspa_scope(world["medspa"]):
        Appointment.objects.filter(pk=theirs.pk).update(status=AppointmentStatus.CANCELLED)
    client = client_as("admin_a")
    day = day_after_tomorrow(world["location"])
    span = {"start": day.isoformat(), "end": (day + timedelta(days=1)).isoformat()}
    assert [e["id"] for e in feed_events(events(client, **span))] == [str(mine.pk)]  # no cancelled by default
    shown = feed_events(events(client, **span, cancelled="1"))
    assert [e["id"] for e in shown] == [str(mine.pk), str(theirs.pk)]
    cancelled = shown[1]
    assert cancelled["classNames"] == ["appt", "status-cancelled"] and cancelled["editable"] is False
    assert cancelled["extendedProps"]["statusLabel"] == "Cancelled"
    only_a2 = events(client, **span, cancelled="1", provider=world["a2"].pk)
    assert [e["id"] for e in feed_events(only_a2)] == [str(theirs.pk)]
    assert [r["id"] for r in only_a2["resources"]] == [str(world["a2"].pk)]
    elsewhere, _ = factories.scheduling_world(world["medspa"], [world["a1"]])
    assert feed_events(events(client, **span, location=elsewhere.pk)) == []
    # Medspa B's admin sees none of medspa A's.
    assert feed_events(events(client_as("admin_b"), **span, cancelled="1")) == []
    # One status only, as the admin's Today links to it; an unknown status filters nothing.
    assert [e["id"] for e in feed_events(events(client, **span, status="cancelled"))] == [str(theirs.pk)]
    assert [e["id"] for e in feed_events(events(client, **span, status="booked"))] == [str(mine.pk)]
    assert [e["id"] for e in feed_events(events(client, **span, status="nonsense"))] == [str(mine.pk)]
    page = client.get(
        reverse("scheduling:calendar"), {"view": "day", "date": day.isoformat(), "status": "booked"}
    )
    assert 'data-status="booked"' in page.content.decode()


@unscoped
def test_room_columns_list_the_locations_rooms(client_as, world):
    room = Resource.objects.create(medspa=world["medspa"], location=world["location"], name="Room 1")
    Resource.objects.create(medspa=world["medspa"], location=world["location"], name="Laser", kind="device")
    roomless = book(world, world["jane"], world["a1"], 10)
    in_room = book(world, world["omar"], world["a2"], 10)
    Appointment.objects.filter(pk=in_room.pk).update(resource=room)
    day = day_after_tomorrow(world["location"])
    data = events(
        client_as("admin_a"),
        start=day.isoformat(),
        end=(day + timedelta(days=1)).isoformat(),
        location=world["location"].pk,
        by="room",
    )
    assert [r["title"] for r in data["resources"]] == ["Room 1", "No room"]  # rooms, not devices
    placed = {e["id"]: e["resourceId"] for e in feed_events(data)}
    assert placed == {str(roomless.pk): "none", str(in_room.pk): str(room.pk)}


def test_a_range_that_is_missing_or_too_long_is_refused(client_as):
    client = client_as("admin_a")
    url = reverse("scheduling:calendar_events")
    assert client.get(url).status_code == 400
    assert client.get(url, {"start": "2026-12-07", "end": "2026-12-07"}).status_code == 400
    assert client.get(url, {"start": "2026-01-01", "end": "2026-12-31"}).status_code == 400
    assert client.get(url, {"start": "2026-02-30", "end": "2026-03-02"}).status_code == 400


def test_the_provider_reads_only_their_own_appointments(client_as, world):
    mine = book(world, world["jane"], world["a1"], 10)
    book(world, world["omar"], world["a2"], 10)
    day = day_after_tomorrow(world["location"])
    span = {"start": day.isoformat(), "end": (day + timedelta(days=1)).isoformat()}
    client = client_as("provider_a1")
    url = reverse("providers:calendar_events")
    for asked in ({}, {"provider": world["a2"].pk}, {"by": "room"}):
        data = client.get(url, {**span, **asked}).json()
        assert [e["id"] for e in feed_events(data)] == [str(mine.pk)]
        assert data["resources"] == []
    event = feed_events(data)[0]
    assert event["editable"] is False  # their grid only shows
    assert event["extendedProps"]["url"] == reverse("providers:calendar") + f"?appointment={mine.pk}"
    assert feed_events(client_as("provider_a2").get(url, span).json())[0]["title"] == "Omar Brightwater"
    assert client_as("admin_b").get(url, span).status_code == 403
    assert client.get(reverse("scheduling:calendar_events"), span).status_code == 403


def test_the_events_endpoint_logs_a_read_of_each_patient_it_names(client_as, cast, world):
    book(world, world["jane"], world["a1"], 10)
    book(world, world["omar"], world["a2"], 11)
    day = day_after_tomorrow(world["location"])
    events(client_as("admin_a"), start=day.isoformat(), end=(day + timedelta(days=1)).isoformat())
    with medspa_scope(world["medspa"]):
        logged = PatientAccessLog.objects.filter(actor=cast.admin_a, viewed__startswith="Calendar: ")
        assert set(logged.values_list("patient_id", flat=True)) == {world["jane"].pk, world["omar"].pk}


@pytest.mark.parametrize("count", [3, 40])
def test_the_events_endpoint_runs_a_constant_number_of_queries(
    client_as, world, count, django_assert_num_queries
):
    monday = fill_week(world, count)
    client = client_as("admin_a")
    span = {"start": monday.isoformat(), "end": (monday + timedelta(days=7)).isoformat()}
    client.get(reverse("scheduling:calendar_events"), span)  # the first request of a session writes it
    with django_assert_num_queries(EVENTS_QUERIES):
        data = events(client, **span)
    assert len(feed_events(data)) == count


def test_the_events_are_a_table_naming_each_patient_provider_and_type_once(client_as, world):
    """A busy week holds a thousand appointments: the fields are named once, an appointment is a row of
    numbers, and the names the rows share are listed once (about 40 bytes an appointment, against some 500
    as one object each with its names and links written out)."""
    monday = fill_dense_week(world, 300)
    response = client_as("admin_a").get(
        reverse("scheduling:calendar_events"),
        {"start": monday.isoformat(), "end": (monday + timedelta(days=7)).isoformat()},
    )
    data = response.json()
    assert data["columns"][:3] == ["id", "start", "minutes"]
    assert len(data["rows"]) == 300 and {len(row) for row in data["rows"]} == {len(data["columns"])}
    assert sorted(data["patients"]) == ["Janeway Quillfeather", "Omar Brightwater"]
    assert len(data["providers"]) == 3 and len(data["types"]) == 1 and len(data["locations"]) == 1
    assert data["statuses"] == [["booked", "Booked", True]] and data["rooms"] == data["paperwork"] == []
    assert data["url"] == reverse("scheduling:appointment_detail", args=[0]).replace("/0/", "/{id}/")
    first = feed_events(data)[0]  # Monday 7:00 on the clinic's clock, ten minutes
    assert (first["start"], first["end"]) == (
        f"{monday.isoformat()}T07:00:00",
        f"{monday.isoformat()}T07:10:00",
    )
    assert len(response.content) < 300 * 50


# --- The page -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 300])
def test_the_busiest_weeks_page_stays_small(client_as, world, count):
    """The grid's appointments come from the events endpoint; the page lists one day's. ~300 appointments in
    the week (about 43 a day) make a page under 100 KB, rendered without a template per appointment."""
    monday = fill_dense_week(world, count)
    client = client_as("admin_a")
    response = client.get(reverse("scheduling:calendar"), {"view": "week", "date": monday.isoformat()})
    assert response.status_code == 200
    listed = response.content.decode().count('class="appt-row ')
    assert listed == sum(1 for n in range(count) if n % 7 == 0)  # Monday's
    assert len(response.content) <= 100_000
    templates = [template.name for template in response.templates]
    assert (
        "scheduling/calendar/_chip.html" not in templates
        and "scheduling/calendar/_action.html" not in templates
    )
    assert len(templates) < 20  # a fixed set, whatever the count


@unscoped
def fill_dense_week(world, count):
    """`count` appointments over this week's seven days: each day, the three providers every 10 minutes
    from 7:00 (the grid's data, not bookings: rules are not applied)."""
    location = world["location"]
    today = timezone.now().astimezone(location.tz).date()
    monday = today - timedelta(days=today.weekday())
    providers = [
        world["a1"],
        world["a2"],
        world["type"].providers.exclude(pk__in=[world["a1"].pk, world["a2"].pk]).get(),
    ]
    rows = []
    for number in range(count):
        day, slot = monday + timedelta(days=number % 7), number // 7
        start = datetime.combine(day, time(7), tzinfo=location.tz) + timedelta(minutes=10 * (slot // 3))
        rows.append(
            Appointment(
                medspa=location.medspa,
                location=location,
                provider=providers[slot % 3],
                patient=world["jane"] if number % 2 else world["omar"],
                appointment_type=world["type"],
                start=start,
                end=start + timedelta(minutes=10),
                blocked_start=start,
                blocked_end=start + timedelta(minutes=10),
            )  # fmt: skip
        )
    Appointment.objects.bulk_create(rows)
    return monday


# --- Moves on the grid --------------------------------------------------------------------------------------


def move(client, appointment, **fields):
    return client.post(
        reverse("scheduling:appointment_move", args=[appointment.pk]), fields, content_type="application/json"
    )


def local(day, hour, minute=0) -> str:
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}"


def reload(appointment):
    with medspa_scope(appointment.medspa_id):
        return Appointment.objects.get(pk=appointment.pk)


def test_a_drop_moves_the_appointment_and_answers_where_it_was(client_as, world):
    appointment = book(world, world["jane"], world["a1"], 10)
    day = day_after_tomorrow(world["location"])
    response = move(client_as("admin_a"), appointment, start=local(day, 11, 30), end=local(day, 12))
    assert response.status_code == 200, response.content
    body = response.json()
    moved = reload(appointment)
    assert moved.start == at(world["location"], day, 11, 30) and moved.end == at(world["location"], day, 12)
    assert moved.blocked_end == moved.end + timedelta(minutes=10)  # the type's buffer follows
    assert body["start"] == local(day, 11, 30) and body["provider"] == str(world["a1"].pk)
    assert body["previous"] == {
        "start": local(day, 10),
        "end": local(day, 10, 30),
        "provider": str(world["a1"].pk),
        "resource": "",
    }
    assert body["message"].startswith(f"Moved to {day:%a %b} {day.day}, 11:30 AM with ")


def test_a_drop_on_another_providers_column_gives_it_to_them(client_as, world):
    appointment = book(world, world["jane"], world["a1"], 10)
    day = day_after_tomorrow(world["location"])
    response = move(client_as("admin_a"), appointment, start=local(day, 10), provider=world["a2"].pk)
    assert response.status_code == 200, response.content
    moved = reload(appointment)
    assert moved.provider_id == world["a2"].pk and moved.start == appointment.start


def test_a_taken_time_answers_409_and_changes_nothing(client_as, world):
    appointment = book(world, world["jane"], world["a1"], 10)
    book(world, world["omar"], world["a2"], 11)
    day = day_after_tomorrow(world["location"])
    client = client_as("admin_a")
    response = move(client, appointment, start=local(day, 11), provider=world["a2"].pk)
    assert response.status_code == 409
    assert "no longer available" in response.json()["detail"]
    # A longer end that runs into the next appointment of the provider: the constraint says no (409).
    book(world, world["omar"], world["a1"], 11)
    response = move(client, appointment, end=local(day, 11, 15))
    assert response.status_code == 409
    assert "has another appointment then" in response.json()["detail"]
    assert (reload(appointment).start, reload(appointment).end) == (appointment.start, appointment.end)


def test_broken_rules_answer_400_with_the_reason(client_as, world):
    appointment = book(world, world["jane"], world["a1"], 10)
    day = day_after_tomorrow(world["location"])
    client = client_as("admin_a")
    cases = [
        ({"start": local(day, 20)}, "outside the hours"),
        ({"start": local(day - timedelta(days=5), 10)}, "in the past"),
        ({"end": local(day, 10)}, "must end after it starts"),
        ({"end": local(day, 9)}, "must end after it starts"),
        ({"start": "tomorrow at ten"}, "YYYY-MM-DDTHH:MM"),
        ({"start": local(day, 11), "provider": "999999"}, "Choose one of the medspa's providers"),
    ]
    for fields, reason in cases:
        response = move(client, appointment, **fields)
        assert response.status_code == 400, fields
        assert reason in response.json()["detail"], (fields, response.json())
    with medspa_scope(world["medspa"]):
        Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.COMPLETED)
    assert move(client, appointment, end=local(day, 11)).status_code == 400
    assert move(client, appointment, start=local(day, 11)).status_code == 400
    assert reload(appointment).start == appointment.start


def test_the_staff_move_inside_the_online_minimum_notice(client_as, world):
    with medspa_scope(world["medspa"]):
        world["type"].min_notice_minutes = 60 * 24 * 7
        world["type"].save(update_fields=["min_notice_minutes"])
    appointment = book(world, world["jane"], world["a1"], 10)
    day = day_after_tomorrow(world["location"])
    assert move(client_as("admin_a"), appointment, start=local(day, 12)).status_code == 200


@unscoped
def test_a_drop_on_a_room_column_must_be_a_room_of_the_type(client_as, world):
    rooms = [
        Resource.objects.create(medspa=world["medspa"], location=world["location"], name=f"Room {n}")
        for n in (1, 2)
    ]
    other = Resource.objects.create(medspa=world["medspa"], location=world["location"], name="Storage")
    world["type"].rooms.set(rooms)
    appointment = book(world, world["jane"], world["a1"], 10)
    Appointment.objects.filter(pk=appointment.pk).update(resource=rooms[0])
    day = day_after_tomorrow(world["location"])
    client = client_as("admin_a")
    response = move(client, appointment, start=local(day, 10), resource=other.pk)
    assert response.status_code == 400 and "is not given in Storage" in response.json()["detail"]
    assert move(client, appointment, start=local(day, 10), resource=rooms[1].pk).status_code == 200
    assert reload(appointment).resource_id == rooms[1].pk
    # Room 1 taken at 11:00 by another provider's appointment: moving into it then is a conflict.
    taken = book(world, world["omar"], world["a2"], 11)
    Appointment.objects.filter(pk=taken.pk).update(resource=rooms[0])
    response = move(client, appointment, start=local(day, 11), resource=rooms[0].pk)
    assert response.status_code == 409 and "Room 1 is taken then" in response.json()["detail"]
    moved = reload(appointment)
    assert (moved.start, moved.resource_id) == (appointment.start, rooms[1].pk)  # all or nothing


def test_who_may_move(client_as, cast, world):
    appointment = book(world, world["jane"], world["a1"], 10)
    day = day_after_tomorrow(world["location"])
    assert move(client_as("admin_b"), appointment, start=local(day, 11)).status_code == 404
    assert (
        move(client_as("provider_a1"), appointment, start=local(day, 11)).status_code == 403
    )  # their own too
    assert move(client_as("anonymous"), appointment, start=local(day, 11)).status_code == 302
    assert (
        client_as("admin_a").get(reverse("scheduling:appointment_move", args=[appointment.pk])).status_code
        == 405
    )
    assert reload(appointment).start == appointment.start
    coordinator = member(cast.provider_a2)
    coordinator.is_coordinator = True
    coordinator.save()
    client = client_as("provider_a2")
    client.post("/dashboard/switch/", {"to": "coordinator"})
    assert move(client, appointment, start=local(day, 11)).status_code == 200
    assert reload(appointment).start == at(world["location"], day, 11)


def test_appointment_resize_keeps_the_start_and_moves_the_buffer(world):
    appointment = book(world, world["jane"], world["a1"], 10)
    day = day_after_tomorrow(world["location"])
    with medspa_scope(world["medspa"]):
        resized = booking.appointment_resize(appointment=appointment, end=at(world["location"], day, 11))
        assert resized.start == appointment.start
        assert (resized.end, resized.blocked_end) == (
            at(world["location"], day, 11),
            at(world["location"], day, 11, 10),
        )
        Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.CANCELLED)
        with pytest.raises(booking.BookingInvalid, match="cancelled appointment cannot be resized"):
            booking.appointment_resize(appointment=appointment, end=at(world["location"], day, 12))


# --- The patient's message after a move, and the Undo -------------------------------------------------------


@pytest.fixture
def told(world, settings, monkeypatch):
    """Jane asks for emails and texts; the tasks the moves queue (the notifications, the GFE's side) are kept,
    to run when the test says (as the broker would, RESCHEDULE_NOTICE_DELAY seconds later)."""
    settings.SMS_BACKEND = "medspa.messaging.sms.LocmemSmsBackend"
    sms.outbox.clear()
    patient = world["jane"]
    patient.email, patient.consent_email = "jane@mail.example", True
    with medspa_scope(world["medspa"]):
        patient.save()
    queued = []

    def keep(calls):
        queued.extend(
            (name, args, {"countdown": countdown} if countdown else {}) for name, args, countdown in calls
        )

    monkeypatch.setattr(hooks, "tasks_queue", keep)
    return queued


def run(queued):
    from scheduling import tasks

    for name, args, _options in queued:
        getattr(tasks, name.rpartition(".")[2])(*args)
    queued.clear()


def notices(queued) -> list[dict]:
    """The options of the notifications queued (the GFE's tasks left out)."""
    return [options for name, _args, options in queued if name == "scheduling.tasks.appointment_notify"]


def reschedule_rows(appointment):
    with medspa_scope(appointment.medspa_id):
        return list(
            NotificationLog.objects.filter(
                appointment=appointment, kind__startswith="reschedule"
            ).values_list("kind", "channel", "status")
        )


def booked_and_confirmed(world, told, django_capture_on_commit_callbacks):
    day = day_after_tomorrow(world["location"])
    with medspa_scope(world["medspa"]), django_capture_on_commit_callbacks(execute=True):
        appointment = booking.appointment_book(
            appointment_type=world["type"],
            start=at(world["location"], day, 10),
            patient=world["jane"],
            provider=world["a1"],
        )
    run(told)
    assert len(to_jane()) == 1  # the confirmation
    return appointment, day


def to_jane():
    return [message for message in mail.outbox if "jane@mail.example" in message.to]


def test_a_move_undone_within_the_window_sends_the_patient_nothing(
    client_as, world, told, django_capture_on_commit_callbacks
):
    appointment, day = booked_and_confirmed(world, told, django_capture_on_commit_callbacks)
    client = client_as("admin_a")
    with django_capture_on_commit_callbacks(execute=True):
        body = move(client, appointment, start=local(day, 12), end=local(day, 12, 30)).json()
    assert notices(told) == [{"countdown": hooks.RESCHEDULE_NOTICE_DELAY}]  # the notice waits out the Undo
    with django_capture_on_commit_callbacks(execute=True):
        assert move(client, appointment, **body["previous"]).status_code == 200
    assert reload(appointment).start == appointment.start
    run(told)  # both notices come due: the move's (no longer true) and the Undo's (nothing changed)
    assert len(to_jane()) == 1 and reschedule_rows(appointment) == []


def test_a_move_that_stands_is_told_once(client_as, world, told, django_capture_on_commit_callbacks):
    appointment, day = booked_and_confirmed(world, told, django_capture_on_commit_callbacks)
    client = client_as("admin_a")
    with django_capture_on_commit_callbacks(execute=True):
        move(client, appointment, start=local(day, 12))
    with django_capture_on_commit_callbacks(execute=True):
        move(client, appointment, start=local(day, 13))  # moved again before the first notice went
    run(told)
    sent = to_jane()
    assert len(sent) == 2
    assert "1:00 PM" in sent[1].body and "12:00 PM" not in sent[1].body
    assert {kind for kind, _, _ in reschedule_rows(appointment)} == {reschedule_kind(reload(appointment))}


def test_a_resize_sends_no_reschedule_message_as_the_start_the_patient_knows_stands(
    client_as, world, told, django_capture_on_commit_callbacks
):
    appointment, day = booked_and_confirmed(world, told, django_capture_on_commit_callbacks)
    client = client_as("admin_a")
    with django_capture_on_commit_callbacks(execute=True):
        body = move(client, appointment, end=local(day, 11)).json()
    with django_capture_on_commit_callbacks(execute=True):
        move(client, appointment, **body["previous"])
    with django_capture_on_commit_callbacks(execute=True):
        move(client, appointment, end=local(day, 10, 45))
    run(told)
    assert reload(appointment).end == at(world["location"], day, 10, 45)
    assert len(to_jane()) == 1 and reschedule_rows(appointment) == []  # the message names the start only


def reschedule_kind(appointment) -> str:
    from scheduling.services.notifications import log_kind

    return log_kind(appointment, "reschedule")


def test_the_page_gives_the_grid_its_settings(client_as, world):
    day = day_after_tomorrow(world["location"])
    client = client_as("admin_a")
    page = client.get(reverse("scheduling:calendar"), {"view": "day", "date": day.isoformat(), "by": "room"})
    content = page.content.decode()
    assert 'data-view="resourceTimeGridDay"' in content and 'data-by="room"' in content
    assert f'data-date="{day.isoformat()}"' in content
    assert f'data-events-url="{reverse("scheduling:calendar_events")}"' in content
    assert 'data-move-url="/dashboard/scheduling/appointments/0/move/"' in content
    # One zone shown: the grid's clock is Los Angeles' offset now.
    offset = timezone.now().astimezone(LA).strftime("%z")
    assert f'data-time-zone="{offset[:3]}:{offset[3:]}"' in content
    # An empty time books in the quick booking panel when there is one, else on the booking page.
    assert (
        'data-quick-book-url="' in content
        or f'data-book-url="{reverse("scheduling:appointment_new")}"' in content
    )
    assert 'src="/static/vendor/event-calendar/event-calendar.min.js"' in content
    week = client.get(reverse("scheduling:calendar"), {"view": "week", "provider": world["a1"].pk}).content
    assert b'data-view="timeGridWeek"' in week
    everyone = client.get(reverse("scheduling:calendar"), {"view": "week"}).content
    assert b'data-view="timeGridWeek"' in everyone  # a column a day, not a column a provider a day
    own = client_as("provider_a1").get(reverse("providers:calendar"), {"view": "day"}).content.decode()
    assert 'data-view="timeGridDay"' in own and 'data-editable=""' in own and 'data-move-url=""' in own
    assert f'data-events-url="{reverse("providers:calendar_events")}"' in own

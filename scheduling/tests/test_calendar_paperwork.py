"""The paperwork of each appointment on the calendars: one badge on the chip of the day and week views and on
the appointment's page ("Paperwork complete", "Forms 1 of 2 · Consents 0 of 2"), in words and not colour
only; nothing when the visit needs none or is over. The grid reads the paperwork of all its appointments at
once: its query count does not grow with them."""

from datetime import timedelta

import pytest
from django.urls import reverse

from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, AppointmentStatus, AppointmentType
from scheduling.tests.calendar_feed import feed_events
from scheduling.tests.factories import IntakeResponseFactory
from scheduling.tests.test_calendar import at, day_after_tomorrow, member
from services_catalog.tests.factories import (
    ConsentFactory,
    ConsentSignatureFactory,
    ConsentVersionFactory,
    IntakeFormFactory,
    IntakeFormVersionFactory,
    ServiceFactory,
)
from tests import factories
from tests.factories import unscoped

# The grid's week of events when its appointments ask for paperwork: the request's own 9, the locations,
# the appointments, the provider columns and the access log's INSERT (as in test_calendar_grid's
# EVENTS_QUERIES, its paperwork aside), then the paperwork of every appointment shown, at once: the types'
# intake forms, the responses to them, the services, their consents and the consents' versions
# (prefetched), the patients' merged-away records and the signatures of those versions: 7.
PAPERWORK_EVENTS_QUERIES = 20

HIDDEN = '<span class="visually-hidden">Paperwork to do: </span>'


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the signatures' images


@pytest.fixture
def world(cast):
    """Medspa A's clinic (America/Los_Angeles) where admin_a, provider_a1 and provider_a2 work, its type, and
    two patients, as in test_calendar."""
    providers = [member(cast.admin_a), member(cast.provider_a1), member(cast.provider_a2)]
    location, appointment_type = factories.scheduling_world(cast.medspa_a, providers)
    return {
        "medspa": cast.medspa_a,
        "location": location,
        "type": appointment_type,
        "a1": providers[1],
        "jane": factories.PatientFactory(
            medspa=cast.medspa_a, first_name="Janeway", last_name="Quillfeather"
        ),
        "omar": factories.PatientFactory(medspa=cast.medspa_a, first_name="Omar", last_name="Brightwater"),
    }


@unscoped
def make_book(world, patient, hour, *, appointment_type=None, day=None, status=AppointmentStatus.BOOKED):
    appointment_type = appointment_type or world["type"]
    start = at(world["location"], day or day_after_tomorrow(world["location"]), hour)
    return Appointment.objects.create(
        medspa=world["medspa"], location=world["location"], provider=world["a1"], patient=patient,
        appointment_type=appointment_type, start=start, end=start + timedelta(minutes=30),
        blocked_start=start, blocked_end=start + timedelta(minutes=40), status=status,
    )  # fmt: skip


@pytest.fixture
@unscoped
def paperwork(world):
    """The world's type asks two intake forms and its service needs two consents; a second type at the same
    location asks nothing."""
    medspa = world["medspa"]
    forms = []
    for title in ("Health questionnaire", "Aesthetic goals"):
        form = IntakeFormFactory(medspa=medspa, title=title)
        IntakeFormVersionFactory(form=form, number=1)
        forms.append(form)
    world["type"].intake_forms.set(forms)
    versions = []
    for title in ("Neurotoxin consent", "Photo consent"):
        version = ConsentVersionFactory(consent=ConsentFactory(medspa=medspa, title=title), number=1)
        world["type"].service.consents.add(version.consent)
        versions.append(version)
    bare = AppointmentType.objects.create(
        medspa=medspa,
        location=world["location"],
        service=ServiceFactory(medspa=medspa, name="Consultation"),
        name="Consultation",
        duration_minutes=30,
        price=0,
    )
    return {"forms": forms, "versions": versions, "bare": bare}


@unscoped
def submit(appointment, form):
    return IntakeResponseFactory(
        medspa=appointment.medspa,
        appointment=appointment,
        patient=appointment.patient,
        version=form.versions.get(),
    )


@unscoped
def sign(patient, version):
    return ConsentSignatureFactory(medspa=patient.medspa, patient=patient, version=version, witnessed_by=None)


@pytest.fixture
def booked(world, paperwork):
    """Four appointments on the day after tomorrow: nothing done (10:00), half done (11:00), all done
    (12:00) and one that needs no paperwork (13:00)."""
    nothing = make_book(world, factories.PatientFactory(medspa=world["medspa"], first_name="Nadia"), 10)
    half = make_book(world, world["jane"], 11)
    response = submit(half, paperwork["forms"][0])
    sign(world["jane"], paperwork["versions"][1])
    done = make_book(world, world["omar"], 12)
    for form in paperwork["forms"]:
        submit(done, form)
    for version in paperwork["versions"]:
        sign(world["omar"], version)
    free = make_book(world, world["jane"], 13, appointment_type=paperwork["bare"])
    return {"nothing": nothing, "half": half, "response": response, "done": done, "free": free}


def chip_of(content: str, patient_name: str) -> str:
    """The row of the day's list that names the patient (the grid draws the same words from the events
    endpoint: test_the_grids_events_carry_the_same_paperwork_words)."""
    start = content.index(patient_name)
    return content[content.rindex('<tr class="appt-row', 0, start) : content.index("</tr>", start)]


@pytest.mark.parametrize("view", ["day", "week"])
def test_each_chip_says_how_far_its_paperwork_is(client_as, world, booked, view):
    day = day_after_tomorrow(world["location"])
    content = client_as("admin_a").get(reverse("scheduling:calendar") + f"?view={view}&date={day}")
    content = content.content.decode()
    assert HIDDEN + "Forms 0 of 2 · Consents 0 of 2</span>" in chip_of(content, "Nadia")
    assert HIDDEN + "Forms 1 of 2 · Consents 1 of 2</span>" in chip_of(content, "Janeway Quillfeather")
    done = chip_of(content, "Omar Brightwater")
    assert '<span class="badge appt-paperwork paperwork-complete">Paperwork complete</span>' in done
    assert content.count("appt-paperwork") == 3  # the consultation asks nothing: no badge


def test_the_appointment_page_lists_what_is_done_and_what_is_not(client_as, world, booked):
    client = client_as("admin_a")
    page = client.get(reverse("scheduling:appointment_detail", args=[booked["half"].pk])).content.decode()
    assert "<dt>Paperwork</dt>" in page
    assert HIDDEN + "Forms 1 of 2 · Consents 1 of 2</span>" in page
    submitted = booked["response"].submitted_at.astimezone(world["location"].tz)
    assert f"Health questionnaire: submitted {submitted:%b} {submitted.day}, {submitted:%-I:%M %p}" in page
    assert "Aesthetic goals: not yet submitted" in page
    assert "Neurotoxin consent: not yet signed" in page and "Photo consent: signed " in page
    done = client.get(reverse("scheduling:appointment_detail", args=[booked["done"].pk])).content.decode()
    assert "Paperwork complete" in done and "not yet" not in done
    free = client.get(reverse("scheduling:appointment_detail", args=[booked["free"].pk])).content.decode()
    assert "<dt>Paperwork</dt>" not in free and "appt-paperwork" not in free


def test_the_providers_own_calendar_shows_the_same_badges(client_as, world, booked):
    client = client_as("provider_a1")
    day = day_after_tomorrow(world["location"])
    week = client.get(reverse("providers:calendar") + f"?view=week&date={day}").content.decode()
    assert HIDDEN + "Forms 0 of 2 · Consents 0 of 2</span>" in chip_of(week, "Nadia")
    assert "Paperwork complete" in chip_of(week, "Omar Brightwater")
    page = client.get(reverse("providers:calendar") + f"?appointment={booked['half'].pk}").content.decode()
    assert HIDDEN + "Forms 1 of 2 · Consents 1 of 2</span>" in page
    assert "Aesthetic goals: not yet submitted" in page


def test_a_visit_over_or_cancelled_shows_no_paperwork(client_as, world, booked):
    with medspa_scope(world["medspa"]):
        Appointment.objects.filter(pk=booked["nothing"].pk).update(status=AppointmentStatus.CANCELLED)
        Appointment.objects.filter(pk=booked["half"].pk).update(status=AppointmentStatus.COMPLETED)
    client = client_as("admin_a")
    day = day_after_tomorrow(world["location"])
    content = client.get(
        reverse("scheduling:calendar") + f"?view=day&date={day}&cancelled=1"
    ).content.decode()
    assert "appt-paperwork" not in chip_of(content, "Nadia")
    assert "appt-paperwork" not in chip_of(content, "Janeway Quillfeather")
    assert "Paperwork complete" in chip_of(content, "Omar Brightwater")
    page = client.get(reverse("scheduling:appointment_detail", args=[booked["nothing"].pk])).content.decode()
    assert "<dt>Paperwork</dt>" not in page


@unscoped
def fill(world, paperwork, count):
    """`count` appointments over the week from Monday, each patient their own, half with a form done and a
    consent signed."""
    today = day_after_tomorrow(world["location"]) - timedelta(days=2)
    monday = today - timedelta(days=today.weekday())
    for number in range(count):
        patient = factories.PatientFactory(medspa=world["medspa"])
        appointment = make_book(world, patient, 9 + number % 8, day=monday + timedelta(days=number // 8))
        if number % 2:
            submit(appointment, paperwork["forms"][number % 4 // 2])
            sign(patient, paperwork["versions"][0])
    return monday


@pytest.mark.parametrize("count", [3, 40])
def test_the_grids_week_reads_all_paperwork_in_a_fixed_number_of_queries(
    client_as, world, paperwork, count, django_assert_num_queries
):
    monday = fill(world, paperwork, count)
    client = client_as("admin_a")
    url = reverse("scheduling:calendar_events")
    week = {"start": monday.isoformat(), "end": (monday + timedelta(days=7)).isoformat()}
    client.get(url, week)  # the first request of a session writes it; measure the ones after
    with django_assert_num_queries(PAPERWORK_EVENTS_QUERIES):
        response = client.get(url, week)
    words = [event["extendedProps"]["paperwork"] for event in feed_events(response.json())]
    assert len(words) == count and all(words)
    assert words.count("Forms 1 of 2 · Consents 1 of 2") == count // 2


def test_the_grids_events_carry_the_same_paperwork_words(client_as, world, booked):
    day = day_after_tomorrow(world["location"])
    span = {"start": day.isoformat(), "end": (day + timedelta(days=1)).isoformat()}
    for client, url in [
        (client_as("admin_a"), reverse("scheduling:calendar_events")),
        (client_as("provider_a1"), reverse("providers:calendar_events")),
    ]:
        events = feed_events(client.get(url, span).json())
        words = {event["title"]: event["extendedProps"]["paperwork"] for event in events}
        assert words["Nadia " + booked["nothing"].patient.last_name] == "Forms 0 of 2 · Consents 0 of 2"
        assert words["Omar Brightwater"] == "Paperwork complete"
        by_id = {event["id"]: event["extendedProps"]["paperwork"] for event in events}
        assert by_id[str(booked["half"].pk)] == "Forms 1 of 2 · Consents 1 of 2"
        assert by_id[str(booked["free"].pk)] == ""  # the consultation asks nothing

"""The public booking page (no sign-in): the flow, idempotent booking, patient matching, the slot rules as
the visitor meets them, rate limits, the manage link and what the pages must never show."""

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from medspa.models import Patient
from medspa.models.patients import PatientStatus
from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, AppointmentStatus, AppointmentType, Location
from scheduling.services import booking
from tests import factories

LA = ZoneInfo("America/Los_Angeles")
KEY = re.compile(r'name="idempotency_key" value="([0-9a-f-]{36})"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _no_notifications(monkeypatch):
    # Notifications have their own tests; here only the public pages matter.
    monkeypatch.setattr("scheduling.services.hooks.appointment_changed", lambda *args, **kwargs: None)


@pytest.fixture(autouse=True)
def _steady_rate_limit_window(monkeypatch):
    # A fixed clock for the rate limiter, so that a test never straddles two ten-minute windows.
    monkeypatch.setattr("scheduling.services.ratelimit._now", lambda: 1_800_000_000)


@pytest.fixture
def world(cast, provider):
    world = factories.booking_world(cast.medspa_a, provider)
    world.location.phone = "(619) 555-0100"
    with medspa_scope(cast.medspa_a):
        world.location.save()
    return world


def today_la() -> date:
    return timezone.now().astimezone(LA).date()


def at(days_ahead: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(today_la() + timedelta(days=days_ahead), time(hour, minute), tzinfo=LA)


def label(moment: datetime) -> str:
    return f"{moment:%I:%M %p}".lstrip("0") + f" {moment.tzname()}"


def details(world, start, *, key=None, provider="any", **fields) -> dict:
    data = {
        "appointment_type": world.type.pk,
        "provider": provider,
        "start": start if isinstance(start, str) else start.isoformat(),
        "idempotency_key": key or str(uuid.uuid4()),
        "first_name": "Ana",
        "last_name": "Lopez",
        "email": "ana.lopez@mail.example",
        "phone": "(619) 555-0123",
        "date_of_birth": "1990-04-02",
        "consent_email": "on",
    }
    data.update(fields)
    return {name: value for name, value in data.items() if value is not None}


def book_for(world, start, patient=None, **options):
    """A booking made by someone else (staff), as the world's state before the visitor comes."""
    patient = patient or factories.PatientFactory(medspa=world.medspa)
    with medspa_scope(world.medspa):  # as the staff's calendar page books it
        return booking.appointment_book(
            appointment_type=options.pop("appointment_type", world.type),
            start=start,
            patient=patient,
            provider=world.provider,
            **options,
        )


def page(response) -> str:
    return response.content.decode()


class TestFlow:
    def test_the_whole_flow_books_once_in_the_medspa(self, world):
        client = Client(enforce_csrf_checks=True)
        start = at(2, 10, 30)

        medspa_page = client.get(reverse("booking_medspa", args=["glow-a"]))
        assert medspa_page.status_code == 200
        assert world.location.name in page(medspa_page) and world.url in page(medspa_page)

        location_page = client.get(world.url)
        assert location_page.status_code == 200
        assert "Neurotoxin" in page(location_page)

        providers = client.get(world.url, {"type": world.type.pk})
        assert "Anyone available" in page(providers)
        assert escape(world.provider.user.full_name) in page(providers)

        days = client.get(world.url, {"type": world.type.pk, "provider": "any"})
        assert "Jump to the first available time" in page(days)

        times = client.get(
            world.url, {"type": world.type.pk, "provider": "any", "day": start.date().isoformat()}
        )
        assert label(start) in page(times)  # e.g. "10:30 AM PDT": the location's time zone
        assert label(at(2, 16, 30)) in page(times)
        assert label(at(2, 16, 45)) not in page(times)  # 30 minutes would end after 17:00

        form_page = client.get(
            world.url, {"type": world.type.pk, "provider": "any", "start": start.isoformat()}
        )
        assert form_page.status_code == 200
        key = KEY.search(page(form_page)).group(1)
        assert uuid.UUID(key).version == 4
        csrf = CSRF.search(page(form_page)).group(1)

        response = client.post(world.url, {**details(world, start, key=key), "csrfmiddlewaretoken": csrf})
        assert response.status_code == 303
        with medspa_scope(world.medspa):
            appointment = Appointment.objects.get()
        assert (
            response["Location"] == reverse("booking_manage", args=[appointment.manage_token]) + "?booked=1"
        )
        assert appointment.medspa == world.medspa and appointment.start == start
        assert appointment.source == Appointment.Source.ONLINE and appointment.idempotency_key == key
        patient = appointment.patient
        assert (patient.medspa, patient.first_name, patient.email) == (
            world.medspa,
            "Ana",
            "ana.lopez@mail.example",
        )
        assert (patient.consent_email, patient.consent_sms) == (True, False)

        confirmation = client.get(response["Location"])
        assert confirmation.status_code == 200
        assert "You’re booked" in page(confirmation)
        assert label(start) in page(confirmation)
        assert appointment.manage_token in page(confirmation)

    def test_a_specific_provider_and_the_first_available_jump(self, world):
        world.type.min_notice_minutes = 60  # no race with the clock between the page and the post
        with medspa_scope(world.medspa):
            world.type.save()
        client = Client()
        response = client.get(world.url, {"type": world.type.pk, "provider": world.provider.pk, "first": "1"})
        assert response.status_code == 200
        assert "Choose a time on" in page(response)
        start = datetime.fromisoformat(unquote(re.search(r"start=([^\"&]+)", page(response)).group(1)))
        assert start >= timezone.now() + timedelta(minutes=60)
        booked = client.post(world.url, details(world, start, provider=str(world.provider.pk)))
        assert booked.status_code == 303
        with medspa_scope(world.medspa):
            assert Appointment.objects.get().provider == world.provider

    def test_htmx_requests_get_the_flow_alone(self, world):
        response = Client().get(world.url, {"type": world.type.pk}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert 'id="booking-flow"' in page(response) and "<html" not in page(response)
        assert "HX-Request" in response["Vary"]

    def test_a_public_page_shows_no_staff_menus(self, world, client_as):
        response = client_as("admin_a").get(world.url)
        assert response.status_code == 200
        assert reverse("dashboard_patients") not in page(response)

    def test_a_double_post_with_one_key_books_once(self, world):
        client, key = Client(), str(uuid.uuid4())
        first = client.post(world.url, details(world, at(2, 11), key=key))
        second = client.post(world.url, details(world, at(2, 11), key=key))
        assert first.status_code == second.status_code == 303
        assert first["Location"] == second["Location"]
        with medspa_scope(world.medspa):
            assert Appointment.objects.count() == 1
            assert Patient.objects.filter(medspa=world.medspa).count() == 1

    def test_a_key_reused_with_someone_elses_details_reveals_nothing(self, world):
        client, key = Client(), str(uuid.uuid4())
        assert client.post(world.url, details(world, at(2, 11), key=key)).status_code == 303
        other = client.post(
            world.url,
            details(
                world,
                at(2, 13),
                key=key,
                email="zed@mail.example",
                first_name="Zed",
                date_of_birth="1970-01-01",
            ),
        )
        assert other.status_code == 400
        assert "manage" not in other.get("Location", "")
        with medspa_scope(world.medspa):
            assert Appointment.objects.count() == 1
            assert not Patient.objects.filter(first_name="Zed").exists()


class TestReturningPatients:
    def test_the_same_email_and_date_of_birth_is_matched_and_the_record_left_alone(self, world):
        existing = factories.PatientFactory(
            medspa=world.medspa, first_name="Anabel", last_name="López-Ruiz", email="Ana.Lopez@mail.example",
            date_of_birth=date(1990, 4, 2), phone="", allergies="Lidocaine", consent_email=False,
            consent_sms=False,
        )  # fmt: skip
        with medspa_scope(world.medspa):
            before = Patient.objects.values().get(pk=existing.pk)
        new_patient_response = Client().post(
            world.url, details(world, at(2, 10), email=" ana.LOPEZ@mail.example ", consent_sms="on")
        )
        assert new_patient_response.status_code == 303
        with medspa_scope(world.medspa):
            assert Patient.objects.filter(medspa=world.medspa).count() == 1
            assert Appointment.objects.get().patient == existing
            # Not the phone typed (the record had none), not the consent ticked: a stranger may have typed
            # them.
            assert Patient.objects.values().get(pk=existing.pk) == before

    def test_the_same_phone_written_otherwise_and_date_of_birth_is_matched_and_changes_nothing(self, world):
        existing = factories.PatientFactory(
            medspa=world.medspa, first_name="Ana", last_name="Lopez", email="ana@elsewhere.example",
            date_of_birth=date(1990, 4, 2), phone="619.555.0123", consent_email=True, consent_sms=True,
        )  # fmt: skip
        with medspa_scope(world.medspa):
            before = Patient.objects.values().get(pk=existing.pk)
        response = Client().post(
            world.url, details(world, at(2, 10), phone="+1 (619) 555 0123", consent_email=None)
        )
        assert response.status_code == 303
        with medspa_scope(world.medspa):
            assert Appointment.objects.get().patient == existing
            assert Patient.objects.values().get(pk=existing.pk) == before  # email and consent untouched
            assert Patient.objects.count() == 1

    def test_name_and_date_of_birth_alone_make_a_new_flagged_record(self, world):
        # The first probe: the booker's unticked boxes switched the patient's consent off, and the contact
        # details typed were dropped.
        existing = factories.PatientFactory(
            medspa=world.medspa, first_name="ANA", last_name="lopez", email="ana@her-own.example",
            date_of_birth=date(1990, 4, 2), phone="(858) 555-0199", consent_email=True, consent_sms=True,
        )  # fmt: skip
        with medspa_scope(world.medspa):
            before = Patient.objects.values().get(pk=existing.pk)
        response = Client().post(world.url, details(world, at(2, 10), consent_email=None))
        assert response.status_code == 303
        with medspa_scope(world.medspa):
            assert Patient.objects.values().get(pk=existing.pk) == before
            booked = Appointment.objects.get().patient
        assert booked != existing
        assert booked.possible_duplicate_of == existing
        assert (booked.email, booked.phone) == ("ana.lopez@mail.example", "+16195550123")  # stored in E.164
        assert (booked.consent_email, booked.consent_sms) == (False, False)

    def test_a_stranger_cannot_write_their_contact_details_onto_a_record(self, world):
        # The second probe: the booker's email and phone were written onto the record, consents switched on.
        existing = factories.PatientFactory(
            medspa=world.medspa, first_name="Ana", last_name="Lopez", email="", phone="",
            date_of_birth=date(1990, 4, 2), consent_email=False, consent_sms=False,
        )  # fmt: skip
        with medspa_scope(world.medspa):
            before = Patient.objects.values().get(pk=existing.pk)
        response = Client().post(world.url, details(world, at(2, 10), consent_sms="on"))
        assert response.status_code == 303
        with medspa_scope(world.medspa):
            assert Patient.objects.values().get(pk=existing.pk) == before
            booked = Appointment.objects.get().patient
        assert booked != existing and booked.possible_duplicate_of == existing
        assert (booked.consent_email, booked.consent_sms) == (True, True)

    def test_a_shared_contact_with_another_date_of_birth_is_a_new_flagged_record(self, world):
        # A family phone: the parent's record must not receive the child's booking.
        parent = factories.PatientFactory(
            medspa=world.medspa, first_name="Maria", last_name="Lopez", email="family@mail.example",
            date_of_birth=date(1965, 1, 9), phone="6195550123",
        )  # fmt: skip
        assert Client().post(world.url, details(world, at(2, 10))).status_code == 303
        with medspa_scope(world.medspa):
            booked = Appointment.objects.get().patient
        assert booked != parent and booked.possible_duplicate_of == parent

    def test_someone_new_is_not_flagged(self, world):
        factories.PatientFactory(medspa=world.medspa, first_name="Zoe", last_name="Kim", email="", phone="")
        assert Client().post(world.url, details(world, at(2, 10))).status_code == 303
        with medspa_scope(world.medspa):
            assert Appointment.objects.get().patient.possible_duplicate_of is None

    def test_archived_patients_and_other_medspas_patients_are_not_matched(self, world, cast):
        archived = factories.PatientFactory(
            medspa=world.medspa, email="ana.lopez@mail.example", date_of_birth=date(1990, 4, 2),
            status=PatientStatus.ARCHIVED,
        )  # fmt: skip
        elsewhere = factories.PatientFactory(
            medspa=cast.medspa_b, email="ana.lopez@mail.example", date_of_birth=date(1990, 4, 2)
        )
        assert Client().post(world.url, details(world, at(2, 10))).status_code == 303
        with medspa_scope(world.medspa):
            patient = Appointment.objects.get().patient
        assert patient not in (archived, elsewhere) and patient.medspa == world.medspa

    def test_the_page_is_the_same_whether_or_not_the_patient_existed(self, world):
        client = Client()
        new = client.get(client.post(world.url, details(world, at(2, 10)))["Location"])
        returning = client.get(client.post(world.url, details(world, at(2, 12)))["Location"])
        with medspa_scope(world.medspa):
            assert Patient.objects.count() == 1
        strip = re.compile(
            r"\d{1,2}:\d{2} [AP]M P[SD]T|/book/manage/[\w-]+/"  # the time and the link differ, nothing else
            r"|csrfmiddlewaretoken\" value=\"\w+|X-CSRFToken\": \"\w+|nonce=\"[\w+/=-]+\""
        )
        assert strip.sub("", page(new)) == strip.sub("", page(returning))


class TestOnlyRealSlots:
    def test_a_slot_taken_meanwhile_is_a_friendly_409(self, world):
        start = at(2, 10)
        client = Client()
        form_page = client.get(
            world.url, {"type": world.type.pk, "provider": "any", "start": start.isoformat()}
        )
        key = KEY.search(page(form_page)).group(1)
        other = factories.PatientFactory(medspa=world.medspa, first_name="Zebulon", last_name="Quibble")
        book_for(world, start, patient=other)

        response = client.post(world.url, details(world, start, key=key))
        assert response.status_code == 409
        assert "that time was just taken" in page(response).lower()
        assert label(at(2, 11)) in page(response)  # fresh times to choose from
        assert f'value="{start.isoformat()}"' not in page(response)
        assert 'value="Ana"' in page(response)  # the visitor's details are kept
        assert KEY.search(page(response)).group(1) != key
        assert "Zebulon" not in page(response) and "Quibble" not in page(response)
        with medspa_scope(world.medspa):
            assert Appointment.objects.count() == 1
            assert not Patient.objects.filter(first_name="Ana").exists()

    @pytest.mark.parametrize(
        "start",
        [
            pytest.param(lambda: at(-1, 10), id="past"),
            pytest.param(lambda: at(2, 3), id="outside-hours"),
            pytest.param(lambda: at(2, 17), id="ends-after-closing"),
            pytest.param(lambda: at(2, 10, 7), id="off-the-grid"),
            pytest.param(lambda: at(120, 10), id="beyond-horizon"),
            pytest.param(lambda: at(2, 10).replace(tzinfo=None).isoformat(), id="naive"),
            pytest.param(lambda: "tomorrow at ten", id="garbage"),
        ],
    )
    def test_impossible_slots_are_refused_and_nothing_is_booked(self, world, start):
        response = Client().post(world.url, details(world, start()))
        assert response.status_code == 400
        with medspa_scope(world.medspa):
            assert Appointment.objects.count() == 0
            assert Patient.objects.count() == 0

    def test_minimum_notice_and_buffers_shape_the_offered_times(self, world):
        world.type.min_notice_minutes = 60 * 24 * 3
        with medspa_scope(world.medspa):
            world.type.save()
        params = {"type": world.type.pk, "provider": "any"}
        soon = Client().get(world.url, {**params, "day": at(1, 0).date()})
        assert "No open times on this day" in page(soon)
        later = at(5, 10)
        book_for(world, later)
        day = Client().get(world.url, {**params, "day": later.date()})
        assert label(later) not in page(day)
        assert label(at(5, 10, 30)) not in page(day)  # the 10-minute buffer after 10:30
        assert label(at(5, 10, 45)) in page(day)

    def test_an_inactive_location_is_a_friendly_404(self, world):
        world.location.is_active = False
        with medspa_scope(world.medspa):
            world.location.save()
        client = Client()
        response = client.get(world.url)
        assert response.status_code == 404
        assert "not taking online bookings" in page(response)
        assert client.post(world.url, details(world, at(2, 10))).status_code == 404
        assert client.get(world.url + "qr.svg").status_code == 404
        assert world.location.name not in page(client.get(reverse("booking_medspa", args=["glow-a"])))
        with medspa_scope(world.medspa):
            assert Appointment.objects.count() == 0

    def test_unknown_medspas_and_other_medspas_locations_are_404(self, world):
        assert Client().get(reverse("booking_medspa", args=["nobody"])).status_code == 404
        assert (
            Client().get(reverse("booking_location", args=["luxe-b", world.location.slug])).status_code == 404
        )

    def test_a_staff_only_type_is_not_offered_and_cannot_be_booked(self, world):
        with medspa_scope(world.medspa):
            private = AppointmentType.objects.create(
                medspa=world.medspa, location=world.location, service=world.type.service,
                name="Private consult", duration_minutes=30, price=0, min_notice_minutes=0,
                online_bookable=False,
            )  # fmt: skip
            private.providers.set([world.provider])
        client = Client()
        assert "Private consult" not in page(client.get(world.url))
        assert "Private consult" not in page(client.get(world.url, {"type": private.pk, "provider": "any"}))
        response = client.post(world.url, {**details(world, at(2, 10)), "appointment_type": private.pk})
        assert response.status_code == 400
        with medspa_scope(world.medspa):
            assert Appointment.objects.count() == 0

    @pytest.mark.parametrize(
        "fields",
        [
            {"date_of_birth": (date.today() + timedelta(days=2)).isoformat()},
            {"email": "not-an-email"},
            {"phone": "555-01"},
            {"phone": "1234567890123456"},
            {"first_name": "A" * 101},
            {"last_name": ""},
            {"idempotency_key": "not-a-key"},
            {"idempotency_key": str(uuid.uuid1())},
            {"provider": "999999"},
        ],
    )
    def test_invalid_details_are_refused(self, world, fields):
        response = Client().post(world.url, details(world, at(2, 10), **fields))
        assert response.status_code == 400
        with medspa_scope(world.medspa):
            assert Appointment.objects.count() == 0 and Patient.objects.count() == 0

    def test_a_date_of_birth_after_the_clinics_today_is_refused(self, world):
        # At 02:30 UTC it is still yesterday in Los Angeles: the server's today is the clinic's tomorrow.
        utc_ahead = datetime.combine(timezone.now().date(), time(2, 30), tzinfo=UTC)
        with time_machine.travel(utc_ahead, tick=False):
            tomorrow_there = today_la() + timedelta(days=1)
            assert tomorrow_there == timezone.now().date()
            response = Client().post(
                world.url, details(world, at(2, 10), date_of_birth=tomorrow_there.isoformat())
            )
        assert response.status_code == 400 and "cannot be in the future" in page(response)
        with medspa_scope(world.medspa):
            assert Appointment.objects.count() == 0 and Patient.objects.count() == 0


@pytest.mark.slow  # fills the rate limits
class TestRateLimits:
    def test_booking_posts_are_limited_per_ip(self, world):
        client = Client()
        for _ in range(10):
            assert client.post(world.url, {"first_name": "x"}).status_code == 400
        response = client.post(world.url, details(world, at(2, 10)))
        assert response.status_code == 429
        assert "Please wait" in page(response) and int(response["Retry-After"]) > 0
        with medspa_scope(world.medspa):
            assert Appointment.objects.count() == 0
        other_ip = Client(REMOTE_ADDR="203.0.113.9")
        assert other_ip.post(world.url, details(world, at(2, 10))).status_code == 303

    def test_slot_lookups_are_limited_per_ip(self, world):
        client = Client()
        params = {"type": world.type.pk, "provider": "any"}
        for _ in range(120):
            assert client.get(world.url, params).status_code == 200
        assert client.get(world.url, params).status_code == 429
        htmx = client.get(world.url, params, HTTP_HX_REQUEST="true")
        assert htmx.status_code == 429 and htmx["HX-Redirect"]
        assert client.get(world.url).status_code == 200  # choosing a service looks up no slots

    def test_rotating_the_leftmost_forwarded_entry_does_not_evade_the_limits(self, world, settings):
        """Behind one proxy of ours, the entries left of the one it appends are the client's to write."""
        settings.TRUSTED_PROXY_COUNT = 1
        proxy = Client(REMOTE_ADDR="10.0.0.2")

        def forged(number: int) -> dict:
            return {"HTTP_X_FORWARDED_FOR": f"198.51.100.{number}, 203.0.113.50"}

        for number in range(10):
            assert proxy.post(world.url, {"first_name": "x"}, **forged(number)).status_code == 400
        assert proxy.post(world.url, details(world, at(2, 10)), **forged(99)).status_code == 429
        params = {"type": world.type.pk, "provider": "any"}
        for number in range(120):
            assert proxy.get(world.url, params, **forged(number)).status_code == 200
        assert proxy.get(world.url, params, **forged(200)).status_code == 429
        # Another client behind the same proxy is not held back by this one.
        other = {"HTTP_X_FORWARDED_FOR": "203.0.113.51"}
        assert proxy.post(world.url, details(world, at(2, 10)), **other).status_code == 303

    def test_without_a_trusted_proxy_forwarded_for_is_ignored(self, world, settings):
        settings.TRUSTED_PROXY_COUNT = 0
        client = Client(REMOTE_ADDR="203.0.113.50")
        for number in range(10):
            rotating = {"HTTP_X_FORWARDED_FOR": f"198.51.100.{number}"}
            assert client.post(world.url, {"first_name": "x"}, **rotating).status_code == 400
        last = {"HTTP_X_FORWARDED_FOR": "198.51.100.99"}
        assert client.post(world.url, details(world, at(2, 10)), **last).status_code == 429


class TestManagePage:
    def book_online(self, world, start, **fields):
        response = Client().post(world.url, details(world, start, **fields))
        assert response.status_code == 303
        with medspa_scope(world.medspa):
            return Appointment.objects.get(start=start)

    def manage_url(self, appointment):
        return reverse("booking_manage", args=[appointment.manage_token])

    def test_cancelling_inside_the_policy(self, world):
        appointment = self.book_online(world, at(3, 10))
        client = Client()
        response = client.get(self.manage_url(appointment))
        assert response.status_code == 200
        assert "Cancel my appointment" in page(response) and label(at(3, 10)) in page(response)
        assert response["Referrer-Policy"] == "same-origin"
        assert (
            client.post(self.manage_url(appointment), {"action": "cancel", "reason": ""}).status_code == 400
        )
        response = client.post(self.manage_url(appointment), {"action": "cancel", "reason": "Out of town"})
        assert response.status_code == 303 and response["Location"].endswith("?cancelled=1")
        with medspa_scope(world.medspa):
            appointment.refresh_from_db()
        assert (
            appointment.status == AppointmentStatus.CANCELLED and appointment.cancel_reason == "Out of town"
        )

    def test_rescheduling_inside_the_policy(self, world):
        appointment = self.book_online(world, at(3, 10))
        client = Client()
        day = client.get(self.manage_url(appointment), {"day": at(4, 0).date().isoformat()})
        assert f'value="{at(4, 14).isoformat()}"' in page(day)
        response = client.post(
            self.manage_url(appointment), {"action": "reschedule", "start": at(4, 14).isoformat()}
        )
        assert response.status_code == 303
        with medspa_scope(world.medspa):
            appointment.refresh_from_db()
        assert appointment.start == at(4, 14) and appointment.status == AppointmentStatus.BOOKED
        taken = book_for(world, at(4, 15))
        response = client.post(
            self.manage_url(appointment), {"action": "reschedule", "start": taken.start.isoformat()}
        )
        assert response.status_code == 409 and "just taken" in page(response)
        outside = client.post(
            self.manage_url(appointment), {"action": "reschedule", "start": at(4, 3).isoformat()}
        )
        assert outside.status_code == 400
        with medspa_scope(world.medspa):
            appointment.refresh_from_db()
        assert appointment.start == at(4, 14)

    def test_outside_the_policy_it_refuses_and_says_to_call(self, world):
        world.type.cancellation_window_hours = 24 * 30
        with medspa_scope(world.medspa):
            world.type.save()
        appointment = self.book_online(world, at(3, 10))
        client = Client()
        response = client.get(self.manage_url(appointment))
        assert "Cancel my appointment" not in page(response)
        assert "Please call" in page(response) and "(619) 555-0100" in page(response)
        cancel = client.post(self.manage_url(appointment), {"action": "cancel", "reason": "Sick"})
        assert cancel.status_code == 400
        assert "too late" in page(cancel) and "(619) 555-0100" in page(cancel)
        move = client.post(
            self.manage_url(appointment), {"action": "reschedule", "start": at(4, 14).isoformat()}
        )
        assert move.status_code == 400
        with medspa_scope(world.medspa):
            appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.BOOKED and appointment.start == at(3, 10)
        assert appointment.cancel_reason == ""

    def test_one_token_shows_nothing_of_another_appointment(self, world):
        mine = self.book_online(world, at(3, 10))
        theirs = self.book_online(
            world, at(3, 14, 15), first_name="Zebulon", last_name="Quibble", email="zq@mail.example",
            date_of_birth="1961-07-07",
        )  # fmt: skip
        response = Client().get(self.manage_url(mine))
        assert label(at(3, 14, 15)) not in page(response)
        assert theirs.manage_token not in page(response)
        assert "Zebulon" not in page(response) and "zq@mail.example" not in page(response)
        Client().post(self.manage_url(mine), {"action": "cancel", "reason": "Changed my mind"})
        with medspa_scope(world.medspa):
            theirs.refresh_from_db()
        assert theirs.status == AppointmentStatus.BOOKED
        assert Client().get(reverse("booking_manage", args=["not-a-real-token-at-all"])).status_code == 404


def test_no_public_page_shows_other_patients(world, cast):
    other = factories.PatientFactory(
        medspa=world.medspa, first_name="Zebulon", last_name="Quibble", email="zq@mail.example"
    )
    book_for(world, at(2, 10), patient=other)
    client = Client()
    mine = client.post(world.url, details(world, at(2, 11)))
    pages = [
        client.get(reverse("booking_medspa", args=["glow-a"])),
        client.get(world.url),
        client.get(world.url, {"type": world.type.pk, "provider": "any", "day": at(2, 0).date().isoformat()}),
        client.get(world.url, {"type": world.type.pk, "provider": "any", "start": at(2, 10).isoformat()}),
        client.get(mine["Location"]),
        client.post(world.url, details(world, at(2, 10))),  # the other patient's time: 409
    ]
    assert [response.status_code for response in pages] == [200, 200, 200, 200, 200, 409]
    for response in pages:
        for secret in ("Zebulon", "Quibble", "zq@mail.example", other.phone or "Zebulon"):
            assert secret not in page(response)


def test_qr_codes_are_svg(world):
    client = Client()
    for url in (reverse("booking_medspa_qr", args=["glow-a"]), world.url + "qr.svg"):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml"
        assert b"<svg" in response.content
    assert client.get(reverse("booking_medspa_qr", args=["nobody"])).status_code == 404


def test_the_admin_partial_lists_links_copy_buttons_and_qr_codes(world, rf):
    from django.template.loader import render_to_string

    with medspa_scope(world.medspa):
        closed = Location.objects.create(
            medspa=world.medspa, name="Closed branch", address_line1="2 Main St", city="San Diego",
            state="CA", postal_code="92101", time_zone="America/Los_Angeles", is_active=False,
        )  # fmt: skip
    context = {"medspa": world.medspa, "locations": [world.location, closed]}
    html = render_to_string(
        "scheduling/_booking_links.html", {**context, "booking_base_url": "https://book.example"}
    )
    assert f'data-copy="https://book.example{world.url}"' in html
    assert 'data-copy="https://book.example/book/glow-a/"' in html
    assert f'src="{world.url}qr.svg"' in html and 'alt="QR code for' in html
    assert "Closed branch" not in html
    request = rf.get("/dashboard/scheduling/")
    html = render_to_string("scheduling/_booking_links.html", context, request=request)
    assert f'data-copy="http://testserver{world.url}"' in html

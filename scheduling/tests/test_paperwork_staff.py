"""What staff see of the paperwork before a visit: the Paperwork panel of a patient's profile, the pages of
intake answers (each read in the access log), and the To-Do's items (tomorrow's appointments whose
paperwork is not complete, answers to review) in the admin's and the provider's dashboards."""

import zoneinfo
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from medspa.models import PatientAccessLog
from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, AppointmentStatus
from scheduling.selectors import patient_paperwork
from scheduling.tests.factories import HistoryChangeFactory, IntakeResponseFactory
from services_catalog.tests.factories import IntakeFormVersionFactory
from tests import factories

LA = zoneinfo.ZoneInfo("America/Los_Angeles")


@pytest.fixture
def forms(cast, world):
    """Two intake forms of the world's type ("Health history" and "Aesthetic goals"); its service needs the
    world's consent."""
    with medspa_scope(cast.medspa_a):
        versions = [
            IntakeFormVersionFactory(form__medspa=cast.medspa_a, form__title=title)
            for title in ("Health history", "Aesthetic goals")
        ]
        world.appointment_type.intake_forms.add(*(version.form for version in versions))
    return versions


def booked(world, provider, start, *, patient=None, status=AppointmentStatus.BOOKED) -> Appointment:
    """An appointment of the world's type written directly (the booking rules would refuse hours outside the
    day, whenever the tests run)."""
    end = start + timedelta(minutes=30)
    with medspa_scope(world.location.medspa):
        return Appointment.objects.create(
            medspa=world.location.medspa, location=world.location, provider=provider,
            patient=patient or world.patient, appointment_type=world.appointment_type, start=start, end=end,
            blocked_start=start, blocked_end=end, status=status,
        )  # fmt: skip


def logged(cast, patient) -> list[tuple[int, str]]:
    with medspa_scope(cast.medspa_a):
        return list(
            PatientAccessLog.objects.filter(patient=patient).order_by("pk").values_list("actor_id", "viewed")
        )


class TestPanel:
    def test_an_empty_panel_says_what_will_appear(self, cast, client_as, world):
        page = (
            client_as("admin_a")
            .get(reverse("dashboard_patient_detail", args=[world.patient.pk]))
            .content.decode()
        )
        assert 'id="paperwork"' in page
        assert "No upcoming appointment." in page and "No intake form answered yet." in page
        assert "No answer waiting." in page

    @pytest.mark.parametrize(
        "who, url_name",
        [("admin_a", "dashboard_patient_detail"), ("provider_a1", "providers:patient_detail")],
    )
    def test_the_panel_shows_each_upcoming_appointments_paperwork(
        self, cast, client_as, world, provider, forms, who, url_name
    ):
        appointment = booked(world, provider, timezone.now() + timedelta(days=3))
        with medspa_scope(cast.medspa_a):
            response = IntakeResponseFactory(medspa=cast.medspa_a, appointment=appointment, version=forms[0])
            change = HistoryChangeFactory(medspa=cast.medspa_a, response=response, proposed="Latex")
        page = client_as(who).get(reverse(url_name, args=[world.patient.pk])).content.decode()
        assert "Forms 1 of 2 · Consents 0 of 1" in page
        assert "Form “Health history”: complete" in page and "Form “Aesthetic goals”: pending" in page
        assert "Consent “Neurotoxin consent”: pending" in page
        assert reverse("paperwork:change_accept", args=[change.pk]) in page
        assert reverse("paperwork:change_decline", args=[change.pk]) in page
        assert reverse("paperwork:response_detail", args=[response.pk]) in page
        assert "1 to review" in page

    def test_the_latest_responses_show_and_the_older_are_a_link_away(
        self, cast, client_as, world, provider, forms
    ):
        appointment = booked(world, provider, timezone.now() + timedelta(days=3))
        with medspa_scope(cast.medspa_a):
            responses = [
                IntakeResponseFactory(medspa=cast.medspa_a, appointment=appointment, version=forms[0])
                for _ in range(patient_paperwork.RESPONSES_SHOWN + 2)
            ]
        client = client_as("admin_a")
        page = client.get(reverse("dashboard_patient_detail", args=[world.patient.pk])).content.decode()
        listed = [r for r in responses if reverse("paperwork:response_detail", args=[r.pk]) + '"' in page]
        assert listed == responses[-patient_paperwork.RESPONSES_SHOWN :]  # the newest
        older = reverse("paperwork:patient_responses", args=[world.patient.pk])
        assert older in page
        every = client.get(older).content.decode()
        assert all(reverse("paperwork:response_detail", args=[r.pk]) in every for r in responses)
        assert logged(cast, world.patient)[-1] == (cast.admin_a.pk, "Admin dashboard: intake responses")

    def test_a_merged_away_records_answers_show_on_the_record_that_stays(
        self, cast, client_as, world, provider, forms
    ):
        from medspa.services import patient_merge

        appointment = booked(world, provider, timezone.now() + timedelta(days=3))
        with medspa_scope(cast.medspa_a):
            response = IntakeResponseFactory(medspa=cast.medspa_a, appointment=appointment, version=forms[0])
            change = HistoryChangeFactory(medspa=cast.medspa_a, response=response)
            survivor = factories.PatientFactory(medspa=cast.medspa_a)
            patient_merge.patient_merge(survivor=survivor, duplicate=world.patient, by=cast.admin_a)
        page = (
            client_as("admin_a").get(reverse("dashboard_patient_detail", args=[survivor.pk])).content.decode()
        )
        assert reverse("paperwork:response_detail", args=[response.pk]) in page
        assert reverse("paperwork:change_accept", args=[change.pk]) in page
        assert "Forms 1 of 2" in page  # the appointment moved to the record that stays, its answers with it


class TestAnswers:
    def test_the_answers_show_in_words_with_when_and_from_where(
        self, cast, client_as, world, provider, forms
    ):
        appointment = booked(world, provider, timezone.now() + timedelta(days=3))
        with medspa_scope(cast.medspa_a):
            response = IntakeResponseFactory(
                medspa=cast.medspa_a, appointment=appointment, version=forms[0],
                answers={"pregnant": False, "allergies": "Latex"}, ip="203.0.113.9",
            )  # fmt: skip
        local = timezone.localtime(response.submitted_at, cast.medspa_a.tz)
        page = (
            client_as("provider_a1")
            .get(reverse("paperwork:response_detail", args=[response.pk]))
            .content.decode()
        )
        assert "Are you pregnant or breastfeeding?</dt><dd>No" in page
        assert "List any allergies</dt><dd>Latex" in page
        sent = f"{local:%b} {local.day}, {local.year} {local:%-I:%M %p %Z}"  # the medspa's zone
        assert f"Sent</dt><dd>{sent} from 203.0.113.9</dd>" in page
        assert logged(cast, world.patient) == [
            (cast.provider_a1.pk, "Provider dashboard: intake answers (Health history)")
        ]

    @pytest.mark.parametrize("who", ["provider_a2", "admin_b", "provider_b"])
    def test_nobody_else_reads_them(self, cast, client_as, world, provider, forms, who):
        appointment = booked(world, provider, timezone.now() + timedelta(days=3))
        with medspa_scope(cast.medspa_a):
            response = IntakeResponseFactory(medspa=cast.medspa_a, appointment=appointment, version=forms[0])
        client = client_as(who)
        assert client.get(reverse("paperwork:response_detail", args=[response.pk])).status_code == 404
        assert client.get(reverse("paperwork:patient_responses", args=[world.patient.pk])).status_code == 404
        assert logged(cast, world.patient) == []


class TestTodo:
    # Nov 1, 2026 is the day Los Angeles leaves daylight saving time: a day of 25 hours.
    EVENING_BEFORE = datetime(2026, 10, 31, 22, 0, tzinfo=LA)

    def test_tomorrow_is_the_next_calendar_day_at_the_location(self, cast, world, provider, forms):
        with time_machine.travel(self.EVENING_BEFORE, tick=False):
            tonight = booked(world, provider, datetime(2026, 10, 31, 23, 30, tzinfo=LA))
            morning = booked(world, provider, datetime(2026, 11, 1, 0, 30, tzinfo=LA))
            late = booked(world, provider, datetime(2026, 11, 1, 23, 30, tzinfo=LA))  # 26 hours away
            after = booked(world, provider, datetime(2026, 11, 2, 0, 0, tzinfo=LA))
            cancelled = booked(world, provider, datetime(2026, 11, 1, 9, 0, tzinfo=LA), status="cancelled")
            with medspa_scope(cast.medspa_a):
                due = patient_paperwork.paperwork_due_tomorrow(Appointment.objects.all())
        assert [item.appointment for item in due] == [morning, late]
        assert {tonight, after, cancelled}.isdisjoint(item.appointment for item in due)
        assert due[0].missing == "Forms 0 of 2 · Consents 0 of 1"

    def test_complete_paperwork_leaves_the_list(self, cast, world, provider, forms):
        from providers.services import charting

        start = timezone.now().astimezone(LA).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(
            days=1
        )
        appointment = booked(world, provider, start)
        with medspa_scope(cast.medspa_a):
            for version in forms:
                IntakeResponseFactory(medspa=cast.medspa_a, appointment=appointment, version=version)
            visit = charting.visit_start_walk_in(
                patient=world.patient, provider=provider, location=world.location, by=cast.provider_a1
            )
            charting.visit_service_add(visit=visit, service=world.service)
            version = world.consent.current_version
            charting.visit_consent_sign(
                visit=visit,
                version=version,
                signature_png=factories.png_signature(),
                by=cast.provider_a1,
                ip=None,
            )
            assert patient_paperwork.paperwork_due_tomorrow(Appointment.objects.all()) == []

    def test_the_admins_to_do_lists_them_and_the_answers_to_review(
        self, cast, client_as, world, provider, forms
    ):
        start = timezone.now().astimezone(LA).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(
            days=1
        )
        appointment = booked(world, provider, start)
        with medspa_scope(cast.medspa_a):
            response = IntakeResponseFactory(medspa=cast.medspa_a, appointment=appointment, version=forms[0])
            for record in ("allergies", "medications", "medical_history"):
                HistoryChangeFactory(medspa=cast.medspa_a, response=response, record=record, proposed="x")
        page = client_as("admin_a").get(reverse("dashboard_home")).content.decode()
        profile = reverse("dashboard_patient_detail", args=[world.patient.pk]) + "#paperwork"
        assert "Paperwork for tomorrow" in page and "Forms 1 of 2 · Consents 0 of 1" in page
        assert "Neurotoxin at 10:00 AM" in page and "3 answers to review" in page
        assert page.count(profile) == 2
        assert logged(cast, world.patient) == [(cast.admin_a.pk, "Admin dashboard: To-Do")]
        other = client_as("admin_b").get(reverse("dashboard_home")).content.decode()
        assert world.patient.full_name not in other and "Nothing to review." in other

    @pytest.mark.parametrize("count", [1, 4])
    def test_the_admins_to_do_takes_a_constant_number_of_queries(
        self, cast, world, provider, forms, count, django_assert_num_queries
    ):
        start = timezone.now().astimezone(LA).replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(
            days=1
        )
        for number in range(count):
            patient = factories.PatientFactory(medspa=cast.medspa_a)
            appointment = booked(world, provider, start + timedelta(minutes=30 * number), patient=patient)
            with medspa_scope(cast.medspa_a):
                response = IntakeResponseFactory(
                    medspa=cast.medspa_a, appointment=appointment, version=forms[0]
                )
                HistoryChangeFactory(medspa=cast.medspa_a, response=response)
        request = RequestFactory().get("/dashboard/")
        request.medspa = cast.medspa_a
        # tomorrow's appointments (with patient, location, type); their paperwork: the types' forms, the
        # responses, the services, their consents, the consents' versions (a library service adds its
        # consents and their versions), merged-away records, the signatures; the patients with answers
        with medspa_scope(cast.medspa_a), django_assert_num_queries(9):
            context = patient_paperwork.admin_todo_context(request)
        assert len(context["paperwork_due"]) == len(context["answers_to_review"]) == count

    def test_the_providers_to_do_lists_only_their_own(
        self, cast, client_as, world, provider, colleague, forms
    ):
        start = timezone.now().astimezone(LA).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(
            days=1
        )
        booked(world, provider, start)
        theirs = booked(world, colleague, start, patient=factories.PatientFactory(medspa=cast.medspa_a))
        response = client_as("provider_a1").get(reverse("providers:todo"))
        sections = {section.key: section for section in response.context["todo"].sections}
        assert [item.patient for item in sections["paperwork"].items] == [world.patient.full_name]
        [item] = sections["paperwork"].items
        assert item.text == f"Neurotoxin at 10:00 AM ({world.location.name}): Forms 0 of 2 · Consents 0 of 1"
        assert (
            sections["paperwork"].items[0].url
            == reverse("providers:patient_detail", args=[world.patient.pk]) + "#paperwork"
        )
        page = response.content.decode()
        assert theirs.patient.full_name not in page

    def test_the_providers_to_do_counts_their_patients_answers(
        self, cast, client_as, world, provider, colleague, forms
    ):
        mine = booked(world, provider, timezone.now() + timedelta(days=5))
        stranger = factories.PatientFactory(medspa=cast.medspa_a)  # a colleague's patient
        theirs = booked(world, colleague, timezone.now() + timedelta(days=6), patient=stranger)
        with medspa_scope(cast.medspa_a):
            response = IntakeResponseFactory(medspa=cast.medspa_a, appointment=mine, version=forms[0])
            HistoryChangeFactory(medspa=cast.medspa_a, response=response, record="allergies")
            HistoryChangeFactory(medspa=cast.medspa_a, response=response, record="medications")
            other = IntakeResponseFactory(medspa=cast.medspa_a, appointment=theirs, version=forms[0])
            HistoryChangeFactory(medspa=cast.medspa_a, response=other, record="allergies")
        response = client_as("provider_a1").get(reverse("providers:todo"))
        items = {section.key: section for section in response.context["todo"].sections}["answers"].items
        assert [(item.patient, item.text) for item in items] == [
            (world.patient.full_name, "2 answers to review")
        ]


def test_the_query_count_does_not_grow_with_the_panel(cast, client_as, world, provider, forms):
    """The profile's Paperwork panel reads a fixed number of queries whatever the responses and changes."""
    counts = []
    for _ in range(2):
        appointment = booked(world, provider, timezone.now() + timedelta(days=3 + len(counts)))
        with medspa_scope(cast.medspa_a):
            for version in forms:
                response = IntakeResponseFactory(
                    medspa=cast.medspa_a, appointment=appointment, version=version
                )
                HistoryChangeFactory(medspa=cast.medspa_a, response=response)
        with medspa_scope(cast.medspa_a), CaptureQueriesContext(connection) as queries:
            patient_paperwork.profile_panel_context(world.patient, "admin")
        counts.append(len(queries))
    assert counts[0] == counts[1]

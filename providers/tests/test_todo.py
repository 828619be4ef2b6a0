"""The provider's To-Do: each section shows what the provider owes, links to the page that settles it, and
lets go of the item once it is done; nothing of another provider shows; failed care messages are sent
again by hand, once; the page takes a constant number of queries."""

from datetime import timedelta

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from gfe.models import Clearance, GfeRequest, Routing
from gfe.services import decisions as gfe_decisions
from gfe.services import requests as gfe_requests
from gfe.services import routing as gfe_routing
from medspa.messaging import sms
from medspa.models import PatientProvider
from medspa.tenancy import medspa_scope
from providers.models import CareMessageLog, Visit
from providers.selectors import todo
from providers.services import care_messages, charting
from scheduling.models import Appointment, AppointmentStatus, NotificationLog
from scheduling.services import booking
from scheduling.tests.factories import HistoryChangeFactory, IntakeResponseFactory
from tests import factories

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("media_and_sms"),
]

URL = "/provider/todo/"
TODO_QUERIES = 29


@pytest.fixture
def world(world, colleague):
    """The conftest's world, its location shared with `colleague`."""
    world.location.providers.add(colleague)
    return world


def section(membership, key):
    """The items of one section of `membership`'s To-Do (None when the section is not shown), read in its
    medspa's scope as the page reads it."""
    with medspa_scope(membership.medspa_id):
        found = {s.key: s for s in todo.todo_of(membership, membership.medspa).sections}
    return found[key].items if key in found else None


def appointment_at(world, provider, start, status=AppointmentStatus.BOOKED, patient=None):
    """An appointment written directly (the booking rules refuse times in the past)."""
    end = start + timedelta(minutes=30)
    with medspa_scope(world.location.medspa_id):
        return Appointment.objects.create(
            medspa=world.location.medspa, location=world.location, provider=provider,
            patient=patient or world.patient, appointment_type=world.appointment_type, start=start, end=end,
            blocked_start=start, blocked_end=end, status=status,
        )  # fmt: skip


def today_slots(world, count):
    """`count` starts of the location's today, 40 minutes apart, clear of the hour around now (where
    checked_in_appointment puts its appointment)."""
    now = timezone.now()
    midnight = now.astimezone(world.location.tz).replace(hour=0, minute=0, second=0, microsecond=0)
    starts = (midnight + timedelta(minutes=10 + 40 * number) for number in range(36))
    return [start for start in starts if abs(start - now) > timedelta(minutes=45)][:count]


def charted_visit(cast, world, provider, user):
    """A visit of a checked-in appointment, its consent signed and its bill paid (chart not signed)."""
    return factories.paid_visit(world, provider, user).visit


class TestCharts:
    def test_an_unsigned_chart_shows_its_age_turns_overdue_and_goes_once_signed(
        self, cast, client_as, world, provider
    ):
        visit = charted_visit(cast, world, provider, cast.provider_a1)
        [item] = section(provider, "charts")
        assert item.patient == world.patient.full_name and not item.flag
        assert item.url == todo.visit_url(visit)
        factories.visit_backdate(visit, timedelta(hours=80))
        [item] = section(provider, "charts")
        assert item.flag == "Overdue" and "3 days" in item.text
        page = client_as("provider_a1").get(URL).content.decode()
        assert "Charts to sign" in page and "Overdue" in page and world.patient.full_name in page
        with medspa_scope(cast.medspa_a):
            charting.chart_sign(visit=visit, by=cast.provider_a1)
        assert section(provider, "charts") == []

    def test_the_link_falls_back_to_the_patient_profile_while_the_visit_page_is_missing(
        self, cast, world, provider
    ):
        visit = charted_visit(cast, world, provider, cast.provider_a1)
        url = todo.visit_url(visit)
        try:
            expected = reverse("providers:visit_detail", kwargs={"pk": visit.pk})
        except NoReverseMatch:  # the visit page is another feature; until it exists, the profile lists visits
            expected = reverse("providers:patient_detail", args=[world.patient.pk])
        assert url == expected

    def test_a_voided_visit_owes_nothing_and_a_colleague_never_sees_my_chart(
        self, cast, world, provider, colleague
    ):
        with medspa_scope(cast.medspa_a):
            appointment = factories.checked_in_appointment(world, provider)
            visit = charting.visit_start_from_appointment(appointment=appointment, by=cast.provider_a1)
            assert [item.url for item in section(provider, "charts")] == [todo.visit_url(visit)]
            assert section(colleague, "charts") == []
            charting.visit_void(visit=visit, reason="Started by mistake", by=cast.provider_a1)
            assert section(provider, "charts") == []


class TestNeedsAChart:
    def test_with_the_charting_add_on_a_completed_appointment_without_a_signed_chart_is_owed(
        self, cast, world, provider, colleague
    ):
        with medspa_scope(cast.medspa_a):
            cast.medspa_a.addon_charting = True
            cast.medspa_a.save()
            provider.medspa.refresh_from_db()
            done = appointment_at(
                world, provider, timezone.now() - timedelta(days=2), AppointmentStatus.COMPLETED
            )
            appointment_at(world, colleague, timezone.now() - timedelta(days=2), AppointmentStatus.COMPLETED)
            [item] = section(provider, "needs_chart")
            assert item.url == f"/provider/calendar/?appointment={done.pk}" and item.flag == "Needs a chart"
            assert len(section(colleague, "needs_chart")) == 1  # the colleague's own, not mine

            # Charted: the appointment moves to "charts to sign" (never listed twice), and goes once signed.
            visit = charted_visit(cast, world, provider, cast.provider_a1)
            assert Appointment.objects.get(pk=visit.appointment_id).status == AppointmentStatus.COMPLETED
            assert [item.url for item in section(provider, "needs_chart")] == [item.url]
            assert len(section(provider, "charts")) == 1
            charting.chart_sign(visit=visit, by=cast.provider_a1)
            assert section(provider, "charts") == []
            assert [item.url for item in section(provider, "needs_chart")] == [item.url]

    def test_without_the_add_on_there_is_no_such_section(self, cast, world, provider):
        appointment_at(world, provider, timezone.now() - timedelta(days=2), AppointmentStatus.COMPLETED)
        assert section(provider, "needs_chart") is None


class TestGfeRequests:
    def test_my_request_waits_for_the_clearer_and_goes_once_decided(self, cast, world, colleague, provider):
        with medspa_scope(cast.medspa_a):
            patient = factories.PatientFactory(medspa=cast.medspa_a)
            PatientProvider.objects.create(patient=patient, membership=colleague)
            request = gfe_requests.gfe_request_create(
                patient=patient, services=[world.service], requested_by=cast.provider_a2
            )
            [item] = section(colleague, "gfe")
            assert "waiting for portrait clearing services or the patient" in item.text
            assert item.url == f"/provider/patients/{patient.pk}/"
            assert section(provider, "gfe") == []  # not my request, not my patient
            gfe_decisions.gfe_decide(
                request=request, decisions={world.service.pk: gfe_decisions.Decision("cleared")},
                exam=factories.GFE_EXAM, clearer_name="Dr. Remote", clearer_credential="MD", notify=False,
            )  # fmt: skip
            assert section(colleague, "gfe") == []

    def test_a_provider_who_clears_for_a_self_routed_medspa_sees_its_requests_and_settles_them(
        self, cast, world, provider, colleague
    ):
        with medspa_scope(cast.medspa_a):
            gfe_routing.gfe_settings_update(medspa=cast.medspa_a, data={"routing": Routing.SELF})
            patient = factories.PatientFactory(medspa=cast.medspa_a)
            for member in (provider, colleague):
                PatientProvider.objects.create(patient=patient, membership=member)
            gfe_requests.gfe_request_create(
                patient=patient, services=[world.service], requested_by=cast.provider_a2
            )
            [mine] = section(provider, "gfe")
            assert "waiting for your decision" in mine.text
            assert mine.url == reverse("gfe_provider:self_clear", kwargs={"patient_pk": patient.pk})
            [theirs] = section(colleague, "gfe")  # an RN may not clear: they wait for someone who may
            assert "waiting for a provider who may clear" in theirs.text
            assert section(factories_member(cast.medspa_b), "gfe") == []

            gfe_decisions.gfe_self_clear(
                membership=provider, patient=patient, exam=factories.GFE_EXAM, notify=False,
                decisions={world.service.pk: gfe_decisions.Decision("cleared")},
            )  # fmt: skip
            assert section(provider, "gfe") == [] and section(colleague, "gfe") == []

    def test_a_self_routed_request_of_someone_elses_patient_is_not_mine(
        self, cast, world, provider, colleague
    ):
        with medspa_scope(cast.medspa_a):
            gfe_routing.gfe_settings_update(medspa=cast.medspa_a, data={"routing": Routing.SELF})
            stranger = factories.PatientFactory(medspa=cast.medspa_a)
            PatientProvider.objects.create(patient=stranger, membership=colleague)
            gfe_requests.gfe_request_create(patient=stranger, services=[world.service], requested_by=None)
            assert GfeRequest.objects.filter(patient=stranger).exists()
            assert section(provider, "gfe") == []


class TestCheckIn:
    def test_todays_booked_appointments_show_until_checked_in(self, cast, world, provider, colleague):
        with medspa_scope(cast.medspa_a):
            now = timezone.now().replace(second=0, microsecond=0)
            today = appointment_at(world, provider, now)
            appointment_at(world, provider, now + timedelta(days=1))
            appointment_at(world, colleague, now)
            appointment_at(world, provider, now, AppointmentStatus.CANCELLED)
            [item] = section(provider, "check_in")
            assert item.flag == "Late" and item.url == f"/provider/calendar/?appointment={today.pk}"
            booking.appointment_status_set(appointment=today, status=AppointmentStatus.CHECKED_IN)
            assert section(provider, "check_in") == []


class TestClearances:
    def test_a_clearance_ending_within_30_days_shows_until_renewed(self, cast, world, provider, colleague):
        with medspa_scope(cast.medspa_a):
            clearance = Clearance.objects.get(patient=world.patient)
            assert section(provider, "clearances") == []  # a year away
            today = timezone.now().astimezone(cast.medspa_a.tz).date()
            Clearance.objects.filter(pk=clearance.pk).update(valid_until=today + timedelta(days=10))
            [item] = section(provider, "clearances")
            assert item.url == f"/provider/patients/{world.patient.pk}/"
            assert world.service.display_name in item.text
            assert section(colleague, "clearances") == []
            Clearance.objects.filter(pk=clearance.pk).update(valid_until=today)
            assert section(provider, "clearances")[0].flag == "Expires today"
            gfe_decisions.gfe_self_clear(
                membership=provider, patient=world.patient, exam=factories.GFE_EXAM, notify=False,
                decisions={world.service.pk: gfe_decisions.Decision("cleared")},
            )  # fmt: skip
            assert section(provider, "clearances") == []

    def test_an_expired_one_is_no_longer_a_to_do(self, cast, world, provider):
        with medspa_scope(cast.medspa_a):
            today = timezone.now().astimezone(cast.medspa_a.tz).date()
            Clearance.objects.filter(patient=world.patient).update(valid_until=today - timedelta(days=1))
            assert section(provider, "clearances") == []


@pytest.fixture
def failed_sms(cast, world, provider, monkeypatch):
    visit = charted_visit(cast, world, provider, cast.provider_a1)

    def broken(self, to, body, **options):
        raise sms.SmsError("gateway timeout")

    with medspa_scope(cast.medspa_a):
        with monkeypatch.context() as patch:
            patch.setattr(sms.LocmemSmsBackend, "send", broken)
            care_messages.visit_care_messages_send(visit_id=visit.pk)
        return CareMessageLog.objects.get(visit=visit, channel="sms", status="failed")


class TestCareMessages:
    def test_a_failed_message_shows_with_a_resend_button_and_goes_once_sent(
        self, cast, client_as, provider, failed_sms
    ):
        [item] = section(provider, "care_messages")
        assert item.resend_log_id == failed_sms.pk and "gateway timeout" in item.text
        client = client_as("provider_a1")
        resend = reverse("providers:care_message_resend", args=[failed_sms.pk])
        assert f'action="{resend}"' in client.get(URL).content.decode()
        response = client.post(resend, follow=True)
        assert response.redirect_chain[-1][0] == URL
        assert "was sent" in response.content.decode()
        assert len(sms.outbox) == 1
        failed_sms.refresh_from_db()
        assert failed_sms.status == "sent"
        assert (failed_sms.resent_by, failed_sms.resent_at is not None) == (cast.provider_a1, True)
        assert section(provider, "care_messages") == []
        again = client.post(resend, follow=True).content.decode()
        assert "not waiting to be sent again" in again and len(sms.outbox) == 1

    def test_a_second_failure_says_so_and_stays(self, cast, client_as, provider, failed_sms, monkeypatch):
        def broken(self, to, body, **options):
            raise sms.SmsError("number unreachable")

        monkeypatch.setattr(sms.LocmemSmsBackend, "send", broken)
        response = client_as("provider_a1").post(
            reverse("providers:care_message_resend", args=[failed_sms.pk]), follow=True
        )
        assert "failed again: number unreachable" in response.content.decode()
        assert len(section(provider, "care_messages")) == 1

    def test_only_the_visits_provider_may_resend_it(self, cast, client_as, failed_sms):
        resend = reverse("providers:care_message_resend", args=[failed_sms.pk])
        # admin_a is a provider too, but not of this visit; provider_b is of medspa B; admin_b is no provider
        expected = {"provider_a2": 404, "admin_a": 404, "provider_b": 404, "admin_b": 403, "staff": 403}
        assert {name: client_as(name).post(resend).status_code for name in expected} == expected
        assert client_as("provider_a1").get(resend).status_code == 405
        assert section(failed_sms.visit.provider, "care_messages")[0].resend_log_id == failed_sms.pk
        assert len(sms.outbox) == 0
        failed_sms.refresh_from_db()
        assert failed_sms.resent_by is None  # a refused click leaves no trace of a resend


class TestPage:
    def test_nothing_owed_says_so(self, cast, client_as):
        page = client_as("provider_a1").get(URL).content.decode()
        assert "Nothing owed" in page

    def test_each_section_shows_its_count(self, cast, client_as, world, provider):
        charted_visit(cast, world, provider, cast.provider_a1)
        appointment_at(world, provider, today_slots(world, 1)[0])
        response = client_as("provider_a1").get(URL)
        sections = {s.key: s.count for s in response.context["todo"].sections}
        assert sections["charts"] == 1 and sections["check_in"] == 1 and response.context["todo"].total == 2
        assert "Nothing owed" not in response.content.decode()

    @pytest.mark.parametrize("count", [1, 4])
    def test_the_page_takes_a_constant_number_of_queries(
        self, cast, client_as, world, provider, count, django_assert_num_queries
    ):
        cast.medspa_a.addon_charting = True
        cast.medspa_a.save()
        today = timezone.now().astimezone(cast.medspa_a.tz).date()
        now = timezone.now()
        with medspa_scope(cast.medspa_a):
            gfe_routing.gfe_settings_update(medspa=cast.medspa_a, data={"routing": Routing.SELF})
            for number, start in enumerate(today_slots(world, count)):
                patient = factories.PatientFactory(medspa=cast.medspa_a)
                PatientProvider.objects.create(patient=patient, membership=provider)
                gfe_requests.gfe_request_create(patient=patient, services=[world.service], requested_by=None)
                booked = appointment_at(world, provider, start, patient=patient)
                NotificationLog.objects.create(
                    medspa=cast.medspa_a, appointment=booked, kind="confirmation", channel="sms",
                    status="failed", detail="the text was undelivered (Twilio error 30003)",
                )  # fmt: skip
                appointment_at(world, provider, now - timedelta(days=3 + number), AppointmentStatus.COMPLETED,
                               patient=patient)  # fmt: skip
                # Tomorrow's appointment, its consent unsigned, and an intake answer waiting for review.
                tomorrow = appointment_at(world, provider, start + timedelta(days=1), patient=patient)
                HistoryChangeFactory(
                    medspa=cast.medspa_a,
                    response=IntakeResponseFactory(medspa=cast.medspa_a, appointment=tomorrow),
                )
                visit = charting.visit_start_walk_in(
                    patient=patient, provider=provider, location=world.location, by=cast.provider_a1
                )
                CareMessageLog.objects.create(
                    medspa=cast.medspa_a, visit=visit, care_message=world.care, channel="sms",
                    status="failed", version=world.care.current_version, detail="gateway timeout",
                )  # fmt: skip
                # A chart an admin signed on the provider's behalf while masquerading, to co-sign.
                behalf = charting.visit_start_walk_in(
                    patient=factories.PatientFactory(medspa=cast.medspa_a), provider=provider,
                    location=world.location, by=cast.admin_a,
                )  # fmt: skip
                Visit.objects.filter(pk=behalf.pk).update(
                    signed_on_behalf_at=now, signed_on_behalf_by=cast.admin_a, signed_on_behalf_of=provider
                )
            Clearance.objects.filter(patient=world.patient).update(valid_until=today + timedelta(days=5))
        client = client_as("provider_a1")
        client.get(URL)  # the first request of a session writes it; measure the ones after
        # session, user, memberships, MFA enrolment, audit context (pghistory set_config); then the To-Do:
        # unsigned charts, completed appointments without a chart, the clearing refusal (provider profile,
        # its licences), the GFE routing, the waiting requests and their services, today's appointments,
        # tomorrow's appointments and their paperwork (the types' forms: none, so no responses are looked
        # for; the services, their consents and the consents' versions, merged-away records, the
        # signatures), the patients with
        # answers to review; expiring clearances, failed care messages, failed notifications; the access log
        # (one INSERT for every patient listed);
        # audit context again, then the session save that renews the idle timeout (savepoint, update, release)
        with django_assert_num_queries(TODO_QUERIES):
            response = client.get(URL)
        sections = {s.key: s.count for s in response.context["todo"].sections}
        assert sections == {"charts": count, "cosign": count, "needs_chart": count, "gfe": count,
                            "check_in": count, "paperwork": count, "answers": count, "clearances": 1,
                            "care_messages": count, "notifications": count}  # fmt: skip


def factories_member(medspa):
    """A provider of another medspa (for "never shows another medspa's items")."""
    return factories.MembershipFactory(medspa=medspa, is_provider=True)


def test_charts_started_from_appointments_cost_no_query_each(cast, client_as, world, provider):
    """A chart's age is counted from its appointment's start: the appointment comes with the charts, not
    one query per chart."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_as("provider_a1")
    client.get(URL)  # the first request of a session writes it; measure the ones after
    starts = iter(today_slots(world, 5))

    def charts_and_queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(URL)
        sections = {s.key: s.count for s in response.context["todo"].sections}
        return sections["charts"], len(captured)

    def chart() -> None:
        with medspa_scope(cast.medspa_a):
            appointment = appointment_at(world, provider, next(starts), AppointmentStatus.CHECKED_IN)
            charting.visit_start_from_appointment(appointment=appointment, by=cast.provider_a1)

    chart()
    one, queries = charts_and_queries()
    for _ in range(3):
        chart()
    assert (one, queries) == (1, charts_and_queries()[1]) and charts_and_queries()[0] == 4

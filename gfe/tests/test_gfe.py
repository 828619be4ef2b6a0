"""The GFE domain: routing, requests, decisions with their transitions, the gate, expiry, and the request
a booking makes automatically."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from gfe.models import Clearance, ClearanceStatus, GfeRequest, GfeSettings, RequestStatus, Routing
from gfe.selectors import clearances as selectors
from gfe.services import clearances, decisions, errors, requests
from gfe.services import routing as gfe_routing
from gfe.services.decisions import Decision
from medspa.tenancy import medspa_scope
from services_catalog.services import catalog
from tests import factories


@pytest.fixture
def toxin(cast):
    service = catalog.service_import(medspa=cast.medspa_a, library_service=factories.library_service("Toxin"))
    return catalog.service_set_active(service=service, active=True)


@pytest.fixture
def filler(cast):
    service = catalog.service_import(
        medspa=cast.medspa_a, library_service=factories.library_service("Filler")
    )
    return catalog.service_set_active(service=service, active=True)


@pytest.fixture
def patient(cast):
    return factories.PatientFactory(medspa=cast.medspa_a)


EXAM = {"history_reviewed": True, "medications_reviewed": True, "allergies_reviewed": True,
        "diagnoses": "Dynamic rhytids, glabella", "icd10_codes": "L90.8"}  # fmt: skip


def route(cast, routing, **extra):
    return gfe_routing.gfe_settings_update(medspa=cast.medspa_a, data={"routing": routing, **extra})


def decide(request, decided: dict, credential: str = "NP"):
    """The outside clearer "A" decides `request` (service pk to Decision) on the exam EXAM."""
    return decisions.gfe_decide(
        request=request, exam=EXAM, clearer_name="A", clearer_credential=credential, decisions=decided
    )


def self_clear(membership, patient, service):
    """`membership` examines `patient` (EXAM) and clears them for `service`."""
    return decisions.gfe_self_clear(
        membership=membership, patient=patient, exam=EXAM, decisions={service.pk: Decision("cleared")}
    )


def booking_world(cast, monkeypatch):
    """provider_a1's membership, medspa A's clinic where they work, its appointment type (a service that
    needs clearance) and a patient; the booking's notifications are not sent."""
    monkeypatch.setattr("scheduling.tasks.appointment_notify.delay", lambda *args: None)
    provider = cast.provider_a1.memberships.get()
    location, appointment_type = factories.scheduling_world(cast.medspa_a, [provider])
    patient = factories.PatientFactory(medspa=cast.medspa_a)
    return provider, location, appointment_type, patient


def ten_am(location, days: int = 3) -> datetime:
    """10:00 at `location`, `days` days after its today."""
    return datetime.combine(
        timezone.localdate(timezone=location.tz) + timedelta(days=days), time(10), tzinfo=location.tz
    )


class TestRouting:
    def test_clearing_our_own_needs_a_provider_who_may_clear(self, cast):
        with medspa_scope(cast.medspa_a):
            assert {m.user for m in selectors.self_clearing_providers(cast.medspa_a)} == {
                cast.admin_a,
                cast.provider_a1,
            }
        with medspa_scope(cast.medspa_b):
            assert selectors.self_clearing_providers(cast.medspa_b) == [cast.provider_b.memberships.get()]
            for membership in cast.medspa_b.memberships.filter(is_provider=True):
                membership.provider_profile.licences.update(
                    expires_on=factories.medspa_today(cast.medspa_b) - timedelta(days=1)
                )
            with pytest.raises(errors.GfeRuleBroken, match="current licence"):
                gfe_routing.gfe_settings_update(medspa=cast.medspa_b, data={"routing": Routing.SELF})

    def test_own_clearer_needs_an_email_and_validity_never_exceeds_a_year(self, cast):
        with medspa_scope(cast.medspa_a):
            with pytest.raises(errors.GfeRuleBroken, match="email"):
                route(cast, Routing.OWN_CLEARER)
            from django.core.exceptions import ValidationError

            with pytest.raises(ValidationError):
                route(cast, Routing.PORTRAIT, validity_months=13)
            assert not GfeSettings.objects.filter(medspa=cast.medspa_a, validity_months=13).exists()


class TestRequestsAndDecisions:
    def test_a_portrait_request_is_decided_and_the_patient_is_cleared_per_service(
        self, cast, patient, toxin, filler
    ):
        with medspa_scope(cast.medspa_a):
            route(cast, Routing.PORTRAIT)
            request = requests.gfe_request_create(
                patient=patient, services=[toxin, filler], requested_by=cast.admin_a, urgent=True
            )
            patient.refresh_from_db()
            assert patient.status == "to_clear"
            assert request.route == Routing.PORTRAIT and request.urgent and request.urgent_fee > 0
            decisions.gfe_review_start(request=request)
            decisions.gfe_decide(
                request=request,
                exam=EXAM,
                clearer_name="Dr. Ann Lee",
                clearer_credential="MD",
                decisions={
                    toxin.pk: Decision("cleared"),
                    filler.pk: Decision("not_indicated", "Active lip infection"),
                },
            )
            request.refresh_from_db()
            assert request.status == RequestStatus.APPROVED
            assert selectors.clearance_valid(patient, toxin) is not None
            assert selectors.clearance_valid(patient, filler) is None
            toxin_clearance = selectors.clearance_latest(patient, toxin)
            assert toxin_clearance.valid_until == decisions.months_after(
                factories.medspa_today(patient.medspa), 12
            )
            patient.refresh_from_db()
            assert patient.status == "active"

    def test_urgent_is_a_portrait_option_only(self, cast, patient, toxin):
        with medspa_scope(cast.medspa_a):
            route(cast, Routing.OWN_CLEARER, clearer_email="clearer@example.com")
            request = requests.gfe_request_create(
                patient=patient, services=[toxin], requested_by=None, urgent=True
            )
            assert request.route == Routing.OWN_CLEARER and not request.urgent and request.urgent_fee == 0

    def test_a_service_cleared_or_requested_already_is_not_requested_again(self, cast, patient, toxin):
        with medspa_scope(cast.medspa_a):
            first = requests.gfe_request_create(patient=patient, services=[toxin], requested_by=None)
            assert requests.gfe_request_create(patient=patient, services=[toxin], requested_by=None) is None
            decide(first, {toxin.pk: Decision("cleared")})
            assert requests.gfe_request_create(patient=patient, services=[toxin], requested_by=None) is None

    def test_a_decided_request_cannot_be_decided_again(self, cast, patient, toxin):
        with medspa_scope(cast.medspa_a):
            request = requests.gfe_request_create(patient=patient, services=[toxin], requested_by=None)
            decide(request, {toxin.pk: Decision("deferred", "Pregnancy: after delivery")})
            with pytest.raises(errors.GfeRuleBroken, match="already"):
                decide(request, {toxin.pk: Decision("cleared")})
            assert GfeRequest.objects.get(pk=request.pk).status == RequestStatus.DEFERRED

    def test_a_refusal_needs_its_reason_and_every_service_needs_a_decision(
        self, cast, patient, toxin, filler
    ):
        with medspa_scope(cast.medspa_a):
            request = requests.gfe_request_create(
                patient=patient, services=[toxin, filler], requested_by=None
            )
            with pytest.raises(errors.GfeRuleBroken, match="Decide every"):
                decide(request, {toxin.pk: Decision("cleared")})
            with pytest.raises(errors.GfeRuleBroken, match="reason"):
                decide(request, {toxin.pk: Decision("cleared"), filler.pk: Decision("not_indicated")})
            assert not Clearance.objects.filter(status=ClearanceStatus.CLEARED).exists()

    def test_only_allowed_transitions(self, cast, patient, toxin):
        with medspa_scope(cast.medspa_a):
            request = requests.gfe_request_create(patient=patient, services=[toxin], requested_by=None)
            clearance = request.clearances.get()
            clearance.status = ClearanceStatus.NOT_INDICATED
            with pytest.raises(errors.GfeRuleBroken, match="cannot become"):
                clearances._transition(clearance, ClearanceStatus.CLEARED)


class TestSelfClearance:
    def test_a_licensed_provider_clears_with_their_licence(self, cast, patient, toxin):
        with medspa_scope(cast.medspa_a):
            membership = cast.provider_a1.memberships.get()
            exam = decisions.gfe_self_clear(
                membership=membership, patient=patient, exam=EXAM, decisions={toxin.pk: Decision("cleared")}
            )
            licence = membership.provider_profile.licences.get()
            assert exam.clearer == membership and exam.clearer_licence == f"{licence.state} {licence.number}"
            assert exam.request.route == Routing.SELF and exam.request.status == RequestStatus.APPROVED
            assert selectors.clearance_valid(patient, toxin) is not None

    @pytest.mark.parametrize("problem", ["rn", "no_licence", "expired_licence", "not_allowed"])
    def test_a_provider_without_the_right_to_clear_is_refused_with_the_reason(
        self, cast, patient, toxin, problem
    ):
        with medspa_scope(cast.medspa_a):
            membership = cast.provider_a1.memberships.get()
            profile = membership.provider_profile
            if problem == "rn":
                membership = cast.provider_a2.memberships.get()
            elif problem == "no_licence":
                profile.licences.all().delete()
            elif problem == "expired_licence":
                profile.licences.update(expires_on=factories.medspa_today(profile.medspa) - timedelta(days=1))
            else:
                profile.can_clear_gfe = False
                profile.save()
            assert selectors.provider_clearing_refusal(membership)
            with pytest.raises(errors.GfeRuleBroken):
                self_clear(membership, patient, toxin)
            assert not Clearance.objects.exists()


class TestGateAndExpiry:
    def test_the_gate_names_what_is_missing(self, cast, patient, toxin, filler):
        with medspa_scope(cast.medspa_a):
            with pytest.raises(errors.ClearanceMissing, match="Toxin, Filler") as refused:
                clearances.gate_check(patient=patient, services=[toxin, filler])
            assert refused.value.services == [toxin, filler]
            self_clear(cast.provider_a1.memberships.get(), patient, toxin)
            with pytest.raises(errors.ClearanceMissing, match="Filler"):
                clearances.gate_check(patient=patient, services=[toxin, filler])
            clearances.gate_check(patient=patient, services=[toxin])

    def test_a_clearance_expires_and_then_the_gate_refuses(self, cast, patient, toxin):
        with medspa_scope(cast.medspa_a):
            self_clear(cast.provider_a1.memberships.get(), patient, toxin)
            clearance = selectors.clearance_latest(patient, toxin)
            later = clearance.valid_until + timedelta(days=1)
            with pytest.raises(errors.ClearanceMissing):
                clearances.gate_check(patient=patient, services=[toxin], on=later)
            assert clearances.clearances_expire(today=later) == 1
            clearance.refresh_from_db()
            assert clearance.status == ClearanceStatus.EXPIRED
            assert clearances.clearances_expire(today=later) == 0  # nothing twice
            assert Clearance.objects.filter(patient=patient).count() == 1  # kept, not deleted

    def test_the_gate_through_the_api(self, client_as, cast, patient, toxin):
        with medspa_scope(cast.medspa_a):
            patient.assigned_providers.add(cast.provider_a1.memberships.get())  # the gate opens for their own
            client = client_as("provider_a1")
            response = client.post(
                "/api/v1/gfe/gate/",
                {"patient": patient.pk, "services": [toxin.pk]},
                content_type="application/json",
            )
            assert response.status_code == 409
            assert response.json()["missing"] == [toxin.pk] and "Toxin" in response.json()["detail"]
            self_clear(cast.provider_a1.memberships.get(), patient, toxin)
            assert (
                client.post(
                    "/api/v1/gfe/gate/",
                    {"patient": patient.pk, "services": [toxin.pk]},
                    content_type="application/json",
                ).status_code
                == 200
            )
            theirs = factories.PatientFactory(medspa=cast.medspa_b)
            assert (
                client.post(
                    "/api/v1/gfe/gate/",
                    {"patient": theirs.pk, "services": [toxin.pk]},
                    content_type="application/json",
                ).status_code
                == 400
            )


class TestBooking:
    def test_booking_a_service_that_needs_clearance_requests_a_gfe(
        self, cast, django_capture_on_commit_callbacks, monkeypatch
    ):
        with medspa_scope(cast.medspa_a):
            from scheduling.services import booking

            provider, location, appointment_type, patient = booking_world(cast, monkeypatch)
            start = ten_am(location)
            with django_capture_on_commit_callbacks(execute=True):
                booking.appointment_book(appointment_type=appointment_type, start=start, patient=patient)
            request = GfeRequest.objects.get(patient=patient)
            assert request.source == GfeRequest.Source.BOOKING
            assert list(request.services.all()) == [appointment_type.service]
            patient.refresh_from_db()
            assert patient.status == "to_clear"

    def test_without_automatic_requests_the_patient_still_shows_to_clear(
        self, cast, django_capture_on_commit_callbacks, monkeypatch
    ):
        with medspa_scope(cast.medspa_a):
            from scheduling.services import booking

            route(cast, Routing.PORTRAIT, auto_request_on_booking=False)
            provider, location, appointment_type, patient = booking_world(cast, monkeypatch)
            start = ten_am(location)
            with django_capture_on_commit_callbacks(execute=True):
                appointment = booking.appointment_book(
                    appointment_type=appointment_type, start=start, patient=patient
                )
            assert not GfeRequest.objects.exists()
            patient.refresh_from_db()
            assert patient.status == "to_clear"
            with django_capture_on_commit_callbacks(execute=True):
                booking.appointment_cancel(appointment=appointment, reason="Changed plans")
            patient.refresh_from_db()
            assert patient.status == "active"

    def test_cancelling_the_booking_closes_its_automatic_request_once_no_booking_needs_it(
        self, cast, django_capture_on_commit_callbacks, monkeypatch
    ):
        with medspa_scope(cast.medspa_a):
            from scheduling.services import booking

            provider, location, appointment_type, patient = booking_world(cast, monkeypatch)
            by_hand = factories.PatientFactory(medspa=cast.medspa_a)
            manual = requests.gfe_request_create(
                patient=by_hand, services=[appointment_type.service], requested_by=None
            )
            first, second = (ten_am(location, days) for days in (3, 4))
            with django_capture_on_commit_callbacks(execute=True):
                one = booking.appointment_book(
                    appointment_type=appointment_type, start=first, patient=patient
                )
                other = booking.appointment_book(
                    appointment_type=appointment_type, start=second, patient=patient
                )
            request = GfeRequest.objects.get(patient=patient)
            assert request.source == GfeRequest.Source.BOOKING and request.is_open

            with django_capture_on_commit_callbacks(execute=True):
                booking.appointment_cancel(appointment=one, reason="Changed plans")
            request.refresh_from_db()
            assert request.is_open  # the other booking still needs it

            with django_capture_on_commit_callbacks(execute=True):
                booking.appointment_cancel(appointment=other, reason="Changed plans")
            request.refresh_from_db()
            assert request.status == RequestStatus.EXPIRED and request.decided_at is not None
            assert set(request.clearances.values_list("status", flat=True)) == {"expired"}
            patient.refresh_from_db()
            assert patient.status == "active"
            manual.refresh_from_db()
            assert manual.is_open  # a request made by hand is the provider's to close


def test_a_self_clearance_closes_an_open_request_for_the_same_service(cast, patient, toxin):
    with medspa_scope(cast.medspa_a):
        open_request = requests.gfe_request_create(patient=patient, services=[toxin], requested_by=None)
        self_clear(cast.provider_a1.memberships.get(), patient, toxin)
        open_request.refresh_from_db()
        assert open_request.status == RequestStatus.EXPIRED
        with pytest.raises(errors.GfeRuleBroken, match="already"):
            decide(open_request, {toxin.pk: Decision("cleared")}, credential="MD")
        patient.refresh_from_db()
        assert patient.status == "active"


def test_requests_and_bookings_do_not_choose_the_routing_for_the_admin(cast, patient, toxin):
    with medspa_scope(cast.medspa_a):
        requests.gfe_request_create(patient=patient, services=[toxin], requested_by=None)
        assert not GfeSettings.objects.filter(medspa=cast.medspa_a).exists()


def test_a_decision_must_be_a_decision(cast, patient, toxin):
    with medspa_scope(cast.medspa_a):
        request = requests.gfe_request_create(patient=patient, services=[toxin], requested_by=None)
        for status in ("expired", "in_review", "requested"):
            with pytest.raises(errors.GfeRuleBroken, match="cleared, not indicated or deferred"):
                decide(request, {toxin.pk: Decision(status, "x")}, credential="MD")
        assert GfeRequest.objects.get(pk=request.pk).status == RequestStatus.SENT


def test_portraits_queue_keeps_undecided_requests(cast, patient, toxin):
    with medspa_scope(cast.medspa_a):
        request = requests.gfe_request_create(patient=patient, services=[toxin], requested_by=None)
        GfeRequest.objects.filter(pk=request.pk).update(token_expires_at=timezone.now() - timedelta(days=1))
        clearances.clearances_expire()
        assert GfeRequest.objects.get(pk=request.pk).status == RequestStatus.SENT


def test_the_appointment_shows_its_pending_clearance(
    cast, client_as, django_capture_on_commit_callbacks, monkeypatch
):
    with medspa_scope(cast.medspa_a):
        from scheduling.services import booking

        provider, location, appointment_type, patient = booking_world(cast, monkeypatch)
        start = ten_am(location)
        with django_capture_on_commit_callbacks(execute=True):
            appointment = booking.appointment_book(
                appointment_type=appointment_type, start=start, patient=patient
            )
        page = (
            client_as("admin_a").get(f"/dashboard/scheduling/appointments/{appointment.pk}/").content.decode()
        )
        assert "Clearance pending: a GFE has been requested." in page
        self_clear(provider, patient, appointment_type.service)
        page = (
            client_as("admin_a").get(f"/dashboard/scheduling/appointments/{appointment.pk}/").content.decode()
        )
        assert "Cleared until" in page


def test_gfe_management_asks_a_constant_number_of_queries_however_many_providers_may_clear(cast, client_as):
    """The routing card names every provider who may clear: their licences come in one prefetch and their
    medspa with them, not two queries per provider."""
    with medspa_scope(cast.medspa_a), medspa_scope(cast.medspa_a):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from tests.fixtures import _member

        client = client_as("admin_a")
        client.get("/dashboard/gfe/")  # the session and the MFA check settle on the first request

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client.get("/dashboard/gfe/").status_code == 200
            return len(captured)

        few = queries()
        for _ in range(4):
            _member(cast.medspa_a, credential="MD")
        assert queries() == few

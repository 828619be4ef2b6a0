"""What staff read of the paperwork before a visit: the Paperwork panel of a patient's profile (each upcoming
appointment's paperwork, the intake responses, the answers waiting for review), the pages behind it, and the
To-Do's items (tomorrow's appointments whose paperwork is not complete, answers to review).

Who sees which patient follows the dashboards: in the admin's, every patient of the medspa; in the
provider's, their own (medspa.selectors.patients.patients_of_provider), as on the profile pages."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from medspa import dashboards
from medspa.models import Membership, Patient
from medspa.selectors.patients import patient_records, patients_of_provider
from scheduling.models import Appointment, HistoryChange, IntakeResponse
from scheduling.selectors.paperwork import OPEN_STATUSES, Paperwork, paperwork_of

RESPONSES_SHOWN = 5  # on the profile; the rest on the patient's page of responses
UPCOMING_SHOWN = 10
# Tomorrow, in any zone on Earth, ends less than this long after now: the window fetched before each
# location's own tomorrow is picked out.
_ANY_TOMORROW = timedelta(hours=50)


def patients_open_in(membership: Membership | None, area: str | None) -> QuerySet[Patient]:
    """The patients `membership` opens in the dashboard `area`: the admin's every patient of the medspa, the
    provider's their own; anyone else none."""
    if membership is None:
        return Patient.objects.none()
    if area == dashboards.ADMIN and membership.is_admin:
        return Patient.objects.filter(medspa_id=membership.medspa_id)
    if area == dashboards.PROVIDER and membership.is_provider:
        return patients_of_provider(membership)
    return Patient.objects.none()


def intake_responses_of(patient: Patient) -> QuerySet[IntakeResponse]:
    """The patient's intake responses (those of records merged into theirs included), newest first."""
    return (
        IntakeResponse.objects.filter(patient__in=patient_records(patient).values("pk"))
        .select_related("version__form", "appointment__appointment_type", "appointment__location")
        .order_by("-submitted_at", "-pk")
    )


def changes_pending_of(patient: Patient) -> list[HistoryChange]:
    """The changes to the patient's record that answers propose and nobody decided yet, oldest first."""
    return list(
        HistoryChange.objects.filter(
            patient__in=patient_records(patient).values("pk"), status=HistoryChange.Status.PENDING
        )
        .select_related("response__version__form")
        .order_by("created_at", "pk")
    )


def upcoming_paperwork(
    patient: Patient, *, now: datetime | None = None
) -> list[tuple[Appointment, Paperwork]]:
    """The patient's upcoming open appointments (soonest first), each with its paperwork."""
    upcoming = list(
        Appointment.objects.filter(patient=patient, status__in=OPEN_STATUSES, end__gt=now or timezone.now())
        .select_related("appointment_type", "location")
        .order_by("start", "pk")[:UPCOMING_SHOWN]
    )
    paperwork = paperwork_of(upcoming)
    return [(appointment, paperwork[appointment.pk]) for appointment in upcoming]


def profile_panel_context(patient: Patient, area: str) -> dict:
    """The Paperwork panel of a patient's profile: upcoming appointments' paperwork, the latest intake
    responses (with whether there are older ones) and the answers waiting for review."""
    responses = list(intake_responses_of(patient)[: RESPONSES_SHOWN + 1])
    return {
        "upcoming": upcoming_paperwork(patient),
        "responses": responses[:RESPONSES_SHOWN],
        "older_responses": len(responses) > RESPONSES_SHOWN,
        "pending_changes": changes_pending_of(patient),
    }


# --- The To-Do ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaperworkDue:
    """An appointment whose paperwork is not complete: tomorrow's in the To-Do, today's in the admin's Today
    (scheduling.selectors.today)."""

    appointment: Appointment
    paperwork: Paperwork

    @property
    def missing(self) -> str:
        """What is left, as the calendar prints it: "Forms 0 of 2 · Consents 1 of 2"."""
        return self.paperwork.label


def paperwork_due_tomorrow(
    appointments: QuerySet[Appointment], *, now: datetime | None = None
) -> list[PaperworkDue]:
    """Of `appointments`, the open ones of tomorrow (the next calendar day at each one's location) whose
    paperwork is not complete, soonest first. A constant number of queries, however many there are."""
    now = now or timezone.now()
    window = (
        appointments.filter(status__in=OPEN_STATUSES, start__gte=now, start__lt=now + _ANY_TOMORROW)
        .select_related("patient", "location", "appointment_type")
        .order_by("start", "pk")
    )
    tomorrow = [
        appointment
        for appointment in window
        if appointment.start.astimezone(appointment.location.tz).date()
        == now.astimezone(appointment.location.tz).date() + timedelta(days=1)
    ]
    paperwork = paperwork_of(tomorrow)
    return [
        PaperworkDue(appointment, paperwork[appointment.pk])
        for appointment in tomorrow
        if not paperwork[appointment.pk].complete
    ]


def patients_with_answers_to_review(patients: QuerySet[Patient]) -> list[Patient]:
    """Of `patients`, those with answers waiting for review, each with `answers_to_review` (their number),
    by name. One query."""
    pending = Count("history_changes", filter=Q(history_changes__status=HistoryChange.Status.PENDING))
    return list(
        patients.annotate(answers_to_review=pending)
        .filter(answers_to_review__gt=0)
        .order_by("last_name", "first_name", "pk")
    )


def answers_to_review_words(count: int) -> str:
    return f"{count} answer{'s' if count != 1 else ''} to review"


def admin_todo_context(request) -> dict:
    """The admin's To-Do sections (medspa.views.panels.ADMIN_TODO): the medspa's appointments of tomorrow
    whose paperwork is not complete, and its patients with answers to review."""
    medspa_id = request.medspa.pk
    due = paperwork_due_tomorrow(Appointment.objects.filter(medspa_id=medspa_id))
    review = patients_with_answers_to_review(Patient.objects.filter(medspa_id=medspa_id))
    return {
        "paperwork_due": due,
        "answers_to_review": review,
        "patients": [item.appointment.patient for item in due] + review,
    }

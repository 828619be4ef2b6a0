"""The provider's To-Do: what they still owe, read from the records themselves (nothing is stored), so an
item goes away the moment the thing is done. Each item links to the page that settles it.

The sections: charts to sign (overdue past 72 hours), charts an admin signed on the provider's behalf
while masquerading (waiting for the provider's co-signature), completed appointments without a chart (with the
Charting add-on), GFE requests waiting for a decision or the patient, today's appointments not checked
in, tomorrow's appointments whose paperwork is not complete, intake answers waiting for review, clearances
expiring within 30 days, care messages and appointment notifications that failed to send
(a text Twilio reported undelivered included). A constant number of queries,
however many items."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from gfe.models import OPEN_REQUEST_STATUSES, Clearance, ClearanceStatus, GfeRequest, Routing
from gfe.selectors import clearances as gfe_selectors
from gfe.services import routing as gfe_routing
from medspa import clock
from medspa.models import Medspa, Membership, Patient, PatientProvider
from providers.models import CareMessageLog, Visit, VisitStatus
from providers.selectors import care_messages, charts
from providers.selectors.patients import provider_patients
from scheduling.models import Appointment, AppointmentStatus, NotificationLog
from scheduling.selectors import patient_paperwork
from services_catalog.models import Service

EXPIRY_HORIZON = timedelta(days=30)
NOT_CHECKED_IN = [AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED]
# "Today" somewhere on Earth lies within this much of now: the window fetched before each location's
# own day is picked out.
_ANY_TODAY = timedelta(hours=38)


@dataclass(frozen=True)
class TodoItem:
    """One thing owed: whose, what, and where it is settled."""

    patient: str
    text: str
    url: str
    flag: str = ""
    resend_log_id: int | None = None
    resend_url: str = ""  # where "Send again" posts
    record: Patient | None = None  # the patient shown, for the access log


@dataclass(frozen=True)
class TodoSection:
    key: str
    title: str
    settles: str
    items: list[TodoItem] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class Todo:
    sections: list[TodoSection]

    @property
    def total(self) -> int:
        return sum(section.count for section in self.sections)

    @property
    def patients(self) -> list[Patient]:
        return [item.record for section in self.sections for item in section.items if item.record]


# --- What is owed -------------------------------------------------------------------------------------------


def unsigned_charts(membership: Membership) -> list[Visit]:
    """The provider's visits whose chart is not signed yet (voided ones owe nothing), oldest first; those
    an admin signed on their behalf wait for their co-signature."""
    return list(
        Visit.objects.filter(provider=membership, chart_signed_at__isnull=True)
        .exclude(status=VisitStatus.VOIDED)
        .select_related("patient", "location", "signed_on_behalf_by", "appointment")  # the visit's moment
        .order_by("started_at", "pk")
    )


def appointments_without_chart(membership: Membership) -> list[Appointment]:
    """The provider's completed appointments with no signed chart: no visit at all, or a voided one. (One
    with an unsigned visit of theirs is already among the charts to sign.)"""
    signed = Visit.objects.filter(appointment=OuterRef("pk"), chart_signed_at__isnull=False)
    charting_now = Visit.objects.filter(appointment=OuterRef("pk"), provider=membership).exclude(
        status=VisitStatus.VOIDED
    )
    return list(
        Appointment.objects.filter(provider=membership, status=AppointmentStatus.COMPLETED)
        .exclude(Exists(signed))
        .exclude(Exists(charting_now))
        .select_related("patient", "location", "appointment_type")
        .order_by("start", "pk")
    )


def may_decide_gfes(membership: Membership, medspa: Medspa) -> bool:
    """Whether the provider decides the medspa's own GFE requests: they may clear, and it clears itself."""
    return (
        gfe_selectors.provider_clearing_refusal(membership) == ""
        and gfe_routing.settings_for(medspa).routing == Routing.SELF
    )


def gfe_requests_waiting(membership: Membership, *, may_decide: bool) -> list[GfeRequest]:
    """Open GFE requests of the provider's patients: those they asked for (waiting for a clearer or the
    patient) and, when they decide the medspa's requests, every self-routed one. Each is annotated with
    `assigned` (the patient is assigned to the provider)."""
    condition = Q(requested_by_id=membership.user_id)
    if may_decide:
        condition |= Q(route=Routing.SELF)
    return list(
        GfeRequest.objects.filter(
            condition,
            status__in=OPEN_REQUEST_STATUSES,
            patient__in=provider_patients(membership).values("pk"),
        )
        .annotate(
            assigned=Exists(
                PatientProvider.objects.filter(patient=OuterRef("patient_id"), membership=membership)
            )
        )
        .select_related("patient")
        .prefetch_related(Prefetch("services", Service.objects.select_related("library_service")))
        .order_by("-urgent", "created_at", "pk")
    )


def appointments_not_checked_in(membership: Membership, *, now: datetime) -> list[Appointment]:
    """The provider's appointments of today (the location's day) still booked or confirmed: the patient
    has not been checked in."""
    window = Appointment.objects.filter(
        provider=membership,
        status__in=NOT_CHECKED_IN,
        start__gte=now - _ANY_TODAY,
        start__lt=now + _ANY_TODAY,
    ).select_related("patient", "location", "appointment_type")
    return [
        appointment
        for appointment in window.order_by("start", "pk")
        if appointment.start.astimezone(appointment.location.tz).date()
        == now.astimezone(appointment.location.tz).date()
    ]


def clearances_expiring(membership: Membership, *, today: date) -> list[Clearance]:
    """Clearances of the provider's patients that end within 30 days, unless already renewed (a later
    clearance for the service) or being renewed (an open request for it)."""
    renewed = Clearance.objects.filter(
        patient=OuterRef("patient_id"),
        service=OuterRef("service_id"),
        status=ClearanceStatus.CLEARED,
        valid_until__gt=OuterRef("valid_until"),
    )
    renewing = Clearance.objects.filter(
        patient=OuterRef("patient_id"),
        service=OuterRef("service_id"),
        status__in=[ClearanceStatus.REQUESTED, ClearanceStatus.IN_REVIEW],
        request__status__in=OPEN_REQUEST_STATUSES,
    )
    return list(
        Clearance.objects.filter(
            status=ClearanceStatus.CLEARED,
            valid_until__gte=today,
            valid_until__lte=today + EXPIRY_HORIZON,
            patient__in=provider_patients(membership).values("pk"),
        )
        .exclude(Exists(renewed))
        .exclude(Exists(renewing))
        .select_related("patient", "service__library_service")
        .order_by("valid_until", "pk")
    )


def care_messages_failed(membership: Membership) -> list[CareMessageLog]:
    """Care messages of the provider's visits that failed to send, or were left "sending" by a worker that
    died (never resent automatically)."""
    return list(
        CareMessageLog.objects.filter(care_messages.resendable(), visit__provider=membership)
        .select_related("visit__patient", "care_message")
        .order_by("created_at", "pk")
    )


def notifications_failed(membership: Membership) -> list[NotificationLog]:
    """Notifications of the provider's appointments that failed: given up after the last attempt, refused
    by the provider, or reported undelivered by Twilio's delivery receipt."""
    return list(
        NotificationLog.objects.filter(status=NotificationLog.Status.FAILED, appointment__provider=membership)
        .select_related(
            "appointment__patient",
            "appointment__appointment_type",
            "appointment__location",
            "care_version__care_message",
        )
        .order_by("created_at", "pk")
    )


# --- Links --------------------------------------------------------------------------------------------------


def _patient_url(patient_id: int) -> str:
    return reverse("providers:patient_detail", args=[patient_id])


def visit_url(visit: Visit) -> str:
    """The visit's chart."""
    return reverse("providers:visit_detail", kwargs={"pk": visit.pk})


def _calendar_url(appointment: Appointment) -> str:
    return f"{reverse('providers:calendar')}?appointment={appointment.pk}"


def _gfe_url(request: GfeRequest, *, decides: bool) -> str:
    """The self-clearance page for a request the provider decides (it opens for their assigned patients),
    otherwise the patient's profile, where the request's state shows."""
    if decides and request.assigned:
        return reverse("gfe_provider:self_clear", kwargs={"patient_pk": request.patient_id})
    return _patient_url(request.patient_id)


def _age(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours < 1:
        return "less than an hour"
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{hours // 24} days"


# --- The To-Do ----------------------------------------------------------------------------------------------


def _local(moment: datetime, tz, pattern: str) -> str:
    return moment.astimezone(tz).strftime(pattern)


def _charts_sections(membership: Membership, now: datetime) -> list[TodoSection]:
    """Charts to sign, and charts signed on the provider's behalf that wait for their co-signature."""
    items, cosign = [], []
    for visit in unsigned_charts(membership):
        if visit.awaits_cosign:
            signed = _local(visit.signed_on_behalf_at, visit.location.tz, "%b %-d, %Y %-I:%M %p")
            text = (
                f"Visit of {_local(visit.started_at, visit.location.tz, '%b %-d, %Y')}, signed by "
                f"{visit.signed_on_behalf_by.get_full_name()} on your behalf on {signed}"
            )
            cosign.append(
                TodoItem(visit.patient.full_name, text, visit_url(visit), "Co-sign", record=visit.patient)
            )
            continue
        text = f"Visit of {_local(visit.started_at, visit.location.tz, '%b %-d, %Y')}, unsigned for "
        text += _age(charts.chart_age(visit, now)) + (" (still in progress)" if visit.is_open else "")
        flag = "Overdue" if charts.chart_overdue(visit, now) else ""
        items.append(TodoItem(visit.patient.full_name, text, visit_url(visit), flag, record=visit.patient))
    return [
        TodoSection(
            "charts", "Charts to sign", "Sign the chart: the field expects it within 72 hours.", items
        ),
        TodoSection(
            "cosign",
            "Charts to co-sign",
            "An admin signed these while masquerading as you: review each chart and co-sign it to lock it.",
            cosign,
        ),
    ]


def _needs_chart_section(membership: Membership) -> TodoSection:
    items = [
        TodoItem(
            appointment.patient.full_name,
            f"{appointment.appointment_type.name} on "
            + _local(appointment.start, appointment.location.tz, "%b %-d, %Y %-I:%M %p"),
            _calendar_url(appointment),
            "Needs a chart",
            record=appointment.patient,
        )
        for appointment in appointments_without_chart(membership)
    ]
    return TodoSection(
        "needs_chart",
        "Completed appointments without a chart",
        "Chart the visit and sign it: with the Charting add-on every completed appointment has one.",
        items,
    )


def _gfe_section(membership: Membership, medspa: Medspa) -> TodoSection:
    decides = may_decide_gfes(membership, medspa)
    items = []
    for request in gfe_requests_waiting(membership, may_decide=decides):
        names = ", ".join(service.display_name for service in request.services.all())
        decides_this = decides and request.route == Routing.SELF
        if decides_this:
            waiting = "waiting for your decision"
        elif request.route == Routing.SELF:
            waiting = "waiting for a provider who may clear"
        else:
            waiting = f"waiting for {request.get_route_display().lower()} or the patient"
        text = f"GFE for {names}: {request.get_status_display().lower()}, {waiting}"
        url = _gfe_url(request, decides=decides_this)
        flag = "Urgent" if request.urgent else ""
        items.append(TodoItem(request.patient.full_name, text, url, flag, record=request.patient))
    return TodoSection(
        "gfe", "GFE requests waiting", "Decide it, or follow up with the clearer or the patient.", items
    )


def _check_in_section(membership: Membership, now: datetime) -> TodoSection:
    items = [
        TodoItem(
            appointment.patient.full_name,
            f"{appointment.appointment_type.name} at "
            f"{_local(appointment.start, appointment.location.tz, '%-I:%M %p')} "
            f"({appointment.location.name})",
            _calendar_url(appointment),
            "Late" if appointment.start <= now else "",
            record=appointment.patient,
        )
        for appointment in appointments_not_checked_in(membership, now=now)
    ]
    return TodoSection(
        "check_in", "Today's appointments not checked in", "Check the patient in, or mark a no-show.", items
    )


def _paperwork_section(membership: Membership, now: datetime) -> TodoSection:
    due = patient_paperwork.paperwork_due_tomorrow(Appointment.objects.filter(provider=membership), now=now)
    items = [
        TodoItem(
            item.appointment.patient.full_name,
            f"{item.appointment.appointment_type.name} at "
            f"{_local(item.appointment.start, item.appointment.location.tz, '%-I:%M %p')} "
            f"({item.appointment.location.name}): {item.missing}",
            _patient_url(item.appointment.patient_id) + "#paperwork",
            record=item.appointment.patient,
        )
        for item in due
    ]
    return TodoSection(
        "paperwork",
        "Tomorrow's paperwork not complete",
        "The patient has not finished the forms or consents: remind them, or plan time before the visit.",
        items,
    )


def _answers_section(membership: Membership) -> TodoSection:
    items = [
        TodoItem(
            patient.full_name,
            patient_paperwork.answers_to_review_words(patient.answers_to_review),
            _patient_url(patient.pk) + "#paperwork",
            record=patient,
        )
        for patient in patient_paperwork.patients_with_answers_to_review(provider_patients(membership))
    ]
    return TodoSection(
        "answers",
        "Intake answers to review",
        "Accept or decline each answer that would change the patient's record, on their profile.",
        items,
    )


def _clearances_section(membership: Membership, today: date) -> TodoSection:
    items = [
        TodoItem(
            clearance.patient.full_name,
            f"{clearance.service.display_name}: cleared until {clearance.valid_until:%b %-d, %Y}",
            _patient_url(clearance.patient_id),
            "Expires today" if clearance.valid_until == today else "",
            record=clearance.patient,
        )
        for clearance in clearances_expiring(membership, today=today)
    ]
    return TodoSection(
        "clearances",
        "Clearances expiring within 30 days",
        "Renew it from the patient's profile before it lapses.",
        items,
    )


def _care_messages_section(membership: Membership) -> TodoSection:
    items = [
        TodoItem(
            log.visit.patient.full_name,
            f"{log.care_message.title} by {log.get_channel_display()}: {log.detail or 'failed'}",
            visit_url(log.visit),
            resend_log_id=log.pk,
            resend_url=reverse("providers:care_message_resend", args=[log.pk]),
            record=log.visit.patient,
        )
        for log in care_messages_failed(membership)
    ]
    return TodoSection(
        "care_messages",
        "Care messages that failed to send",
        "Check the patient's contact details, then send it again.",
        items,
    )


def _notification_words(log: NotificationLog) -> str:
    """ "Reminder", "Confirmation"; the paperwork reminder and a pre-visit care message by name."""
    if log.care_version_id is not None or log.kind == "paperwork":
        return log.kind_label
    return log.kind.split("-")[0].capitalize()


def _notifications_section(membership: Membership) -> TodoSection:
    items = [
        TodoItem(
            log.appointment.patient.full_name,
            f"{_notification_words(log)} of {log.appointment.appointment_type.name} on "
            f"{_local(log.appointment.start, log.appointment.location.tz, '%b %-d')} by "
            f"{log.get_channel_display()}: {log.detail or 'failed'}",
            _patient_url(log.appointment.patient_id),
            resend_url=reverse("providers:notification_resend", args=[log.pk]),
            record=log.appointment.patient,
        )
        for log in notifications_failed(membership)
    ]
    return TodoSection(
        "notifications",
        "Appointment messages that failed to send",
        "Check the patient's number and the medspa's texting number, then send it again.",
        items,
    )


def todo_of(membership: Membership, medspa: Medspa, *, now: datetime | None = None) -> Todo:
    """Everything the provider owes, by section (empty ones included, so that each shows its count)."""
    now = now or timezone.now()
    sections = _charts_sections(membership, now)
    if medspa.addon_charting:
        sections.append(_needs_chart_section(membership))
    sections += [
        _gfe_section(membership, medspa),
        _check_in_section(membership, now),
        _paperwork_section(membership, now),
        _answers_section(membership),
        _clearances_section(membership, clock.today(medspa, now=now)),
        _care_messages_section(membership),
        _notifications_section(membership),
    ]
    return Todo(sections)

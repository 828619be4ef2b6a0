"""What goes to a patient before the visit, besides the confirmation and reminders: the paperwork reminder and
the pre-visit care messages of the appointment type's service, and when each is due.

A pre-visit care message without a lead time goes with the booking's confirmation (or the notice of its new
time). One with a lead time goes `lead_hours` before the start: by the sweep, for an appointment booked (made)
before that moment; with the confirmation or the reschedule notice when that moment has already come, so
that an appointment booked inside the lead time gets it right away. The paperwork reminder goes the medspa's
`paperwork_reminder_hours` before the start, only for an appointment made before that moment (one booked
later has the paperwork link in its confirmation), and only while its paperwork is not complete."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from scheduling.models import Appointment
from services_catalog.models import CareMessage, Service


def pre_visit_care_messages(service_ids: Iterable[int]) -> dict[int, list[CareMessage]]:
    """The pre-visit care messages of each service (by id; a library service's for an imported one), each
    with its versions, in title order. A fixed number of queries, whatever the number of services."""
    services = (
        Service.objects.select_related("library_service")
        .prefetch_related("care_messages__versions", "library_service__care_messages__versions")
        .in_bulk(set(service_ids))
    )
    return {
        pk: sorted(
            (m for m in service.effective_care_messages() if m.timing == CareMessage.Timing.PRE),
            key=lambda message: (message.title, message.pk),
        )
        for pk, service in services.items()
    }


def care_message_due_at(appointment: Appointment, message: CareMessage) -> datetime | None:
    """When a pre-visit care message with a lead time is due; None for one that goes with the confirmation."""
    if message.lead_hours is None:
        return None
    return appointment.start - timedelta(hours=message.lead_hours)


def care_due_with_notice(appointment: Appointment, message: CareMessage, *, now: datetime) -> bool:
    """Whether the confirmation (or reschedule notice) sent at `now` brings this care message along: it has
    no lead time, or its moment has already come."""
    due_at = care_message_due_at(appointment, message)
    return due_at is None or due_at <= now


def care_due_by_sweep(appointment: Appointment, message: CareMessage, *, now: datetime) -> bool:
    """Whether the sweep at `now` sends this care message: it has a lead time, its moment has come before
    the start, and the appointment was booked before that moment."""
    due_at = care_message_due_at(appointment, message)
    return due_at is not None and due_at <= now < appointment.start and appointment.created_at < due_at

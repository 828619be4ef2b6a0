"""The sweeps of what goes to a patient before the visit (Celery beat, every few minutes): the paperwork
reminder and the pre-visit care messages with a lead time. Each finds what has come due across every medspa
in a fixed number of queries, leaves out what was already decided, and hands each one to
`appointment_notify` (through `enqueue`, one task each), which decides and sends it once per channel. When
each is due: scheduling.selectors.pre_visit."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone
from django_scopes import scopes_disabled

from scheduling.models import Appointment, NotificationSettings
from scheduling.selectors import pre_visit
from scheduling.selectors.notification_texts import PAPERWORK, REMINDER_STATUSES, care_kind
from scheduling.selectors.paperwork import paperwork_of
from scheduling.services.notifications import notify_each, undecided
from services_catalog.models import CareMessage

logger = logging.getLogger(__name__)

Enqueue = Callable[[int, int, str], None]


def _default(field: str):
    return NotificationSettings._meta.get_field(field).get_default()


def _upcoming(now: datetime, hours: int):
    """Booked or confirmed appointments starting within `hours` of `now` (the longest lead time)."""
    return Appointment.objects.filter(
        status__in=REMINDER_STATUSES, start__gt=now, start__lte=now + timedelta(hours=hours)
    )


def paperwork_reminders_sweep(*, now: datetime | None = None, enqueue: Enqueue | None = None) -> int:
    """Sends the paperwork reminders that have come due, across every medspa: `enqueue(appointment_id,
    medspa_id, "paperwork")` queues one task each, or, without it, each is sent here in turn.

    Due when start - paperwork_reminder_hours <= now < start, for a booked or confirmed appointment made
    before that moment whose forms and consents are not all done, if the medspa sends paperwork reminders.
    Queries: the settings, the candidates, their paperwork (a fixed number, scheduling.selectors.paperwork),
    the rows already decided. Returns how many it attempted."""
    now = now or timezone.now()
    default = (_default("paperwork_reminder"), _default("paperwork_reminder_hours"))
    with scopes_disabled():
        configured = {
            medspa_id: (on, hours)
            for medspa_id, on, hours in NotificationSettings.objects.values_list(
                "medspa_id", "paperwork_reminder", "paperwork_reminder_hours"
            )
        }
        leads = [hours for on, hours in [default, *configured.values()] if on]
        if not leads:
            return 0
        due = []
        for appointment in _upcoming(now, max(leads)).select_related("appointment_type"):
            on, hours = configured.get(appointment.medspa_id, default)
            at = appointment.start - timedelta(hours=hours)
            if on and at <= now and appointment.created_at < at:
                due.append(appointment)
        paperwork = paperwork_of(due)
        due = [
            (a.pk, a.medspa_id, PAPERWORK)
            for a in due
            if paperwork[a.pk].needed and not paperwork[a.pk].complete
        ]
        due = undecided(due, kind=PAPERWORK)
    return notify_each(due, now=now, enqueue=enqueue)


def pre_visit_care_sweep(*, now: datetime | None = None, enqueue: Enqueue | None = None) -> int:
    """Sends the pre-visit care messages with a lead time that have come due, across every medspa:
    `enqueue(appointment_id, medspa_id, "care-<id>")` queues one task each, or, without it, each is sent
    here in turn.

    Due when start - lead_hours <= now < start, for a booked or confirmed appointment made before that
    moment (one booked later got it with its confirmation), if the medspa sends pre-visit care messages.
    Queries: the settings, the longest lead time, the candidates, their services' care messages (a fixed
    number), the rows already decided. Returns how many it attempted."""
    now = now or timezone.now()
    with scopes_disabled():
        off = set(
            NotificationSettings.objects.filter(pre_visit_care=False).values_list("medspa_id", flat=True)
        )
        longest = CareMessage.all_objects.filter(
            timing=CareMessage.Timing.PRE, lead_hours__isnull=False
        ).aggregate(longest=Max("lead_hours"))["longest"]
        if not longest:
            return 0
        candidates = [
            a for a in _upcoming(now, longest).select_related("appointment_type").exclude(medspa_id__in=off)
        ]
        messages = pre_visit.pre_visit_care_messages({a.appointment_type.service_id for a in candidates})
        due = [
            (a.pk, a.medspa_id, care_kind(message.pk))
            for a in candidates
            for message in messages.get(a.appointment_type.service_id, [])
            if pre_visit.care_due_by_sweep(a, message, now=now)
        ]
        due = undecided(due, kind__startswith="care-")
    return notify_each(due, now=now, enqueue=enqueue)

"""Periodic GFE jobs that work across medspas (Celery beat calls them through gfe.tasks).

Reminders before a clearance expires go out once per clearance: each patient's due clearances are locked
with `SELECT … FOR UPDATE SKIP LOCKED` and marked `expiry_reminder_sent_at` in the transaction that sends
the email, so two workers running at once never remind of the same clearance twice (the second one skips
the rows the first holds, or no longer finds them once the first has committed)."""

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from gfe.models import Clearance, ClearanceStatus
from medspa.models import Medspa, Membership, Patient

logger = logging.getLogger(__name__)

REMINDER_DAYS = 30


def patient_short_name(patient: Patient) -> str:
    """What an email may say of a patient: the first name and the last initial."""
    initial = f" {patient.last_name[:1]}." if patient.last_name else ""
    return f"{patient.first_name}{initial}"


def long_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _active_emails(memberships) -> list[str]:
    return sorted({m.user.email for m in memberships if m.is_active and m.user.is_active and m.user.email})


def patient_provider_emails(patient: Patient) -> list[str]:
    """The emails of the patient's assigned providers (active members only)."""
    return _active_emails(
        Membership.objects.filter(assigned_patients=patient, medspa_id=patient.medspa_id).select_related(
            "user"
        )
    )


def medspa_admin_emails(medspa_id: int) -> list[str]:
    return _active_emails(
        Membership.objects.filter(medspa_id=medspa_id, is_admin=True).select_related("user")
    )


def _due(today: date):
    return Clearance.objects.filter(
        status=ClearanceStatus.CLEARED,
        valid_until__gte=today,
        valid_until__lte=today + timedelta(days=REMINDER_DAYS),
        expiry_reminder_sent_at__isnull=True,
    )


def clearance_expiry_reminders_send(*, today: date | None = None) -> int:
    """Daily: tells the patient's assigned providers (the medspa's admins when there are none) of every
    clearance that expires within the next 30 days, once per clearance, one email per patient. Returns how
    many clearances were reminded of. The 30 days count from each medspa's today (the server's date is
    already tomorrow in a US evening), or from `today` when given."""
    reminded = 0
    with scopes_disabled():
        unreminded = Clearance.objects.filter(
            status=ClearanceStatus.CLEARED, expiry_reminder_sent_at__isnull=True
        )
        for medspa in Medspa.objects.filter(pk__in=unreminded.values("medspa_id")).order_by("pk"):
            day = today or timezone.localdate(timezone=medspa.tz)
            due = _due(day).filter(medspa=medspa)
            patient_ids = list(due.values_list("patient_id", flat=True).distinct().order_by("patient_id"))
            for patient_id in patient_ids:
                reminded += _remind_patient(patient_id, day)
    return reminded


@transaction.atomic
def _remind_patient(patient_id: int, today: date) -> int:
    clearances = list(
        _due(today)
        .filter(patient_id=patient_id)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("patient__medspa", "service__library_service")
        .order_by("valid_until", "pk")
    )
    if not clearances:
        return 0  # another worker holds them, or has just reminded of them
    patient = clearances[0].patient
    recipients = patient_provider_emails(patient) or medspa_admin_emails(patient.medspa_id)
    if recipients:
        lines = [f"- {c.service.display_name}: valid until {long_date(c.valid_until)}" for c in clearances]
        send_mail(
            subject=(
                f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}GFE clearance expiring soon at {patient.medspa.name}"
            ),
            message=(
                "Hello,\n\n"
                f"The Good Faith Exam clearance of {patient_short_name(patient)} expires soon:\n\n"
                + "\n".join(lines)
                + "\n\nRequest a new GFE before then so that treatment is not held up.\n"
            ),
            from_email=None,
            recipient_list=recipients,
        )
    else:
        logger.warning("GFE expiry reminder for patient %s: the medspa has nobody to tell.", patient_id)
    Clearance.objects.filter(pk__in=[c.pk for c in clearances]).update(expiry_reminder_sent_at=timezone.now())
    return len(clearances)

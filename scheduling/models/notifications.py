"""Patient appointment notifications: what a medspa sends, and the log that makes each one go out once."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django_scopes import ScopedManager

from medspa.models import Medspa
from medspa.models.messages import MessageLog
from scheduling.models.appointments import Appointment
from services_catalog.models import CareMessageVersion


def _default_reminders() -> list[int]:
    return [48, 2]


class NotificationSettings(models.Model):
    """A medspa's patient notifications: which go out, by email and / or SMS, when, and their texts.
    Templates may use {patient_first_name}, {medspa_name}, {location_name}, {appointment_type},
    {date}, {time}, {provider_name}, {manage_link}, {paperwork_link} (the patient's forms and consents for
    the visit) and {paperwork_line} (a sentence asking for them with the link; empty when none are left)."""

    medspa = models.OneToOneField(Medspa, on_delete=models.CASCADE, related_name="notification_settings")
    email_enabled = models.BooleanField("send email", default=True)
    sms_enabled = models.BooleanField("send SMS", default=True)
    confirmation = models.BooleanField(default=True)
    reminders = models.BooleanField(default=True)
    reminder_hours = models.JSONField(default=_default_reminders, help_text="Hours before the appointment.")
    reschedule = models.BooleanField(default=True)
    cancellation = models.BooleanField(default=True)
    no_show_follow_up = models.BooleanField("no-show follow-up", default=True)
    paperwork_reminder = models.BooleanField(
        "paperwork reminder",
        default=True,
        help_text="Reminds the patient, once, of forms and consents still to do before the visit.",
    )
    paperwork_reminder_hours = models.PositiveSmallIntegerField(
        "paperwork reminder (hours before)",
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(336)],
    )
    pre_visit_care = models.BooleanField(
        "pre-visit care messages",
        default=True,
        help_text="Sends the services' before-the-treatment care messages, each once.",
    )
    templates = models.JSONField(
        default=dict, blank=True, help_text="Overrides of the default texts, by kind."
    )

    objects = ScopedManager(medspa="medspa")

    def __str__(self) -> str:
        return f"Notifications of {self.medspa}"


# How the log names a kind (the settings page's labels live in scheduling.selectors.notification_texts).
KIND_WORDS = {
    "confirmation": "Booking confirmation",
    "cancellation": "Cancellation",
    "no-show": "No-show follow-up",
    "paperwork": "Paperwork reminder",
}


class NotificationLog(MessageLog):
    """One notification decision for an appointment: pending, sent, failed or skipped. The unique row per
    (appointment, kind, channel) is written in the same transaction as the decision, and marked sent in the
    transaction that holds its lock while the message goes: recorded once, sent until it went."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="notifications")
    # Also "paperwork" (the paperwork reminder) and "care-<care message id>" (a pre-visit care message).
    kind = models.CharField(max_length=40, help_text="confirmation, reminder-48h, reschedule, …")
    # A pre-visit care message: the exact text it sends (the care message's current version when decided).
    care_version = models.ForeignKey(
        CareMessageVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "kind", "channel"], name="notification_sent_once")
        ]
        # The notifications sweep (medspa.once): only the rows owing a message are indexed.
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(next_attempt_at__isnull=False),
                name="notification_owed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.channel}: {self.status}"

    @property
    def kind_label(self) -> str:
        """The kind in words, as the appointment's log and the To-Do print it ("Reminder, 48h before",
        "Pre-visit care: Avoid blood thinners"); select "care_version__care_message" for a list."""
        if self.care_version_id is not None:
            return f"Pre-visit care: {self.care_version.care_message.title}"
        kind = self.kind
        if kind.startswith("reminder-"):
            return f"Reminder, {kind.removeprefix('reminder-')} before"
        if kind.startswith("reschedule-"):
            return "Rescheduled"
        return KIND_WORDS.get(kind, kind)

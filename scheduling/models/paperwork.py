"""The patient's paperwork before a visit: answers to the appointment type's intake forms, and the changes to
the patient's record (allergies, medications, medical history) they propose, which staff or the provider
accept or decline. The answers are never changed once written (the database refuses); nothing in the
patient's record changes until a person accepts."""

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django_scopes import ScopedManager

from medspa.models import Medspa, Patient
from scheduling.models.appointments import Appointment
from services_catalog.models import IntakeFormVersion, RecordField


class IntakeResponse(models.Model):
    """A patient's answers to one exact intake form version for one appointment, as submitted from the
    paperwork link: {question key: answer}. Submitting the form again adds a newer response."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="intake_responses")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="intake_responses")
    version = models.ForeignKey(IntakeFormVersion, on_delete=models.PROTECT, related_name="responses")
    answers = models.JSONField(default=dict)
    submitted_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["patient", "-submitted_at"], name="intake_response_patient")]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.version.form.title} of {self.patient}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class HistoryChange(models.Model):
    """A change to one part of the patient's record that an intake answer proposes: the record as it was,
    the patient's answer, and what staff decided. Accepting writes `accepted_text` to the record."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="history_changes")
    response = models.ForeignKey(IntakeResponse, on_delete=models.PROTECT, related_name="changes")
    record = models.CharField(max_length=20, choices=RecordField)
    before = models.TextField(blank=True, help_text="The patient's record when the answer came.")
    proposed = models.TextField(blank=True, help_text="What the patient answered.")
    status = models.CharField(max_length=8, choices=Status, default=Status.PENDING)
    accepted_text = models.TextField(blank=True, help_text="What was written to the record on accepting.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["response", "record"], name="history_change_once_per_answer"),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True, decided_by__isnull=True)
                | (~Q(status="pending") & Q(decided_at__isnull=False) & Q(decided_by__isnull=False)),
                name="history_change_decided_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_record_display()} of {self.patient}: {self.get_status_display().lower()}"

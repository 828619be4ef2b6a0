"""The clearance of each patient for each service, which gates treatment. Nothing is overwritten: a
clearance moves only along its allowed transitions, and a new exam makes new clearances."""

import pghistory
from django.db import models
from django.db.models import Q
from django_scopes import ScopedManager

from gfe.models.exams import GfeExam
from gfe.models.requests import GfeRequest
from medspa.models import Medspa, Patient
from services_catalog.models import Service


class ClearanceStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    IN_REVIEW = "in_review", "In review"
    CLEARED = "cleared", "Cleared"
    NOT_INDICATED = "not_indicated", "Not indicated"
    DEFERRED = "deferred", "Deferred"
    EXPIRED = "expired", "Expired"


# The only moves a clearance can make; anything else is refused.
_DECISIONS = {ClearanceStatus.CLEARED, ClearanceStatus.NOT_INDICATED, ClearanceStatus.DEFERRED}
CLEARANCE_TRANSITIONS = {
    ClearanceStatus.REQUESTED: {ClearanceStatus.IN_REVIEW, ClearanceStatus.EXPIRED, *_DECISIONS},
    ClearanceStatus.IN_REVIEW: {ClearanceStatus.EXPIRED, *_DECISIONS},
    ClearanceStatus.CLEARED: {ClearanceStatus.EXPIRED},
}


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Clearance(models.Model):
    """A patient's clearance for one service, from one request. The newest one for a (patient, service)
    is the one that counts; older ones stay as history."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="clearances")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="clearances")
    request = models.ForeignKey(GfeRequest, on_delete=models.PROTECT, related_name="clearances")
    exam = models.ForeignKey(
        GfeExam, on_delete=models.PROTECT, null=True, blank=True, related_name="clearances"
    )
    status = models.CharField(max_length=14, choices=ClearanceStatus, default=ClearanceStatus.REQUESTED)
    valid_until = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True, help_text="Why not indicated or deferred.")
    decided_at = models.DateTimeField(null=True, blank=True)
    expiry_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "service", "-created_at"], name="clearance_latest")]
        constraints = [
            models.UniqueConstraint(fields=["request", "service"], name="clearance_once_per_request_service"),
            models.CheckConstraint(
                condition=~Q(status="cleared") | Q(valid_until__isnull=False),
                name="a_clearance_has_an_expiry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} · {self.service}: {self.get_status_display()}"

    def is_valid_on(self, day) -> bool:
        return (
            self.status == ClearanceStatus.CLEARED
            and self.valid_until is not None
            and self.valid_until >= day
        )

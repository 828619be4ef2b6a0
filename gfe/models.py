"""Good Faith Exams: how a medspa routes its patients' clearance, the requests, the signed exams, and the
clearance of each patient for each service, which gates treatment.

Nothing is overwritten: every request, exam and clearance is kept; a clearance moves only along its
allowed transitions (each one recorded by the audit triggers), and a new exam makes new clearances."""

import secrets
from datetime import timedelta

import pghistory
import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_scopes import ScopedManager

from medspa.models import Medspa, Membership, Patient
from services_catalog.models import Service


class Routing(models.TextChoices):
    SELF = "self", "Clear our own patients"
    OWN_CLEARER = "own_clearer", "Our own clearing provider"
    PORTRAIT = "portrait", "Portrait clearing services"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class GfeSettings(models.Model):
    """How a medspa's patients get their Good Faith Exam clearance."""

    medspa = models.OneToOneField(Medspa, on_delete=models.CASCADE, related_name="gfe_settings")
    routing = models.CharField(max_length=12, choices=Routing, default=Routing.PORTRAIT)
    validity_months = models.PositiveSmallIntegerField(
        "clearance valid for (months)", default=12, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    auto_request_on_booking = models.BooleanField(
        "request a GFE automatically when a booked service needs one", default=True
    )
    clearer_name = models.CharField("clearing provider's name", max_length=150, blank=True)
    clearer_credential = models.CharField("credentials", max_length=20, blank=True)
    clearer_email = models.EmailField("email", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        verbose_name_plural = "GFE settings"
        constraints = [
            models.CheckConstraint(condition=Q(validity_months__lte=12), name="gfe_valid_at_most_a_year"),
            models.CheckConstraint(
                condition=~Q(routing="own_clearer") | ~Q(clearer_email=""), name="own_clearer_has_an_email"
            ),
        ]

    def __str__(self) -> str:
        return f"GFE routing of {self.medspa}: {self.get_routing_display()}"


class RequestStatus(models.TextChoices):
    SENT = "sent", "Sent"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    DEFERRED = "deferred", "Deferred"
    MISSED = "missed", "Missed"
    EXPIRED = "expired", "Expired"


OPEN_REQUEST_STATUSES = [RequestStatus.SENT, RequestStatus.IN_REVIEW]


def _review_token() -> str:
    return secrets.token_urlsafe(32)


def _token_expiry():
    return timezone.now() + timedelta(days=7)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class GfeRequest(models.Model):
    """A request for a Good Faith Exam of a patient for some services, routed by the medspa's setting.
    The external clearer opens it through a secret link that expires and works once."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Requested by a provider"
        BOOKING = "booking", "Requested automatically for a booking"

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="gfe_requests")
    services = models.ManyToManyField(Service, related_name="+")
    route = models.CharField(max_length=12, choices=Routing)
    status = models.CharField(max_length=10, choices=RequestStatus, default=RequestStatus.SENT)
    source = models.CharField(max_length=8, choices=Source, default=Source.MANUAL)
    urgent = models.BooleanField(default=False)
    urgent_fee = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_token = models.CharField(max_length=64, unique=True, default=_review_token, editable=False)
    token_expires_at = models.DateTimeField(default=_token_expiry)
    token_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # When the emails went, marked while the row is locked, so a message delivered twice sends once
    # (gfe.emails); while one is owed, when the sweep sends it (again), after a lease or a failed send.
    clearer_notified_at = models.DateTimeField(null=True, blank=True)
    clearer_email_attempts = models.PositiveSmallIntegerField(default=0)
    clearer_email_next_attempt_at = models.DateTimeField(null=True, blank=True)
    clearer_email_error = models.CharField(max_length=300, blank=True)
    decision_notified_at = models.DateTimeField(null=True, blank=True)
    decision_email_attempts = models.PositiveSmallIntegerField(default=0)
    decision_email_next_attempt_at = models.DateTimeField(null=True, blank=True)
    decision_email_error = models.CharField(max_length=300, blank=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["-urgent", "created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(urgent_fee__gte=0), name="gfe_urgent_fee_not_negative")
        ]
        # The GFE emails sweep (medspa.once): only the requests owing an email are indexed.
        indexes = [
            models.Index(
                fields=["clearer_email_next_attempt_at"],
                condition=Q(clearer_email_next_attempt_at__isnull=False),
                name="gfe_request_clearer_owed",
            ),
            models.Index(
                fields=["decision_email_next_attempt_at"],
                condition=Q(decision_email_next_attempt_at__isnull=False),
                name="gfe_request_decision_owed",
            ),
        ]

    def __str__(self) -> str:
        return f"GFE request for {self.patient} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REQUEST_STATUSES


@pghistory.track(pghistory.InsertEvent())
class GfeExam(models.Model):
    """The signed exam: what was reviewed, the diagnoses and contraindications, who signed, with which
    licence. Kept unchanged for good (the database refuses updates and deletes)."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="gfe_exams")
    request = models.OneToOneField(GfeRequest, on_delete=models.PROTECT, related_name="exam")
    clearer = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The medspa's own provider who cleared, if it was one.",
    )
    clearer_name = models.CharField(max_length=150)
    clearer_credential = models.CharField(max_length=20)
    clearer_licence = models.CharField(max_length=80, blank=True)
    history_reviewed = models.BooleanField(default=False)
    medications_reviewed = models.BooleanField(default=False)
    allergies_reviewed = models.BooleanField(default=False)
    diagnoses = models.TextField(blank=True)
    icd10_codes = models.CharField("ICD-10 codes", max_length=200, blank=True)
    contraindications = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    signature = models.FileField(upload_to="gfe-signatures/", blank=True)
    signed_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["-signed_at"]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"GFE of {self.patient} by {self.clearer_name} ({self.signed_at:%Y-%m-%d})"


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

"""GFE requests: which services of a patient await an exam, by which route, and the emails each owes."""

import secrets
from datetime import timedelta

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_scopes import ScopedManager

from gfe.models.settings import Routing
from medspa.models import Medspa, Patient
from services_catalog.models import Service


class RequestStatus(models.TextChoices):
    SENT = "sent", "Sent"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    DEFERRED = "deferred", "Deferred"
    MISSED = "missed", "Missed"
    EXPIRED = "expired", "Expired"


OPEN_REQUEST_STATUSES = [RequestStatus.SENT, RequestStatus.IN_REVIEW]


# What a request says of itself, in the API and in the Django admin alike.
REQUEST_FIELDS = ("patient", "services", "route", "status", "source", "urgent", "urgent_fee")


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
    # (gfe.services.emails); while one is owed, when the sweep sends it (again), after a lease or a failed
    # send.
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

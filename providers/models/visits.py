"""Service visits: the chart of one patient's treatment by one provider (from an appointment or a walk-in),
with the services performed, the consents the patient signed for them, the products and lots used, notes
and photos.

A signed chart is locked: the database refuses any change to its services, products, photos or notes
(triggers below), so a later correction can only be an addendum, itself append-only."""

import uuid
from pathlib import PurePosixPath

import pghistory
import pgtrigger
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django_scopes import ScopedManager

from medspa.models import Medspa, Membership, Patient
from medspa.models.messages import MessageLog
from scheduling.models import Appointment, Location
from services_catalog.models import (
    CareMessage,
    CareMessageVersion,
    ConsentSignature,
    ConsentVersion,
    Service,
    StandingOrderVersion,
)

MONEY = {"max_digits": 10, "decimal_places": 2, "validators": [MinValueValidator(0)]}
APPEND_ONLY = pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)

# Rows of a chart (services, products, photos) cannot be added, changed or removed once it is signed.
CHART_LOCKED = pgtrigger.Trigger(
    name="chart_locked",
    when=pgtrigger.Before,
    operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
    func=pgtrigger.Func(
        """
        IF EXISTS (
            SELECT 1 FROM providers_visit
            WHERE id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.visit_id ELSE NEW.visit_id END)
              AND chart_signed_at IS NOT NULL
        ) THEN
            RAISE EXCEPTION 'pgtrigger: the chart is signed and locked; add an addendum instead'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
        """
    ),
)


class VisitStatus(models.TextChoices):
    OPEN = "open", "In progress"
    COMPLETED = "completed", "Completed"
    VOIDED = "voided", "Voided"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Visit(models.Model):
    """One service visit and its chart. Completed at checkout (paid, care messages sent); the chart is
    signed by the provider, before or after, and is then locked."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="visits")
    provider = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="visits")
    appointment = models.OneToOneField(
        Appointment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visit",
        help_text="Empty for a walk-in.",
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=VisitStatus, default=VisitStatus.OPEN)
    notes = models.TextField("clinical notes", blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField(null=True, blank=True)
    chart_signed_at = models.DateTimeField(null=True, blank=True)
    chart_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A chart signed through a masquerade: the admin's signature on behalf of the provider. It does not
    # lock the chart; the provider's own signature (chart_signed_*) is then their co-signature, and locks it.
    signed_on_behalf_at = models.DateTimeField(null=True, blank=True)
    signed_on_behalf_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The admin who signed while masquerading as the provider.",
    )
    signed_on_behalf_of = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The provider the admin signed for, who co-signs.",
    )
    void_reason = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["provider", "chart_signed_at"], name="visit_provider_signed"),
            models.Index(fields=["patient", "-started_at"], name="visit_patient_started"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(chart_signed_at__isnull=True) | Q(chart_signed_by__isnull=False),
                name="visit_signed_chart_has_signer",
            ),
            models.CheckConstraint(
                condition=Q(
                    signed_on_behalf_at__isnull=True,
                    signed_on_behalf_by__isnull=True,
                    signed_on_behalf_of__isnull=True,
                )
                | Q(
                    signed_on_behalf_at__isnull=False,
                    signed_on_behalf_by__isnull=False,
                    signed_on_behalf_of__isnull=False,
                ),
                name="visit_signed_on_behalf_is_whole",
            ),
            models.CheckConstraint(
                condition=~Q(status=VisitStatus.COMPLETED) | Q(completed_at__isnull=False),
                name="visit_completed_has_time",
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="signed_chart_locked",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(old__chart_signed_at__isnull=False)
                & (
                    pgtrigger.Q(old__notes__df=pgtrigger.F("new__notes"))
                    | pgtrigger.Q(old__patient_id__df=pgtrigger.F("new__patient_id"))
                    | pgtrigger.Q(old__provider_id__df=pgtrigger.F("new__provider_id"))
                    | pgtrigger.Q(old__chart_signed_at__df=pgtrigger.F("new__chart_signed_at"))
                    | pgtrigger.Q(old__chart_signed_by_id__df=pgtrigger.F("new__chart_signed_by_id"))
                    | pgtrigger.Q(old__signed_on_behalf_at__df=pgtrigger.F("new__signed_on_behalf_at"))
                    | pgtrigger.Q(old__signed_on_behalf_by_id__df=pgtrigger.F("new__signed_on_behalf_by_id"))
                    | pgtrigger.Q(old__signed_on_behalf_of_id__df=pgtrigger.F("new__signed_on_behalf_of_id"))
                ),
            ),
            pgtrigger.Protect(name="never_deleted", operation=pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"Visit of {self.patient} on {self.started_at:%Y-%m-%d}"

    @property
    def is_signed(self) -> bool:
        """Signed by the provider themself (or co-signed by them): the chart is locked."""
        return self.chart_signed_at is not None

    @property
    def awaits_cosign(self) -> bool:
        """Signed by an admin on the provider's behalf, waiting for the provider's co-signature."""
        return self.signed_on_behalf_at is not None and self.chart_signed_at is None

    @property
    def is_cosigned(self) -> bool:
        return self.signed_on_behalf_at is not None and self.chart_signed_at is not None

    @property
    def is_open(self) -> bool:
        return self.status == VisitStatus.OPEN


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class VisitService(models.Model):
    """A service performed in the visit, at its price when it was added, under the standing order version
    the provider was shown."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="services")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    price = models.DecimalField(**MONEY)
    standing_order_version = models.ForeignKey(
        StandingOrderVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["visit", "service"], name="visit_service_once")]
        triggers = [CHART_LOCKED]

    def __str__(self) -> str:
        return self.service.display_name


class VisitConsent(models.Model):
    """The signature that covers one consent of the visit: signed in the visit, or an earlier one of the
    same version that was still valid. Written when the patient signs or the visit is checked out."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="consents")
    version = models.ForeignKey(ConsentVersion, on_delete=models.PROTECT, related_name="+")
    signature = models.ForeignKey(ConsentSignature, on_delete=models.PROTECT, related_name="+")
    signed_in_visit = models.BooleanField(default=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["visit", "version"], name="visit_consent_once")]

    def __str__(self) -> str:
        return f"{self.version.consent} v{self.version.number} for visit {self.visit_id}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class VisitProduct(models.Model):
    """A product used in the visit (e.g. 24 units of a neurotoxin), with its lot and expiry, and what it
    is charged per unit (0 when the service's price covers it)."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="products")
    visit_service = models.ForeignKey(
        VisitService, on_delete=models.PROTECT, null=True, blank=True, related_name="products"
    )
    name = models.CharField(max_length=200)
    units = models.DecimalField(max_digits=8, decimal_places=2)
    unit_label = models.CharField(max_length=30, default="units")
    unit_price = models.DecimalField("price per unit", **MONEY)
    lot_number = models.CharField(max_length=60)
    expires_on = models.DateField("lot expiry")
    added_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(units__gt=0), name="visit_product_units_positive")]
        triggers = [CHART_LOCKED]

    def __str__(self) -> str:
        return f"{self.units} {self.unit_label} of {self.name} (lot {self.lot_number})"


def _photo_path(instance: "VisitPhoto", filename: str) -> str:
    """A random name under the medspa's folder: nothing of the patient in the path."""
    suffix = PurePosixPath(filename).suffix.lower()[:6] or ".jpg"
    return f"visit-photos/{instance.medspa_id}/{uuid.uuid4().hex}{suffix}"


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class VisitPhoto(models.Model):
    """A before or after photo, stored through Django's storage and served only through a view that
    checks who asks."""

    class Kind(models.TextChoices):
        BEFORE = "before", "Before"
        AFTER = "after", "After"

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="photos")
    kind = models.CharField(max_length=6, choices=Kind)
    image = models.ImageField(upload_to=_photo_path)
    caption = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["uploaded_at", "id"]
        triggers = [CHART_LOCKED]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} photo of visit {self.visit_id}"


@pghistory.track(pghistory.InsertEvent())
class ChartAddendum(models.Model):
    """A correction or addition to a signed chart: signed by its author and timestamped, never changed."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField()
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["signed_at", "id"]
        verbose_name_plural = "chart addenda"
        triggers = [APPEND_ONLY]

    def __str__(self) -> str:
        return f"Addendum to visit {self.visit_id} by {self.signed_by}"


class CareMessageLog(MessageLog):
    """One care message of a completed visit on one channel: sending, sent, failed or skipped. The unique row
    per (visit, care message, channel) is written with the decision to send, and marked sent in the
    transaction that holds its lock while the message goes (medspa.once): recorded once, sent until it went.
    A failed send shows as failed while it waits for its retry, and stays failed after the last one."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="care_messages")
    care_message = models.ForeignKey(CareMessage, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(CareMessageVersion, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "care_message", "channel"], name="care_message_sent_once_per_visit"
            )
        ]
        indexes = [
            models.Index(fields=["medspa", "status"], name="care_message_log_status"),
            # The care messages sweep (medspa.once): only the rows owing a message are indexed.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(next_attempt_at__isnull=False),
                name="care_message_owed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.care_message} by {self.channel}: {self.status}"

"""Consents, care messages and standing orders: Portrait's library texts (no medspa) and each medspa's own.
They are versioned: editing one adds a version and never changes an old one (the database refuses), so
whatever was signed or sent keeps pointing at the exact text it used."""

import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django_scopes import ScopedManager

from medspa.models import Medspa, Membership, Patient

APPEND_ONLY = pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)


class LibraryManager(models.Manager):
    """Portrait's library rows (no medspa): readable by everyone, without a medspa scope."""

    def get_queryset(self):
        return super().get_queryset().filter(medspa__isnull=True)


class LibraryOrMedspa(models.Model):
    """A row of the Portrait library (medspa is null) or of one medspa."""

    medspa = models.ForeignKey(
        Medspa,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for the Portrait library.",
    )

    # The default manager (the one relations use) is unscoped: a medspa's service reaches Portrait's
    # consents through its relations, which a scoped manager would hide. Queries written in code use
    # `objects` (scoped to the medspa) or `library` (Portrait's rows).
    all_objects = models.Manager()
    objects = ScopedManager(medspa="medspa")
    library = LibraryManager()

    class Meta:
        abstract = True

    @property
    def is_library(self) -> bool:
        return self.medspa_id is None


class VersionedText(LibraryOrMedspa):
    """A consent, care message or standing order: a title and a history of texts, newest current."""

    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["title"]

    def __str__(self) -> str:
        return f"{self.title} (Portrait library)" if self.is_library else self.title

    @property
    def current_version(self):
        """The newest version (uses prefetched versions when there are)."""
        versions = getattr(self, "_prefetched_objects_cache", {}).get("versions")
        if versions is not None:
            return max(versions, key=lambda version: version.number, default=None)
        return self.versions.order_by("-number").first()


class TextVersion(models.Model):
    """One version of a versioned text. Never changed once written."""

    number = models.PositiveIntegerField()
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"version {self.number}"


class Consent(VersionedText):
    """What a patient reads and signs before a treatment."""

    class Meta(VersionedText.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["medspa", "title"], name="consent_title_unique", nulls_distinct=False
            )
        ]


class ConsentVersion(TextVersion):
    consent = models.ForeignKey(Consent, on_delete=models.CASCADE, related_name="versions")

    class Meta(TextVersion.Meta):
        constraints = [models.UniqueConstraint(fields=["consent", "number"], name="consent_version_once")]
        triggers = [APPEND_ONLY]


class CareMessage(VersionedText):
    """Pre-care or post-care instructions sent to the patient around a treatment."""

    class Timing(models.TextChoices):
        PRE = "pre", "Before the treatment"
        POST = "post", "After the treatment"

    timing = models.CharField(max_length=4, choices=Timing, default=Timing.POST)
    lead_hours = models.PositiveSmallIntegerField(
        "send hours before",
        null=True,
        blank=True,
        validators=[MaxValueValidator(336)],
        help_text="Before the treatment only: how many hours before the appointment it is sent. Empty: "
        "with the booking's confirmation.",
    )

    class Meta(VersionedText.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["medspa", "title"], name="care_message_title_unique", nulls_distinct=False
            ),
            models.CheckConstraint(
                condition=Q(lead_hours__isnull=True) | (Q(timing="pre") & Q(lead_hours__lte=336)),
                name="care_message_lead_time_before_only",
            ),
        ]


class CareMessageVersion(TextVersion):
    care_message = models.ForeignKey(CareMessage, on_delete=models.CASCADE, related_name="versions")

    class Meta(TextVersion.Meta):
        constraints = [
            models.UniqueConstraint(fields=["care_message", "number"], name="care_message_version_once")
        ]
        triggers = [APPEND_ONLY]


class StandingOrder(VersionedText):
    """The medical director's protocol for a treatment. Each version must be signed off by the medspa's
    medical director before services using it can be performed."""

    class Meta(VersionedText.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["medspa", "title"], name="standing_order_title_unique", nulls_distinct=False
            )
        ]


class StandingOrderVersion(TextVersion):
    standing_order = models.ForeignKey(StandingOrder, on_delete=models.CASCADE, related_name="versions")

    class Meta(TextVersion.Meta):
        constraints = [
            models.UniqueConstraint(fields=["standing_order", "number"], name="standing_order_version_once")
        ]
        triggers = [APPEND_ONLY]


class StandingOrderSignoff(models.Model):
    """A medspa's medical director signing one version of a standing order: who, when."""

    medspa = models.ForeignKey(Medspa, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(StandingOrderVersion, on_delete=models.PROTECT, related_name="signoffs")
    signed_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["medspa", "version"], name="standing_order_signed_once")
        ]
        triggers = [APPEND_ONLY]

    def __str__(self) -> str:
        return f"{self.version.standing_order} v{self.version.number} signed by {self.signed_by.user}"


class ConsentSignature(models.Model):
    """A patient's signature on one exact consent version: the text they signed is always that version's.
    Witnessed by a staff member on the provider's screen, or signed by the patient alone from the paperwork
    link (no witness)."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consent_signatures")
    version = models.ForeignKey(ConsentVersion, on_delete=models.PROTECT, related_name="signatures")
    signature = models.FileField(upload_to="consent-signatures/")
    signed_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # Empty when the patient signed on their own, from the paperwork link before the visit.
    witnessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["-signed_at"]
        triggers = [APPEND_ONLY]

    def __str__(self) -> str:
        return f"{self.patient} signed {self.version.consent} v{self.version.number}"

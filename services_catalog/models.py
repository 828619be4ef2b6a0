"""The Services / Products domain: the Portrait library (rows with no medspa) and each medspa's own
service groups, services, consents, care messages, standing orders and retail products.

Consents, care messages and standing orders are versioned: editing one adds a version and never changes
an old one (the database refuses), so whatever was signed or sent keeps pointing at the exact text it
used."""

import pghistory
import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django_scopes import ScopedManager

from medspa.models import Medspa, Membership, Patient

APPEND_ONLY = pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
PRICE = {"max_digits": 10, "decimal_places": 2, "validators": [MinValueValidator(0)]}


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

    class Meta(VersionedText.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["medspa", "title"], name="care_message_title_unique", nulls_distinct=False
            )
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


class ServiceGroup(LibraryOrMedspa):
    """A group of services (Neurotoxins, Dermal fillers, …): Portrait's, or a medspa's custom group with
    the consents its new services start with."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    default_consents = models.ManyToManyField(Consent, blank=True, related_name="+")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["medspa", "name"], name="service_group_name_unique", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class LibraryService(models.Model):
    """A service of the Portrait library, maintained by Portrait staff. Medspas import it: its content
    stays Portrait's (and follows Portrait's updates); the price becomes the medspa's."""

    group = models.ForeignKey(ServiceGroup, on_delete=models.PROTECT, related_name="library_services")
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    default_price = models.DecimalField(**PRICE)
    duration_minutes = models.PositiveIntegerField(validators=[MinValueValidator(5), MaxValueValidator(600)])
    requires_gfe = models.BooleanField("needs GFE clearance", default=True)
    consents = models.ManyToManyField(Consent, blank=True, related_name="+")
    standing_order = models.ForeignKey(
        StandingOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    care_messages = models.ManyToManyField(CareMessage, blank=True, related_name="+")
    is_published = models.BooleanField(default=True, help_text="Unpublished services cannot be imported.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["group__position", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(default_price__gte=0), name="library_price_not_negative")
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Service(models.Model):
    """A service a medspa offers: imported from the library (content from Portrait, price its own) or
    custom (everything its own). Only active services can be chosen for clearance or in a visit."""

    medspa = models.ForeignKey(Medspa, on_delete=models.CASCADE, related_name="services")
    library_service = models.ForeignKey(
        LibraryService, on_delete=models.PROTECT, null=True, blank=True, related_name="imports"
    )
    group = models.ForeignKey(
        ServiceGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="services"
    )
    name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    price = models.DecimalField(**PRICE)
    duration_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(5), MaxValueValidator(600)]
    )
    requires_gfe = models.BooleanField("needs GFE clearance", default=True)
    consents = models.ManyToManyField(Consent, blank=True, related_name="+")
    standing_order = models.ForeignKey(
        StandingOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    care_messages = models.ManyToManyField(CareMessage, blank=True, related_name="+")
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="service_price_not_negative"),
            models.CheckConstraint(
                condition=Q(library_service__isnull=False)
                | (Q(group__isnull=False) & ~Q(name="") & Q(duration_minutes__isnull=False)),
                name="custom_service_is_complete",
            ),
            models.UniqueConstraint(
                fields=["medspa", "library_service"],
                condition=Q(library_service__isnull=False),
                name="library_service_imported_once",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_imported(self) -> bool:
        return self.library_service_id is not None

    # What the medspa sees: an imported service's content is always the library's current content.
    @property
    def display_name(self) -> str:
        return self.library_service.name if self.is_imported else self.name

    @property
    def display_description(self) -> str:
        return self.library_service.description if self.is_imported else self.description

    @property
    def effective_group(self) -> ServiceGroup:
        return self.library_service.group if self.is_imported else self.group

    @property
    def effective_duration(self) -> int:
        return self.library_service.duration_minutes if self.is_imported else self.duration_minutes

    @property
    def effective_requires_gfe(self) -> bool:
        return self.library_service.requires_gfe if self.is_imported else self.requires_gfe

    @property
    def effective_standing_order(self) -> StandingOrder | None:
        return self.library_service.standing_order if self.is_imported else self.standing_order

    def effective_consents(self):
        return (self.library_service if self.is_imported else self).consents.all()

    def effective_care_messages(self):
        return (self.library_service if self.is_imported else self).care_messages.all()


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class RetailProduct(models.Model):
    """A product the medspa sells at retail checkout."""

    medspa = models.ForeignKey(Medspa, on_delete=models.CASCADE, related_name="retail_products")
    name = models.CharField(max_length=200)
    sku = models.CharField("SKU", max_length=64)
    price = models.DecimalField(**PRICE)
    taxable = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["medspa", "sku"], name="retail_sku_unique_per_medspa"),
            models.CheckConstraint(condition=Q(price__gte=0), name="retail_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class ConsentSignature(models.Model):
    """A patient's signature on one exact consent version: the text they signed is always that version's."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consent_signatures")
    version = models.ForeignKey(ConsentVersion, on_delete=models.PROTECT, related_name="signatures")
    signature = models.FileField(upload_to="consent-signatures/")
    signed_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    witnessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["-signed_at"]
        triggers = [APPEND_ONLY]

    def __str__(self) -> str:
        return f"{self.patient} signed {self.version.consent} v{self.version.number}"

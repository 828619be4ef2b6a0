"""Service groups, services (imported from the Portrait library or custom) and retail products."""

import pghistory
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django_scopes import ScopedManager

from medspa.models import Medspa
from services_catalog.models.texts import CareMessage, Consent, LibraryOrMedspa, StandingOrder

PRICE = {"max_digits": 10, "decimal_places": 2, "validators": [MinValueValidator(0)]}


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


# What a medspa edits of a service, in this order on its form and in the API.
SERVICE_FIELDS = (
    "group",
    "name",
    "description",
    "price",
    "duration_minutes",
    "requires_gfe",
    "consents",
    "standing_order",
    "care_messages",
    "is_active",
)


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

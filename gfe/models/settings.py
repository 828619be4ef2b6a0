"""How a medspa routes its patients' Good Faith Exams: Portrait, its own clearing provider, or its own
providers clearing their patients."""

import pghistory
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django_scopes import ScopedManager

from medspa.models import Medspa


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

"""What a medspa pays Portrait each month.

A medspa's plan (business model, Flex split, coordinator) is kept as dated periods, so that a bill can price
each day of a month at the plan that day was on: a model change or a coordinator leaving mid-month splits the
month's fees by days. Bills and their lines are written once and never changed (the database refuses it)."""

import pgtrigger
from django.db import models
from django.db.models import Q
from django_scopes import ScopedManager

from medspa.models import Medspa
from medspa.models.tenancy import BusinessModel


class PlanPeriod(models.Model):
    """The plan a medspa was on from `starts_on` to `ends_on` (both included; open-ended while current)."""

    medspa = models.ForeignKey(Medspa, on_delete=models.CASCADE, related_name="+")
    business_model = models.CharField(max_length=10, choices=BusinessModel)
    flex_revenue_split_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    keeps_coordinator = models.BooleanField()
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["medspa", "starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["medspa", "starts_on"], name="plan_period_one_start_per_day"),
            models.UniqueConstraint(
                fields=["medspa"], condition=Q(ends_on__isnull=True), name="plan_period_one_open_per_medspa"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="plan_period_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        until = f"{self.ends_on:%Y-%m-%d}" if self.ends_on else "now"
        coordinator = " + coordinator" if self.keeps_coordinator else ""
        return f"{self.get_business_model_display()}{coordinator}, {self.starts_on:%Y-%m-%d} to {until}"


class Bill(models.Model):
    """One month's bill of one medspa; generating a month twice finds the bill already there."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(help_text="The first day of the month billed.")
    number = models.CharField(max_length=30, unique=True)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    generated_at = models.DateTimeField(auto_now_add=True)
    # Whom the bill was for, as the medspa was when the bill was made: it reads the same after a rename.
    business_name = models.CharField(max_length=200, blank=True)
    business_dba = models.CharField("DBA (doing business as)", max_length=200, blank=True)
    shipping_address = models.TextField(blank=True, help_text="The shipping address, one line per line.")

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["-month", "medspa__name"]
        constraints = [
            models.UniqueConstraint(fields=["medspa", "month"], name="bill_one_per_medspa_and_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="bill_month_is_first_day"),
        ]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"Bill {self.number} ({self.month:%B %Y})"

    @property
    def display_name(self) -> str:
        """The name the medspa went by when the bill was made: its DBA when it had one."""
        return self.business_dba or self.business_name

    @property
    def address_lines(self) -> list[str]:
        return self.shipping_address.splitlines()


class BillLine(models.Model):
    """One line of a bill: the coordinator's days, the month's urgent GFE requests or Flex's revenue share."""

    class Kind(models.TextChoices):
        # Bills made before the platform fee was dropped keep their line (bills are never changed), so the
        # value stays readable; the database refuses a new one (the trigger below). Launch pays Portrait
        # through its inventory prices, not a monthly fee.
        PLATFORM_FEE = "platform_fee", "Platform fee (no longer billed)"
        COORDINATOR_FEE = "coordinator_fee", "Patient Care Coordinator"
        URGENT_GFE = "urgent_gfe", "Urgent GFE fees"
        FLEX_SHARE = "flex_share", "Flex revenue share"

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=Kind)
    description = models.CharField(max_length=300)
    quantity = models.PositiveIntegerField(default=1)
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["bill", "position"]
        constraints = [
            models.UniqueConstraint(fields=["bill", "position"], name="bill_line_position_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="bill_line_amount_not_negative"),
        ]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
            # Not a check constraint: that would refuse the platform-fee lines of bills already made.
            pgtrigger.Trigger(
                name="no_new_platform_fee",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert,
                condition=pgtrigger.Q(new__kind="platform_fee"),
                func="RAISE EXCEPTION 'A platform fee is no longer billed: Launch pays Portrait through its "
                "inventory prices.';",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"

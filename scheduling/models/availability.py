"""When providers work: weekly hours per location, date overrides (extra hours, time off) and closures.
Times are wall-clock times in the location's time zone, so they stay right across daylight saving."""

from django.db import models
from django.db.models import F, Q
from django_scopes import ScopedManager

from medspa.models import Medspa, Membership
from scheduling.models.locations import Location


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class AvailabilityRule(models.Model):
    """One interval of a provider's weekly hours at a location (several a day are fine)."""

    medspa = models.ForeignKey(Medspa, on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="availability_rules")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="availability_rules")
    weekday = models.PositiveSmallIntegerField(choices=Weekday)
    start_time = models.TimeField()
    end_time = models.TimeField()

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["provider", "location", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="rule_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class AvailabilityOverride(models.Model):
    """A date that differs from the weekly hours: extra hours, or time off (all day when no times)."""

    class Kind(models.TextChoices):
        EXTRA = "extra", "Extra hours"
        OFF = "off", "Time off"

    medspa = models.ForeignKey(Medspa, on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="availability_overrides")
    location = models.ForeignKey(
        Location,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Extra hours need a location; time off without one applies everywhere.",
    )
    date = models.DateField()
    kind = models.CharField(max_length=5, choices=Kind)
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["date", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(start_time__isnull=True) & Q(end_time__isnull=True))
                | Q(end_time__gt=F("start_time")),
                name="override_times_make_sense",
            ),
            models.CheckConstraint(
                condition=~Q(kind="extra") | (Q(location__isnull=False) & Q(start_time__isnull=False)),
                name="extra_hours_have_a_place_and_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.date}"


class Closure(models.Model):
    """A day the whole medspa (or one location) is closed: nothing can be booked."""

    medspa = models.ForeignKey(Medspa, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    date = models.DateField()
    reason = models.CharField(max_length=200)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"Closed {self.date}: {self.reason}"

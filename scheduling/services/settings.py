"""Writes of the Scheduling tab's settings: rooms and devices, appointment types, providers' weekly hours and
date overrides, closures, and the providers' iCal feeds.

Every write takes keyword arguments and checks the rules that keep the data sensible (an interval ends after
it starts, a provider's intervals at one location never overlap, extra hours have a place and a time, …), so
the forms, the API and the demo data cannot disagree about them. Times are wall-clock times in the
location's time zone."""

from collections.abc import Iterable
from datetime import date, time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from medspa import clock
from medspa.models import Medspa, Membership
from scheduling.models import (
    AppointmentType,
    AvailabilityOverride,
    AvailabilityRule,
    CalendarFeed,
    Closure,
    Location,
    Resource,
)

RESOURCE_FIELDS = ["location", "name", "kind", "is_active"]
# What an admin edits of an appointment type, in the order the page and the API show it (both take the list
# from here): its own fields and the providers, rooms and intake forms it is linked to.
APPOINTMENT_TYPE_EDITABLE = [
    "location",
    "service",
    "name",
    "duration_minutes",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "price",
    "providers",
    "rooms",
    "min_notice_minutes",
    "horizon_days",
    "online_bookable",
    "cancellation_window_hours",
    "deposit_amount",
    "deposit_percent",
    "late_cancel_fee",
    "no_show_fee",
    "intake_forms",
    "color",
]
APPOINTMENT_TYPE_LINKS = ("providers", "rooms", "intake_forms")
APPOINTMENT_TYPE_FIELDS = [name for name in APPOINTMENT_TYPE_EDITABLE if name not in APPOINTMENT_TYPE_LINKS]


# --- Rooms and devices ----------------------------------------------------------------------------------


@transaction.atomic
def resource_save(*, medspa: Medspa, data: dict, resource: Resource | None = None) -> Resource:
    """Creates or updates a treatment room or device of `medspa` at one of its locations."""
    resource = resource or Resource(medspa=medspa)
    for name in RESOURCE_FIELDS:
        if name in data:
            setattr(resource, name, data[name])
    if resource.location.medspa_id != medspa.pk:
        raise ValidationError({"location": "Choose one of your locations."})
    resource.full_clean()
    resource.save()
    return resource


# --- Appointment types ----------------------------------------------------------------------------------


@transaction.atomic
def appointment_type_save(
    *, medspa: Medspa, data: dict, appointment_type: AppointmentType | None = None
) -> AppointmentType:
    """Creates or updates an appointment type of `medspa`: what it books, its length, buffers and price, the
    providers who offer it and the rooms it needs (both at its location), its booking rules, and the intake
    forms the patient completes before the visit (the medspa's own or Portrait's)."""
    appointment_type = appointment_type or AppointmentType(medspa=medspa)
    for name in APPOINTMENT_TYPE_FIELDS:
        if name in data:
            setattr(appointment_type, name, data[name])
    location = appointment_type.location
    if location.medspa_id != medspa.pk or appointment_type.service.medspa_id != medspa.pk:
        raise ValidationError("Choose one of your locations and one of your services.")
    providers = list(data.get("providers", appointment_type.providers.all() if appointment_type.pk else []))
    rooms = list(data.get("rooms", appointment_type.rooms.all() if appointment_type.pk else []))
    intake_forms = list(
        data.get("intake_forms", appointment_type.intake_forms.all() if appointment_type.pk else [])
    )
    working_here = set(location.providers.values_list("pk", flat=True))
    strangers = [provider for provider in providers if provider.pk not in working_here]
    if strangers:
        names = ", ".join(provider.user.get_full_name() for provider in strangers)
        raise ValidationError({"providers": f"{names} does not work at {location.name}."})
    if any(room.location_id != location.pk for room in rooms):
        raise ValidationError({"rooms": f"Choose rooms and devices at {location.name}."})
    if any(form.medspa_id not in (None, medspa.pk) for form in intake_forms):
        raise ValidationError({"intake_forms": "Choose your own intake forms or Portrait's."})
    appointment_type.full_clean()
    appointment_type.save()
    appointment_type.providers.set(providers)
    appointment_type.rooms.set(rooms)
    appointment_type.intake_forms.set(intake_forms)
    return appointment_type


def appointment_type_set_active(*, appointment_type: AppointmentType, active: bool) -> AppointmentType:
    """Activates or deactivates an appointment type; booked appointments of it stay as they are."""
    appointment_type.is_active = active
    appointment_type.save(update_fields=["is_active"])
    return appointment_type


# --- Weekly hours ---------------------------------------------------------------------------------------


def rule_overlaps(
    *, provider: Membership, location: Location, weekday: int, start_time: time, end_time: time
) -> AvailabilityRule | None:
    """The provider's existing interval at `location` on `weekday` that [start_time, end_time) meets."""
    return (
        AvailabilityRule.objects.filter(
            provider=provider,
            location=location,
            weekday=weekday,
            start_time__lt=end_time,
            end_time__gt=start_time,
        )
        .order_by("start_time")
        .first()
    )


@transaction.atomic
def availability_rules_add(
    *,
    medspa: Medspa,
    provider: Membership,
    location: Location,
    weekdays: Iterable[int],
    start_time: time,
    end_time: time,
) -> list[AvailabilityRule]:
    """Adds the interval start_time–end_time (wall-clock, the location's time zone) to the provider's weekly
    hours at `location` on each of `weekdays`. Refused when it ends before it starts, or when it overlaps an
    interval the provider already has there that day."""
    if not provider.is_provider or provider.medspa_id != medspa.pk or location.medspa_id != medspa.pk:
        raise ValidationError("Choose one of your providers and one of your locations.")
    if end_time <= start_time:
        raise ValidationError({"end_time": "The interval must end after it starts."})
    # Serialise concurrent additions for this provider so two overlapping intervals cannot both pass.
    Membership.objects.select_for_update().filter(pk=provider.pk).first()
    rules = []
    for weekday in sorted(set(weekdays)):
        clash = rule_overlaps(
            provider=provider, location=location, weekday=weekday, start_time=start_time, end_time=end_time
        )
        if clash is not None:
            raise ValidationError(
                f"It overlaps {clash.get_weekday_display()} {clash.start_time:%H:%M}–{clash.end_time:%H:%M}."
            )
        rule = AvailabilityRule(
            medspa=medspa,
            provider=provider,
            location=location,
            weekday=weekday,
            start_time=start_time,
            end_time=end_time,
        )
        rule.full_clean()
        rule.save()
        rules.append(rule)
    return rules


def availability_rule_remove(*, rule: AvailabilityRule) -> None:
    """Removes one interval of a provider's weekly hours; booked appointments stay booked."""
    rule.delete()


# --- Date overrides -------------------------------------------------------------------------------------


@transaction.atomic
def availability_override_add(*, medspa: Medspa, provider: Membership, data: dict) -> AvailabilityOverride:
    """Adds extra hours (a location and times needed) or time off (all day without times; everywhere without
    a location) on one date, today or later."""
    location = data.get("location")
    kind = data["kind"]
    start_time, end_time = data.get("start_time"), data.get("end_time")
    errors = {}
    if location is not None and location.medspa_id != medspa.pk:
        errors["location"] = "Choose one of your locations."
    if kind == AvailabilityOverride.Kind.EXTRA:
        if location is None:
            errors["location"] = "Extra hours need a location."
        if start_time is None or end_time is None:
            errors["start_time"] = "Extra hours need a start and an end time."
    if (start_time is None) != (end_time is None):
        errors.setdefault("end_time", "Give both times, or neither for the whole day.")
    elif start_time is not None and end_time <= start_time:
        errors.setdefault("end_time", "The end must be after the start.")
    if data["date"] < clock.today(medspa, location=location):
        errors["date"] = "Choose today or a later date."
    if errors:
        raise ValidationError(errors)
    override = AvailabilityOverride(
        medspa=medspa,
        provider=provider,
        location=location,
        date=data["date"],
        kind=kind,
        start_time=start_time,
        end_time=end_time,
        note=data.get("note", ""),
    )
    override.full_clean()
    override.save()
    return override


def availability_override_remove(*, override: AvailabilityOverride) -> None:
    """Removes a date override: the weekly hours apply that day again."""
    override.delete()


# --- Closures -------------------------------------------------------------------------------------------


def closure_add(*, medspa: Medspa, day: date, reason: str, location: Location | None = None) -> Closure:
    """Closes the whole medspa (or one location) on `day`, today or later: nothing can be booked then.
    Appointments already booked that day stay for the team to move or cancel."""
    if location is not None and location.medspa_id != medspa.pk:
        raise ValidationError({"location": "Choose one of your locations."})
    if day < clock.today(medspa, location=location):
        raise ValidationError({"date": "Choose today or a later date."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why, for the team."})
    closure = Closure(medspa=medspa, location=location, date=day, reason=reason.strip())
    closure.full_clean()
    closure.save()
    return closure


def closure_remove(*, closure: Closure) -> None:
    """Opens the day again."""
    closure.delete()


# --- iCal feeds -----------------------------------------------------------------------------------------


def calendar_feed_get_or_create(*, provider: Membership) -> CalendarFeed:
    """The provider's live iCal feed, made on first use (one live feed per provider)."""
    feed = CalendarFeed.objects.filter(provider=provider, revoked_at__isnull=True).first()
    if feed is not None:
        return feed
    try:
        with transaction.atomic():
            return CalendarFeed.objects.create(medspa_id=provider.medspa_id, provider=provider)
    except IntegrityError:  # made meanwhile by another request
        return CalendarFeed.objects.get(provider=provider, revoked_at__isnull=True)


@transaction.atomic
def calendar_feed_revoke(*, feed: CalendarFeed) -> CalendarFeed:
    """Revokes `feed` (its URL answers 404 from now on) and returns the provider's new one."""
    feed = CalendarFeed.objects.select_for_update().get(pk=feed.pk)
    if feed.revoked_at is not None:  # revoked meanwhile (a double click): the new one is the answer
        return calendar_feed_get_or_create(provider=feed.provider)
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])
    return CalendarFeed.objects.create(medspa_id=feed.medspa_id, provider_id=feed.provider_id)

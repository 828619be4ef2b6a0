"""Serializers of the Scheduling API. Every related id is looked up in the caller's medspa only, so an id of
another medspa is "does not exist" (400), never used. Times go out in the location's time zone with their
offset, and come in only with one: a time without a zone is refused, never guessed."""

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from medspa.api.serializers import FieldsBuiltOnce, PhoneField
from medspa.models import Membership, Patient
from medspa.models.patients import PatientStatus
from medspa.validators import state_code
from scheduling import models
from scheduling.selectors import booking_request
from scheduling.services import settings as settings_services
from scheduling.services.locations import LOCATION_DETAILS, location_save
from services_catalog.models import Service
from services_catalog.selectors.intake_forms import intake_forms_for

TIME_ZONE_EXAMPLE = "2026-03-10T10:00:00-07:00"
# In a query string an unencoded "+" arrives as a space: "…T10:00:00 07:00" means "+07:00".
_SPACED_OFFSET = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")
NAIVE_MESSAGE = f"Give the time with its time zone (for example {TIME_ZONE_EXAMPLE})."


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date and time that must carry its offset (or Z). DRF's own field would read a time
    without one in the server's zone; for a booking that guess could put a patient at the wrong hour."""

    default_error_messages = {
        "invalid": f"Enter a date and time in ISO 8601 format, for example {TIME_ZONE_EXAMPLE}.",
        "naive": NAIVE_MESSAGE,
    }

    def to_internal_value(self, value):
        if isinstance(value, datetime):
            parsed = value
        else:
            text = _SPACED_OFFSET.sub(r"\1+\2", str(value).strip())
            try:
                parsed = parse_datetime(text)
            except ValueError:
                parsed = None
            if parsed is None:
                self.fail("invalid")
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            self.fail("naive")
        try:
            # The same instant in UTC: PostgreSQL refuses offsets beyond ±15:59 (a 500 before), Python
            # allows up to ±23:59.
            return parsed.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+01:00 falls before year 1 in UTC
            self.fail("invalid")


@extend_schema_field(OpenApiTypes.INT)
class MedspaRelated(serializers.PrimaryKeyRelatedField):
    """A related id limited to the caller's medspa (and to `filters`): another medspa's id does not exist.
    `related` is loaded with it (select_related), for the service and the answer that use it next."""

    def __init__(self, *, model, filters: dict | None = None, related: tuple[str, ...] = (), **kwargs):
        self.model, self.filters, self.related = model, filters or {}, related
        super().__init__(**kwargs)

    def get_queryset(self):
        queryset = self.model.objects.filter(medspa=self.context["request"].medspa, **self.filters)
        return queryset.select_related(*self.related) if self.related else queryset


class IntakeFormRelated(serializers.PrimaryKeyRelatedField):
    """An intake form's id: one of the caller's medspa's or Portrait's; another medspa's does not exist."""

    def get_queryset(self):
        return intake_forms_for(self.context["request"].medspa)


def _provider_field(**kwargs) -> MedspaRelated:
    return MedspaRelated(model=Membership, filters=kwargs.pop("filters", {"is_provider": True}), **kwargs)


def _local(value: datetime | None, location: models.Location) -> str | None:
    return value.astimezone(location.tz).isoformat() if value is not None else None


# --- Locations and appointment types ----------------------------------------------------------------------


class LocationSerializer(serializers.ModelSerializer):
    """A location. No delete: deactivate it (`is_active: false`) and it takes no bookings."""

    providers = _provider_field(many=True, required=False, filters={"is_provider": True, "is_active": True})

    phone = PhoneField()

    class Meta:
        model = models.Location
        fields = ["id", "name", "slug", *LOCATION_DETAILS, "providers", "created_at"]
        read_only_fields = ["slug", "created_at"]

    def validate_name(self, value):
        name = value.strip()
        clash = models.Location.objects.filter(medspa=self.context["request"].medspa, name__iexact=name)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("You already have a location with this name.")
        return name

    def validate_state(self, value):
        return state_code(value)

    def create(self, validated_data):
        medspa = self.context["request"].medspa
        return location_save(medspa=medspa, data=validated_data)

    def update(self, instance, validated_data):
        return location_save(medspa=instance.medspa, data=validated_data, location=instance)


class AppointmentTypeSerializer(serializers.ModelSerializer):
    """What can be booked at a location. No delete: deactivate it (`is_active: false`)."""

    location = MedspaRelated(model=models.Location)
    service = MedspaRelated(model=Service)
    providers = _provider_field(many=True, required=False)
    rooms = MedspaRelated(model=models.Resource, many=True, required=False)
    intake_forms = IntakeFormRelated(many=True, required=False)

    class Meta:
        model = models.AppointmentType
        fields = ["id", *settings_services.APPOINTMENT_TYPE_EDITABLE, "is_active"]

    def validate(self, attrs):
        location = attrs.get("location") or getattr(self.instance, "location", None)
        name = attrs.get("name", getattr(self.instance, "name", None))
        errors = {}
        if location is not None and name:
            clash = models.AppointmentType.objects.filter(location=location, name__iexact=name.strip())
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                errors["name"] = [f"{location.name} already has an appointment type with this name."]
        color = attrs.get("color")
        if color is not None and not re.fullmatch(r"#[0-9a-fA-F]{6}", color):
            errors["color"] = ["Use a hex colour such as #7a4e8a."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def _save(self, validated_data, appointment_type=None):
        data = dict(validated_data)
        active = data.pop("is_active", None)
        saved = settings_services.appointment_type_save(
            medspa=self.context["request"].medspa, data=data, appointment_type=appointment_type
        )
        if active is not None and active != saved.is_active:
            settings_services.appointment_type_set_active(appointment_type=saved, active=active)
        return saved

    @transaction.atomic
    def create(self, validated_data):
        return self._save(validated_data)

    @transaction.atomic
    def update(self, instance, validated_data):
        return self._save(validated_data, instance)


# --- Availability (written through scheduling.services.settings, like the pages: add and remove) ----------


class AvailabilityRuleSerializer(serializers.ModelSerializer):
    """One interval of a provider's weekly hours at a location, in the location's wall-clock time
    (weekday 0 is Monday). It may not overlap another of the provider's intervals there that day."""

    provider = _provider_field()
    location = MedspaRelated(model=models.Location)

    class Meta:
        model = models.AvailabilityRule
        fields = ["id", "provider", "location", "weekday", "start_time", "end_time"]

    def create(self, validated_data):
        data = dict(validated_data)
        rules = settings_services.availability_rules_add(
            medspa=self.context["request"].medspa, weekdays=[data.pop("weekday")], **data
        )
        return rules[0]


class AvailabilityOverrideSerializer(serializers.ModelSerializer):
    """A date (today or later) that differs from the weekly hours: extra hours (a location and times), or
    time off (all day when it has no times; everywhere when it has no location)."""

    provider = _provider_field()
    location = MedspaRelated(model=models.Location, required=False, allow_null=True)

    class Meta:
        model = models.AvailabilityOverride
        fields = ["id", "provider", "location", "date", "kind", "start_time", "end_time", "note"]

    def create(self, validated_data):
        data = dict(validated_data)
        provider = data.pop("provider")
        return settings_services.availability_override_add(
            medspa=self.context["request"].medspa, provider=provider, data=data
        )


class ClosureSerializer(serializers.ModelSerializer):
    """A day (today or later) the whole medspa (no location) or one location is closed."""

    location = MedspaRelated(model=models.Location, required=False, allow_null=True)

    class Meta:
        model = models.Closure
        fields = ["id", "location", "date", "reason"]

    def create(self, validated_data):
        return settings_services.closure_add(
            medspa=self.context["request"].medspa,
            day=validated_data["date"],
            reason=validated_data["reason"],
            location=validated_data.get("location"),
        )


# --- Slots ------------------------------------------------------------------------------------------------


# The slot search reaches a few hours either side of its day: the calendar's very first and last days would
# overflow (a 500). No slot is ever that far from today anyway.
SEARCHABLE_DAYS = (date.min + timedelta(days=1), date.max - timedelta(days=1))


class SlotsQuerySerializer(serializers.Serializer):
    """?date=YYYY-MM-DD (one day), or ?first_available=true&days=30; optionally &provider=<id>."""

    date = serializers.DateField(required=False, input_formats=["iso-8601"])
    provider = _provider_field(required=False)
    first_available = serializers.BooleanField(required=False, default=False)
    days = serializers.IntegerField(required=False, default=30, min_value=1, max_value=365)

    def validate_date(self, value):
        first, last = SEARCHABLE_DAYS
        if not first <= value <= last:
            raise serializers.ValidationError(f"Give a date between {first} and {last}.")
        return value

    def validate(self, attrs):
        if not attrs["first_available"] and attrs.get("date") is None:
            raise serializers.ValidationError({"date": ["Give a date (YYYY-MM-DD) or first_available=true."]})
        return attrs


def slot_data(slot, location: models.Location) -> dict:
    return {
        "start": _local(slot.start, location),
        "end": _local(slot.end, location),
        "provider": slot.provider_id,
        "resource": slot.resource_id,
    }


# --- Appointments -----------------------------------------------------------------------------------------


class AppointmentSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    """An appointment as read: times in the location's time zone, with their offset."""

    provider_name = serializers.CharField(source="provider.user.get_full_name", read_only=True)
    patient_name = serializers.SerializerMethodField()
    appointment_type_name = serializers.CharField(source="appointment_type.name", read_only=True)
    time_zone = serializers.CharField(source="location.time_zone", read_only=True)

    class Meta:
        model = models.Appointment
        fields = [
            "id",
            "location",
            "appointment_type",
            "appointment_type_name",
            "patient",
            "patient_name",
            "provider",
            "provider_name",
            "resource",
            "start",
            "end",
            "time_zone",
            "status",
            "cancel_reason",
            "cancelled_at",
            "source",
            "notes",
            "idempotency_key",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_patient_name(self, appointment) -> str:
        return f"{appointment.patient.first_name} {appointment.patient.last_name}".strip()

    def to_representation(self, appointment):
        data = super().to_representation(appointment)
        data["start"] = _local(appointment.start, appointment.location)
        data["end"] = _local(appointment.end, appointment.location)
        return data


class _Times(serializers.Serializer):
    """A start (with its zone) and, optionally, an end: the end must come after the start and, as the type
    fixes the length, be the start plus the type's duration."""

    start = AwareDateTimeField()
    end = AwareDateTimeField(required=False)

    def type_of(self, attrs) -> models.AppointmentType | None:
        raise NotImplementedError

    def validate(self, attrs):
        start, end = attrs.get("start"), attrs.get("end")
        if end is not None:
            if end <= start:
                raise serializers.ValidationError({"end": ["The end must be after the start."]})
            appointment_type = self.type_of(attrs)
            if appointment_type is not None:
                length = timedelta(minutes=appointment_type.duration_minutes)
                if end - start != length:
                    minutes = appointment_type.duration_minutes
                    message = (
                        f"{appointment_type.name} lasts {minutes} minutes: "
                        "leave out the end, or give the start plus that."
                    )
                    raise serializers.ValidationError({"end": [message]})
        return attrs


class _BookingParty(MedspaRelated):
    """A related id of a booking request, found in the rows its serializer read for all three at once
    (scheduling.selectors.booking_request): the same answers as MedspaRelated's own look-up, "does not exist"
    for another medspa's id, "incorrect type" for what is not an id, without a query of its own."""

    def to_internal_value(self, data):
        pk = _pk_of(self.model, data)
        if pk is _NOT_AN_ID:
            self.fail("incorrect_type", data_type=type(data).__name__)
        found = getattr(self.parent.parties, self.field_name)
        if found is None or found.pk != pk:
            self.fail("does_not_exist", pk_value=data)
        return found


_NOT_AN_ID = object()


def _pk_of(model, data):
    """The id `data` stands for as the ORM reads it in `.get(pk=data)` (PrimaryKeyRelatedField's look-up):
    _NOT_AN_ID where that would be a TypeError or ValueError ("incorrect type"), None for an id beyond the
    column's range (which the ORM finds nothing for)."""
    field = model._meta.pk
    if isinstance(data, bool):
        return _NOT_AN_ID
    try:
        pk = field.get_prep_value(data)
    except (TypeError, ValueError):
        return _NOT_AN_ID
    low, high = connection.ops.integer_field_range(field.get_internal_type())
    return pk if pk is not None and low <= pk <= high else None


class AppointmentBookSerializer(FieldsBuiltOnce, _Times):
    # The type with its location, the patient, the provider with their user: what the booking and its answer
    # read of them, in one statement for the three (to_internal_value).
    appointment_type = _BookingParty(model=models.AppointmentType)
    patient = _BookingParty(model=Patient)
    provider = _BookingParty(model=Membership, filters={"is_provider": True}, required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    idempotency_key = serializers.CharField(required=False, allow_null=True, max_length=64, default=None)

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            return super().to_internal_value(data)  # refused there, before any field
        ids = {}
        for name in ("appointment_type", "patient", "provider"):
            pk = _pk_of(self.fields[name].model, data.get(name))
            ids[name] = None if pk is _NOT_AN_ID else pk
        self.parties = booking_request.booking_parties(
            medspa_id=self.context["request"].medspa.pk,
            appointment_type_id=ids.get("appointment_type"),
            patient_id=ids.get("patient"),
            provider_id=ids.get("provider"),
        )
        return super().to_internal_value(data)

    def type_of(self, attrs):
        return attrs.get("appointment_type")

    def validate_patient(self, patient):
        if patient.status == PatientStatus.ARCHIVED:
            raise serializers.ValidationError("This patient is archived: restore them to book.")
        return patient

    def validate_idempotency_key(self, value):
        return (value or "").strip() or None


class AppointmentRescheduleSerializer(_Times):
    provider = _provider_field(required=False, allow_null=True)

    def type_of(self, attrs):
        return self.context["appointment"].appointment_type


class AppointmentCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


# The statuses the status action moves an appointment to (booked is where it starts; cancelling has its own
# action, with a reason).
STATUS_TARGETS = [
    models.AppointmentStatus.CONFIRMED,
    models.AppointmentStatus.CHECKED_IN,
    models.AppointmentStatus.COMPLETED,
    models.AppointmentStatus.NO_SHOW,
]


class AppointmentStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[(status.value, status.label) for status in STATUS_TARGETS],
        error_messages={
            "invalid_choice": "“{input}” is not a status to set: use confirmed, checked_in, completed or "
            "no_show (cancel through cancel/, with a reason)."
        },
    )


class AppointmentFilterSerializer(serializers.Serializer):
    """The list's filters: ?start__gte=…&start__lt=… (ISO with offset), provider, location, status."""

    start__gte = AwareDateTimeField(required=False)
    start__lt = AwareDateTimeField(required=False)
    provider = _provider_field(required=False)
    location = MedspaRelated(model=models.Location, required=False)
    status = serializers.ChoiceField(choices=models.AppointmentStatus.choices, required=False)

    def validate(self, attrs):
        low, high = attrs.get("start__gte"), attrs.get("start__lt")
        if low is not None and high is not None and high <= low:
            raise serializers.ValidationError(
                {"start__lt": ["The end of the range must be after its start."]}
            )
        return attrs

"""The Scheduling API: locations, appointment types and their open slots, availability, appointments.
The same rules as the pages, because both call scheduling.services.booking and scheduling.selectors.slots:
a broken rule is a 400 with its reason, a time taken meanwhile a 409, and neither changes anything."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from medspa.api.permissions import TenantAPIMixin
from medspa.api.reads import PatientReadLogMixin
from medspa.api.schema import ErrorSerializer
from medspa.http import ascii_int
from medspa.models import Membership
from medspa.permissions import has_role
from scheduling.api.serializers import (
    AppointmentBookSerializer,
    AppointmentCancelSerializer,
    AppointmentFilterSerializer,
    AppointmentRescheduleSerializer,
    AppointmentSerializer,
    AppointmentStatusSerializer,
    AppointmentTypeSerializer,
    AvailabilityOverrideSerializer,
    AvailabilityRuleSerializer,
    ClosureSerializer,
    LocationSerializer,
    SlotsQuerySerializer,
    slot_data,
)
from scheduling.models import (
    Appointment,
    AppointmentType,
    AvailabilityOverride,
    AvailabilityRule,
    Closure,
    Location,
)
from scheduling.selectors import slots
from scheduling.services import booking
from scheduling.services import settings as settings_services

READ_WRITE = (
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
)


def _sees_everyone(request) -> bool:
    """Admins and coordinators work with everyone's calendar; a provider only with their own."""
    return has_role(request, "admin", "coordinator")


def _id_filters(*names: str):
    """The list's `?<name>=<id>` filters, for the schema."""
    return extend_schema_view(
        list=extend_schema(parameters=[OpenApiParameter(name, OpenApiTypes.INT) for name in names])
    )


def _query(serializer_class, request):
    serializer = serializer_class(data=request.query_params, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- Locations and appointment types ----------------------------------------------------------------------


class LocationViewSet(TenantAPIMixin, *READ_WRITE, viewsets.GenericViewSet):
    """The medspa's locations: members read them, admins write them. No delete: deactivate instead."""

    write_roles = ("admin",)
    serializer_class = LocationSerializer

    def get_queryset(self):
        return Location.objects.prefetch_related("providers").order_by("name", "id")


@_id_filters("location")
class AppointmentTypeViewSet(TenantAPIMixin, *READ_WRITE, viewsets.GenericViewSet):
    """What can be booked at each location (`?location=<id>` to narrow). Members read, admins write.
    `slots/` gives the open times of one day or the first available one."""

    write_roles = ("admin",)
    serializer_class = AppointmentTypeSerializer

    def get_queryset(self):
        queryset = AppointmentType.objects.select_related("location").prefetch_related(
            "providers", "rooms", "intake_forms"
        )
        location = self.request.query_params.get("location")
        if location and self.action == "list":
            location_id = ascii_int(location)
            if location_id is None:
                raise ValidationError({"location": ["Give a location id."]})
            queryset = queryset.filter(location_id=location_id)
        return queryset.order_by("location__name", "name", "id")

    @extend_schema(
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, description="The day (the location's calendar day)."),
            OpenApiParameter("provider", OpenApiTypes.INT, description="Only this provider's slots."),
            OpenApiParameter("first_available", OpenApiTypes.BOOL, description="The first open slot."),
            OpenApiParameter("days", OpenApiTypes.INT, description="How far first_available looks (30)."),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["get"], url_path="slots", url_name="slots")
    def open_slots(self, request, pk=None):
        """Open slots: `?date=YYYY-MM-DD` for one day, or `?first_available=true&days=30` for the first
        one. Times are in the location's time zone, with their offset."""
        appointment_type = self.get_object()
        query = _query(SlotsQuerySerializer, request)
        provider = query.get("provider")
        if provider is not None and not appointment_type.providers.filter(pk=provider.pk).exists():
            raise ValidationError(
                {"provider": [f"{provider.user.get_full_name()} does not offer {appointment_type.name}."]}
            )
        location = appointment_type.location
        bookable = appointment_type.is_active and location.is_active
        options = {"provider_id": provider.pk if provider else None}
        body = {"appointment_type": appointment_type.pk, "time_zone": location.time_zone}
        if query["first_available"]:
            slot = (
                slots.first_available(appointment_type, days=query["days"], **options) if bookable else None
            )
            body.update(days=query["days"], slot=slot_data(slot, location) if slot else None)
        else:
            day_slots = slots.open_slots(appointment_type, query["date"], **options) if bookable else []
            body.update(date=query["date"].isoformat(), slots=[slot_data(s, location) for s in day_slots])
        return Response(body)


# --- Availability -----------------------------------------------------------------------------------------


class _AvailabilityViewSet(
    TenantAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Admins add and remove (as on the pages: no edit, remove and add again); admins and coordinators
    read everyone's, a provider reads their own. `?provider=<id>` and `?location=<id>` narrow the list."""

    roles = ("admin", "provider", "coordinator")
    write_roles = ("admin",)
    model: type
    per_provider = True

    def get_queryset(self):
        queryset = self.model.objects.all()
        if self.per_provider:
            queryset = queryset.select_related("provider__user")
            if not _sees_everyone(self.request):
                queryset = queryset.filter(provider=self.request.membership)
        if self.action == "list":
            for name in ("provider", "location") if self.per_provider else ("location",):
                value = self.request.query_params.get(name)
                if value:
                    value_id = ascii_int(value)
                    if value_id is None:
                        raise ValidationError({name: [f"Give a {name} id."]})
                    queryset = queryset.filter(**{f"{name}_id": value_id})
        return queryset.order_by(*self.model._meta.ordering, "id")


@_id_filters("provider", "location")
class AvailabilityRuleViewSet(_AvailabilityViewSet):
    """Weekly hours: one interval a row (weekday 0 = Monday), wall-clock times of the location."""

    model = AvailabilityRule
    serializer_class = AvailabilityRuleSerializer

    def perform_destroy(self, instance):
        settings_services.availability_rule_remove(rule=instance)


@_id_filters("provider", "location")
class AvailabilityOverrideViewSet(_AvailabilityViewSet):
    """Dates that differ from the weekly hours: extra hours or time off."""

    model = AvailabilityOverride
    serializer_class = AvailabilityOverrideSerializer

    def perform_destroy(self, instance):
        settings_services.availability_override_remove(override=instance)


@_id_filters("location")
class ClosureViewSet(_AvailabilityViewSet):
    """Days the medspa (or one location) is closed; every member who books or works may read them."""

    model = Closure
    serializer_class = ClosureSerializer
    per_provider = False

    def perform_destroy(self, instance):
        settings_services.closure_remove(closure=instance)


# --- Appointments -----------------------------------------------------------------------------------------


@extend_schema_view(list=extend_schema(parameters=[AppointmentFilterSerializer]))
class AppointmentViewSet(
    TenantAPIMixin,
    PatientReadLogMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Appointments. Admins and coordinators see and book everyone's; a provider sees only their own and
    moves them through their statuses. The list filters on `start__gte` / `start__lt` (ISO with offset),
    `provider`, `location` and `status`. No delete: cancel with a reason."""

    roles = ("admin", "provider", "coordinator")
    write_roles = ("admin", "coordinator")
    serializer_class = AppointmentSerializer
    access_viewed = "API: appointments"

    def get_queryset(self):
        queryset = Appointment.objects.select_related(
            "location", "provider__user", "patient", "appointment_type"
        )
        if not _sees_everyone(self.request):
            queryset = queryset.filter(provider=self.request.membership)
        if self.action == "list":
            query = _query(AppointmentFilterSerializer, self.request)
            if "start__gte" in query:
                queryset = queryset.filter(start__gte=query["start__gte"])
            if "start__lt" in query:
                queryset = queryset.filter(start__lt=query["start__lt"])
            for name in ("provider", "location", "status"):
                if query.get(name) is not None:
                    queryset = queryset.filter(**{name: query[name]})
        return queryset.order_by("start", "id")

    def _answer(self, appointment, code=status.HTTP_200_OK):
        appointment = self.get_queryset().get(pk=appointment.pk)
        return Response(AppointmentSerializer(appointment, context=self.get_serializer_context()).data, code)

    @extend_schema(
        request=AppointmentBookSerializer, responses={201: AppointmentSerializer, 409: ErrorSerializer}
    )
    def create(self, request, *args, **kwargs):
        """Books: appointment_type, patient, start (ISO with its offset), provider (else whoever is free),
        notes, idempotency_key (the same key books once: a retry answers 200 with the first booking).
        409 when the time was taken meanwhile."""
        serializer = AppointmentBookSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # One look-up of the key (the service's), and the answer from the objects in hand: the appointment
        # comes back with its type, location, patient and provider, as the serializer loaded them.
        appointment, booked = booking.appointment_book_or_find(
            appointment_type=data["appointment_type"],
            start=data["start"],
            patient=data["patient"],
            provider=data.get("provider"),
            by=request.user,
            idempotency_key=data["idempotency_key"],
            notes=data["notes"],
        )
        if appointment.provider_id is not None and not Appointment.provider.is_cached(appointment):
            appointment.provider = Membership.objects.select_related("user").get(pk=appointment.provider_id)
        code = status.HTTP_201_CREATED if booked else status.HTTP_200_OK
        return Response(AppointmentSerializer(appointment, context=self.get_serializer_context()).data, code)

    @extend_schema(
        request=AppointmentRescheduleSerializer, responses={200: AppointmentSerializer, 409: ErrorSerializer}
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        """Moves the appointment to `start` (and `provider`); the old time is free again. 409 when taken."""
        appointment = self.get_object()
        context = {**self.get_serializer_context(), "appointment": appointment}
        serializer = AppointmentRescheduleSerializer(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        appointment = booking.appointment_reschedule(
            appointment=appointment,
            start=data["start"],
            provider=data.get("provider"),
        )
        return self._answer(appointment)

    @extend_schema(request=AppointmentCancelSerializer, responses={200: AppointmentSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancels with a reason."""
        appointment = self.get_object()
        serializer = AppointmentCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        appointment = booking.appointment_cancel(
            appointment=appointment, reason=serializer.validated_data["reason"]
        )
        return self._answer(appointment)

    @extend_schema(request=AppointmentStatusSerializer, responses={200: AppointmentSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="status",
        url_name="status",
        write_roles=("admin", "coordinator", "provider"),
    )
    def status_set(self, request, pk=None):
        """Confirmed, checked in, completed, no-show: only the transitions that make sense. Providers may
        move their own appointments."""
        appointment = self.get_object()
        serializer = AppointmentStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        appointment = booking.appointment_status_set(
            appointment=appointment,
            status=serializer.validated_data["status"],
        )
        return self._answer(appointment)

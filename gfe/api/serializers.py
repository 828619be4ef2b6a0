from rest_framework import serializers

from gfe.models import Clearance, GfeRequest
from gfe.models.requests import REQUEST_FIELDS
from medspa.models import Patient
from medspa.selectors.patients import patients_open_to
from services_catalog.models import Service


class _Mine(serializers.PrimaryKeyRelatedField):
    """An id limited to the caller's medspa."""

    def __init__(self, *, model, **kwargs):
        self.model = model
        # A queryset of the right model (never evaluated: get_queryset narrows it) for the OpenAPI schema.
        super().__init__(queryset=model._base_manager.none(), **kwargs)

    def get_queryset(self):
        return self.model.objects.filter(medspa=self.context["request"].medspa)


class _PatientOpen(serializers.PrimaryKeyRelatedField):
    """A patient id limited to the patients the caller may open (a provider: their own); any other id is
    refused as if it did not exist."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Patient._base_manager.none(), **kwargs)

    def get_queryset(self):
        return patients_open_to(self.context["request"].membership)


class ClearanceSerializer(serializers.ModelSerializer):
    service_name = serializers.CharField(source="service.display_name", read_only=True)

    class Meta:
        model = Clearance
        fields = [
            "id",
            "patient",
            "service",
            "service_name",
            "status",
            "valid_until",
            "reason",
            "request",
            "exam",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields


class GfeRequestSerializer(serializers.ModelSerializer):
    patient = _PatientOpen()
    services = _Mine(model=Service, many=True)

    class Meta:
        model = GfeRequest
        fields = [
            "id",
            *REQUEST_FIELDS,
            "created_at",
            "decided_at",
        ]
        read_only_fields = ["route", "status", "source", "urgent_fee", "created_at", "decided_at"]


class GateSerializer(serializers.Serializer):
    patient = _PatientOpen()
    services = _Mine(model=Service, many=True)
    on = serializers.DateField(required=False, help_text="The day of the treatment (today by default).")


class DetailSerializer(serializers.Serializer):
    """An answer that is only a message."""

    detail = serializers.CharField()


class GateMissingSerializer(serializers.Serializer):
    """The gate's 409: the services that have no valid clearance for that day."""

    detail = serializers.CharField()
    missing = serializers.ListField(child=serializers.IntegerField(), help_text="The services without one.")

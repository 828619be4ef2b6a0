from rest_framework import serializers

from gfe.models import Clearance, GfeRequest
from medspa.models import Patient
from services_catalog.models import Service


class _Mine(serializers.PrimaryKeyRelatedField):
    """An id limited to the caller's medspa."""

    def __init__(self, *, model, **kwargs):
        self.model = model
        # A queryset of the right model (never evaluated: get_queryset narrows it) for the OpenAPI schema.
        super().__init__(queryset=model._base_manager.none(), **kwargs)

    def get_queryset(self):
        return self.model.objects.filter(medspa=self.context["request"].medspa)


class ClearanceSerializer(serializers.ModelSerializer):
    service_name = serializers.CharField(source="service.display_name", read_only=True)

    class Meta:
        model = Clearance
        fields = ["id", "patient", "service", "service_name", "status", "valid_until", "reason", "request",
                  "exam", "decided_at", "created_at"]  # fmt: skip
        read_only_fields = fields


class GfeRequestSerializer(serializers.ModelSerializer):
    patient = _Mine(model=Patient)
    services = _Mine(model=Service, many=True)

    class Meta:
        model = GfeRequest
        fields = [
            "id", "patient", "services", "route", "status", "source", "urgent", "urgent_fee", "created_at",
            "decided_at",
        ]  # fmt: skip
        read_only_fields = ["route", "status", "source", "urgent_fee", "created_at", "decided_at"]


class GateSerializer(serializers.Serializer):
    patient = _Mine(model=Patient)
    services = _Mine(model=Service, many=True)
    on = serializers.DateField(required=False, help_text="The day of the treatment (today by default).")


class DetailSerializer(serializers.Serializer):
    """An answer that is only a message."""

    detail = serializers.CharField()


class GateMissingSerializer(serializers.Serializer):
    """The gate's 409: the services that have no valid clearance for that day."""

    detail = serializers.CharField()
    missing = serializers.ListField(child=serializers.IntegerField(), help_text="The services without one.")

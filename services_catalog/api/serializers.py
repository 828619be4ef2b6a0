from rest_framework import serializers

from services_catalog.models import (
    CareMessage,
    Consent,
    LibraryService,
    RetailProduct,
    Service,
    ServiceGroup,
    StandingOrder,
)
from services_catalog.models.catalog import SERVICE_FIELDS
from services_catalog.selectors import catalog as catalog_selectors
from services_catalog.services.texts import LEAD_TIME_AFTER


class _MedspaRelated(serializers.PrimaryKeyRelatedField):
    """A related id limited to the caller's medspa (and, for texts, Portrait's library)."""

    def __init__(self, *, model, library: bool = False, **kwargs):
        self.model, self.library = model, library
        super().__init__(**kwargs)

    def get_queryset(self):
        medspa = self.context["request"].medspa
        if self.library:
            return catalog_selectors.texts_for(self.model, medspa)
        return self.model.objects.filter(medspa=medspa)


class ServiceSerializer(serializers.ModelSerializer):
    """A service of the medspa. For an imported service the content fields show Portrait's current content
    and cannot be changed: only `price` and `is_active` can (a change to anything else is refused)."""

    is_imported = serializers.BooleanField(read_only=True)
    group = _MedspaRelated(model=ServiceGroup, required=False, allow_null=True)
    consents = _MedspaRelated(model=Consent, library=True, many=True, required=False)
    care_messages = _MedspaRelated(model=CareMessage, library=True, many=True, required=False)
    standing_order = _MedspaRelated(model=StandingOrder, library=True, required=False, allow_null=True)

    class Meta:
        model = Service
        fields = [
            "id",
            "is_imported",
            "library_service",
            *SERVICE_FIELDS,
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["library_service", "created_at", "updated_at"]

    def to_representation(self, service):
        data = super().to_representation(service)
        if service.is_imported:
            data.update(
                name=service.display_name,
                description=service.display_description,
                group=service.effective_group.pk,
                duration_minutes=service.effective_duration,
                requires_gfe=service.effective_requires_gfe,
                standing_order=getattr(service.effective_standing_order, "pk", None),
                consents=[c.pk for c in service.effective_consents()],
                care_messages=[m.pk for m in service.effective_care_messages()],
            )
        return data


class ServiceGroupSerializer(serializers.ModelSerializer):
    is_library = serializers.BooleanField(read_only=True)
    default_consents = _MedspaRelated(model=Consent, library=True, many=True, required=False)

    class Meta:
        model = ServiceGroup
        fields = ["id", "is_library", "name", "description", "default_consents"]


class VersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()


class TextSerializer(serializers.ModelSerializer):
    """A consent, care message or standing order. Writing `text` saves a new version; old ones stay."""

    is_library = serializers.BooleanField(read_only=True)
    text = serializers.CharField(write_only=True, min_length=20, max_length=50_000)
    current_version = VersionSerializer(read_only=True)
    versions = VersionSerializer(many=True, read_only=True)

    class Meta:
        fields = [
            "id",
            "is_library",
            "title",
            "text",
            "current_version",
            "versions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class ConsentSerializer(TextSerializer):
    class Meta(TextSerializer.Meta):
        model = Consent


class CareMessageSerializer(TextSerializer):
    """`timing`: before or after the treatment; `lead_hours`: for a message before it, how many hours before
    the appointment it is sent (null: with the booking's confirmation)."""

    class Meta(TextSerializer.Meta):
        model = CareMessage
        fields = [*TextSerializer.Meta.fields, "timing", "lead_hours"]
        extra_kwargs = {"lead_hours": {"min_value": 1, "max_value": 336}}

    def validate(self, attrs):
        timing = attrs.get("timing", getattr(self.instance, "timing", CareMessage.Timing.POST))
        lead_hours = attrs.get("lead_hours", getattr(self.instance, "lead_hours", None))
        if lead_hours is not None and timing != CareMessage.Timing.PRE:
            raise serializers.ValidationError({"lead_hours": [LEAD_TIME_AFTER]})
        return attrs


class StandingOrderSerializer(TextSerializer):
    class Meta(TextSerializer.Meta):
        model = StandingOrder


class LibraryServiceSerializer(serializers.ModelSerializer):
    group = serializers.CharField(source="group.name")

    class Meta:
        model = LibraryService
        fields = ["id", "group", "name", "description", "default_price", "duration_minutes", "requires_gfe"]


class RetailProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = RetailProduct
        fields = ["id", "name", "sku", "price", "taxable", "is_active", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def validate_sku(self, value):
        value = value.strip().upper()
        clash = RetailProduct.objects.filter(medspa=self.context["request"].medspa, sku=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("Another of your products has this SKU.")
        return value

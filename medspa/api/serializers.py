import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from rest_framework import serializers

from medspa.models import Medspa, Membership, Patient
from medspa.models.patients import PATIENT_EDITABLE_FIELDS
from medspa.validators import phone_clean, state_code


class FieldsBuiltOnce:
    """For a serializer: its fields built once per class, not on every instance. DRF builds a
    ModelSerializer's fields again for each serializer (get_fields reads the model's fields and maps each),
    and gives a plain Serializer a deep copy of its declared fields, which makes each field anew from its
    arguments (Field.__deepcopy__) (https://www.django-rest-framework.org/api-guide/serializers/#modelserializer).
    Here each instance gets a shallow copy of each field of the first build, unbound, for bind() to set its
    name and parent on; a nested serializer is copied deeply, as DRF does. Only for serializers whose fields
    depend on neither the instance nor the context, and hold nothing they change while in use."""

    def get_fields(self):
        built = type(self).__dict__.get("_fields_built")
        if built is None:
            built = super().get_fields()
            type(self)._fields_built = built
        return {
            name: copy.deepcopy(field) if isinstance(field, serializers.BaseSerializer) else copy.copy(field)
            for name, field in built.items()
        }


class MedspaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Medspa
        fields = [
            "id",
            "name",
            "slug",
            "time_zone",
            "business_model",
            "flex_revenue_split_percent",
            "keeps_coordinator",
            "dba",
            "addon_charting",
            "addon_marketing",
        ]
        read_only_fields = fields


class MembershipSerializer(serializers.ModelSerializer):
    medspa = MedspaSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "medspa", "is_admin", "is_provider", "is_coordinator"]
        read_only_fields = fields


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    is_staff = serializers.BooleanField()
    membership = MembershipSerializer(allow_null=True)


class PhoneField(serializers.CharField):
    """A phone number as people write it, stored in E.164 (medspa.validators); empty allowed."""

    def __init__(self, **kwargs):
        super().__init__(required=False, allow_blank=True, max_length=30, **kwargs)

    def to_internal_value(self, data):
        try:
            return phone_clean(super().to_internal_value(data))
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None


class PatientSerializer(serializers.ModelSerializer):
    """A patient of your medspa, with the rules of the patient page: a date of birth neither in the future
    nor more than 120 years ago, a two-letter state code, a valid phone number (stored in E.164)."""

    phone = PhoneField()

    class Meta:
        model = Patient
        fields = ["id", *PATIENT_EDITABLE_FIELDS, "status", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_date_of_birth(self, value):
        # The medspa's today: a token is read in the view, after the middleware, so no zone is active.
        today = timezone.localdate(timezone=self.context["request"].medspa.tz)
        if value > today:
            raise serializers.ValidationError("The date of birth cannot be in the future.")
        if value.year < today.year - 120:
            raise serializers.ValidationError("Check the year: that is more than 120 years ago.")
        return value

    def validate_state(self, value):
        return state_code(value, required=False)

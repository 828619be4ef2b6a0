from rest_framework import serializers

from medspa.models import Medspa, Membership, Patient
from medspa.models.patients import PATIENT_EDITABLE_FIELDS


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


class PatientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Patient
        fields = ["id", *PATIENT_EDITABLE_FIELDS, "status", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

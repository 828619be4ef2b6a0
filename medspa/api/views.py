"""The API under /api/v1/: thin views over selectors and services, confined to the caller's medspa."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from medspa.api.permissions import TenantAPIMixin
from medspa.api.reads import PatientReadLogMixin
from medspa.api.serializers import MeSerializer, PatientSerializer
from medspa.models import Patient
from medspa.models.patients import PatientStatus
from medspa.selectors.patients import patients_open_to


class MeView(TenantAPIMixin, APIView):
    """Who is calling, and in which medspa with which roles."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        data = {
            "id": user.pk,
            "email": user.email,
            "full_name": user.full_name,
            "is_staff": user.is_staff,
            "membership": request.membership,
        }
        return Response(MeSerializer(data).data)


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("status", str, enum=PatientStatus.values)])
)
class PatientViewSet(
    TenantAPIMixin,
    PatientReadLogMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The patients the caller may open, by the rules of the pages: an admin every patient of the medspa, a
    provider their own (any other id is a 404). Only admins create and edit patients, as on the pages. No
    delete: archive by setting status to "archived". Every patient listed or retrieved is
    written to the patient access log."""

    roles = ("admin", "provider")
    write_roles = ("admin",)
    serializer_class = PatientSerializer
    access_viewed = "API: patients"
    queryset = Patient.objects.none()  # for the schema; get_queryset narrows to the caller's patients

    def get_queryset(self):
        queryset = patients_open_to(self.request.membership)
        status = self.request.query_params.get("status")
        if status:
            if status not in PatientStatus.values:  # a NUL byte, say, was a 500 from PostgreSQL
                raise ValidationError({"status": [f"Use one of: {', '.join(PatientStatus.values)}."]})
            queryset = queryset.filter(status=status)
        return queryset.order_by("last_name", "first_name", "id")

    def perform_create(self, serializer):
        serializer.save(medspa=self.request.medspa)

    def access_patient(self, obj) -> Patient:
        return obj

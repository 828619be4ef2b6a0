"""GFE API: clearances, requests, and the gate that charting calls before a service is performed."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from gfe.api.serializers import (
    ClearanceSerializer,
    DetailSerializer,
    GateMissingSerializer,
    GateSerializer,
    GfeRequestSerializer,
)
from gfe.models import Clearance, GfeRequest
from gfe.services import clearances, requests
from medspa.api.permissions import TenantAPIMixin
from medspa.api.reads import PatientReadLogMixin
from medspa.http import ascii_int
from medspa.selectors.patients import patients_open_to

READ = (mixins.ListModelMixin, mixins.RetrieveModelMixin)


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("patient", int)]))
class ClearanceViewSet(TenantAPIMixin, PatientReadLogMixin, *READ, viewsets.GenericViewSet):
    """The clearances of the patients the caller may open (an admin: the medspa's; a provider: their own),
    newest first; `?patient=<id>` for one patient. Nothing is ever overwritten: a new exam makes new
    clearances."""

    roles = ("admin", "provider")
    serializer_class = ClearanceSerializer
    access_viewed = "API: GFE clearances"

    def get_queryset(self):
        queryset = (
            Clearance.objects.filter(patient__in=patients_open_to(self.request.membership))
            .select_related("service__library_service")
            .order_by("-created_at", "-pk")
        )
        patient = self.request.query_params.get("patient", "")
        if patient:
            patient_id = ascii_int(patient)
            if patient_id is None:
                raise ValidationError({"patient": ["Give a patient id."]})
            queryset = queryset.filter(patient_id=patient_id)
        return queryset


class GfeRequestViewSet(
    TenantAPIMixin, PatientReadLogMixin, *READ, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """GFE requests of the patients the caller may open; creating one (for such a patient, as on the pages)
    routes it by the medspa's setting (manual request)."""

    roles = ("admin", "provider")
    serializer_class = GfeRequestSerializer
    access_viewed = "API: GFE requests"

    def get_queryset(self):
        return (
            GfeRequest.objects.filter(patient__in=patients_open_to(self.request.membership))
            .prefetch_related("services")
            .order_by("-created_at")
        )

    @extend_schema(responses={201: GfeRequestSerializer, 200: DetailSerializer})
    def create(self, request, *args, **kwargs):
        """201 with the new request; 200 with a `detail` when every service is already cleared or
        requested (nothing to request)."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        created = requests.gfe_request_create(
            patient=data["patient"],
            services=data["services"],
            requested_by=request.user,
            urgent=data.get("urgent", False),
        )
        if created is None:
            return Response(
                {"detail": "Every service is already cleared or requested."}, status=status.HTTP_200_OK
            )
        return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED)


class GateView(TenantAPIMixin, APIView):
    """The gate: 200 when every service may be performed on the patient that day; 409 naming the services
    without a valid clearance otherwise (request a GFE for them). Only for a patient the caller may open."""

    roles = ("admin", "provider")

    @extend_schema(request=GateSerializer, responses={200: DetailSerializer, 409: GateMissingSerializer})
    def post(self, request):
        serializer = GateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        clearances.gate_check(patient=data["patient"], services=data["services"], on=data.get("on"))
        return Response({"detail": "Every service has a valid clearance."})

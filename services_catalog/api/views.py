"""The Services / Products API: the same rules as the pages, because both call the same services."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from medspa.api.permissions import TenantAPIMixin
from services_catalog import models
from services_catalog.api.serializers import (
    CareMessageSerializer,
    ConsentSerializer,
    LibraryServiceSerializer,
    RetailProductSerializer,
    ServiceGroupSerializer,
    ServiceSerializer,
    StandingOrderSerializer,
)
from services_catalog.selectors import catalog as catalog_selectors
from services_catalog.services import catalog, errors, texts

READ_WRITE = (
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
)


def _refused(error: errors.ServiceRuleBroken, fields):
    """A broken rule as a 400 naming the refused fields (a rule about the whole request is answered by
    medspa.api.errors)."""
    if fields:
        return ValidationError({name: [error.message] for name in fields})
    return error


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("selectable", bool)]))
class ServiceViewSet(TenantAPIMixin, *READ_WRITE, viewsets.GenericViewSet):
    """The medspa's services. `?selectable=true` lists what can be chosen for clearance or in a visit
    (active services). No delete: deactivate instead (`is_active: false`)."""

    roles = ("admin", "provider")
    write_roles = ("admin",)
    serializer_class = ServiceSerializer

    def get_queryset(self):
        queryset = catalog_selectors.services_of(self.request.medspa)
        if self.request.query_params.get("selectable") in ("true", "1"):
            queryset = catalog_selectors.services_selectable(self.request.medspa)
        return queryset.order_by("id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        missing = [name for name in ("group", "name", "duration_minutes") if not data.get(name)]
        if missing:
            raise ValidationError(
                {name: ["This field is required for a custom service."] for name in missing}
            )
        serializer.instance = catalog.service_create(medspa=self.request.medspa, data=data)

    def perform_update(self, serializer):
        data = serializer.validated_data
        try:
            catalog.service_update(service=serializer.instance, data=data)
        except errors.ImportedServiceLocked as error:  # the refused fields by name, not the request
            raise _refused(error, sorted(set(data) - catalog.IMPORTED_EDITABLE)) from None


class ServiceGroupViewSet(TenantAPIMixin, *READ_WRITE, viewsets.GenericViewSet):
    """Portrait's library groups (read-only) and the medspa's own groups."""

    roles = ("admin", "provider")
    write_roles = ("admin",)
    serializer_class = ServiceGroupSerializer

    def get_queryset(self):
        return catalog_selectors.own_and_library(models.ServiceGroup, self.request.medspa).order_by(
            "position", "name"
        )

    def perform_create(self, serializer):
        serializer.instance = catalog.group_save(medspa=self.request.medspa, data=serializer.validated_data)

    def perform_update(self, serializer):
        catalog.group_save(
            medspa=self.request.medspa,
            data={"name": serializer.instance.name, **serializer.validated_data},
            group=serializer.instance,
        )


class _TextViewSet(TenantAPIMixin, *READ_WRITE, viewsets.GenericViewSet):
    roles = ("admin", "provider")
    write_roles = ("admin",)
    model: type

    def get_queryset(self):
        return catalog_selectors.texts_for(self.model, self.request.medspa).order_by("title")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = texts.text_create(
            model=self.model, medspa=self.request.medspa, by=self.request.user, **data
        )

    def perform_update(self, serializer):
        document, data = serializer.instance, serializer.validated_data
        texts.text_revise(
            document=document,
            by=self.request.user,
            title=data.get("title"),
            text=data.get("text", document.current_version.text),
        )
        if "timing" in data or "lead_hours" in data:
            texts.care_message_timing_set(
                care_message=document,
                timing=data.get("timing", document.timing),
                lead_hours=data.get("lead_hours", document.lead_hours),
            )
        serializer.instance = type(document)._base_manager.get(pk=document.pk)


class ConsentViewSet(_TextViewSet):
    """Consents: the medspa's own and Portrait's. Writing `text` adds a version."""

    model = models.Consent
    serializer_class = ConsentSerializer


class CareMessageViewSet(_TextViewSet):
    """Care messages (pre-care and post-care): the medspa's own and Portrait's."""

    model = models.CareMessage
    serializer_class = CareMessageSerializer


class StandingOrderViewSet(_TextViewSet):
    """Standing orders: each version needs the medical director's sign-off before it is used."""

    model = models.StandingOrder
    serializer_class = StandingOrderSerializer

    @extend_schema(request=None, responses={201: None})
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """The medical director signs the current version."""
        standing_order = self.get_object()
        texts.standing_order_sign(
            medspa=request.medspa, version=standing_order.current_version, membership=request.membership
        )
        return Response(status=status.HTTP_201_CREATED)


class LibraryServiceViewSet(
    TenantAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The Portrait library. `import` adds a service to the medspa at the library price, inactive."""

    roles = ("admin", "provider")
    write_roles = ("admin",)
    serializer_class = LibraryServiceSerializer
    queryset = models.LibraryService.objects.filter(is_published=True).select_related("group")

    @extend_schema(request=None, responses={201: ServiceSerializer})
    @action(detail=True, methods=["post"], url_path="import", url_name="import")
    def import_(self, request, pk=None):
        library_service = self.get_object()  # DRF's lookup: an id that is not a number is a 404, not a 500
        service = catalog.service_import(medspa=request.medspa, library_service=library_service)
        data = ServiceSerializer(service, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)


class RetailProductViewSet(TenantAPIMixin, *READ_WRITE, viewsets.GenericViewSet):
    """Retail products for checkout. No delete: deactivate instead."""

    roles = ("admin", "provider")
    write_roles = ("admin",)
    serializer_class = RetailProductSerializer

    def get_queryset(self):
        return models.RetailProduct.objects.all()

    def perform_create(self, serializer):
        serializer.instance = catalog.product_save(medspa=self.request.medspa, data=serializer.validated_data)

    def perform_update(self, serializer):
        catalog.product_save(
            medspa=self.request.medspa, data=serializer.validated_data, product=serializer.instance
        )

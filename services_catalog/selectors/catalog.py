"""Reads of the Services / Products tab."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from medspa.models import Medspa
from services_catalog.models import (
    CareMessage,
    Consent,
    ConsentVersion,
    LibraryService,
    Service,
    ServiceGroup,
    StandingOrder,
    StandingOrderSignoff,
    StandingOrderVersion,
)


def services_of(medspa: Medspa) -> QuerySet[Service]:
    """The medspa's services with what their pages show, in a fixed number of queries."""
    return (
        Service.objects.filter(medspa=medspa)
        .select_related(
            "group", "standing_order", "library_service__group", "library_service__standing_order"
        )
        .prefetch_related(
            "consents", "care_messages", "library_service__consents", "library_service__care_messages"
        )
    )


def services_selectable(medspa: Medspa) -> QuerySet[Service]:
    """The services that can be chosen for clearance on a patient profile and in a service visit: active
    ones only."""
    return services_of(medspa).filter(is_active=True)


def library_groups(medspa: Medspa, *, query: str = "") -> list[ServiceGroup]:
    """Portrait's library by group, each service marked with whether the medspa imported it."""
    services = LibraryService.objects.filter(is_published=True).annotate(
        imported=Exists(Service.objects.filter(medspa=medspa, library_service=OuterRef("pk")))
    )
    if query.strip():
        services = services.filter(Q(name__icontains=query) | Q(description__icontains=query))
    groups = ServiceGroup.library.prefetch_related(
        Prefetch("library_services", queryset=services, to_attr="shown")
    )
    return [group for group in groups if group.shown]


def own_and_library(model: type, medspa: Medspa) -> QuerySet:
    """Rows of a library-or-medspa model that the medspa may use: its own and Portrait's."""
    return model._base_manager.filter(Q(medspa=medspa) | Q(medspa__isnull=True))


def texts_for(model: type, medspa: Medspa) -> QuerySet:
    """Consents, care messages or standing orders the medspa may use, with their versions."""
    return own_and_library(model, medspa).prefetch_related("versions")


def consents_for(medspa: Medspa) -> QuerySet[Consent]:
    return texts_for(Consent, medspa)


def consent_versions_for(medspa: Medspa) -> QuerySet[ConsentVersion]:
    """Versions of the consents the medspa may use (its own and Portrait's): another medspa's version is
    not among them, so looking one up by id answers as if it did not exist."""
    return ConsentVersion.objects.filter(consent__in=own_and_library(Consent, medspa))


def care_messages_for(medspa: Medspa) -> QuerySet[CareMessage]:
    return texts_for(CareMessage, medspa)


def standing_orders_for(medspa: Medspa) -> QuerySet[StandingOrder]:
    return texts_for(StandingOrder, medspa)


def standing_order_signoffs(medspa: Medspa) -> dict[int, StandingOrderSignoff]:
    """The medspa's sign-offs by standing-order version id."""
    return {
        signoff.version_id: signoff
        for signoff in StandingOrderSignoff.objects.filter(medspa=medspa).select_related("signed_by__user")
    }


def standing_order_is_signed(medspa: Medspa, standing_order: StandingOrder | None) -> bool:
    """A service may be performed only once the current version of its standing order is signed."""
    if standing_order is None:
        return True
    current = StandingOrderVersion.objects.filter(standing_order=standing_order).order_by("-number").first()
    return (
        current is not None and StandingOrderSignoff.objects.filter(medspa=medspa, version=current).exists()
    )

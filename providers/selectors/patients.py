"""Reads of the Provider dashboard: the provider's own patients."""

from django.db.models import DateTimeField, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Greatest
from django.utils import timezone

from medspa.models import Membership, Patient
from medspa.selectors import patients as core
from providers.models import Visit, VisitStatus
from scheduling.models import Appointment, AppointmentStatus

RECENT_COUNT = 5


def provider_patients(membership: Membership, *, query: str = "") -> QuerySet[Patient]:
    """The provider's own patients (medspa.selectors.patients_of_provider: assigned, or with an appointment
    or a visit with them), searched."""
    queryset = core.patients_of_provider(membership)
    if query.strip():
        queryset = core.patient_search(queryset, query)
    return queryset.order_by("last_name", "first_name", "id")


def provider_patients_recent(membership: Membership, *, limit: int = RECENT_COUNT) -> list[Patient]:
    """The provider's patients they saw last, newest first, each with `last_seen`: the start of their latest
    visit or appointment with this provider that has begun (a cancelled one does not count). One query."""
    now = timezone.now()
    last_visit = (
        Visit.objects.filter(patient=OuterRef("pk"), provider=membership)
        .exclude(status=VisitStatus.VOIDED)
        .order_by("-started_at")
        .values("started_at")[:1]
    )
    last_appointment = (
        Appointment.objects.filter(patient=OuterRef("pk"), provider=membership, start__lte=now)
        .exclude(status=AppointmentStatus.CANCELLED)
        .order_by("-start")
        .values("start")[:1]
    )
    # Postgres' GREATEST skips NULLs: a patient with visits but no appointment (or the reverse) still counts.
    return list(
        provider_patients(membership)
        .annotate(
            last_seen=Greatest(
                Subquery(last_visit, output_field=DateTimeField()),
                Subquery(last_appointment, output_field=DateTimeField()),
            )
        )
        .filter(last_seen__isnull=False)
        .order_by("-last_seen", "id")[:limit]
    )


def visit_link(membership: Membership) -> Exists:
    """What the Provider dashboard adds to the core: a patient a provider has seen in a visit is theirs
    (registered in medspa.selectors.PROVIDER_PATIENT_LINKS by ProvidersConfig.ready)."""
    return Exists(Visit.objects.filter(patient=OuterRef("pk"), provider=membership))

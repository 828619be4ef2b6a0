"""Reads of the Provider dashboard."""

from django.db.models import QuerySet

from medspa import selectors as core
from medspa.models import Membership, Patient


def provider_patients(membership: Membership, *, query: str = "") -> QuerySet[Patient]:
    """The provider's own patients, searched."""
    queryset = core.patients_of_provider(membership)
    if query.strip():
        queryset = core.patient_search(queryset, query)
    return queryset.order_by("last_name", "first_name", "id")

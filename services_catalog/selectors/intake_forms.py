"""Reads of the intake forms: those a medspa may name on its appointment types (its own and Portrait's)."""

from django.db.models import Prefetch, QuerySet

from medspa.models import Medspa
from services_catalog.models import IntakeForm, IntakeFormVersion
from services_catalog.selectors.catalog import own_and_library


def intake_forms_for(medspa: Medspa) -> QuerySet[IntakeForm]:
    """The medspa's own forms and Portrait's, the medspa's first, each by title."""
    return own_and_library(IntakeForm, medspa).order_by("medspa_id", "title")


def intake_forms_listed(medspa: Medspa) -> QuerySet[IntakeForm]:
    """The same with their versions and who wrote them, for the list and the builder (two queries)."""
    versions = IntakeFormVersion.objects.select_related("created_by").order_by("-number")
    return intake_forms_for(medspa).prefetch_related(Prefetch("versions", queryset=versions))


def question_count(version: IntakeFormVersion | None) -> int:
    return len(version.fields()) if version is not None else 0

"""The GFE requests still waiting for an exam, for the admin's Today (medspa.views.panels.ADMIN_TODAY): how
many, and since when the oldest has waited. One query."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, QuerySet
from django.utils import timezone

from gfe.models import OPEN_REQUEST_STATUSES, GfeRequest


@dataclass(frozen=True)
class GfesWaiting:
    """The open requests (sent, or in review): their number and when the oldest was made."""

    count: int
    oldest: datetime | None
    now: datetime


def gfes_waiting(requests: QuerySet[GfeRequest], *, now: datetime | None = None) -> GfesWaiting:
    """Of `requests`, those still open: one query."""
    found = requests.filter(status__in=OPEN_REQUEST_STATUSES).aggregate(
        count=Count("pk"), oldest=Min("created_at")
    )
    return GfesWaiting(found["count"], found["oldest"], now or timezone.now())


def admin_today_context(request) -> dict:
    """The admin's Today section of GFEs: the medspa's requests still waiting for an exam."""
    return {"gfes": gfes_waiting(GfeRequest.objects.filter(medspa=request.medspa))}

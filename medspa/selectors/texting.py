"""Reads of two-way texting: whose threads a member sees in which dashboard, and the unread counts.

An admin (in the admin dashboard) sees every thread of the medspa, an unknown sender's too; a provider (in
the provider dashboard) the threads of their own patients: assigned to them or linked to them by an
appointment or a visit (patients_of_provider)."""

from django.db.models import Count, Q, QuerySet

from medspa import dashboards
from medspa.models import Membership, TextMessage, TextThread
from medspa.selectors.patients import patients_of_provider

UNREAD = Q(direction=TextMessage.Direction.INBOUND, read_at__isnull=True)


def threads_open_to(membership: Membership | None, area: str | None) -> QuerySet[TextThread]:
    """The threads `membership` opens in the dashboard `area`."""
    if membership is None:
        return TextThread.objects.none()
    if area == dashboards.ADMIN and membership.is_admin:
        return TextThread.objects.filter(medspa_id=membership.medspa_id)
    if area == dashboards.PROVIDER and membership.is_provider:
        return TextThread.objects.filter(
            medspa_id=membership.medspa_id, patient__in=patients_of_provider(membership)
        )
    return TextThread.objects.none()


def inbox_threads(membership: Membership | None, area: str | None) -> QuerySet[TextThread]:
    """The inbox: the threads open to the member, latest first, each with its count of unread texts."""
    inbound = TextMessage.Direction.INBOUND
    unread = Count("messages", filter=Q(messages__direction=inbound, messages__read_at=None))
    return (
        threads_open_to(membership, area)
        .select_related("patient")
        .annotate(unread=unread)
        .order_by("-last_message_at", "-pk")
    )


def unread_count(membership: Membership | None, area: str | None) -> int:
    """Received texts nobody has read yet in the threads the member opens: the menu's badge."""
    if membership is None or area not in (dashboards.ADMIN, dashboards.PROVIDER):
        return 0
    return TextMessage.objects.filter(UNREAD, thread__in=threads_open_to(membership, area)).count()


def thread_messages(thread: TextThread) -> QuerySet[TextMessage]:
    return thread.messages.select_related("sent_by").order_by("created_at", "pk")

"""The provider's To-Do: what they still owe, and sending a failed care message or notification again."""

import logging

from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.services import message_logs
from medspa.services.patients import patients_access_record
from providers.models import CareMessageLog
from providers.selectors import care_messages as care_message_rules
from providers.selectors.todo import todo_of
from providers.services import care_messages
from scheduling.models import NotificationLog
from scheduling.services import notifications

logger = logging.getLogger(__name__)


@dashboard_area(dashboards.PROVIDER)
def todo(request):
    """Everything the provider owes, by section, each item linking to the page that settles it."""
    todo = todo_of(request.membership, request.medspa)
    patients_access_record(patients=todo.patients, request=request, viewed="Provider dashboard: To-Do")
    context = {"todo": todo}
    return render(request, "providers/todo.html", context)


@transaction.non_atomic_requests  # the message is marked sent in a transaction of its own (medspa.once)
@require_POST
@dashboard_area(dashboards.PROVIDER)
def care_message_resend(request, pk: int):
    """Sends one failed care message of the provider's own visit again; anyone else's is a 404."""
    log = get_object_or_404(
        CareMessageLog.objects.select_related("visit__patient", "care_message"),
        pk=pk,
        visit__provider=request.membership,
    )
    what = f"The {log.care_message.title} {log.get_channel_display()} to {log.visit.patient.full_name}"
    waiting = CareMessageLog.objects.filter(care_message_rules.resendable(), pk=log.pk).exists()
    _resend(request, log, what, waiting=waiting, resend=care_messages.care_message_resend)
    return redirect("providers:todo")


@transaction.non_atomic_requests  # the message is marked sent in a transaction of its own (medspa.once)
@require_POST
@dashboard_area(dashboards.PROVIDER)
def notification_resend(request, pk: int):
    """Sends one failed notification of the provider's own appointment again; anyone else's is a 404."""
    log = get_object_or_404(
        NotificationLog.objects.select_related("appointment__patient", "care_version__care_message"),
        pk=pk,
        appointment__provider=request.membership,
    )
    what = f"The {log.get_channel_display()} “{log.kind_label}” to {log.appointment.patient.full_name}"
    waiting = log.status == NotificationLog.Status.FAILED
    _resend(request, log, what, waiting=waiting, resend=notifications.notification_resend)
    return redirect("providers:todo")


def _resend(request, log, what: str, *, waiting: bool, resend) -> None:
    """Sends a failed message log row again with `resend(log=...)` and tells the user how it went; the log
    says who asked to send what again."""
    logger.info("%s %s: Send again by user %s", type(log).__name__, log.pk, request.user.pk)
    if not waiting:
        messages.info(
            request, f"{what} is not waiting to be sent again ({log.get_status_display().lower()})."
        )
        return
    message_logs.message_resend_record(log=log, by=request.user)
    if resend(log=log):
        messages.success(request, f"{what} was sent.")
    else:
        log.refresh_from_db(fields=["status", "detail"])
        if log.status == log.Status.FAILED:
            messages.error(request, f"{what} failed again: {log.detail or 'no reason given'}.")
        elif log.status == log.Status.SKIPPED:
            messages.info(request, f"{what} was not sent: {log.detail}.")
        else:
            messages.info(request, f"{what} was already being sent again.")

"""Celery tasks of billing: the monthly job fans out one task per medspa; each makes its missing bills."""

import logging

from celery import shared_task
from django_scopes import scopes_disabled

from billing.services import bills as billing_bills
from medspa.models import Medspa
from medspa.tenancy import medspa_scope

logger = logging.getLogger(__name__)


@shared_task
def bills_monthly() -> int:
    """On the first of the month (beat): queue every medspa's billing. Returns how many were queued."""
    with scopes_disabled():
        ids = list(Medspa.objects.values_list("pk", flat=True))
    for medspa_id in ids:
        bills_make.delay(medspa_id)
    return len(ids)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def bills_make(medspa_id: int) -> int:
    """Makes the medspa's bills of the months that are over and unbilled; safe to run twice."""
    with medspa_scope(medspa_id):
        medspa = Medspa.objects.get(pk=medspa_id)
        made = 0
        for month in billing_bills.months_to_bill(medspa):
            _, new = billing_bills.bill_generate(medspa=medspa, month=month)
            made += new
        return made

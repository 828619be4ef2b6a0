"""Celery tasks of billing: the monthly job fans out one task per medspa; each makes its missing bills and
queues the charge of each; a daily job charges what is due again (retries, cards added since); the receipts
of paid bills go once. Tasks take ids, re-enter the medspa's scope and call services."""

import logging

from celery import shared_task
from django_scopes import scopes_disabled

from billing.models import Bill
from billing.services import bills as billing_bills
from billing.services import payments as bill_payments
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
    """Makes the medspa's bills of the months that are over and unbilled, and queues the charge of each one
    with something to pay; safe to run twice."""
    with medspa_scope(medspa_id):
        medspa = Medspa.objects.get(pk=medspa_id)
        made = []
        for month in billing_bills.months_to_bill(medspa):
            bill, new = billing_bills.bill_generate(medspa=medspa, month=month)
            if new:
                made.append(bill)
    for bill in made:
        if bill.total > 0:
            bill_charge.delay(bill.pk, medspa_id)
    return len(made)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def bill_charge(bill_id: int, medspa_id: int) -> str:
    """Charges one bill to the medspa's card when an attempt is due; run twice (or twice at once), it
    charges once. Returns the attempt's status, or "" when none was due."""
    with medspa_scope(medspa_id):
        bill = Bill.objects.select_related("medspa").get(pk=bill_id)
        attempt = bill_payments.bill_charge(bill=bill)
        return attempt.status if attempt is not None else ""


@shared_task
def bills_charge_due() -> int:
    """Daily (beat): queues one charge per bill whose retry is due, whose medspa added a card since it was
    made, or whose attempt was left waiting for Stripe."""
    due = bill_payments.bills_charge_due()
    for bill_id, medspa_id in due:
        bill_charge.delay(bill_id, medspa_id)
    return len(due)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def bill_receipt_send(charge_id: int, medspa_id: int) -> None:
    """Emails a paid bill's receipt to the medspa's admins, once."""
    with medspa_scope(medspa_id):
        bill_payments.bill_receipt_send(charge_id=charge_id)


@shared_task
def bill_receipts_sweep() -> int:
    """Every minute (beat): queues one task per receipt left owed past its lease or due for a retry."""
    due = bill_payments.bill_receipts_sweep()
    for charge_id, medspa_id in due:
        bill_receipt_send.delay(charge_id, medspa_id)
    return len(due)

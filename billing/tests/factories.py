"""Factories for the billing app's models: plan periods and monthly bills."""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from billing.models import Bill, BillCharge, BillLine, PlanPeriod
from medspa.tests.factories import CardPaymentFactory, SavedCardFactory
from tests.factories import MedspaFactory, TenantFactory

SAME_MEDSPA = factory.SelfAttribute("..medspa")


class PlanPeriodFactory(TenantFactory):
    """A closed plan period in the past (a medspa's open period is written when the medspa is saved)."""

    class Meta:
        model = PlanPeriod

    medspa = factory.SubFactory(MedspaFactory)
    business_model = "launch"
    keeps_coordinator = False
    starts_on = factory.Sequence(lambda n: date(2020, 1, 1) + timedelta(days=n))
    ends_on = factory.LazyAttribute(lambda period: period.starts_on)


class BillFactory(TenantFactory):
    class Meta:
        model = Bill

    medspa = factory.SubFactory(MedspaFactory)
    month = factory.Sequence(lambda n: date(2020 + n // 12, n % 12 + 1, 1))
    number = factory.Sequence(lambda n: f"PB-{n:06d}")
    total = Decimal("0.00")


class BillLineFactory(TenantFactory):
    class Meta:
        model = BillLine

    medspa = factory.SubFactory(MedspaFactory)
    bill = factory.SubFactory(BillFactory, medspa=SAME_MEDSPA)
    position = factory.Sequence(lambda n: n + 1)
    kind = "coordinator_fee"
    description = "Coordinator fee"
    amount = Decimal("0.00")


class BillChargeFactory(TenantFactory):
    """A paid attempt at a bill, with the medspa's own card (on Portrait's account)."""

    class Meta:
        model = BillCharge

    medspa = factory.SubFactory(MedspaFactory)
    bill = factory.SubFactory(BillFactory, medspa=SAME_MEDSPA, total=Decimal("500.00"))
    attempt = 1
    trigger = BillCharge.Trigger.FIRST
    card = factory.SubFactory(
        SavedCardFactory, medspa=SAME_MEDSPA, customer__patient=None, customer__account_id=""
    )
    card_payment = factory.SubFactory(
        CardPaymentFactory,
        medspa=SAME_MEDSPA,
        card=factory.SelfAttribute("..card"),
        amount=Decimal("500.00"),
        purpose="portrait_bill",
    )
    amount = Decimal("500.00")
    status = BillCharge.Status.SUCCEEDED
    settled_at = factory.LazyFunction(timezone.now)

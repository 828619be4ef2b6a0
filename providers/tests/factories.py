"""Factories for the Provider dashboard's models: visits and what they record, sales and their money."""

from datetime import timedelta
from decimal import Decimal

import factory

from providers import models
from scheduling.tests.factories import LocationFactory
from services_catalog.tests.factories import (
    CareMessageVersionFactory,
    ConsentSignatureFactory,
    ServiceFactory,
)
from tests.factories import (
    MedspaFactory,
    MembershipFactory,
    PatientFactory,
    TenantFactory,
    UserFactory,
    medspa_today,
)

SAME_MEDSPA = factory.SelfAttribute("..medspa")


class VisitFactory(TenantFactory):
    """A walk-in visit (no appointment) in progress."""

    class Meta:
        model = models.Visit

    medspa = factory.SubFactory(MedspaFactory)
    patient = factory.SubFactory(PatientFactory, medspa=SAME_MEDSPA)
    provider = factory.SubFactory(MembershipFactory, medspa=SAME_MEDSPA)
    location = factory.SubFactory(LocationFactory, medspa=SAME_MEDSPA)
    started_by = factory.SelfAttribute("provider.user")


class VisitServiceFactory(TenantFactory):
    class Meta:
        model = models.VisitService

    medspa = factory.SubFactory(MedspaFactory)
    visit = factory.SubFactory(VisitFactory, medspa=SAME_MEDSPA)
    service = factory.SubFactory(ServiceFactory, medspa=SAME_MEDSPA)
    price = factory.SelfAttribute("service.price")


class VisitConsentFactory(TenantFactory):
    class Meta:
        model = models.VisitConsent

    medspa = factory.SubFactory(MedspaFactory)
    visit = factory.SubFactory(VisitFactory, medspa=SAME_MEDSPA)
    signature = factory.SubFactory(
        ConsentSignatureFactory, medspa=SAME_MEDSPA, patient=factory.SelfAttribute("..visit.patient")
    )
    version = factory.SelfAttribute("signature.version")


class VisitProductFactory(TenantFactory):
    class Meta:
        model = models.VisitProduct

    medspa = factory.SubFactory(MedspaFactory)
    visit = factory.SubFactory(VisitFactory, medspa=SAME_MEDSPA)
    name = "Toxin 100"
    units = Decimal("20")
    unit_price = Decimal("12.00")
    lot_number = factory.Sequence(lambda n: f"LOT{n:04d}")
    expires_on = factory.LazyAttribute(lambda product: medspa_today(product.medspa) + timedelta(days=180))


class VisitPhotoFactory(TenantFactory):
    class Meta:
        model = models.VisitPhoto

    medspa = factory.SubFactory(MedspaFactory)
    visit = factory.SubFactory(VisitFactory, medspa=SAME_MEDSPA)
    kind = "before"
    image = factory.django.ImageField(filename="before.jpg", format="JPEG", width=40, height=30)
    uploaded_by = factory.SelfAttribute("visit.started_by")


class ChartAddendumFactory(TenantFactory):
    class Meta:
        model = models.ChartAddendum

    medspa = factory.SubFactory(MedspaFactory)
    visit = factory.SubFactory(VisitFactory, medspa=SAME_MEDSPA)
    text = "Patient called: no bruising on day two."
    signed_by = factory.SelfAttribute("visit.provider.user")


class CareMessageLogFactory(TenantFactory):
    class Meta:
        model = models.CareMessageLog

    medspa = factory.SubFactory(MedspaFactory)
    visit = factory.SubFactory(VisitFactory, medspa=SAME_MEDSPA)
    version = factory.SubFactory(
        CareMessageVersionFactory, care_message__medspa=factory.SelfAttribute("...medspa")
    )
    care_message = factory.SelfAttribute("version.care_message")
    channel = "email"


class SaleFactory(TenantFactory):
    """An open retail sale with nothing on it yet."""

    class Meta:
        model = models.Sale

    medspa = factory.SubFactory(MedspaFactory)
    kind = "retail"
    provider = factory.SubFactory(MembershipFactory, medspa=SAME_MEDSPA)
    location = factory.SubFactory(LocationFactory, medspa=SAME_MEDSPA)
    created_by = factory.SelfAttribute("provider.user")


class SaleLineFactory(TenantFactory):
    class Meta:
        model = models.SaleLine

    medspa = factory.SubFactory(MedspaFactory)
    sale = factory.SubFactory(SaleFactory, medspa=SAME_MEDSPA)
    kind = "service"
    service = factory.SubFactory(ServiceFactory, medspa=SAME_MEDSPA)
    description = factory.SelfAttribute("service.name")
    unit_price = factory.SelfAttribute("service.price")
    amount = factory.SelfAttribute("service.price")


class PaymentFactory(TenantFactory):
    class Meta:
        model = models.Payment

    medspa = factory.SubFactory(MedspaFactory)
    sale = factory.SubFactory(SaleFactory, medspa=SAME_MEDSPA)
    method = "card"
    amount = Decimal("100.00")
    recorded_by = factory.SubFactory(UserFactory)


class RefundFactory(TenantFactory):
    class Meta:
        model = models.Refund

    medspa = factory.SubFactory(MedspaFactory)
    payment = factory.SubFactory(PaymentFactory, medspa=SAME_MEDSPA)
    sale = factory.SelfAttribute("payment.sale")
    amount = Decimal("40.00")
    reason = "Product returned unopened."
    tax_part = Decimal("0.00")
    tip_part = Decimal("0.00")
    portrait_part = Decimal("0.00")
    refunded_by = factory.SubFactory(UserFactory)
    idempotency_key = factory.Sequence(lambda n: f"refund-{n}")

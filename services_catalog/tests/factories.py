"""Factories for the services catalog's models: texts and their versions, groups, services, products."""

from decimal import Decimal

import factory

from services_catalog import models
from tests.factories import MedspaFactory, MembershipFactory, PatientFactory, TenantFactory, UserFactory

SIGNATURE_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


class ConsentFactory(TenantFactory):
    class Meta:
        model = models.Consent

    medspa = factory.SubFactory(MedspaFactory)
    title = factory.Sequence(lambda n: f"Consent {n}")


class ConsentVersionFactory(TenantFactory):
    class Meta:
        model = models.ConsentVersion

    consent = factory.SubFactory(ConsentFactory)
    number = factory.Sequence(lambda n: n + 1)
    text = "I understand the risks of the treatment, including bruising."


class CareMessageFactory(TenantFactory):
    class Meta:
        model = models.CareMessage

    medspa = factory.SubFactory(MedspaFactory)
    title = factory.Sequence(lambda n: f"Aftercare {n}")


class CareMessageVersionFactory(TenantFactory):
    class Meta:
        model = models.CareMessageVersion

    care_message = factory.SubFactory(CareMessageFactory)
    number = factory.Sequence(lambda n: n + 1)
    text = "Do not rub the treated area for a day."


class StandingOrderFactory(TenantFactory):
    class Meta:
        model = models.StandingOrder

    medspa = factory.SubFactory(MedspaFactory)
    title = factory.Sequence(lambda n: f"Standing order {n}")


class StandingOrderVersionFactory(TenantFactory):
    class Meta:
        model = models.StandingOrderVersion

    standing_order = factory.SubFactory(StandingOrderFactory)
    number = factory.Sequence(lambda n: n + 1)
    text = "Protocol: assess, consent, treat, document."


class StandingOrderSignoffFactory(TenantFactory):
    class Meta:
        model = models.StandingOrderSignoff

    medspa = factory.SubFactory(MedspaFactory)
    version = factory.SubFactory(
        StandingOrderVersionFactory, standing_order__medspa=factory.SelfAttribute("...medspa")
    )
    signed_by = factory.SubFactory(MembershipFactory, medspa=factory.SelfAttribute("..medspa"), is_admin=True)


# A small intake form's questions: one section, a yes/no and a paragraph that proposes allergies.
INTAKE_SECTIONS = [
    {
        "title": "Health",
        "fields": [
            {
                "key": "pregnant",
                "label": "Are you pregnant or breastfeeding?",
                "kind": "yes_no",
                "required": True,
                "choices": [],
                "help": "",
                "record": "",
            },
            {
                "key": "allergies",
                "label": "List any allergies",
                "kind": "long_text",
                "required": False,
                "choices": [],
                "help": "",
                "record": "allergies",
            },
        ],
    }
]


class IntakeFormFactory(TenantFactory):
    class Meta:
        model = models.IntakeForm

    medspa = factory.SubFactory(MedspaFactory)
    title = factory.Sequence(lambda n: f"Intake form {n}")


class IntakeFormVersionFactory(TenantFactory):
    class Meta:
        model = models.IntakeFormVersion

    form = factory.SubFactory(IntakeFormFactory)
    number = factory.Sequence(lambda n: n + 1)
    sections = factory.LazyFunction(lambda: [dict(section) for section in INTAKE_SECTIONS])


class ServiceGroupFactory(TenantFactory):
    class Meta:
        model = models.ServiceGroup

    medspa = factory.SubFactory(MedspaFactory)
    name = factory.Sequence(lambda n: f"Group {n}")


class LibraryServiceFactory(TenantFactory):
    """A service of Portrait's library (no medspa): its group is a library group."""

    class Meta:
        model = models.LibraryService

    group = factory.SubFactory(ServiceGroupFactory, medspa=None)
    name = factory.Sequence(lambda n: f"Library service {n}")
    default_price = Decimal("325.00")
    duration_minutes = 30


class ServiceFactory(TenantFactory):
    """A medspa's own (custom) service."""

    class Meta:
        model = models.Service

    medspa = factory.SubFactory(MedspaFactory)
    group = factory.SubFactory(ServiceGroupFactory, medspa=factory.SelfAttribute("..medspa"))
    name = factory.Sequence(lambda n: f"Service {n}")
    price = Decimal("300.00")
    duration_minutes = 30
    is_active = True


class RetailProductFactory(TenantFactory):
    class Meta:
        model = models.RetailProduct

    medspa = factory.SubFactory(MedspaFactory)
    name = factory.Sequence(lambda n: f"Serum {n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    price = Decimal("48.00")


class ConsentSignatureFactory(TenantFactory):
    class Meta:
        model = models.ConsentSignature

    medspa = factory.SubFactory(MedspaFactory)
    patient = factory.SubFactory(PatientFactory, medspa=factory.SelfAttribute("..medspa"))
    version = factory.SubFactory(ConsentVersionFactory, consent__medspa=factory.SelfAttribute("...medspa"))
    signature = factory.django.FileField(filename="signature.png", data=SIGNATURE_PNG)
    witnessed_by = factory.SubFactory(UserFactory)

"""Factories for the GFE app's models: settings, requests, exams and clearances."""

import factory

from gfe.models import Clearance, GfeExam, GfeRequest, GfeSettings
from services_catalog.tests.factories import ServiceFactory
from tests.factories import MedspaFactory, MembershipFactory, PatientFactory, TenantFactory, UserFactory


class GfeSettingsFactory(TenantFactory):
    """A medspa's GFE settings (one row per medspa: fetched if the medspa has one)."""

    class Meta:
        model = GfeSettings
        django_get_or_create = ("medspa",)

    medspa = factory.SubFactory(MedspaFactory)


class GfeRequestFactory(TenantFactory):
    class Meta:
        model = GfeRequest

    medspa = factory.SubFactory(MedspaFactory)
    patient = factory.SubFactory(PatientFactory, medspa=factory.SelfAttribute("..medspa"))
    route = "self"
    requested_by = factory.SubFactory(UserFactory)


class GfeExamFactory(TenantFactory):
    class Meta:
        model = GfeExam

    medspa = factory.SubFactory(MedspaFactory)
    patient = factory.SubFactory(PatientFactory, medspa=factory.SelfAttribute("..medspa"))
    request = factory.SubFactory(
        GfeRequestFactory,
        medspa=factory.SelfAttribute("..medspa"),
        patient=factory.SelfAttribute("..patient"),
    )
    clearer = factory.SubFactory(MembershipFactory, medspa=factory.SelfAttribute("..medspa"))
    clearer_name = factory.SelfAttribute("clearer.user.full_name")
    clearer_credential = "NP"


class ClearanceFactory(TenantFactory):
    """A clearance still requested (a cleared one needs `valid_until`)."""

    class Meta:
        model = Clearance

    medspa = factory.SubFactory(MedspaFactory)
    patient = factory.SubFactory(PatientFactory, medspa=factory.SelfAttribute("..medspa"))
    service = factory.SubFactory(ServiceFactory, medspa=factory.SelfAttribute("..medspa"))
    request = factory.SubFactory(
        GfeRequestFactory,
        medspa=factory.SelfAttribute("..medspa"),
        patient=factory.SelfAttribute("..patient"),
    )

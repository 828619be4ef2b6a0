"""Factories for the scheduling app's models: locations, rooms, types, appointments and availability."""

from datetime import time, timedelta

import factory
from django.utils import timezone

from scheduling import models
from services_catalog.tests.factories import IntakeFormVersionFactory, ServiceFactory
from tests.factories import MedspaFactory, MembershipFactory, PatientFactory, TenantFactory, medspa_today


class LocationFactory(TenantFactory):
    class Meta:
        model = models.Location

    medspa = factory.SubFactory(MedspaFactory)
    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    address_line1 = "1 Main St"
    city = "San Diego"
    state = "CA"
    postal_code = "92101"
    time_zone = "America/Los_Angeles"


class ResourceFactory(TenantFactory):
    class Meta:
        model = models.Resource

    medspa = factory.SubFactory(MedspaFactory)
    location = factory.SubFactory(LocationFactory, medspa=factory.SelfAttribute("..medspa"))
    name = factory.Sequence(lambda n: f"Room {n}")


class AppointmentTypeFactory(TenantFactory):
    class Meta:
        model = models.AppointmentType

    medspa = factory.SubFactory(MedspaFactory)
    location = factory.SubFactory(LocationFactory, medspa=factory.SelfAttribute("..medspa"))
    service = factory.SubFactory(ServiceFactory, medspa=factory.SelfAttribute("..medspa"))
    name = factory.Sequence(lambda n: f"Treatment {n}")
    duration_minutes = 30
    price = factory.SelfAttribute("service.price")


class AppointmentFactory(TenantFactory):
    """A booked appointment a day or more ahead (each one a day later, so one provider's do not overlap)."""

    class Meta:
        model = models.Appointment

    medspa = factory.SubFactory(MedspaFactory)
    appointment_type = factory.SubFactory(AppointmentTypeFactory, medspa=factory.SelfAttribute("..medspa"))
    location = factory.SelfAttribute("appointment_type.location")
    provider = factory.SubFactory(MembershipFactory, medspa=factory.SelfAttribute("..medspa"))
    patient = factory.SubFactory(PatientFactory, medspa=factory.SelfAttribute("..medspa"))
    start = factory.Sequence(
        lambda n: (timezone.now() + timedelta(days=n + 1)).replace(minute=0, second=0, microsecond=0)
    )
    end = factory.LazyAttribute(lambda a: a.start + timedelta(minutes=30))
    blocked_start = factory.SelfAttribute("start")
    blocked_end = factory.LazyAttribute(lambda a: a.end + timedelta(minutes=10))


class CalendarFeedFactory(TenantFactory):
    class Meta:
        model = models.CalendarFeed

    medspa = factory.SubFactory(MedspaFactory)
    provider = factory.SubFactory(MembershipFactory, medspa=factory.SelfAttribute("..medspa"))


class AvailabilityRuleFactory(TenantFactory):
    class Meta:
        model = models.AvailabilityRule

    medspa = factory.SubFactory(MedspaFactory)
    provider = factory.SubFactory(MembershipFactory, medspa=factory.SelfAttribute("..medspa"))
    location = factory.SubFactory(LocationFactory, medspa=factory.SelfAttribute("..medspa"))
    weekday = 0
    start_time = time(9)
    end_time = time(17)


class AvailabilityOverrideFactory(TenantFactory):
    """A day off."""

    class Meta:
        model = models.AvailabilityOverride

    medspa = factory.SubFactory(MedspaFactory)
    provider = factory.SubFactory(MembershipFactory, medspa=factory.SelfAttribute("..medspa"))
    date = factory.LazyAttribute(lambda o: medspa_today(o.medspa) + timedelta(days=7))
    kind = "off"


class ClosureFactory(TenantFactory):
    class Meta:
        model = models.Closure

    medspa = factory.SubFactory(MedspaFactory)
    date = factory.LazyAttribute(lambda o: medspa_today(o.medspa) + timedelta(days=14))
    reason = "Holiday"


class NotificationSettingsFactory(TenantFactory):
    """A medspa's notification settings (one row per medspa: fetched if the medspa has one)."""

    class Meta:
        model = models.NotificationSettings
        django_get_or_create = ("medspa",)

    medspa = factory.SubFactory(MedspaFactory)


class NotificationLogFactory(TenantFactory):
    class Meta:
        model = models.NotificationLog

    medspa = factory.SubFactory(MedspaFactory)
    appointment = factory.SubFactory(AppointmentFactory, medspa=factory.SelfAttribute("..medspa"))
    kind = "confirmation"
    channel = "email"


class IntakeResponseFactory(TenantFactory):
    class Meta:
        model = models.IntakeResponse

    medspa = factory.SubFactory(MedspaFactory)
    appointment = factory.SubFactory(AppointmentFactory, medspa=factory.SelfAttribute("..medspa"))
    patient = factory.SelfAttribute("appointment.patient")
    version = factory.SubFactory(IntakeFormVersionFactory, form__medspa=factory.SelfAttribute("...medspa"))
    answers = factory.LazyFunction(lambda: {"pregnant": False, "allergies": "Latex"})
    ip = "203.0.113.9"


class HistoryChangeFactory(TenantFactory):
    class Meta:
        model = models.HistoryChange

    medspa = factory.SubFactory(MedspaFactory)
    response = factory.SubFactory(IntakeResponseFactory, medspa=factory.SelfAttribute("..medspa"))
    patient = factory.SelfAttribute("response.patient")
    record = "allergies"
    proposed = "Latex"

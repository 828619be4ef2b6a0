"""Factories for the transition app's models: a medspa's move off Legacy, its steps and its records."""

from datetime import timedelta

import factory
from django.utils import timezone

from tests.factories import MedspaFactory, TenantFactory, UserFactory, medspa_today
from transition import models

SAME_MEDSPA = factory.SelfAttribute("..medspa")


class LegacyToolsFactory(TenantFactory):
    """A medspa's Legacy tools (one row per medspa: fetched if the medspa has one)."""

    class Meta:
        model = models.LegacyTools
        django_get_or_create = ("medspa",)

    medspa = factory.SubFactory(MedspaFactory, business_model="legacy", keeps_coordinator=True)


class TransitionFactory(TenantFactory):
    """A Legacy medspa's scheduled move to Launch, a month ahead."""

    class Meta:
        model = models.Transition

    medspa = factory.SubFactory(MedspaFactory, business_model="legacy", keeps_coordinator=True)
    target_model = "launch"
    effective_date = factory.LazyAttribute(lambda t: medspa_today(t.medspa) + timedelta(days=30))
    keeps_coordinator = False
    requested_by = factory.SubFactory(UserFactory)


class TransitionStepFactory(TenantFactory):
    class Meta:
        model = models.TransitionStep

    medspa = factory.SubFactory(MedspaFactory)
    transition = factory.SubFactory(TransitionFactory, medspa=SAME_MEDSPA)
    kind = "model_change"
    position = 1
    due_date = factory.SelfAttribute("transition.effective_date")


class ReleaseConfirmationFactory(TenantFactory):
    class Meta:
        model = models.ReleaseConfirmation

    medspa = factory.SubFactory(MedspaFactory)
    transition = factory.SubFactory(TransitionFactory, medspa=SAME_MEDSPA)
    party = "provider"
    user = factory.SubFactory(UserFactory)
    name = factory.SelfAttribute("user.full_name")
    email = factory.SelfAttribute("user.email")
    target_email = factory.Sequence(lambda n: f"account{n}@openphone.example")
    text = "I confirm the release of this account."


class ConfirmationEmailFactory(TenantFactory):
    class Meta:
        model = models.ConfirmationEmail

    medspa = factory.SubFactory(MedspaFactory)
    transition = factory.SubFactory(TransitionFactory, medspa=SAME_MEDSPA)
    user = factory.SubFactory(UserFactory)


class AcuityBookingFactory(TenantFactory):
    """A booking of Acuity that clashed on import (an imported one names its appointment)."""

    class Meta:
        model = models.AcuityBooking

    medspa = factory.SubFactory(MedspaFactory)
    transition = factory.SubFactory(TransitionFactory, medspa=SAME_MEDSPA)
    acuity_id = factory.Sequence(lambda n: 900000 + n)
    start = factory.LazyFunction(
        lambda: (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    )
    duration_minutes = 30
    status = "conflict"


class TimelineEntryFactory(TenantFactory):
    class Meta:
        model = models.TimelineEntry

    medspa = factory.SubFactory(MedspaFactory)
    transition = factory.SubFactory(TransitionFactory, medspa=SAME_MEDSPA)
    message = "Transition scheduled."

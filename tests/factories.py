"""factory-boy factories that keep every related object in the same medspa."""

from datetime import date, timedelta

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP

from medspa.models import Invitation, Medspa, Membership, Patient, ProviderLicence, ProviderProfile, User

TEST_PASSWORD = "correct-horse-battery-staple"
TEST_TOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


class MedspaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Medspa

    name = factory.Sequence(lambda n: f"Medspa {n}")
    slug = factory.Sequence(lambda n: f"medspa-{n}")
    business_model = "launch"
    time_zone = "America/New_York"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def mfa(self, create, extracted, **kwargs):
        """Enrolled in TOTP unless mfa=False."""
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)
            if extracted is not False:
                TOTP.activate(self, TEST_TOTP_SECRET)
                RecoveryCodes.activate(self)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    medspa = factory.SubFactory(MedspaFactory)
    user = factory.SubFactory(UserFactory)
    is_provider = True


class ProviderProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderProfile

    membership = factory.SubFactory(MembershipFactory)
    medspa = factory.SelfAttribute("membership.medspa")
    credential = "NP"
    can_clear_gfe = True


class ProviderLicenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderLicence

    profile = factory.SubFactory(ProviderProfileFactory)
    medspa = factory.SelfAttribute("profile.medspa")
    number = factory.Sequence(lambda n: f"LIC{n:05d}")
    state = "CA"
    expires_on = factory.LazyFunction(lambda: date.today() + timedelta(days=365))


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    medspa = factory.SubFactory(MedspaFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=21, maximum_age=75)
    email = factory.Sequence(lambda n: f"patient{n}@mail.example")


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    medspa = factory.SubFactory(MedspaFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    invited_by = factory.SubFactory(UserFactory)


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def library_service(name="Neurotoxin: glabellar lines", price="325.00", **extra):
    """A Portrait library service with its own consent, standing order and care message."""
    from decimal import Decimal

    from services_catalog import services
    from services_catalog.models import CareMessage, Consent, LibraryService, ServiceGroup, StandingOrder

    group, _ = ServiceGroup.library.get_or_create(medspa=None, name="Neurotoxins")
    consent = services.text_create(
        model=Consent,
        medspa=None,
        title=f"Consent: {name}",
        by=None,
        text="Library consent text, version one, for the treatment.",
    )
    order = services.text_create(
        model=StandingOrder,
        medspa=None,
        title=f"Standing order: {name}",
        by=None,
        text="Library standing order protocol text, version one.",
    )
    message = services.text_create(
        model=CareMessage,
        medspa=None,
        title=f"After {name}",
        by=None,
        timing="post",
        text="Library post-care text for the patient to follow.",
    )
    service = LibraryService.objects.create(
        group=group,
        name=name,
        description="Softens frown lines.",
        default_price=Decimal(price),
        duration_minutes=30,
        standing_order=order,
        **extra,
    )
    service.consents.set([consent])
    service.care_messages.set([message])
    return service


def scheduling_world(medspa, providers, *, tz="America/Los_Angeles", rooms=0, **type_options):
    """A location of `medspa` where `providers` (memberships) work 9:00–17:00 every day, and an appointment
    type (30 minutes, 10 minutes' buffer after, no notice needed) that they offer."""
    from datetime import time
    from decimal import Decimal

    from scheduling.models import AppointmentType, AvailabilityRule, Location, Resource
    from services_catalog import services as catalog

    location = Location.objects.create(
        medspa=medspa,
        name=f"Clinic {medspa.pk}",
        address_line1="1 Main St",
        city="San Diego",
        state="CA",
        postal_code="92101",
        time_zone=tz,
    )
    location.providers.set(providers)
    group = catalog.group_save(medspa=medspa, data={"name": f"Group {location.pk}"})
    service = catalog.service_create(
        medspa=medspa,
        data={
            "group": group,
            "name": "Neurotoxin",
            "price": Decimal("300"),
            "duration_minutes": 30,
            "is_active": True,
        },
    )
    options = {
        "duration_minutes": 30,
        "buffer_after_minutes": 10,
        "min_notice_minutes": 0,
        "horizon_days": 90,
        "price": Decimal("300"),
        **type_options,
    }
    appointment_type = AppointmentType.objects.create(
        medspa=medspa, location=location, service=service, name="Neurotoxin", **options
    )
    appointment_type.providers.set(providers)
    for provider in providers:
        for weekday in range(7):
            AvailabilityRule.objects.create(
                medspa=medspa,
                provider=provider,
                location=location,
                weekday=weekday,
                start_time=time(9),
                end_time=time(17),
            )
    for number in range(rooms):
        room = Resource.objects.create(medspa=medspa, location=location, name=f"Room {number + 1}")
        appointment_type.rooms.add(room)
    return location, appointment_type

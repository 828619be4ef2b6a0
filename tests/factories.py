"""factory-boy factories that keep every related object in the same medspa.

Set-up reaches across medspas: every factory here (TenantFactory) and every world builder (@unscoped)
builds with tenant scoping off, while the test around it runs with scoping on (tests/fixtures.py)."""

from datetime import date, timedelta
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.utils import timezone
from django_scopes import scopes_disabled

from medspa.models import Invitation, Medspa, Membership, Patient, ProviderLicence, ProviderProfile, User
from medspa.services.invitations import INVITATION_EMAILS

TEST_PASSWORD = "correct-horse-battery-staple"
TEST_TOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


def unscoped(function):
    """A set-up function that builds across medspas: it runs with tenant scoping off."""
    from functools import wraps

    @wraps(function)
    def wrapper(*args, **kwargs):
        with scopes_disabled():
            return function(*args, **kwargs)

    return wrapper


class TenantFactory(factory.django.DjangoModelFactory):
    """A factory that saves with tenant scoping off: set-up, not the code under test."""

    class Meta:
        abstract = True

    @classmethod
    def _generate(cls, strategy, params):
        with scopes_disabled():
            return super()._generate(strategy, params)


def medspa_today(medspa: Medspa) -> date:
    """Today in the medspa's zone: the day its pages, licences, clearances and orders count from. The
    server's date (UTC in tests) is a day ahead of it in the evening, US time."""
    return timezone.localdate(timezone=medspa.tz)


class MedspaFactory(TenantFactory):
    class Meta:
        model = Medspa

    name = factory.Sequence(lambda n: f"Medspa {n}")
    slug = factory.Sequence(lambda n: f"medspa-{n}")
    business_model = "launch"
    time_zone = "America/New_York"


class UserFactory(TenantFactory):
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


class MembershipFactory(TenantFactory):
    class Meta:
        model = Membership

    medspa = factory.SubFactory(MedspaFactory)
    user = factory.SubFactory(UserFactory)
    is_provider = True


class ProviderProfileFactory(TenantFactory):
    class Meta:
        model = ProviderProfile

    membership = factory.SubFactory(MembershipFactory)
    medspa = factory.SelfAttribute("membership.medspa")
    credential = "NP"
    can_clear_gfe = True


class ProviderLicenceFactory(TenantFactory):
    class Meta:
        model = ProviderLicence

    profile = factory.SubFactory(ProviderProfileFactory)
    medspa = factory.SelfAttribute("profile.medspa")
    number = factory.Sequence(lambda n: f"LIC{n:05d}")
    state = "CA"
    expires_on = factory.LazyAttribute(lambda licence: medspa_today(licence.medspa) + timedelta(days=365))


class PatientFactory(TenantFactory):
    class Meta:
        model = Patient

    medspa = factory.SubFactory(MedspaFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=21, maximum_age=75)
    email = factory.Sequence(lambda n: f"patient{n}@mail.example")


class InvitationFactory(TenantFactory):
    class Meta:
        model = Invitation

    medspa = factory.SubFactory(MedspaFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    invited_by = factory.SubFactory(UserFactory)
    # As medspa.services.accounts.invitation_create leaves it: its email owed.
    email_next_attempt_at = factory.LazyFunction(lambda: INVITATION_EMAILS.queued()["email_next_attempt_at"])


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


@unscoped
def library_service(name="Neurotoxin: glabellar lines", price="325.00", **extra):
    """A Portrait library service with its own consent, standing order and care message."""
    from decimal import Decimal

    from services_catalog.models import CareMessage, Consent, LibraryService, ServiceGroup, StandingOrder
    from services_catalog.services import texts as services

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


@unscoped
def booking_world(medspa, provider, **type_options):
    """scheduling_world's location and appointment type for one provider, with the location's public booking
    page (`url`), as the booking pages' tests use them."""
    from types import SimpleNamespace

    from django.urls import reverse

    location, appointment_type = scheduling_world(medspa, [provider], **type_options)
    return SimpleNamespace(
        medspa=medspa,
        provider=provider,
        location=location,
        type=appointment_type,
        url=reverse("booking_location", args=[medspa.slug, location.slug]),
    )


@unscoped
def scheduling_world(medspa, providers, *, tz="America/Los_Angeles", rooms=0, **type_options):
    """A location of `medspa` where `providers` (memberships) work 9:00–17:00 every day, and an appointment
    type (30 minutes, 10 minutes' buffer after, no notice needed) that they offer."""
    from datetime import time
    from decimal import Decimal

    from scheduling.models import AppointmentType, AvailabilityRule, Location, Resource
    from services_catalog.services import catalog

    location = Location.objects.create(
        medspa=medspa,
        name=f"Clinic {medspa.pk}-{Location.objects.filter(medspa=medspa).count() + 1}",
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


GFE_EXAM = {"history_reviewed": True, "medications_reviewed": True, "allergies_reviewed": True,
            "diagnoses": "Dynamic rhytids, glabella", "icd10_codes": "L90.8"}  # fmt: skip


@unscoped
def charting_world(medspa, provider, *, clearer=None, tz="America/Los_Angeles"):
    """What a service visit needs: scheduling_world's location and "Neurotoxin" type for `provider`, the
    service with a consent and a post-care message, and a patient of `provider` (email and SMS consented)
    cleared for it by `clearer` (a membership that may clear GFEs; `provider` by default)."""
    from types import SimpleNamespace

    from gfe.services import decisions as gfe_services
    from medspa.models import PatientProvider
    from services_catalog.models import CareMessage, Consent
    from services_catalog.services import texts

    location, appointment_type = scheduling_world(medspa, [provider], tz=tz)
    service = appointment_type.service
    consent = texts.text_create(
        model=Consent, medspa=medspa, title="Neurotoxin consent", by=None,
        text="I understand the risks of neurotoxin injections, including bruising and ptosis.",
    )  # fmt: skip
    care = texts.text_create(
        model=CareMessage, medspa=medspa, title="Neurotoxin aftercare", by=None, timing="post",
        text="Stay upright for 4 hours and do not rub the treated area.",
    )  # fmt: skip
    service.consents.add(consent)
    service.care_messages.add(care)
    patient = PatientFactory(medspa=medspa, phone="+15555550123", consent_email=True, consent_sms=True)
    PatientProvider.objects.create(patient=patient, membership=provider)
    gfe_services.gfe_self_clear(
        membership=clearer or provider, patient=patient, exam=GFE_EXAM, notify=False,
        decisions={service.pk: gfe_services.Decision("cleared")},
    )  # fmt: skip
    return SimpleNamespace(
        location=location, appointment_type=appointment_type, service=service, consent=consent, care=care,
        patient=patient,
    )  # fmt: skip


@unscoped
def checked_in_appointment(world, provider, *, start=None):
    """A checked-in appointment of `world`'s patient with `provider`, started a few minutes ago (written
    directly: the booking rules would refuse a time outside the day's hours, whenever the tests run)."""
    from datetime import timedelta

    from django.utils import timezone

    from scheduling.models import Appointment, AppointmentStatus

    start = start or (timezone.now() - timedelta(minutes=5)).replace(second=0, microsecond=0)
    end = start + timedelta(minutes=30)
    return Appointment.objects.create(
        medspa=world.location.medspa, location=world.location, provider=provider, patient=world.patient,
        appointment_type=world.appointment_type, start=start, end=end, blocked_start=start, blocked_end=end,
        status=AppointmentStatus.CHECKED_IN,
    )  # fmt: skip


def png_signature() -> bytes:
    """A drawn signature as PNG bytes (a few strokes, as the signature pad sends)."""
    from io import BytesIO

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 80), (80, 20), (150, 70), (290, 30)], fill=(0, 0, 0, 255), width=3)
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@unscoped
def consent_sign(visit, by, *, ip="203.0.113.9"):
    """The first consent `visit` still needs, signed on screen (png_signature()) with `by` at the desk."""
    from providers.selectors import charts
    from providers.services import charting

    need = charts.consents_needed(visit)[0]
    return charting.visit_consent_sign(
        visit=visit, version=need.version, signature_png=png_signature(), by=by, ip=ip
    )


@unscoped
def paid_visit(world, provider, by, *, start=None, tenders=None, **charges):
    """The sale of a visit that `by` started from a checked-in appointment of `world`'s patient with
    `provider` (checked_in_appointment, at `start`), its consent signed and checked out through the real
    services: one $300 card payment unless `tenders`; `charges` are discount, discount_reason, tip."""
    from decimal import Decimal

    from providers.services import charting, checkout, settlement

    appointment = checked_in_appointment(world, provider, start=start)
    visit = charting.visit_start_from_appointment(appointment=appointment, by=by)
    consent_sign(visit, by)
    tenders = tenders or [settlement.Tender("card", Decimal("300"))]
    return checkout.visit_checkout(visit=visit, tenders=tenders, by=by, **charges)


@unscoped
def retail_product(medspa, name, sku, price, *, taxable=True, active=True):
    """A retail product of the catalog, saved through its service."""
    from decimal import Decimal

    from services_catalog.services import catalog

    return catalog.product_save(
        medspa=medspa,
        data={"name": name, "sku": sku, "price": Decimal(price), "taxable": taxable, "is_active": active},
    )


@unscoped
def visit_backdate(visit, by):
    """Moves a visit (and its appointment, if any) `by` (a timedelta) into the past: how old a chart is
    counts from the treatment."""
    from providers.models import Visit
    from scheduling.models import Appointment

    Visit.objects.filter(pk=visit.pk).update(started_at=visit.started_at - by)
    if visit.appointment_id is not None:
        appointment = visit.appointment
        Appointment.objects.filter(pk=appointment.pk).update(
            start=appointment.start - by, end=appointment.end - by,
            blocked_start=appointment.blocked_start - by, blocked_end=appointment.blocked_end - by,
        )  # fmt: skip
    visit.refresh_from_db()
    if visit.appointment_id is not None:
        visit.appointment.refresh_from_db()
    return visit


@unscoped
def catalog_world():
    """A supplier and three catalog products (two neurotoxins and a consumable), priced per model."""
    from types import SimpleNamespace

    from inventory_orders.models import CatalogProduct, Supplier

    supplier = Supplier.objects.create(name="Toxin Co", disclaimer="Ships refrigerated.")

    def product(sku, name, category, market, legacy, launch, flex):
        return CatalogProduct.objects.create(
            supplier=supplier, sku=sku, name=name, category=category, unit="vial", pack_size="100 units",
            market_price=Decimal(market), price_legacy=Decimal(legacy), price_launch=Decimal(launch),
            price_flex=Decimal(flex),
        )  # fmt: skip

    return SimpleNamespace(
        supplier=supplier,
        toxin=product("T-100", "Toxin 100", "neurotoxin", "650", "612", "589", "579"),
        toxin_50=product("T-50", "Toxin 50", "neurotoxin", "340", "318", "306", "301"),
        gloves=product("G-1", "Gloves", "consumable", "14.50", "13.20", "12.60", "12.40"),
    )


@unscoped
def shipping_address(medspa):
    medspa.shipping_line1, medspa.shipping_city = "2150 Fifth Ave", "San Diego"
    medspa.shipping_state, medspa.shipping_postal_code = "CA", "92101"
    medspa.save()
    return medspa

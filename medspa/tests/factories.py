"""Factories for the medspa app's models that tests/factories.py does not build (the cast's: Medspa, User,
Membership, ProviderProfile, ProviderLicence, Patient, Invitation)."""

import factory
from django.utils import timezone

from medspa.models import (
    ApiToken,
    MasqueradeEvent,
    MedicalDirectorRequest,
    PatientAccessLog,
    PatientImport,
    PatientProvider,
    TextMessage,
    TextThread,
    UserSession,
)
from tests.factories import (
    MedspaFactory,
    MembershipFactory,
    PatientFactory,
    TenantFactory,
    UserFactory,
)


class ApiTokenFactory(TenantFactory):
    class Meta:
        model = ApiToken

    user = factory.SubFactory(UserFactory)
    name = "Reports export"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        instance, _token = model_class.objects.create(*args, **kwargs)  # knox: (row, the token shown once)
        return instance


class MedicalDirectorRequestFactory(TenantFactory):
    class Meta:
        model = MedicalDirectorRequest

    medspa = factory.SubFactory(MedspaFactory)
    requested_by = factory.SubFactory(UserFactory)


class PatientProviderFactory(TenantFactory):
    class Meta:
        model = PatientProvider

    patient = factory.SubFactory(PatientFactory)
    membership = factory.SubFactory(MembershipFactory, medspa=factory.SelfAttribute("..patient.medspa"))


class PatientImportFactory(TenantFactory):
    class Meta:
        model = PatientImport

    medspa = factory.SubFactory(MedspaFactory)
    uploaded_by = factory.SubFactory(UserFactory)
    filename = "patients.csv"
    rows = factory.LazyFunction(
        lambda: [
            {
                "line": 2,
                "data": {"first_name": "Ada", "last_name": "Byron", "date_of_birth": "1985-12-10"},
                "errors": [],
                "duplicate_of": "",
            }
        ]
    )


class PatientAccessLogFactory(TenantFactory):
    class Meta:
        model = PatientAccessLog

    medspa = factory.SubFactory(MedspaFactory)
    patient = factory.SubFactory(PatientFactory, medspa=factory.SelfAttribute("..medspa"))
    actor = factory.SubFactory(UserFactory)
    viewed = "chart"


class MasqueradeEventFactory(TenantFactory):
    class Meta:
        model = MasqueradeEvent

    medspa = factory.SubFactory(MedspaFactory)
    action = MasqueradeEvent.Action.START
    actor = factory.SubFactory(UserFactory, is_staff=True)
    target = factory.SubFactory(UserFactory)


class UserSessionFactory(TenantFactory):
    class Meta:
        model = UserSession

    user = factory.SubFactory(UserFactory)
    session_key = factory.Sequence(lambda n: f"session{n:032d}")


class TextThreadFactory(TenantFactory):
    class Meta:
        model = TextThread

    medspa = factory.SubFactory(MedspaFactory)
    patient = factory.SubFactory(PatientFactory, medspa=factory.SelfAttribute("..medspa"))
    phone = factory.Sequence(lambda n: f"+1619555{n % 10000:04d}")
    last_message_at = factory.LazyFunction(timezone.now)


class TextMessageFactory(TenantFactory):
    class Meta:
        model = TextMessage

    thread = factory.SubFactory(TextThreadFactory)
    medspa = factory.SelfAttribute("thread.medspa")
    direction = TextMessage.Direction.INBOUND
    from_number = factory.SelfAttribute("thread.phone")
    to_number = "+16195550100"
    body = "Can I move my appointment to Friday?"
    provider_sid = factory.Sequence(lambda n: f"SM{n:032d}")

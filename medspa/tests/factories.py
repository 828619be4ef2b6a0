"""Factories for the medspa app's models that tests/factories.py does not build (the cast's: Medspa, User,
Membership, ProviderProfile, ProviderLicence, Patient, Invitation)."""

import factory

from medspa.models import (
    ApiToken,
    MasqueradeEvent,
    MedicalDirectorRequest,
    PatientAccessLog,
    PatientImport,
    PatientProvider,
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

from medspa.models.api_tokens import ApiToken
from medspa.models.audit import MasqueradeEvent, PatientAccessLog
from medspa.models.patients import Patient, PatientImport, PatientProvider
from medspa.models.tenancy import (
    Invitation,
    MedicalDirectorRequest,
    Medspa,
    Membership,
    ProviderLicence,
    ProviderProfile,
)
from medspa.models.texting import TextMessage, TextThread
from medspa.models.users import User, UserSession

__all__ = [
    "ApiToken",
    "Invitation",
    "MasqueradeEvent",
    "MedicalDirectorRequest",
    "Medspa",
    "Membership",
    "Patient",
    "PatientAccessLog",
    "PatientImport",
    "PatientProvider",
    "ProviderLicence",
    "ProviderProfile",
    "TextMessage",
    "TextThread",
    "User",
    "UserSession",
]

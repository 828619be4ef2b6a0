from medspa.models.audit import PatientAccessLog
from medspa.models.patients import Patient
from medspa.models.tenancy import Invitation, Medspa, Membership, ProviderLicence, ProviderProfile
from medspa.models.users import User, UserSession

__all__ = [
    "Invitation",
    "Medspa",
    "Membership",
    "Patient",
    "PatientAccessLog",
    "ProviderLicence",
    "ProviderProfile",
    "User",
    "UserSession",
]

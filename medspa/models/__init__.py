from medspa.models.api_tokens import ApiToken
from medspa.models.audit import MasqueradeEvent, PatientAccessLog
from medspa.models.patients import Patient, PatientImport, PatientProvider
from medspa.models.payments import (
    CardPayment,
    CardRefund,
    Dispute,
    SavedCard,
    StripeAccount,
    StripeCustomer,
    StripeEvent,
)
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
    "CardPayment",
    "CardRefund",
    "Dispute",
    "SavedCard",
    "StripeAccount",
    "StripeCustomer",
    "StripeEvent",
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

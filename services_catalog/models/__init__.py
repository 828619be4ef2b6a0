"""The Services / Products domain: the Portrait library (rows with no medspa) and each medspa's own
service groups, services, consents, care messages, standing orders, intake forms and retail products.

Consents, care messages and standing orders are versioned: editing one adds a version and never changes
an old one (the database refuses), so whatever was signed or sent keeps pointing at the exact text it
used."""

from services_catalog.models.catalog import LibraryService, RetailProduct, Service, ServiceGroup
from services_catalog.models.intake import FieldKind, IntakeForm, IntakeFormVersion, RecordField
from services_catalog.models.texts import (
    CareMessage,
    CareMessageVersion,
    Consent,
    ConsentSignature,
    ConsentVersion,
    StandingOrder,
    StandingOrderSignoff,
    StandingOrderVersion,
)

__all__ = [
    "CareMessage",
    "CareMessageVersion",
    "Consent",
    "ConsentSignature",
    "ConsentVersion",
    "FieldKind",
    "IntakeForm",
    "IntakeFormVersion",
    "LibraryService",
    "RecordField",
    "RetailProduct",
    "Service",
    "ServiceGroup",
    "StandingOrder",
    "StandingOrderSignoff",
    "StandingOrderVersion",
]

"""The refusals of the Services / Products rules; each message says why."""

from medspa.errors import DomainError
from medspa.selectors.masquerade import SignatureNotPersonal


class ServiceRuleBroken(DomainError):
    """A change the Services / Products rules do not allow; the message says why."""


class ImportedServiceLocked(ServiceRuleBroken):
    """Only the price (and whether it is active) of an imported service can change."""


class LibraryTextLocked(ServiceRuleBroken):
    """Portrait's library texts are changed by Portrait only."""


class SignoffNotPersonal(ServiceRuleBroken, SignatureNotPersonal):
    """A standing-order sign-off or a consent's witness while masquerading: only the person themself."""


# Said by the services and beside the disabled buttons while masquerading.
SIGNOFF_NOT_PERSONAL = "sign off a standing order as the medical director"
WITNESS_NOT_PERSONAL = "witness a patient's consent signature"


class IntakeFormInvalid(ServiceRuleBroken):
    """An intake form's questions that do not follow the form's schema; the message names the question."""


class CareMessageTimingInvalid(ServiceRuleBroken):
    """A lead time on a care message sent after the treatment: only pre-care is sent ahead of a visit."""

    field = "lead_hours"

"""The refusals of GFE management: each says why, in words a medspa's staff can act on."""

from medspa.errors import DomainError
from medspa.selectors.masquerade import SignatureNotPersonal
from services_catalog.models import Service


class GfeRuleBroken(DomainError):
    """A GFE action the rules do not allow; the message says why."""


class ClearanceMissing(GfeRuleBroken):
    """The gate: a service needs a valid clearance the patient does not have (a 409 for the API, naming the
    services to request a GFE for)."""

    status_code = 409

    def __init__(self, services: list[Service]):
        self.services = services
        names = ", ".join(service.display_name for service in services)
        pronoun = "it" if len(services) == 1 else "them"
        super().__init__(f"No valid GFE clearance for {names}: request a GFE for {pronoun} first.")

    def api_data(self) -> dict:
        return {"detail": self.message, "missing": [service.pk for service in self.services]}


class ExamNotPersonal(GfeRuleBroken, SignatureNotPersonal):
    """A GFE exam signed while masquerading: the clearer's licence and signature are theirs alone."""


# Said on the self-clearance page and by the services while an admin masquerades.
EXAM_NOT_PERSONAL = (
    "sign a GFE exam under their licence and signature. If you are licensed to clear, stop masquerading "
    "and clear the patient under your own licence"
)


class ReviewLinkInvalid(GfeRuleBroken):
    """The clearer's link has expired or was already used."""

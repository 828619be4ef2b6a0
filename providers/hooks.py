"""What the Provider dashboard adds to the core: a patient a provider has seen in a visit is theirs."""

from django.db.models import Exists, OuterRef

from medspa.selectors import provider_patient_link_register
from providers.models import Visit


def visit_link(membership) -> Exists:
    return Exists(Visit.objects.filter(patient=OuterRef("pk"), provider=membership))


provider_patient_link_register(visit_link)

"""What the Provider dashboard adds to the core: a patient a provider has seen in a visit is theirs
(registered by ProvidersConfig.ready)."""

from django.db.models import Exists, OuterRef

from providers.models import Visit


def visit_link(membership) -> Exists:
    return Exists(Visit.objects.filter(patient=OuterRef("pk"), provider=membership))

"""Which consents a service needs, and which of a patient's signatures cover them: the one rule the provider's
chart and the patient's paperwork before the visit share."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from services_catalog.models import ConsentSignature, ConsentVersion, Service

# A patient's signature on a consent version covers later visits for a year; a new version needs a new one.
CONSENT_VALID_FOR = timedelta(days=365)


def current_consent_versions(services: Iterable[Service]) -> list[ConsentVersion]:
    """The current version of every consent the services need, once each, by title. Prefetch
    "consents__versions" and "library_service__consents__versions" on the services to read them at once."""
    versions: dict[int, ConsentVersion] = {}
    for service in services:
        for consent in service.effective_consents():
            version = consent.current_version
            if version is not None:
                versions.setdefault(version.pk, version)
    return sorted(versions.values(), key=lambda version: version.consent.title)


def covering_signatures(
    *, patient_ids: Iterable[int], version_ids: Iterable[int], at: datetime
) -> dict[int, ConsentSignature]:
    """The newest signature of each consent version by any of these patient records that covers a visit
    at `at`: signed within CONSENT_VALID_FOR before it (or any time since), by version id."""
    found: dict[int, ConsentSignature] = {}
    for signature in ConsentSignature.objects.filter(
        patient_id__in=list(patient_ids),
        version_id__in=list(version_ids),
        signed_at__gte=at - CONSENT_VALID_FOR,
    ).order_by("-signed_at"):
        found.setdefault(signature.version_id, signature)
    return found

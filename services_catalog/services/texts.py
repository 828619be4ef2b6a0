"""Consents, care messages and standing orders: each edit a new version, the medical director's sign-off, and
a patient's signature on one exact consent version."""

from django.db import transaction
from django.db.models import Max

from medspa.models import Medspa, Membership, Patient, User
from medspa.selectors.masquerade import signature_personal_require
from services_catalog import models
from services_catalog.services.errors import (
    SIGNOFF_NOT_PERSONAL,
    WITNESS_NOT_PERSONAL,
    CareMessageTimingInvalid,
    LibraryTextLocked,
    ServiceRuleBroken,
    SignoffNotPersonal,
)

VERSION_MODELS = {
    models.Consent: models.ConsentVersion,
    models.CareMessage: models.CareMessageVersion,
    models.StandingOrder: models.StandingOrderVersion,
}


@transaction.atomic
def text_create(*, model: type, medspa: Medspa | None, title: str, text: str, by: User | None, **extra):
    """Creates a consent, care message or standing order with its first version. medspa=None makes it
    Portrait's (staff only)."""
    if model is models.CareMessage:
        _lead_time_check(extra.get("timing", models.CareMessage.Timing.POST), extra.get("lead_hours"))
    document = model(medspa=medspa, title=title.strip(), **extra)
    document.full_clean()
    document.save()
    VERSION_MODELS[model].objects.create(**{_parent(model): document}, number=1, text=text, created_by=by)
    return document


@transaction.atomic
def text_revise(*, document, text: str, by: User | None, title: str | None = None, as_portrait: bool = False):
    """Saves an edit as a new version; every older version stays exactly as it was. An unchanged text
    adds no version. Library texts change only through Portrait (as_portrait)."""
    if document.is_library and not as_portrait:
        raise LibraryTextLocked("This text is Portrait's: create your own to change it.")
    model = type(document)
    document = model._base_manager.select_for_update().get(pk=document.pk)
    if title is not None and title.strip() != document.title:
        document.title = title.strip()
        document.full_clean()
        document.save(update_fields=["title", "updated_at"])
    current = document.versions.order_by("-number").first()
    if current is not None and current.text == text:
        return current
    number = (document.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    version = VERSION_MODELS[model].objects.create(
        **{_parent(model): document}, number=number, text=text, created_by=by
    )
    document.save(update_fields=["updated_at"])
    return version


LEAD_TIME_AFTER = (
    "Only a message sent before the treatment is sent hours ahead: leave “Send hours before” empty for a "
    "message sent after it."
)


def _lead_time_check(timing: str, lead_hours: int | None) -> None:
    if lead_hours is not None and timing != models.CareMessage.Timing.PRE:
        raise CareMessageTimingInvalid(LEAD_TIME_AFTER)


@transaction.atomic
def care_message_timing_set(
    *, care_message: models.CareMessage, timing: str, lead_hours: int | None, as_portrait: bool = False
) -> models.CareMessage:
    """When a care message is sent: after the treatment, or before it (`lead_hours` before the appointment,
    or with the booking's confirmation when None). Library messages change only through Portrait."""
    if care_message.is_library and not as_portrait:
        raise LibraryTextLocked("This text is Portrait's: create your own to change it.")
    _lead_time_check(timing, lead_hours)
    if (care_message.timing, care_message.lead_hours) != (timing, lead_hours):
        care_message.timing, care_message.lead_hours = timing, lead_hours
        care_message.save(update_fields=["timing", "lead_hours", "updated_at"])
    return care_message


def _parent(model: type) -> str:
    return {
        models.Consent: "consent",
        models.CareMessage: "care_message",
        models.StandingOrder: "standing_order",
    }[model]


@transaction.atomic
def standing_order_sign(*, medspa: Medspa, version: models.StandingOrderVersion, membership: Membership):
    """The medspa's medical director signs the current version of a standing order: themself, never
    someone masquerading as them."""
    signature_personal_require(SIGNOFF_NOT_PERSONAL, error=SignoffNotPersonal)
    if medspa.medical_director_id != membership.pk:
        raise ServiceRuleBroken("Only your medical director can sign standing orders.")
    if version.standing_order.medspa_id not in (None, medspa.pk):
        raise ServiceRuleBroken("This standing order is not one of yours.")
    if version.standing_order.current_version.pk != version.pk:
        raise ServiceRuleBroken("A newer version of this standing order exists: sign that one.")
    signoff, _ = models.StandingOrderSignoff.objects.get_or_create(
        medspa=medspa, version=version, defaults={"signed_by": membership}
    )
    return signoff


@transaction.atomic
def consent_sign(
    *, patient: Patient, version: models.ConsentVersion, signature, witnessed_by: User, ip: str | None
) -> models.ConsentSignature:
    """Records a patient's signature on one exact consent version, witnessed by `witnessed_by` in person
    (never by someone masquerading as them)."""
    if witnessed_by is not None:
        signature_personal_require(WITNESS_NOT_PERSONAL, error=SignoffNotPersonal)
    if version.consent.medspa_id not in (None, patient.medspa_id):
        raise ServiceRuleBroken("This consent is not one of this medspa's.")
    return models.ConsentSignature.objects.create(
        medspa_id=patient.medspa_id,
        patient=patient,
        version=version,
        signature=signature,
        witnessed_by=witnessed_by,
        ip=ip,
    )

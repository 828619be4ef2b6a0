"""Writes of the Services / Products tab. Every rule holds here, whatever the caller (page, API, admin)."""

from django.db import IntegrityError, transaction
from django.db.models import Max

from medspa.errors import DomainError
from medspa.models import Medspa, Membership, Patient, User
from medspa.selectors.masquerade import SignatureNotPersonal, signature_personal_require
from services_catalog.models import (
    CareMessage,
    CareMessageVersion,
    Consent,
    ConsentSignature,
    ConsentVersion,
    LibraryService,
    RetailProduct,
    Service,
    ServiceGroup,
    StandingOrder,
    StandingOrderSignoff,
    StandingOrderVersion,
)

# What an imported service lets the medspa change: its content is Portrait's.
IMPORTED_EDITABLE = {"price", "is_active"}
CUSTOM_FIELDS = [
    "group",
    "name",
    "description",
    "price",
    "duration_minutes",
    "requires_gfe",
    "standing_order",
    "is_active",
]
VERSION_MODELS = {
    Consent: ConsentVersion,
    CareMessage: CareMessageVersion,
    StandingOrder: StandingOrderVersion,
}


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


@transaction.atomic
def service_import(*, medspa: Medspa, library_service: LibraryService) -> Service:
    """Imports a library service into `medspa` at the library's price, not yet active."""
    if not library_service.is_published:
        raise ServiceRuleBroken("This service is no longer offered in the Portrait library.")
    try:
        with transaction.atomic():
            return Service.objects.create(
                medspa=medspa, library_service=library_service, price=library_service.default_price
            )
    except IntegrityError:
        raise ServiceRuleBroken(f"{library_service.name} is already among your services.") from None


@transaction.atomic
def service_create(*, medspa: Medspa, data: dict) -> Service:
    """Creates a custom service: everything editable, in one of the medspa's own groups."""
    service = Service(medspa=medspa)
    return _service_apply(service, data)


@transaction.atomic
def service_update(*, service: Service, data: dict) -> Service:
    """Changes a service. An imported service refuses any change but its price and active flag, saying so
    (never silently ignoring the rest)."""
    if service.is_imported:
        refused = sorted(
            name for name in data if name not in IMPORTED_EDITABLE and _changes(service, name, data)
        )
        if refused:
            raise ImportedServiceLocked(
                f"{service.display_name} comes from the Portrait library: only its price and whether it is "
                f"active can change (not {', '.join(refused)}). Create a custom service to change more."
            )
        for name in IMPORTED_EDITABLE & set(data):
            setattr(service, name, data[name])
        service.full_clean()
        service.save()
        return service
    return _service_apply(service, data)


def _changes(service: Service, name: str, data: dict) -> bool:
    """Whether `data` would change field `name` of an imported service (sending the same value is fine)."""
    value = data[name]
    if name in {"consents", "care_messages"}:
        library = getattr(service.library_service, name).all()
        return {item.pk for item in value} != {item.pk for item in library}
    current = {
        "name": service.display_name,
        "description": service.display_description,
        "group": service.effective_group,
        "duration_minutes": service.effective_duration,
        "requires_gfe": service.effective_requires_gfe,
        "standing_order": service.effective_standing_order,
    }.get(name, getattr(service, name, None))
    return value != current


def _service_apply(service: Service, data: dict) -> Service:
    group = data.get("group", service.group if service.group_id else None)
    if group is not None and group.medspa_id != service.medspa_id:
        raise ServiceRuleBroken("Custom services belong to one of your own service groups.")
    for name in CUSTOM_FIELDS:
        if name in data:
            setattr(service, name, data[name])
    _check_texts_usable(service.medspa_id, [service.standing_order] if service.standing_order_id else [])
    service.full_clean()
    service.save()
    for name in ("consents", "care_messages"):
        if name in data:
            _check_texts_usable(service.medspa_id, data[name])
            getattr(service, name).set(data[name])
    return service


def _check_texts_usable(medspa_id: int, texts) -> None:
    for text in texts:
        if text.medspa_id not in (None, medspa_id):
            raise ServiceRuleBroken(
                "Use consents, care messages and standing orders of your own medspa or Portrait's."
            )


@transaction.atomic
def service_set_active(*, service: Service, active: bool) -> Service:
    """Activates or deactivates a service. Deactivating never deletes: its history stays."""
    service.is_active = active
    service.save(update_fields=["is_active", "updated_at"])
    return service


@transaction.atomic
def group_save(*, medspa: Medspa, data: dict, group: ServiceGroup | None = None) -> ServiceGroup:
    """Creates or edits one of the medspa's custom service groups (Portrait's are not theirs to edit)."""
    if group is not None and group.medspa_id != medspa.pk:
        raise ServiceRuleBroken("Portrait's library groups cannot be changed.")
    group = group or ServiceGroup(medspa=medspa)
    group.name = data["name"]
    group.description = data.get("description", "")
    group.full_clean()
    group.save()
    if "default_consents" in data:
        _check_texts_usable(medspa.pk, data["default_consents"])
        group.default_consents.set(data["default_consents"])
    return group


@transaction.atomic
def text_create(*, model: type, medspa: Medspa | None, title: str, text: str, by: User | None, **extra):
    """Creates a consent, care message or standing order with its first version. medspa=None makes it
    Portrait's (staff only)."""
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


def _parent(model: type) -> str:
    return {Consent: "consent", CareMessage: "care_message", StandingOrder: "standing_order"}[model]


@transaction.atomic
def standing_order_sign(*, medspa: Medspa, version: StandingOrderVersion, membership: Membership):
    """The medspa's medical director signs the current version of a standing order: themself, never
    someone masquerading as them."""
    signature_personal_require(SIGNOFF_NOT_PERSONAL, error=SignoffNotPersonal)
    if medspa.medical_director_id != membership.pk:
        raise ServiceRuleBroken("Only your medical director can sign standing orders.")
    if version.standing_order.medspa_id not in (None, medspa.pk):
        raise ServiceRuleBroken("This standing order is not one of yours.")
    if version.standing_order.current_version.pk != version.pk:
        raise ServiceRuleBroken("A newer version of this standing order exists: sign that one.")
    signoff, _ = StandingOrderSignoff.objects.get_or_create(
        medspa=medspa, version=version, defaults={"signed_by": membership}
    )
    return signoff


@transaction.atomic
def product_save(*, medspa: Medspa, data: dict, product: RetailProduct | None = None) -> RetailProduct:
    product = product or RetailProduct(medspa=medspa)
    for name in ("name", "sku", "price", "taxable", "is_active"):
        if name in data:
            setattr(product, name, data[name])
    product.full_clean()
    product.save()
    return product


@transaction.atomic
def consent_sign(
    *, patient: Patient, version: ConsentVersion, signature, witnessed_by: User, ip: str | None
) -> ConsentSignature:
    """Records a patient's signature on one exact consent version, witnessed by `witnessed_by` in person
    (never by someone masquerading as them)."""
    if witnessed_by is not None:
        signature_personal_require(WITNESS_NOT_PERSONAL, error=SignoffNotPersonal)
    if version.consent.medspa_id not in (None, patient.medspa_id):
        raise ServiceRuleBroken("This consent is not one of this medspa's.")
    return ConsentSignature.objects.create(
        medspa_id=patient.medspa_id,
        patient=patient,
        version=version,
        signature=signature,
        witnessed_by=witnessed_by,
        ip=ip,
    )

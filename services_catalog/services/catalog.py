"""Writes of the Services / Products tab: services (imported from the library or custom), service groups and
retail products. Every rule holds here, whatever the caller (page, API, admin)."""

from django.db import IntegrityError, transaction

from medspa.models import Medspa
from services_catalog.models import (
    LibraryService,
    RetailProduct,
    Service,
    ServiceGroup,
)
from services_catalog.models.catalog import SERVICE_FIELDS
from services_catalog.services.errors import ImportedServiceLocked, ServiceRuleBroken

# What an imported service lets the medspa change: its content is Portrait's.
IMPORTED_EDITABLE = {"price", "is_active"}
# The fields of a custom service but its consents and care messages (many-to-many, set after the save).
CUSTOM_FIELDS = [name for name in SERVICE_FIELDS if name not in ("consents", "care_messages")]


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
def product_save(*, medspa: Medspa, data: dict, product: RetailProduct | None = None) -> RetailProduct:
    product = product or RetailProduct(medspa=medspa)
    for name in ("name", "sku", "price", "taxable", "is_active"):
        if name in data:
            setattr(product, name, data[name])
    product.full_clean()
    product.save()
    return product

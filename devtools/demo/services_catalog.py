"""Demo data of the Services / Products tab: the Portrait library (services_catalog.services.library) and,
for the demo medspas, imported and custom services, signed standing orders and retail products.
Idempotent, like the rest of `seed_demo`."""

from decimal import Decimal

from medspa.models import Medspa
from services_catalog.models import (
    Consent,
    LibraryService,
    RetailProduct,
    Service,
    ServiceGroup,
)
from services_catalog.services import catalog, texts
from services_catalog.services.library import library_load

RETAIL = [
    ("Hydrating hyaluronic serum 30 ml", "SER-HA-30", "68.00"),
    ("Mineral sunscreen SPF 50", "SPF-50-MIN", "42.00"),
    ("Retinol night cream 0.5%", "RET-05-NC", "74.00"),
    ("Post-procedure recovery balm", "BALM-REC", "36.00"),
    ("Vitamin C brightening serum", "SER-VC-15", "88.00"),
]


def medspa_seed(medspa, *, imports: int) -> None:
    """Imports and activates the first `imports` library services, signs their standing orders (by the
    medical director, when there is one), and adds a custom group and the retail products."""
    director = medspa.medical_director
    for library_service in LibraryService.objects.order_by("group__position", "pk")[:imports]:
        service = Service.objects.filter(medspa=medspa, library_service=library_service).first()
        if service is None:
            service = catalog.service_import(medspa=medspa, library_service=library_service)
            catalog.service_set_active(service=service, active=True)
        order = library_service.standing_order
        if director is not None and order is not None:
            texts.standing_order_sign(medspa=medspa, version=order.current_version, membership=director)
    group = ServiceGroup.objects.filter(medspa=medspa, name="Signature treatments").first()
    if group is None:
        consent = texts.text_create(
            model=Consent,
            medspa=medspa,
            title="Consent for the signature facial",
            by=None,
            text=(
                "The signature facial combines a gentle enzyme exfoliation, lymphatic massage and an LED "
                "light session. Expected effects are brighter, more even skin for one to two weeks."
                "\n\nRisks are uncommon and mild: temporary redness, warmth, or sensitivity to products. "
                "Tell your provider about any new medications, pregnancy or recent sun exposure.\n\nI have "
                "read this consent, had my questions answered, and agree to the treatment."
            ),
        )
        group = catalog.group_save(
            medspa=medspa,
            data={
                "name": "Signature treatments",
                "description": "Treatments created by our team.",
                "default_consents": [consent],
            },
        )
        catalog.service_create(
            medspa=medspa,
            data={
                "group": group,
                "name": "Signature facial",
                "description": "Our 60-minute facial.",
                "price": Decimal("165.00"),
                "duration_minutes": 60,
                "requires_gfe": False,
                "consents": [consent],
                "is_active": True,
            },
        )
    for name, sku, price in RETAIL:
        if not RetailProduct.objects.filter(medspa=medspa, sku=sku).exists():
            catalog.product_save(medspa=medspa, data={"name": name, "sku": sku, "price": Decimal(price)})


def seed(medspas: dict[str, Medspa]) -> None:
    """The Portrait library, then twelve of its services in the Launch medspa and five in the Flex one."""
    library_load()
    medspa_seed(medspas["launch"], imports=12)
    medspa_seed(medspas["flex"], imports=5)

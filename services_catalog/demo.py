"""Demo data of the Services / Products tab: the Portrait library (services_catalog/library_data.py) and,
for the demo medspas, imported and custom services, signed standing orders and retail products.
Idempotent, like the rest of `seed_demo`."""

from decimal import Decimal

from services_catalog import library_data, services
from services_catalog.models import (
    CareMessage,
    Consent,
    LibraryService,
    RetailProduct,
    Service,
    ServiceGroup,
    StandingOrder,
)

RETAIL = [
    ("Hydrating hyaluronic serum 30 ml", "SER-HA-30", "68.00"),
    ("Mineral sunscreen SPF 50", "SPF-50-MIN", "42.00"),
    ("Retinol night cream 0.5%", "RET-05-NC", "74.00"),
    ("Post-procedure recovery balm", "BALM-REC", "36.00"),
    ("Vitamin C brightening serum", "SER-VC-15", "88.00"),
]


def _text(model, key: str, entry: dict, **extra):
    existing = model.library.filter(title=entry["title"]).first()
    if existing is not None:
        return existing
    return services.text_create(
        model=model, medspa=None, title=entry["title"], text=entry["text"], by=None, **extra
    )


def library_seed() -> int:
    """Loads the Portrait library; returns how many library services exist."""
    consents = {key: _text(Consent, key, entry) for key, entry in library_data.CONSENTS.items()}
    orders = {key: _text(StandingOrder, key, entry) for key, entry in library_data.STANDING_ORDERS.items()}
    messages = {
        key: _text(CareMessage, key, entry, timing=entry["timing"])
        for key, entry in library_data.CARE_MESSAGES.items()
    }
    for position, group_data in enumerate(library_data.GROUPS):
        group, _ = ServiceGroup.library.get_or_create(
            medspa=None, name=group_data["name"],
            defaults={"description": group_data["description"], "position": position},
        )  # fmt: skip
        for item in group_data["services"]:
            service, created = LibraryService.objects.get_or_create(
                name=item["name"],
                defaults={
                    "group": group, "description": item["description"],
                    "default_price": Decimal(item["price"]),
                    "duration_minutes": item["duration_minutes"], "requires_gfe": item["requires_gfe"],
                    "standing_order": orders.get(item["standing_order"]) if item["standing_order"] else None,
                },
            )  # fmt: skip
            if created:
                service.consents.set([consents[key] for key in item["consents"]])
                service.care_messages.set([messages[key] for key in item["care_messages"]])
    return LibraryService.objects.count()


def medspa_seed(medspa, *, imports: int) -> None:
    """Imports and activates the first `imports` library services, signs their standing orders (by the
    medical director, when there is one), and adds a custom group and the retail products."""
    director = medspa.medical_director
    for library_service in LibraryService.objects.order_by("group__position", "pk")[:imports]:
        service = Service.objects.filter(medspa=medspa, library_service=library_service).first()
        if service is None:
            service = services.service_import(medspa=medspa, library_service=library_service)
            services.service_set_active(service=service, active=True)
        order = library_service.standing_order
        if director is not None and order is not None:
            services.standing_order_sign(medspa=medspa, version=order.current_version, membership=director)
    group = ServiceGroup.objects.filter(medspa=medspa, name="Signature treatments").first()
    if group is None:
        consent = services.text_create(
            model=Consent, medspa=medspa, title="Consent for the signature facial", by=None,
            text=(
                "The signature facial combines a gentle enzyme exfoliation, lymphatic massage and an LED "
                "light session. Expected effects are brighter, more even skin for one to two weeks."
                "\n\nRisks are uncommon and mild: temporary redness, warmth, or sensitivity to products. "
                "Tell your provider about any new medications, pregnancy or recent sun exposure.\n\nI have "
                "read this consent, had my questions answered, and agree to the treatment."
            ),
        )  # fmt: skip
        group = services.group_save(
            medspa=medspa,
            data={"name": "Signature treatments", "description": "Treatments created by our team.",
                  "default_consents": [consent]},
        )  # fmt: skip
        services.service_create(
            medspa=medspa,
            data={"group": group, "name": "Signature facial", "description": "Our 60-minute facial.",
                  "price": Decimal("165.00"), "duration_minutes": 60, "requires_gfe": False,
                  "consents": [consent], "is_active": True},
        )  # fmt: skip
    for name, sku, price in RETAIL:
        if not RetailProduct.objects.filter(medspa=medspa, sku=sku).exists():
            services.product_save(medspa=medspa, data={"name": name, "sku": sku, "price": Decimal(price)})


def demo_seed(*, medspas: dict) -> None:
    library_seed()
    medspa_seed(medspas["launch"], imports=12)
    medspa_seed(medspas["flex"], imports=5)

"""Demo data of inventory ordering: a realistic supplier catalog (prices per business model, savings against
market price, supplier disclaimers) and a few orders of each demo medspa along their review. Idempotent."""

from decimal import Decimal

from django.utils import timezone

from inventory_orders.models import CatalogProduct, Category, Order, OrderEvent, Supplier
from inventory_orders.services import cart, orders, rules
from medspa.models import Medspa, User

COLD_CHAIN = (
    "Ships refrigerated (2–8 °C) by overnight courier, Monday to Thursday. Inspect on arrival and refuse a "
    "package whose temperature indicator has tripped. Opened or reconstituted product cannot be returned."
)
SUPPLIERS = {
    "Allergan Aesthetics": COLD_CHAIN,
    "Galderma": COLD_CHAIN,
    "Evolus": COLD_CHAIN,
    "Merz Aesthetics": "Returns of unopened product within 30 days, in the original packaging.",
    "Henry Schein Medical": "Prices include ground shipping. Backordered items ship when they arrive.",
}
# (supplier, name, category, sku, unit, pack size, market, legacy, launch, flex, disclaimer)
CATALOG = [
    (
        "Allergan Aesthetics",
        "Botox Cosmetic (onabotulinumtoxinA)",
        Category.NEUROTOXIN,
        "ALG-BTX-100",
        "vial",
        "100 units",
        "650.00",
        "612.00",
        "589.00",
        "579.00",
        "For use by licensed practitioners only.",
    ),
    (
        "Allergan Aesthetics",
        "Botox Cosmetic (onabotulinumtoxinA)",
        Category.NEUROTOXIN,
        "ALG-BTX-50",
        "vial",
        "50 units",
        "340.00",
        "318.00",
        "306.00",
        "301.00",
        "",
    ),
    (
        "Allergan Aesthetics",
        "Juvéderm Ultra XC",
        Category.FILLER,
        "ALG-JUX-1",
        "syringe",
        "1 mL",
        "329.00",
        "309.00",
        "297.00",
        "292.00",
        "",
    ),
    (
        "Allergan Aesthetics",
        "Juvéderm Voluma XC",
        Category.FILLER,
        "ALG-JVO-1",
        "syringe",
        "1 mL",
        "399.00",
        "374.00",
        "359.00",
        "353.00",
        "",
    ),
    (
        "Galderma",
        "Dysport (abobotulinumtoxinA)",
        Category.NEUROTOXIN,
        "GAL-DYS-300",
        "vial",
        "300 units",
        "545.00",
        "512.00",
        "493.00",
        "485.00",
        "For use by licensed practitioners only.",
    ),
    (
        "Galderma",
        "Restylane-L",
        Category.FILLER,
        "GAL-RSL-1",
        "syringe",
        "1 mL",
        "309.00",
        "290.00",
        "279.00",
        "274.00",
        "",
    ),
    (
        "Galderma",
        "Restylane Kysse",
        Category.FILLER,
        "GAL-RKY-1",
        "syringe",
        "1 mL",
        "339.00",
        "318.00",
        "306.00",
        "301.00",
        "",
    ),
    (
        "Galderma",
        "Sculptra",
        Category.BIOSTIMULATOR,
        "GAL-SCU-2",
        "box",
        "2 vials",
        "890.00",
        "838.00",
        "808.00",
        "795.00",
        "Reconstitute at least 24 hours before use.",
    ),
    (
        "Evolus",
        "Jeuveau (prabotulinumtoxinA-xvfs)",
        Category.NEUROTOXIN,
        "EVO-JEU-100",
        "vial",
        "100 units",
        "560.00",
        "520.00",
        "499.00",
        "489.00",
        "",
    ),
    (
        "Merz Aesthetics",
        "Xeomin (incobotulinumtoxinA)",
        Category.NEUROTOXIN,
        "MRZ-XEO-100",
        "vial",
        "100 units",
        "555.00",
        "518.00",
        "498.00",
        "489.00",
        "No refrigeration needed before reconstitution.",
    ),
    (
        "Merz Aesthetics",
        "Radiesse (+)",
        Category.BIOSTIMULATOR,
        "MRZ-RAD-15",
        "syringe",
        "1.5 mL",
        "429.00",
        "402.00",
        "387.00",
        "380.00",
        "",
    ),
    (
        "Henry Schein Medical",
        'Insulin syringes 0.3 mL, 31G × 5/16"',
        Category.CONSUMABLE,
        "HSM-SYR-31",
        "box",
        "100 syringes",
        "42.00",
        "38.50",
        "36.90",
        "36.20",
        "",
    ),
    (
        "Henry Schein Medical",
        "Blunt-tip cannulas 25G × 38 mm",
        Category.CONSUMABLE,
        "HSM-CAN-25",
        "box",
        "20 cannulas",
        "96.00",
        "88.00",
        "84.50",
        "83.00",
        "",
    ),
    (
        "Henry Schein Medical",
        "Alcohol prep pads, sterile",
        Category.CONSUMABLE,
        "HSM-ALC-200",
        "box",
        "200 pads",
        "9.80",
        "8.90",
        "8.50",
        "8.30",
        "",
    ),
    (
        "Henry Schein Medical",
        "Nitrile exam gloves, medium",
        Category.CONSUMABLE,
        "HSM-GLV-M",
        "box",
        "100 gloves",
        "14.50",
        "13.20",
        "12.60",
        "12.40",
        "",
    ),
    (
        "Henry Schein Medical",
        "Glycolic acid peel 30%",
        Category.SKINCARE,
        "HSM-GLY-30",
        "bottle",
        "60 mL",
        "68.00",
        "62.00",
        "59.50",
        "58.40",
        "Professional use only; not for resale.",
    ),
    (
        "Henry Schein Medical",
        "Topical anesthetic cream (lidocaine 23%)",
        Category.SKINCARE,
        "HSM-LID-23",
        "jar",
        "30 g",
        "54.00",
        "49.50",
        "47.40",
        "46.50",
        "",
    ),
]


def catalog_seed() -> None:
    suppliers = {}
    for name, disclaimer in SUPPLIERS.items():
        suppliers[name], _ = Supplier.objects.get_or_create(name=name, defaults={"disclaimer": disclaimer})
    for supplier, name, category, sku, unit, pack, market, legacy, launch, flex, disclaimer in CATALOG:
        CatalogProduct.objects.get_or_create(
            sku=sku,
            defaults={
                "supplier": suppliers[supplier],
                "name": name,
                "category": category,
                "unit": unit,
                "pack_size": pack,
                "market_price": Decimal(market),
                "price_legacy": Decimal(legacy),
                "price_launch": Decimal(launch),
                "price_flex": Decimal(flex),
                "disclaimer": disclaimer,
            },
        )


def orders_seed(medspa: Medspa, staff: User) -> None:
    """A delivered order, one approved with changes, and one awaiting review (with something in the cart)."""
    if Order.objects.filter(medspa=medspa).exists():
        return
    admin = medspa.memberships.filter(is_admin=True).select_related("user").first().user
    products = {product.sku: product for product in CatalogProduct.objects.all()}
    delivery = rules.earliest_delivery()

    def place(lines: dict[str, int], key: str) -> Order:
        for sku, quantity in lines.items():
            cart.cart_line_set(medspa=medspa, product=products[sku], quantity=quantity)
        return orders.order_submit(
            medspa=medspa,
            by=admin,
            delivery_date=delivery,
            payment_method="card",
            notes="",
            idempotency_key=f"demo-{medspa.slug}-{key}",
        )

    delivered = place({"ALG-BTX-100": 4, "HSM-SYR-31": 2, "HSM-ALC-200": 3}, "1")
    orders.order_approve(order=delivered, by=staff)
    orders.order_ship(order=delivered, by=staff, carrier="UPS", tracking_number="1Z999AA10123456784")
    orders.order_deliver(order=delivered, by=staff, today=delivered.delivery_date)
    changed = place({"GAL-RSL-1": 10, "ALG-JUX-1": 6}, "2")
    line = changed.lines.get(product=products["ALG-JUX-1"])
    orders.order_change(
        order=changed,
        by=staff,
        note="Juvéderm Ultra XC is backordered: 4 ship now, the rest next week.",
        changes=[orders.LineChange(line=line, quantity=4)],
    )
    place({"EVO-JEU-100": 2, "HSM-GLV-M": 5}, "3")
    cart.cart_line_set(medspa=medspa, product=products["GAL-DYS-300"], quantity=1)
    # Demo history, not news: its steps are marked emailed, so seeding sends the admins nothing.
    OrderEvent.objects.filter(medspa=medspa, emailed_at__isnull=True).update(
        emailed_at=timezone.now(), email_next_attempt_at=None
    )


def seed(medspas: dict[str, Medspa]) -> None:
    """The supplier catalog and each demo medspa's orders."""
    catalog_seed()
    staff = User.objects.filter(is_staff=True).order_by("pk").first()
    for medspa in medspas.values():
        orders_seed(medspa, staff)

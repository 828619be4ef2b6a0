"""Demo data of the Provider dashboard: a few months of service visits in each demo medspa (consents signed,
products and lots recorded, paid, charts signed), retail sales, a partial refund, one chart left unsigned
(so the To-Do has it) and one of today's appointments checked in.

Everything is made through the real charting and checkout services, at the present moment, and then dated
back to its day (the history of months cannot be made in the past otherwise); the append-only triggers
are set aside for that one update and nothing else. Idempotent, like the rest of `seed_demo`: nothing is
added once the demo medspas have visits."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from io import BytesIO

import pgtrigger
from django.db.models import Q
from django.utils import timezone
from PIL import Image, ImageDraw

from gfe.selectors import clearances as gfe_selectors
from gfe.services import decisions as gfe_decisions
from medspa.models import Medspa, Membership, Patient, PatientProvider
from medspa.money import ZERO
from providers.models import Payment, Refund, Sale, Visit
from providers.selectors import charts
from providers.services import charting, checkout, settlement
from providers.services.settlement import Tender
from scheduling.models import Appointment, AppointmentStatus, Location
from scheduling.services import booking
from services_catalog.models import ConsentSignature, RetailProduct, Service
from services_catalog.selectors import catalog as catalog_selectors
from services_catalog.services import catalog as catalog_services

SALES_TAX = {"CA": Decimal("7.25"), "IL": Decimal("10.25")}
PRODUCTS = [  # made only for a demo medspa without retail products
    ("Gentle hydrating cleanser", "CLN-HYD", "32.00"),
    ("Mineral sunscreen SPF 50", "SPF-50-MIN", "42.00"),
    ("Post-procedure recovery balm", "BALM-REC", "36.00"),
]
# What was used in a visit, by the service's name: (product, units, unit label, lot).
USED = {
    "Neurotoxin": ("Botox Cosmetic (onabotulinumtoxinA)", Decimal("20"), "units", "C7412B"),
    "Dermal filler": ("Juvederm Ultra XC", Decimal("1"), "syringe", "V41LA"),
}
NOTES = {
    "Neurotoxin": "Glabellar complex treated per standing order. No bruising. Follow-up in two weeks.",
    "Dermal filler": "Lips: 1 syringe, cannula and needle. Mild swelling expected; ice given.",
    "Chemical peel": "Superficial peel, two passes. Even frost. Strict sun protection discussed.",
    "Signature facial": "Enzyme exfoliation, lymphatic massage, LED 15 minutes. Skin calm afterwards.",
}
EXAM = {
    "history_reviewed": True,
    "medications_reviewed": True,
    "allergies_reviewed": True,
    "diagnoses": "Cosmetic concern; no contraindications found.",
    "icd10_codes": "L90.8",
}
# Set aside only to date the demo's rows back: a signed chart, payments, refunds, signatures.
DATING_BACK = (
    "providers.Visit:signed_chart_locked",
    "providers.Payment:append_only",
    "providers.Refund:append_only",
    "services_catalog.ConsentSignature:append_only",
)


@dataclass(frozen=True)
class DemoVisit:
    days_ago: int
    provider: int  # index among the medspa's providers (oldest membership first)
    service: str
    tenders: tuple[str, ...] = ("card",)  # the last one takes the rest of the total
    tip: Decimal = ZERO
    discount: Decimal = ZERO
    signed: bool = True
    refund: Decimal = ZERO


VISITS = {
    "launch": [
        DemoVisit(150, 0, "Neurotoxin: glabellar lines"),
        DemoVisit(128, 1, "Dermal filler: lips", ("card", "cash"), tip=Decimal("50")),
        DemoVisit(104, 2, "Chemical peel: superficial", tip=Decimal("20")),
        DemoVisit(83, 0, "Neurotoxin: upper face (three areas)", ("financing",)),
        DemoVisit(61, 1, "Neurotoxin: glabellar lines", tip=Decimal("40"), refund=Decimal("50.00")),
        DemoVisit(40, 2, "Neurotoxin: glabellar lines", ("gift_credit", "card"), tip=Decimal("25")),
        DemoVisit(22, 0, "Dermal filler: lips", discount=Decimal("69.50")),
        DemoVisit(9, 1, "Chemical peel: superficial", ("cash",), tip=Decimal("30")),
        DemoVisit(4, 1, "Neurotoxin: glabellar lines", signed=False),  # the To-Do's overdue chart
    ],
    "flex": [
        DemoVisit(120, 0, "Signature facial", tip=Decimal("20")),
        DemoVisit(75, 0, "Signature facial", ("gift_credit", "card")),
        DemoVisit(33, 0, "Signature facial", ("financing",), tip=Decimal("15")),
        DemoVisit(12, 0, "Signature facial", ("card", "cash"), tip=Decimal("25")),
    ],
}
RETAIL_DAYS = {"launch": (45, 15), "flex": (50, 18)}


def signature_png() -> bytes:
    """A drawn signature, as the signature pad sends it."""
    image = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(12, 78), (70, 24), (128, 70), (196, 30), (288, 52)], fill="black", width=3)
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _moment(location: Location, days_ago: int, hour: int) -> datetime:
    day = timezone.now().astimezone(location.tz).date() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour), tzinfo=location.tz)


def _service(medspa: Medspa, name: str) -> Service | None:
    """The medspa's active service of that name, if it may be performed (its standing order signed off)."""
    service = (
        Service.objects.filter(medspa=medspa, is_active=True)
        .filter(Q(library_service__name=name) | Q(library_service__isnull=True, name=name))
        .select_related("library_service")
        .first()
    )
    if service is None or not catalog_selectors.standing_order_is_signed(
        medspa, service.effective_standing_order
    ):
        return None
    return service


def _cleared(patient: Patient, service: Service, clearer: Membership | None) -> bool:
    """Makes sure the GFE gate lets `service` through for `patient` (a provider who may clear clears)."""
    if not gfe_selectors.gate_missing(patient, [service]):
        return True
    if clearer is None:
        return False
    decisions = {service.pk: gfe_decisions.Decision("cleared")}
    gfe_decisions.gfe_self_clear(
        membership=clearer, patient=patient, exam=EXAM, decisions=decisions, notify=False
    )
    return True


def _tenders(methods: tuple[str, ...], total: Decimal) -> list[Tender]:
    """Splits `total` over the methods: the first ones take a round part, the last the rest."""
    tenders, left = [], total
    for method in methods[:-1]:
        part = min(left, Decimal("100.00"))
        tenders.append(Tender(method, part, "demo"))
        left -= part
    return [*tenders, Tender(methods[-1], left, "4242" if methods[-1] == "card" else "")]


def _date_back(*, sale: Sale, when: datetime, visit: Visit | None = None, signed_after=None) -> None:
    """Moves a sale (and its visit) made just now to `when`."""
    paid_at = when + timedelta(minutes=50)
    with pgtrigger.ignore(*DATING_BACK):
        Sale.objects.filter(pk=sale.pk).update(created_at=when, paid_at=paid_at)
        Payment.objects.filter(sale=sale).update(received_at=paid_at)
        if visit is not None:
            signed_at = when + signed_after if signed_after is not None else None
            Visit.objects.filter(pk=visit.pk).update(
                started_at=when, completed_at=paid_at, chart_signed_at=signed_at
            )
            signatures = visit.consents.filter(signed_in_visit=True).values("signature")
            ConsentSignature.objects.filter(pk__in=signatures).update(signed_at=when + timedelta(minutes=5))


def _visit(
    plan: DemoVisit,
    *,
    patient: Patient,
    provider: Membership,
    location: Location,
    service: Service,
    png: bytes,
) -> Visit:
    """One walk-in visit, charted and paid through the services, its chart signed unless the plan says not."""
    by = provider.user
    visit = charting.visit_start_walk_in(patient=patient, provider=provider, location=location, by=by)
    performed = charting.visit_service_add(visit=visit, service=service)
    kind = next((key for key in NOTES if service.display_name.startswith(key)), "")
    if kind in USED:
        name, units, label, lot = USED[kind]
        expires_on = timezone.now().date() + timedelta(days=300)
        charting.visit_product_add(
            visit=visit,
            name=name,
            units=units,
            unit_label=label,
            lot_number=lot,
            expires_on=expires_on,
            visit_service=performed,
        )
    for need in charts.consents_needed(visit):
        if not need.is_covered:
            charting.visit_consent_sign(visit=visit, version=need.version, signature_png=png, by=by, ip=None)
    charting.visit_notes_save(visit=visit, notes=NOTES.get(kind, "Treatment as planned; no complications."))
    lines = checkout.visit_lines(visit)
    total = settlement.totals_for(lines, discount=plan.discount, tip=plan.tip, tax_percent=ZERO).total
    sale = checkout.visit_checkout(
        visit=visit,
        tenders=_tenders(plan.tenders, total),
        by=by,
        tip=plan.tip,
        discount=plan.discount,
        discount_reason="Loyalty: every fifth treatment" if plan.discount else "",
    )
    if plan.signed:
        charting.chart_sign(visit=visit, by=by)
    when = _moment(location, plan.days_ago, 10 + plan.days_ago % 7)
    _date_back(sale=sale, when=when, visit=visit, signed_after=timedelta(hours=3) if plan.signed else None)
    if plan.refund:
        payment = sale.payments.order_by("pk").first()
        refund = checkout.sale_refund(
            sale=sale,
            payment=payment,
            amount=plan.refund,
            by=by,
            reason="Touch-up was not needed: goodwill refund",
            idempotency_key=f"demo-refund-{sale.pk}",
        )
        with pgtrigger.ignore(*DATING_BACK):
            Refund.objects.filter(pk=refund.pk).update(refunded_at=when + timedelta(days=14))
    return visit


def _retail(
    *,
    provider: Membership,
    location: Location,
    patient: Patient,
    products: list[RetailProduct],
    days_ago: int,
) -> Sale:
    by = provider.user
    sale = checkout.retail_sale_open(provider=provider, location=location, by=by, patient=patient)
    for quantity, product in enumerate(products, start=1):
        sale = checkout.retail_line_set(sale=sale, product=product, quantity=Decimal(quantity))
    sale = checkout.retail_checkout(sale=sale, tenders=_tenders(("cash", "card"), sale.total), by=by)
    _date_back(sale=sale, when=_moment(location, days_ago, 15))
    return sale


def _check_in_one_of_today(medspa: Medspa) -> None:
    """Checks in the first of today's booked appointments (the calendar then offers to start a visit)."""
    now = timezone.now()
    for appointment in (
        Appointment.objects.filter(
            medspa=medspa,
            status__in=[AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED],
            start__range=(now - timedelta(hours=38), now + timedelta(hours=38)),
        )
        .select_related("location")
        .order_by("start")
    ):
        tz = appointment.location.tz
        if appointment.start.astimezone(tz).date() == now.astimezone(tz).date():
            booking.appointment_status_set(appointment=appointment, status=AppointmentStatus.CHECKED_IN)
            return


def medspa_seed(medspa: Medspa, plans: list[DemoVisit], retail_days: tuple[int, ...], png: bytes) -> None:
    for location in Location.objects.filter(medspa=medspa, sales_tax_percent=0):
        location.sales_tax_percent = SALES_TAX.get(location.state, Decimal("7.25"))
        location.save(update_fields=["sales_tax_percent"])
    if not RetailProduct.objects.filter(medspa=medspa).exists():
        for name, sku, price in PRODUCTS:
            catalog_services.product_save(
                medspa=medspa, data={"name": name, "sku": sku, "price": Decimal(price)}
            )
    location = Location.objects.filter(medspa=medspa, is_active=True).order_by("pk").first()
    providers = list(
        Membership.objects.filter(medspa=medspa, is_provider=True, is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    if location is None or not providers:
        return
    clearers = gfe_selectors.self_clearing_providers(medspa)
    clearer = next(
        (m for m in clearers if m.pk == medspa.medical_director_id), clearers[0] if clearers else None
    )
    patients = list(Patient.objects.filter(medspa=medspa).exclude(status="archived").order_by("pk"))
    assigned: dict[int, list[Patient]] = {}
    for row in (
        PatientProvider.objects.filter(patient__in=patients).select_related("patient").order_by("patient")
    ):
        assigned.setdefault(row.membership_id, []).append(row.patient)
    taken = 0
    for plan in plans:
        provider = providers[plan.provider % len(providers)]
        service = _service(medspa, plan.service)
        pool = assigned.get(provider.pk) or patients[1:] or patients
        if service is None or not pool:
            continue
        patient = pool[taken % len(pool)]
        taken += 1
        if _cleared(patient, service, clearer):
            _visit(plan, patient=patient, provider=provider, location=location, service=service, png=png)
    products = list(RetailProduct.objects.filter(medspa=medspa, is_active=True).order_by("pk")[:2])
    if products and patients:
        for number, days_ago in enumerate(retail_days):
            customer = patients[-1 - number]
            _retail(
                provider=providers[0],
                location=location,
                patient=customer,
                products=products,
                days_ago=days_ago,
            )


def seed(medspas: dict[str, Medspa]) -> None:
    """Months of visits and retail sales in each demo medspa, and one of today's appointments checked in."""
    if Visit.objects.filter(medspa__in=medspas.values()).exists():
        return
    png = signature_png()
    for key, medspa in medspas.items():
        medspa_seed(medspa, VISITS.get(key, []), RETAIL_DAYS.get(key, ()), png)
    _check_in_one_of_today(medspas["launch"])

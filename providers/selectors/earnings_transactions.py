"""Earnings' transaction list: the paid sales and the refunds of a period together, newest first, in one
query however it is sliced, and each sale's lines and payment methods in one more (the page and the CSV
export read it; the figures are providers.selectors.earnings')."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from zoneinfo import ZoneInfo

from django.core.paginator import Page, Paginator
from django.db.models import (
    CharField,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    QuerySet,
    StringAgg,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from medspa.models import Medspa
from medspa.money import ZERO
from providers.models import Payment, PaymentMethod, Sale, SaleKind, SaleLine
from providers.selectors.earnings import (
    MONEY_FIELD,
    InDollars,
    Period,
    Scope,
    paid_sales,
    provider_name,
    refunds_given,
)

PER_PAGE = 50
METHOD_LABELS = dict(PaymentMethod.choices)
KIND_LABELS = {
    SaleKind.VISIT: "Service visit",
    SaleKind.RETAIL: "Retail",
    SaleKind.FEE: "Appointment fee",
    "refund": "Refund",
}

COLUMNS = [
    "at",
    "kind",
    "row_id",
    "sale_id",
    "patient_id",
    "patient_first",
    "patient_last",
    "provider_name",
    "discount",
    "tax",
    "tip",
    "total",
    "methods",
    "portrait",
]


def _negated(name: str) -> ExpressionWrapper:
    return ExpressionWrapper(-F(name), output_field=MONEY_FIELD)


def transactions(scope: Scope, period: Period) -> QuerySet:
    """Paid sales and refunds of the period together, newest first, as dicts of COLUMNS: one query (a
    UNION ALL) however it is sliced. A sale's lines and payment methods come with sale_details()."""
    no_money, no_text = Value(None, output_field=MONEY_FIELD), Value(None, output_field=CharField())
    sales = paid_sales(scope, period).annotate(
        at=F("paid_at"),
        row_id=F("pk"),
        sale_id=F("pk"),
        patient_first=F("patient__first_name"),
        patient_last=F("patient__last_name"),
        provider_name=provider_name("provider"),
        methods=no_text,
        portrait=F("portrait_share"),
    )
    refunds = refunds_given(scope, period).annotate(
        at=F("refunded_at"),
        kind=Value("refund"),
        row_id=F("pk"),
        patient_id=F("sale__patient_id"),
        patient_first=F("sale__patient__first_name"),
        patient_last=F("sale__patient__last_name"),
        provider_name=provider_name("sale__provider"),
        discount=no_money,
        tax=_negated("tax_part"),
        tip=_negated("tip_part"),
        total=_negated("amount"),
        methods=F("payment__method"),
        portrait=_negated("portrait_part"),
    )
    return (
        sales.order_by()
        .values(*COLUMNS)
        .union(refunds.order_by().values(*COLUMNS), all=True)
        .order_by("-at", "-row_id")
    )


def _line_sum(kind: str) -> Coalesce:
    amounts = (
        SaleLine.objects.filter(sale=OuterRef("pk"), kind=kind)
        .order_by()
        .values("sale")
        .annotate(line_total=Sum("amount"))
        .values("line_total")
    )
    return Coalesce(Subquery(amounts, output_field=MONEY_FIELD), Value(ZERO), output_field=MONEY_FIELD)


def sale_details(medspa: Medspa, sale_ids: Iterable[int]) -> dict[int, dict]:
    """Services, products used, retail, the payment methods of these sales, and Stripe's fee on their card
    payments with the day the last of them was paid out, by id: one query."""
    sale_ids = list(sale_ids)
    if not sale_ids:
        return {}
    methods = (
        Payment.objects.filter(sale=OuterRef("pk"))
        .order_by()
        .values("sale")
        .annotate(methods=StringAgg("method", Value(","), distinct=True, order_by="method"))
        .values("methods")
    )
    card_payments = (
        Payment.objects.filter(sale=OuterRef("pk"), card_payment__isnull=False).order_by().values("sale")
    )
    fees = card_payments.annotate(fee=Sum("card_payment__fee")).values("fee")
    paid_out = card_payments.annotate(last=Max("card_payment__paid_out_at")).values("last")
    rows = (
        Sale.objects.filter(medspa=medspa, pk__in=sale_ids)
        .order_by()
        .values("pk")
        .annotate(
            services=_line_sum(SaleLine.Kind.SERVICE),
            products=_line_sum(SaleLine.Kind.PRODUCT),
            retail=_line_sum(SaleLine.Kind.RETAIL),
            methods=Subquery(methods),
            stripe_fee=Subquery(fees),
            paid_out_at=Subquery(paid_out),
        )
    )
    return {row["pk"]: row for row in rows}


@dataclass(frozen=True)
class TransactionRow(InDollars):
    """One line of the transaction list: a paid sale, or a refund (its amounts negative)."""

    at: datetime
    kind: str
    row_id: int
    sale_id: int
    patient: str
    provider: str
    services: Decimal | None
    products: Decimal | None
    retail: Decimal | None
    discount: Decimal | None
    tax: Decimal
    tip: Decimal
    total: Decimal
    methods: tuple[str, ...]
    portrait_share: Decimal
    link: str | None = None
    patient_id: int | None = None
    stripe_fee: Decimal | None = None  # Stripe's fee on the sale's card payments, once Stripe told it
    paid_out_at: datetime | None = None

    @classmethod
    def of(cls, values: dict, details: dict | None, tz: ZoneInfo, link=None) -> "TransactionRow":
        """From a row of transactions() and, for a sale, its sale_details()."""
        first, last = values["patient_first"], values["patient_last"]
        details = details or {"services": None, "products": None, "retail": None, "methods": None}
        methods = (details["methods"] or values["methods"] or "").split(",")
        return cls(
            at=values["at"].astimezone(tz),
            kind=values["kind"],
            row_id=values["row_id"],
            sale_id=values["sale_id"],
            patient=f"{first} {last}" if first or last else "",
            provider=values["provider_name"],
            services=details["services"],
            products=details["products"],
            retail=details["retail"],
            discount=values["discount"],
            tax=values["tax"],
            tip=values["tip"],
            total=values["total"],
            methods=tuple(METHOD_LABELS.get(m, m) for m in methods if m),
            portrait_share=values["portrait"],
            link=link(values["sale_id"]) if link else None,
            patient_id=values["patient_id"],
            stripe_fee=details.get("stripe_fee"),
            paid_out_at=details["paid_out_at"].astimezone(tz) if details.get("paid_out_at") else None,
        )

    @property
    def is_refund(self) -> bool:
        return self.kind == "refund"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def number(self) -> str:
        return f"S-{self.sale_id:06d}"


def transaction_rows(scope: Scope, period: Period, rows: list[dict], link=None) -> list[TransactionRow]:
    """Rows of transactions() completed with their sales' details (one query)."""
    details = sale_details(scope.medspa, {row["sale_id"] for row in rows if row["kind"] != "refund"})
    return [
        TransactionRow.of(
            row, None if row["kind"] == "refund" else details.get(row["sale_id"]), period.tz, link
        )
        for row in rows
    ]


class _CountedPaginator(Paginator):
    """A paginator told its count (the summary's), so that paging the union costs no COUNT query."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def transaction_page(
    scope: Scope, period: Period, *, number, count: int, link=None
) -> tuple[Page, list[TransactionRow]]:
    """One page of PER_PAGE transactions (an unknown page number gives the nearest page): two queries."""
    page = _CountedPaginator(transactions(scope, period), PER_PAGE, count=count).get_page(number)
    return page, transaction_rows(scope, period, list(page.object_list), link)

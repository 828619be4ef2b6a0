"""`make bench`: how fast Earnings answers for a busy medspa's year.

Seeds its own Flex medspa ("Bench earnings", a fresh `bench-…` slug each run, America/New_York, Portrait's
share 15 %): 8 providers, 500 patients and 20,000 paid sales spread over the last 365 days, inserted with
bulk_create: about 70 % service visits (one or two services, sometimes a product used, sometimes a tip) and
30 % retail (taxable lines), some discounted, a fifth paid by two methods (card with cash, financing or gift
credit), 3 % partly refunded later. Every figure follows checkout's arithmetic (total = subtotal - discount +
tax + tip, the payments add up to it, the refunds' parts are proportional). Then it times, through the test
client, N runs of each page after a warm-up:

- the admin's Earnings page (the whole medspa, the default 12 months)      target p50 < 500 ms
- the same page, a random page of the transaction list                     target p50 < 500 ms
- a provider's own Earnings page (about 2,500 sales)                       target p50 < 500 ms
- the CSV export of the whole year (fewer runs: each streams 20,000+ rows)

and prints p50 / p95 / max in milliseconds with the queries each made, then deletes what it made (unless
--keep). The sales, visits, payments and refunds are seeded without audit events; the audit tables keep
those of the medspa, its people and patients: they are append-only by design.

Run it against the tests' embedded database (`make bench` sets DJANGO_SETTINGS_MODULE=tests.settings), not
the demo one."""

import random
import secrets
from datetime import timedelta
from decimal import Decimal

import pgtrigger
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from devtools import bench
from medspa import clock
from medspa.models import Medspa, Membership, Patient
from medspa.money import ZERO, cents, percent_of, share
from providers.models import Payment, Refund, Sale, SaleKind, SaleLine, SaleStatus, Visit, VisitStatus
from scheduling.models import Location

PROVIDERS, PATIENTS, SALES, DAYS = 8, 500, 20_000, 365
VISIT_SHARE, SPLIT_SHARE, DISCOUNT_SHARE, REFUND_SHARE = 0.7, 0.2, 0.1, 0.03
SPLIT_PERCENT, TAX_PERCENT = Decimal("15.00"), Decimal("8.875")
SERVICES = [
    ("Neurotoxin", "325.00"),
    ("Dermal filler", "650.00"),
    ("Microneedling", "400.00"),
    ("Laser facial", "275.00"),
    ("Chemical peel", "180.00"),
]
PRODUCTS_USED = [("Neurotoxin units", "12.00"), ("Filler syringe", "120.00")]
RETAIL = [
    ("Vitamin C serum", "89.99"),
    ("Mineral sunscreen", "42.00"),
    ("Retinol cream", "74.50"),
    ("Hydrating mask", "25.00"),
]
TIMEZONE = "America/New_York"
# The audit trail's insert triggers: skipped for these made-up rows (they would make seeding ten times slower
# and leave 60,000 events of rows deleted at the end).
AUDIT_TRIGGERS = [f"providers.{model}:insert_insert" for model in ("Visit", "Sale", "Payment", "Refund")]


class Command(bench.BenchCommand):
    help = (
        "Benchmarks the Earnings pages and CSV export on a seeded Flex medspa with 20,000 paid sales over a "
        "year (visits and retail, split payments, refunds); prints p50 / p95 / max and query counts."
    )

    measured = "page"
    analyzed_models = (Sale, SaleLine, Payment, Refund, Visit, Patient, Membership)
    labels = {
        "admin_page": "admin earnings page (12 months)",
        "admin_page_deep": "admin page, a random list page",
        "provider_page": "provider earnings page",
        "csv_export": "CSV export, the whole year",
    }
    targets_ms = {"admin_page": 500.0, "admin_page_deep": 500.0, "provider_page": 500.0}
    judged_by = "p50"
    counts_queries = True
    footnote = "{runs} runs of each page after a warm-up; queries of one request, the session's included"

    # --- Seeding ----------------------------------------------------------------------------------------

    @transaction.atomic
    def seed(self, rng: random.Random) -> dict:
        token = secrets.token_hex(4)
        medspa = Medspa.objects.create(
            name="Bench earnings",
            slug=f"bench-{token}",
            time_zone=TIMEZONE,
            business_model="flex",
            flex_revenue_split_percent=SPLIT_PERCENT,
        )
        admin, providers = bench.bench_team(medspa, token, PROVIDERS)
        TOTP.activate(providers[0].user, bench.TOTP_SECRET)  # the provider whose own page is measured
        location = bench.bench_location(medspa, TIMEZONE, sales_tax_percent=TAX_PERCENT)
        patients = bench.bench_patients(medspa, PATIENTS)
        with pgtrigger.ignore(*AUDIT_TRIGGERS):
            counts = self._sales(rng, medspa, admin, providers, location, patients)
        return {"medspa": medspa, "admin": admin, "providers": providers, "location": location, **counts}

    def describe(self, world: dict) -> str:
        return (
            f"{PROVIDERS} providers, {world['sales']:,} paid sales ({world['visits']:,} visits, "
            f"{world['lines']:,} lines, {world['payments']:,} payments, {world['refunds']:,} refunds) "
            f"over {DAYS} days"
        )

    def _sales(self, rng, medspa, admin, providers, location, patients) -> dict:
        """20,000 paid sales with their lines, visits, payments and refunds, by checkout's arithmetic."""
        now = timezone.now()
        drafts = []  # (sale, lines, tenders)
        for _ in range(SALES):
            provider, patient = rng.choice(providers), rng.choice(patients)
            paid_at = now - timedelta(seconds=rng.randrange(DAYS * 24 * 3600))
            is_visit = rng.random() < VISIT_SHARE
            if is_visit:
                lines = [("service", *rng.choice(SERVICES), 1, False) for _ in range(rng.choice((1, 1, 2)))]
                if rng.random() < 0.3:
                    lines.append(("product", *rng.choice(PRODUCTS_USED), rng.randint(1, 4), False))
            else:
                lines = [
                    ("retail", *rng.choice(RETAIL), rng.randint(1, 3), True) for _ in range(rng.randint(1, 3))
                ]
            lines = [
                (kind, name, Decimal(price), quantity, taxable)
                for kind, name, price, quantity, taxable in lines
            ]
            subtotal = sum((price * quantity for _, _, price, quantity, _ in lines), ZERO)
            taxable = sum((price * quantity for _, _, price, quantity, taxed in lines if taxed), ZERO)
            discount = cents(subtotal * Decimal("0.1")) if rng.random() < DISCOUNT_SHARE else ZERO
            tax = percent_of(taxable - share(discount, taxable, subtotal), TAX_PERCENT)
            tip = (
                cents(Decimal(rng.choice((10, 20, 25, 40, 50)))) if is_visit and rng.random() < 0.4 else ZERO
            )
            total = subtotal - discount + tax + tip
            sale = Sale(
                medspa=medspa,
                kind=SaleKind.VISIT if is_visit else SaleKind.RETAIL,
                patient=patient,
                provider=provider,
                location=location,
                status=SaleStatus.PAID,
                subtotal=subtotal,
                discount=discount,
                discount_reason="Loyalty" if discount else "",
                tax_percent=TAX_PERCENT,
                tax=tax,
                tip=tip,
                total=total,
                portrait_percent=SPLIT_PERCENT,
                portrait_share=percent_of(subtotal - discount, SPLIT_PERCENT),
                created_by=admin,
                paid_at=paid_at,
            )
            if rng.random() < SPLIT_SHARE and total > 20:
                first = cents(total * Decimal(rng.choice(("0.5", "0.6", "0.75"))))
                tenders = [("card", first), (rng.choice(("cash", "financing", "gift_credit")), total - first)]
            else:
                tenders = [(rng.choice(("card", "card", "card", "cash", "financing")), total)]
            drafts.append((sale, lines, tenders))

        visits = Visit.objects.bulk_create(
            (
                Visit(
                    medspa=medspa,
                    patient=sale.patient,
                    provider=sale.provider,
                    location=location,
                    status=VisitStatus.COMPLETED,
                    started_by=admin,
                    completed_at=sale.paid_at,
                )
                for sale, _, _ in drafts
                if sale.kind == SaleKind.VISIT
            ),
            batch_size=2000,
        )
        visit_of = iter(visits)
        for sale, _, _ in drafts:
            if sale.kind == SaleKind.VISIT:
                sale.visit = next(visit_of)
        sales = Sale.objects.bulk_create([sale for sale, _, _ in drafts], batch_size=2000)
        lines = SaleLine.objects.bulk_create(
            (
                SaleLine(
                    medspa=medspa,
                    sale=sale,
                    kind=kind,
                    description=name,
                    quantity=quantity,
                    unit_price=price,
                    amount=cents(price * quantity),
                    taxable=taxed,
                )
                for sale, (_, drafted, _) in zip(sales, drafts, strict=True)
                for kind, name, price, quantity, taxed in drafted
            ),
            batch_size=5000,
        )
        payments = Payment.objects.bulk_create(
            (
                Payment(medspa=medspa, sale=sale, method=method, amount=amount, recorded_by=admin)
                for sale, (_, _, tenders) in zip(sales, drafts, strict=True)
                for method, amount in tenders
            ),
            batch_size=5000,
        )
        refunds = self._refunds(rng, medspa, admin, payments, now)
        # The paid and refund times are the seeded ones (auto_now_add stamped the insert time).
        Refund.objects.bulk_create(refunds, batch_size=5000)
        for refund in refunds:
            refund.refunded_at = refund.seeded_at
        with pgtrigger.ignore("providers.Refund:append_only"):
            Refund.objects.bulk_update(refunds, ["refunded_at"], batch_size=1000)
        return {
            "sales": len(sales),
            "visits": len(visits),
            "lines": len(lines),
            "payments": len(payments),
            "refunds": len(refunds),
        }

    def _refunds(self, rng, medspa, admin, payments, now) -> list[Refund]:
        """A partial refund of the first payment of 3 % of the sales, days after the sale, with checkout's
        proportional parts of tax, tip and Portrait's share."""
        refunds, seen = [], set()
        for payment in payments:
            sale = payment.sale
            if sale.pk in seen or rng.random() >= REFUND_SHARE:
                continue
            seen.add(sale.pk)
            amount = cents(payment.amount * Decimal(rng.choice(("0.25", "0.5", "1"))))
            if amount <= 0:
                continue
            tax_part, tip_part = share(amount, sale.tax, sale.total), share(amount, sale.tip, sale.total)
            revenue_part = amount - tax_part - tip_part
            refund = Refund(
                medspa=medspa,
                sale=sale,
                payment=payment,
                amount=amount,
                reason="Bench refund",
                tax_part=tax_part,
                tip_part=tip_part,
                portrait_part=share(revenue_part, sale.portrait_share, sale.revenue),
                refunded_by=admin,
                idempotency_key=f"bench-{sale.pk}",
            )
            refund.seeded_at = min(now, sale.paid_at + timedelta(days=rng.randint(1, 30)))
            refunds.append(refund)
        return refunds

    # --- Measuring --------------------------------------------------------------------------------------

    def measure(self, world: dict, rng: random.Random, *, runs: int, warmup: int) -> dict[str, bench.Timing]:
        admin = bench.signed_in_client(world["admin"])
        provider = bench.signed_in_client(world["providers"][0].user)
        admin_url, provider_url = reverse("providers:admin_earnings"), reverse("providers:earnings")
        csv_url = reverse("providers:admin_earnings_csv")
        pages = -(-(world["sales"] + world["refunds"]) // 50)

        def page(client, url, query=None):
            def get():
                with override_settings(ALLOWED_HOSTS=["testserver"]):
                    response = client.get(url, query() if callable(query) else query or {})
                assert response.status_code == 200, response.status_code
                assert b"S-" in response.content

            return get

        # The whole seeded year: the export's default period starts on the 1st of the month 11 months back,
        # which leaves out up to a month of the 365 seeded days.
        today = clock.today(world["medspa"])
        year = {"start": (today - timedelta(days=365)).isoformat(), "end": today.isoformat()}

        def export():
            with override_settings(ALLOWED_HOSTS=["testserver"]):
                response = admin.get(csv_url, year)
                assert response.status_code == 200, response.status_code
                size = sum(1 for _ in response.streaming_content)
            assert size > world["sales"], size

        operations = {
            "admin_page": (page(admin, admin_url), runs),
            "admin_page_deep": (page(admin, admin_url, lambda: {"page": rng.randint(2, pages)}), runs),
            "provider_page": (page(provider, provider_url), runs),
            "csv_export": (export, max(3, runs // 10)),
        }
        return {
            key: bench.time_with_queries(operation, count, min(warmup, count))
            for key, (operation, count) in operations.items()
        }

    # --- Cleaning up ----------------------------------------------------------------------------------

    def clean_up(self, world: dict) -> None:
        medspa = world["medspa"]
        # Payments, refunds and visits are never deleted in the product; the bench's own go, triggers aside.
        with (
            transaction.atomic(),
            pgtrigger.ignore(
                "providers.Payment:append_only",
                "providers.Refund:append_only",
                "providers.Visit:never_deleted",
            ),
        ):
            bench.bench_medspa_delete(medspa, first=[Refund, Payment, SaleLine, Sale, Visit, Location])

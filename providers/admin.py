"""Django admin of the Provider dashboard for Portrait staff: visits, sales and care messages, read-only.

Charts, payments and refunds change only through the provider's pages, where the rules (the GFE gate,
consents, the chart lock, money that adds up) are enforced and audited. Photos are not shown here: they
open only to the visit's provider."""

from django.contrib import admin

from medspa.admin import PatientReadLogAdmin, ReadOnlyAdmin, ReadOnlyInline
from providers.models import (
    CareMessageLog,
    ChartAddendum,
    Payment,
    Refund,
    Sale,
    SaleLine,
    Visit,
    VisitConsent,
    VisitProduct,
    VisitService,
)


class VisitServiceInline(ReadOnlyInline):
    model = VisitService
    fields = readonly_fields = ["service", "price", "standing_order_version", "added_at"]


class VisitConsentInline(ReadOnlyInline):
    model = VisitConsent
    fields = readonly_fields = ["version", "signature", "signed_in_visit"]


class VisitProductInline(ReadOnlyInline):
    model = VisitProduct
    fields = readonly_fields = ["name", "units", "unit_label", "unit_price", "lot_number", "expires_on"]


class ChartAddendumInline(ReadOnlyInline):
    model = ChartAddendum
    fields = readonly_fields = ["text", "signed_by", "signed_at"]


@admin.register(Visit)
class VisitAdmin(PatientReadLogAdmin, ReadOnlyAdmin):
    list_display = ["id", "medspa", "patient", "provider", "status", "started_at", "chart_signed_at"]
    list_filter = ["status", ("chart_signed_at", admin.EmptyFieldListFilter), "medspa"]
    search_fields = ["patient__last_name", "provider__user__email"]
    date_hierarchy = "started_at"
    list_select_related = ["medspa", "patient", "provider__user"]
    fields = readonly_fields = [
        "medspa",
        "patient",
        "provider",
        "appointment",
        "location",
        "status",
        "notes",
        "started_at",
        "started_by",
        "completed_at",
        "signed_on_behalf_at",
        "signed_on_behalf_by",
        "signed_on_behalf_of",
        "chart_signed_at",
        "chart_signed_by",
        "void_reason",
    ]
    inlines = [VisitServiceInline, VisitConsentInline, VisitProductInline, ChartAddendumInline]


class SaleLineInline(ReadOnlyInline):
    model = SaleLine
    fields = readonly_fields = ["kind", "description", "quantity", "unit_price", "amount", "taxable"]


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = readonly_fields = ["method", "amount", "reference", "received_at", "recorded_by"]


class RefundInline(ReadOnlyInline):
    model = Refund
    fk_name = "sale"
    fields = readonly_fields = [
        "payment",
        "amount",
        "reason",
        "tax_part",
        "tip_part",
        "portrait_part",
        "refunded_at",
        "refunded_by",
    ]


@admin.register(Sale)
class SaleAdmin(PatientReadLogAdmin, ReadOnlyAdmin):
    list_display = ["number", "medspa", "kind", "status", "provider", "total", "portrait_share", "paid_at"]
    list_filter = ["kind", "status", "medspa"]
    search_fields = ["patient__last_name", "provider__user__email", "receipt_email"]
    date_hierarchy = "created_at"
    list_select_related = ["medspa", "provider__user"]
    fields = readonly_fields = [
        "medspa",
        "kind",
        "visit",
        "patient",
        "provider",
        "location",
        "status",
        "subtotal",
        "discount",
        "discount_reason",
        "tax_percent",
        "tax",
        "tip",
        "total",
        "portrait_percent",
        "portrait_share",
        "receipt_email",
        "receipt_sent_at",
        "receipt_error",
        "created_at",
        "created_by",
        "paid_at",
    ]
    inlines = [SaleLineInline, PaymentInline, RefundInline]


@admin.register(CareMessageLog)
class CareMessageLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "medspa", "visit", "care_message", "channel", "status", "detail"]
    list_filter = ["status", "channel", "medspa"]
    list_select_related = ["medspa", "care_message"]
    date_hierarchy = "created_at"

"""Django admin of billing for Portrait staff (scopes are off here: TenantMiddleware). Everything is
read-only: bills are written once by the monthly job and the database refuses changes; plan periods follow
the medspa's own settings (billing.services.plan_follow)."""

from django.contrib import admin

from billing.models import Bill, BillLine, PlanPeriod
from medspa.admin import ReadOnlyAdmin, ReadOnlyInline


class BillLineInline(ReadOnlyInline):
    model = BillLine
    fields = ["position", "kind", "description", "quantity", "amount"]
    readonly_fields = fields
    ordering = ["position"]


@admin.register(Bill)
class BillAdmin(ReadOnlyAdmin):
    list_display = ["medspa", "month", "number", "total", "generated_at"]
    list_filter = ["month"]
    list_select_related = ["medspa"]
    search_fields = ["number", "medspa__name"]
    date_hierarchy = "month"
    fields = ["medspa", "month", "number", "total", "generated_at"]
    readonly_fields = fields
    inlines = [BillLineInline]


@admin.register(PlanPeriod)
class PlanPeriodAdmin(ReadOnlyAdmin):
    list_display = [
        "medspa",
        "business_model",
        "flex_revenue_split_percent",
        "keeps_coordinator",
        "starts_on",
        "ends_on",
    ]
    list_filter = ["business_model", "keeps_coordinator"]
    list_select_related = ["medspa"]
    search_fields = ["medspa__name"]
    ordering = ["medspa__name", "-starts_on"]

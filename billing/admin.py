"""Django admin of billing for Portrait staff (scopes are off here: TenantMiddleware). Everything is
read-only: bills are written once by the monthly job and the database refuses changes; their charge attempts
are made by billing.services.payments; plan periods follow the medspa's own settings
(billing.services.plan_follow)."""

from django.contrib import admin

from billing.models import Bill, BillCharge, BillLine, PlanPeriod
from billing.selectors import payments as bill_payments
from medspa.admin import ReadOnlyAdmin, ReadOnlyInline


class BillChargeInline(ReadOnlyInline):
    model = BillCharge
    fields = [
        "attempt",
        "attempted_at",
        "trigger",
        "card",
        "amount",
        "status",
        "error",
        "settled_at",
        "created_by",
        "card_payment",
        "receipt_sent_at",
        "receipt_error",
    ]
    readonly_fields = fields
    ordering = ["attempt"]


class PaymentFilter(admin.SimpleListFilter):
    """Past due (billing.selectors.payments.past_due) or not paid yet."""

    title = "payment"
    parameter_name = "payment"

    def lookups(self, request, model_admin):
        return [("past_due", "Past due"), ("unpaid", "Not paid yet")]

    def queryset(self, request, queryset):
        if self.value() == "past_due":
            return bill_payments.past_due(queryset)
        if self.value() == "unpaid":
            return bill_payments.unpaid(queryset)
        return queryset


class BillLineInline(ReadOnlyInline):
    model = BillLine
    fields = ["position", "kind", "description", "quantity", "amount"]
    readonly_fields = fields
    ordering = ["position"]


@admin.register(Bill)
class BillAdmin(ReadOnlyAdmin):
    list_display = ["medspa", "month", "number", "total", "payment", "generated_at"]
    list_filter = [PaymentFilter, "month"]
    list_select_related = ["medspa"]
    search_fields = ["number", "medspa__name"]
    date_hierarchy = "month"
    fields = ["medspa", "month", "number", "total", "generated_at"]
    readonly_fields = fields
    inlines = [BillLineInline, BillChargeInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("charges")

    @admin.display(description="Payment")
    def payment(self, bill: Bill) -> str:
        return bill_payments.bill_payment_state(bill, bill.charges.all(), card=None).label


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

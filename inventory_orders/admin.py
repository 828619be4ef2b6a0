"""Django admin of inventory ordering for Portrait staff (scopes are off here: TenantMiddleware).

The catalog (suppliers, products and their price per business model) and the ordering rules are edited
here. Orders are read-only: they change only through the review page at /inventory/queue/, where the
transitions are enforced, recorded in the timeline and emailed to the medspa. Pricing tickets are resolved
on the staff page too; here they can be searched and filtered."""

import pghistory.models
from django import forms
from django.apps import apps
from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from inventory_orders.models import (
    CatalogProduct,
    Order,
    OrderEvent,
    OrderingRules,
    OrderLine,
    PricingIssue,
    Supplier,
)
from inventory_orders.selectors.ordering import order_number
from medspa.admin import AuditEventAdmin, ReadOnlyAdmin, ReadOnlyInline
from medspa.money import money_format

PRICES_HELP = (
    "Saving new prices does not reprice the carts of the medspas: every checkout re-verifies each line "
    "against these prices, and when one moved, the cart is repriced and the admin sees the change before "
    "any order is placed. Orders already placed keep the prices they were placed at."
)


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "product_count"]
    list_filter = ["is_active"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(product_count=Count("products"))

    @admin.display(description="products", ordering="product_count")
    def product_count(self, obj):
        return obj.product_count


# A catalog product's fields, named once for its form and for the sections of its page.
PRODUCT_FIELDS = ["supplier", "name", "category", "sku", "description", "unit", "pack_size"]
PRICE_FIELDS = ["market_price", "price_legacy", "price_launch", "price_flex"]


class CatalogProductForm(forms.ModelForm):
    class Meta:
        model = CatalogProduct
        fields = [*PRODUCT_FIELDS, *PRICE_FIELDS, "disclaimer", "is_available"]

    def clean(self):
        cleaned = super().clean()
        # The database refuses these too (catalog_prices_positive, catalog_launch_not_below_flex); said here
        # in words, on the field to fix.
        for name in ("price_legacy", "price_launch", "price_flex"):
            if cleaned.get(name) is not None and cleaned[name] <= 0:
                self.add_error(name, "A price is more than $0.")
        launch, flex = cleaned.get("price_launch"), cleaned.get("price_flex")
        if launch is not None and flex is not None and launch > 0 and flex > 0 and launch < flex:
            self.add_error(
                "price_launch",
                f"The Launch price ({money_format(launch)}) must be at least the Flex price "
                f"({money_format(flex)}): Launch carries a slightly higher platform fee than Flex.",
            )
        return cleaned


@admin.register(CatalogProduct)
class CatalogProductAdmin(admin.ModelAdmin):
    form = CatalogProductForm
    list_display = [
        "name",
        "pack_size",
        "supplier",
        "category",
        "market_price",
        "price_legacy",
        "price_launch",
        "price_flex",
        "savings",
        "is_available",
    ]
    list_filter = ["category", "supplier", "is_available"]
    search_fields = ["name", "sku", "supplier__name"]
    list_select_related = ["supplier"]
    readonly_fields = ["updated_at"]
    fieldsets = [
        (
            None,
            {"fields": [*PRODUCT_FIELDS, "is_available"]},
        ),
        (
            "Prices",
            {
                "fields": PRICE_FIELDS,
                "description": PRICES_HELP,
            },
        ),
        ("Conditions", {"fields": ["disclaimer", "updated_at"]}),
    ]

    @admin.display(description="savings (Legacy / Launch / Flex)")
    def savings(self, obj):
        return " / ".join(
            _saving(obj.market_price, price) for price in (obj.price_legacy, obj.price_launch, obj.price_flex)
        )


def _saving(market, price) -> str:
    if not market:
        return "—"
    return f"{money_format(market - price)} ({(market - price) * 100 / market:.0f}%)"


@admin.register(OrderingRules)
class OrderingRulesAdmin(admin.ModelAdmin):
    list_display = ["__str__", "lead_days", "weekend_delivery"]

    def has_add_permission(self, request):
        return not OrderingRules.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["product_name", "supplier_name", "quantity", "unit_price", "market_price", "ordered"]
    readonly_fields = fields

    @admin.display(description="as ordered")
    def ordered(self, obj):
        if not obj.is_changed:
            return "—"
        return f"{obj.ordered_quantity} × {obj.ordered_product} at {money_format(obj.ordered_unit_price)}"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("ordered_product")


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["status", "note", "by", "at", "emailed_at", "email_error"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "medspa",
        "business_model",
        "status",
        "submitted_at",
        "delivery_date",
        "total",
        "review_link",
    ]
    list_filter = ["status", "business_model", "medspa"]
    search_fields = ["medspa__name", "tracking_number"]
    search_help_text = "A medspa's name, a tracking number, or an order number (PO-000123)."
    date_hierarchy = "submitted_at"
    list_select_related = ["medspa"]
    fields = [
        "review_link",
        "medspa",
        "status",
        "business_model",
        "delivery_date",
        "payment_method",
        "ship_to",
        "notes",
        "total",
        "submitted_by",
        "submitted_at",
        "review_note",
        "reviewed_by",
        "reviewed_at",
        "carrier",
        "tracking_number",
    ]
    readonly_fields = fields
    inlines = [OrderLineInline, OrderEventInline]

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        number = order_number(search_term)
        if number is not None:
            queryset |= self.model.objects.filter(pk=number)
        return queryset, may_have_duplicates

    @admin.display(description="order", ordering="pk")
    def number(self, obj):
        return obj.number

    @admin.display(description="review page")
    def review_link(self, obj):
        # Orders change only there: the review page runs the transitions and emails the medspa.
        label = "Review" if obj.status == "submitted" else "Open on the review page"
        return format_html('<a href="{}">{}</a>', reverse("inventory_staff:review", args=[obj.pk]), label)


@admin.register(PricingIssue)
class PricingIssueAdmin(ReadOnlyAdmin):
    list_display = [
        "reported_at",
        "medspa",
        "business_model",
        "order",
        "product",
        "status",
        "reported_by",
        "resolved_at",
    ]
    list_filter = ["status", "business_model", "medspa"]
    search_fields = ["message", "resolution", "medspa__name", "product__name"]
    date_hierarchy = "reported_at"
    list_select_related = ["medspa", "order", "product__supplier", "reported_by"]
    fields = [
        "tickets_link",
        "medspa",
        "business_model",
        "order",
        "product",
        "message",
        "reported_by",
        "reported_at",
        "status",
        "resolution",
        "resolved_by",
        "resolved_at",
    ]
    readonly_fields = fields

    @admin.display(description="resolve")
    def tickets_link(self, obj):
        return format_html('<a href="{}">Pricing tickets page</a>', reverse("inventory_staff:issues"))


# Who changed a catalog price or an order, and when (pghistory's audit rows).
for model in apps.get_app_config("inventory_orders").get_models():
    if issubclass(model, pghistory.models.Event):
        admin.site.register(model, AuditEventAdmin)

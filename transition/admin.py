"""Django admin of the transitions (the Legacy → Launch / Flex move, and a coordinator let go later) for
Portrait staff (scopes are off here: TenantMiddleware).

Transitions, their steps, confirmations, Acuity bookings and timeline are read-only: they change only through
the staff pages at /transitions/ (and the medspa's own page), where the rules are enforced and every action
lands on the timeline. The Legacy tools (the vendors' ids) are edited here or on the staff page."""

import pghistory.models
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from medspa.admin import AuditEventAdmin, ReadOnlyAdmin, ReadOnlyInline, email_state
from transition.models import (
    AcuityBooking,
    ConfirmationEmail,
    LegacyTools,
    ReleaseConfirmation,
    TimelineEntry,
    Transition,
    TransitionStep,
)


def _staff_link(transition_id: int, label: str = "Open on the staff page"):
    return format_html('<a href="{}">{}</a>', reverse("transition_staff:detail", args=[transition_id]), label)


class StepInline(ReadOnlyInline):
    model = TransitionStep
    fields = readonly_fields = [
        "position",
        "kind",
        "due_date",
        "status",
        "detail",
        "needs_hand",
        "attempts",
        "lost_runs",
        "lease_until",
        "external_ref",
        "done_by",
        "hand_note",
        "finished_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("done_by")


class ConfirmationInline(ReadOnlyInline):
    model = ReleaseConfirmation
    fields = readonly_fields = ["party", "name", "email", "target_email", "text", "ip", "confirmed_at"]


class ConfirmationEmailInline(ReadOnlyInline):
    model = ConfirmationEmail
    fields = readonly_fields = ["user", "requested_at", "sent_at", "email"]

    @admin.display(description="email")
    def email(self, obj):
        return email_state(obj.sent_at, obj.attempts, obj.next_attempt_at, obj.error)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class TimelineInline(ReadOnlyInline):
    model = TimelineEntry
    fields = readonly_fields = ["created_at", "actor", "step", "message"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "step")


@admin.register(Transition)
class TransitionAdmin(ReadOnlyAdmin):
    list_display = [
        "medspa",
        "kind",
        "target_model",
        "effective_date",
        "keeps_coordinator",
        "status",
        "requested_at",
        "staff_page",
    ]
    list_filter = ["kind", "status", "target_model", "keeps_coordinator"]
    search_fields = ["medspa__name"]
    date_hierarchy = "requested_at"
    list_select_related = ["medspa"]
    fields = readonly_fields = [
        "staff_page",
        "medspa",
        "kind",
        "target_model",
        "flex_revenue_split_percent",
        "effective_date",
        "keeps_coordinator",
        "status",
        "requested_by",
        "requested_at",
        "note",
        "decided_by",
        "decided_at",
        "decision_note",
        "completed_at",
        "openphone_target_email",
        "openphone_target_workspace",
        "openphone_account_by",
        "openphone_account_at",
        "openphone_acknowledged_at",
    ]
    inlines = [StepInline, ConfirmationInline, ConfirmationEmailInline, TimelineInline]

    @admin.display(description="staff page")
    def staff_page(self, obj):
        # Transitions change only there: decisions, retries, steps done by hand, Portrait's confirmation.
        return _staff_link(obj.pk)


@admin.register(LegacyTools)
class LegacyToolsAdmin(admin.ModelAdmin):
    list_display = ["medspa", "openphone_number", "openphone_number_id", "tigerconnect_group_id"]
    search_fields = ["medspa__name", "openphone_number", "openphone_number_id"]
    list_select_related = ["medspa"]
    autocomplete_fields = ["medspa"]


@admin.register(AcuityBooking)
class AcuityBookingAdmin(ReadOnlyAdmin):
    list_display = ["acuity_id", "medspa", "start", "appointment_type", "calendar", "status", "staff_page"]
    list_filter = ["status", "medspa"]
    search_fields = ["acuity_id", "last_name", "email"]
    date_hierarchy = "start"
    list_select_related = ["medspa"]
    fields = readonly_fields = [
        "staff_page",
        "medspa",
        "transition",
        "acuity_id",
        "start",
        "duration_minutes",
        "calendar",
        "appointment_type",
        "first_name",
        "last_name",
        "email",
        "phone",
        "status",
        "reason",
        "appointment",
        "resolved_by",
        "resolved_note",
        "resolved_at",
    ]

    @admin.display(description="transition")
    def staff_page(self, obj):
        return _staff_link(obj.transition_id)


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "medspa", "actor", "message"]
    list_filter = ["medspa"]
    search_fields = ["message"]
    date_hierarchy = "created_at"
    list_select_related = ["medspa", "actor"]
    fields = readonly_fields = ["medspa", "transition", "step", "actor", "message", "created_at"]


# Who changed a transition, a step or the Legacy tools, and when (pghistory's audit rows).
for model in apps.get_app_config("transition").get_models():
    if issubclass(model, pghistory.models.Event):
        admin.site.register(model, AuditEventAdmin)

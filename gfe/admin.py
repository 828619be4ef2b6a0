"""Django admin of GFE management for Portrait staff (scopes are off here: TenantMiddleware).

Routing settings are edited here under the same rules as the GFE Management tab. Requests, exams and
clearances are read-only: they change only through the GFE services (the queue at /gfe/queue/, the
clearer's link, the medspa's own pages), where the transitions are enforced and audited. The review token
of a request is a secret and never shown."""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from gfe.models import Clearance, GfeExam, GfeRequest, GfeSettings, Routing
from gfe.models.exams import EXAM_FIELDS
from gfe.models.requests import REQUEST_FIELDS
from gfe.selectors import clearances
from gfe.services.emails import CLEARER_EMAILS, DECISION_EMAILS
from medspa.admin import PatientReadLogAdmin, ReadOnlyAdmin, email_filter, email_state


class GfeSettingsForm(forms.ModelForm):
    class Meta:
        model = GfeSettings
        fields = [
            "medspa",
            "routing",
            "validity_months",
            "auto_request_on_booking",
            "clearer_name",
            "clearer_credential",
            "clearer_email",
        ]

    def clean(self):
        cleaned = super().clean()
        medspa = cleaned.get("medspa") or getattr(self.instance, "medspa", None)
        if (
            cleaned.get("routing") == Routing.SELF
            and medspa
            and not clearances.self_clearing_providers(medspa)
        ):
            raise forms.ValidationError(
                "Clearing their own patients needs a provider of the medspa who may clear (MD, DO, NP, or PA "
                "where allowed) with a current licence on file."
            )
        if cleaned.get("routing") == Routing.OWN_CLEARER and not cleaned.get("clearer_email"):
            self.add_error("clearer_email", "Give the clearing provider's email: requests are sent there.")
        return cleaned


@admin.register(GfeSettings)
class GfeSettingsAdmin(admin.ModelAdmin):
    form = GfeSettingsForm
    list_display = ["medspa", "routing", "validity_months", "auto_request_on_booking", "clearer_email"]
    list_filter = ["routing", "auto_request_on_booking"]
    search_fields = ["medspa__name", "clearer_name", "clearer_email"]
    list_select_related = ["medspa"]
    autocomplete_fields = ["medspa"]
    readonly_fields = ["updated_at"]

    def has_delete_permission(self, request, obj=None):
        return False


class ClearanceInline(admin.TabularInline):
    model = Clearance
    extra = 0
    can_delete = False
    fields = ["service", "status", "valid_until", "reason", "decided_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(GfeRequest)
class GfeRequestAdmin(PatientReadLogAdmin, ReadOnlyAdmin):
    list_display = [
        "created_at",
        "patient",
        "medspa",
        "route",
        "status",
        "urgent",
        "source",
        "decided_at",
        "clearer_email",
        "decision_email",
        "queue_link",
    ]
    list_filter = [
        "route",
        "status",
        "urgent",
        "medspa",
        email_filter(CLEARER_EMAILS, "email to the clearer"),
        email_filter(DECISION_EMAILS, "email of the decision"),
    ]
    search_fields = ["patient__first_name", "patient__last_name"]
    date_hierarchy = "created_at"
    list_select_related = ["patient", "medspa"]
    fields = [
        "medspa",
        *REQUEST_FIELDS,
        "requested_by",
        "token_expires_at",
        "token_used_at",
        "created_at",
        "decided_at",
        "clearer_notified_at",
        "clearer_email",
        "decision_notified_at",
        "decision_email",
    ]
    readonly_fields = fields
    inlines = [ClearanceInline]

    @admin.display(description="email to the clearer")
    def clearer_email(self, obj):
        return email_state(
            obj.clearer_notified_at,
            obj.clearer_email_attempts,
            obj.clearer_email_next_attempt_at,
            obj.clearer_email_error,
        )

    @admin.display(description="email of the decision")
    def decision_email(self, obj):
        return email_state(
            obj.decision_notified_at,
            obj.decision_email_attempts,
            obj.decision_email_next_attempt_at,
            obj.decision_email_error,
        )

    @admin.display(description="queue")
    def queue_link(self, obj):
        if obj.route != Routing.PORTRAIT or not obj.is_open:
            return "—"
        return format_html('<a href="{}">Review</a>', reverse("gfe_queue:review", args=[obj.pk]))


@admin.register(GfeExam)
class GfeExamAdmin(PatientReadLogAdmin, ReadOnlyAdmin):
    list_display = ["signed_at", "patient", "medspa", "clearer_name", "clearer_credential", "request"]
    list_filter = ["medspa", "clearer_credential"]
    search_fields = ["patient__first_name", "patient__last_name", "clearer_name"]
    date_hierarchy = "signed_at"
    list_select_related = ["patient", "medspa", "request"]
    fields = [
        "medspa",
        "patient",
        "request",
        "clearer",
        "clearer_name",
        "clearer_credential",
        "clearer_licence",
        *EXAM_FIELDS,
        "signed",
        "signed_at",
    ]
    readonly_fields = fields

    @admin.display(description="signature")
    def signed(self, obj):
        # Uploaded files are never served from a public URL: say whether it is there, not where.
        return "Drawn signature on file" if obj.signature else "—"


@admin.register(Clearance)
class ClearanceAdmin(PatientReadLogAdmin, ReadOnlyAdmin):
    list_display = [
        "patient",
        "service",
        "medspa",
        "status",
        "valid_until",
        "decided_at",
        "expiry_reminder_sent_at",
    ]
    list_filter = ["status", "medspa"]
    search_fields = ["patient__first_name", "patient__last_name"]
    list_select_related = ["patient", "medspa", "service__library_service"]
    fields = [
        "medspa",
        "patient",
        "service",
        "request",
        "exam",
        "status",
        "valid_until",
        "reason",
        "decided_at",
        "expiry_reminder_sent_at",
        "created_at",
    ]
    readonly_fields = fields

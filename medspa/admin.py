"""Django admin: how Portrait staff operate every medspa. Scopes are off here (TenantMiddleware)."""

import pghistory.models
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from medspa import files, once
from medspa.http import ascii_int
from medspa.models import (
    CardPayment,
    CardRefund,
    Dispute,
    Invitation,
    MasqueradeEvent,
    MedicalDirectorRequest,
    Medspa,
    Membership,
    Patient,
    PatientAccessLog,
    PatientImport,
    PatientProvider,
    ProviderLicence,
    ProviderProfile,
    StripeAccount,
    StripeEvent,
    User,
    UserSession,
)
from medspa.models.tenancy import SHIPPING_ADDRESS_FIELDS
from medspa.services.accounts import user_deactivate
from medspa.services.invitations import INVITATION_EMAILS
from medspa.services.patients import patients_access_record
from medspa.views import admin_tokens  # noqa: F401 (registers the API tokens' admin)


class InputFilter(admin.SimpleListFilter):
    """A list filter that takes free text (an email, an id) instead of offering choices."""

    template = "admin/input_filter.html"

    def lookups(self, request, model_admin):
        return [("", "")]  # Django renders a filter only when it has a lookup

    def choices(self, changelist):
        query = changelist.get_filters_params()
        query.pop(self.parameter_name, None)
        yield {
            "query_parts": [(k, v) for k, values in query.items() for v in values],
            "value": self.value() or "",
        }


class ActorEmailFilter(InputFilter):
    title = "user (email)"
    parameter_name = "actor"
    user_path = "pgh_context__user"

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        ids = list(User.objects.filter(email__icontains=self.value().strip()).values_list("pk", flat=True))
        return queryset.filter(**{f"{self.user_path}__in": ids})


class PatientIdFilter(InputFilter):
    title = "patient (id)"
    parameter_name = "patient"
    patient_path = "pgh_obj_id"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        if not value:
            return queryset
        patient_id = ascii_int(value)
        if patient_id is None:
            return queryset.none()
        return queryset.filter(**{self.patient_path: patient_id})


def email_filter(outbox: once.Outbox, title: str = "email") -> type[admin.SimpleListFilter]:
    """A list filter by where the rows' email stands (medspa.once): still owed, or given up after
    MAX_ATTEMPTS failed sends, so that staff find the emails that never went."""

    class EmailFilter(admin.SimpleListFilter):
        parameter_name = outbox.attempts  # one per email of a model

        def lookups(self, request, model_admin):
            return [("owed", "Waiting or retrying"), ("failed", "Failed")]

        def queryset(self, request, queryset):
            if self.value() == "owed":
                return outbox.owing(queryset)
            if self.value() == "failed":
                return outbox.failed(queryset)
            return queryset

    EmailFilter.title = title
    return EmailFilter


def email_state(sent_at, attempts: int, next_attempt_at, error: str) -> str:
    """Where a row's email stands, in words for staff (medspa.once)."""
    if sent_at is not None:
        return "sent"
    if next_attempt_at is None:
        return f"failed: {error}" if attempts >= once.MAX_ATTEMPTS else "not sent"
    return f"retrying after {attempts} failed: {error}" if attempts else "queued"


class ReadOnlyInline(admin.TabularInline):
    """Rows shown inside a read-only admin page: no add, change or delete."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def patient_path(model) -> str | None:
    """How a model's row names the patient it shows: "" for a patient itself, the field name of its patient
    ("patient", or "pgh_obj" for a patient's write-audit event), or None when it shows no patient."""
    if model is Patient:
        return ""
    for name in ("patient", "pgh_obj"):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if field.is_relation and field.related_model is Patient:
            return name
    return None


class PatientReadLogAdmin:
    """For the admin of a model that shows patient data: its change list logs one access-log row per patient
    on the page (two queries, however many rows) and its change page one row for its patient. Put it before
    ModelAdmin in the bases."""

    def _patient_id(self, obj) -> int | None:
        path = patient_path(self.model)
        if path is None:
            return None
        return obj.pk if path == "" else getattr(obj, f"{path}_id")

    def _log(self, request, objects, viewed: str) -> None:
        ids = {self._patient_id(obj) for obj in objects} - {None}
        if ids:
            patients = Patient.objects.filter(pk__in=ids).only("pk", "medspa_id")
            patients_access_record(patients=patients, request=request, viewed=viewed)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if request.method == "GET" and response.status_code == 200 and changelist is not None:
            changelist.result_list = list(changelist.result_list)
            self._log(
                request, changelist.result_list, f"Django admin: {self.model._meta.verbose_name_plural}"
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        shown = getattr(response, "context_data", {}).get("original")
        if response.status_code == 200 and shown is not None:
            self._log(request, [shown], f"Django admin: {self.model._meta.verbose_name} {shown.pk}")
        return response


class AuditEventAdmin(PatientReadLogAdmin, files.StoredFilesAdmin, ReadOnlyAdmin):
    """Write audit of one tracked model: every insert / update / delete with its context."""

    list_display = ["pgh_created_at", "pgh_label", "pgh_obj_id", "actor", "impersonator", "ip", "request_id"]
    list_filter = [("pgh_created_at", admin.DateFieldListFilter), "pgh_label", ActorEmailFilter]
    date_hierarchy = "pgh_created_at"
    list_per_page = 50

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if self.model._meta.get_field("pgh_obj").related_model is Patient:
            filters.append(PatientIdFilter)
        return filters

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-pgh_created_at")

    def _user(self, user_id):
        if not user_id:
            return "—"
        cache = getattr(self, "_users", None)
        if cache is None:
            cache = self._users = {}
        if user_id not in cache:
            cache[user_id] = (
                User.objects.filter(pk=user_id).values_list("email", flat=True).first() or user_id
            )
        return cache[user_id]

    @admin.display(description="user")
    def actor(self, obj):
        return self._user((obj.pgh_context or {}).get("user"))

    @admin.display(description="on behalf of / masquerading")
    def impersonator(self, obj):
        return self._user((obj.pgh_context or {}).get("impersonator"))

    @admin.display(description="IP")
    def ip(self, obj):
        return (obj.pgh_context or {}).get("ip") or "—"

    @admin.display(description="request")
    def request_id(self, obj):
        return (obj.pgh_context or {}).get("request_id") or "—"


for model in apps.get_app_config("medspa").get_models():
    if issubclass(model, pghistory.models.Event):
        admin.site.register(model, AuditEventAdmin)


class PatientAccessPatientFilter(PatientIdFilter):
    patient_path = "patient_id"


class PatientAccessActorFilter(ActorEmailFilter):
    user_path = "actor_id"


@admin.register(PatientAccessLog)
class PatientAccessLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "patient", "actor", "actor_label", "impersonator", "viewed", "ip", "medspa"]
    list_filter = [
        ("created_at", admin.DateFieldListFilter),
        PatientAccessPatientFilter,
        PatientAccessActorFilter,
        "medspa",
    ]
    search_fields = [
        "patient__last_name",
        "patient__first_name",
        "actor__email",
        "actor_label",
        "viewed",
        "request_id",
    ]
    date_hierarchy = "created_at"
    list_select_related = ["patient", "actor", "impersonator", "medspa"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "is_admin", "is_provider", "is_coordinator", "is_active"]


@admin.register(Medspa)
class MedspaAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "business_model",
        "keeps_coordinator",
        "time_zone",
        "sms_number",
        "created_at",
    ]
    list_filter = ["business_model", "keeps_coordinator", "addon_charting", "addon_marketing"]
    search_fields = ["name", "slug", "dba", "sms_number"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "time_zone", "dba"]}),
        ("Business model", {"fields": ["business_model", "flex_revenue_split_percent", "keeps_coordinator"]}),
        ("Add-ons", {"fields": ["addon_charting", "addon_marketing"]}),
        (
            "Texting",
            {
                "fields": ["sms_number"],
                "description": "The Twilio number every text to this medspa's patients comes from "
                "(bought on Portrait's Twilio account), e.g. +1 619 555 0100. Without one, its texts fail "
                "and show on the providers' To-Do.",
            },
        ),
        ("Commercial shipping address", {"fields": SHIPPING_ADDRESS_FIELDS}),
    ]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    add_form = AdminUserCreationForm
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "date_joined", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password", "full_name"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]})
    ]
    actions = ["deactivate"]

    @admin.action(description="Deactivate the selected users (ends their sessions now)")
    def deactivate(self, request, queryset):
        for user in queryset:
            user_deactivate(user=user)
        self.message_user(request, f"{queryset.count()} user(s) deactivated; their sessions have ended.")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "medspa", "is_admin", "is_provider", "is_coordinator", "is_active", "masquerade"]
    list_filter = ["is_admin", "is_provider", "is_coordinator", "is_active", "medspa"]
    search_fields = ["user__email", "user__full_name", "medspa__name"]
    autocomplete_fields = ["user", "medspa"]
    list_select_related = ["user", "medspa"]

    @admin.display(description="masquerade")
    def masquerade(self, obj):
        if obj.user.is_staff or not obj.is_active:
            return "—"
        url = (
            reverse("masquerade_start", args=[obj.user_id])
            + "?next="
            + reverse("admin:medspa_membership_changelist")
        )
        return format_html('<a href="{}">Masquerade as {}</a>', url, obj.user)


class ProviderLicenceInline(admin.TabularInline):
    model = ProviderLicence
    extra = 0
    fields = ["number", "state", "expires_on", "medspa"]


@admin.register(ProviderProfile)
class ProviderProfileAdmin(files.StoredFilesAdmin, admin.ModelAdmin):
    list_display = ["__str__", "medspa", "credential", "position", "can_clear_gfe", "headshot_preview"]
    list_filter = ["credential", "can_clear_gfe", "medspa"]
    search_fields = ["membership__user__email", "membership__user__full_name"]
    autocomplete_fields = ["membership", "medspa"]
    list_select_related = ["membership__user", "medspa"]
    inlines = [ProviderLicenceInline]

    @admin.display(description="headshot")
    def headshot_preview(self, obj):
        return format_html("✓") if obj.headshot else "—"


class PatientProviderInline(admin.TabularInline):
    model = PatientProvider
    extra = 0
    autocomplete_fields = ["membership"]
    readonly_fields = ["assigned_at"]
    verbose_name = "assigned provider"


@admin.register(Patient)
class PatientAdmin(PatientReadLogAdmin, admin.ModelAdmin):
    inlines = [PatientProviderInline]
    list_display = ["last_name", "first_name", "date_of_birth", "medspa", "status", "email", "phone"]
    list_filter = ["status", "medspa", "consent_email", "consent_sms"]
    search_fields = ["last_name", "first_name", "email", "phone"]
    list_select_related = ["medspa"]
    autocomplete_fields = ["medspa"]

    def has_delete_permission(self, request, obj=None):
        return False  # patients are archived, never deleted


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "medspa",
        "as_admin",
        "as_provider",
        "as_coordinator",
        "created_at",
        "invitation_email",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = ["medspa", "as_admin", "as_provider", email_filter(INVITATION_EMAILS)]
    search_fields = ["email"]
    readonly_fields = [
        "token",
        "emailed_at",
        "email_attempts",
        "email_next_attempt_at",
        "email_error",
        "accepted_at",
    ]
    autocomplete_fields = ["medspa", "invited_by"]

    @admin.display(description="invitation email")
    def invitation_email(self, obj):
        return email_state(obj.emailed_at, obj.email_attempts, obj.email_next_attempt_at, obj.email_error)


@admin.register(UserSession)
class UserSessionAdmin(ReadOnlyAdmin):
    """Who is signed in where: the sessions that deactivating a user ends."""

    list_display = ["user", "created_at", "session_key_prefix"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"

    @admin.display(description="session")
    def session_key_prefix(self, obj):
        return f"{obj.session_key[:6]}…"


@admin.register(MasqueradeEvent)
class MasqueradeEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "actor", "target", "medspa", "reason", "ip"]
    list_filter = ["action", ("created_at", admin.DateFieldListFilter), "medspa"]
    search_fields = ["actor__email", "target__email", "reason"]
    list_select_related = ["actor", "target", "medspa"]
    date_hierarchy = "created_at"


@admin.register(MedicalDirectorRequest)
class MedicalDirectorRequestAdmin(admin.ModelAdmin):
    """Requests from medspas for a physician user: create the user, add them to the medspa as a provider
    (MD / DO), set them as medical director on the medspa, then mark the request done."""

    list_display = ["medspa", "requested_by", "physician_name", "physician_email", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["medspa__name", "physician_name", "physician_email"]
    readonly_fields = [
        "medspa",
        "requested_by",
        "physician_name",
        "physician_email",
        "notes",
        "created_at",
        "resolved_at",
    ]
    fields = readonly_fields[:5] + ["status", "staff_note", "created_at", "resolved_at"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        if obj.status != MedicalDirectorRequest.Status.OPEN and obj.resolved_at is None:
            obj.resolved_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(PatientImport)
class PatientImportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "medspa", "uploaded_by", "filename", "confirmed_at", "imported_count"]
    list_filter = ["medspa"]
    search_fields = ["filename", "uploaded_by__email"]
    exclude = ["rows"]


# --- Payments through Stripe: what Stripe said, for Portrait staff to read (changes go through the product).
PAYMENT_COLUMNS = {
    StripeAccount: (["medspa", "account_id", "account_type", "charges_enabled", "checked_at"], []),
    CardPayment: (["created_at", "medspa", "purpose", "amount", "status", "fee", "payout_id"], ["status"]),
    CardRefund: (["created_at", "medspa", "payment", "amount", "status", "refund_id"], ["status"]),
    Dispute: (
        ["created_at", "medspa", "dispute_id", "amount", "reason", "status", "evidence_due_by"],
        ["status"],
    ),
    StripeEvent: (["received_at", "type", "event_id", "account_id", "processed_at", "deliveries"], ["type"]),
}
for _model, (_columns, _filters) in PAYMENT_COLUMNS.items():
    _ids = [
        field.name for field in _model._meta.fields if field.name.endswith("_id") and not field.is_relation
    ]
    _options = {"list_display": _columns, "list_filter": _filters, "search_fields": _ids}
    admin.site.register(_model, type(f"{_model.__name__}Admin", (ReadOnlyAdmin,), _options))

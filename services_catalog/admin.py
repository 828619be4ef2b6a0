"""Django admin for Portrait staff: the services library (groups, services, consents, care messages,
standing orders and intake forms with their versions) and, read-mostly, what each medspa made of it."""

from django import forms
from django.contrib import admin

from medspa.admin import PatientReadLogAdmin, ReadOnlyAdmin
from medspa.files import StoredFilesAdmin
from services_catalog.models import (
    CareMessage,
    CareMessageVersion,
    Consent,
    ConsentSignature,
    ConsentVersion,
    IntakeForm,
    IntakeFormVersion,
    LibraryService,
    RetailProduct,
    Service,
    ServiceGroup,
    StandingOrder,
    StandingOrderSignoff,
    StandingOrderVersion,
)
from services_catalog.services import intake_forms, texts
from services_catalog.services.errors import IntakeFormInvalid


class VersionInline(admin.TabularInline):
    """Earlier versions, read-only: they are never changed."""

    extra = 0
    fields = ["number", "created_at", "created_by", "text"]
    readonly_fields = fields
    ordering = ["-number"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class TextAdminForm(forms.ModelForm):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text="Saving a changed text adds a new version; every earlier version stays as it was.",
    )


class VersionedTextAdmin(admin.ModelAdmin):
    """Staff write the library's texts here; each save of a changed text is a new version."""

    form = TextAdminForm
    list_display = ["title", "medspa", "current_number", "updated_at"]
    list_filter = [("medspa", admin.EmptyFieldListFilter)]
    search_fields = ["title", "medspa__name"]
    autocomplete_fields = ["medspa"]

    @admin.display(description="version")
    def current_number(self, obj):
        current = obj.current_version
        return current.number if current else "—"

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and obj.current_version is not None:
            form.base_fields["text"].initial = obj.current_version.text
        return form

    def save_model(self, request, obj, form, change):
        text = form.cleaned_data["text"]
        if change:
            obj.save()
            texts.text_revise(document=obj, text=text, by=request.user, as_portrait=True)
        else:
            extra = (
                {"timing": obj.timing, "lead_hours": obj.lead_hours} if isinstance(obj, CareMessage) else {}
            )
            created = texts.text_create(
                model=type(obj), medspa=obj.medspa, title=obj.title, text=text, by=request.user, **extra
            )
            obj.pk = created.pk


class ConsentVersionInline(VersionInline):
    model = ConsentVersion


class CareMessageVersionInline(VersionInline):
    model = CareMessageVersion


class StandingOrderVersionInline(VersionInline):
    model = StandingOrderVersion


@admin.register(Consent)
class ConsentAdmin(VersionedTextAdmin):
    fields = ["medspa", "title", "text"]
    inlines = [ConsentVersionInline]


class CareMessageAdminForm(TextAdminForm):
    def clean(self):
        cleaned = super().clean()
        if cleaned.get("lead_hours") is not None and cleaned.get("timing") != CareMessage.Timing.PRE:
            self.add_error("lead_hours", texts.LEAD_TIME_AFTER)
        return cleaned


@admin.register(CareMessage)
class CareMessageAdmin(VersionedTextAdmin):
    form = CareMessageAdminForm
    fields = ["medspa", "title", "timing", "lead_hours", "text"]
    list_display = [*VersionedTextAdmin.list_display, "timing", "lead_hours"]
    inlines = [CareMessageVersionInline]


@admin.register(StandingOrder)
class StandingOrderAdmin(VersionedTextAdmin):
    fields = ["medspa", "title", "text"]
    inlines = [StandingOrderVersionInline]


class IntakeFormVersionInline(VersionInline):
    model = IntakeFormVersion
    fields = ["number", "created_at", "created_by", "sections"]
    readonly_fields = fields


class IntakeFormAdminForm(forms.ModelForm):
    sections = forms.JSONField(
        widget=forms.Textarea(attrs={"rows": 24}),
        help_text='The sections and their questions, as JSON: [{"title": …, "fields": [{"key", "label", '
        '"kind", "required", "choices", "help", "record"}]}]. Saving changed questions adds a new '
        "version; every earlier version stays as it was.",
    )

    def clean_sections(self):
        try:
            return intake_forms.sections_clean(self.cleaned_data["sections"])
        except IntakeFormInvalid as error:
            raise forms.ValidationError(error.message) from None

    def clean(self):
        cleaned = super().clean()
        title = (cleaned.get("title") or "").strip()
        clash = IntakeForm._base_manager.filter(medspa=cleaned.get("medspa"), title__iexact=title)
        if title and clash.exclude(pk=self.instance.pk).exists():
            self.add_error("title", "There is already a form with this title.")
        if len(cleaned.get("description") or "") > intake_forms.DESCRIPTION_MAX:
            self.add_error("description", f"At most {intake_forms.DESCRIPTION_MAX} characters.")
        return cleaned


@admin.register(IntakeForm)
class IntakeFormAdmin(VersionedTextAdmin):
    """Staff write the library's intake forms here; each save of changed questions is a new version."""

    form = IntakeFormAdminForm
    fields = ["medspa", "title", "description", "sections"]
    list_display = [*VersionedTextAdmin.list_display, "copied_from"]
    inlines = [IntakeFormVersionInline]

    def get_form(self, request, obj=None, **kwargs):
        form = admin.ModelAdmin.get_form(self, request, obj, **kwargs)
        if obj is not None and obj.current_version is not None:
            form.base_fields["sections"].initial = obj.current_version.sections
        return form

    def save_model(self, request, obj, form, change):
        sections = form.cleaned_data["sections"]
        if change:
            intake_forms.intake_form_revise(
                form=obj,
                title=obj.title,
                description=obj.description,
                sections=sections,
                by=request.user,
                as_portrait=True,
            )
        else:
            created = intake_forms.intake_form_create(
                medspa=obj.medspa,
                title=obj.title,
                description=obj.description,
                sections=sections,
                by=request.user,
            )
            obj.pk = created.pk


@admin.register(ServiceGroup)
class ServiceGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "medspa", "position"]
    list_filter = [("medspa", admin.EmptyFieldListFilter)]
    search_fields = ["name", "medspa__name"]
    autocomplete_fields = ["medspa"]
    filter_horizontal = ["default_consents"]


@admin.register(LibraryService)
class LibraryServiceAdmin(admin.ModelAdmin):
    """Changes here reach every medspa that imported the service at once; their prices stay theirs."""

    list_display = [
        "name",
        "group",
        "default_price",
        "duration_minutes",
        "requires_gfe",
        "is_published",
        "import_count",
    ]
    list_filter = ["group", "requires_gfe", "is_published"]
    search_fields = ["name", "description"]
    filter_horizontal = ["consents", "care_messages"]
    list_select_related = ["group"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("group", "standing_order"):
            kwargs["queryset"] = db_field.related_model.library.all()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in ("consents", "care_messages"):
            kwargs["queryset"] = db_field.related_model.library.all()
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description="imported by")
    def import_count(self, obj):
        return obj.imports.count()


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "medspa", "price", "is_active", "library_service"]
    list_filter = ["is_active", "medspa", ("library_service", admin.EmptyFieldListFilter)]
    search_fields = ["name", "library_service__name", "medspa__name"]
    list_select_related = ["medspa", "library_service"]
    autocomplete_fields = ["medspa"]
    raw_id_fields = ["library_service", "group", "standing_order"]
    filter_horizontal = ["consents", "care_messages"]


@admin.register(RetailProduct)
class RetailProductAdmin(admin.ModelAdmin):
    list_display = ["name", "sku", "medspa", "price", "taxable", "is_active"]
    list_filter = ["is_active", "taxable", "medspa"]
    search_fields = ["name", "sku", "medspa__name"]
    autocomplete_fields = ["medspa"]


@admin.register(StandingOrderSignoff)
class StandingOrderSignoffAdmin(ReadOnlyAdmin):
    list_display = ["version", "medspa", "signed_by", "signed_at"]
    list_filter = ["medspa"]
    readonly_fields = ["medspa", "version", "signed_by", "signed_at"]


@admin.register(ConsentSignature)
class ConsentSignatureAdmin(PatientReadLogAdmin, StoredFilesAdmin, StandingOrderSignoffAdmin):
    list_display = ["patient", "version", "medspa", "signed_at", "witnessed_by"]
    list_filter = ["medspa"]
    readonly_fields = ["medspa", "patient", "version", "signed_at", "ip", "witnessed_by"]

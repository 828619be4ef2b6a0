from django.contrib import admin

from medspa.admin import PatientReadLogAdmin
from scheduling import models


@admin.register(models.Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "medspa", "city", "state", "time_zone", "is_active"]
    list_filter = ["is_active", "medspa", "state"]
    search_fields = ["name", "city", "medspa__name"]
    autocomplete_fields = ["medspa"]
    filter_horizontal = ["providers"]


@admin.register(models.Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "location", "medspa", "is_active"]
    list_filter = ["kind", "is_active", "medspa"]
    search_fields = ["name", "location__name"]


@admin.register(models.AppointmentType)
class AppointmentTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "location", "medspa", "duration_minutes", "price", "online_bookable", "is_active"]
    list_filter = ["is_active", "online_bookable", "medspa"]
    search_fields = ["name", "location__name", "medspa__name"]
    filter_horizontal = ["providers", "rooms", "intake_forms"]
    raw_id_fields = ["service"]


class AvailabilityRuleAdmin(admin.ModelAdmin):
    list_display = ["provider", "location", "weekday", "start_time", "end_time"]
    list_filter = ["weekday", "medspa"]
    search_fields = ["provider__user__email", "location__name"]


admin.site.register(models.AvailabilityRule, AvailabilityRuleAdmin)


@admin.register(models.AvailabilityOverride)
class AvailabilityOverrideAdmin(admin.ModelAdmin):
    list_display = ["provider", "date", "kind", "start_time", "end_time", "location"]
    list_filter = ["kind", "medspa"]
    date_hierarchy = "date"


@admin.register(models.Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["date", "medspa", "location", "reason"]
    list_filter = ["medspa"]
    date_hierarchy = "date"


class NotificationLogInline(admin.TabularInline):
    model = models.NotificationLog
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "channel", "status", "detail", "created_at", "updated_at"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.Appointment)
class AppointmentAdmin(PatientReadLogAdmin, admin.ModelAdmin):
    """Portrait staff see every medspa's appointments; changes go through the medspa's calendar, where the
    booking rules apply, so the times here are read-only."""

    list_display = ["start", "patient", "provider", "appointment_type", "location", "status", "source"]
    list_filter = ["status", "source", "medspa", ("start", admin.DateFieldListFilter)]
    search_fields = ["patient__last_name", "patient__first_name", "provider__user__email"]
    date_hierarchy = "start"
    list_select_related = ["patient", "provider__user", "appointment_type", "location"]
    readonly_fields = [
        "medspa",
        "location",
        "provider",
        "patient",
        "appointment_type",
        "resource",
        "start",
        "end",
        "blocked_start",
        "blocked_end",
        "source",
        "idempotency_key",
        "created_by",
        "created_at",
    ]
    inlines = [NotificationLogInline]

    def has_add_permission(self, request):
        return False


@admin.register(models.NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ["medspa", "email_enabled", "sms_enabled", "reminders", "reminder_hours"]


@admin.register(models.CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["provider", "medspa", "created_at", "revoked_at"]
    readonly_fields = ["token"]

from django.contrib import admin

from scheduling.models import Location


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "medspa", "city", "state", "time_zone", "is_active"]
    list_filter = ["is_active", "medspa", "state"]
    search_fields = ["name", "city", "medspa__name"]
    autocomplete_fields = ["medspa"]
    filter_horizontal = ["providers"]

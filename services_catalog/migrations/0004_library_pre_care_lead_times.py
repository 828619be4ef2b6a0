"""Portrait's library pre-care messages already in a database get the lead times the library file now gives
them (a fresh database gets them from `library_load`). Only messages still sent with the confirmation are
changed: a lead time Portrait staff set since is kept."""

from django.db import migrations

LEAD_HOURS = {
    "Before your neurotoxin treatment": 120,
    "Before your dermal filler treatment": 168,
    "Before your chemical peel": 168,
    "Before your microneedling treatment": 120,
    "Before your facial": 72,
    "Before your IV therapy": 24,
    "Before your deoxycholic acid treatment": 120,
    "Before your weight-management consultation": 48,
}


def set_lead_times(apps, schema_editor):
    CareMessage = apps.get_model("services_catalog", "CareMessage")
    for title, hours in LEAD_HOURS.items():
        CareMessage._base_manager.filter(
            medspa__isnull=True, title=title, timing="pre", lead_hours__isnull=True
        ).update(lead_hours=hours)


class Migration(migrations.Migration):
    dependencies = [("services_catalog", "0003_intake_forms")]

    operations = [migrations.RunPython(set_lead_times, migrations.RunPython.noop)]

"""Every medspa that exists before billing gets its current plan from the day it was created (its own time
zone), so that its first bills cover it; later changes are recorded as they happen."""

import zoneinfo

from django.db import migrations


def forwards(apps, schema_editor):
    Medspa = apps.get_model("medspa", "Medspa")
    PlanPeriod = apps.get_model("billing", "PlanPeriod")
    for medspa in Medspa.objects.all().iterator():
        if PlanPeriod.objects.filter(medspa_id=medspa.pk).exists():
            continue
        PlanPeriod.objects.create(
            medspa_id=medspa.pk,
            business_model=medspa.business_model,
            flex_revenue_split_percent=medspa.flex_revenue_split_percent if medspa.business_model == "flex" else None,
            keeps_coordinator=medspa.keeps_coordinator,
            starts_on=medspa.created_at.astimezone(zoneinfo.ZoneInfo(medspa.time_zone)).date(),
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

"""A bill records whom it billed (the medspa's name, DBA and shipping address) when it is made, so that its
PDF reads the same after a rename or a move. Bills made before this learn them from the medspa as it is now:
the nearest record there is. Bills are append-only; the backfill lifts that rule for its own updates only."""

import pgtrigger
from django.db import migrations, models


def address_lines(medspa) -> list[str]:
    city = " ".join(part for part in (medspa.shipping_state, medspa.shipping_postal_code) if part)
    city = ", ".join(part for part in (medspa.shipping_city, city) if part)
    return [line for line in (medspa.shipping_line1, medspa.shipping_line2, city) if line]


def forwards(apps, schema_editor):
    Bill = apps.get_model("billing", "Bill")
    Medspa = apps.get_model("medspa", "Medspa")
    with pgtrigger.ignore("billing.Bill:append_only"):
        for medspa in Medspa.objects.filter(pk__in=Bill.objects.values("medspa_id")).iterator():
            Bill.objects.filter(medspa_id=medspa.pk).update(
                business_name=medspa.name,
                business_dba=medspa.dba if medspa.dba != medspa.name else "",
                shipping_address="\n".join(address_lines(medspa)),
            )


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0002_plan_periods_of_existing_medspas'),
    ]

    operations = [
        migrations.AddField(
            model_name='bill',
            name='business_dba',
            field=models.CharField(blank=True, max_length=200, verbose_name='DBA (doing business as)'),
        ),
        migrations.AddField(
            model_name='bill',
            name='business_name',
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name='bill',
            name='shipping_address',
            field=models.TextField(blank=True, help_text='The shipping address, one line per line.'),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]

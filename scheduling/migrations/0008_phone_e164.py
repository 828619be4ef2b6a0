"""Location phone numbers in E.164: each readable one is rewritten (+16195550100), each unreadable one is
kept as written and named in a warning in the log, for staff to correct by hand."""

import logging

import medspa.validators
from django.db import migrations, models

logger = logging.getLogger(__name__)


def forwards(apps, schema_editor):
    rows = apps.get_model("scheduling", "Location")._base_manager.all()
    for pk, value in medspa.validators.phones_normalize(rows):
        logger.warning("Location %s keeps its phone number %r: not a valid number, correct it by hand.", pk, value)


class Migration(migrations.Migration):

    dependencies = [
        ('scheduling', '0007_message_receipts'),
    ]

    operations = [
        migrations.AlterField(
            model_name='location',
            name='phone',
            field=models.CharField(blank=True, help_text='In E.164, e.g. +16195550100.', max_length=30, validators=[medspa.validators.validate_phone_e164]),
        ),
        migrations.AlterField(
            model_name='locationevent',
            name='phone',
            field=models.CharField(blank=True, help_text='In E.164, e.g. +16195550100.', max_length=30, validators=[medspa.validators.validate_phone_e164]),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]

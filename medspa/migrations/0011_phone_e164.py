"""Patient phone numbers in E.164: each readable one is rewritten (+16195550100), each unreadable one is
kept as written and named in a warning in the log, for staff to correct by hand."""

import logging

import medspa.validators
import phonenumber_field.modelfields
from django.db import migrations, models

logger = logging.getLogger(__name__)


def forwards(apps, schema_editor):
    rows = apps.get_model("medspa", "Patient")._base_manager.all()
    for pk, value in medspa.validators.phones_normalize(rows):
        logger.warning("Patient %s keeps its phone number %r: not a valid number, correct it by hand.", pk, value)


class Migration(migrations.Migration):

    dependencies = [
        ('medspa', '0010_medspa_sms_number'),
    ]

    operations = [
        migrations.AlterField(
            model_name='medspa',
            name='sms_number',
            field=phonenumber_field.modelfields.PhoneNumberField(blank=True, error_messages={'invalid': 'Enter a valid phone number with its area code, e.g. (619) 555-0100 or +1 619 555 0100.'}, help_text="The medspa's own number (E.164, on Portrait's Twilio account) that every text to its patients comes from and replies reach. Kept by Portrait staff.", max_length=128, region=None, verbose_name='texting number'),
        ),
        migrations.AlterField(
            model_name='medspaevent',
            name='sms_number',
            field=phonenumber_field.modelfields.PhoneNumberField(blank=True, error_messages={'invalid': 'Enter a valid phone number with its area code, e.g. (619) 555-0100 or +1 619 555 0100.'}, help_text="The medspa's own number (E.164, on Portrait's Twilio account) that every text to its patients comes from and replies reach. Kept by Portrait staff.", max_length=128, region=None, verbose_name='texting number'),
        ),

        migrations.AlterField(
            model_name='patient',
            name='phone',
            field=models.CharField(blank=True, help_text='In E.164, e.g. +16195550100.', max_length=30, validators=[medspa.validators.validate_phone_e164]),
        ),
        migrations.AlterField(
            model_name='patientevent',
            name='phone',
            field=models.CharField(blank=True, help_text='In E.164, e.g. +16195550100.', max_length=30, validators=[medspa.validators.validate_phone_e164]),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]

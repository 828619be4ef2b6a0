"""Phone numbers in E.164: the forms (patient, public booking, location, the import's rows, the API) store
what people type as +16195550100 and refuse what cannot be read with one clear message; the data migration
rewrites the rows already stored and keeps, and reports, the ones it cannot read; staff keep each medspa's
texting number in the admin."""

import importlib
import logging

import pytest
from django.apps import apps
from django_scopes import scopes_disabled

from medspa.forms.patients import PatientForm
from medspa.models import Medspa, Patient
from medspa.validators import PHONE_INVALID, phone_e164
from scheduling.forms.locations import LocationForm
from scheduling.models import Location
from tests import factories


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("(619) 555-0100", "+16195550100"),
        ("619.555.0100", "+16195550100"),
        ("+1 619 555 0100", "+16195550100"),
        ("+44 20 7183 8750", "+442071838750"),
        ("", ""),
        ("619-555", None),
        ("+1 555 555 5555", None),  # possible, but no such area code
        ("call me", None),
    ],
)
def test_what_people_type_is_read_as_e164_or_refused(typed, stored):
    assert phone_e164(typed) == stored


def test_the_patient_form_stores_e164_and_explains_a_number_it_cannot_read(cast):
    data = {"first_name": "Ana", "last_name": "Lopez", "date_of_birth": "1990-04-02", "state": ""}
    with scopes_disabled():
        form = PatientForm({**data, "phone": "(619) 555-0100"}, medspa=cast.medspa_a)
        assert form.is_valid(), form.errors
        assert form.cleaned_data["phone"] == "+16195550100"
        form = PatientForm({**data, "phone": "619-555"}, medspa=cast.medspa_a)
        assert not form.is_valid()
        assert form.errors["phone"] == [PHONE_INVALID]
        assert "e.g. (619) 555-0100 or +1 619 555 0100" in PHONE_INVALID


def test_the_location_form_and_the_model_want_e164(cast):
    with scopes_disabled():
        form = LocationForm({"phone": "619 555 0100"}, medspa=cast.medspa_a)
        form.is_valid()
        assert "phone" not in form.errors and form.cleaned_data["phone"] == "+16195550100"
        form = LocationForm({"phone": "12345"}, medspa=cast.medspa_a)
        form.is_valid()
        assert form.errors["phone"] == [PHONE_INVALID]
        location = Location(medspa=cast.medspa_a, phone="(619) 555-0100")
        with pytest.raises(Exception, match="valid phone number"):
            location.clean_fields(exclude=[f.name for f in Location._meta.fields if f.name != "phone"])


def test_the_patient_api_stores_e164(cast):
    from medspa.tests.test_api import token_client

    patient = factories.PatientFactory(medspa=cast.medspa_a)
    client = token_client(cast.admin_a)
    url = f"/api/v1/patients/{patient.pk}/"
    assert client.patch(url, {"phone": "619 555 0100"}, format="json").json()["phone"] == "+16195550100"
    refused = client.patch(url, {"phone": "619-555"}, format="json")
    assert refused.status_code == 400 and refused.json()["phone"] == [PHONE_INVALID]


def test_the_data_migration_rewrites_readable_numbers_and_keeps_the_rest(cast, caplog):
    readable = factories.PatientFactory(medspa=cast.medspa_a)
    unreadable = factories.PatientFactory(medspa=cast.medspa_a)
    blank = factories.PatientFactory(medspa=cast.medspa_a)
    with scopes_disabled():
        Patient.objects.filter(pk=readable.pk).update(phone="(619) 555-0100")
        Patient.objects.filter(pk=unreadable.pk).update(phone="ext. 4412")
        Patient.objects.filter(pk=blank.pk).update(phone="")
    migration = importlib.import_module("medspa.migrations.0011_phone_e164")
    with caplog.at_level(logging.WARNING):
        migration.forwards(apps, None)
    with scopes_disabled():
        phones = dict(
            Patient.objects.filter(pk__in=[readable.pk, unreadable.pk, blank.pk]).values_list("pk", "phone")
        )
    assert phones == {readable.pk: "+16195550100", unreadable.pk: "ext. 4412", blank.pk: ""}
    assert f"Patient {unreadable.pk} keeps its phone number 'ext. 4412'" in caplog.text


def test_staff_keep_each_medspas_texting_number_in_the_admin(client_as, cast):
    page = client_as("staff").get(f"/admin/medspa/medspa/{cast.medspa_a.pk}/change/")
    assert page.status_code == 200
    assert "Texting" in page.content.decode() and 'name="sms_number"' in page.content.decode()
    with scopes_disabled():
        medspa = Medspa.objects.get(pk=cast.medspa_a.pk)
    medspa.sms_number = "not a number"
    with pytest.raises(Exception, match="valid phone number"):
        medspa.clean_fields(exclude=[f.name for f in Medspa._meta.fields if f.name != "sms_number"])


def test_a_number_reads_as_people_write_it_and_links_as_machines_dial_it():
    from django.template import Context, Template

    from medspa.templatetags.phones import phone

    assert phone("+16195550100") == "(619) 555-0100"
    assert phone("+442079460958") == "+44 20 7946 0958"
    assert phone("") == "" and phone(None) == "" and phone("call the desk") == "call the desk"
    page = Template('<a href="tel:{{ n }}">{{ n|phone }}</a>').render(Context({"n": "+16195550100"}))
    assert page == '<a href="tel:+16195550100">(619) 555-0100</a>'

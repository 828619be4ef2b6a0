"""An appointment type names the intake forms its patients complete before the visit: the medspa's own and
Portrait's library forms, never another medspa's, on the settings page and through the API alike."""

import copy

import pytest
from django.core.exceptions import ValidationError

from medspa.tenancy import medspa_scope
from scheduling.forms.settings import AppointmentTypeForm
from scheduling.services import settings as settings_services
from services_catalog.services import intake_forms
from services_catalog.tests.factories import INTAKE_SECTIONS
from tests import factories


def form_of(medspa, title):
    return intake_forms.intake_form_create(
        medspa=medspa, title=title, description="", sections=copy.deepcopy(INTAKE_SECTIONS), by=None
    )


@pytest.fixture
def forms(cast):
    return {
        "library": form_of(None, "Medical history"),
        "own": form_of(cast.medspa_a, "Our skin questions"),
        "theirs": form_of(cast.medspa_b, "Luxe B questions"),
    }


@pytest.fixture
def appointment_type(cast):
    with medspa_scope(cast.medspa_a):
        provider = cast.provider_a1.memberships.get()
        _, appointment_type = factories.scheduling_world(cast.medspa_a, [provider])
    return appointment_type


def page_data(appointment_type, intake_forms) -> dict:
    return {
        "location": appointment_type.location_id,
        "service": appointment_type.service_id,
        "name": appointment_type.name,
        "duration_minutes": 30,
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 10,
        "price": "300",
        "providers": [p.pk for p in appointment_type.providers.all()],
        "min_notice_minutes": 0,
        "horizon_days": 60,
        "online_bookable": "True",
        "cancellation_window_hours": 24,
        "intake_forms": [form.pk for form in intake_forms],
        "color": "#7a4e8a",
    }


def test_the_page_offers_own_and_library_forms_and_saves_them(client_as, cast, forms, appointment_type):
    client = client_as("admin_a")
    url = f"/dashboard/scheduling/types/{appointment_type.pk}/"
    page = client.get(url).content.decode()
    assert "Forms the patient completes before the visit" in page
    assert "Our skin questions" in page and "Medical history (Portrait library)" in page
    assert "Luxe B questions" not in page
    with medspa_scope(cast.medspa_a):
        data = page_data(appointment_type, [forms["own"], forms["library"]])
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()
    with medspa_scope(cast.medspa_a):
        assert set(appointment_type.intake_forms.all()) == {forms["own"], forms["library"]}
        data = page_data(appointment_type, [forms["theirs"]])
    assert client.post(url, data).status_code == 400
    with medspa_scope(cast.medspa_a):
        assert set(appointment_type.intake_forms.all()) == {forms["own"], forms["library"]}


def test_the_form_and_the_service_refuse_another_medspas_form(cast, forms, appointment_type):
    with medspa_scope(cast.medspa_a):
        form = AppointmentTypeForm(
            page_data(appointment_type, [forms["theirs"]]), instance=appointment_type, medspa=cast.medspa_a
        )
        assert "intake_forms" in form.errors
        with pytest.raises(ValidationError):
            settings_services.appointment_type_save(
                medspa=cast.medspa_a,
                data={"intake_forms": [forms["theirs"]]},
                appointment_type=appointment_type,
            )
        assert not appointment_type.intake_forms.exists()


def test_the_api_names_the_forms(client_as, cast, forms, appointment_type):
    client = client_as("admin_a")
    url = f"/api/v1/appointment-types/{appointment_type.pk}/"
    response = client.patch(
        url, {"intake_forms": [forms["library"].pk, forms["own"].pk]}, content_type="application/json"
    )
    assert response.status_code == 200 and sorted(response.json()["intake_forms"]) == sorted(
        [forms["library"].pk, forms["own"].pk]
    )
    refused = client.patch(url, {"intake_forms": [forms["theirs"].pk]}, content_type="application/json")
    assert refused.status_code == 400 and "intake_forms" in refused.json()
    with medspa_scope(cast.medspa_a):
        assert set(appointment_type.intake_forms.all()) == {forms["library"], forms["own"]}

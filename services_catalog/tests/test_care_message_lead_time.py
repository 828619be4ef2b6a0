"""A pre-care message may be sent a number of hours before the appointment (`lead_hours`); a message sent
after the treatment has no lead time, and the page, the API, the service and the database all refuse one."""

import pytest
from django.db import IntegrityError, transaction

from medspa.tenancy import medspa_scope
from services_catalog.models import CareMessage
from services_catalog.services import texts
from services_catalog.services.errors import CareMessageTimingInvalid

PAGES = "/dashboard/services/texts/care-messages/"
TEXT = "Avoid aspirin and fish oil for three days before, if your doctor agrees."


def message(medspa, **extra) -> CareMessage:
    return texts.text_create(model=CareMessage, medspa=medspa, title="Before", text=TEXT, by=None, **extra)


def test_the_page_creates_a_pre_care_message_sent_48_hours_before(client_as, cast):
    client = client_as("admin_a")
    assert "Send hours before" in client.get(f"{PAGES}new/").content.decode()
    data = {"title": "Before fillers", "text": TEXT, "timing": "pre", "lead_hours": "48"}
    response = client.post(f"{PAGES}new/", data, follow=True)
    with medspa_scope(cast.medspa_a):
        created = CareMessage.objects.get(title="Before fillers")
    assert (created.timing, created.lead_hours) == ("pre", 48)
    assert "Sent 48 hours before the treatment." in response.content.decode()


def test_the_page_refuses_a_lead_time_on_an_after_care_message(client_as, cast):
    client = client_as("admin_a")
    data = {"title": "After", "text": TEXT, "timing": "post", "lead_hours": "24"}
    response = client.post(f"{PAGES}new/", data)
    assert response.status_code == 400
    assert "leave “Send hours before” empty for a message sent after it" in response.content.decode()
    with medspa_scope(cast.medspa_a):
        assert not CareMessage.objects.exists()


def test_editing_sets_and_clears_the_lead_time(client_as, cast):
    care = message(cast.medspa_a, timing="pre")
    client = client_as("admin_a")
    client.post(f"{PAGES}{care.pk}/", {"title": "Before", "text": TEXT, "timing": "pre", "lead_hours": "72"})
    care.refresh_from_db()
    assert care.lead_hours == 72 and care.versions.count() == 1  # the text did not change
    response = client.post(
        f"{PAGES}{care.pk}/", {"title": "Before", "text": TEXT, "timing": "post", "lead_hours": "72"}
    )
    assert response.status_code == 400
    client.post(f"{PAGES}{care.pk}/", {"title": "Before", "text": TEXT, "timing": "post", "lead_hours": ""})
    care.refresh_from_db()
    assert (care.timing, care.lead_hours) == ("post", None)


def test_the_api_sets_and_refuses_lead_times(client_as, cast):
    client = client_as("admin_a")
    created = client.post(
        "/api/v1/care-messages/",
        {"title": "Before", "text": TEXT, "timing": "pre", "lead_hours": 48},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["lead_hours"] == 48
    pk = created.json()["id"]
    refused = client.patch(
        f"/api/v1/care-messages/{pk}/", {"timing": "post"}, content_type="application/json"
    )
    assert refused.status_code == 400 and "lead_hours" in refused.json()
    moved = client.patch(
        f"/api/v1/care-messages/{pk}/",
        {"timing": "post", "lead_hours": None},
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["lead_hours"] is None
    too_far = client.post(
        "/api/v1/care-messages/",
        {"title": "Early", "text": TEXT, "timing": "pre", "lead_hours": 337},
        content_type="application/json",
    )
    assert too_far.status_code == 400


def test_the_service_and_the_database_refuse_a_lead_time_after_the_treatment(cast):
    with pytest.raises(CareMessageTimingInvalid):
        message(cast.medspa_a, timing="post", lead_hours=24)
    care = message(cast.medspa_a, timing="pre", lead_hours=24)
    with pytest.raises(CareMessageTimingInvalid):
        texts.care_message_timing_set(care_message=care, timing="post", lead_hours=24)
    with pytest.raises(IntegrityError), transaction.atomic():
        CareMessage.all_objects.filter(pk=care.pk).update(timing="post")

"""The front desk's card on file on a patient's profile: shown, added (Stripe's card field, the local
server), replaced and removed by the medspa's admin and the patient's own providers, and nobody else."""

import pytest
from django.urls import reverse

from medspa.models.payments import SavedCard
from medspa.payments import cards
from medspa.tenancy import medspa_scope
from tests.fixtures import stripe_js_confirm_on


def test_the_profile_shows_the_card_on_file_with_replace_and_a_confirmed_remove(patient_card, client_as):
    patient = patient_card.customer.patient
    page = client_as("admin_a").get(reverse("dashboard_patient_detail", args=[patient.pk])).content.decode()
    assert "Card on file" in page and "Visa ending 4242" in page
    assert "Replace card" in page and 'data-confirm="Remove Visa ending 4242?' in page


def test_the_admin_replaces_the_card_and_the_card_keeps_who_added_it(
    patient_card, client_as, cast, stripe_local
):
    patient = patient_card.customer.patient
    admin = client_as("admin_a")
    url = reverse("dashboard_patient_card", args=[patient.pk])
    setup_intent = stripe_js_confirm_on(stripe_local, admin.get(url, {"area": "admin"}).content.decode())
    response = admin.post(url, {"area": "admin", "action": "save", "setup_intent": setup_intent})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard_patient_detail", args=[patient.pk])
    with medspa_scope(cast.medspa_a):
        card = cards.patient_card(medspa=cast.medspa_a, patient=patient)
        old = SavedCard.objects.get(pk=patient_card.pk)
    assert (
        card.pk != patient_card.pk and card.via == SavedCard.Via.FRONT_DESK and card.added_by == cast.admin_a
    )
    assert old.removed_at is not None


def test_the_patients_provider_removes_the_card(patient_card, client_as, cast, provider):
    patient = patient_card.customer.patient
    with medspa_scope(cast.medspa_a):
        patient.assigned_providers.add(provider)
    response = client_as("provider_a1").post(
        reverse("dashboard_patient_card", args=[patient.pk]), {"area": "provider", "action": "remove"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("providers:patient_detail", args=[patient.pk])
    with medspa_scope(cast.medspa_a):
        removed = SavedCard.objects.get(pk=patient_card.pk)
    assert removed.removed_at is not None and removed.removed_by == cast.provider_a1


@pytest.mark.parametrize("who", ["provider_a2", "admin_b", "provider_b"])
def test_another_provider_or_medspa_can_neither_see_nor_remove_the_card(patient_card, client_as, cast, who):
    patient = patient_card.customer.patient
    url = reverse("dashboard_patient_card", args=[patient.pk])
    client = client_as(who)
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "remove"}).status_code == 404
    with medspa_scope(cast.medspa_a):
        assert SavedCard.objects.get(pk=patient_card.pk).removed_at is None


def test_without_a_connected_account_the_panel_offers_no_card(client_as, cast, stripe_local):
    from tests import factories

    patient = factories.PatientFactory(medspa=cast.medspa_a)
    page = client_as("admin_a").get(reverse("dashboard_patient_detail", args=[patient.pk])).content.decode()
    assert "No card on file." in page and "Add card" not in page
    assert "Stripe account is connected" in page

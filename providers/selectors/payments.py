"""How a checkout takes a card: charged to the patient's card on file through Stripe when the medspa's
account is connected and the patient has one, else recorded as taken on the medspa's own terminal."""

from __future__ import annotations

from medspa.models import Medspa, Patient
from medspa.models.payments import SavedCard
from medspa.payments.cards import patient_card
from medspa.payments.connect import ready_account

ON_FILE, NO_CARD, WALK_IN, TERMINAL = "on_file", "no_card", "walk_in", "terminal"


def checkout_card(medspa: Medspa, patient: Patient | None) -> tuple[SavedCard | None, str]:
    """The card on file to charge (or None) and which way the page takes a card: "on_file", "no_card"
    (connected, the patient has none), "walk_in" (connected, no patient) or "terminal" (not connected)."""
    if ready_account(medspa) is None:
        return None, TERMINAL
    if patient is None:
        return None, WALK_IN
    card = patient_card(medspa=medspa, patient=patient)
    return card, ON_FILE if card is not None else NO_CARD

"""Fixtures of the scheduling tests."""

import pytest

from tests import factories


@pytest.fixture
def provider_clinic(cast, provider):
    """Medspa A's clinic (America/Los_Angeles, 9:00–17:00 daily) where `provider` (provider_a1) works, its
    30-minute type and a patient, by name."""
    location, appointment_type = factories.scheduling_world(cast.medspa_a, [provider])
    patient = factories.PatientFactory(medspa=cast.medspa_a)
    return {
        "medspa": cast.medspa_a,
        "provider": provider,
        "location": location,
        "type": appointment_type,
        "patient": patient,
    }

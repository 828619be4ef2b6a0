"""Finding the patient behind a public booking. Whoever fills in the page is a stranger, so a booking links to
a record only on a strong match and never changes that record; anything else is a new record, flagged
when it resembles one on file, for an admin to merge or keep apart. The caller never tells the visitor
which way it went (a booking looks the same either way)."""

from datetime import date

from django.db import transaction

from medspa import patient_match
from medspa import services as medspa_services
from medspa.models import Medspa, Patient


@transaction.atomic
def patient_match_or_create(
    *,
    medspa: Medspa,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    date_of_birth: date,
    consent_email: bool,
    consent_sms: bool,
) -> Patient:
    """The medspa's active patient with this date of birth who already has this email or phone number,
    unchanged (not even the messaging consent or a missing phone: a stranger may have typed them).
    Otherwise a new patient with the details and consent given, marked as a possible duplicate of the
    record it resembles (same name and date of birth, or same email or phone), if any."""
    first_name, last_name = first_name.strip(), last_name.strip()
    email, phone = email.strip(), phone.strip()
    patient = patient_match.patient_strong_match(
        medspa=medspa, date_of_birth=date_of_birth, email=email, phone=phone
    )
    if patient is not None:
        return patient
    resembles = patient_match.patient_resembling(
        medspa=medspa,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        email=email,
        phone=phone,
    )
    return medspa_services.patient_create(
        medspa=medspa,
        data={
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "phone": phone,
            "date_of_birth": date_of_birth,
            "consent_email": consent_email,
            "consent_sms": consent_sms,
        },
        possible_duplicate_of=resembles,
    )

"""Finding the patient behind a public booking: a returning patient is matched, not duplicated. The caller
never tells the visitor which way it went (a booking looks the same either way)."""

from datetime import date

from django.db import transaction

from medspa import services as medspa_services
from medspa.models import Medspa, Patient
from medspa.models.patients import PatientStatus


def _find(
    *, medspa: Medspa, first_name: str, last_name: str, email: str, date_of_birth: date
) -> Patient | None:
    candidates = Patient.objects.filter(medspa=medspa, date_of_birth=date_of_birth).exclude(
        status=PatientStatus.ARCHIVED
    )
    if email:
        patient = candidates.filter(email__iexact=email).order_by("pk").first()
        if patient is not None:
            return patient
    return (
        candidates.filter(first_name__iexact=first_name, last_name__iexact=last_name).order_by("pk").first()
    )


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
    """The medspa's existing (non-archived) patient with this email and date of birth, else with this name
    and date of birth; otherwise a new patient. A match gets the messaging consent just given and any
    missing phone or email filled in; nothing else on the record is ever overwritten."""
    first_name, last_name = first_name.strip(), last_name.strip()
    email, phone = email.strip(), phone.strip()
    patient = _find(
        medspa=medspa, first_name=first_name, last_name=last_name, email=email, date_of_birth=date_of_birth
    )
    if patient is None:
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
        )
    patient.consent_email, patient.consent_sms = consent_email, consent_sms
    changed = ["consent_email", "consent_sms"]
    if phone and not patient.phone:
        patient.phone = phone
        changed.append("phone")
    if email and not patient.email:
        patient.email = email
        changed.append("email")
    patient.save(update_fields=[*changed, "updated_at"])
    return patient

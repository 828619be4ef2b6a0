"""Telling whether typed details belong to a patient already on file: one set of rules and keys for every
place that meets a patient from outside (the public booking, the Acuity import, the CSV import).

A public booking links to a record only on a strong match and never changes that record; anything else
is a new record, flagged when it resembles one on file, for an admin to merge or keep apart
(`patient_match_or_create`). The Acuity import and the CSV import compare with the same keys but keep
rules of their own, each said where it is written.

Phones are compared by their digits: a North American number written "(619) 555-0123", "619.555.0123" or
"+1 619 555 0123" is the same number (the `phonenumbers` library is not a dependency; every medspa is in
the US, so the +1 country code is the only prefix to drop). Emails are compared ignoring case and
surrounding spaces."""

import re
from datetime import date

from django.db import transaction
from django.db.models import Q, QuerySet

from medspa.models import Medspa, Patient
from medspa.models.patients import PatientStatus

# Fewer digits than this is not a phone number anyone could be recognised by.
MIN_PHONE_DIGITS = 7


def phone_key(phone: str) -> str:
    """The digits that identify a phone number: "+1 (619) 555-0123" and "619.555.0123" give "6195550123".
    Empty for a value too short to be a phone number."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) >= MIN_PHONE_DIGITS else ""


def email_key(email: str) -> str:
    """An email as compared: trimmed and lower-cased."""
    return (email or "").strip().lower()


def name_key(first_name: str, last_name: str) -> tuple[str, str]:
    """A name as compared: each part trimmed and lower-cased."""
    return first_name.strip().lower(), last_name.strip().lower()


def _live(medspa: Medspa) -> QuerySet[Patient]:
    """The records a newcomer can be linked to: not archived (a merged-away record is archived too)."""
    return Patient.objects.filter(medspa=medspa).exclude(status=PatientStatus.ARCHIVED)


def _shares_contact(patient: Patient, *, email: str, phone: str) -> bool:
    return bool(
        (email and email_key(patient.email) == email) or (phone and phone_key(patient.phone) == phone)
    )


def patient_strong_match(*, medspa: Medspa, date_of_birth: date, email: str, phone: str) -> Patient | None:
    """The medspa's active patient these details certainly belong to, or None.

    Certain means: the same date of birth, and an email or a phone number that the record already has.
    A name is never enough (two people share a name and a birthday more often than one thinks), and a shared
    family phone or email is not enough either without the same date of birth. When several records qualify
    the oldest is taken; the others were duplicates already."""
    email, phone = email_key(email), phone_key(phone)
    if not email and not phone:
        return None
    for patient in _live(medspa).filter(date_of_birth=date_of_birth).order_by("pk"):
        if _shares_contact(patient, email=email, phone=phone):
            return patient
    return None


def patient_resembling(
    *, medspa: Medspa, first_name: str, last_name: str, date_of_birth: date, email: str, phone: str
) -> Patient | None:
    """The oldest record (archived ones too, but not one merged away) that details which were not a strong
    match still resemble: the same name and date of birth, or the same email, or the same phone number.
    An admin decides whether they are the same person."""
    email, phone = email_key(email), phone_key(phone)
    first_name, last_name = first_name.strip(), last_name.strip()
    same_name = Q(first_name__iexact=first_name, last_name__iexact=last_name, date_of_birth=date_of_birth)
    contact = Q()
    if email:
        contact |= Q(email__iexact=email)
    if phone:
        contact |= Q(phone__contains=phone[-4:])  # narrowed here (trigram index), compared exactly below
    candidates = Patient.objects.filter(medspa=medspa, merged_into__isnull=True).filter(same_name | contact)
    for patient in candidates.order_by("pk"):
        if (
            name_key(patient.first_name, patient.last_name) == name_key(first_name, last_name)
            and patient.date_of_birth == date_of_birth
        ) or _shares_contact(patient, email=email, phone=phone):
            return patient
    return None


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
    patient = patient_strong_match(medspa=medspa, date_of_birth=date_of_birth, email=email, phone=phone)
    if patient is not None:
        return patient
    resembles = patient_resembling(
        medspa=medspa,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        email=email,
        phone=phone,
    )
    # Created here rather than through medspa.services.patients, which reads these keys: the same steps as
    # its patient_create (every field validated, then saved).
    patient = Patient(
        medspa=medspa,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        date_of_birth=date_of_birth,
        consent_email=consent_email,
        consent_sms=consent_sms,
        possible_duplicate_of=resembles,
    )
    patient.full_clean()
    patient.save()
    return patient

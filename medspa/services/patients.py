"""Writes of the core app about patients: their records and the access log of every read. Each service is
one transaction and raises a domain error the view translates."""

from collections.abc import Iterable

from django.db import transaction
from django.http import HttpRequest
from django_scopes import scopes_disabled

from medspa.http import client_ip
from medspa.models import (
    Medspa,
    Patient,
    PatientAccessLog,
)
from medspa.models.patients import PATIENT_EDITABLE_FIELDS, PatientStatus


def patient_access_record(
    *, patient: Patient, request: HttpRequest, viewed: str, actor_label: str = ""
) -> PatientAccessLog:
    """Writes one line of the append-only access log for a read of `patient`."""
    return patients_access_record(
        patients=[patient], request=request, viewed=viewed, actor_label=actor_label
    )[0]


def patients_access_record(
    *, patients: Iterable[Patient], request: HttpRequest, viewed: str, actor_label: str = ""
) -> list[PatientAccessLog]:
    """Writes one line of the append-only access log per patient shown (a list page, a search, an API page),
    in one INSERT whatever their number. The reader is the signed-in user, or `actor_label` for someone
    without an account (the outside clearer of a GFE link)."""
    user = getattr(request, "user", None)
    actor = user if user is not None and user.is_authenticated else None
    if actor is None and not actor_label:
        raise ValueError("A read of a patient record names who read it: a user or an actor label.")
    unique = {patient.pk: patient for patient in patients}
    ip, impersonator_id = client_ip(request), getattr(request, "impersonator_id", None)
    entries = [
        PatientAccessLog(
            medspa_id=patient.medspa_id,
            patient_id=patient.pk,
            actor=actor,
            actor_label=actor_label[:200],
            impersonator_id=impersonator_id,
            viewed=viewed[:200],
            ip=ip,
            request_id=getattr(request, "request_id", ""),
        )
        for patient in unique.values()
    ]
    if not entries:
        return []
    with scopes_disabled():  # each row carries its patient's own medspa; staff read across medspas
        return PatientAccessLog.objects.bulk_create(entries)


PATIENT_FIELDS = [*PATIENT_EDITABLE_FIELDS, "status"]


def _patient_apply(patient: Patient, data: dict) -> Patient:
    for name in PATIENT_FIELDS:
        if name in data:
            setattr(patient, name, data[name])
    patient.full_clean()
    patient.save()
    if "assigned_providers" in data:
        patient.assigned_providers.set(data["assigned_providers"])
    return patient


@transaction.atomic
def patient_create(*, medspa: Medspa, data: dict, possible_duplicate_of: Patient | None = None) -> Patient:
    """Adds a patient to `medspa` with the given demographics and assigned providers, flagged as a possible
    duplicate of a record it resembles when one is given."""
    return _patient_apply(Patient(medspa=medspa, possible_duplicate_of=possible_duplicate_of), data)


@transaction.atomic
def patient_update(*, patient: Patient, data: dict) -> Patient:
    """Changes the given fields of a patient's record (and who looks after them)."""
    return _patient_apply(patient, data)


@transaction.atomic
def patient_archive(*, patient: Patient, archived: bool = True) -> Patient:
    """Archives (or restores) a patient. Patients are never deleted: their history stays."""
    patient.status = PatientStatus.ARCHIVED if archived else PatientStatus.ACTIVE
    patient.save(update_fields=["status", "updated_at"])
    return patient

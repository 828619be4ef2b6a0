"""Merging two records of one person (a public booking that was not sure made a second one) and saying that
two flagged records are different people. Both are an admin's decision, audited.

Nothing is deleted by a merge. The rows that belong to the person move to the record that stays; the rows
the database keeps unchanged for good (signed charts, signed exams and consents, the access log, the audit
events) stay on the merged-away record, which is kept, archived and marked as merged into the one that
stays, so that they remain where they were signed and are reached from it."""

from dataclasses import dataclass

import pghistory
from django.apps import apps
from django.db import models, transaction
from django.db.models import Q
from pghistory.models import Event

from medspa.errors import DomainError
from medspa.models import Patient, PatientProvider, User
from medspa.models.patients import PatientStatus


class PatientMergeRefused(DomainError):
    """The two records cannot be merged (the same record, another medspa's, or one merged already)."""


# Each kind of row that points at a patient, and which of its rows move to the record that stays. Every
# relation to Patient must be named here, in KEPT, or be an audit event: a new relation fails the tests
# until someone decides what a merge does with it.
MOVED: dict[str, Q] = {
    "scheduling.Appointment": Q(),
    # A signed chart is locked by the database (its patient included): it stays with the record it was
    # signed on. An open chart follows the person.
    "providers.Visit": Q(chart_signed_at__isnull=True),
    "providers.Sale": Q(),
    "gfe.GfeRequest": Q(),
    "gfe.Clearance": Q(),
    # A conversation is the medspa's with a phone number; whoever it belongs to now is the record that stays.
    "medspa.TextThread": Q(),
}
KEPT: dict[str, str] = {
    "medspa.PatientAccessLog": "append-only: who read which record stays true",
    "gfe.GfeExam": "a signed exam, which the database never lets change",
    "services_catalog.ConsentSignature": "a signed consent, which the database never lets change",
    "scheduling.IntakeResponse": "the answers as the patient sent them, which the database never lets "
    "change; the record that stays shows them (scheduling.selectors.patient_paperwork)",
    "scheduling.HistoryChange": "kept with the answer that proposed it; accepting one changes the record "
    "that stays (scheduling.services.history_changes)",
    "medspa.StripeCustomer": "the merged-away record's customer at Stripe, with the cards attached there and "
    "the payments made with them; the record that stays keeps (or saves) its own card",
}
# Handled by the merge itself: provider assignments are united, flags and earlier merges re-pointed.
OWN = {"medspa.PatientProvider", "medspa.Patient"}


def patient_relations() -> list[models.ForeignObjectRel]:
    """Every relation that points at Patient (hidden ones too), audit events included."""
    return [
        field
        for field in Patient._meta.get_fields(include_hidden=True)
        if field.auto_created and not field.concrete
    ]


def _is_audit_event(model: type[models.Model]) -> bool:
    return issubclass(model, Event)


def _moved_rows(duplicate: Patient) -> list[tuple[type[models.Model], models.QuerySet, models.QuerySet]]:
    """For each kind of row that moves: its model, the duplicate's rows that move, and those that stay."""
    result = []
    for label, which in MOVED.items():
        model = apps.get_model(label)
        rows = model._base_manager.filter(patient=duplicate)
        result.append((model, rows.filter(which), rows.exclude(which)))
    return result


@dataclass(frozen=True)
class MergeLine:
    """What a merge does with one kind of row, for the confirmation page."""

    name: str
    moved: int
    kept: int


def patient_merge_preview(*, duplicate: Patient) -> list[MergeLine]:
    """How many rows of each kind would move to the record that stays, and how many stay behind."""
    lines = [
        MergeLine(str(model._meta.verbose_name_plural), moved.count(), kept.count())
        for model, moved, kept in _moved_rows(duplicate)
    ]
    for label in KEPT:
        model = apps.get_model(label)
        lines.append(
            MergeLine(
                str(model._meta.verbose_name_plural), 0, model._base_manager.filter(patient=duplicate).count()
            )
        )
    return [line for line in lines if line.moved or line.kept]


def _check(survivor: Patient, duplicate: Patient) -> None:
    if survivor.pk == duplicate.pk:
        raise PatientMergeRefused("A record cannot be merged into itself.")
    if survivor.medspa_id != duplicate.medspa_id:
        raise PatientMergeRefused("These records belong to different medspas.")
    for patient in (survivor, duplicate):
        if patient.merged_into_id is not None:
            raise PatientMergeRefused(f"{patient.full_name}'s record was already merged into another one.")


@transaction.atomic
def patient_merge(*, survivor: Patient, duplicate: Patient, by: User) -> Patient:
    """Merges `duplicate` into `survivor`, all or nothing: appointments, open charts, sales, GFE requests
    and clearances move; provider assignments are united; records flagged as or merged into the duplicate
    now point at the survivor. The survivor's own details are not changed. The duplicate is kept, archived
    and marked as merged. Every change is recorded by the audit triggers with who merged what, and a
    "merge" event is written on the survivor. Raises PatientMergeRefused."""
    locked = {
        patient.pk: patient
        for patient in Patient._base_manager.select_for_update().filter(pk__in=[survivor.pk, duplicate.pk])
    }
    survivor, duplicate = locked[survivor.pk], locked.get(duplicate.pk, duplicate)
    _check(survivor, duplicate)
    with pghistory.context(patient_merge={"merged": duplicate.pk, "into": survivor.pk, "by": by.pk}):
        for _model, moved, _kept in _moved_rows(duplicate):
            moved.update(patient=survivor)
        already = PatientProvider.objects.filter(patient=survivor).values("membership_id")
        PatientProvider.objects.filter(patient=duplicate).exclude(membership_id__in=already).update(
            patient=survivor
        )
        PatientProvider.objects.filter(patient=duplicate).delete()
        others = Patient._base_manager.exclude(pk=survivor.pk)
        others.filter(possible_duplicate_of=duplicate).update(possible_duplicate_of=survivor)
        others.filter(merged_into=duplicate).update(merged_into=survivor)
        if survivor.possible_duplicate_of_id == duplicate.pk:
            survivor.possible_duplicate_of = None
            survivor.save(update_fields=["possible_duplicate_of", "updated_at"])
        duplicate.merged_into = survivor
        duplicate.possible_duplicate_of = None
        duplicate.status = PatientStatus.ARCHIVED
        duplicate.save(update_fields=["merged_into", "possible_duplicate_of", "status", "updated_at"])
        pghistory.create_event(survivor, label="merge")
    return survivor


@transaction.atomic
def patient_duplicate_dismiss(*, patient: Patient, by: User) -> Patient:
    """Records an admin's word that a flagged record is not the same person as the one it resembled."""
    patient = Patient._base_manager.select_for_update().get(pk=patient.pk)
    if patient.possible_duplicate_of_id is None:
        return patient
    context = {"not_a_duplicate_of": patient.possible_duplicate_of_id, "by": by.pk}
    with pghistory.context(patient_duplicate_dismiss=context):
        patient.possible_duplicate_of = None
        patient.save(update_fields=["possible_duplicate_of", "updated_at"])
    return patient

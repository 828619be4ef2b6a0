"""A person's decision on a change to the patient's record that an intake answer proposes: accepting writes
the text (the patient's answer, or the person's own wording of it) to the allergies, medications or medical
history; declining leaves the record as it is. Each change is decided once, and the audit trail names who
decided what (the change's and the patient's events carry a `history_change` context)."""

import pghistory
from django.db import transaction
from django.utils import timezone

from medspa.errors import DomainError
from medspa.models import Patient, User
from medspa.selectors.masquerade import acting_impersonator_id
from scheduling.models import HistoryChange


class HistoryChangeRefused(DomainError):
    """A decision that cannot be taken: the change was decided already (a conflict, 409)."""

    status_code = 409


def _lock(change: HistoryChange) -> tuple[HistoryChange, Patient]:
    """The change and the patient whose record it changes (the record it was merged into, when the answer
    came on a record merged away since), locked in that order as every decision locks them, and refused when
    someone decided the change meanwhile."""
    locked = HistoryChange.objects.select_for_update().get(pk=change.pk)
    patient = Patient._base_manager.select_for_update().get(pk=locked.patient_id)
    if patient.merged_into_id is not None:
        patient = Patient._base_manager.select_for_update().get(pk=patient.merged_into_id)
    if locked.status != HistoryChange.Status.PENDING:
        who = locked.decided_by.get_full_name() or locked.decided_by.email
        raise HistoryChangeRefused(
            f"This answer was already {locked.get_status_display().lower()} by {who}: nothing was changed."
        )
    return locked, patient


def _context(change: HistoryChange, by: User, decision: str) -> dict:
    return {
        "change": change.pk,
        "record": change.record,
        "decision": decision,
        "by": by.pk,
        "impersonator": acting_impersonator_id(),
    }


def _same_text(one: str, other: str) -> bool:
    """Whether two texts of the record say the same (a browser sends a textarea's line breaks as CRLF)."""
    return one.replace("\r\n", "\n").strip() == other.replace("\r\n", "\n").strip()


@transaction.atomic
def history_change_accept(
    *, change: HistoryChange, by: User, text: str | None = None, record_was: str | None = None
) -> HistoryChange:
    """Writes the patient's answer (or `text`, the person's own wording: the current record and the answer
    combined, say) to the part of the record the change names, and marks the change accepted by `by`. The
    record may have changed since the answer came (the page showed the current one beside it): what it held
    is replaced by what the person accepted. `record_was`, the record's text the person saw beside the answer:
    when the record says something else now (changed meanwhile), nothing is overwritten and the accept is
    refused. Raises HistoryChangeRefused for a change decided already, or a record changed meanwhile."""
    change, patient = _lock(change)
    if record_was is not None and not _same_text(record_was, getattr(patient, change.record)):
        raise HistoryChangeRefused(
            f"{change.get_record_display()} changed while you were reviewing the answer: nothing was "
            "changed. Look at what the record says now, then accept again."
        )
    written = change.proposed if text is None else text.strip()
    with pghistory.context(history_change=_context(change, by, "accept")):
        setattr(patient, change.record, written)
        patient.save(update_fields=[change.record, "updated_at"])
        change.status = HistoryChange.Status.ACCEPTED
        change.accepted_text = written
        change.decided_by = by
        change.decided_at = timezone.now()
        change.save(update_fields=["status", "accepted_text", "decided_by", "decided_at"])
    return change


@transaction.atomic
def history_change_decline(*, change: HistoryChange, by: User) -> HistoryChange:
    """Marks the change declined by `by`; the patient's record stays as it is. Raises HistoryChangeRefused for
    a change decided already."""
    change, _patient = _lock(change)
    with pghistory.context(history_change=_context(change, by, "decline")):
        change.status = HistoryChange.Status.DECLINED
        change.decided_by = by
        change.decided_at = timezone.now()
        change.save(update_fields=["status", "decided_by", "decided_at"])
    return change

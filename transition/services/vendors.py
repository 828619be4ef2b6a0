"""The vendor steps: deactivating TigerConnect, revoking Acuity and releasing the OpenPhone number (asked for
once both parties confirmed, then polled until OpenPhone reports it moved). Every write carries an
Idempotency-Key derived from the step."""

from __future__ import annotations

from transition.integrations.acuity import AcuityClient
from transition.integrations.openphone import Confirmation, OpenPhoneClient
from transition.integrations.tigerconnect import TigerConnectClient
from transition.models import TransitionStep
from transition.models.transitions import StepStatus
from transition.services.base import Outcome, confirmations, lease_keep, legacy_tools


def run_tigerconnect(step: TransitionStep) -> Outcome:
    tools = legacy_tools(step.transition.medspa)
    with TigerConnectClient() as client:
        if not tools.tigerconnect_group_id and not tools.tigerconnect_user_ids:
            return Outcome(
                StepStatus.WAITING,
                "No TigerConnect channel or user is recorded for this medspa "
                "(Legacy tools): a Portrait staff member checks and marks it done.",
                needs_hand=True,
            )
        done = []
        for user_id in tools.tigerconnect_user_ids:
            lease_keep(step)
            client.deactivate_user(user_id, idempotency_key=f"{step.idempotency_key}-user-{user_id}")
            done.append(f"user {user_id}")
        if tools.tigerconnect_group_id:
            group = tools.tigerconnect_group_id
            client.deactivate_group(group, idempotency_key=f"{step.idempotency_key}-group-{group}")
            done.append(f"support channel {group}")
    return Outcome(StepStatus.DONE, "Deactivated on TigerConnect: " + ", ".join(done) + ".")


def run_acuity_revoke(step: TransitionStep) -> Outcome:
    tools = legacy_tools(step.transition.medspa)
    with AcuityClient() as client:
        if not tools.acuity_calendar_ids:
            return Outcome(
                StepStatus.WAITING,
                "No Acuity calendar is recorded for this medspa (Legacy tools): "
                "a Portrait staff member checks and marks it done.",
                needs_hand=True,
            )
        for calendar_id in tools.acuity_calendar_ids:
            lease_keep(step)
            client.revoke_access(calendar_id, idempotency_key=f"{step.idempotency_key}-{calendar_id}")
    calendars = ", ".join(str(calendar_id) for calendar_id in tools.acuity_calendar_ids)
    return Outcome(StepStatus.DONE, f"Acuity access revoked (calendars {calendars}).")


def run_openphone(step: TransitionStep) -> Outcome:
    transition = step.transition
    tools = legacy_tools(transition.medspa)
    with OpenPhoneClient() as client:
        if not tools.openphone_number_id:
            return Outcome(
                StepStatus.WAITING,
                "No OpenPhone number is recorded for this medspa (Legacy tools): "
                "a Portrait staff member checks and marks it done.",
                needs_hand=True,
            )
        if step.external_ref:
            transfer = client.get_transfer(tools.openphone_number_id, step.external_ref)
        else:
            parties = confirmations(transition)
            transfer = client.request_transfer(
                tools.openphone_number_id,
                target_email=transition.openphone_target_email,
                target_workspace_id=transition.openphone_target_workspace or None,
                confirmations=[
                    Confirmation(
                        party=row.party, name=row.name, email=row.email, confirmed_at=row.confirmed_at
                    )
                    for row in parties.values()
                ],
                idempotency_key=f"{step.idempotency_key}-{step.rounds}-{transition.openphone_target_email}",
            )
    number = tools.openphone_number or tools.openphone_number_id
    if transfer.is_done:
        return Outcome(
            StepStatus.DONE,
            f"{number} moved to {transition.openphone_target_email}. Texting may take "
            "7 to 10 days to work again.",
            external_ref=transfer.id,
        )
    if transfer.is_rejected:
        return Outcome(
            StepStatus.FAILED,
            "OpenPhone rejected the transfer: contact OpenPhone support, then retry.",
            external_ref="",
        )
    return Outcome(
        StepStatus.WAITING,
        f"Transfer of {number} requested from OpenPhone ({transfer.status.replace('_', ' ')}); waiting until "
        "OpenPhone reports the number moved.",
        external_ref=transfer.id,
    )

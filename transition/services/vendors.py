"""The vendor steps, each doing for real what its vendor's API offers and preparing for Portrait staff what
it does not (the sources of each operation: transition.integrations' docstrings, VENDOR_OPERATIONS):

- TigerConnect: the medspa's support group is deleted through the documented `DELETE /v2/group/{token}/`;
  its users are deactivated by a staff member in TigerConnect's admin console (no API for it).
- Acuity: access is revoked by a staff member in Acuity's app (no API for users or access), from a
  checklist of the medspa's users and calendars; `GET /calendars` verifies that they are gone.
- OpenPhone: once both parties confirmed, the transfer request is emailed to OpenPhone support with both
  confirmations attached; `GET /v1/phone-numbers/{id}` tells when the number has left Portrait's workspace.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from transition.integrations import NotConfigured
from transition.integrations.acuity import AcuityCalendar, AcuityClient
from transition.integrations.openphone import OpenPhoneClient
from transition.integrations.tigerconnect import TigerConnectClient
from transition.models import LegacyTools, Transition, TransitionStep
from transition.models.transitions import StepStatus
from transition.services.base import Outcome, confirmations, event, legacy_tools
from transition.services.openphone_support import support_request

MARK_DONE = "then mark this step done with a note saying what was done"


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
        done = ""
        if tools.tigerconnect_group_id:
            group = tools.tigerconnect_group_id
            deleted = client.delete_group(group)
            done = f"Support group {group} deleted on TigerConnect" + ("." if deleted else " (gone already).")
    if not tools.tigerconnect_user_ids:
        return Outcome(StepStatus.DONE, done)
    users = ", ".join(tools.tigerconnect_user_ids)
    return Outcome(
        StepStatus.WAITING,
        f"{done} Staff step (TigerConnect's API cannot deactivate users): in TigerConnect's admin console, "
        f"Users, deactivate the users {users} of this medspa; {MARK_DONE}.".strip(),
        needs_hand=True,
    )


def acuity_checklist(transition: Transition, tools: LegacyTools, listed: dict[int, AcuityCalendar]) -> str:
    """What a staff member removes in Acuity's app: the medspa's calendars (those the import read) and the
    users behind them (the calendars' email addresses)."""
    calendars = []
    users = []
    for calendar_id in tools.acuity_calendar_ids:
        calendar = listed.get(calendar_id)
        calendars.append(f"#{calendar_id} “{calendar.name}”" if calendar else f"#{calendar_id}")
        if calendar and calendar.email:
            users.append(calendar.email.lower())
    imported = transition.acuity_bookings.count()
    return (
        "Staff step (Acuity's API cannot manage users or access): in Acuity, Business Settings > Users, "
        f"remove the medspa's users ({', '.join(users) or 'the calendars’ owners'}); in Availability > "
        f"Calendars, delete the calendars {', '.join(calendars)} ({imported} appointment(s) of them were "
        f"read by the import). Then Retry to verify through Acuity's API, or {MARK_DONE}."
    )


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
        listed = {calendar.id: calendar for calendar in client.list_calendars()}
    calendars = ", ".join(f"#{calendar_id}" for calendar_id in tools.acuity_calendar_ids)
    if not any(calendar_id in listed for calendar_id in tools.acuity_calendar_ids):
        return Outcome(
            StepStatus.DONE,
            f"Verified through Acuity's API: the calendars {calendars} are no longer in Portrait's Acuity "
            "account.",
        )
    return Outcome(StepStatus.WAITING, acuity_checklist(step.transition, tools, listed), needs_hand=True)


def run_openphone(step: TransitionStep) -> Outcome:
    """Emails OpenPhone support once (both confirmations are there: the runner's blocker saw to it), then
    asks OpenPhone's API until the number has left Portrait's workspace. Without the API configured the email
    still goes, and a staff member marks the step done once support confirms the move."""
    transition = step.transition
    tools = legacy_tools(transition.medspa)
    target = transition.openphone_target_email
    try:
        with OpenPhoneClient() as client:
            if not tools.openphone_number_id:
                return Outcome(
                    StepStatus.WAITING,
                    "No OpenPhone number is recorded for this medspa (Legacy tools): "
                    "a Portrait staff member checks and marks it done.",
                    needs_hand=True,
                )
            current = client.number_in_workspace(tools.openphone_number_id)
    except NotConfigured:
        if not tools.openphone_number_id:
            raise
        return _unverified(step, tools.openphone_number or tools.openphone_number_id, target)
    number = tools.openphone_number or (current.formatted_number if current else tools.openphone_number_id)
    if step.external_ref:
        if current is None:
            return Outcome(
                StepStatus.DONE,
                f"{number} has left Portrait's OpenPhone workspace (OpenPhone's API no longer finds it "
                f"there): OpenPhone support moved it to {target}. Texting may take 7 to 10 days to work "
                "again.",
            )
        return _waiting_for_support(number, target, step.external_ref)
    if current is None:
        return Outcome(
            StepStatus.FAILED,
            f"OpenPhone does not find the number {tools.openphone_number_id} in Portrait's workspace: check "
            "the Legacy tools, then Retry.",
        )
    return _waiting_for_support(number, target, _email_support(step, number))


def _email_support(step: TransitionStep, number: str) -> str:
    """Sends the transfer request to OpenPhone support, on the timeline; the reference the step keeps."""
    transition = step.transition
    number_id = legacy_tools(transition.medspa).openphone_number_id
    message = support_request(
        transition, number=number, number_id=number_id, parties=confirmations(transition)
    )
    message.send()
    event(
        transition,
        f"Transfer request emailed to OpenPhone support ({settings.OPENPHONE_SUPPORT_EMAIL}) from "
        f"{settings.PORTRAIT_SUPPORT_EMAIL}: {number} to {transition.openphone_target_email}, both written "
        "confirmations attached.",
        step=step,
    )
    return f"support-email-{timezone.now():%Y-%m-%dT%H:%M:%SZ}"


def _unverified(step: TransitionStep, number: str, target: str) -> Outcome:
    """OpenPhone's API is not configured: the request is emailed all the same, and a person checks."""
    ref = step.external_ref or _email_support(step, number)
    return Outcome(
        StepStatus.WAITING,
        f"OpenPhone support has been emailed to move {number} to {target}. OpenPhone's API is not "
        "configured, so the EHR cannot see the number leave Portrait's workspace: once OpenPhone support "
        f"confirms the move, {MARK_DONE}.",
        needs_hand=True,
        external_ref=ref,
    )


def _waiting_for_support(number: str, target: str, ref: str) -> Outcome:
    return Outcome(
        StepStatus.WAITING,
        f"OpenPhone support has been emailed to move {number} to {target}; waiting until OpenPhone's API "
        "shows the number has left Portrait's workspace (checked every 30 minutes).",
        external_ref=ref,
    )

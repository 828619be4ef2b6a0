"""The transition from Legacy to Launch / Flex end to end, with the clock moved to the effective date and the
Legacy tools played by the loopback stub server (tests/stub_server.py): both paths (keep the coordinator, let
it go), the two-party confirmation of the OpenPhone release, failures and retries, the Acuity import with its
conflicts, and steps that run twice without doing anything twice."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.utils import timezone

from billing import tasks as billing_tasks
from billing.models import Bill, BillLine, PlanPeriod
from billing.services import bills as billing_bills
from medspa import clock
from medspa.models import Membership
from medspa.tenancy import medspa_scope
from scheduling.models import Appointment
from scheduling.services import booking
from tests import factories
from tests.stub_server import AC, OP, TC
from transition import tasks
from transition.models import AcuityBooking, TransitionStep
from transition.models.records import ImportStatus
from transition.models.transitions import StepKind, StepStatus, TransitionStatus
from transition.services import approval as transition_approval
from transition.services import base as transition_base
from transition.services import by_hand as transition_by_hand
from transition.services import confirmations as transition_confirmations
from transition.services import coordinator as transition_coordinator


def effective(medspa, days: int = 10) -> date:
    return clock.today(medspa) + timedelta(days=days)


def at(medspa, day: date, hour: int = 9):
    return datetime.combine(day, time(hour), tzinfo=medspa.tz)


def acuity_row(
    acuity_id, start: datetime, *, first="Jo", last="Patient", email="jo@example.com", type_name="Neurotoxin"
):
    return {
        "id": acuity_id,
        "datetime": start.isoformat(),
        "duration": "30",
        "calendarID": 11,
        "calendar": "Calendar",
        "appointmentTypeID": 501,
        "type": type_name,
        "firstName": first,
        "lastName": last,
        "email": email,
        "phone": "",
        "notes": "first visit",
        "canceled": False,
    }


GROUP = f"{TC}/v2/group/G1/"
NUMBER = f"{OP}/phone-numbers/PN1"


def support_emails() -> list:
    """The transfer requests emailed to OpenPhone support."""
    return [message for message in mail.outbox if "support@openphone.com" in message.to]


def sweep() -> None:
    """What beat does every minute."""
    tasks.steps_due()


def steps(transition) -> dict[str, object]:
    return {step.kind: step for step in transition.steps.all()}


def schedule(cast, medspa, day, *, keeps: bool, model="launch", split=None):
    terms = transition_approval.TransitionTerms(model, day, keeps, split)
    return transition_approval.transition_schedule(medspa=medspa, by=cast.staff, terms=terms)


# --- Keeping the coordinator ------------------------------------------------------------------------------


def test_keeping_the_coordinator_switches_the_model_imports_acuity_and_bills_the_coordinator(
    cast, legacy, configured, django_capture_on_commit_callbacks
):
    with medspa_scope(legacy["medspa"]):
        medspa, stub = legacy["medspa"], configured
        day = effective(medspa)
        patient = factories.PatientFactory(
            medspa=medspa, first_name="Jo", last_name="Patient", email="JO@example.com"
        )
        stub.state.appointments.append(acuity_row(9001, at(medspa, day + timedelta(days=2), 10)))
        transition = schedule(cast, medspa, day, keeps=True)
        assert list(steps(transition)) == [
            StepKind.ACUITY_IMPORT,
            StepKind.MODEL_CHANGE,
            StepKind.ACUITY_REVOKE,
        ]

        with time_machine.travel(at(medspa, day - timedelta(days=1)), tick=True):
            sweep()  # the day before: nothing is due
        assert stub.requests == []
        assert all(step.status == StepStatus.PENDING for step in transition.steps.all())

        with time_machine.travel(at(medspa, day), tick=True):
            sweep()
        # Acuity's API cannot revoke access: the step is a staff checklist of the medspa's calendar and user.
        revoke = steps(transition)[StepKind.ACUITY_REVOKE]
        assert (revoke.status, revoke.needs_hand) == (StepStatus.WAITING, True)
        assert "#11" in revoke.detail and legacy["provider"].user.email.lower() in revoke.detail
        assert transition.status == TransitionStatus.SCHEDULED
        stub.state.calendars.clear()  # a staff member removed them in Acuity's app
        with (
            time_machine.travel(at(medspa, day, 11), tick=True),
            django_capture_on_commit_callbacks(execute=True),
        ):
            transition_by_hand.step_retry(step=revoke, by=cast.staff)  # verified through GET /calendars
        transition.refresh_from_db()
        medspa.refresh_from_db()
        assert transition.status == TransitionStatus.COMPLETED
        assert {kind: step.status for kind, step in steps(transition).items()} == dict.fromkeys(
            [StepKind.ACUITY_IMPORT, StepKind.MODEL_CHANGE, StepKind.ACUITY_REVOKE], StepStatus.DONE
        )
        assert "Verified through Acuity's API" in steps(transition)[StepKind.ACUITY_REVOKE].detail
        assert (medspa.business_model, medspa.keeps_coordinator) == ("launch", True)
        imported = Appointment.objects.get(medspa=medspa, source=Appointment.Source.ACUITY)
        assert (imported.patient, imported.provider, imported.start) == (
            patient,
            legacy["provider"],
            at(medspa, day + timedelta(days=2), 10),
        )
        assert stub.state.tc_groups["G1"] == "active"  # Legacy tools stay
        assert stub.requests_to("DELETE", GROUP) == [] and support_emails() == []
        assert {r.method for r in stub.requests} == {"GET"}  # Acuity: reads only
        coordinator = Membership.objects.get(pk=legacy["coordinator"].pk)
        assert coordinator.is_active and coordinator.is_coordinator

        # The bill of the effective month: the coordinator line runs on without a break (Legacy days and
        # Launch days both carry it), and it is the only line: Launch has no monthly fee (it pays through
        # inventory).
        month = day.replace(day=1)
        with time_machine.travel(
            at(medspa, billing_bills.month_last(month) + timedelta(days=1), 13), tick=True
        ):
            billing_tasks.bills_monthly()
        bill = Bill.objects.get(medspa=medspa, month=month)
        assert [(line.kind, line.amount) for line in bill.lines.all()] == [
            (BillLine.Kind.COORDINATOR_FEE, Decimal("1000.00"))
        ]
        assert bill.total == Decimal("1000.00")


def test_a_coordinator_kept_stays_on_every_later_bill(cast, legacy):
    with medspa_scope(legacy["medspa"]):
        medspa = legacy["medspa"]
        day = effective(medspa)
        transition = schedule(cast, medspa, day, keeps=True)
        with time_machine.travel(at(medspa, day), tick=True):
            sweep()
        transition.refresh_from_db()
        next_month = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
        with time_machine.travel(
            at(medspa, billing_bills.month_last(next_month) + timedelta(days=1), 13), tick=True
        ):
            billing_tasks.bills_monthly()
        bill = Bill.objects.get(medspa=medspa, month=next_month)
        assert [(line.kind, line.amount) for line in bill.lines.all()] == [
            (BillLine.Kind.COORDINATOR_FEE, Decimal("1000.00")),
        ]


# --- Letting the coordinator go ---------------------------------------------------------------------------


def confirm_both(cast, transition, *, email="owner@own-openphone.example"):
    admin = cast.admin_a
    transition_confirmations.openphone_account_set(transition=transition, by=admin, email=email)
    transition_confirmations.openphone_acknowledge(transition=transition, by=admin)
    transition.refresh_from_db()
    token = transition_confirmations.confirmation_token(transition, admin)
    transition_confirmations.provider_confirm(token=token, by=admin, ip="203.0.113.9")
    transition_confirmations.portrait_confirm(transition=transition, by=cast.staff, ip="198.51.100.1")


def transfer_requested(cast, medspa, capture_on_commit):
    """A transition of `medspa` effective today that does not keep the number, swept once, then confirmed by
    both sides: the confirmation emails OpenPhone support to move the number at once."""
    transition = schedule(cast, medspa, effective(medspa, 0), keeps=False)
    sweep()
    with capture_on_commit(execute=True):
        confirm_both(cast, transition)
    return transition


def test_letting_the_coordinator_go_reaches_done_on_every_step_through_the_vendors(
    cast, legacy, configured, django_capture_on_commit_callbacks
):
    with medspa_scope(legacy["medspa"]):
        medspa, stub = legacy["medspa"], configured
        day = effective(medspa)
        transition = schedule(cast, medspa, day, keeps=False)
        assert list(steps(transition)) == [
            StepKind.ACUITY_IMPORT,
            StepKind.MODEL_CHANGE,
            StepKind.ACUITY_REVOKE,
            StepKind.TIGERCONNECT,
            StepKind.OPENPHONE,
        ]
        with django_capture_on_commit_callbacks(execute=True):
            confirm_both(cast, transition)
        assert len(mail.outbox) == 1 and "/transition/confirm/" in mail.outbox[0].body
        assert support_emails() == []  # confirmed before the date: nothing is asked of OpenPhone yet

        with time_machine.travel(at(medspa, day), tick=True):
            sweep()
            current = steps(transition)
            # TigerConnect: the group deleted through its API; its users are a staff step (no API for it).
            tigerconnect = current[StepKind.TIGERCONNECT]
            assert stub.state.tc_groups == {"G1": "deleted"}
            assert (tigerconnect.status, tigerconnect.needs_hand) == (StepStatus.WAITING, True)
            assert "deactivate the users U1, U2" in tigerconnect.detail
            # Acuity: a staff checklist.
            revoke = current[StepKind.ACUITY_REVOKE]
            assert (revoke.status, revoke.needs_hand) == (StepStatus.WAITING, True)
            # OpenPhone: the request emailed to its support, both confirmations attached.
            openphone = current[StepKind.OPENPHONE]
            assert openphone.status == StepStatus.WAITING and openphone.external_ref
            assert "OpenPhone support has been emailed" in openphone.detail
            (request,) = support_emails()
            assert request.from_email == settings.PORTRAIT_SUPPORT_EMAIL
            assert "(555) 555-0100" in request.body and "owner@own-openphone.example" in request.body
            assert "“Portrait”" in request.body  # the workspace it leaves
            assert [name for name, _, _ in request.attachments] == [
                "confirmation-portrait.txt",
                "confirmation-provider.txt",
            ]
            assert "203.0.113.9" not in request.attachments[1][1]  # no more than the confirmation
            assert cast.admin_a.email in request.attachments[1][1]
            sweep()  # still in Portrait's workspace: asked about again, not emailed again
            assert len(support_emails()) == 1
            assert Membership.objects.get(pk=legacy["coordinator"].pk).is_active is False
            transition_by_hand.step_mark_done(
                step=tigerconnect, by=cast.staff, note="U1 and U2 deactivated in the admin console."
            )
            stub.state.calendars.clear()  # the staff member removed the calendar and user in Acuity
            transition_by_hand.step_mark_done(step=revoke, by=cast.staff, note="Calendar #11 deleted.")

        del stub.state.phone_numbers["PN1"]  # OpenPhone support moved the number
        with time_machine.travel(at(medspa, day + timedelta(days=1)), tick=True):
            sweep()
        transition.refresh_from_db()
        assert {step.status for step in transition.steps.all()} == {StepStatus.DONE}
        assert transition.status == TransitionStatus.COMPLETED
        assert "has left Portrait's OpenPhone workspace" in steps(transition)[StepKind.OPENPHONE].detail
        assert steps(transition)[StepKind.TIGERCONNECT].done_by == cast.staff
        medspa.refresh_from_db()
        assert (medspa.business_model, medspa.keeps_coordinator) == ("launch", False)
        assert len(support_emails()) == 1

        # The coordinator's line stops the day before the effective date.
        month = day.replace(day=1)
        with time_machine.travel(
            at(medspa, billing_bills.month_last(month) + timedelta(days=1), 13), tick=True
        ):
            billing_tasks.bills_monthly()
        days_in_month = billing_bills.month_last(month).day
        coordinator_days = day.day - 1
        lines = {line.kind: line for line in Bill.objects.get(medspa=medspa, month=month).lines.all()}
        assert set(lines) <= {BillLine.Kind.COORDINATOR_FEE}  # Launch has no monthly fee of its own
        if coordinator_days:
            expected = (Decimal("1000") * coordinator_days / days_in_month).quantize(Decimal("0.01"))
            assert lines[BillLine.Kind.COORDINATOR_FEE].amount == expected
            assert (
                f"({coordinator_days} of {days_in_month} days)"
                in lines[BillLine.Kind.COORDINATOR_FEE].description
            )
        else:
            assert BillLine.Kind.COORDINATOR_FEE not in lines

        # Every step, confirmation and acknowledgement is on the timeline with who did it.
        timeline = list(transition.timeline.values_list("actor__email", "message"))
        assert (
            cast.staff.email,
            "Portrait confirmed in writing that the number may move to owner@own-openphone.example.",
        ) in timeline
        assert any(
            actor == cast.admin_a.email and message.startswith("Acknowledged:") for actor, message in timeline
        )
        assert any(
            actor is None and "TigerConnect" in message and "done" in message for actor, message in timeline
        )


@pytest.mark.parametrize("party", ["provider", "portrait"])
def test_one_confirmation_alone_never_requests_the_transfer(cast, legacy, configured, party):
    with medspa_scope(legacy["medspa"]):
        medspa, stub = legacy["medspa"], configured
        day = effective(medspa, 0)
        transition = schedule(cast, medspa, day, keeps=False)
        transition_confirmations.openphone_account_set(
            transition=transition, by=cast.admin_a, email="owner@own.example"
        )
        transition_confirmations.openphone_acknowledge(transition=transition, by=cast.admin_a)
        transition.refresh_from_db()
        if party == "provider":
            transition_confirmations.provider_confirm(
                token=transition_confirmations.confirmation_token(transition, cast.admin_a), by=cast.admin_a
            )
        else:
            transition_confirmations.portrait_confirm(transition=transition, by=cast.staff)
        sweep()
        step = steps(transition)[StepKind.OPENPHONE]
        assert step.status == StepStatus.WAITING
        missing = "Portrait" if party == "provider" else "Provider"
        assert step.detail == f"Waiting for the written confirmation of {missing}."
        assert support_emails() == [] and stub.requests_to("GET", NUMBER) == []
        with pytest.raises(transition_base.TransitionRuleBroken, match="both confirmations"):
            transition_by_hand.step_mark_done(step=step, by=cast.staff, note="called OpenPhone")


def test_a_new_account_needs_both_confirmations_again(cast, legacy):
    with medspa_scope(legacy["medspa"]):
        medspa = legacy["medspa"]
        transition = schedule(cast, medspa, effective(medspa, 0), keeps=False)
        old_token = transition_confirmations.confirmation_token(transition, cast.admin_a)
        transition_confirmations.openphone_account_set(
            transition=transition, by=cast.admin_a, email="first@own.example"
        )
        transition_confirmations.openphone_acknowledge(transition=transition, by=cast.admin_a)
        transition.refresh_from_db()
        transition_confirmations.provider_confirm(
            token=transition_confirmations.confirmation_token(transition, cast.admin_a), by=cast.admin_a
        )
        transition_confirmations.portrait_confirm(transition=transition, by=cast.staff)
        assert transition_base.both_confirmed(transition)
        stale = transition_confirmations.confirmation_token(transition, cast.admin_a)
        transition_confirmations.openphone_account_set(
            transition=transition, by=cast.admin_a, email="second@own.example"
        )
        transition.refresh_from_db()
        assert not transition_base.both_confirmed(transition)
        with pytest.raises(transition_base.TransitionRuleBroken, match="account has changed"):
            transition_confirmations.provider_confirm(token=stale, by=cast.admin_a)
        with pytest.raises(transition_base.TransitionRuleBroken):
            transition_confirmations.provider_confirm(token=old_token, by=cast.admin_a)
        with pytest.raises(transition_base.TransitionRuleBroken, match="someone else"):
            transition_confirmations.provider_confirm(
                token=transition_confirmations.confirmation_token(transition, cast.admin_a),
                by=cast.provider_a1,
            )
        with pytest.raises(transition_base.TransitionRuleBroken, match="not valid"):
            transition_confirmations.provider_confirm(token="forged:token", by=cast.admin_a)


def test_portrait_confirms_only_as_staff(cast, legacy):
    with medspa_scope(legacy["medspa"]):
        transition = schedule(cast, legacy["medspa"], effective(legacy["medspa"]), keeps=False)
        transition_confirmations.openphone_account_set(
            transition=transition, by=cast.admin_a, email="owner@own.example"
        )
        with pytest.raises(transition_base.TransitionRuleBroken, match="Portrait staff"):
            transition_confirmations.portrait_confirm(transition=transition, by=cast.admin_a)


# --- Failures and retries ------------------------------------------------------------------------------


def test_a_vendor_failing_for_a_while_is_retried_later_and_then_succeeds(cast, legacy, configured):
    with medspa_scope(legacy["medspa"]):
        medspa, stub = legacy["medspa"], configured
        day = effective(medspa)
        transition = schedule(cast, medspa, day, keeps=False)
        for _ in range(2):  # both attempts of the client's call
            stub.script("DELETE", GROUP, status=503)
        with time_machine.travel(at(medspa, day), tick=True):
            sweep()
        step = steps(transition)[StepKind.TIGERCONNECT]
        assert step.status == StepStatus.PENDING and step.attempts == 1
        assert "Attempt 1 of 5 failed (TigerConnect answered 503" in step.detail
        with time_machine.travel(at(medspa, day, 9) + timedelta(minutes=1), tick=True):
            sweep()  # not yet: it waits two minutes
        assert steps(transition)[StepKind.TIGERCONNECT].attempts == 1
        with time_machine.travel(at(medspa, day, 9) + timedelta(minutes=5), tick=True):
            sweep()
        step = steps(transition)[StepKind.TIGERCONNECT]
        assert (step.status, step.attempts, step.needs_hand) == (StepStatus.WAITING, 2, True)  # users: staff
        assert stub.state.tc_groups["G1"] == "deleted"


def test_a_refused_call_fails_with_its_reason_and_retry_runs_it_again(
    cast, legacy, configured, settings, django_capture_on_commit_callbacks
):
    with medspa_scope(legacy["medspa"]):
        medspa, stub = legacy["medspa"], configured
        day = effective(medspa, 0)
        tools = transition_base.legacy_tools(medspa)
        tools.tigerconnect_user_ids = []
        tools.save()
        settings.TIGERCONNECT_API_SECRET = "revoked-secret"
        transition = schedule(cast, medspa, day, keeps=False)
        sweep()
        step = steps(transition)[StepKind.TIGERCONNECT]
        assert step.status == StepStatus.FAILED
        assert "401" in step.detail
        sweep()  # a failed step waits for a person
        assert steps(transition)[StepKind.TIGERCONNECT].status == StepStatus.FAILED
        settings.TIGERCONNECT_API_SECRET = "tc-secret"
        with django_capture_on_commit_callbacks(execute=True):
            transition_by_hand.step_retry(step=step, by=cast.staff)
        step.refresh_from_db()
        assert step.status == StepStatus.DONE
        assert stub.state.tc_groups["G1"] == "deleted"
        assert transition.timeline.filter(actor=cast.staff, message__contains="Run again").exists()


def test_a_timeout_from_the_vendor_is_retried_without_a_second_support_request(
    cast, legacy, configured, django_capture_on_commit_callbacks
):
    with medspa_scope(legacy["medspa"]):
        medspa, stub = legacy["medspa"], configured
        transition = schedule(cast, medspa, effective(medspa, 0), keeps=False)
        stub.script("GET", NUMBER, hang=1.0)  # OpenPhone answers too late once
        sweep()  # the model changes; the number waits for the account and the confirmations
        with django_capture_on_commit_callbacks(execute=True):
            confirm_both(cast, transition)  # the confirmation runs the step at once (its date has come)
        step = steps(transition)[StepKind.OPENPHONE]
        assert step.status == StepStatus.WAITING and step.external_ref
        assert len(stub.requests_to("GET", NUMBER)) == 2  # the client's own retry
        assert len(support_emails()) == 1


def test_without_configuration_a_step_waits_for_staff_to_mark_it_done_by_hand(cast, legacy, settings):
    with medspa_scope(legacy["medspa"]):
        settings.TIGERCONNECT_API_URL = ""
        medspa = legacy["medspa"]
        transition = schedule(cast, medspa, effective(medspa, 0), keeps=False)
        sweep()
        step = steps(transition)[StepKind.TIGERCONNECT]
        assert (step.status, step.needs_hand) == (StepStatus.WAITING, True)
        assert "TigerConnect is not connected to the EHR" in step.detail
        with pytest.raises(transition_base.TransitionRuleBroken, match="note"):
            transition_by_hand.step_mark_done(step=step, by=cast.staff, note="  ")
        with pytest.raises(transition_base.TransitionRuleBroken, match="staff"):
            transition_by_hand.step_mark_done(step=step, by=cast.admin_a, note="done")
        transition_by_hand.step_mark_done(
            step=step, by=cast.staff, note="Deactivated in the TigerConnect console, ticket 4411."
        )
        step.refresh_from_db()
        assert (step.status, step.done_by, step.hand_note) == (
            StepStatus.DONE,
            cast.staff,
            "Deactivated in the TigerConnect console, ticket 4411.",
        )


def test_without_openphone_configured_support_is_emailed_and_staff_marks_the_move_done(
    cast, legacy, configured, settings, django_capture_on_commit_callbacks
):
    with medspa_scope(legacy["medspa"]):
        settings.OPENPHONE_API_URL = ""
        medspa = legacy["medspa"]
        transition = schedule(cast, medspa, effective(medspa, 0), keeps=False)
        sweep()
        with django_capture_on_commit_callbacks(execute=True):
            confirm_both(cast, transition)
        step = steps(transition)[StepKind.OPENPHONE]
        assert (step.status, step.needs_hand) == (StepStatus.WAITING, True) and step.external_ref
        assert "OpenPhone's API is not configured" in step.detail and "mark this step done" in step.detail
        (request,) = support_emails()
        assert len(request.attachments) == 2
        with django_capture_on_commit_callbacks(execute=True):
            transition_by_hand.step_retry(step=step, by=cast.staff)  # run again: not emailed twice
        assert len(support_emails()) == 1
        step.refresh_from_db()
        transition_by_hand.step_mark_done(step=step, by=cast.staff, note="Support moved it, ticket 77.")
        step.refresh_from_db()
        assert (step.status, step.done_by) == (StepStatus.DONE, cast.staff)


def test_a_step_run_twice_does_its_work_once(cast, legacy, configured):
    """The second run finds the step done; and a vendor call answered too late after it acted is sent again,
    which the vendor answers without acting twice (a deleted group answers 404, counted as deleted)."""
    with medspa_scope(legacy["medspa"]):
        medspa, stub = legacy["medspa"], configured
        transition = schedule(cast, medspa, effective(medspa, 0), keeps=False)
        tools = transition_base.legacy_tools(medspa)
        tools.tigerconnect_user_ids = []  # only the group: the step is the API's alone
        tools.save()
        tasks.step_run(steps(transition)[StepKind.MODEL_CHANGE].pk, medspa.pk)
        stub.script("DELETE", GROUP, hang=1.0, after_effect=True)
        step = steps(transition)[StepKind.TIGERCONNECT]
        tasks.step_run(step.pk, medspa.pk)
        tasks.step_run(step.pk, medspa.pk)
        step.refresh_from_db()
        assert (step.status, step.attempts) == (StepStatus.DONE, 1)
        calls = stub.requests_to("DELETE", GROUP)
        assert len(calls) == 2  # the client's own retry
        assert [effect for effect in stub.state.effects if "tigerconnect" in effect] == [
            "tigerconnect group G1"
        ]


def test_a_step_waiting_for_people_is_checked_without_writing_anything(cast, legacy, configured):
    with medspa_scope(legacy["medspa"]):
        medspa = legacy["medspa"]
        transition = schedule(cast, medspa, effective(medspa, 0), keeps=False)
        sweep()
        step = steps(transition)[StepKind.OPENPHONE]
        assert step.status == StepStatus.WAITING and "new OpenPhone account" in step.detail
        entries, history = transition.timeline.count(), step.events.count()
        for minutes in (15, 30, 45):
            with time_machine.travel(timezone.now() + timedelta(minutes=minutes), tick=True):
                sweep()
        step.refresh_from_db()
        assert (step.status, step.attempts) == (StepStatus.WAITING, 0)
        assert (transition.timeline.count(), step.events.count()) == (entries, history)


def test_a_requested_transfer_is_polled_until_it_moves_and_a_failed_poll_changes_nothing(
    cast, legacy, configured, django_capture_on_commit_callbacks
):
    with medspa_scope(legacy["medspa"]):
        medspa, stub = legacy["medspa"], configured
        transition = transfer_requested(cast, medspa, django_capture_on_commit_callbacks)
        step = steps(transition)[StepKind.OPENPHONE]
        assert step.status == StepStatus.WAITING and step.external_ref
        assert len(support_emails()) == 1 and len(stub.requests_to("GET", NUMBER)) == 1
        sweep()  # not yet: the next poll is half an hour later
        assert len(stub.requests_to("GET", NUMBER)) == 1
        for _ in range(7):  # OpenPhone keeps failing: the step keeps waiting, it never fails for a blip
            stub.script("GET", NUMBER, status=503)
        entries = transition.timeline.count()
        for hours in (1, 2, 3):
            with time_machine.travel(timezone.now() + timedelta(hours=hours), tick=True):
                sweep()
        step.refresh_from_db()
        assert (step.status, step.attempts) == (StepStatus.WAITING, 1)
        assert transition.timeline.count() == entries
        del stub.state.phone_numbers["PN1"]  # OpenPhone support moved it: 404 in Portrait's workspace
        with time_machine.travel(timezone.now() + timedelta(hours=4), tick=True):
            sweep()
        step.refresh_from_db()
        assert step.status == StepStatus.DONE and "moved it to owner@own-openphone.example" in step.detail
        assert len(support_emails()) == 1


def test_support_is_emailed_once_and_staff_may_mark_the_move_done_by_hand(
    cast, legacy, configured, django_capture_on_commit_callbacks
):
    """Fallback: OpenPhone support moved the number but the API still lists it (or support answered by
    email first): a staff member marks the step done with a note; nothing is emailed twice."""
    with medspa_scope(legacy["medspa"]):
        medspa, stub = legacy["medspa"], configured
        transition = transfer_requested(cast, medspa, django_capture_on_commit_callbacks)
        with time_machine.travel(timezone.now() + timedelta(hours=1), tick=True):
            sweep()
        step = steps(transition)[StepKind.OPENPHONE]
        assert step.status == StepStatus.WAITING and len(support_emails()) == 1
        assert len(stub.requests_to("GET", NUMBER)) == 2  # asked, not emailed again
        with pytest.raises(transition_base.TransitionRuleBroken, match="cannot be run again"):
            transition_by_hand.step_retry(step=step, by=cast.staff)
        transition_by_hand.step_mark_done(
            step=step, by=cast.staff, note="OpenPhone support confirmed the move by email, ticket 9120."
        )
        step.refresh_from_db()
        assert (step.status, step.done_by) == (StepStatus.DONE, cast.staff)
        assert transition.timeline.filter(actor=cast.staff, message__contains="ticket 9120").exists()
        assert len(support_emails()) == 1


def test_acuity_is_never_revoked_while_the_medspa_is_still_on_legacy(cast, legacy, configured, monkeypatch):
    with medspa_scope(legacy["medspa"]):
        medspa, stub = legacy["medspa"], configured

        def broken(**kwargs):
            raise RuntimeError("database hiccup")

        monkeypatch.setattr(transition_coordinator.medspa_services, "medspa_business_model_set", broken)
        transition = schedule(cast, medspa, effective(medspa, 0), keeps=False)
        sweep()
        current = steps(transition)
        assert current[StepKind.MODEL_CHANGE].status == StepStatus.FAILED
        for kind in (StepKind.ACUITY_REVOKE, StepKind.TIGERCONNECT):
            assert (current[kind].status, current[kind].detail) == (
                StepStatus.WAITING,
                "Waits for the model change.",
            )
        assert stub.requests_to("DELETE", GROUP) == [] and stub.state.tc_groups["G1"] == "active"
        medspa.refresh_from_db()
        assert medspa.business_model == "legacy"


def test_a_model_change_that_ran_late_is_billed_from_the_effective_date(cast, legacy):
    with medspa_scope(legacy["medspa"]):
        medspa = legacy["medspa"]
        day = effective(medspa)
        transition = schedule(cast, medspa, day, keeps=False)
        with time_machine.travel(at(medspa, day + timedelta(days=3)), tick=True):
            tasks.step_run(steps(transition)[StepKind.MODEL_CHANGE].pk, medspa.pk)
        periods = list(PlanPeriod.objects.filter(medspa=medspa).order_by("starts_on"))
        assert [(p.business_model, p.starts_on, p.ends_on) for p in periods][-2:] == [
            ("legacy", periods[-2].starts_on, day - timedelta(days=1)),
            ("launch", day, None),
        ]


def test_letting_the_coordinator_go_ends_their_access_and_unused_invitations(cast, legacy):
    with medspa_scope(legacy["medspa"]):
        medspa = legacy["medspa"]
        invitation = factories.InvitationFactory(
            medspa=medspa, invited_by=cast.admin_a, as_provider=False, as_coordinator=True
        )
        transition = schedule(cast, medspa, effective(medspa, 0), keeps=False)
        tasks.step_run(steps(transition)[StepKind.MODEL_CHANGE].pk, medspa.pk)
        invitation.refresh_from_db()
        assert invitation.revoked_at is not None
        assert not Membership.objects.get(pk=legacy["coordinator"].pk).is_active


def test_the_import_never_reads_the_whole_acuity_account(cast, legacy, configured):
    with medspa_scope(legacy["medspa"]):
        medspa, stub = legacy["medspa"], configured
        tools = transition_base.legacy_tools(medspa)
        tools.acuity_calendar_ids = []
        tools.save()
        transition = schedule(cast, medspa, effective(medspa, 0), keeps=True)
        sweep()
        step = steps(transition)[StepKind.ACUITY_IMPORT]
        assert (step.status, step.needs_hand) == (StepStatus.WAITING, True)
        assert stub.requests_to("GET", f"{AC}/appointments") == []
        assert (
            steps(transition)[StepKind.ACUITY_REVOKE].detail
            == "Waits for the Acuity import, so that no booking is lost."
        )


def test_the_import_carries_intake_answers_into_the_notes_and_splits_a_full_window(
    cast, legacy, configured, monkeypatch
):
    """Acuity's intake form answers (forms[].values[]) go into the imported appointment's notes; a window
    that fills Acuity's page (`max`) is read again in halves, so no appointment is missed."""
    from transition.integrations import acuity as acuity_module

    monkeypatch.setattr(acuity_module, "PAGE_MAX", 2)
    with medspa_scope(legacy["medspa"]):
        medspa, stub = legacy["medspa"], configured
        day = effective(medspa, 0)
        factories.PatientFactory(medspa=medspa, first_name="Jo", last_name="Patient", email="jo@example.com")
        intake = {
            "id": 3,
            "name": "Intake",
            "values": [{"id": 9, "fieldID": 4, "name": "Allergies?", "value": "Latex"}],
        }
        for offset in (2, 3, 4):  # three in one 31-day window: a full page of two, split
            row = acuity_row(8000 + offset, at(medspa, day + timedelta(days=offset), 10))
            row["forms"] = [intake]
            stub.state.appointments.append(row)
        transition = schedule(cast, medspa, day, keeps=True)
        sweep()
        assert steps(transition)[StepKind.ACUITY_IMPORT].status == StepStatus.DONE
        imported = Appointment.objects.filter(source=Appointment.Source.ACUITY).order_by("start")
        assert imported.count() == 3
        assert imported[0].notes == (
            "Imported from Acuity (#8002). first visit\nIntake form answers:\nAllergies?: Latex"
        )
        assert all(r.query["max"] == ["2"] for r in stub.requests_to("GET", f"{AC}/appointments"))


def test_a_transition_with_vendor_work_under_way_cannot_be_called_off(cast, legacy, configured):
    with medspa_scope(legacy["medspa"]):
        medspa = legacy["medspa"]
        transition = schedule(cast, medspa, effective(medspa), keeps=False)
        TransitionStep.objects.filter(transition=transition, kind=StepKind.TIGERCONNECT).update(
            status=StepStatus.FAILED, started_at=timezone.now()
        )
        with pytest.raises(transition_base.TransitionRuleBroken, match="no longer be called off"):
            transition_approval.transition_cancel(
                transition=transition, by=cast.staff, note="changed our minds"
            )


def test_a_step_whose_worker_died_is_picked_up_again(cast, legacy, configured):
    with medspa_scope(legacy["medspa"]):
        medspa = legacy["medspa"]
        transition = schedule(cast, medspa, effective(medspa, 0), keeps=False)
        step = steps(transition)[StepKind.TIGERCONNECT]
        step.status, step.started_at = StepStatus.IN_PROGRESS, timezone.now()
        step.lease_until = step.started_at + transition_base.STEP_LEASE
        step.save()
        sweep()
        assert (
            steps(transition)[StepKind.TIGERCONNECT].status == StepStatus.IN_PROGRESS
        )  # a worker may still have it
        with time_machine.travel(
            timezone.now() + transition_base.STEP_LEASE + timedelta(seconds=1), tick=True
        ):
            sweep()
        step = steps(transition)[StepKind.TIGERCONNECT]
        assert (step.status, step.needs_hand) == (StepStatus.WAITING, True)  # the users: a staff step
        assert configured.state.tc_groups["G1"] == "deleted"


# --- The Acuity import ------------------------------------------------------------------------------------


def test_the_acuity_import_reports_conflicts_and_a_person_resolves_them(cast, legacy, configured):
    with medspa_scope(legacy["medspa"]):
        medspa, stub, provider = legacy["medspa"], configured, legacy["provider"]
        day = effective(medspa)
        known = factories.PatientFactory(
            medspa=medspa, first_name="Jo", last_name="Patient", email="jo@example.com"
        )
        taken = at(medspa, day + timedelta(days=1), 11)
        booking.appointment_book(
            appointment_type=legacy["type"], start=taken, patient=known, provider=provider, notify=False
        )
        stub.state.appointments.extend(
            [
                acuity_row(1, at(medspa, day + timedelta(days=1), 9)),  # imported
                acuity_row(2, taken),  # the EHR calendar already has an appointment then
                acuity_row(
                    3,
                    at(medspa, day + timedelta(days=3), 9),
                    first="New",
                    last="Person",
                    email="new@example.com",
                ),
                acuity_row(4, at(medspa, day + timedelta(days=4), 9), type_name="Lip filler"),
            ]
        )
        transition = schedule(cast, medspa, day, keeps=True)
        with time_machine.travel(at(medspa, day, 6), tick=True):
            sweep()
        step = steps(transition)[StepKind.ACUITY_IMPORT]
        assert step.status == StepStatus.WAITING
        assert step.detail.startswith(
            "1 future Acuity appointment imported into the EHR calendar. 3 need a person"
        )
        reasons = dict(
            AcuityBooking.objects.filter(status=ImportStatus.CONFLICT).values_list("acuity_id", "reason")
        )
        assert reasons == {
            2: f"{provider.user.get_full_name()} already has an appointment in the EHR at that time.",
            3: "No patient record matches New Person: add the patient (a date of birth is needed), "
            "then retry.",
            4: f"No active appointment type “Lip filler” is offered by {provider.user.get_full_name()}.",
        }
        # The conflicts are kept in the EHR: Acuity's revoking checklist is ready on time all the same, and
        # the model changes.
        revoke = steps(transition)[StepKind.ACUITY_REVOKE]
        assert (revoke.status, revoke.needs_hand) == (StepStatus.WAITING, True)
        assert "(4 appointment(s) of them were read by the import)" in revoke.detail
        assert steps(transition)[StepKind.MODEL_CHANGE].status == StepStatus.DONE
        transition.refresh_from_db()
        assert transition.status == TransitionStatus.SCHEDULED

        with time_machine.travel(at(medspa, day, 7), tick=True):
            sweep()  # running again imports nothing twice
        assert Appointment.objects.filter(source=Appointment.Source.ACUITY).count() == 1
        for conflict in AcuityBooking.objects.filter(status=ImportStatus.CONFLICT):
            with pytest.raises(transition_base.TransitionRuleBroken, match="how"):
                transition_by_hand.booking_resolve(booking=conflict, by=cast.admin_a, note="")
            transition_by_hand.booking_resolve(
                booking=conflict, by=cast.admin_a, note="Called the patient and booked by hand."
            )
        with time_machine.travel(at(medspa, day, 8), tick=True):
            transition_by_hand.step_mark_done(
                step=revoke, by=cast.staff, note="Calendar #11 removed in Acuity."
            )
        transition.refresh_from_db()
        assert steps(transition)[StepKind.ACUITY_IMPORT].status == StepStatus.DONE
        assert transition.status == TransitionStatus.COMPLETED


# --- Requests, decisions and their rules ------------------------------------------------------------------


def test_an_admin_request_waits_for_portrait_and_makes_the_plan_when_approved(cast, legacy):
    with medspa_scope(legacy["medspa"]):
        medspa = legacy["medspa"]
        terms = transition_approval.TransitionTerms(
            "flex", effective(medspa), False, Decimal("15"), note="Ready to go"
        )
        transition = transition_approval.transition_request(medspa=medspa, by=cast.admin_a, terms=terms)
        assert transition.status == TransitionStatus.REQUESTED and not transition.steps.exists()
        sweep()
        with pytest.raises(transition_base.TransitionRuleBroken, match="already has a transition"):
            transition_approval.transition_request(medspa=medspa, by=cast.admin_a, terms=terms)
        transition_approval.transition_approve(
            transition=transition, by=cast.staff, effective_date=effective(medspa, 20)
        )
        transition.refresh_from_db()
        assert transition.status == TransitionStatus.SCHEDULED
        assert {step.due_date for step in transition.steps.all()} == {effective(medspa, 20)}
        with time_machine.travel(at(medspa, effective(medspa, 20)), tick=True):
            sweep()
        medspa.refresh_from_db()
        assert (medspa.business_model, medspa.flex_revenue_split_percent) == ("flex", Decimal("15.00"))


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        (("launch", -1, True, None), "past"),
        (("flex", 5, True, None), "revenue split"),
        (("legacy", 5, True, None), "Launch or Flex"),
    ],
)
def test_bad_terms_are_refused_and_nothing_is_stored(cast, legacy, terms, message):
    with medspa_scope(legacy["medspa"]):
        medspa = legacy["medspa"]
        model, days, keeps, split = terms
        with pytest.raises(transition_base.TransitionRuleBroken, match=message):
            transition_approval.transition_schedule(
                medspa=medspa,
                by=cast.staff,
                terms=transition_approval.TransitionTerms(model, effective(medspa, days), keeps, split),
            )
        assert not medspa.transitions.exists()


def test_only_a_legacy_medspa_transitions(cast):
    terms = transition_approval.TransitionTerms("flex", clock.today(cast.medspa_a), True, Decimal("10"))
    with pytest.raises(transition_base.TransitionRuleBroken, match="already on Launch"):
        transition_approval.transition_request(medspa=cast.medspa_a, by=cast.admin_a, terms=terms)


def test_decline_and_cancel(cast, legacy):
    with medspa_scope(legacy["medspa"]):
        medspa = legacy["medspa"]
        terms = transition_approval.TransitionTerms("launch", effective(medspa), True)
        requested = transition_approval.transition_request(medspa=medspa, by=cast.admin_a, terms=terms)
        with pytest.raises(transition_base.TransitionRuleBroken, match="why"):
            transition_approval.transition_decline(transition=requested, by=cast.staff, note="")
        transition_approval.transition_decline(
            transition=requested, by=cast.staff, note="Contract ends in March."
        )
        scheduled = transition_approval.transition_schedule(medspa=medspa, by=cast.staff, terms=terms)
        transition_approval.transition_cancel(
            transition=scheduled, by=cast.staff, note="The medspa changed its mind."
        )
        scheduled.refresh_from_db()
        assert scheduled.status == TransitionStatus.CANCELLED
        with time_machine.travel(at(medspa, effective(medspa)), tick=True):
            sweep()
        medspa.refresh_from_db()
        assert medspa.business_model == "legacy"  # a cancelled plan never runs


def test_a_transition_cannot_be_called_off_once_the_model_changed(cast, legacy):
    with medspa_scope(legacy["medspa"]):
        medspa = legacy["medspa"]
        transition = schedule(cast, medspa, effective(medspa, 0), keeps=True)
        sweep()
        with pytest.raises(transition_base.TransitionRuleBroken, match="no longer open|can no longer"):
            transition_approval.transition_cancel(transition=transition, by=cast.staff, note="too late")

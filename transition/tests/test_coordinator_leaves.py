"""A Launch or Flex medspa that kept its coordinator lets them go later, a transition of its own: asked by the
medspa admin (after a confirmation that says what happens on the day) or scheduled by Portrait staff; on the
first day without the coordinator their access ends, the $1,000 line stops (the month billed by day), then
TigerConnect is deactivated and the OpenPhone number released as in the move (the loopback stub server plays
the vendors, tests/stub_server.py)."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse

from billing.models import BillLine, PlanPeriod
from billing.services import bills as billing_bills
from medspa import clock
from medspa.models import Membership
from medspa.tenancy import medspa_scope
from tests import factories
from tests.stub_server import OP
from transition import tasks
from transition.models import TimelineEntry, Transition
from transition.models.transitions import StepKind, StepStatus, TransitionKind, TransitionStatus
from transition.services import approval as transition_approval
from transition.services import base as transition_base
from transition.services import by_hand as transition_by_hand
from transition.services import confirmations as transition_confirmations
from transition.tests.test_transition_lease import assert_lost_once_too_often

PAGE = "/dashboard/settings/transition/"
LEAVE = "/dashboard/settings/transition/coordinator-leaves/"


@pytest.fixture
def launch(cast, legacy):
    """medspa_a on Launch, keeping its coordinator, with the Legacy tools Portrait still runs for it."""
    medspa = legacy["medspa"]
    medspa.business_model = "launch"
    medspa.save()
    return legacy


def in_days(medspa, days: int = 10) -> date:
    return clock.today(medspa) + timedelta(days=days)


def at(medspa, day: date, hour: int = 9):
    return datetime.combine(day, time(hour), tzinfo=medspa.tz)


def let_go(cast, medspa, day: date, *, by=None) -> Transition:
    terms = transition_approval.coordinator_leaves_terms(medspa=medspa, effective_date=day)
    return transition_approval.transition_schedule(medspa=medspa, by=by or cast.staff, terms=terms)


def steps(transition) -> dict:
    return {step.kind: step for step in transition.steps.all()}


def coordinator_lines(medspa, month: date) -> list[tuple[str, Decimal]]:
    return [
        (line.description, line.amount)
        for line in billing_bills.bill_lines(medspa, month)
        if line.kind == BillLine.Kind.COORDINATOR_FEE
    ]


def confirm_both(cast, transition, *, email="owner@own-openphone.example"):
    admin = cast.admin_a
    transition_confirmations.openphone_account_set(transition=transition, by=admin, email=email)
    transition_confirmations.openphone_acknowledge(transition=transition, by=admin)
    transition.refresh_from_db()
    transition_confirmations.provider_confirm(
        token=transition_confirmations.confirmation_token(transition, admin), by=admin
    )
    transition_confirmations.portrait_confirm(transition=transition, by=cast.staff)


# --- The rules ----------------------------------------------------------------------------------------------


def test_a_legacy_medspa_is_refused_it_uses_the_move(cast, legacy):
    medspa = legacy["medspa"]
    with pytest.raises(transition_base.TransitionRuleBroken, match="part of the move to Launch or Flex"):
        let_go(cast, medspa, in_days(medspa))
    assert not Transition.objects.exists()


def test_a_medspa_without_a_coordinator_is_refused(cast, launch):
    medspa = launch["medspa"]
    medspa.keeps_coordinator = False
    medspa.save()
    with pytest.raises(
        transition_base.TransitionRuleBroken, match="has no Patient Care Coordinator to let go"
    ):
        let_go(cast, medspa, in_days(medspa))


def test_a_day_in_the_past_is_refused(cast, launch):
    medspa = launch["medspa"]
    with pytest.raises(transition_base.TransitionRuleBroken, match="cannot be in the past"):
        let_go(cast, medspa, in_days(medspa, -1))


def test_it_keeps_the_medspa_on_its_model_and_split(cast, launch):
    medspa = launch["medspa"]
    medspa.business_model, medspa.flex_revenue_split_percent = "flex", Decimal("20")
    medspa.save()
    transition = let_go(cast, medspa, in_days(medspa))
    assert (transition.kind, transition.target_model, transition.keeps_coordinator) == (
        TransitionKind.COORDINATOR_LEAVES, "flex", False,
    )  # fmt: skip
    assert transition.flex_revenue_split_percent == Decimal("20")
    moving = transition_approval.TransitionTerms(
        "launch", in_days(medspa), False, kind=TransitionKind.COORDINATOR_LEAVES
    )
    transition.status = TransitionStatus.CANCELLED
    transition.save()
    with pytest.raises(transition_base.TransitionRuleBroken, match="keeps Glow A on Flex"):
        transition_approval.transition_request(medspa=medspa, by=cast.admin_a, terms=moving)


def test_the_database_refuses_a_coordinator_leaving_that_keeps_the_coordinator(cast, launch):
    medspa = launch["medspa"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Transition.objects.create(
            medspa=medspa, kind=TransitionKind.COORDINATOR_LEAVES, target_model="launch",
            effective_date=in_days(medspa), keeps_coordinator=True, requested_by=cast.staff,
        )  # fmt: skip


def test_one_transition_under_way_per_medspa(cast, launch):
    medspa = launch["medspa"]
    let_go(cast, medspa, in_days(medspa))
    with pytest.raises(transition_base.TransitionRuleBroken, match="already has a transition under way"):
        let_go(cast, medspa, in_days(medspa, 20))


# --- Asking, deciding, scheduling ---------------------------------------------------------------------------


def test_the_admin_asks_and_portrait_approves_with_the_plan_in_order(cast, launch):
    with medspa_scope(launch["medspa"]):
        medspa = launch["medspa"]
        day = in_days(medspa)
        terms = transition_approval.coordinator_leaves_terms(
            medspa=medspa, effective_date=day, note="Doing it ourselves."
        )
        transition = transition_approval.transition_request(medspa=medspa, by=cast.admin_a, terms=terms)
        assert transition.status == TransitionStatus.REQUESTED and not transition.steps.exists()
        headline = f"Let the coordinator go on {day:%b} {day.day}, {day.year}"
        assert transition.headline == headline
        transition_approval.transition_approve(transition=transition, by=cast.staff)
        transition.refresh_from_db()
        assert transition.status == TransitionStatus.SCHEDULED
        assert [(s.kind, s.due_date) for s in transition.steps.order_by("position")] == [
            (StepKind.COORDINATOR_LEAVES, day),
            (StepKind.TIGERCONNECT, day),
            (StepKind.OPENPHONE, day),
        ]
        messages = list(TimelineEntry.objects.filter(transition=transition).values_list("message", flat=True))
        assert f"Requested by the medspa: {headline}." in messages
        assert f"Approved by Portrait: {headline}." in messages
        assert (
            "Plan made: End the coordinator's access and monthly fee; Deactivate TigerConnect (support "
            "channel and users); Release the OpenPhone number to the provider's own account." in messages
        )


def test_approving_is_refused_once_the_coordinator_is_gone_meanwhile(cast, launch):
    with medspa_scope(launch["medspa"]):
        medspa = launch["medspa"]
        terms = transition_approval.coordinator_leaves_terms(medspa=medspa, effective_date=in_days(medspa))
        transition = transition_approval.transition_request(medspa=medspa, by=cast.admin_a, terms=terms)
        medspa.keeps_coordinator = False
        medspa.save()
        with pytest.raises(
            transition_base.TransitionRuleBroken, match="no Patient Care Coordinator to let go"
        ):
            transition_approval.transition_approve(transition=transition, by=cast.staff)


@pytest.mark.parametrize("end", ["decline", "cancel"])
def test_a_declined_or_cancelled_one_can_be_asked_again(cast, launch, end):
    with medspa_scope(launch["medspa"]):
        medspa = launch["medspa"]
        terms = transition_approval.coordinator_leaves_terms(medspa=medspa, effective_date=in_days(medspa))
        first = transition_approval.transition_request(medspa=medspa, by=cast.admin_a, terms=terms)
        if end == "decline":
            transition_approval.transition_decline(transition=first, by=cast.staff, note="Talk to us first.")
        else:
            transition_approval.transition_approve(transition=first, by=cast.staff)
            transition_approval.transition_cancel(transition=first, by=cast.staff, note="Changed their mind.")
        again = transition_approval.transition_request(medspa=medspa, by=cast.admin_a, terms=terms)
        assert again.status == TransitionStatus.REQUESTED and again.pk != first.pk


def test_portrait_staff_schedule_it_directly(cast, launch):
    with medspa_scope(launch["medspa"]):
        medspa = launch["medspa"]
        transition = let_go(cast, medspa, in_days(medspa))
        assert transition.status == TransitionStatus.SCHEDULED and transition.decided_by == cast.staff
        assert list(steps(transition)) == [
            StepKind.COORDINATOR_LEAVES,
            StepKind.TIGERCONNECT,
            StepKind.OPENPHONE,
        ]


def test_the_coordinator_step_is_never_marked_done_by_hand(cast, launch):
    with medspa_scope(launch["medspa"]):
        medspa = launch["medspa"]
        transition = let_go(cast, medspa, in_days(medspa, 0))
        step = steps(transition)[StepKind.COORDINATOR_LEAVES]
        with pytest.raises(
            transition_base.TransitionRuleBroken, match="runs by itself on the effective date"
        ):
            transition_by_hand.step_mark_done(step=step, by=cast.staff, note="Done.")


# --- On the day ---------------------------------------------------------------------------------------------


def test_on_the_day_access_ends_then_tigerconnect_and_openphone_follow(
    cast, launch, configured, django_capture_on_commit_callbacks
):
    with medspa_scope(launch["medspa"]):
        medspa, stub = launch["medspa"], configured
        day = in_days(medspa)
        admin_coordinator = Membership.objects.get(user=cast.admin_a, medspa=medspa)
        admin_coordinator.is_coordinator = True
        admin_coordinator.save()
        invitation = factories.InvitationFactory(
            medspa=medspa, invited_by=cast.admin_a, as_provider=False, as_coordinator=True
        )
        transition = let_go(cast, medspa, day)
        with django_capture_on_commit_callbacks(execute=True):
            confirm_both(cast, transition)

        with time_machine.travel(at(medspa, day - timedelta(days=1)), tick=True):
            tasks.steps_due()  # the day before: nothing
        assert stub.state.tc_groups == {"G1": "active"} and stub.requests == []
        assert Membership.objects.get(pk=launch["coordinator"].pk).is_active

        # TigerConnect run first (a worker picking it up early) waits for the coordinator step.
        with time_machine.travel(at(medspa, day), tick=True):
            tasks.step_run(steps(transition)[StepKind.TIGERCONNECT].pk, medspa.pk)
            tigerconnect = steps(transition)[StepKind.TIGERCONNECT]
            assert (tigerconnect.status, tigerconnect.detail) == (
                StepStatus.WAITING, "Waits for the coordinator's access to end.",
            )  # fmt: skip
            assert stub.state.tc_groups == {"G1": "active"}
            tasks.steps_due()
        current = steps(transition)
        assert current[StepKind.COORDINATOR_LEAVES].status == StepStatus.DONE
        assert "The coordinator's access ended (2)" in current[StepKind.COORDINATOR_LEAVES].detail
        tigerconnect = current[StepKind.TIGERCONNECT]
        assert stub.state.tc_groups == {"G1": "deleted"}  # through the API; the users are a staff step
        assert (tigerconnect.status, tigerconnect.needs_hand) == (StepStatus.WAITING, True)
        assert "deactivate the users U1, U2" in tigerconnect.detail
        (request,) = [message for message in mail.outbox if "support@openphone.com" in message.to]
        assert "owner@own-openphone.example" in request.body and len(request.attachments) == 2
        assert current[StepKind.OPENPHONE].status == StepStatus.WAITING

        medspa.refresh_from_db()
        assert (medspa.business_model, medspa.keeps_coordinator) == ("launch", False)
        assert not Membership.objects.get(pk=launch["coordinator"].pk).is_active
        admin_coordinator.refresh_from_db()
        assert (
            admin_coordinator.is_active
            and admin_coordinator.is_admin
            and not admin_coordinator.is_coordinator
        )
        invitation.refresh_from_db()
        assert invitation.revoked_at is not None

        with time_machine.travel(at(medspa, day, 12), tick=True):
            transition_by_hand.step_mark_done(
                step=tigerconnect, by=cast.staff, note="U1 and U2 deactivated in TigerConnect's console."
            )
        del stub.state.phone_numbers["PN1"]  # OpenPhone support moved the number
        with time_machine.travel(at(medspa, day + timedelta(days=1)), tick=True):
            tasks.steps_due()
        transition.refresh_from_db()
        assert transition.status == TransitionStatus.COMPLETED


def test_openphone_waits_for_both_confirmations(cast, launch, configured):
    with medspa_scope(launch["medspa"]):
        medspa, stub = launch["medspa"], configured
        transition = let_go(cast, medspa, in_days(medspa, 0))
        tasks.steps_due()
        openphone = steps(transition)[StepKind.OPENPHONE]
        assert openphone.status == StepStatus.WAITING
        assert openphone.detail.startswith("Waiting for the provider to enter their new OpenPhone account")
        assert stub.requests_to("GET", f"{OP}/phone-numbers/PN1") == []
        assert not [message for message in mail.outbox if "support@openphone.com" in message.to]


def test_the_coordinator_line_stops_from_the_day_prorated(cast, launch):
    with medspa_scope(launch["medspa"]):
        medspa = launch["medspa"]
        PlanPeriod.objects.filter(medspa=medspa).delete()
        PlanPeriod.objects.create(
            medspa=medspa, business_model="launch", keeps_coordinator=True, starts_on=date(2026, 1, 1)
        )
        day = date(2026, 11, 16)
        with time_machine.travel(at(medspa, date(2026, 11, 2)), tick=True):
            transition = let_go(cast, medspa, day)
        with time_machine.travel(at(medspa, day, 0) + timedelta(minutes=5), tick=True):
            tasks.steps_due()
        assert steps(transition)[StepKind.COORDINATOR_LEAVES].status == StepStatus.DONE
        assert coordinator_lines(medspa, date(2026, 10, 1)) == [("Patient Care Coordinator, October 2026",
                                                                 Decimal("1000.00"))]  # fmt: skip
        assert coordinator_lines(medspa, date(2026, 11, 1)) == [
            ("Patient Care Coordinator, Nov 1–Nov 15, 2026 (15 of 30 days)", Decimal("500.00"))
        ]
        assert coordinator_lines(medspa, date(2026, 12, 1)) == []


def test_a_coordinator_step_run_late_bills_from_the_day_it_was_due(cast, launch):
    with medspa_scope(launch["medspa"]):
        medspa = launch["medspa"]
        PlanPeriod.objects.filter(medspa=medspa).delete()
        PlanPeriod.objects.create(
            medspa=medspa, business_model="launch", keeps_coordinator=True, starts_on=date(2026, 1, 1)
        )
        with time_machine.travel(at(medspa, date(2026, 11, 2)), tick=True):
            transition = let_go(cast, medspa, date(2026, 11, 16))
        with time_machine.travel(at(medspa, date(2026, 11, 20)), tick=True):  # after an outage
            tasks.step_run(steps(transition)[StepKind.COORDINATOR_LEAVES].pk, medspa.pk)
        periods = PlanPeriod.objects.filter(medspa=medspa).order_by("starts_on")
        assert [(p.keeps_coordinator, p.starts_on, p.ends_on) for p in periods] == [
            (True, date(2026, 1, 1), date(2026, 11, 15)),
            (False, date(2026, 11, 16), None),
        ]


# --- The admin's page ---------------------------------------------------------------------------------------


def test_the_admin_page_offers_it_confirms_what_happens_then_sends_the_request(client_as, cast, launch):
    with medspa_scope(launch["medspa"]):
        medspa = launch["medspa"]
        client = client_as("admin_a")
        body = client.get(reverse("account_settings")).content.decode()
        assert "Let the coordinator go" in body and "#coordinator-leaves" in body
        body = client.get(PAGE).content.decode()
        assert 'id="coordinator-leaves"' in body and "First day without the coordinator" in body

        day = in_days(medspa, 14)
        long_day = f"{day:%A, %B} {day.day}, {day.year}"
        response = client.post(LEAVE, {"effective_date": day.isoformat(), "note": "Own front desk now."})
        assert response.status_code == 200
        body = response.content.decode()
        assert f"On {long_day}" in body
        assert "The coordinator's access to Glow A ends." in body
        assert "The $1,000 monthly coordinator line stops from that day" in body
        assert "TigerConnect is deactivated" in body
        assert "Texting from the number may be delayed for 7 to 10 days" in body
        assert "history, phone settings and patient information are not carried over" in body
        assert not Transition.objects.exists()  # nothing sent before the confirmation

        response = client.post(
            LEAVE, {"effective_date": day.isoformat(), "note": "Own front desk now.", "confirmed": "True"}
        )
        assert response.status_code == 302
        transition = Transition.objects.get()
        assert (transition.kind, transition.status, transition.effective_date, transition.note) == (
            TransitionKind.COORDINATOR_LEAVES, TransitionStatus.REQUESTED, day, "Own front desk now.",
        )  # fmt: skip
        assert transition.requested_by == cast.admin_a
        body = client.get(PAGE).content.decode()
        assert f"Let the coordinator go on {day:%b} {day.day}, {day.year}" in body
        assert "Requested by the medspa" in body
        assert 'id="coordinator-leaves"' not in body  # one at a time
        body = client.get(reverse("account_settings")).content.decode()
        assert "Letting the coordinator go" in body and "requested by the medspa" in body


def test_the_admin_page_refuses_a_past_day_on_the_field(client_as, launch):
    medspa = launch["medspa"]
    response = client_as("admin_a").post(
        LEAVE, {"effective_date": in_days(medspa, -1).isoformat(), "confirmed": "True"}
    )
    assert response.status_code == 400
    assert "The first day without the coordinator cannot be in the past" in response.content.decode()
    assert not Transition.objects.exists()


def test_a_medspa_without_a_coordinator_is_not_offered_it(client_as, cast, launch):
    medspa = launch["medspa"]
    medspa.keeps_coordinator = False
    medspa.save()
    client = client_as("admin_a")
    assert 'id="coordinator-leaves"' not in client.get(PAGE).content.decode()
    response = client.post(LEAVE, {"effective_date": in_days(medspa).isoformat(), "confirmed": "True"})
    assert response.status_code == 400
    assert not Transition.objects.exists()


# --- Portrait's pages ---------------------------------------------------------------------------------------


def test_staff_schedule_it_from_their_pages_and_every_page_names_it(client_as, cast, launch):
    with medspa_scope(launch["medspa"]):
        medspa = launch["medspa"]
        client = client_as("staff")
        assert reverse("transition_staff:coordinator_leaves") in client.get("/transitions/").content.decode()
        form = client.get(reverse("transition_staff:coordinator_leaves")).content.decode()
        assert "Glow A" in form and "Luxe B" not in form  # B keeps no coordinator
        day = in_days(medspa, 7)
        response = client.post(
            reverse("transition_staff:coordinator_leaves"),
            {"medspa": medspa.pk, "effective_date": day.isoformat(), "note": "Asked by phone."},
        )
        transition = Transition.objects.get()
        assert response.status_code == 302
        assert response.url == reverse("transition_staff:detail", args=[transition.pk])
        headline = f"Let the coordinator go on {day:%b} {day.day}, {day.year}"
        detail = client.get(response.url).content.decode()
        assert f"<h1>Glow A: {headline}</h1>" in detail
        assert "End the coordinator&#x27;s access and monthly fee" in detail
        listing = client.get("/transitions/").content.decode()
        assert "Let the coordinator go" in listing and "Launch (unchanged)" in listing
        admin = client.get(reverse("admin:transition_transition_changelist")).content.decode()
        assert "Let the coordinator go" in admin
        again = client.post(
            reverse("transition_staff:coordinator_leaves"),
            {"medspa": medspa.pk, "effective_date": day.isoformat()},
        )
        assert again.status_code == 400  # under way: no longer in the list
        assert Transition.objects.count() == 1


def test_the_coordinator_step_lost_three_times_is_retried_not_done_by_hand(cast, launch, configured):
    with medspa_scope(launch["medspa"]):
        medspa = launch["medspa"]
        step = steps(let_go(cast, medspa, clock.today(medspa)))[StepKind.COORDINATOR_LEAVES]
        assert_lost_once_too_often(step)

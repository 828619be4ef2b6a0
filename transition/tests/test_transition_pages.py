"""The Legacy → Launch / Flex transition's pages: the medspa admin's request and page (steps refreshed live,
Acuity conflicts, the OpenPhone account, acknowledgement and emailed confirmation link, the timeline), the
provider's confirmation link, Portrait staff's list, start, decisions and step actions, the Legacy tools, and
the Django admin."""

from datetime import UTC, datetime, time, timedelta
from html import escape

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import dateformat

from medspa import clock
from medspa.tenancy import medspa_scope
from transition import tasks
from transition.models import (
    AcuityBooking,
    LegacyTools,
    ReleaseConfirmation,
    TimelineEntry,
    Transition,
    TransitionStep,
)
from transition.models.records import ConfirmationParty, ImportStatus
from transition.models.transitions import OPENPHONE_ACKNOWLEDGEMENT, StepKind, StepStatus, TransitionStatus
from transition.services import approval as transition_approval
from transition.services import base as transition_base
from transition.services import by_hand as transition_by_hand
from transition.services import confirmations as transition_confirmations

PAGE = "/dashboard/settings/transition/"


@pytest.fixture
def legacy_a(cast):
    """Medspa A on Legacy with its coordinator (it is Launch in the cast)."""
    medspa = cast.medspa_a
    medspa.business_model = "legacy"
    medspa.keeps_coordinator = True
    medspa.save()
    return medspa


def in_days(medspa, days: int):
    return clock.today(medspa) + timedelta(days=days)


def schedule(cast, medspa, *, days=7, keeps=False, target="launch", split=None) -> Transition:
    return transition_approval.transition_schedule(
        medspa=medspa,
        by=cast.staff,
        terms=transition_approval.TransitionTerms(target, in_days(medspa, days), keeps, split),
    )


def on_day(medspa, day):
    """The clock at 10:00 on `day` in the medspa's time zone."""
    return time_machine.travel(datetime.combine(day, time(10), tzinfo=medspa.tz), tick=True)


def steps_of(transition) -> dict:
    return {step.kind: step for step in TransitionStep.objects.filter(transition=transition)}


def request_data(medspa, **changes) -> dict:
    data = {
        "target_model": "flex",
        "flex_revenue_split_percent": "20",
        "effective_date": in_days(medspa, 14).isoformat(),
        "keeps_coordinator": "no",
        "note": "We are ready.",
    }
    data.update(changes)
    return data


def conflict(transition, acuity_id=501, **fields) -> AcuityBooking:
    """An Acuity appointment the import could not place, three days after the effective date, 15:00 UTC."""
    values = {
        "start": datetime.combine(transition.effective_date + timedelta(days=3), time(15), tzinfo=UTC),
        "duration_minutes": 45,
        "calendar": "Dr. Avery",
        "appointment_type": "Lip filler",
        "first_name": "Dana",
        "last_name": "Whitfield",
        "status": ImportStatus.CONFLICT,
        "reason": "No patient record matches Dana Whitfield: add the patient, then retry.",
    }
    values.update(fields)
    return AcuityBooking.objects.create(
        medspa=transition.medspa, transition=transition, acuity_id=acuity_id, **values
    )


# --- The admin's request ----------------------------------------------------------------------------------


class TestRequest:
    def test_a_legacy_admin_sees_the_form_and_what_changes(self, client_as, legacy_a):
        response = client_as("admin_a").get(PAGE)
        assert response.status_code == 200
        body = response.content.decode()
        assert reverse("transition:request") in body
        assert "$1,000 a month" in body
        assert "deactivated the first day you no longer have a coordinator" in body
        assert "access to Portrait's Acuity calendar is revoked" in body
        assert "Texting is likely to be delayed for 7 to 10 days" in body

    def test_a_good_request_is_stored_and_shown(self, client_as, cast, legacy_a):
        with medspa_scope(legacy_a):
            client = client_as("admin_a")
            response = client.post(reverse("transition:request"), request_data(legacy_a))
            assert response.status_code == 302 and response["Location"] == PAGE
            transition = Transition.objects.get(medspa=legacy_a)
            assert transition.status == TransitionStatus.REQUESTED
            assert transition.target_model == "flex" and transition.flex_revenue_split_percent == 20
            assert transition.keeps_coordinator is False and transition.requested_by == cast.admin_a
            assert transition.note == "We are ready."
            page = client.get(PAGE).content.decode()
            assert "Requested by the medspa" in page
            assert "Flex (20.00% to Portrait)" in page
            assert reverse("transition:request") not in page  # one open transition at a time
            assert "Portrait reviews your request" in page
            assert "Requested by the medspa: Flex (20% to Portrait)" in page, page[
                page.index("timeline-title") :
            ]

    @pytest.mark.parametrize(
        ("changes", "error"),
        [
            ({"effective_date": "2001-01-01"}, "cannot be in the past"),
            ({"flex_revenue_split_percent": ""}, "Flex needs its revenue split"),
            ({"flex_revenue_split_percent": "120"}, "less than or equal to 100"),
            ({"keeps_coordinator": ""}, "Say whether you keep the coordinator"),
            ({"target_model": "legacy"}, "Select a valid choice"),
        ],
    )
    def test_bad_input_is_refused_and_nothing_is_stored(self, client_as, legacy_a, changes, error):
        response = client_as("admin_a").post(reverse("transition:request"), request_data(legacy_a, **changes))
        assert response.status_code == 400
        assert error in response.content.decode()
        assert not Transition.objects.exists()

    def test_yesterday_in_the_medspas_time_zone_is_the_past(self, client_as, legacy_a):
        data = request_data(legacy_a, effective_date=in_days(legacy_a, -1).isoformat())
        response = client_as("admin_a").post(reverse("transition:request"), data)
        assert response.status_code == 400 and not Transition.objects.exists()

    def test_launch_ignores_a_split(self, client_as, legacy_a):
        with medspa_scope(legacy_a):
            data = request_data(legacy_a, target_model="launch", flex_revenue_split_percent="30")
            assert client_as("admin_a").post(reverse("transition:request"), data).status_code == 302
            assert Transition.objects.get().flex_revenue_split_percent is None

    def test_a_medspa_not_on_legacy_cannot_ask(self, client_as, cast):
        client = client_as("admin_b")  # medspa B is on Flex
        page = client.get(PAGE)
        assert page.status_code == 200
        assert "Luxe B is on Flex (20.00% to Portrait): there is nothing to move" in page.content.decode()
        assert reverse("transition:request") not in page.content.decode()
        response = client.post(reverse("transition:request"), request_data(cast.medspa_b))
        assert response.status_code == 400
        assert "Luxe B is already on Flex." in response.content.decode()
        assert not Transition.objects.exists()

    def test_a_second_request_while_one_is_open_is_refused(self, client_as, cast, legacy_a):
        with medspa_scope(legacy_a):
            schedule(cast, legacy_a)
            response = client_as("admin_a").post(reverse("transition:request"), request_data(legacy_a))
            assert response.status_code == 400
            assert "already has a transition under way" in response.content.decode()
            assert Transition.objects.count() == 1

    def test_only_the_medspas_admins_open_the_page(self, client_as, legacy_a):
        assert client_as("provider_a1").get(PAGE).status_code == 403
        assert client_as("staff").get(PAGE).status_code == 403
        assert client_as("anonymous").get(PAGE).status_code == 302


# --- The page: steps, conflicts, timeline, live refresh ----------------------------------------------------


class TestPage:
    def test_steps_statuses_conflicts_and_timeline(self, client_as, cast, legacy_a):
        with medspa_scope(legacy_a):
            transition = schedule(cast, legacy_a, keeps=False)
            with on_day(legacy_a, transition.effective_date):
                tasks.steps_due()
            steps = steps_of(transition)
            assert steps[StepKind.MODEL_CHANGE].status == StepStatus.DONE
            assert steps[StepKind.ACUITY_IMPORT].status == StepStatus.WAITING  # Acuity is not configured
            assert steps[StepKind.TIGERCONNECT].needs_hand
            booking = conflict(transition)
            body = client_as("admin_a").get(PAGE).content.decode()
            kinds = [
                StepKind.ACUITY_IMPORT,
                StepKind.MODEL_CHANGE,
                StepKind.ACUITY_REVOKE,
                StepKind.TIGERCONNECT,
            ]
            order = [body.index(escape(StepKind(kind).label)) for kind in [*kinds, StepKind.OPENPHONE]]
            assert order == sorted(order)
            assert 'class="badge step-status-done">Done<' in body
            assert 'class="badge step-status-waiting">Waiting<' in body
            assert "Waiting for the provider to enter their new OpenPhone account" in body
            # The conflict: who, when in the medspa's time zone, what, where, why, and the form.
            assert "Dana Whitfield" in body and "Lip filler" in body and "Dr. Avery" in body
            assert booking.reason.replace("'", "&#x27;") in body
            local = dateformat.format(booking.start.astimezone(legacy_a.tz), "D, M j, Y g:i A")
            assert local in body
            assert reverse("transition:booking_resolve", args=[booking.pk]) in body
            assert "1 Acuity appointment could not be imported" in body
            # The timeline: Portrait's scheduled job and the staff member who scheduled it.
            assert "Portrait (scheduled)" in body
            assert cast.staff.get_full_name() in body
            assert "Scheduled by Portrait" in body

    def test_the_timeline_is_paginated_newest_first(self, client_as, cast, legacy_a):
        transition = schedule(cast, legacy_a)
        for number in range(30):
            transition_base.event(transition, f"Entry number {number:02d}.")
        client = client_as("admin_a")
        first = client.get(PAGE).content.decode()
        assert "Entry number 29." in first and "Entry number 10." in first
        assert "Entry number 09." not in first
        assert first.index("Entry number 29.") < first.index("Entry number 28.")
        assert "Page 1 of 2" in first
        second = client.get(PAGE + "?page=2").content.decode()
        assert "Entry number 09." in second and "Scheduled by Portrait" in second

    def test_the_page_costs_the_same_queries_whatever_the_timeline(
        self, client_as, cast, legacy_a, django_assert_max_num_queries
    ):
        transition = schedule(cast, legacy_a)
        conflict(transition)
        client = client_as("admin_a")
        client.get(PAGE)  # the session's first request settles the session and dashboard
        with CaptureQueriesContext(connection) as few:
            assert client.get(PAGE).status_code == 200
        TimelineEntry.objects.bulk_create(
            TimelineEntry(medspa=legacy_a, transition=transition, actor=cast.staff, message=f"Entry {n}")
            for n in range(80)
        )
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert client.get(PAGE).status_code == 200
        with django_assert_max_num_queries(30):
            client.get(PAGE)

    def test_the_steps_fragment_refreshes_itself_while_open(self, client_as, cast, legacy_a):
        with medspa_scope(legacy_a):
            transition = schedule(cast, legacy_a, keeps=True)
            client = client_as("admin_a")
            fragment_url = reverse("transition:steps")
            page = client.get(PAGE).content.decode()
            assert f'hx-get="{fragment_url}"' in page
            assert 'hx-trigger="every 10s"' in page and 'hx-swap="outerHTML"' in page
            response = client.get(fragment_url, HTTP_HX_REQUEST="true")
            assert response.status_code == 200
            body = response.content.decode()
            assert body.lstrip().startswith("<div") and "<html" not in body
            assert 'id="transition-steps"' in body and 'hx-trigger="every 10s"' in body
            assert "Pending" in body
            with on_day(legacy_a, transition.effective_date):
                tasks.steps_due()
            body = client.get(fragment_url, HTTP_HX_REQUEST="true").content.decode()
            assert 'class="badge step-status-done">Done<' in body  # the model change, seen without reloading
            # Once every step is done the transition is complete, and the fragment stops polling.
            for step in TransitionStep.objects.filter(transition=transition).exclude(status=StepStatus.DONE):
                with on_day(legacy_a, transition.effective_date):
                    transition_by_hand.step_mark_done(
                        step=step, by=cast.staff, note="Done on the vendor's site."
                    )
            transition.refresh_from_db()
            assert transition.status == TransitionStatus.COMPLETED
            body = client.get(fragment_url, HTTP_HX_REQUEST="true").content.decode()
            assert "hx-trigger" not in body and "Completed" in body

    def test_the_fragment_of_a_medspa_without_transition_is_empty(self, client_as, cast):
        response = client_as("admin_b").get(reverse("transition:steps"))
        assert response.status_code == 200 and "step-status" not in response.content.decode()

    def test_medspa_b_never_sees_medspa_as_transition(self, client_as, cast, legacy_a):
        transition = schedule(cast, legacy_a)
        booking = conflict(transition)
        client = client_as("admin_b")
        for url in (PAGE, reverse("transition:steps")):
            body = client.get(url).content.decode()
            assert "Glow A" not in body and "Dana Whitfield" not in body and "step-status" not in body
        response = client.post(reverse("transition:booking_resolve", args=[booking.pk]), {
            f"booking-{booking.pk}-note": "Called her."
        })  # fmt: skip
        assert response.status_code == 404
        booking.refresh_from_db()
        assert booking.status == ImportStatus.CONFLICT
        assert (
            client.post(reverse("transition:openphone_account"), {"email": "x@example.com"}).status_code
            == 404
        )

    def test_the_admin_resolves_a_conflict_with_a_note(self, client_as, cast, legacy_a):
        transition = schedule(cast, legacy_a)
        booking = conflict(transition)
        client = client_as("admin_a")
        url = reverse("transition:booking_resolve", args=[booking.pk])
        response = client.post(url, {f"booking-{booking.pk}-note": "  "})
        assert response.status_code == 400 and "Say how it was resolved" in response.content.decode()
        booking.refresh_from_db()
        assert booking.status == ImportStatus.CONFLICT
        response = client.post(url, {f"booking-{booking.pk}-note": "Booked by hand for the same time."})
        assert response.status_code == 302
        booking.refresh_from_db()
        assert booking.status == ImportStatus.RESOLVED and booking.resolved_by == cast.admin_a
        assert booking.resolved_note == "Booked by hand for the same time."
        body = client.get(PAGE).content.decode()
        assert "Resolved by hand" in body and "Booked by hand for the same time." in body
        assert client.post(url, {f"booking-{booking.pk}-note": "Again."}).status_code == 400

    def test_the_account_settings_link_to_the_page(self, client_as, cast, legacy_a):
        client = client_as("admin_a")
        body = client.get(reverse("account_settings")).content.decode()
        assert "Move to Launch or Flex" in body and PAGE in body
        schedule(cast, legacy_a)
        body = client.get(reverse("account_settings")).content.decode()
        assert "Moving to Launch on" in body and "Follow the transition" in body


def test_account_settings_of_a_medspa_not_on_legacy_points_to_the_move_explained(client_as):
    body = client_as("admin_b").get(reverse("account_settings")).content.decode()  # medspa B is on Flex
    assert "Changing your model" in body and "About the move from Legacy" in body
    assert "Moving to Launch or Flex" not in body


# --- OpenPhone: the account, the acknowledgement, the emailed link ----------------------------------------


class TestOpenPhone:
    def test_account_then_acknowledgement_emails_the_link(
        self, client_as, cast, legacy_a, django_capture_on_commit_callbacks
    ):
        with medspa_scope(legacy_a):
            transition = schedule(cast, legacy_a, keeps=False)
            client = client_as("admin_a")
            page = client.get(PAGE).content.decode()
            assert reverse("transition:openphone_account") in page
            assert reverse("transition:openphone_acknowledge") not in page  # the account comes first
            response = client.post(reverse("transition:openphone_account"), {"email": "not-an-email"})
            assert response.status_code == 400
            transition.refresh_from_db()
            assert transition.openphone_target_email == ""
            response = client.post(
                reverse("transition:openphone_account"), {"email": "Owner@Glow.Example", "workspace": "WS1"}
            )
            assert response.status_code == 302
            transition.refresh_from_db()
            assert transition.openphone_target_email == "owner@glow.example"
            assert transition.openphone_target_workspace == "WS1"
            page = client.get(PAGE).content.decode()
            assert OPENPHONE_ACKNOWLEDGEMENT in page  # word for word, beside the checkbox
            # Without the box ticked: refused, nothing recorded, nothing sent.
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(reverse("transition:openphone_acknowledge"), {})
            assert response.status_code == 400 and "Tick the box" in response.content.decode()
            transition.refresh_from_db()
            assert transition.openphone_acknowledged_at is None and mail.outbox == []
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(reverse("transition:openphone_acknowledge"), {"acknowledge": "on"})
            assert response.status_code == 302
            transition.refresh_from_db()
            assert transition.openphone_acknowledged_at is not None
            assert len(mail.outbox) == 1
            email = mail.outbox[0]
            assert email.to == [cast.admin_a.email]
            assert "/transition/confirm/" in email.body and "owner@glow.example" in email.body
            page = client.get(PAGE).content.decode()
            assert "Send the link again" in page
            assert "Provider's confirmation" in page and "Not yet" in page
            with django_capture_on_commit_callbacks(execute=True):
                assert client.post(reverse("transition:openphone_acknowledge"), {}).status_code == 302
            assert len(mail.outbox) == 2
            assert (
                TimelineEntry.objects.filter(
                    transition=transition, message__startswith="Acknowledged"
                ).count()
                == 1
            )

    def test_no_openphone_part_when_the_coordinator_stays(self, client_as, cast, legacy_a):
        schedule(cast, legacy_a, keeps=True)
        client = client_as("admin_a")
        assert reverse("transition:openphone_account") not in client.get(PAGE).content.decode()
        response = client.post(reverse("transition:openphone_account"), {"email": "a@example.com"})
        assert response.status_code == 400
        assert "the OpenPhone number stays with Portrait" in response.content.decode()

    def test_acknowledging_before_the_account_is_refused(self, client_as, cast, legacy_a):
        schedule(cast, legacy_a, keeps=False)
        response = client_as("admin_a").post(
            reverse("transition:openphone_acknowledge"), {"acknowledge": "on"}
        )
        assert response.status_code == 400
        assert "Enter your new OpenPhone account first" in response.content.decode()


@pytest.fixture
def acknowledged(cast, legacy_a):
    """A transition letting the coordinator go, admin_a's account entered and acknowledged."""
    with medspa_scope(legacy_a):
        transition = schedule(cast, legacy_a, keeps=False)
        transition_confirmations.openphone_account_set(
            transition=transition, by=cast.admin_a, email="owner@glow.example"
        )
        transition_confirmations.openphone_acknowledge(transition=transition, by=cast.admin_a)
        transition.refresh_from_db()
        return transition


class TestConfirmLink:
    def url(self, token):
        return reverse("transition_confirm:confirm", args=[token])

    def test_the_right_person_confirms(self, client_as, cast, acknowledged):
        with medspa_scope(acknowledged.medspa):
            url = self.url(transition_confirmations.confirmation_token(acknowledged, cast.admin_a))
            client = client_as("admin_a")
            page = client.get(url)
            assert page.status_code == 200
            body = page.content.decode()
            assert "owner@glow.example" in body and "Glow A" in body and OPENPHONE_ACKNOWLEDGEMENT in body
            response = client.post(url, REMOTE_ADDR="203.0.113.7")
            assert response.status_code == 302 and response["Location"] == url
            row = ReleaseConfirmation.objects.get(transition=acknowledged)
            assert row.party == ConfirmationParty.PROVIDER and row.user == cast.admin_a
            assert row.ip == "203.0.113.7" and row.target_email == "owner@glow.example"
            done = client.get(url).content.decode()
            assert "You confirmed on" in done and "Confirm</button>" not in done
            assert client.post(url).status_code == 200  # twice is harmless: the page says it is done
            assert ReleaseConfirmation.objects.count() == 1

    def test_the_emailed_link_opens(self, client_as, cast, legacy_a, django_capture_on_commit_callbacks):
        with medspa_scope(legacy_a):
            transition = schedule(cast, legacy_a, keeps=False)
            transition_confirmations.openphone_account_set(
                transition=transition, by=cast.admin_a, email="owner@glow.example"
            )
            with django_capture_on_commit_callbacks(execute=True):
                transition_confirmations.openphone_acknowledge(transition=transition, by=cast.admin_a)
            link = next(line for line in mail.outbox[0].body.splitlines() if "/transition/confirm/" in line)
            path = link.strip().split("://", 1)[1].split("/", 1)[1]
            assert client_as("admin_a").get("/" + path).status_code == 200

    def test_someone_else_gets_403(self, client_as, cast, acknowledged):
        with medspa_scope(acknowledged.medspa):
            url = self.url(transition_confirmations.confirmation_token(acknowledged, cast.admin_a))
            for who in ("provider_a1", "admin_b", "staff"):
                assert client_as(who).get(url).status_code == 403
                response = client_as(who).post(url)
                assert response.status_code == 403
                assert "sent to someone else" in response.content.decode()
            assert not ReleaseConfirmation.objects.exists()

    def test_anonymous_signs_in_first(self, client_as, cast, acknowledged):
        with medspa_scope(acknowledged.medspa):
            url = self.url(transition_confirmations.confirmation_token(acknowledged, cast.admin_a))
            response = client_as("anonymous").get(url)
            assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))

    def test_a_forged_link_is_400(self, client_as, cast, acknowledged):
        with medspa_scope(acknowledged.medspa):
            token = transition_confirmations.confirmation_token(acknowledged, cast.admin_a)
            for forged in ("not-a-token", token[:-3] + "abc"):
                response = client_as("admin_a").post(self.url(forged))
                assert response.status_code == 400
                assert "not valid" in response.content.decode()
            assert not ReleaseConfirmation.objects.exists()

    def test_an_expired_link_is_400(self, client_as, cast, acknowledged):
        with medspa_scope(acknowledged.medspa):
            token = transition_confirmations.confirmation_token(acknowledged, cast.admin_a)
            later = datetime.now(tz=acknowledged.medspa.tz) + timedelta(days=15)
            with time_machine.travel(later, tick=False):
                response = client_as("admin_a").get(self.url(token))
            assert response.status_code == 400 and "expired" in response.content.decode()

    def test_a_link_for_an_older_account_is_400(self, client_as, cast, acknowledged):
        with medspa_scope(acknowledged.medspa):
            token = transition_confirmations.confirmation_token(acknowledged, cast.admin_a)
            transition_confirmations.openphone_account_set(
                transition=acknowledged, by=cast.admin_a, email="new@glow.example"
            )
            client = client_as("admin_a")
            for method in ("get", "post"):
                response = getattr(client, method)(self.url(token))
                assert response.status_code == 400
                assert "The OpenPhone account has changed" in response.content.decode()
            assert not ReleaseConfirmation.objects.exists()


# --- Portrait staff ---------------------------------------------------------------------------------------


class TestStaff:
    def test_the_list_and_what_needs_a_person(self, client_as, cast, legacy_a):
        with medspa_scope(legacy_a):
            transition = schedule(cast, legacy_a, keeps=False)
            with on_day(legacy_a, transition.effective_date):
                tasks.steps_due()
            steps = steps_of(transition)
            TransitionStep.objects.filter(pk=steps[StepKind.ACUITY_REVOKE].pk).update(
                status=StepStatus.FAILED, detail="Acuity answered 403 Forbidden."
            )
            client = client_as("staff")
            body = client.get(reverse("transition_staff:list")).content.decode()
            assert "Glow A" in body and "Scheduled" in body
            assert "Acuity answered 403 Forbidden." in body  # failed
            assert "TigerConnect is not connected to the EHR" in body  # waiting for a person's hand
            assert reverse("transition_staff:detail", args=[transition.pk]) in body
            Transition.objects.filter(pk=transition.pk).update(status=TransitionStatus.CANCELLED)
            assert (
                "Glow A"
                not in client.get(reverse("transition_staff:list"))
                .content.decode()
                .split("needs-a-person")[-1]
            )
            assert "Glow A" in client.get(reverse("transition_staff:list") + "?status=all").content.decode()

    def test_staff_pages_are_for_staff(self, client_as, cast, legacy_a):
        transition = schedule(cast, legacy_a)
        for url in (
            reverse("transition_staff:list"),
            reverse("transition_staff:new"),
            reverse("transition_staff:detail", args=[transition.pk]),
        ):
            assert client_as("admin_a").get(url).status_code == 403
            assert client_as("anonymous").get(url).status_code == 302
            assert client_as("staff").get(url).status_code == 200

    def test_staff_schedule_a_transition(self, client_as, cast, legacy_a):
        with medspa_scope(legacy_a):
            client = client_as("staff")
            page = client.get(reverse("transition_staff:new")).content.decode()
            assert f'<option value="{legacy_a.pk}"' in page  # Legacy medspas only
            assert f'<option value="{cast.medspa_b.pk}"' not in page
            data = {
                **request_data(legacy_a, target_model="launch", keeps_coordinator="yes"),
                "medspa": legacy_a.pk,
            }
            bad = client.post(reverse("transition_staff:new"), {**data, "effective_date": "2001-02-03"})
            assert bad.status_code == 400 and not Transition.objects.exists()
            not_legacy = client.post(reverse("transition_staff:new"), {**data, "medspa": cast.medspa_b.pk})
            assert not_legacy.status_code == 400 and "Choose a Legacy medspa" in not_legacy.content.decode()
            response = client.post(reverse("transition_staff:new"), data)
            transition = Transition.objects.get()
            assert response.status_code == 302
            assert response["Location"] == reverse("transition_staff:detail", args=[transition.pk])
            assert transition.status == TransitionStatus.SCHEDULED and transition.keeps_coordinator
            assert list(transition.steps.values_list("kind", flat=True)) == [
                StepKind.ACUITY_IMPORT, StepKind.MODEL_CHANGE, StepKind.ACUITY_REVOKE
            ]  # fmt: skip
            assert (
                f'<option value="{legacy_a.pk}"'
                not in client.get(reverse("transition_staff:new")).content.decode()
            )

    def test_approve_with_a_new_date(self, client_as, cast, legacy_a):
        with medspa_scope(legacy_a):
            transition = transition_approval.transition_request(
                medspa=legacy_a, by=cast.admin_a,
                terms=transition_approval.TransitionTerms("launch", in_days(legacy_a, 10), False),
            )  # fmt: skip
            client = client_as("staff")
            detail = client.get(reverse("transition_staff:detail", args=[transition.pk])).content.decode()
            assert reverse("transition_staff:approve", args=[transition.pk]) in detail
            new_date = in_days(legacy_a, 20)
            response = client.post(
                reverse("transition_staff:approve", args=[transition.pk]),
                {"approve-effective_date": new_date},
            )
            assert response.status_code == 302
            transition.refresh_from_db()
            assert transition.status == TransitionStatus.SCHEDULED and transition.effective_date == new_date
            assert transition.decided_by == cast.staff and transition.steps.count() == 5
            again = client.post(reverse("transition_staff:approve", args=[transition.pk]), {})
            assert again.status_code == 400 and "Only a requested transition" in again.content.decode()

    def test_decline_needs_a_note(self, client_as, cast, legacy_a):
        transition = transition_approval.transition_request(
            medspa=legacy_a,
            by=cast.admin_a,
            terms=transition_approval.TransitionTerms("launch", in_days(legacy_a, 10), True),
        )
        client = client_as("staff")
        url = reverse("transition_staff:decline", args=[transition.pk])
        assert client.post(url, {"decline-note": ""}).status_code == 400
        transition.refresh_from_db()
        assert transition.status == TransitionStatus.REQUESTED
        assert (
            client.post(url, {"decline-note": "Your contract ends in June: ask again then."}).status_code
            == 302
        )
        transition.refresh_from_db()
        assert transition.status == TransitionStatus.DECLINED
        page = client_as("admin_a").get(PAGE).content.decode()
        assert "Your contract ends in June: ask again then." in page
        assert reverse("transition:request") in page  # still Legacy: may ask again

    def test_cancel_needs_a_note(self, client_as, cast, legacy_a):
        transition = schedule(cast, legacy_a)
        client = client_as("staff")
        url = reverse("transition_staff:cancel", args=[transition.pk])
        detail = client.get(reverse("transition_staff:detail", args=[transition.pk])).content.decode()
        assert f'action="{url}"' in detail and "data-confirm=" in detail
        assert client.post(url, {"cancel-note": " "}).status_code == 400
        transition.refresh_from_db()
        assert transition.status == TransitionStatus.SCHEDULED
        assert client.post(url, {"cancel-note": "The medspa changed its mind."}).status_code == 302
        transition.refresh_from_db()
        assert transition.status == TransitionStatus.CANCELLED
        assert client.post(url, {"cancel-note": "Again."}).status_code == 400

    def test_portrait_confirms(self, client_as, cast, legacy_a):
        with medspa_scope(legacy_a):
            transition = schedule(cast, legacy_a, keeps=False)
            client = client_as("staff")
            url = reverse("transition_staff:confirm", args=[transition.pk])
            response = client.post(url)
            assert response.status_code == 400
            assert "has not entered their new OpenPhone account yet" in response.content.decode()
            transition_confirmations.openphone_account_set(
                transition=transition, by=cast.admin_a, email="owner@glow.example"
            )
            detail = client.get(reverse("transition_staff:detail", args=[transition.pk])).content.decode()
            assert transition_confirmations.PORTRAIT_CONFIRMATION.format(
                email="owner@glow.example"
            ) in detail.replace("&#x27;", "'")
            assert f'action="{url}"' in detail
            assert client.post(url).status_code == 302
            row = ReleaseConfirmation.objects.get(transition=transition)
            assert row.party == ConfirmationParty.PORTRAIT and row.user == cast.staff
            assert (
                "Confirm for Portrait"
                not in client.get(reverse("transition_staff:detail", args=[transition.pk])).content.decode()
            )

    def test_retry_a_failed_step(self, client_as, cast, legacy_a):
        with medspa_scope(legacy_a):
            transition = schedule(cast, legacy_a, keeps=True)
            step = steps_of(transition)[StepKind.ACUITY_REVOKE]
            client = client_as("staff")
            url = reverse("transition_staff:step_retry", args=[step.pk])
            response = client.post(url)
            assert response.status_code == 400
            assert "A pending step cannot be run again now." in response.content.decode()
            TransitionStep.objects.filter(pk=step.pk).update(
                status=StepStatus.FAILED, detail="Acuity answered 500."
            )
            detail = client.get(reverse("transition_staff:detail", args=[transition.pk])).content.decode()
            assert f'action="{url}"' in detail
            assert client.post(url).status_code == 302
            step.refresh_from_db()
            assert step.status == StepStatus.PENDING and step.detail == "Run again."
            assert TimelineEntry.objects.filter(transition=transition, actor=cast.staff, step=step).exists()

    def test_mark_a_step_done_by_hand(self, client_as, cast, legacy_a):
        with medspa_scope(legacy_a):
            transition = schedule(cast, legacy_a, keeps=False)
            steps = steps_of(transition)
            tiger, model = steps[StepKind.TIGERCONNECT], steps[StepKind.MODEL_CHANGE]
            url = reverse("transition_staff:step_done", args=[tiger.pk])
            with on_day(legacy_a, transition.effective_date):
                client = client_as("staff")  # signed in on that day: a session lasts 12 hours
                tasks.steps_due()
                detail = client.get(reverse("transition_staff:detail", args=[transition.pk])).content.decode()
                assert f'action="{url}"' in detail
                assert reverse("transition_staff:step_done", args=[model.pk]) not in detail
                response = client.post(url, {f"step-{tiger.pk}-note": ""})
                assert (
                    response.status_code == 400 and "Say what was done by hand" in response.content.decode()
                )
                tiger.refresh_from_db()
                assert tiger.status == StepStatus.WAITING
                response = client.post(
                    url, {f"step-{tiger.pk}-note": "Deactivated in the TigerConnect console."}
                )
                assert response.status_code == 302
                refused = client.post(
                    reverse("transition_staff:step_done", args=[model.pk]), {f"step-{model.pk}-note": "x"}
                )
            tiger.refresh_from_db()
            assert tiger.status == StepStatus.DONE and tiger.done_by == cast.staff
            assert tiger.hand_note == "Deactivated in the TigerConnect console."
            assert refused.status_code == 400 and "runs by itself" in refused.content.decode()

    def test_a_step_is_not_done_by_hand_before_its_date(self, client_as, cast, legacy_a):
        with medspa_scope(legacy_a):
            transition = schedule(cast, legacy_a, keeps=False)
            tiger = steps_of(transition)[StepKind.TIGERCONNECT]
            response = client_as("staff").post(
                reverse("transition_staff:step_done", args=[tiger.pk]), {f"step-{tiger.pk}-note": "Early."}
            )
            assert response.status_code == 400 and "not before" in response.content.decode()

    def test_staff_resolve_a_conflict(self, client_as, cast, legacy_a):
        transition = schedule(cast, legacy_a)
        booking = conflict(transition)
        url = reverse("transition_staff:booking_resolve", args=[booking.pk])
        client = client_as("staff")
        assert url in client.get(reverse("transition_staff:detail", args=[transition.pk])).content.decode()
        assert client.post(url, {}).status_code == 400
        assert client.post(url, {f"booking-{booking.pk}-note": "Called the patient."}).status_code == 302
        booking.refresh_from_db()
        assert booking.status == ImportStatus.RESOLVED and booking.resolved_by == cast.staff

    def test_legacy_tools_form(self, client_as, cast, legacy_a):
        with medspa_scope(legacy_a):
            transition = schedule(cast, legacy_a)
            client = client_as("staff")
            url = reverse("transition_staff:tools", args=[transition.pk])
            good = {
                "tools-openphone_number_id": "PN123",
                "tools-openphone_number": "(555) 010-0100",
                "tools-tigerconnect_group_id": "G9",
                "tools-tigerconnect_user_ids": "u1, u2,u2",
                "tools-acuity_calendar_ids": "1234, 5678",
            }
            for bad_ids in ("12, abc", "-4", "0", "1.5", "99999999999"):
                response = client.post(url, {**good, "tools-acuity_calendar_ids": bad_ids})
                assert response.status_code == 400, bad_ids
                assert "is not an Acuity calendar id" in response.content.decode()
            assert not LegacyTools.objects.exists()
            assert client.post(url, good).status_code == 302
            tools = LegacyTools.objects.get(medspa=legacy_a)
            assert tools.openphone_number_id == "PN123" and tools.tigerconnect_group_id == "G9"
            assert tools.tigerconnect_user_ids == ["u1", "u2"] and tools.acuity_calendar_ids == [1234, 5678]
            assert TimelineEntry.objects.filter(message__startswith="Legacy tools updated").count() == 1
            detail = client.get(reverse("transition_staff:detail", args=[transition.pk])).content.decode()
            assert 'value="1234, 5678"' in detail
            assert client.post(url, {**good, "tools-acuity_calendar_ids": ""}).status_code == 302
            tools.refresh_from_db()
            assert tools.acuity_calendar_ids == []


class TestDjangoAdmin:
    def test_transition_admin_links_to_the_staff_page(self, client_as, cast, legacy_a):
        transition = schedule(cast, legacy_a)
        conflict(transition)
        client = client_as("staff")
        changelist = client.get(reverse("admin:transition_transition_changelist"))
        assert changelist.status_code == 200
        change = client.get(reverse("admin:transition_transition_change", args=[transition.pk]))
        assert change.status_code == 200
        body = change.content.decode()
        assert reverse("transition_staff:detail", args=[transition.pk]) in body
        assert "Scheduled by Portrait" in body  # the timeline inline
        for name in ("legacytools", "acuitybooking", "timelineentry"):
            assert client.get(reverse(f"admin:transition_{name}_changelist")).status_code == 200
        assert client.get(reverse("admin:transition_legacytools_add")).status_code == 200
        assert client.get(reverse("admin:transition_acuitybooking_add")).status_code == 403

"""Accepting or declining an intake answer that proposes a change to the patient's record: what is written,
who the audit trail names, and who may decide (the admin and the patient's providers, never another
medspa)."""

import pytest
from django.urls import reverse

from medspa.models import PatientAccessLog, PatientProvider
from medspa.services import patient_merge
from medspa.tenancy import medspa_scope
from scheduling.models import HistoryChange
from scheduling.services import history_changes
from scheduling.services.history_changes import HistoryChangeRefused
from scheduling.tests.factories import HistoryChangeFactory, IntakeResponseFactory
from tests import factories


@pytest.fixture
def answer(cast, world, provider):
    """An answer of the world's patient (provider_a1's) proposing "Latex, penicillin" for allergies, which
    said "Latex" when it came."""
    appointment = factories.checked_in_appointment(world, provider)
    with medspa_scope(cast.medspa_a):
        world.patient.allergies = "Latex"
        world.patient.save()
        response = IntakeResponseFactory(medspa=cast.medspa_a, appointment=appointment)
        return HistoryChangeFactory(
            medspa=cast.medspa_a, response=response, before="Latex", proposed="Latex, penicillin"
        )


def patient_events(patient):
    """The patient's audit rows, oldest first."""
    from medspa.models import Patient

    return list(Patient.pgh_event_model.objects.filter(pgh_obj_id=patient.pk).order_by("pgh_id"))


class TestService:
    def test_accepting_writes_the_answer_and_keeps_what_was_written(self, cast, world, answer):
        with medspa_scope(cast.medspa_a):
            change = history_changes.history_change_accept(change=answer, by=cast.admin_a)
            world.patient.refresh_from_db()
        assert world.patient.allergies == "Latex, penicillin"
        assert change.status == HistoryChange.Status.ACCEPTED
        assert change.accepted_text == "Latex, penicillin" and change.before == "Latex"
        assert change.decided_by == cast.admin_a and change.decided_at is not None

    def test_the_audit_trail_names_who_accepted(self, cast, world, answer):
        with medspa_scope(cast.medspa_a):
            history_changes.history_change_accept(change=answer, by=cast.provider_a1)
            event = patient_events(world.patient)[-1]
            change_event = (
                HistoryChange.pgh_event_model.objects.filter(pgh_obj_id=answer.pk).order_by("pgh_id").last()
            )
        assert event.allergies == "Latex, penicillin"
        for context in (event.pgh_context, change_event.pgh_context):
            assert context["history_change"]["by"] == cast.provider_a1.pk
            assert context["history_change"]["decision"] == "accept"
            assert context["history_change"]["change"] == answer.pk

    def test_the_person_may_write_their_own_text(self, cast, world, answer):
        with medspa_scope(cast.medspa_a):
            change = history_changes.history_change_accept(
                change=answer, by=cast.admin_a, text="  Latex (gloves), penicillin (rash)  "
            )
            world.patient.refresh_from_db()
        assert world.patient.allergies == change.accepted_text == "Latex (gloves), penicillin (rash)"
        assert change.proposed == "Latex, penicillin"  # the patient's answer stays as they gave it

    def test_a_record_changed_since_the_answer_is_still_replaced_by_what_was_accepted(
        self, cast, world, answer
    ):
        with medspa_scope(cast.medspa_a):
            world.patient.allergies = "Latex, sulfa"
            world.patient.save()
            history_changes.history_change_accept(
                change=answer, by=cast.admin_a, text="Latex, sulfa, penicillin"
            )
            world.patient.refresh_from_db()
        assert world.patient.allergies == "Latex, sulfa, penicillin"

    def test_declining_leaves_the_record_as_it_is(self, cast, world, answer):
        with medspa_scope(cast.medspa_a):
            change = history_changes.history_change_decline(change=answer, by=cast.admin_a)
            world.patient.refresh_from_db()
            change_event = (
                HistoryChange.pgh_event_model.objects.filter(pgh_obj_id=answer.pk).order_by("pgh_id").last()
            )
        assert world.patient.allergies == "Latex"
        assert change.status == HistoryChange.Status.DECLINED and change.accepted_text == ""
        assert change_event.pgh_context["history_change"]["by"] == cast.admin_a.pk

    @pytest.mark.parametrize("first", ["accept", "decline"])
    @pytest.mark.parametrize("second", ["accept", "decline"])
    def test_a_change_is_decided_once(self, cast, world, answer, first, second):
        decide = {
            "accept": lambda change, by: history_changes.history_change_accept(
                change=change, by=by, text="Mine"
            ),
            "decline": lambda change, by: history_changes.history_change_decline(change=change, by=by),
        }
        with medspa_scope(cast.medspa_a):
            decide[first](answer, cast.admin_a)
            world.patient.refresh_from_db()
            kept = world.patient.allergies
            assert answer.status == HistoryChange.Status.PENDING  # as a page opened before has it
            with pytest.raises(HistoryChangeRefused, match="already"):
                decide[second](answer, cast.provider_a1)
            world.patient.refresh_from_db()
            answer.refresh_from_db()
        assert world.patient.allergies == kept
        assert answer.decided_by == cast.admin_a

    def test_an_answer_on_a_record_merged_away_since_changes_the_record_that_stays(self, cast, world, answer):
        with medspa_scope(cast.medspa_a):
            survivor = factories.PatientFactory(medspa=cast.medspa_a, allergies="Sulfa")
            patient_merge.patient_merge(survivor=survivor, duplicate=world.patient, by=cast.admin_a)
            history_changes.history_change_accept(
                change=answer, by=cast.admin_a, text="Sulfa, latex, penicillin"
            )
            survivor.refresh_from_db()
            world.patient.refresh_from_db()
        assert survivor.allergies == "Sulfa, latex, penicillin"
        assert world.patient.allergies == "Latex"


def accept_url(change) -> str:
    return reverse("paperwork:change_accept", args=[change.pk])


def decline_url(change) -> str:
    return reverse("paperwork:change_decline", args=[change.pk])


class TestPages:
    def test_the_accept_page_shows_the_record_now_beside_the_answer(self, cast, client_as, world, answer):
        with medspa_scope(cast.medspa_a):
            world.patient.allergies = "Latex, sulfa"
            world.patient.save()
        page = client_as("admin_a").get(accept_url(answer)).content.decode()
        assert "Latex, sulfa" in page and "Latex, penicillin" in page
        assert "The record changed since the patient answered" in page
        assert '<textarea name="text"' in page and ">\nLatex, penicillin</textarea>" in page

    def test_accepting_with_edited_text_writes_it_and_names_who(self, cast, client_as, world, answer):
        response = client_as("provider_a1").post(
            accept_url(answer), {"text": "Latex; penicillin (hives)", "record_was": "Latex"}
        )
        assert response.status_code == 302
        assert (
            response["Location"]
            == reverse("providers:patient_detail", args=[world.patient.pk]) + "#paperwork"
        )
        with medspa_scope(cast.medspa_a):
            world.patient.refresh_from_db()
            answer.refresh_from_db()
            event = patient_events(world.patient)[-1]
        assert world.patient.allergies == answer.accepted_text == "Latex; penicillin (hives)"
        assert answer.decided_by == cast.provider_a1
        assert event.pgh_context["user"] == cast.provider_a1.pk  # the request's own context too
        assert event.pgh_context["history_change"]["by"] == cast.provider_a1.pk

    def test_an_empty_text_is_refused_and_writes_nothing(self, cast, client_as, world, answer):
        response = client_as("admin_a").post(accept_url(answer), {"text": "  "})
        assert response.status_code == 400
        assert "or decline the answer instead" in response.content.decode()
        with medspa_scope(cast.medspa_a):
            answer.refresh_from_db()
        assert answer.status == HistoryChange.Status.PENDING

    def test_a_second_decision_is_refused_on_the_page(self, cast, client_as, world, answer):
        client = client_as("admin_a")
        assert client.post(decline_url(answer)).status_code == 302
        page = client.get(accept_url(answer)).content.decode()
        assert "was declined by" in page and '<textarea name="text"' not in page
        stale = client.post(accept_url(answer), {"text": "Latex", "record_was": "Latex"})
        assert stale.status_code == 409 and "already declined" in stale.content.decode()
        with medspa_scope(cast.medspa_a):
            world.patient.refresh_from_db()
        assert world.patient.allergies == "Latex"

    def test_a_record_changed_while_the_page_was_open_is_not_overwritten(
        self, cast, client_as, world, answer
    ):
        client = client_as("admin_a")
        page = client.get(accept_url(answer)).content.decode()
        assert '<input type="hidden" name="record_was" value="Latex"' in page
        with medspa_scope(cast.medspa_a):
            world.patient.allergies = "Latex, sulfa"  # a colleague edits the record meanwhile
            world.patient.save()
        response = client.post(accept_url(answer), {"text": "Latex, penicillin", "record_was": "Latex"})
        assert response.status_code == 409
        page = response.content.decode()
        assert "changed while you were reviewing" in page
        assert '<input type="hidden" name="record_was" value="Latex, sulfa"' in page  # shown as it is now
        with medspa_scope(cast.medspa_a):
            world.patient.refresh_from_db()
            answer.refresh_from_db()
        assert world.patient.allergies == "Latex, sulfa" and answer.status == HistoryChange.Status.PENDING
        # Seen now: accepted with the person's combined text, line breaks as a browser sends them.
        with medspa_scope(cast.medspa_a):
            world.patient.allergies = "Latex\nSulfa"
            world.patient.save()
        combined = {"text": "Latex\r\nSulfa\r\nPenicillin", "record_was": "Latex\r\nSulfa"}
        assert client.post(accept_url(answer), combined).status_code == 302
        with medspa_scope(cast.medspa_a):
            world.patient.refresh_from_db()
        assert world.patient.allergies == "Latex\r\nSulfa\r\nPenicillin"

    def test_declining_asks_first_and_leaves_the_record(self, cast, client_as, world, answer):
        client = client_as("admin_a")
        page = client.get(decline_url(answer)).content.decode()
        assert "Decline this answer?" in page and "stays as it is now" in page
        response = client.post(decline_url(answer))
        assert (
            response["Location"]
            == reverse("dashboard_patient_detail", args=[world.patient.pk]) + "#paperwork"
        )
        with medspa_scope(cast.medspa_a):
            answer.refresh_from_db()
            world.patient.refresh_from_db()
        assert answer.status == HistoryChange.Status.DECLINED and world.patient.allergies == "Latex"

    @pytest.mark.parametrize("who", ["admin_b", "provider_b"])
    def test_another_medspa_finds_nothing(self, cast, client_as, answer, who):
        client = client_as(who)
        assert client.get(accept_url(answer)).status_code == 404
        assert client.post(accept_url(answer), {"text": "x"}).status_code == 404
        assert client.post(decline_url(answer)).status_code == 404
        with medspa_scope(cast.medspa_a):
            answer.refresh_from_db()
        assert answer.status == HistoryChange.Status.PENDING

    def test_a_provider_decides_only_for_their_own_patients(self, cast, client_as, world, answer, colleague):
        client = client_as("provider_a2")
        assert client.get(accept_url(answer)).status_code == 404
        assert client.post(decline_url(answer)).status_code == 404
        with medspa_scope(cast.medspa_a):
            PatientProvider.objects.create(patient=world.patient, membership=colleague)
        assert client.post(decline_url(answer)).status_code == 302  # assigned to them now: theirs too

    def test_portrait_staff_decide_only_through_a_masquerade(self, cast, client_as, answer):
        assert client_as("staff").post(decline_url(answer)).status_code == 403

    def test_through_a_masquerade_the_audit_names_both_people(self, cast, client_as, world, answer):
        from medspa.tests.test_masquerade import start

        client = client_as("staff")
        assert start(client, cast.provider_a1, reason="Helping with the intake review").status_code == 302
        response = client.post(accept_url(answer), {"text": "Latex, penicillin", "record_was": "Latex"})
        assert response.status_code == 302
        with medspa_scope(cast.medspa_a):
            answer.refresh_from_db()
            context = patient_events(world.patient)[-1].pgh_context
        assert answer.decided_by == cast.provider_a1  # the masquerade acts as the provider
        assert context["history_change"]["by"] == cast.provider_a1.pk
        assert context["history_change"]["impersonator"] == context["impersonator"] == cast.staff.pk

    def test_each_look_at_an_answer_is_in_the_access_log(self, cast, client_as, world, answer):
        client = client_as("admin_a")
        client.get(accept_url(answer))
        client.get(decline_url(answer))
        with medspa_scope(cast.medspa_a):
            rows = list(PatientAccessLog.objects.filter(patient=world.patient).order_by("pk"))
        assert [(row.actor_id, row.viewed) for row in rows] == [
            (cast.admin_a.pk, "Admin dashboard: answer to review (allergies)"),
        ] * 2

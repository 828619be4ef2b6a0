import pytest
from django.apps import apps
from django.core import mail
from django_scopes import ScopeError, scope, scopes_disabled

from medspa.models import Invitation, Patient
from medspa.tasks import invitation_email_send
from medspa.tenancy import medspa_scope
from tests import factories


def test_a_query_outside_any_scope_fails_loudly(cast):
    factories.PatientFactory(medspa=cast.medspa_a)
    with scope(), pytest.raises(ScopeError):  # a fresh scope with no medspa, as in a forgetful task
        list(Patient.objects.all())


def test_a_scope_sees_only_its_own_medspa(cast):
    mine = factories.PatientFactory(medspa=cast.medspa_a)
    factories.PatientFactory(medspa=cast.medspa_b)
    with medspa_scope(cast.medspa_a):
        assert list(Patient.objects.all()) == [mine]
        assert not Patient.objects.filter(medspa=cast.medspa_b).exists()


def test_no_medspa_means_nothing_is_seen(cast):
    factories.PatientFactory(medspa=cast.medspa_a)
    with medspa_scope(None):
        assert Patient.objects.count() == 0


def test_a_member_sees_only_their_medspas_patients_through_the_api(client_as, cast):
    mine = factories.PatientFactory(medspa=cast.medspa_a)
    with medspa_scope(cast.medspa_a):
        mine.assigned_providers.add(cast.provider_a1.memberships.get())  # a provider lists their own
    theirs = factories.PatientFactory(medspa=cast.medspa_b)
    with medspa_scope(cast.medspa_b):
        theirs.assigned_providers.add(cast.provider_b.memberships.get())
    response = client_as("provider_a1").get("/api/v1/patients/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]


def test_an_id_from_another_medspa_answers_404(client_as, cast):
    theirs = factories.PatientFactory(medspa=cast.medspa_b)
    client = client_as("admin_a")
    assert client.get(f"/api/v1/patients/{theirs.pk}/").status_code == 404
    assert (
        client.patch(
            f"/api/v1/patients/{theirs.pk}/", {"first_name": "X"}, content_type="application/json"
        ).status_code
        == 404
    )
    theirs.refresh_from_db()
    assert theirs.first_name != "X"


def test_a_celery_task_re_enters_the_scope_of_the_medspa_it_is_given(cast):
    invitation = factories.InvitationFactory(medspa=cast.medspa_a, invited_by=cast.admin_a)
    with scope():  # workers start with no scope at all
        # the id under another medspa's scope finds nothing, and sends nothing
        invitation_email_send(invitation.pk, cast.medspa_b.pk)
        assert not mail.outbox
        invitation_email_send(invitation.pk, cast.medspa_a.pk)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [invitation.email]
    assert "/invitations/accept/" in mail.outbox[0].body


def test_staff_work_across_medspas_in_django_admin(client_as, cast):
    factories.PatientFactory(medspa=cast.medspa_a, last_name="Alpha")
    factories.PatientFactory(medspa=cast.medspa_b, last_name="Bravo")
    response = client_as("staff").get("/admin/medspa/patient/")
    assert response.status_code == 200
    assert b"Alpha" in response.content and b"Bravo" in response.content


def test_a_member_who_is_not_staff_never_reaches_django_admin(client_as):
    response = client_as("admin_a").get("/admin/medspa/patient/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_invitations_listed_to_an_admin_are_their_medspas_only(client_as, cast):
    factories.InvitationFactory(medspa=cast.medspa_a, invited_by=cast.admin_a, email="mine@example.com")
    factories.InvitationFactory(medspa=cast.medspa_b, invited_by=cast.admin_b, email="theirs@example.com")
    response = client_as("admin_a").get("/invitations/")
    assert b"mine@example.com" in response.content
    assert b"theirs@example.com" not in response.content
    with scopes_disabled():
        assert Invitation.objects.count() == 2


def test_a_scope_with_its_audit_context_records_each_write_as_made_in_that_medspa(cast):
    patient = factories.PatientFactory(medspa=cast.medspa_a, allergies="")
    events = apps.get_model("medspa", "PatientEvent").objects.filter(pgh_obj_id=patient.pk).order_by("pgh_id")
    with medspa_scope(cast.medspa_a):
        patient.allergies = "None known"
        patient.save()
    assert events.last().pgh_context is None  # the scope alone names no medspa in the audit
    with medspa_scope(cast.medspa_a, audit_context=True):
        patient.allergies = "Latex"
        patient.save()
    assert events.last().pgh_context["medspa"] == cast.medspa_a.pk

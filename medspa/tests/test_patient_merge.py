"""Possible duplicates and the admin's merge: what moves, what stays, who may do it, and the audit trail."""

from datetime import date
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.urls import reverse
from pghistory.models import Event

from gfe.models import Clearance, GfeExam, GfeRequest
from medspa.models import Patient, PatientProvider
from medspa.models.patients import PatientStatus
from medspa.services import patient_merge
from medspa.tenancy import medspa_scope
from providers.models import Sale, Visit
from providers.selectors import charts
from providers.services import charting
from scheduling.models import Appointment
from services_catalog.models import ConsentSignature
from tests import factories

PatientEvent = apps.get_model("medspa", "PatientEvent")


@pytest.fixture
def records(cast):
    """A flagged record holding a bit of everything (an appointment whose chart is signed and paid, a consent
    signature, a GFE exam with its request and clearance, an open walk-in chart, a provider), and the
    record on file it resembles."""
    with medspa_scope(cast.medspa_a):
        return _records(cast)


def _records(cast):
    provider = cast.provider_a1.memberships.get()
    world = factories.charting_world(cast.medspa_a, provider)
    duplicate = world.patient
    sale = factories.paid_visit(world, provider, cast.provider_a1)
    charting.chart_sign(visit=sale.visit, by=cast.provider_a1)
    open_visit = charting.visit_start_walk_in(
        patient=duplicate, provider=provider, location=world.location, by=cast.provider_a1
    )
    survivor = factories.PatientFactory(
        medspa=cast.medspa_a, first_name=duplicate.first_name, last_name=duplicate.last_name,
        date_of_birth=duplicate.date_of_birth, email="on-file@mail.example", phone="", consent_sms=False,
    )  # fmt: skip
    duplicate.possible_duplicate_of = survivor
    duplicate.save()
    return SimpleNamespace(
        survivor=survivor, duplicate=duplicate, signed_visit=sale.visit, open_visit=open_visit, sale=sale
    )


def merge_url(patient) -> str:
    return reverse("dashboard_patient_merge", args=[patient.pk])


def merge_confirmed(client, records):
    return client.post(merge_url(records.duplicate), {"keep": records.survivor.pk, "confirm": "merge"})


def test_every_relation_to_a_patient_is_moved_or_kept_on_purpose():
    handled = {*patient_merge.MOVED, *patient_merge.KEPT, *patient_merge.OWN}
    for relation in patient_merge.patient_relations():
        model = relation.related_model
        assert model._meta.label in handled or issubclass(model, Event), (
            f"{model._meta.label}.{relation.field.name} points at Patient: say in "
            "medspa/services/patient_merge.py whether a merge moves its rows or keeps them with the "
            "merged-away record"
        )
    for label in [*patient_merge.MOVED, *patient_merge.KEPT]:
        assert apps.get_model(label)._meta.get_field("patient").related_model is Patient


def test_the_merge_moves_what_belongs_to_the_person_and_keeps_every_signed_record(cast, client_as, records):
    with medspa_scope(cast.medspa_a):
        kinds = (Appointment, Visit, Sale, GfeRequest, GfeExam, Clearance, ConsentSignature, PatientProvider)
        totals = {model: model.objects.count() for model in kinds}
        survivor_before = Patient.objects.values().get(pk=records.survivor.pk)
    response = merge_confirmed(client_as("admin_a"), records)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard_patient_detail", args=[records.survivor.pk])
    with medspa_scope(cast.medspa_a):
        survivor, duplicate = records.survivor, Patient.objects.get(pk=records.duplicate.pk)
        assert {model: model.objects.count() for model in totals} == totals  # nothing deleted, nothing added
        assert Appointment.objects.filter(patient=survivor).count() == 1
        assert not Appointment.objects.filter(patient=duplicate).exists()
        assert Sale.objects.get().patient == survivor
        assert Visit.objects.get(pk=records.open_visit.pk).patient == survivor
        assert GfeRequest.objects.get().patient == survivor
        assert Clearance.objects.get().patient == survivor
        assert survivor.assigned_providers.get() == cast.provider_a1.memberships.get()
        # Signed, and locked by the database: kept where they were signed, reached from the merged record.
        signed = Visit.objects.get(pk=records.signed_visit.pk)
        assert (signed.patient, signed.is_signed) == (duplicate, True)
        assert GfeExam.objects.get().patient == duplicate
        assert ConsentSignature.objects.get().patient == duplicate
        assert (duplicate.merged_into, duplicate.status) == (survivor, PatientStatus.ARCHIVED)
        assert duplicate.possible_duplicate_of is None
        assert Patient.objects.values().get(pk=survivor.pk) == survivor_before  # its details are not changed
    profile = client_as("admin_a").get(reverse("dashboard_patient_detail", args=[survivor.pk]))
    assert reverse("dashboard_patient_detail", args=[duplicate.pk]) in profile.content.decode()


def test_the_merge_is_audited_with_who_merged_what(cast, client_as, records):
    merge_confirmed(client_as("admin_a"), records)
    merged = {"merged": records.duplicate.pk, "into": records.survivor.pk, "by": cast.admin_a.pk}
    event = PatientEvent.objects.get(pgh_obj=records.survivor, pgh_label="merge")
    assert event.pgh_context["patient_merge"] == merged
    assert event.pgh_context["user"] == cast.admin_a.pk
    archived = PatientEvent.objects.filter(pgh_obj=records.duplicate, pgh_label="update").latest("pgh_id")
    assert (archived.merged_into_id, archived.pgh_context["patient_merge"]) == (records.survivor.pk, merged)
    moved = (
        apps.get_model("scheduling", "AppointmentEvent").objects.filter(pgh_label="update").latest("pgh_id")
    )
    assert (moved.patient_id, moved.pgh_context["patient_merge"]) == (records.survivor.pk, merged)


def test_the_merge_needs_a_confirmation_and_a_post(cast, client_as, records):
    client = client_as("admin_a")
    compare = client.get(merge_url(records.duplicate))
    assert compare.status_code == 200 and records.survivor.email in compare.content.decode()
    asked = client.post(merge_url(records.duplicate), {"keep": records.survivor.pk})
    assert asked.status_code == 200
    assert 'name="confirm" value="merge"' in asked.content.decode()
    assert "Appointments" in asked.content.decode()
    client.get(merge_url(records.duplicate), {"keep": records.survivor.pk, "confirm": "merge"})
    unchosen = client.post(merge_url(records.duplicate), {"confirm": "merge"})
    assert unchosen.status_code == 400
    with medspa_scope(cast.medspa_a):
        assert Patient.objects.get(pk=records.duplicate.pk).merged_into is None
        assert Appointment.objects.get().patient == records.duplicate


def test_the_admin_may_keep_the_newer_record_instead(cast, client_as, records):
    response = client_as("admin_a").post(
        merge_url(records.duplicate), {"keep": records.duplicate.pk, "confirm": "merge"}
    )
    assert response.status_code == 302
    with medspa_scope(cast.medspa_a):
        assert Patient.objects.get(pk=records.survivor.pk).merged_into == records.duplicate


@pytest.mark.parametrize(
    ("who", "status"), [("provider_a1", 403), ("provider_a2", 403), ("admin_b", 404), ("staff", 403)]
)
def test_only_the_medspas_admin_may_merge(client_as, cast, records, who, status):
    client = client_as(who)
    assert client.get(merge_url(records.duplicate)).status_code == status
    assert merge_confirmed(client, records).status_code == status
    not_duplicate = reverse("dashboard_patient_not_a_duplicate", args=[records.duplicate.pk])
    assert client.post(not_duplicate).status_code == status
    with medspa_scope(cast.medspa_a):
        duplicate = Patient.objects.get(pk=records.duplicate.pk)
        assert (duplicate.merged_into, duplicate.possible_duplicate_of) == (None, records.survivor)


def test_a_record_without_a_flag_has_no_merge_page(client_as, records):
    assert client_as("admin_a").get(merge_url(records.survivor)).status_code == 404


def test_records_of_two_medspas_are_never_merged(cast, records):
    elsewhere = factories.PatientFactory(medspa=cast.medspa_b, date_of_birth=date(1990, 4, 2))
    with medspa_scope(cast.medspa_a):
        for survivor, duplicate in ((elsewhere, records.duplicate), (records.duplicate, elsewhere)):
            with pytest.raises(patient_merge.PatientMergeRefused):
                patient_merge.patient_merge(survivor=survivor, duplicate=duplicate, by=cast.admin_a)
        assert Appointment.objects.get().patient == records.duplicate


def test_a_merged_record_cannot_be_merged_again(cast, records):
    with medspa_scope(cast.medspa_a):
        patient_merge.patient_merge(survivor=records.survivor, duplicate=records.duplicate, by=cast.admin_a)
        with pytest.raises(patient_merge.PatientMergeRefused):
            patient_merge.patient_merge(
                survivor=records.duplicate, duplicate=records.survivor, by=cast.admin_a
            )


def test_not_the_same_person_removes_the_flag_and_keeps_both(cast, client_as, records):
    url = reverse("dashboard_patient_not_a_duplicate", args=[records.duplicate.pk])
    assert client_as("admin_a").get(url).status_code == 405
    response = client_as("admin_a").post(url)
    assert response.status_code == 302
    with medspa_scope(cast.medspa_a):
        duplicate = Patient.objects.get(pk=records.duplicate.pk)
        assert (duplicate.possible_duplicate_of, duplicate.merged_into, duplicate.status) == (
            None,
            None,
            PatientStatus.ACTIVE,
        )
    event = PatientEvent.objects.filter(pgh_obj=duplicate).latest("pgh_id")
    assert event.pgh_context["patient_duplicate_dismiss"] == {
        "not_a_duplicate_of": records.survivor.pk,
        "by": cast.admin_a.pk,
    }


def test_the_list_and_the_profile_show_the_flag(client_as, records):
    client = client_as("admin_a")
    listing = client.get(reverse("dashboard_patients")).content.decode()
    assert "Possible duplicate" in listing and merge_url(records.duplicate) in listing
    profile = client.get(reverse("dashboard_patient_detail", args=[records.duplicate.pk])).content.decode()
    assert "Possible duplicate of" in profile and merge_url(records.duplicate) in profile


def test_a_merged_record_is_not_restored(cast, client_as, records):
    with medspa_scope(cast.medspa_a):
        patient_merge.patient_merge(survivor=records.survivor, duplicate=records.duplicate, by=cast.admin_a)
        url = reverse("dashboard_patient_archive", args=[records.duplicate.pk])
    assert client_as("admin_a").post(url, {"archive": "0"}).status_code == 302
    with medspa_scope(cast.medspa_a):
        assert Patient.objects.get(pk=records.duplicate.pk).status == PatientStatus.ARCHIVED


def test_what_was_signed_on_the_merged_record_still_counts_for_the_person(cast, client_as, records):
    with medspa_scope(cast.medspa_a):
        signature = ConsentSignature.objects.get()
    merge_confirmed(client_as("admin_a"), records)
    with medspa_scope(cast.medspa_a):
        open_visit = Visit.objects.get(pk=records.open_visit.pk)
        for visit_service in records.signed_visit.services.all():
            charting.visit_service_add(visit=open_visit, service=visit_service.service)
        needs = {need.version.pk: need for need in charts.consents_needed(open_visit)}
        # The consent signed on the merged-away record is still valid for the person: not asked for again.
        assert needs[signature.version_id].covered_by == signature
    profile = client_as("admin_a").get(reverse("dashboard_patient_detail", args=[records.survivor.pk]))
    assert signature.version.consent.title in profile.content.decode()
    gfes = client_as("admin_a").get(reverse("gfe:patient_gfes", args=[records.survivor.pk]))
    assert gfes.status_code == 200
    with medspa_scope(cast.medspa_a):
        assert reverse("gfe:exam_detail", args=[GfeExam.objects.get().pk]) in gfes.content.decode()

"""GFE clearers: the medspa's own clearing provider through the secure link, Portrait's queue, the decision
rules, the nightly expiry and the reminders 30 days before a clearance expires."""

import base64
import io
import threading
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone
from PIL import Image, ImageDraw

from gfe import tasks
from gfe.models import Clearance, ClearanceStatus, GfeExam, GfeRequest, RequestStatus, Routing
from gfe.services import clearances, jobs, requests, routing
from gfe.services import decisions as gfe_decisions
from gfe.services import errors as gfe_errors
from medspa.models import Membership, PatientAccessLog, PatientProvider
from medspa.models.patients import PatientStatus
from medspa.tenancy import medspa_scope
from services_catalog.services import catalog
from tests import factories

CLEARER_EMAIL = "clearer@thirdparty.example"


def signature_data_url() -> str:
    """A real small PNG drawn with Pillow, as the signature pad would post it."""
    image = Image.new("RGB", (240, 80), "white")
    ImageDraw.Draw(image).line([(10, 60), (80, 15), (150, 65), (230, 20)], fill="black", width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def active_service(medspa, name):
    service = catalog.service_import(medspa=medspa, library_service=factories.library_service(name=name))
    return catalog.service_set_active(service=service, active=True)


@factories.unscoped
def membership_of(user, medspa) -> Membership:
    return Membership.objects.get(user=user, medspa=medspa)


@factories.unscoped
def assign(patient, user):
    PatientProvider.objects.create(patient=patient, membership=membership_of(user, patient.medspa))


def own_clearer(medspa):
    with medspa_scope(medspa):
        routing.gfe_settings_update(
            medspa=medspa,
            data={
                "routing": Routing.OWN_CLEARER,
                "clearer_email": CLEARER_EMAIL,
                "clearer_name": "Dr. Outside Clearer",
                "clearer_credential": "MD",
            },
        )


def decision_post(gfe_request, decisions: dict, **extra) -> dict:
    """The decision form's POST: {service: (status, reason)}, the reviewed boxes, who signs, a drawing."""
    data = {
        "history_reviewed": "on",
        "medications_reviewed": "on",
        "allergies_reviewed": "on",
        "diagnoses": "Dynamic rhytids",
        "icd10_codes": "l57.0, Z01.818",
        "contraindications": "None",
        "notes": "Reviewed by video",
        "clearer_name": "Dr. Outside Clearer",
        "clearer_credential": "MD",
        "clearer_licence": "CA A12345",
        "data_url": signature_data_url(),
    }
    for service, (status, reason) in decisions.items():
        data[f"decision_{service.pk}"] = status
        data[f"reason_{service.pk}"] = reason
    data.update(extra)
    return data


def link_path(gfe_request) -> str:
    return f"/gfe/review/{gfe_request.review_token}/"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(cast):
    """Medspa A with two active services and a patient looked after by provider_a1."""
    neurotoxin = active_service(cast.medspa_a, "Neurotoxin: glabellar lines")
    filler = active_service(cast.medspa_a, "Dermal filler: lips")
    patient = factories.PatientFactory(
        medspa=cast.medspa_a,
        first_name="Adaline",
        last_name="Lovelacetest",
        allergies="Penicillin",
        medications="Levothyroxine",
        medical_history="Hypothyroidism, controlled",
    )
    assign(patient, cast.provider_a1)
    return cast, patient, neurotoxin, filler


# --- Our own clearing provider (a third party), through the secure link -------------------------------------


def test_own_clearer_end_to_end(world, django_capture_on_commit_callbacks, mailoutbox):
    with medspa_scope(world[0].medspa_a):
        cast, patient, neurotoxin, filler = world
        own_clearer(cast.medspa_a)
        with django_capture_on_commit_callbacks(execute=True):
            gfe_request = requests.gfe_request_create(
                patient=patient, services=[neurotoxin, filler], requested_by=cast.admin_a
            )
        assert gfe_request.route == Routing.OWN_CLEARER and gfe_request.status == RequestStatus.SENT
        patient.refresh_from_db()
        assert patient.status == PatientStatus.TO_CLEAR

        # The clearer is emailed the secure link, with its expiry; the subject names no patient.
        assert len(mailoutbox) == 1
        email = mailoutbox[0]
        assert email.to == [CLEARER_EMAIL]
        assert f"http://127.0.0.1:8000/gfe/review/{gfe_request.review_token}/" in email.body
        expiry = gfe_request.token_expires_at.astimezone(ZoneInfo(cast.medspa_a.time_zone))
        assert f"expires on {expiry:%B} {expiry.day}, {expiry.year} at" in email.body
        assert "Adaline" not in email.subject and "Lovelacetest" not in email.subject
        assert "Adaline L." in email.body and "Lovelacetest" not in email.body
        assert "Neurotoxin: glabellar lines" in email.body

        # Opening the link shows the intake; the clearer's "Start review" puts the request (and its
        # clearances) in review.
        clearer = Client()
        page = clearer.get(link_path(gfe_request))
        assert page.status_code == 200
        content = page.content.decode()
        for shown in ("Adaline", "Penicillin", "Levothyroxine", "Hypothyroidism", "Dermal filler: lips"):
            assert shown in content
        assert "Lovelacetest" not in content  # the last initial only
        assert 'value="Dr. Outside Clearer"' in content and 'value="MD"' in content  # prefilled from settings
        assert "data-signature-pad" in content
        assert 'name="action" value="start"' in content
        started = clearer.post(link_path(gfe_request), {"action": "start"})
        assert started.status_code == 302 and started["Location"] == link_path(gfe_request)
        gfe_request.refresh_from_db()
        assert gfe_request.status == RequestStatus.IN_REVIEW
        assert 'value="start"' not in clearer.get(link_path(gfe_request)).content.decode()
        assert set(gfe_request.clearances.values_list("status", flat=True)) == {ClearanceStatus.IN_REVIEW}

        # Deciding: one cleared, one not indicated with a reason, signed with a drawing.
        data = decision_post(
            gfe_request,
            {neurotoxin: (ClearanceStatus.CLEARED, ""), filler: (ClearanceStatus.NOT_INDICATED, "Pregnant")},
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = clearer.post(link_path(gfe_request), data)
        assert response.status_code == 200
        assert "Thank you" in response.content.decode()

        gfe_request.refresh_from_db()
        assert gfe_request.status == RequestStatus.APPROVED
        assert gfe_request.decided_at is not None and gfe_request.token_used_at is not None
        cleared = Clearance.objects.get(request=gfe_request, service=neurotoxin)
        assert cleared.status == ClearanceStatus.CLEARED
        assert cleared.valid_until == gfe_decisions.months_after(
            factories.medspa_today(gfe_request.patient.medspa), 12
        )
        not_indicated = Clearance.objects.get(request=gfe_request, service=filler)
        assert (not_indicated.status, not_indicated.reason) == (ClearanceStatus.NOT_INDICATED, "Pregnant")
        assert not_indicated.valid_until is None
        exam = GfeExam.objects.get(request=gfe_request)
        assert (exam.clearer_name, exam.clearer_credential, exam.clearer_licence) == (
            "Dr. Outside Clearer",
            "MD",
            "CA A12345",
        )
        assert exam.clearer is None
        assert exam.history_reviewed and exam.medications_reviewed and exam.allergies_reviewed
        assert exam.icd10_codes == "L57.0, Z01.818"
        assert exam.signature and exam.signature.read().startswith(b"\x89PNG")
        assert cleared.exam == exam and not_indicated.exam == exam
        patient.refresh_from_db()
        assert patient.status == PatientStatus.ACTIVE  # nothing is waiting for clearance any more

        # The requester and the patient's provider are told of the decision.
        assert len(mailoutbox) == 2
        decided = mailoutbox[1]
        assert set(decided.to) == {cast.admin_a.email, cast.provider_a1.email}
        assert "approved" in decided.subject.lower() and "Adaline" not in decided.subject
        assert "Neurotoxin: glabellar lines: cleared, valid until" in decided.body
        assert "Dermal filler: lips: not indicated (Pregnant)" in decided.body

        # The link worked once.
        again = clearer.get(link_path(gfe_request))
        assert again.status_code == 410
        assert "already used" in again.content.decode()
        assert "Adaline" not in again.content.decode()
        assert clearer.post(link_path(gfe_request), data).status_code == 410
        assert GfeExam.objects.filter(request=gfe_request).count() == 1


def test_opening_the_link_changes_nothing_and_is_logged_with_the_clearer_named(world):
    """Mail scanners open links: a GET only shows. The read is logged, naming the clearer the link went to."""
    with medspa_scope(world[0].medspa_a):
        cast, patient, neurotoxin, filler = world
        own_clearer(cast.medspa_a)
        gfe_request = requests.gfe_request_create(
            patient=patient, services=[neurotoxin, filler], requested_by=None
        )
        for _ in range(2):
            assert Client().get(link_path(gfe_request)).status_code == 200
        gfe_request.refresh_from_db()
        assert gfe_request.status == RequestStatus.SENT
        assert set(gfe_request.clearances.values_list("status", flat=True)) == {ClearanceStatus.REQUESTED}
        reads = PatientAccessLog.objects.filter(patient=patient)
        assert reads.count() == 2
        assert {(entry.actor_id, entry.actor_label, entry.medspa_id) for entry in reads} == {
            (
                None,
                f"Outside clearer {CLEARER_EMAIL}, by the link of GFE request {gfe_request.pk}",
                cast.medspa_a.pk,
            )
        }


def test_a_refused_decision_leaves_the_request_as_it_was(world):
    """Only Start review or a decision that is taken moves the request: a refused one changes nothing."""
    with medspa_scope(world[0].medspa_a):
        cast, patient, neurotoxin, filler = world
        own_clearer(cast.medspa_a)
        gfe_request = requests.gfe_request_create(patient=patient, services=[neurotoxin], requested_by=None)
        clearer = Client()
        assert clearer.post(link_path(gfe_request), {}).status_code == 400
        unsigned = decision_post(gfe_request, {neurotoxin: (ClearanceStatus.CLEARED, "")})
        unsigned["clearer_name"] = ""
        assert clearer.post(link_path(gfe_request), unsigned).status_code == 400
        gfe_request.refresh_from_db()
        assert gfe_request.status == RequestStatus.SENT
        assert set(gfe_request.clearances.values_list("status", flat=True)) == {ClearanceStatus.REQUESTED}
        assert clearer.post(link_path(gfe_request), {"action": "start"}).status_code == 302
        gfe_request.refresh_from_db()
        assert gfe_request.status == RequestStatus.IN_REVIEW


def test_the_signed_decision_alone_also_starts_and_ends_the_review(world):
    with medspa_scope(world[0].medspa_a):
        cast, patient, neurotoxin, filler = world
        own_clearer(cast.medspa_a)
        gfe_request = requests.gfe_request_create(patient=patient, services=[neurotoxin], requested_by=None)
        clearer = Client()
        clearer.get(link_path(gfe_request))
        data = decision_post(gfe_request, {neurotoxin: (ClearanceStatus.CLEARED, "")})
        assert clearer.post(link_path(gfe_request), data).status_code == 200
        gfe_request.refresh_from_db()
        assert gfe_request.status == RequestStatus.APPROVED


def test_the_form_refuses_a_missing_reason_or_signature_with_400(world):
    with medspa_scope(world[0].medspa_a):
        cast, patient, neurotoxin, filler = world
        own_clearer(cast.medspa_a)
        gfe_request = requests.gfe_request_create(
            patient=patient, services=[neurotoxin, filler], requested_by=None
        )
        clearer = Client()
        clearer.get(link_path(gfe_request))

        no_reason = decision_post(
            gfe_request, {neurotoxin: (ClearanceStatus.CLEARED, ""), filler: (ClearanceStatus.DEFERRED, "")}
        )
        response = clearer.post(link_path(gfe_request), no_reason)
        assert response.status_code == 400
        assert "Say why Dermal filler: lips is not cleared." in response.content.decode()

        unsigned = decision_post(
            gfe_request,
            {neurotoxin: (ClearanceStatus.CLEARED, ""), filler: (ClearanceStatus.DEFERRED, "Needs labs")},
            data_url="",
        )
        response = clearer.post(link_path(gfe_request), unsigned)
        assert response.status_code == 400
        assert "Draw your signature in the box first." in response.content.decode()

        unreviewed = decision_post(
            gfe_request, {neurotoxin: (ClearanceStatus.CLEARED, ""), filler: (ClearanceStatus.CLEARED, "")}
        )
        del unreviewed["allergies_reviewed"]
        assert clearer.post(link_path(gfe_request), unreviewed).status_code == 400

        undecided = decision_post(gfe_request, {neurotoxin: (ClearanceStatus.CLEARED, "")})
        response = clearer.post(link_path(gfe_request), undecided)
        assert response.status_code == 400 and "Decide Dermal filler: lips." in response.content.decode()

        gfe_request.refresh_from_db()
        # a refused decision changes nothing, not even the status
        assert gfe_request.status == RequestStatus.SENT
        assert not GfeExam.objects.filter(request=gfe_request).exists()


def test_an_expired_link_answers_410(world):
    with medspa_scope(world[0].medspa_a):
        cast, patient, neurotoxin, _ = world
        own_clearer(cast.medspa_a)
        gfe_request = requests.gfe_request_create(patient=patient, services=[neurotoxin], requested_by=None)
        GfeRequest.objects.filter(pk=gfe_request.pk).update(
            token_expires_at=timezone.now() - timedelta(minutes=1)
        )
        clearer = Client()
        response = clearer.get(link_path(gfe_request))
        assert response.status_code == 410
        assert "expired" in response.content.decode()
        assert "Adaline" not in response.content.decode()
        data = decision_post(gfe_request, {neurotoxin: (ClearanceStatus.CLEARED, "")})
        assert clearer.post(link_path(gfe_request), data).status_code == 410
        gfe_request.refresh_from_db()
        assert gfe_request.status == RequestStatus.SENT  # not even moved to review
        assert not GfeExam.objects.filter(request=gfe_request).exists()


def test_an_unknown_token_answers_the_same_410_page(world):
    with medspa_scope(world[0].medspa_a):
        response = Client().get("/gfe/review/not-a-real-token-0123456789/")
        assert response.status_code == 410
        assert "This link is not valid." in response.content.decode()
        assert Client().get("/gfe/review/" + "x" * 300 + "/").status_code == 410
        assert Client().post("/gfe/review/not-a-real-token/", {}).status_code == 410


def test_a_portrait_request_token_does_not_open_as_an_external_link(world):
    with medspa_scope(world[0].medspa_a):
        cast, patient, neurotoxin, _ = world  # medspa A routes to Portrait by default
        gfe_request = requests.gfe_request_create(patient=patient, services=[neurotoxin], requested_by=None)
        assert gfe_request.route == Routing.PORTRAIT
        assert Client().get(link_path(gfe_request)).status_code == 410
        gfe_request.refresh_from_db()
        assert gfe_request.status == RequestStatus.SENT


def test_a_link_opens_its_own_patient_and_nothing_else(world):
    with medspa_scope(world[0].medspa_a):
        cast, patient, neurotoxin, filler = world
        own_clearer(cast.medspa_a)
        other = factories.PatientFactory(
            medspa=cast.medspa_a, first_name="Zebulon", last_name="Quixotic", allergies="Unobtainium dust"
        )
        factories.PatientFactory(medspa=cast.medspa_b, first_name="Xanthippe", last_name="Farfield")
        mine = requests.gfe_request_create(patient=patient, services=[neurotoxin], requested_by=None)
        theirs = requests.gfe_request_create(patient=other, services=[filler], requested_by=None)

        clearer = Client()
        content = clearer.get(link_path(mine)).content.decode()
        assert "Adaline" in content
        for absent in ("Zebulon", "Quixotic", "Unobtainium", "Xanthippe", "Farfield", "Dermal filler: lips"):
            assert absent not in content
        assert cast.medspa_a.name not in content and cast.medspa_b.name not in content
        assert cast.provider_a1.email not in content and patient.email not in content

        # Deciding through one link decides that request only, whatever else is posted.
        data = decision_post(
            mine,
            {neurotoxin: (ClearanceStatus.CLEARED, ""), filler: (ClearanceStatus.CLEARED, "")},
        )
        assert clearer.post(link_path(mine), data).status_code == 200
        theirs.refresh_from_db()
        assert theirs.status == RequestStatus.SENT
        assert not Clearance.objects.filter(patient=other, status=ClearanceStatus.CLEARED).exists()


# --- Portrait clearing services: the staff queue ------------------------------------------------------------


@pytest.fixture
@factories.unscoped
def queue(world):
    """A routine request of medspa A (the older) and an urgent one of medspa B (the newer), both routed to
    Portrait, and an own-clearer request of another medspa that the queue never shows."""
    cast, patient, neurotoxin, _ = world
    routine = requests.gfe_request_create(patient=patient, services=[neurotoxin], requested_by=cast.admin_a)
    GfeRequest.objects.filter(pk=routine.pk).update(created_at=timezone.now() - timedelta(hours=5))
    b_service = active_service(cast.medspa_b, "Chemical peel: light")
    b_patient = factories.PatientFactory(medspa=cast.medspa_b, first_name="Bellamy", last_name="Urgentcase")
    urgent = requests.gfe_request_create(
        patient=b_patient, services=[b_service], requested_by=cast.admin_b, urgent=True
    )
    assert urgent.urgent and urgent.urgent_fee > 0
    third = factories.MedspaFactory(name="Third Spa")
    own_clearer(third)
    third_patient = factories.PatientFactory(medspa=third, first_name="Ottoline", last_name="Ownclearer")
    own = requests.gfe_request_create(
        patient=third_patient, services=[active_service(third, "Microneedling")], requested_by=None
    )
    return routine, urgent, own


@pytest.mark.scopes_disabled(reason="Portrait staff's GFE queue holds the requests of every medspa")
def test_portrait_queue_end_to_end_as_staff(
    world, queue, client_as, django_capture_on_commit_callbacks, mailoutbox
):
    cast, patient, neurotoxin, _ = world
    routine, urgent, own = queue
    cast.staff.full_name = "Morgan Portrait"
    cast.staff.save(update_fields=["full_name"])
    staff = client_as("staff")

    listing = staff.get("/gfe/queue/")
    assert listing.status_code == 200
    content = listing.content.decode()
    assert content.index("Bellamy U.") < content.index("Adaline L.")  # urgent first, then the oldest
    assert "Luxe B" in content and "Glow A" in content and "Urgent" in content
    assert "Ottoline" not in content  # routed to the medspa's own clearer
    assert "Lovelacetest" not in content and "Urgentcase" not in content

    only_urgent = staff.get("/gfe/queue/?urgent=1").content.decode()
    assert "Bellamy U." in only_urgent and "Adaline L." not in only_urgent
    assert "Adaline L." in staff.get("/gfe/queue/?urgent=0").content.decode()

    page = staff.get(f"/gfe/queue/{routine.pk}/")
    assert page.status_code == 200
    assert f'value="{cast.staff.full_name}"' in page.content.decode()  # prefilled from the staff user
    assert "Start review" in page.content.decode()
    routine.refresh_from_db()
    assert routine.status == RequestStatus.SENT  # reading the intake changes nothing
    started = staff.post(f"/gfe/queue/{routine.pk}/", {"action": "start"})
    assert started.status_code == 302
    routine.refresh_from_db()
    assert routine.status == RequestStatus.IN_REVIEW
    in_review = staff.get("/gfe/queue/?status=in_review").content.decode()
    assert "Adaline L." in in_review and "Bellamy U." not in in_review
    assert "Adaline L." not in staff.get("/gfe/queue/?status=sent").content.decode()

    data = decision_post(
        routine,
        {neurotoxin: (ClearanceStatus.DEFERRED, "Blood pressure to be rechecked")},
        clearer_name=cast.staff.full_name,
        clearer_credential="NP",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/gfe/queue/{routine.pk}/", data)
    assert response.status_code == 302 and response["Location"] == "/gfe/queue/"
    routine.refresh_from_db()
    assert routine.status == RequestStatus.DEFERRED
    clearance = Clearance.objects.get(request=routine)
    assert (clearance.status, clearance.reason) == (
        ClearanceStatus.DEFERRED,
        "Blood pressure to be rechecked",
    )
    exam = GfeExam.objects.get(request=routine)
    assert (exam.clearer_name, exam.clearer_credential) == (cast.staff.full_name, "NP")
    assert len(mailoutbox) == 1 and cast.admin_a.email in mailoutbox[0].to
    listing = staff.get("/gfe/queue/").content.decode()
    assert "The GFE of Adaline L. was signed." in listing
    assert f'href="/gfe/queue/{routine.pk}/"' not in listing  # no longer open

    # The decided request shows its outcome and refuses a second decision (400, the rule's message).
    assert "nothing left to sign" in staff.get(f"/gfe/queue/{routine.pk}/").content.decode()
    again = staff.post(f"/gfe/queue/{routine.pk}/", data)
    assert again.status_code == 400 and "already deferred" in again.content.decode()

    # Urgent request of the other medspa, cleared from the same queue.
    b_service = urgent.services.get()
    staff.get(f"/gfe/queue/{urgent.pk}/")
    data = decision_post(urgent, {b_service: (ClearanceStatus.CLEARED, "")}, clearer_credential="MD")
    assert staff.post(f"/gfe/queue/{urgent.pk}/", data).status_code == 302
    assert Clearance.objects.get(request=urgent).status == ClearanceStatus.CLEARED

    # A request routed elsewhere is not in Portrait's queue.
    assert staff.get(f"/gfe/queue/{own.pk}/").status_code == 404


def test_the_queue_pages_keep_their_filters(queue, client_as, monkeypatch):
    from gfe.views import queue as views_queue

    monkeypatch.setattr(views_queue, "PAGE_SIZE", 1)
    staff = client_as("staff")
    first = staff.get("/gfe/queue/?status=sent").content.decode()
    assert "Bellamy U." in first and "Adaline L." not in first
    assert 'href="?status=sent&amp;page=2"' in first
    second = staff.get("/gfe/queue/?status=sent&page=2").content.decode()
    assert "Adaline L." in second and "Bellamy U." not in second
    assert staff.get("/gfe/queue/?status=nonsense&urgent=maybe&page=99").status_code == 200


@pytest.mark.parametrize("name", ["admin_a", "provider_a1", "admin_b"])
def test_the_queue_is_for_portrait_staff_only(queue, client_as, name):
    routine, _, _ = queue
    client = client_as(name)
    assert client.get("/gfe/queue/").status_code == 403
    assert client.get(f"/gfe/queue/{routine.pk}/").status_code == 403
    assert client.post(f"/gfe/queue/{routine.pk}/", {}).status_code == 403
    routine.refresh_from_db()
    assert routine.status == RequestStatus.SENT


def test_anonymous_visitors_are_sent_to_sign_in(queue):
    routine, _, _ = queue
    for path in ("/gfe/queue/", f"/gfe/queue/{routine.pk}/"):
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_staff_see_the_gfe_models_in_django_admin(queue, client_as):
    routine, _, _ = queue
    staff = client_as("staff")
    for model in ("gfesettings", "gferequest", "gfeexam", "clearance"):
        assert staff.get(f"/admin/gfe/{model}/").status_code == 200
    page = staff.get(f"/admin/gfe/gferequest/{routine.pk}/change/")
    assert page.status_code == 200 and routine.review_token not in page.content.decode()
    assert staff.get("/admin/gfe/gferequest/?q=Lovelacetest").status_code == 200
    assert staff.get("/admin/gfe/gferequest/add/").status_code == 403
    assert staff.get("/admin/gfe/gfesettings/add/").status_code == 200
    fresh = factories.MedspaFactory(name="Fresh Spa")  # no GFE settings yet
    refused = staff.post(
        "/admin/gfe/gfesettings/add/", {"medspa": fresh.pk, "routing": "own_clearer", "validity_months": 12}
    )
    assert refused.status_code == 200 and "requests are sent there" in refused.content.decode()


# --- The rules ----------------------------------------------------------------------------------------------


def _decide(gfe_request, decisions):
    return gfe_decisions.gfe_decide(
        request=gfe_request,
        decisions=decisions,
        exam={"history_reviewed": True},
        clearer_name="Dr. Portrait",
        clearer_credential="MD",
    )


def test_invalid_transitions_are_refused(world):
    with medspa_scope(world[0].medspa_a):
        cast, patient, neurotoxin, filler = world
        gfe_request = requests.gfe_request_create(
            patient=patient, services=[neurotoxin, filler], requested_by=None
        )
        with pytest.raises(gfe_errors.GfeRuleBroken):  # every requested service must be decided
            _decide(gfe_request, {neurotoxin.pk: gfe_decisions.Decision(ClearanceStatus.CLEARED)})
        with pytest.raises(gfe_errors.GfeRuleBroken):  # a reason for anything not cleared
            _decide(
                gfe_request,
                {
                    neurotoxin.pk: gfe_decisions.Decision(ClearanceStatus.CLEARED),
                    filler.pk: gfe_decisions.Decision(ClearanceStatus.NOT_INDICATED),
                },
            )
        _decide(
            gfe_request,
            {
                neurotoxin.pk: gfe_decisions.Decision(ClearanceStatus.CLEARED),
                filler.pk: gfe_decisions.Decision(ClearanceStatus.NOT_INDICATED, "History of anaphylaxis"),
            },
        )
        with pytest.raises(gfe_errors.GfeRuleBroken, match="already approved"):
            _decide(
                gfe_request,
                {
                    neurotoxin.pk: gfe_decisions.Decision(ClearanceStatus.NOT_INDICATED, "Changed my mind"),
                    filler.pk: gfe_decisions.Decision(ClearanceStatus.CLEARED),
                },
            )
        assert GfeExam.objects.filter(request=gfe_request).count() == 1

        # A not-indicated clearance never expires (only cleared ones do), however late it is.
        not_indicated = Clearance.objects.get(request=gfe_request, service=filler)
        clearances.clearances_expire(today=factories.medspa_today(cast.medspa_a) + timedelta(days=800))
        not_indicated.refresh_from_db()
        assert not_indicated.status == ClearanceStatus.NOT_INDICATED
        cleared = Clearance.objects.get(request=gfe_request, service=neurotoxin)
        assert cleared.status == ClearanceStatus.EXPIRED  # (the cleared one did expire)
        with pytest.raises(gfe_errors.GfeRuleBroken):
            clearances._transition(not_indicated, ClearanceStatus.EXPIRED)
        with pytest.raises(gfe_errors.GfeRuleBroken):
            clearances._transition(cleared, ClearanceStatus.CLEARED)


# --- Nightly expiry -----------------------------------------------------------------------------------------


def _cleared(patient, service) -> Clearance:
    with medspa_scope(patient.medspa):
        gfe_request = requests.gfe_request_create(patient=patient, services=[service], requested_by=None)
        _decide(gfe_request, {service.pk: gfe_decisions.Decision(ClearanceStatus.CLEARED)})
        return Clearance.objects.get(request=gfe_request)


def test_the_nightly_job_expires_clearances_past_their_date(world):
    with medspa_scope(world[0].medspa_a):
        cast, patient, neurotoxin, filler = world
        clearance = _cleared(patient, neurotoxin)
        current = _cleared(patient, filler)
        Clearance.objects.filter(pk=clearance.pk).update(
            valid_until=factories.medspa_today(patient.medspa) - timedelta(days=1)
        )

        assert tasks.clearances_expire_nightly() == 1
        clearance.refresh_from_db()
        current.refresh_from_db()
        assert clearance.status == ClearanceStatus.EXPIRED
        assert current.status == ClearanceStatus.CLEARED
        patient.refresh_from_db()
        assert patient.status == PatientStatus.ACTIVE  # nothing booked or requested needs the clearance
        assert clearances.clearances_expire() == 0  # nothing more to do the next night

        # With an open request waiting, the patient is "To Clear" again.
        requests.gfe_request_create(patient=patient, services=[neurotoxin], requested_by=None)
        patient.refresh_from_db()
        assert patient.status == PatientStatus.TO_CLEAR


def test_a_clearance_is_valid_through_its_date_in_the_medspas_zone(world):
    with medspa_scope(world[0].medspa_a):
        cast, patient, neurotoxin, _ = world
        clearance = _cleared(patient, neurotoxin)
        Clearance.objects.filter(pk=clearance.pk).update(valid_until=date(2026, 11, 30))
        # 02:00 UTC on Dec 1 is still Nov 30 in the medspa's zone: the clearance is valid all that day.
        with time_machine.travel(datetime(2026, 12, 1, 2, 0, tzinfo=UTC), tick=False):
            assert factories.medspa_today(patient.medspa) == date(2026, 11, 30)
            assert tasks.clearances_expire_nightly() == 0
        clearance.refresh_from_db()
        assert clearance.status == ClearanceStatus.CLEARED
        # Midnight in New York: Dec 1 there too, and it has expired.
        with time_machine.travel(datetime(2026, 12, 1, 5, 0, tzinfo=UTC), tick=False):
            assert tasks.clearances_expire_nightly() == 1
        clearance.refresh_from_db()
        assert clearance.status == ClearanceStatus.EXPIRED


def test_requests_nobody_decided_in_time_expire(world):
    with medspa_scope(world[0].medspa_a):
        cast, patient, neurotoxin, _ = world
        own_clearer(cast.medspa_a)
        gfe_request = requests.gfe_request_create(patient=patient, services=[neurotoxin], requested_by=None)
        GfeRequest.objects.filter(pk=gfe_request.pk).update(
            token_expires_at=timezone.now() - timedelta(hours=1)
        )
        clearances.clearances_expire()
        gfe_request.refresh_from_db()
        assert gfe_request.status == RequestStatus.EXPIRED
        assert Clearance.objects.get(request=gfe_request).status == ClearanceStatus.EXPIRED
        assert Client().get(link_path(gfe_request)).status_code == 410


# --- Reminders 30 days before expiry ------------------------------------------------------------------------


def test_a_reminder_goes_out_once_30_days_before_expiry(world, mailoutbox):
    with medspa_scope(world[0].medspa_a):
        cast, patient, neurotoxin, filler = world
        soon = _cleared(patient, neurotoxin)
        later = _cleared(patient, filler)
        today = factories.medspa_today(patient.medspa)
        Clearance.objects.filter(pk=soon.pk).update(valid_until=today + timedelta(days=30))
        Clearance.objects.filter(pk=later.pk).update(valid_until=today + timedelta(days=31))
        mailoutbox.clear()

        assert tasks.clearance_expiry_reminders() == 1
        assert len(mailoutbox) == 1
        email = mailoutbox[0]
        assert email.to == [cast.provider_a1.email]
        assert "Adaline" not in email.subject and "Lovelacetest" not in email.body
        assert "Adaline L." in email.body and "Neurotoxin: glabellar lines" in email.body
        assert "Dermal filler" not in email.body
        soon.refresh_from_db()
        assert soon.expiry_reminder_sent_at is not None

        assert jobs.clearance_expiry_reminders_send() == 0  # the second run sends nothing
        assert len(mailoutbox) == 1
        # The next day, the other clearance comes within 30 days: its own reminder, once.
        assert jobs.clearance_expiry_reminders_send(today=today + timedelta(days=1)) == 1
        assert len(mailoutbox) == 2 and "Dermal filler: lips" in mailoutbox[1].body


def test_the_30_days_count_from_the_medspas_day(world, mailoutbox):
    with medspa_scope(world[0].medspa_a):
        cast, patient, neurotoxin, filler = world
        today_there = _cleared(patient, neurotoxin)
        in_31_days_there = _cleared(patient, filler)
        Clearance.objects.filter(pk=today_there.pk).update(valid_until=date(2026, 11, 30))
        Clearance.objects.filter(pk=in_31_days_there.pk).update(valid_until=date(2026, 12, 31))
        mailoutbox.clear()
        # 02:00 UTC on Dec 1 is Nov 30 in the medspa's zone: the first expires today, the second in 31 days.
        with time_machine.travel(datetime(2026, 12, 1, 2, 0, tzinfo=UTC), tick=False):
            assert factories.medspa_today(patient.medspa) == date(2026, 11, 30)
            assert tasks.clearance_expiry_reminders() == 1
        assert len(mailoutbox) == 1
        assert (
            "Neurotoxin: glabellar lines" in mailoutbox[0].body and "Dermal filler" not in mailoutbox[0].body
        )
        in_31_days_there.refresh_from_db()
        assert in_31_days_there.expiry_reminder_sent_at is None


def test_without_assigned_providers_the_admins_are_reminded(world, mailoutbox):
    with medspa_scope(world[0].medspa_a):
        cast, _, neurotoxin, _ = world
        unassigned = factories.PatientFactory(medspa=cast.medspa_a, first_name="Orla", last_name="Noprovider")
        clearance = _cleared(unassigned, neurotoxin)
        Clearance.objects.filter(pk=clearance.pk).update(
            valid_until=factories.medspa_today(cast.medspa_a) + timedelta(days=5)
        )
        mailoutbox.clear()
        assert jobs.clearance_expiry_reminders_send() == 1
        assert [email.to for email in mailoutbox] == [[cast.admin_a.email]]


@pytest.mark.django_db(transaction=True)
def test_two_workers_send_a_reminder_once(transactional_db, cast, monkeypatch):
    with medspa_scope(cast.medspa_a):
        neurotoxin = active_service(cast.medspa_a, "Neurotoxin: crow's feet")
        patient = factories.PatientFactory(medspa=cast.medspa_a, first_name="Rhea", last_name="Racetest")
        assign(patient, cast.provider_a1)
        clearance = _cleared(patient, neurotoxin)
        Clearance.objects.filter(pk=clearance.pk).update(
            valid_until=factories.medspa_today(cast.medspa_a) + timedelta(days=7)
        )
        mail.outbox.clear()

        real_send = jobs.send_mail

        def slow_send(**kwargs):  # holds the row lock long enough for the other worker to run into it
            time.sleep(0.5)
            return real_send(**kwargs)

        monkeypatch.setattr(jobs, "send_mail", slow_send)
        barrier = threading.Barrier(2)
        results, errors = [], []

        def worker():
            try:
                barrier.wait(timeout=10)
                results.append(jobs.clearance_expiry_reminders_send())
            except BaseException as error:  # reported to the test thread
                errors.append(error)
            finally:
                connection.close()

        workers = [threading.Thread(target=worker) for _ in range(2)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(timeout=30)
        assert errors == []
        assert sorted(results) == [0, 1]
        assert len(mail.outbox) == 1
        clearance.refresh_from_db()
        assert clearance.expiry_reminder_sent_at is not None

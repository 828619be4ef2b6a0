"""GFE pages: the GFE Management tab (routing, validity, automatic requests, recent requests), a provider's
manual request and self-clearance from the Provider dashboard, the licence rule, the signed exam and its PDF,
and tenant and patient isolation."""

import base64
from datetime import timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image, ImageDraw

import gfe
from gfe.models import Clearance, ClearanceStatus, GfeExam, GfeRequest, GfeSettings, RequestStatus, Routing
from gfe.services import decisions, requests
from gfe.services import routing as gfe_routing
from medspa import images
from medspa.models import PatientAccessLog
from medspa.models.patients import PatientStatus
from medspa.money import money_format
from medspa.services import onboarding
from medspa.tenancy import medspa_scope
from services_catalog.services import catalog
from tests import factories


@factories.unscoped
def member(cast, name):
    return cast.user(name).memberships.get()


def png_bytes() -> bytes:
    image = Image.new("RGB", (240, 80), "white")
    ImageDraw.Draw(image).line([(10, 60), (80, 15), (150, 65), (230, 20)], fill="black", width=4)
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def drawn_signature() -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes()).decode()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def active_service(medspa, name):
    service = catalog.service_import(medspa=medspa, library_service=factories.library_service(name=name))
    return catalog.service_set_active(service=service, active=True)


@pytest.fixture
def toxin(cast):
    return active_service(cast.medspa_a, "Toxin")


@pytest.fixture
def filler(cast):
    return active_service(cast.medspa_a, "Filler")


@pytest.fixture
def patient(cast):
    patient = factories.PatientFactory(medspa=cast.medspa_a, first_name="Zoë", last_name="Nguyễn")
    patient.assigned_providers.add(
        member(cast, "admin_a"), member(cast, "provider_a1"), member(cast, "provider_a2")
    )
    return patient


def exam_post(*services_, **extra):
    data = {
        "history_reviewed": "on",
        "medications_reviewed": "on",
        "allergies_reviewed": "on",
        "services": [s.pk for s in services_],
        "diagnoses": "Dynamic rhytids — glabella",
        "icd10_codes": "l57.4, L90.8",
        "contraindications": "None known",
        "notes": "Discussed risks.",
        "data_url": drawn_signature(),
    }
    data.update(extra)
    return data


def route(cast, routing, **extra):
    with medspa_scope(cast.medspa_a):
        return gfe_routing.gfe_settings_update(medspa=cast.medspa_a, data={"routing": routing, **extra})


def url(name, *args):
    return reverse(name, args=args)


# --- The licence rule ---------------------------------------------------------------------------------------


def _rn(cast):
    return "provider_a2", "Only an MD, DO, NP or PA may clear"


def _no_licence(cast):
    member(cast, "provider_a1").provider_profile.licences.all().delete()
    return "provider_a1", "no current licence"


def _expired_licence(cast):
    yesterday = factories.medspa_today(cast.medspa_a) - timedelta(days=1)
    member(cast, "provider_a1").provider_profile.licences.update(expires_on=yesterday)
    return "provider_a1", "no current licence"


def _not_allowed(cast):
    profile = member(cast, "provider_a1").provider_profile
    profile.can_clear_gfe = False
    profile.save()
    return "provider_a1", "does not allow clearing"


@pytest.mark.parametrize("case", [_rn, _no_licence, _expired_licence, _not_allowed])
def test_a_provider_who_may_not_clear_sees_why_and_cannot_post(client_as, cast, patient, toxin, case):
    with medspa_scope(cast.medspa_a):
        who, reason = case(cast)
        client = client_as(who)
        page = client.get(url("gfe_provider:self_clear", patient.pk))
        assert page.status_code == 200
        assert reason in page.content.decode()
        assert "Approve services and diagnoses" not in page.content.decode()
        response = client.post(url("gfe_provider:self_clear", patient.pk), exam_post(toxin))
        assert response.status_code == 403
        assert reason in response.content.decode()
        assert (
            not GfeExam.objects.exists()
            and not GfeRequest.objects.exists()
            and not Clearance.objects.exists()
        )


# --- Self-clearance -----------------------------------------------------------------------------------------


def test_self_clearance_signs_the_exam_and_clears_until_the_validity_ends(
    client_as, cast, patient, toxin, filler
):
    with medspa_scope(cast.medspa_a):
        route(cast, Routing.SELF, validity_months=6)
        patient.status = PatientStatus.TO_CLEAR
        patient.save()
        provider = member(cast, "provider_a1")
        licence = provider.provider_profile.licences.get()
        client = client_as("provider_a1")
        page = client.get(url("gfe_provider:self_clear", patient.pk)).content.decode()
        assert "Approve services and diagnoses" in page and "Toxin" in page and "Filler" in page

        response = client.post(url("gfe_provider:self_clear", patient.pk), exam_post(toxin))
        exam = GfeExam.objects.get()
        assert response.status_code == 302
        assert response["Location"] == url("gfe_provider:exam_detail", exam.pk)
        assert exam.clearer == provider and exam.clearer_credential == "NP"
        assert exam.clearer_licence == f"CA {licence.number}"
        assert exam.history_reviewed and exam.medications_reviewed and exam.allergies_reviewed
        assert exam.icd10_codes == "L57.4, L90.8"
        assert exam.signature.read() == images.signature_normalise(png_bytes())  # stored re-encoded
        clearance = Clearance.objects.get()
        assert clearance.service == toxin and clearance.status == ClearanceStatus.CLEARED
        assert clearance.valid_until == decisions.months_after(factories.medspa_today(patient.medspa), 6)
        assert exam.request.route == Routing.SELF and exam.request.status == RequestStatus.APPROVED
        patient.refresh_from_db()
        assert patient.status == PatientStatus.ACTIVE

        detail = client.get(url("gfe_provider:exam_detail", exam.pk))
        assert detail.status_code == 200
        assert licence.number in detail.content.decode()
        assert PatientAccessLog.objects.filter(patient=patient, viewed=f"GFE exam {exam.pk}").exists()
        profile_page = client.get(url("providers:patient_detail", patient.pk)).content.decode()
        assert "Request a GFE" in profile_page and "Self-clear" in profile_page
        assert url("gfe_provider:exam_detail", exam.pk) in profile_page


def test_the_self_clearance_form_says_what_is_missing(client_as, cast, patient, toxin):
    with medspa_scope(cast.medspa_a):
        client = client_as("provider_a1")
        target = url("gfe_provider:self_clear", patient.pk)
        response = client.post(target, exam_post(toxin, history_reviewed="", icd10_codes="L57.4, 12X, toxin"))
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert "history_reviewed" in errors
        assert "12X, TOXIN" in errors["icd10_codes"][0]
        response = client.post(target, exam_post(data_url=""))
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert "services" in errors and "Draw your signature" in errors["data_url"][0]
        assert not GfeExam.objects.exists()


def test_without_a_drawing_the_signature_on_file_signs(client_as, cast, patient, toxin):
    with medspa_scope(cast.medspa_a):
        profile = member(cast, "provider_a1").provider_profile
        profile.signature.save("signature.png", ContentFile(png_bytes()))
        response = client_as("provider_a1").post(
            url("gfe_provider:self_clear", patient.pk), exam_post(toxin, data_url="")
        )
        assert response.status_code == 302
        assert GfeExam.objects.get().signature.read() == images.signature_normalise(png_bytes())


# --- Manual requests ----------------------------------------------------------------------------------------


def test_a_request_stays_with_the_medspa_when_it_clears_its_own(client_as, cast, patient, toxin):
    with medspa_scope(cast.medspa_a):
        route(cast, Routing.SELF)
        client = client_as("provider_a2")  # an RN may request, not clear
        page = client.get(url("gfe_provider:request_new", patient.pk)).content.decode()
        assert "Toxin" in page and "Urgent" not in page
        response = client.post(
            url("gfe_provider:request_new", patient.pk), {"services": [toxin.pk], "urgent": "on"}
        )
        assert response.status_code == 302
        request = GfeRequest.objects.get()
        assert (request.route, request.status, request.urgent, request.urgent_fee) == (
            Routing.SELF,
            RequestStatus.SENT,
            False,
            Decimal("0"),
        )
        assert request.requested_by == cast.provider_a2
        patient.refresh_from_db()
        assert patient.status == PatientStatus.TO_CLEAR


def test_a_request_goes_to_the_medspas_own_clearer_and_urgent_is_ignored(client_as, cast, patient, toxin):
    with medspa_scope(cast.medspa_a):
        route(
            cast,
            Routing.OWN_CLEARER,
            clearer_name="Dr Own",
            clearer_credential="MD",
            clearer_email="own@x.example",
        )
        response = client_as("provider_a1").post(
            url("gfe_provider:request_new", patient.pk), {"services": [toxin.pk], "urgent": "on"}
        )
        assert response.status_code == 302
        request = GfeRequest.objects.get()
        assert request.route == Routing.OWN_CLEARER and not request.urgent and request.urgent_fee == 0


def test_an_urgent_request_to_portrait_carries_its_fee(client_as, cast, patient, toxin, filler):
    with medspa_scope(cast.medspa_a):
        client = client_as("provider_a1")
        page = client.get(url("gfe_provider:request_new", patient.pk)).content.decode()
        assert money_format(gfe_routing.urgent_fee()) in page  # Portrait is the default routing
        assert not GfeSettings.objects.exists()  # reading the routing creates no settings
        response = client.post(
            url("gfe_provider:request_new", patient.pk), {"services": [toxin.pk, filler.pk], "urgent": "on"}
        )
        assert response.status_code == 302
        request = GfeRequest.objects.get()
        assert request.route == Routing.PORTRAIT and request.urgent
        assert request.urgent_fee == gfe_routing.urgent_fee() > 0
        assert set(request.services.all()) == {toxin, filler}


def test_a_service_already_cleared_or_requested_is_not_requested_again(
    client_as, cast, patient, toxin, filler
):
    with medspa_scope(cast.medspa_a):
        decisions.gfe_self_clear(
            membership=member(cast, "admin_a"),
            patient=patient,
            decisions={toxin.pk: decisions.Decision("cleared")},
            exam={"history_reviewed": True, "medications_reviewed": True, "allergies_reviewed": True},
        )
        client = client_as("provider_a1")
        assert "cleared until" in client.get(url("gfe_provider:request_new", patient.pk)).content.decode()
        response = client.post(
            url("gfe_provider:request_new", patient.pk), {"services": [toxin.pk]}, follow=True
        )
        assert "already cleared or requested" in response.content.decode()
        assert GfeRequest.objects.count() == 1  # only the self-clearance's own
        client.post(url("gfe_provider:request_new", patient.pk), {"services": [filler.pk]})
        client.post(url("gfe_provider:request_new", patient.pk), {"services": [filler.pk]})
        assert GfeRequest.objects.count() == 2


def test_a_request_needs_a_service_that_needs_clearance(client_as, cast, patient, toxin):
    with medspa_scope(cast.medspa_a):
        no_gfe = active_service(cast.medspa_a, "Skincare consult")
        no_gfe.library_service.requires_gfe = False
        no_gfe.library_service.save()
        client = client_as("provider_a1")
        assert (
            "Skincare consult" not in client.get(url("gfe_provider:request_new", patient.pk)).content.decode()
        )
        for data in ({}, {"services": [no_gfe.pk]}):
            response = client.post(url("gfe_provider:request_new", patient.pk), data)
            assert response.status_code == 400 and "services" in response.context["form"].errors
        assert not GfeRequest.objects.exists()


# --- The GFE Management tab ---------------------------------------------------------------------------------


def step_done(cast) -> bool:
    checklist = onboarding.checklist(cast.medspa_a, member(cast, "admin_a"))
    return next(step for step in checklist["steps"] if step["key"] == "gfe_routing")["done"]


def settings_post(**extra):
    data = {"routing": "portrait", "validity_months": "12", "auto_request_on_booking": "on"}
    data.update(extra)
    return data


def test_saving_the_tab_chooses_the_routing_and_completes_the_onboarding_step(client_as, cast):
    with medspa_scope(cast.medspa_a):
        client = client_as("admin_a")
        page = client.get(url("gfe:home"))
        assert page.status_code == 200
        assert (
            "Clear our own patients" in page.content.decode()
            and "Portrait clearing services" in page.content.decode()
        )
        assert not GfeSettings.objects.exists() and not step_done(cast)
        response = client.post(
            url("gfe:home"), settings_post(routing="self", validity_months="9", auto_request_on_booking="")
        )
        assert response.status_code == 302
        saved = GfeSettings.objects.get(medspa=cast.medspa_a)
        assert (saved.routing, saved.validity_months, saved.auto_request_on_booking) == ("self", 9, False)
        assert step_done(cast)
        response = client.post(
            url("gfe:home"),
            settings_post(
                routing="own_clearer",
                clearer_name="Dr Own",
                clearer_credential="MD",
                clearer_email="own@x.example",
            ),
        )
        assert response.status_code == 302
        saved.refresh_from_db()
        assert (saved.routing, saved.clearer_email) == ("own_clearer", "own@x.example")


def test_clearing_our_own_is_unavailable_without_a_provider_who_may_clear(client_as, cast):
    with medspa_scope(cast.medspa_b):
        yesterday = factories.medspa_today(cast.medspa_b) - timedelta(days=1)
        member(cast, "provider_b").provider_profile.licences.update(expires_on=yesterday)
        client = client_as("admin_b")
        page = client.get(url("gfe:home")).content.decode()
        assert 'id="id_routing_self" value="self" disabled' in page
        assert "Unavailable: no provider may clear yet" in page
        response = client.post(url("gfe:home"), settings_post(routing="self"))
        assert response.status_code == 400
        assert "current licence" in response.context["form"].errors["routing"][0]
        assert not GfeSettings.objects.exists()


def test_the_settings_are_validated(client_as, cast):
    with medspa_scope(cast.medspa_a):
        client = client_as("admin_a")
        response = client.post(url("gfe:home"), settings_post(routing="own_clearer", clearer_name="Dr Own"))
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert "clearer_email" in errors and "clearer_credential" in errors
        response = client.post(url("gfe:home"), settings_post(validity_months="13"))
        assert response.status_code == 400 and "validity_months" in response.context["form"].errors
        response = client.post(url("gfe:home"), settings_post(routing="elsewhere"))
        assert response.status_code == 400 and "routing" in response.context["form"].errors
        assert not GfeSettings.objects.exists()


def test_the_tab_lists_the_medspas_recent_requests_with_pages(client_as, cast, patient, toxin):
    with medspa_scope(cast.medspa_a):
        requests.gfe_request_create(patient=patient, services=[toxin], requested_by=cast.admin_a, urgent=True)
        other = factories.PatientFactory(medspa=cast.medspa_b, last_name="Elsewhere")
        GfeRequest.objects.create(medspa=cast.medspa_b, patient=other, route=Routing.PORTRAIT)
        for _ in range(20):
            GfeRequest.objects.create(medspa=cast.medspa_a, patient=patient, route=Routing.PORTRAIT)
        client = client_as("admin_a")
        first = client.get(url("gfe:home")).content.decode()
        assert "Page 1 of 2" in first and "Elsewhere" not in first
        last = client.get(url("gfe:home") + "?page=2").content.decode()
        assert "Toxin" in last and "Urgent" in last and patient.last_name in last


# --- Isolation ----------------------------------------------------------------------------------------------


@pytest.fixture
def signed_exam(cast, patient, toxin):
    with medspa_scope(cast.medspa_a):
        return decisions.gfe_self_clear(
            membership=member(cast, "admin_a"),
            patient=patient,
            decisions={toxin.pk: decisions.Decision("cleared")},
            exam={"history_reviewed": True, "medications_reviewed": True, "allergies_reviewed": True},
            signature_png=png_bytes(),
        )


def test_another_medspas_patient_or_exam_is_not_found(client_as, cast, patient, signed_exam):
    with medspa_scope(cast.medspa_a):
        provider_b = client_as("provider_b")
        for name in ("request_new", "self_clear", "patient_gfes"):
            assert provider_b.get(url(f"gfe_provider:{name}", patient.pk)).status_code == 404, name
        assert provider_b.post(url("gfe_provider:request_new", patient.pk), {}).status_code == 404
        for name in ("exam_detail", "exam_pdf"):
            assert provider_b.get(url(f"gfe_provider:{name}", signed_exam.pk)).status_code == 404, name
        admin_b = client_as("admin_b")
        for name in ("exam_detail", "exam_pdf"):
            assert admin_b.get(url(f"gfe:{name}", signed_exam.pk)).status_code == 404, name
        assert admin_b.get(url("gfe:patient_gfes", patient.pk)).status_code == 404


def test_another_providers_patient_is_not_found(client_as, cast, toxin, signed_exam):
    with medspa_scope(cast.medspa_a):
        stranger = factories.PatientFactory(medspa=cast.medspa_a)
        stranger.assigned_providers.add(member(cast, "admin_a"))
        exam = decisions.gfe_self_clear(
            membership=member(cast, "admin_a"),
            patient=stranger,
            decisions={toxin.pk: decisions.Decision("cleared")},
            exam={},
        )
        client = client_as("provider_a1")
        for name in ("request_new", "self_clear", "patient_gfes"):
            assert client.get(url(f"gfe_provider:{name}", stranger.pk)).status_code == 404, name
        assert client.post(url("gfe_provider:self_clear", stranger.pk), exam_post(toxin)).status_code == 404
        for name in ("exam_detail", "exam_pdf"):
            assert client.get(url(f"gfe_provider:{name}", exam.pk)).status_code == 404, name
            assert client.get(url(f"gfe_provider:{name}", signed_exam.pk)).status_code == 200, name
        assert GfeExam.objects.count() == 2


# --- Viewing and printing -----------------------------------------------------------------------------------


def test_the_exam_prints_as_a_pdf_and_the_view_is_logged(client_as, cast, patient, signed_exam):
    with medspa_scope(cast.medspa_a):
        response = client_as("provider_a1").get(url("gfe_provider:exam_pdf", signed_exam.pk))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == f"inline; filename=gfe-{signed_exam.pk}.pdf"
        assert response.content.startswith(b"%PDF")
        assert b"/Subtype /Image" in response.content  # the signature
        log = PatientAccessLog.objects.get(patient=patient, viewed=f"GFE exam {signed_exam.pk} (PDF)")
        assert log.actor == cast.provider_a1


def test_the_admin_sees_statuses_and_every_exam_but_does_not_clear(client_as, cast, patient, signed_exam):
    with medspa_scope(cast.medspa_a):
        client = client_as("admin_a")
        page = client.get(url("dashboard_patient_detail", patient.pk)).content.decode()
        assert "Cleared" in page and url("gfe:exam_detail", signed_exam.pk) in page
        assert "Self-clear" not in page and "Request a GFE" not in page
        assert client.get(url("gfe:exam_detail", signed_exam.pk)).status_code == 200
        listing = client.get(url("gfe:patient_gfes", patient.pk)).content.decode()
        assert url("gfe:exam_pdf", signed_exam.pk) in listing
        pdf = client.get(url("gfe:exam_pdf", signed_exam.pk))
        assert pdf.content.startswith(b"%PDF")
        assert PatientAccessLog.objects.filter(patient=patient, actor=cast.admin_a).count() == 4


def test_gfe_pages_link_back_through_the_dashboards_patient_page_not_another_apps_routes():
    """GFE pages serve both dashboards: the way back to the patient comes from medspa.dashboards, so the GFE
    app names no route of the Provider dashboard (the layers hold in URLs and templates too)."""
    root = Path(gfe.__file__).parent
    named = [
        str(path.relative_to(root))
        for path in [*root.rglob("*.py"), *root.rglob("*.html")]
        if "tests" not in path.parts and "providers:" in path.read_text()
    ]
    assert named == []

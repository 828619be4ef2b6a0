"""Self-clearance through a real Chromium: a licensed NP opens their own patient from the Provider dashboard,
self-clears one of two services needing a GFE ("Approve services and diagnoses") with a signature drawn
on the canvas, and the signed exam, its PDF and the patient's clearance panel show it; an RN opening the
same page sees why they may not clear, and no button to approve.

The browser is signed in by handing it the session of a Django test client that did force_login (as in
test_browser_dashboards.py)."""

import calendar
import re
from datetime import date

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import Page, expect

from gfe.models import Clearance, ClearanceStatus, GfeExam, GfeRequest
from medspa.tenancy import medspa_scope
from services_catalog.services import catalog
from tests import factories
from tests.browser import draw_signature, screenshot, sign_in, url_is
from tests.factories import unscoped

pytestmark = pytest.mark.browser

NEUROTOXIN = "Neurotoxin: glabellar lines"
FILLER = "Dermal filler: lips"
APPROVE = "Approve services and diagnoses"
REVIEWED = ("Medical history reviewed", "Medications reviewed", "Allergies reviewed")
DIAGNOSES = "Dynamic glabellar rhytides, moderate; no contraindication found."
ICD10 = "L90.8"


def provider_nav(page: Page):
    return page.get_by_role("navigation", name="Provider dashboard")


def clearance_panel(page: Page):
    return page.locator("section#gfe")


def active_service(medspa, name: str):
    library_service = factories.library_service(name=name)
    with medspa_scope(medspa):  # as the admin's Services page imports and activates it
        service = catalog.service_import(medspa=medspa, library_service=library_service)
        return catalog.service_set_active(service=service, active=True)


@unscoped
def assigned_patient(medspa, provider, **names):
    patient = factories.PatientFactory(medspa=medspa, **names)
    patient.assigned_providers.add(provider.memberships.get())
    return patient


def one_year_after(day: date) -> date:
    """The same day a year later (Feb 29 → Feb 28), worked out here rather than with the product's code."""
    year = day.year + 1
    return date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))


def canvas_has_ink(canvas) -> bool:
    """Whether any pixel of the pad is painted (not fully transparent)."""
    return canvas.evaluate(
        """(c) => c.getContext("2d").getImageData(0, 0, c.width, c.height)
                   .data.some((value, index) => index % 4 === 3 && value > 0)"""
    )


# --- A licensed NP self-clears one of two services --------------------------------------------------------


def test_a_licensed_np_self_clears_one_service_with_a_drawn_signature(live_server, page: Page, live_cast):
    medspa, provider = live_cast.medspa_a, live_cast.provider_a1
    with medspa_scope(medspa):
        membership = provider.memberships.get()
        profile = membership.provider_profile
        licence = profile.licences.get()
    assert (profile.credential, profile.can_clear_gfe, bool(profile.signature)) == ("NP", True, False)
    patient = assigned_patient(medspa, provider, first_name="Maren", last_name="Osei")
    neurotoxin = active_service(medspa, NEUROTOXIN)
    filler = active_service(medspa, FILLER)
    sign_in(page, live_server, provider)

    # Provider dashboard → Patients → the patient's profile.
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(url_is(live_server, "/provider/patients/"))
    provider_nav(page).get_by_role("link", name="Patients", exact=True).click()
    expect(page).to_have_url(url_is(live_server, "/provider/patients/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My patients")
    page.get_by_role("link", name="Osei, Maren", exact=True).click()

    profile_path = f"/provider/patients/{patient.pk}/"
    expect(page).to_have_url(url_is(live_server, profile_path))
    expect(page.get_by_role("heading", level=1)).to_have_text("Maren Osei")
    panel = clearance_panel(page)
    expect(panel.get_by_role("heading", level=2)).to_have_text("GFE clearance")
    # Nothing cleared yet: the panel has no clearance row at all, for either service.
    expect(panel).to_contain_text("No GFE has been requested for Maren Osei yet.")
    expect(panel.get_by_role("row")).to_have_count(0)
    expect(panel.get_by_text("Cleared", exact=True)).to_have_count(0)
    screenshot(page, "gfe_patient_profile_before_self_clear")
    panel.get_by_role("link", name="Self-clear", exact=True).click()

    # The exam form.
    expect(page).to_have_url(url_is(live_server, f"/provider/gfe/patients/{patient.pk}/self-clear/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Good Faith Exam: Maren Osei")
    signer = page.locator("section.card").filter(has=page.get_by_role("heading", name="Signed by"))
    expect(signer).to_contain_text(f"{provider.get_full_name()}, NP")
    form = page.locator("main form").filter(has=page.get_by_role("button", name=APPROVE, exact=True))
    treatments = form.locator("fieldset").filter(has=page.get_by_text("Indicated treatments", exact=True))
    expect(treatments.get_by_role("checkbox")).to_have_count(2)
    toxin_box = treatments.get_by_role("checkbox", name=NEUROTOXIN, exact=True)
    filler_box = treatments.get_by_role("checkbox", name=FILLER, exact=True)  # exact: no status beside it
    expect(toxin_box).not_to_be_checked()
    expect(filler_box).not_to_be_checked()
    expect(page.get_by_role("alert")).to_have_count(0)  # no refusal
    expect(form).to_contain_text("You have no signature on file: draw it here")

    for label in REVIEWED:
        box = form.get_by_role("checkbox", name=label, exact=True)
        expect(box).not_to_be_checked()
        box.check()
    toxin_box.check()
    form.get_by_label("Diagnoses", exact=True).fill(DIAGNOSES)
    form.get_by_label("ICD-10 codes", exact=True).fill(ICD10)
    canvas = form.get_by_label("Signature drawing area")
    assert not canvas_has_ink(canvas)
    draw_signature(page, canvas)
    assert canvas_has_ink(canvas)
    expect(filler_box).not_to_be_checked()
    screenshot(page, "gfe_self_clear_form_filled")

    today = timezone.now().astimezone(medspa.tz).date()  # the medspa's own date
    form.get_by_role("button", name=APPROVE, exact=True).click()

    # The signed exam.
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/provider/gfe/exams/\d+/$"))
    with medspa_scope(medspa):
        exam = GfeExam.objects.get(patient=patient)
    valid_until = one_year_after(today)
    expect(page).to_have_url(url_is(live_server, f"/provider/gfe/exams/{exam.pk}/"))
    expect(page.get_by_role("status")).to_contain_text("The exam is signed and the services are cleared.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Good Faith Exam")
    expect_exam_page(page, provider, licence, valid_until)
    screenshot(page, "gfe_signed_exam")

    # Back on the profile: the neurotoxin cleared a year ahead, the filler still not.
    page.get_by_role("link", name="← Maren Osei").click()
    expect(page).to_have_url(url_is(live_server, profile_path))
    panel = clearance_panel(page)
    toxin_row = panel.get_by_role("row").filter(has=page.get_by_role("cell", name=NEUROTOXIN, exact=True))
    expect(toxin_row).to_have_count(1)
    expect(toxin_row.get_by_text("Cleared", exact=True)).to_be_visible()
    expect(toxin_row.get_by_role("cell", name=date_format(valid_until, "M j, Y"), exact=True)).to_be_visible()
    expect(panel.get_by_role("row").filter(has_text=FILLER)).to_have_count(0)
    expect(panel.get_by_text("Cleared", exact=True)).to_have_count(1)
    expect(panel).not_to_contain_text("No GFE has been requested")
    screenshot(page, "gfe_patient_profile_after_self_clear")

    # The self-clear form now says where each service stands.
    panel.get_by_role("link", name="Self-clear", exact=True).click()
    expect(page).to_have_url(url_is(live_server, f"/provider/gfe/patients/{patient.pk}/self-clear/"))
    expect(
        page.get_by_role(
            "checkbox", name=f"{NEUROTOXIN} (cleared until {date_format(valid_until, 'M j, Y')})", exact=True
        )
    ).to_be_visible()
    expect(page.get_by_role("checkbox", name=FILLER, exact=True)).to_be_visible()
    page.go_back()
    expect(page).to_have_url(url_is(live_server, profile_path))

    # The exam from the panel, and its PDF.
    clearance_panel(page).get_by_role("link", name="View exam").click()
    expect(page).to_have_url(url_is(live_server, f"/provider/gfe/exams/{exam.pk}/"))
    expect_exam_page(page, provider, licence, valid_until)
    pdf_link = page.get_by_role("link", name="PDF to print")
    expect(pdf_link).to_have_attribute("href", f"/provider/gfe/exams/{exam.pk}/pdf/")
    pdf = page.request.get(f"{live_server.url}{pdf_link.get_attribute('href')}")
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    # The records.
    with medspa_scope(medspa):
        exam = GfeExam.objects.get(patient=patient)
    assert exam.clearer_id == membership.pk
    assert (exam.clearer_name, exam.clearer_credential) == (provider.get_full_name(), "NP")
    assert exam.clearer_licence == f"{licence.state} {licence.number}"
    assert (exam.history_reviewed, exam.medications_reviewed, exam.allergies_reviewed) == (True, True, True)
    assert (exam.diagnoses, exam.icd10_codes) == (DIAGNOSES, ICD10)
    assert exam.signature.name
    with exam.signature.open("rb") as signed:
        assert signed.read().startswith(b"\x89PNG")
    with medspa_scope(medspa):
        request = GfeRequest.objects.get(patient=patient)
    assert request.exam == exam
    with medspa_scope(medspa):
        assert list(request.services.all()) == [neurotoxin]
        toxin_clearances = Clearance.objects.filter(patient=patient, service=neurotoxin)
    assert [(c.status, c.valid_until, c.exam_id) for c in toxin_clearances] == [
        (ClearanceStatus.CLEARED, valid_until, exam.pk)
    ]
    with medspa_scope(medspa):
        assert not Clearance.objects.filter(patient=patient, service=filler).exists()
        assert not Clearance.objects.filter(service=filler, status=ClearanceStatus.CLEARED).exists()


def expect_exam_page(page: Page, provider, licence, valid_until: date) -> None:
    clearer = page.locator("section.card").filter(has=page.get_by_role("heading", level=2, name="Clearer"))
    expect(clearer).to_contain_text(f"{provider.get_full_name()}, NP")
    expect(clearer).to_contain_text(f"{licence.state} {licence.number}")
    expect(clearer).to_contain_text("Clear our own patients")
    services = page.locator("section.card").filter(has=page.get_by_role("heading", level=2, name="Services"))
    expect(services.get_by_role("row")).to_have_count(2)  # the header and the neurotoxin only
    toxin_row = services.get_by_role("row").filter(has_text=NEUROTOXIN)
    expect(toxin_row.get_by_role("cell")).to_have_text(
        [NEUROTOXIN, "Cleared", date_format(valid_until, "F j, Y"), "—"]
    )
    expect(services).not_to_contain_text(FILLER)
    findings = page.locator("section.card").filter(has=page.get_by_role("heading", level=2, name="Findings"))
    expect(findings).to_contain_text(DIAGNOSES)
    expect(findings).to_contain_text(ICD10)
    signature = page.get_by_role("img", name=f"Signature of {provider.get_full_name()}")
    expect(signature).to_be_visible()
    expect(signature).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    assert signature.evaluate("(img) => img.complete && img.naturalWidth > 0")
    expect(page.locator("main")).to_contain_text(
        f"by {provider.get_full_name()}, NP, licence {licence.state} {licence.number}."
    )


# --- An RN may not clear -----------------------------------------------------------------------------------


def test_an_rn_opening_self_clear_sees_why_and_cannot_approve(live_server, page: Page, live_cast):
    medspa, nurse = live_cast.medspa_a, live_cast.provider_a2
    with medspa_scope(medspa):
        assert nurse.memberships.get().provider_profile.credential == "RN"
    patient = assigned_patient(medspa, nurse, first_name="Ines", last_name="Calder")
    active_service(medspa, NEUROTOXIN)
    sign_in(page, live_server, nurse)

    page.goto(f"{live_server.url}/provider/patients/{patient.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ines Calder")
    clearance_panel(page).get_by_role("link", name="Self-clear", exact=True).click()

    expect(page).to_have_url(url_is(live_server, f"/provider/gfe/patients/{patient.pk}/self-clear/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Good Faith Exam: Ines Calder")
    expect(page.get_by_role("heading", level=2, name="You cannot clear this patient")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text(
        "Only an MD, DO, NP or PA may clear; an RN may gather the information but not clear."
    )
    expect(page.get_by_role("button", name=APPROVE)).to_have_count(0)
    expect(page.get_by_label("Signature drawing area")).to_have_count(0)
    expect(page.get_by_role("checkbox")).to_have_count(0)
    request_link = page.get_by_role("link", name="request a GFE")
    expect(request_link).to_have_attribute("href", f"/provider/gfe/patients/{patient.pk}/request/")
    screenshot(page, "gfe_rn_cannot_self_clear")

    with medspa_scope(medspa):
        assert not GfeExam.objects.filter(patient=patient).exists()
        assert not Clearance.objects.filter(patient=patient).exists()

"""Clinical signatures are personal: a masquerading admin charts and manages the provider's patients, but
never signs under the provider's name or licence. GFE exams, standing-order sign-offs, consent witnessing
and addenda are refused while masquerading; a chart signed while masquerading is the admin's signature on
the provider's behalf, printed so, and waits in the provider's To-Do for their co-signature, which locks
it. An admin may masquerade as a co-owner who is admin and provider; never as staff or another medspa's."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from gfe.models import GfeExam
from gfe.services import decisions as gfe_decisions
from gfe.services import errors as gfe_errors
from gfe.services import requests as gfe_requests
from medspa.selectors.masquerade import SignatureNotPersonal, can_masquerade, masquerade_acting
from medspa.tenancy import medspa_scope
from medspa.tests.test_masquerade import start
from providers.models import VisitProduct
from providers.selectors import charts, todo
from providers.services import charting
from providers.services.charting import ChartingRefused
from services_catalog.models import ConsentSignature, StandingOrder
from services_catalog.selectors import catalog as catalog_selectors
from services_catalog.services import catalog, errors, texts
from tests import factories
from tests.pdfs import pdf_text

pytestmark = pytest.mark.usefixtures("media_and_sms")


@pytest.fixture
def co_owner(cast):
    """A second admin of medspa A who is also a provider (a co-owner who treats patients)."""
    membership = factories.MembershipFactory(medspa=cast.medspa_a, is_admin=True, is_provider=True)
    profile = factories.ProviderProfileFactory(membership=membership, credential="MD", can_clear_gfe=True)
    factories.ProviderLicenceFactory(profile=profile)
    return membership


def masquerading(client_as, cast, target):
    client = client_as("admin_a")
    assert start(client, target).status_code == 302
    return client


# --- Who may be masqueraded as ------------------------------------------------------------------------------


def test_an_admin_masquerades_as_a_co_owner_who_is_admin_and_provider(client_as, cast, co_owner):
    client = client_as("admin_a")
    providers_tab = client.get(reverse("dashboard_providers")).content.decode()
    assert reverse("masquerade_start", args=[co_owner.user_id]) in providers_tab
    assert start(client, co_owner.user).status_code == 302
    assert client.get("/provider/patients/").context["user"] == co_owner.user


def test_an_admin_still_never_masquerades_as_staff_another_medspas_member_a_mere_admin_or_themself(
    cast, co_owner
):
    admin_only = factories.MembershipFactory(medspa=cast.medspa_a, is_admin=True, is_provider=False).user
    b_co_owner = factories.MembershipFactory(medspa=cast.medspa_b, is_admin=True, is_provider=True).user
    assert can_masquerade(hijacker=cast.admin_a, hijacked=co_owner.user)
    for target in (cast.staff, cast.provider_b, cast.admin_b, b_co_owner, admin_only, cast.admin_a):
        assert not can_masquerade(hijacker=cast.admin_a, hijacked=target)
    assert not can_masquerade(hijacker=cast.provider_a1, hijacked=co_owner.user)


# --- GFE exams ----------------------------------------------------------------------------------------------


def test_the_gfe_services_refuse_an_exam_signed_while_masquerading(cast, world, provider):
    with medspa_scope(cast.medspa_a):
        filler = catalog.service_import(
            medspa=cast.medspa_a, library_service=factories.library_service(name="Filler")
        )
        filler = catalog.service_set_active(service=filler, active=True)
        decisions = {filler.pk: gfe_decisions.Decision("cleared")}
        with masquerade_acting(cast.admin_a.pk), pytest.raises(SignatureNotPersonal, match="own licence"):
            gfe_decisions.gfe_self_clear(
                membership=provider, patient=world.patient, exam=factories.GFE_EXAM, decisions=decisions
            )
        request = gfe_requests.gfe_request_create(
            patient=world.patient, services=[filler], requested_by=cast.provider_a1
        )
        assert request is not None
        with (
            masquerade_acting(cast.admin_a.pk),
            pytest.raises(gfe_errors.GfeRuleBroken, match="masquerading"),
        ):
            gfe_decisions.gfe_decide(
                request=request, decisions=decisions, exam=factories.GFE_EXAM, clearer=provider
            )
        assert GfeExam.objects.filter(patient=world.patient).count() == 1  # the world's own, by the provider


def test_the_self_clearance_page_says_why_while_masquerading_and_refuses_the_post(cast, client_as, world):
    client = masquerading(client_as, cast, cast.provider_a1)
    target = reverse("gfe_provider:self_clear", args=[world.patient.pk])
    page = client.get(target)
    assert page.status_code == 200
    assert "You are masquerading" in page.content.decode() and "own licence" in page.content.decode()
    assert 'name="data_url"' not in page.content.decode()
    with medspa_scope(cast.medspa_a):
        exams = GfeExam.objects.count()
    response = client.post(target, {"services": [world.service.pk], "history_reviewed": "on"})
    assert response.status_code == 403
    with medspa_scope(cast.medspa_a):
        assert GfeExam.objects.count() == exams


# --- Charts -------------------------------------------------------------------------------------------------


def test_a_chart_signed_while_masquerading_is_the_admins_on_behalf_and_waits_for_the_co_signature(
    cast, client_as, visit, provider
):
    client = masquerading(client_as, cast, cast.provider_a1)
    factories.consent_sign(visit, cast.provider_a1)  # the patient signed before, with the provider there
    chart = reverse("providers:visit_detail", args=[visit.pk])
    assert "Sign on behalf of" in client.get(chart).content.decode()
    client.post(reverse("providers:visit_sign", args=[visit.pk]))
    with medspa_scope(cast.medspa_a):
        visit.refresh_from_db()
        assert (visit.signed_on_behalf_by, visit.signed_on_behalf_of) == (cast.admin_a, provider)
    assert visit.chart_signed_at is None and visit.awaits_cosign and not visit.is_signed
    page = client.get(chart).content.decode()
    behalf = f"Signed by {cast.admin_a.get_full_name()} on behalf of {cast.provider_a1.get_full_name()}"
    assert behalf in page and "waits for their co-signature" in page
    assert behalf in pdf_text(client.get(reverse("providers:visit_pdf", args=[visit.pk])).content)
    # Unlocked until the provider co-signs: the admin still charts (notes), but cannot sign again.
    client.post(reverse("providers:visit_notes_save", args=[visit.pk]), {"notes": "Glabella 20 units."})
    visit.refresh_from_db()
    assert visit.notes == "Glabella 20 units."
    with (
        medspa_scope(cast.medspa_a),
        masquerade_acting(cast.admin_a.pk),
        pytest.raises(ChartingRefused, match="co-signature"),
    ):
        charting.chart_sign(visit=visit, by=cast.provider_a1)

    # It waits in the provider's To-Do, and their own signature is the co-signature that locks it.
    provider_client = client_as("provider_a1")
    sections = {s.key: s for s in provider_client.get(reverse("providers:todo")).context["todo"].sections}
    [item] = sections["cosign"].items
    assert item.url == todo.visit_url(visit) and cast.admin_a.get_full_name() in item.text
    assert sections["charts"].items == []
    assert "Co-sign the chart" in provider_client.get(chart).content.decode()
    provider_client.post(reverse("providers:visit_sign", args=[visit.pk]))
    visit.refresh_from_db()
    assert visit.is_signed and visit.is_cosigned and visit.chart_signed_by == cast.provider_a1
    with medspa_scope(cast.medspa_a):
        sections = {s.key: s for s in todo.todo_of(provider, cast.medspa_a).sections}
        assert sections["cosign"].items == [] and sections["charts"].items == []
    text = pdf_text(provider_client.get(reverse("providers:visit_pdf", args=[visit.pk])).content)
    assert behalf in text and f"Co-signed by {cast.provider_a1.get_full_name()} at" in text
    assert f"({cast.medspa_a.time_zone})" in text
    with medspa_scope(cast.medspa_a):
        with pytest.raises(ChartingRefused, match="signed and locked"):
            charting.visit_notes_save(visit=visit, notes="changed")
        with pytest.raises(IntegrityError), transaction.atomic():
            VisitProduct.objects.create(
                medspa=cast.medspa_a, visit=visit, name="Botox", units=1, lot_number="L1",
                expires_on=visit.started_at.date(),
            )  # fmt: skip


def test_a_chart_signed_by_the_provider_themself_prints_only_them(cast, client_as, visit):
    factories.consent_sign(visit, cast.provider_a1)
    with medspa_scope(cast.medspa_a):
        charting.chart_sign(visit=visit, by=cast.provider_a1)
    response = client_as("provider_a1").get(reverse("providers:visit_pdf", args=[visit.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert f"Signed by {cast.provider_a1.get_full_name()} on" in text and "on behalf of" not in text


def test_staff_masquerading_as_a_provider_never_signs_a_chart(cast, visit):
    factories.consent_sign(visit, cast.provider_a1)
    with medspa_scope(cast.medspa_a), masquerade_acting(cast.staff.pk), pytest.raises(SignatureNotPersonal):
        charting.chart_sign(visit=visit, by=cast.provider_a1)
    visit.refresh_from_db()
    assert visit.signed_on_behalf_at is None and visit.chart_signed_at is None


def test_staff_masquerading_as_a_provider_are_told_why_and_offered_no_sign_button(cast, client_as, visit):
    factories.consent_sign(visit, cast.provider_a1)
    staff = client_as("staff")
    assert start(staff, cast.provider_a1).status_code == 302
    page = staff.get(reverse("providers:visit_detail", args=[visit.pk])).content.decode()
    assert "Only the provider, or an admin of this medspa on their behalf, signs the chart." in page
    assert "Sign on behalf of" not in page
    # An admin of the medspa is offered the button.
    admin = masquerading(client_as, cast, cast.provider_a1)
    page = admin.get(reverse("providers:visit_detail", args=[visit.pk])).content.decode()
    assert "Sign on behalf of" in page


def test_an_addendum_is_never_added_while_masquerading(cast, visit):
    factories.consent_sign(visit, cast.provider_a1)
    with medspa_scope(cast.medspa_a):
        charting.chart_sign(visit=visit, by=cast.provider_a1)
        with masquerade_acting(cast.admin_a.pk), pytest.raises(SignatureNotPersonal):
            charting.chart_addendum_add(visit=visit, text="Bruising at 2 days.", by=cast.provider_a1)
        assert not visit.addenda.exists()


# --- Consent witnessing and standing orders ----------------------------------------------------------------


def test_a_consent_is_never_witnessed_while_masquerading(cast, client_as, visit):
    with masquerade_acting(cast.admin_a.pk), pytest.raises(SignatureNotPersonal, match="witness"):
        factories.consent_sign(visit, cast.provider_a1)
    with medspa_scope(cast.medspa_a):
        need = charts.consents_needed(visit)[0]
        with masquerade_acting(cast.admin_a.pk), pytest.raises(errors.ServiceRuleBroken, match="witness"):
            texts.consent_sign(
                patient=visit.patient,
                version=need.version,
                signature=None,
                witnessed_by=cast.provider_a1,
                ip=None,
            )
    client = masquerading(client_as, cast, cast.provider_a1)
    chart = client.get(reverse("providers:visit_detail", args=[visit.pk])).content.decode()
    assert "witness a patient" in chart and "Patient signs</button>" not in chart
    client.post(
        reverse("providers:visit_consent_sign", args=[visit.pk, need.version.pk]),
        {"data_url": "data:image/png;base64,iVBORw0KGgo="},
    )
    with medspa_scope(cast.medspa_a):
        assert not ConsentSignature.objects.filter(patient=visit.patient).exists()


def test_the_medical_directors_sign_off_is_never_given_while_masquerading(cast, client_as, co_owner):
    cast.medspa_a.medical_director = co_owner
    cast.medspa_a.save()
    with medspa_scope(cast.medspa_a):
        order = texts.text_create(
            model=StandingOrder, medspa=cast.medspa_a, title="Peel protocol", by=None,
            text="Protocol for chemical peels, version one.",
        )  # fmt: skip
        with (
            masquerade_acting(cast.admin_a.pk),
            pytest.raises(SignatureNotPersonal, match="medical director"),
        ):
            texts.standing_order_sign(
                medspa=cast.medspa_a, version=order.current_version, membership=co_owner
            )
    client = masquerading(client_as, cast, co_owner.user)
    page = client.get(f"/dashboard/services/texts/standing-orders/{order.pk}/").content.decode()
    assert "You are masquerading" in page and "disabled>Sign as medical director" in page
    client.post(f"/dashboard/services/standing-orders/{order.pk}/sign/")
    with medspa_scope(cast.medspa_a):
        assert not catalog_selectors.standing_order_is_signed(cast.medspa_a, order)
    api = client.post(f"/api/v1/standing-orders/{order.pk}/sign/")
    assert api.status_code in (400, 403, 409)
    with medspa_scope(cast.medspa_a):
        assert not catalog_selectors.standing_order_is_signed(cast.medspa_a, order)
        # The director themself signs.
        texts.standing_order_sign(medspa=cast.medspa_a, version=order.current_version, membership=co_owner)
        assert catalog_selectors.standing_order_is_signed(cast.medspa_a, order)


# --- The signature and licences on file -------------------------------------------------------------------


def test_the_signature_on_file_credential_and_licences_are_never_changed_while_masquerading(cast, client_as):
    import base64

    from medspa.tests.test_onboarding import PNG

    with medspa_scope(cast.medspa_a):
        profile = cast.provider_a1.memberships.get().provider_profile
        [licence] = profile.licences.all()
    client = masquerading(client_as, cast, cast.provider_a1)
    page = client.get("/profile/").content.decode()
    assert "put a signature on file for them" in page and "Save drawn signature" not in page
    assert "Add licence</button>" not in page
    client.post(
        "/profile/signature/", {"data_url": "data:image/png;base64," + base64.b64encode(PNG).decode()}
    )
    client.post("/profile/licences/", {"state": "NY", "number": "X1", "expires_on": "2099-01-01"})
    client.post(f"/profile/licences/{licence.pk}/remove/")
    response = client.post("/profile/", {"credential": "MD", "position": "Injector"})
    assert response.status_code == 400 and "You are masquerading" in response.content.decode()
    with medspa_scope(cast.medspa_a):
        profile.refresh_from_db()
        assert not profile.signature and profile.credential == "NP"
        assert list(profile.licences.all()) == [licence]
    # What is not a signature or a licence is still managed for them.
    assert client.post("/profile/", {"credential": "NP", "position": "Injector"}).status_code == 302
    profile.refresh_from_db()
    assert profile.position == "Injector"

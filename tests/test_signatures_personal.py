"""Clinical signatures are personal: a masquerading admin charts and manages the provider's patients, but
never signs under the provider's name or licence. GFE exams, standing-order sign-offs, consent witnessing
and addenda are refused while masquerading; a chart signed while masquerading is the admin's signature on
the provider's behalf, printed so, and waits in the provider's To-Do for their co-signature, which locks
it. An admin may masquerade as a co-owner who is admin and provider; never as staff or another medspa's."""

import re
import zlib

import pytest
from django.urls import reverse

from gfe import services as gfe_services
from gfe.models import GfeExam
from medspa.masquerade import SignatureNotPersonal, can_masquerade, masquerade_acting
from services_catalog import services as catalog
from tests import factories
from tests.test_masquerade import start

pytestmark = pytest.mark.usefixtures("media_and_sms")


def pdf_text(content: bytes) -> str:
    """The text drawn in a PDF made by fpdf2: its page streams, inflated."""
    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            chunks.append(zlib.decompress(stream))
        except zlib.error:
            chunks.append(stream)
    text = b"\n".join(chunks).decode("latin-1")
    return re.sub(r"\\([()\\])", r"\1", text)  # a PDF string escapes its parentheses


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
    filler = catalog.service_import(
        medspa=cast.medspa_a, library_service=factories.library_service(name="Filler")
    )
    filler = catalog.service_set_active(service=filler, active=True)
    decisions = {filler.pk: gfe_services.Decision("cleared")}
    with masquerade_acting(cast.admin_a.pk), pytest.raises(SignatureNotPersonal, match="own licence"):
        gfe_services.gfe_self_clear(
            membership=provider, patient=world.patient, exam=factories.GFE_EXAM, decisions=decisions
        )
    request = gfe_services.gfe_request_create(
        patient=world.patient, services=[filler], requested_by=cast.provider_a1
    )
    assert request is not None
    with masquerade_acting(cast.admin_a.pk), pytest.raises(gfe_services.GfeRuleBroken, match="masquerading"):
        gfe_services.gfe_decide(
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
    exams = GfeExam.objects.count()
    response = client.post(target, {"services": [world.service.pk], "history_reviewed": "on"})
    assert response.status_code == 403
    assert GfeExam.objects.count() == exams

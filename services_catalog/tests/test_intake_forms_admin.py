"""Portrait staff write the library's intake forms in the Django admin: the questions as JSON, checked by the
same schema as the builder's, each change a new version, the earlier ones shown read-only. The care message
admin sets a pre-care message's lead time under the same rule as the pages."""

import json

import pytest

from services_catalog.models import CareMessage, IntakeForm
from services_catalog.services import intake_forms, texts
from services_catalog.tests.factories import INTAKE_SECTIONS

pytestmark = pytest.mark.scopes_disabled(reason="Portrait staff work on the library, outside any medspa")

ADMIN = "/admin/services_catalog/"
INLINE = {"versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0"}


def test_staff_add_a_library_form_and_a_change_adds_a_version(client_as, cast):
    staff = client_as("staff")
    assert staff.get(f"{ADMIN}intakeform/add/").status_code == 200
    response = staff.post(
        f"{ADMIN}intakeform/add/",
        {"title": "Laser intake", "description": "", "sections": json.dumps(INTAKE_SECTIONS), **INLINE},
    )
    assert response.status_code == 302
    form = IntakeForm.library.get(title="Laser intake")
    assert form.current_version.created_by == cast.staff
    page = staff.get(f"{ADMIN}intakeform/{form.pk}/change/").content.decode()
    assert "Are you pregnant or breastfeeding?" in page  # the current questions, to edit
    changed = json.loads(json.dumps(INTAKE_SECTIONS))
    changed[0]["fields"][0]["label"] = "Are you pregnant, or breastfeeding?"
    staff.post(
        f"{ADMIN}intakeform/{form.pk}/change/",
        {"title": "Laser intake", "description": "", "sections": json.dumps(changed), **INLINE},
    )
    assert list(form.versions.order_by("number").values_list("number", flat=True)) == [1, 2]
    assert form.versions.get(number=1).fields()[0]["label"] == "Are you pregnant or breastfeeding?"


def test_the_admin_refuses_questions_that_break_the_schema(client_as):
    form = intake_forms.intake_form_create(
        medspa=None, title="Laser intake", description="", sections=INTAKE_SECTIONS, by=None
    )
    broken = [{"title": "A", "fields": [{"key": "Bad Key", "label": "Q?", "kind": "text"}]}]
    response = client_as("staff").post(
        f"{ADMIN}intakeform/{form.pk}/change/",
        {"title": "Laser intake", "description": "", "sections": json.dumps(broken), **INLINE},
    )
    assert response.status_code == 200 and "needs a key" in response.content.decode()
    assert form.versions.count() == 1


def test_the_care_message_admin_sets_a_lead_time_before_the_treatment_only(client_as):
    care = texts.text_create(
        model=CareMessage, medspa=None, title="Before", timing="pre", by=None,
        text="Avoid aspirin for three days before, if your doctor agrees.",
    )  # fmt: skip
    staff = client_as("staff")
    data = {"title": "Before", "text": care.current_version.text, **INLINE}
    response = staff.post(
        f"{ADMIN}caremessage/{care.pk}/change/", {**data, "timing": "post", "lead_hours": "24"}
    )
    assert response.status_code == 200 and "leave “Send hours before” empty" in response.content.decode()
    staff.post(f"{ADMIN}caremessage/{care.pk}/change/", {**data, "timing": "pre", "lead_hours": "72"})
    care.refresh_from_db()
    assert (care.timing, care.lead_hours) == ("pre", 72)

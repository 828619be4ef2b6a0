"""Intake forms: the schema every version follows, versions that never change, Portrait's library forms and
a medspa's copies, and the builder's pages in the Services / Products tab."""

import copy
import re

import pytest
from django.db import DatabaseError, transaction

from medspa.tenancy import medspa_scope
from services_catalog.models import FieldKind, IntakeForm, IntakeFormVersion
from services_catalog.services import intake_forms as services
from services_catalog.services.errors import IntakeFormInvalid, LibraryTextLocked
from services_catalog.services.library import library_load, library_read
from services_catalog.tests.factories import INTAKE_SECTIONS

URL = "/dashboard/services/intake-forms/"


def question(**changes) -> dict:
    base = {
        "key": "goals",
        "label": "What would you like to change?",
        "kind": "long_text",
        "required": True,
        "choices": [],
        "help": "",
        "record": "",
    }
    return {**base, **changes}


def one(**changes) -> list:
    return [{"title": "Goals", "fields": [question(**changes)]}]


def form_of(medspa, title="Health questions", sections=None, by=None) -> IntakeForm:
    return services.intake_form_create(
        medspa=medspa,
        title=title,
        description="Please answer before your visit.",
        sections=copy.deepcopy(sections or INTAKE_SECTIONS),
        by=by,
    )


REFUSALS = {
    "not a list": ({"title": "x"}, "at least one section"),
    "no section": ([], "at least one section"),
    "a section without questions": ([{"title": "Empty", "fields": []}], "Section 1 (Empty) has no question"),
    "too many sections": ([one()[0]] * 21, "at most 20 sections"),
    "a section that is not one": (["Goals"], "Section 1 is not a section"),
    "a capital in the key": (one(key="Goals"), "needs a key"),
    "a space in the key": (one(key="my goals"), "needs a key"),
    "a key over 40 characters": (one(key="k" * 41), "needs a key"),
    "no key": (one(key=""), "needs a key"),
    "an empty label": (one(label="  "), "wording is empty"),
    "a label over 300 characters": (one(label="x" * 301), "longer than 300 characters"),
    "a label that is not text": (one(label=12), "must be text"),
    "an unknown kind": (one(kind="slider"), "kind of answer"),
    "required that is not yes or no": (one(required="yes"), "“required” is yes or no"),
    "one choice only": (one(kind="choice", choices=["Yes"]), "between 2 and 30 choices"),
    "no choices on a choice": (one(kind="multi_choice", choices=[]), "between 2 and 30 choices"),
    "31 choices": (one(kind="choice", choices=[f"C{n}" for n in range(31)]), "between 2 and 30 choices"),
    "a choice over 120 characters": (one(kind="choice", choices=["A", "x" * 121]), "longer than 120"),
    "an empty choice": (one(kind="choice", choices=["A", " "]), "a choice is empty"),
    "the same choice twice": (one(kind="choice", choices=["Lips", "lips"]), "same choice twice"),
    "choices on a short answer": (one(kind="text", choices=["A", "B"]), "only a choice question"),
    "an unknown record": (one(record="diet"), "does not exist"),
    "a record on a yes/no": (one(kind="yes_no", record="allergies"), "only a written answer"),
    "a record on a choice": (one(kind="choice", choices=["A", "B"], record="medications"), "written answer"),
    "help over 500 characters": (one(help="h" * 501), "longer than 500"),
    "an unknown part": (one(colour="red"), "parts a question does not have: colour"),
    "a NUL": (one(label="abc\x00"), "cannot be stored"),
    "the same key twice": (
        [{"title": "A", "fields": [question(), question(label="Again?")]}],
        "key “goals” of an earlier question",
    ),
    "too many questions": (
        [{"title": "", "fields": [question(key=f"q{n}") for n in range(151)]}],
        "at most 150 questions",
    ),
}


@pytest.mark.parametrize("sections, message", REFUSALS.values(), ids=REFUSALS.keys())
def test_the_schema_refuses(sections, message):
    with pytest.raises(IntakeFormInvalid, match=re.escape(message)):
        services.sections_clean(sections)


def test_the_schema_names_the_question_at_fault():
    sections = [{"title": "A", "fields": [question(), question(key="second", label="Lips?", kind="colour")]}]
    with pytest.raises(IntakeFormInvalid) as refused:
        services.sections_clean(sections)
    assert refused.value.message.startswith("Question 2 (“Lips?”)")


def test_the_schema_tidies_and_fills_in_the_optional_parts():
    cleaned = services.sections_clean(
        [{"title": " Goals ", "fields": [{"key": "skin", "label": " Skin? ", "kind": "choice",
                                           "choices": [" Dry ", "Oily"]}]}]
    )  # fmt: skip
    assert cleaned == [
        {
            "title": "Goals",
            "fields": [
                {"key": "skin", "label": "Skin?", "kind": "choice", "required": False,
                 "choices": ["Dry", "Oily"], "help": "", "record": ""}
            ],
        }
    ]  # fmt: skip


def test_every_kind_is_accepted():
    fields = [
        question(key=kind, kind=kind, choices=["A", "B"] if kind in ("choice", "multi_choice") else [])
        for kind in FieldKind.values
    ]
    assert len(services.sections_clean([{"title": "", "fields": fields}])[0]["fields"]) == 7


class TestVersions:
    def test_a_form_starts_at_version_1_and_an_unchanged_save_adds_none(self, cast):
        form = form_of(cast.medspa_a, by=cast.admin_a)
        assert list(form.versions.values_list("number", flat=True)) == [1]
        version = services.intake_form_revise(
            form=form, title="Health questions", description="New words.", sections=INTAKE_SECTIONS, by=None
        )
        assert version.number == 1 and form.versions.count() == 1
        form.refresh_from_db()
        assert form.description == "New words."

    def test_changed_questions_are_a_new_version_and_the_old_one_stays(self, cast):
        form = form_of(cast.medspa_a)
        sections = copy.deepcopy(INTAKE_SECTIONS)
        sections[0]["fields"].append(question(key="botox", label="Ever had Botox?", kind="yes_no"))
        version = services.intake_form_revise(
            form=form, title=form.title, description="", sections=sections, by=cast.admin_a
        )
        assert (version.number, version.created_by) == (2, cast.admin_a)
        assert form.versions.get(number=1).sections == services.sections_clean(INTAKE_SECTIONS)
        assert len(form.current_version.fields()) == 3

    def test_the_database_refuses_to_change_or_delete_a_version(self, cast):
        form = form_of(cast.medspa_a)
        with pytest.raises(DatabaseError), transaction.atomic():
            IntakeFormVersion.objects.filter(form=form).update(sections=[])
        with pytest.raises(DatabaseError), transaction.atomic():
            IntakeFormVersion.objects.filter(form=form).delete()
        assert form.current_version.sections == services.sections_clean(INTAKE_SECTIONS)

    def test_a_title_is_used_once_by_a_medspa(self, cast):
        form_of(cast.medspa_a, title="Health")
        with pytest.raises(IntakeFormInvalid, match="already a form called"):
            form_of(cast.medspa_a, title="health")
        form_of(cast.medspa_b, title="Health")  # another medspa's titles are its own

    def test_portraits_forms_change_through_portrait_only(self, cast):
        library = form_of(None, title="Library form")
        changed = one()
        with pytest.raises(LibraryTextLocked):
            services.intake_form_revise(form=library, title="X", description="", sections=changed, by=None)
        version = services.intake_form_revise(
            form=library, title="Library form", description="", sections=changed, by=None, as_portrait=True
        )
        assert version.number == 2


class TestCopies:
    def test_a_copy_is_the_medspas_own_with_the_library_questions(self, cast):
        library = form_of(None, title="Medical history")
        first = services.intake_form_copy(form=library, medspa=cast.medspa_a, by=cast.admin_a)
        second = services.intake_form_copy(form=library, medspa=cast.medspa_a, by=cast.admin_a)
        third = services.intake_form_copy(form=library, medspa=cast.medspa_a, by=cast.admin_a)
        assert [f.title for f in (first, second, third)] == [
            "Medical history",
            "Medical history (copy)",
            "Medical history (copy 2)",
        ]
        assert (first.medspa, first.copied_from, first.description) == (
            cast.medspa_a,
            library,
            "Please answer before your visit.",
        )
        assert first.current_version.sections == library.current_version.sections
        assert first.current_version.created_by == cast.admin_a
        # Editing the copy leaves Portrait's form as it was.
        services.intake_form_revise(form=first, title=first.title, description="", sections=one(), by=None)
        assert library.versions.count() == 1

    def test_only_a_library_form_is_copied(self, cast):
        own = form_of(cast.medspa_a)
        with pytest.raises(IntakeFormInvalid, match="Only Portrait's forms are copied"):
            services.intake_form_copy(form=own, medspa=cast.medspa_a, by=None)


class TestLibrary:
    def test_the_library_files_forms_follow_the_schema_and_ask_every_kind(self):
        forms = library_read()["intake_forms"]
        assert [form["title"] for form in forms.values()] == ["Medical history", "Aesthetic intake"]
        fields = [
            field
            for form in forms.values()
            for field in services.sections_clean(form["sections"])[0]["fields"]
        ] + [
            field
            for form in forms.values()
            for section in services.sections_clean(form["sections"])
            for field in section["fields"]
        ]
        assert {field["kind"] for field in fields} == set(FieldKind.values)
        records = {field["record"]: field["key"] for field in fields if field["record"]}
        assert records == {
            "allergies": "allergies",
            "medications": "medications",
            "medical_history": "medical_history",
        }

    def test_library_load_loads_the_forms_once_and_the_pre_care_lead_times(self, db):
        library_load()
        library_load()
        assert list(IntakeForm.library.order_by("title").values_list("title", flat=True)) == [
            "Aesthetic intake",
            "Medical history",
        ]
        assert IntakeFormVersion.objects.count() == 2
        from services_catalog.models import CareMessage

        blood_thinners = CareMessage.library.get(title="Before your neurotoxin treatment")
        assert (blood_thinners.timing, blood_thinners.lead_hours) == ("pre", 120)
        assert not CareMessage.library.filter(timing="post", lead_hours__isnull=False).exists()


def rows(*questions, initial=0) -> dict:
    """The builder's POST: the form's details and one row per question (dicts of the row's fields)."""
    data = {
        "title": "Skin questions",
        "description": "",
        "questions-TOTAL_FORMS": str(len(questions)),
        "questions-INITIAL_FORMS": str(initial),
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(questions):
        data.update({f"questions-{index}-{name}": value for name, value in row.items()})
    return data


ROW = {"section": "Skin", "position": "", "label": "", "kind": "text", "help": "", "record": "", "key": ""}


class TestBuilder:
    def test_an_admin_builds_a_form_and_revises_it_into_version_2(self, client_as, cast):
        client = client_as("admin_a")
        page = client.get(f"{URL}new/").content.decode()
        assert 'name="questions-0-label"' in page and 'name="questions-2-label"' in page
        data = rows(
            {**ROW, "label": "How does your skin react to the sun?", "kind": "choice",
             "choices": "Burns\nTans\n", "required": "on"},
            {**ROW, "section": "Health", "label": "List your allergies", "kind": "long_text",
             "record": "allergies"},
            {**ROW, "section": ""},  # a blank row is ignored
        )  # fmt: skip
        response = client.post(f"{URL}new/", data)
        with medspa_scope(cast.medspa_a):
            form = IntakeForm.objects.get(title="Skin questions")
        assert response["Location"] == f"{URL}{form.pk}/"
        first = form.current_version
        assert [section["title"] for section in first.sections] == ["Skin", "Health"]
        assert first.fields()[0] | {"section": "Skin"} == {
            "key": "how_does_your_skin_react_to_the", "label": "How does your skin react to the sun?",
            "kind": "choice", "required": True, "choices": ["Burns", "Tans"], "help": "", "record": "",
            "section": "Skin",
        }  # fmt: skip
        assert first.fields()[1]["record"] == "allergies" and first.created_by == cast.admin_a

        page = client.get(f"{URL}{form.pk}/").content.decode()
        assert "what the patient sees" in page and "How does your skin react to the sun?" in page
        assert 'value="how_does_your_skin_react_to_the"' in page  # the key travels with the row
        keys = [field["key"] for field in first.fields()]
        data = rows(
            {**ROW, "position": "2", "label": "How does your skin react to the sun?", "kind": "choice",
             "choices": "Burns\nTans", "required": "on", "key": keys[0]},
            {**ROW, "section": "Health", "position": "3", "label": "List your allergies",
             "kind": "long_text", "record": "allergies", "key": keys[1]},
            {**ROW, "position": "1", "label": "Your goals", "kind": "long_text"},  # added, moved first
            initial=2,
        )  # fmt: skip
        response = client.post(f"{URL}{form.pk}/", data, follow=True)
        assert "Saved as version 2. Earlier versions are kept unchanged." in response.content.decode()
        second = form.current_version
        assert [f["label"] for f in second.fields()] == [
            "Your goals",
            "How does your skin react to the sun?",
            "List your allergies",
        ]
        assert [f["key"] for f in second.fields()][1:] == keys
        assert form.versions.get(number=1).sections == first.sections
        old = client.get(f"{URL}{form.pk}/?version=1").content.decode()
        assert "Version 1</h2>" not in old and "Version 1: what the patient sees" in old
        assert "Your goals" not in old.split("Version history")[0]

    def test_removing_a_question_and_an_unchanged_save(self, client_as, cast):
        form = form_of(cast.medspa_a, title="Skin questions")
        client = client_as("admin_a")
        page = client.get(f"{URL}{form.pk}/").content.decode()
        assert '<label for="id_questions-1-DELETE">Remove</label>' in page
        keep = {**ROW, "section": "Health", "position": "1", "label": "Are you pregnant or breastfeeding?",
                "kind": "yes_no", "required": "on", "key": "pregnant"}  # fmt: skip
        drop = {**ROW, "section": "Health", "position": "2", "label": "List any allergies",
                "kind": "long_text", "record": "allergies", "key": "allergies"}  # fmt: skip
        response = client.post(f"{URL}{form.pk}/", rows(keep, drop, initial=2), follow=True)
        assert "did not change: still version 1" in response.content.decode()
        client.post(f"{URL}{form.pk}/", rows(keep, {**drop, "DELETE": "on"}, initial=2))
        assert [f["key"] for f in form.current_version.fields()] == ["pregnant"]

    def test_a_bad_row_is_shown_again_with_its_error_and_nothing_is_saved(self, client_as, cast):
        form = form_of(cast.medspa_a, title="Skin questions")
        client = client_as("admin_a")
        bad = {**ROW, "label": "Pick one", "kind": "choice", "choices": "Only one"}
        response = client.post(f"{URL}{form.pk}/", rows(bad))
        assert response.status_code == 400
        assert "needs between 2 and 30 choices" in response.content.decode()
        cleared = {**ROW, "label": "", "key": "pregnant", "kind": "yes_no"}
        response = client.post(f"{URL}{form.pk}/", rows(cleared, initial=1))
        assert response.status_code == 400 and "Write the question, or tick" in response.content.decode()
        response = client.post(f"{URL}new/", {**rows({**ROW, "section": ""}), "title": "Another"})
        assert response.status_code == 400 and "at least one section" in response.content.decode()
        assert form.versions.count() == 1
        with medspa_scope(cast.medspa_a):
            assert IntakeForm.objects.count() == 1

    def test_add_more_rows_saves_nothing(self, client_as, cast):
        client = client_as("admin_a")
        response = client.post(f"{URL}new/", {**rows({**ROW, "label": "Typed"}), "more": "1"})
        page = response.content.decode()
        assert response.status_code == 200 and 'name="questions-5-label"' in page and 'value="Typed"' in page
        with medspa_scope(cast.medspa_a):
            assert not IntakeForm.objects.exists()

    def test_the_list_shows_own_and_library_forms_and_copies_one(self, client_as, cast):
        library = form_of(None, title="Medical history")
        client = client_as("admin_a")
        page = client.get(URL).content.decode()
        assert "You have no forms of your own yet" in page and "Medical history" in page
        assert f'action="{URL}{library.pk}/copy/"' in page and "data-confirm=" in page
        response = client.post(f"{URL}{library.pk}/copy/")
        with medspa_scope(cast.medspa_a):
            own = IntakeForm.objects.get()
        assert response["Location"] == f"{URL}{own.pk}/" and own.copied_from == library
        assert "Copied from Portrait" in client.get(response["Location"]).content.decode()

    def test_a_library_form_is_read_only_here(self, client_as, cast):
        library = form_of(None, title="Medical history")
        client = client_as("admin_a")
        page = client.get(f"{URL}{library.pk}/").content.decode()
        assert "Copy to edit" in page and 'name="questions-TOTAL_FORMS"' not in page
        response = client.post(f"{URL}{library.pk}/", rows({**ROW, "label": "Mine"}), follow=True)
        assert "copy it to edit your own" in response.content.decode()
        assert library.versions.count() == 1

    def test_another_medspas_form_is_not_found(self, client_as, cast):
        theirs = form_of(cast.medspa_b)
        client = client_as("admin_a")
        assert client.get(f"{URL}{theirs.pk}/").status_code == 404
        assert client.post(f"{URL}{theirs.pk}/", rows({**ROW, "label": "Mine"})).status_code == 404
        assert client.post(f"{URL}{theirs.pk}/copy/").status_code == 404
        assert theirs.versions.count() == 1

    def test_providers_do_not_reach_the_builder(self, client_as, cast):
        assert client_as("provider_a1").get(f"{URL}new/").status_code == 403


def test_the_list_and_the_builder_take_as_many_queries_for_many_forms_and_versions(client_as, cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_as("admin_a")
    form = form_of(cast.medspa_a, title="Ours")
    form_of(None, title="Library")

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = (queries(URL), queries(f"{URL}{form.pk}/"))
    for number in range(3):
        form_of(cast.medspa_a, title=f"More {number}", by=cast.admin_a)
        form_of(None, title=f"Library {number}")
        services.intake_form_revise(
            form=form, title="Ours", description="", sections=one(label=f"Goal {number}?"), by=cast.admin_a
        )
    assert (queries(URL), queries(f"{URL}{form.pk}/")) == few

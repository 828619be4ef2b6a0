"""The admin's CSV import of patients: a preview first, every bad line reported with its line number,
duplicates flagged and skipped, and the import all-or-nothing once the admin confirms."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError

from medspa.models import Patient, PatientImport
from medspa.models.patients import PatientStatus
from medspa.services import patients as services
from medspa.tenancy import medspa_scope
from tests.factories import PatientFactory, unscoped

UPLOAD_URL = "/dashboard/patients/import/"
HEADER = "first_name,last_name,date_of_birth,email,phone,state,consent_sms"


def _csv(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


def _upload(client, content: bytes, name: str = "patients.csv"):
    return client.post(UPLOAD_URL, {"file": SimpleUploadedFile(name, content, content_type="text/csv")})


def _preview_url(patient_import: PatientImport) -> str:
    return f"/dashboard/patients/import/{patient_import.pk}/"


@unscoped
def _the_only_import() -> PatientImport:
    """The one import in the database, whichever medspa's."""
    return PatientImport.objects.get()


def _uploaded(client, content: bytes) -> PatientImport:
    response = _upload(client, content)
    assert response.status_code == 302, response.content.decode()
    patient_import = _the_only_import()
    assert response["Location"] == _preview_url(patient_import)
    return patient_import


def test_a_good_file_is_previewed_and_imported_only_when_the_admin_confirms(cast, client_as):
    client = client_as("admin_a")
    content = "\ufeff" + (
        "First Name,Last Name,Date of Birth,E-mail,Phone,State,Consent SMS,Member ID\r\n"
        "Ana,Lopez,1990-04-02,ana@mail.example,(619) 555-0100,ca,yes,A-1\r\n"
        'Bo,Chen,07/15/1985,,,,no,"B-2"\r\n'
        "Cy,Diaz,1979-12-31,cy@mail.example,,NY,,\r\n"
    )
    patient_import = _uploaded(client, content.encode())
    with medspa_scope(cast.medspa_a):
        assert Patient.objects.count() == 0

    page = client.get(_preview_url(patient_import)).content.decode()
    assert "<strong>3</strong> patients to import" in page
    assert "Ignored columns (not patient fields, not imported): Member ID" in page
    assert "Lopez, Ana" in page and "Import 3 patients" in page
    with medspa_scope(cast.medspa_a):
        assert Patient.objects.count() == 0  # the preview imports nothing

    response = client.post(_preview_url(patient_import), follow=True)
    assert response.redirect_chain == [("/dashboard/patients/", 302)]
    assert "3 patients imported from patients.csv." in response.content.decode()
    with medspa_scope(cast.medspa_a):
        patients = {p.first_name: p for p in Patient.objects.filter(medspa=cast.medspa_a)}
        assert set(patients) == {"Ana", "Bo", "Cy"}
        assert patients["Ana"].state == "CA" and patients["Ana"].consent_sms is True
        assert patients["Bo"].date_of_birth == date(1985, 7, 15) and patients["Bo"].consent_sms is False
        assert all(patient.status == PatientStatus.ACTIVE for patient in patients.values())
        patient_import.refresh_from_db()
        assert patient_import.confirmed_at is not None and patient_import.imported_count == 3
    with medspa_scope(cast.medspa_b):
        assert not Patient.objects.filter(medspa=cast.medspa_b).exists()


def test_a_windows_1252_file_from_an_older_excel_is_read(cast, client_as):
    client = client_as("admin_a")
    patient_import = _uploaded(client, _csv("José,Núñez,1990-04-02,,,,").decode().encode("cp1252"))
    client.post(_preview_url(patient_import))
    with medspa_scope(cast.medspa_a):
        assert Patient.objects.get().full_name == "José Núñez"


def test_each_bad_line_is_reported_with_its_line_number_and_reason_and_nothing_can_be_imported(
    cast, client_as
):
    client = client_as("admin_a")
    content = _csv(
        "Ana,Lopez,1990-04-02,,,,",
        "Bo,Chen,2999-01-01,,,,",
        "Cy,Diaz,1980-01-01,,,C4,",
        "Di,,1980-01-01,,,,",
        "Ed,Fox,31/12/1980,,,,",
        'Flo,Gray,1980-01-01,,"12",,maybe',
        "Gus,Hill,1980-01-01,not-an-email,,,",
        "Hal,Ivy,1980-01-01,,,,,Apt 4",
    )
    patient_import = _uploaded(client, content)

    reasons = {row["line"]: row["errors"] for row in patient_import.errors}
    assert reasons == {
        3: ["date_of_birth: The date of birth cannot be in the future."],
        4: ["state: Use the two-letter state code, e.g. CA."],
        5: ["last_name: This field is required."],
        6: ["date_of_birth: Write the date as YYYY-MM-DD or MM/DD/YYYY, e.g. 1990-04-02."],
        7: [
            "phone: Enter a valid phone number with its area code, e.g. (619) 555-0100 or +1 619 555 0100.",
            "consent_sms: Write yes or no (or true/false, 1/0), or leave it empty for no.",
        ],
        8: ["email: Enter a valid email address."],
        9: [
            "This line has 8 values but the header names 7 columns: "
            "a value holding a comma must be in double quotes."
        ],
    }
    page = client.get(_preview_url(patient_import)).content.decode()
    assert "<strong>7</strong> lines with errors" in page
    assert "upload the fixed file" in page
    assert "Import 1 patient" not in page  # no confirm button

    response = client.post(_preview_url(patient_import), follow=True)
    assert "an import takes every row or none" in response.content.decode()
    assert not Patient.objects.exists()
    with medspa_scope(cast.medspa_a):
        patient_import.refresh_from_db()
    assert patient_import.confirmed_at is None


def test_a_line_number_is_where_the_row_starts_when_a_value_spans_lines(cast, client_as):
    content = (
        "first_name,last_name,date_of_birth,medical_history\n"
        'Zoe,Young,1991-01-01,"Asthma;\nrosacea"\n'
        "\n"
        "Ana,Lopez,1990-04-02,\n"
        "Bo,Chen,1885-07-15,\n"
    )
    patient_import = _uploaded(client_as("admin_a"), content.encode())
    assert [row["line"] for row in patient_import.rows] == [2, 5, 6]
    assert patient_import.errors[0]["line"] == 6
    assert patient_import.rows[0]["data"]["medical_history"] == "Asthma;\nrosacea"


def test_duplicates_of_patients_on_file_and_of_earlier_lines_are_flagged_and_skipped(cast, client_as):
    PatientFactory(medspa=cast.medspa_a, first_name="Ana", last_name="Lopez", date_of_birth=date(1990, 4, 2))
    PatientFactory(medspa=cast.medspa_a, first_name="Bea", last_name="Stone", email="taken@mail.example")
    PatientFactory(medspa=cast.medspa_b, first_name="Flo", last_name="Gray", date_of_birth=date(1970, 7, 7))
    client = client_as("admin_a")
    content = _csv(
        "ANA,lopez,04/02/1990,,,,",
        "Bo,Chen,1985-07-15,Taken@Mail.example,,,",
        "Cy,Diaz,1985-01-01,,,,",
        "cy,DIAZ,01/01/1985,,,,",
        "Di,Evans,1980-03-03,di@mail.example,,,",
        "Ed,Fox,1981-04-04,DI@mail.example,,,",
        "Flo,Gray,1970-07-07,,,,",  # a patient of another medspa is no duplicate here
    )
    patient_import = _uploaded(client, content)

    assert {row["line"]: row["duplicate_of"] for row in patient_import.duplicates} == {
        2: "patient Ana Lopez (born 1990-04-02) already on file",
        3: "patient Bea Stone already on file with the email taken@mail.example",
        5: "line 4 of this file",
        7: "line 6 of this file",
    }
    page = client.get(_preview_url(patient_import)).content.decode()
    assert "<strong>4</strong> duplicates to skip" in page
    assert "line 4 of this file" in page

    response = client.post(_preview_url(patient_import), follow=True)
    assert "3 patients imported from patients.csv; 4 duplicates skipped." in response.content.decode()
    with medspa_scope(cast.medspa_a):
        names = set(Patient.objects.filter(medspa=cast.medspa_a).values_list("first_name", flat=True))
    assert names == {"Ana", "Bea", "Cy", "Di", "Flo"}


def test_a_file_uploaded_twice_imports_its_patients_once(cast, client_as):
    client = client_as("admin_a")
    content = _csv("Ana,Lopez,1990-04-02,,,,", "Bo,Chen,1985-07-15,,,,")
    first = _uploaded(client, content)
    second_pk = _upload(client, content)["Location"].split("/")[-2]
    with medspa_scope(cast.medspa_a):
        second = PatientImport.objects.get(pk=second_pk)
    client.post(_preview_url(first))
    client.post(_preview_url(second))  # its duplicates are checked again at confirmation
    with medspa_scope(cast.medspa_a):
        assert Patient.objects.count() == 2
        second.refresh_from_db()
    assert second.imported_count == 0
    assert [row["duplicate_of"] for row in second.rows] == [
        "patient Ana Lopez (born 1990-04-02) already on file",
        "patient Bo Chen (born 1985-07-15) already on file",
    ]


def test_confirming_twice_imports_once(cast, client_as):
    client = client_as("admin_a")
    patient_import = _uploaded(client, _csv("Ana,Lopez,1990-04-02,,,,"))
    client.post(_preview_url(patient_import))
    response = client.post(_preview_url(patient_import), follow=True)
    assert "This file was imported already" in response.content.decode()
    with medspa_scope(cast.medspa_a):
        assert Patient.objects.count() == 1
        patient_import.refresh_from_db()
    assert patient_import.imported_count == 1
    assert "Import 1 patient" not in client.get(_preview_url(patient_import)).content.decode()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("photo.png", PNG, "Upload a .csv file"),
        ("patients.csv", PNG, "This file is not a CSV."),
        ("patients.csv", b"", "The file is empty."),
        ("patients.csv", b"\xef\xbb\xbf\r\n\r\n", "The file is empty."),
        ("patients.csv", _csv(header="first_name,last_name"), "and date_of_birth is missing."),
        ("patients.csv", b"Ana,Lopez,1990-04-02\n", "first_name, last_name, date_of_birth are missing."),
        ("patients.csv", b"first_name;last_name;date_of_birth\n", "separated by commas"),
        ("patients.csv", _csv(header="First Name,first_name,last_name,date_of_birth"), "are the same"),
        ("patients.csv", _csv(header="first_name,last_name,date_of_birth"), "holds no patients."),
        ("patients.csv", _csv(*["Ana,Lopez,1990-04-02"] * 5_001, header="a,b,c"), "more than 5,000 patients"),
        ("patients.csv", b"x" * (2 * 1024 * 1024 + 1), "larger than 2 MB"),
    ],
)
def test_a_file_that_is_not_a_csv_of_patients_is_refused_and_nothing_is_stored(
    cast, client_as, name, content, error
):
    response = _upload(client_as("admin_a"), content, name=name)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not PatientImport.objects.exists()


def test_an_admin_of_another_medspa_cannot_open_or_confirm_an_import(cast, client_as):
    patient_import = _uploaded(client_as("admin_a"), _csv("Ana,Lopez,1990-04-02,,,,"))
    client = client_as("admin_b")
    assert client.get(_preview_url(patient_import)).status_code == 404
    assert client.post(_preview_url(patient_import)).status_code == 404
    assert not Patient.objects.exists()


def test_a_provider_cannot_upload_or_open_an_import(cast, client_as):
    patient_import = _uploaded(client_as("admin_a"), _csv("Ana,Lopez,1990-04-02,,,,"))
    client = client_as("provider_a1")
    assert client.get(UPLOAD_URL).status_code == 403
    assert _upload(client, _csv("Bo,Chen,1985-07-15,,,,")).status_code == 403
    assert client.get(_preview_url(patient_import)).status_code == 403
    assert client.post(_preview_url(patient_import)).status_code == 403
    with medspa_scope(cast.medspa_a):
        assert PatientImport.objects.count() == 1
    assert not Patient.objects.exists()


def _failing_on_third_call(monkeypatch, error: Exception) -> None:
    calls = []
    create = services.patient_create

    def patient_create(**kwargs):
        calls.append(kwargs)
        if len(calls) == 3:
            raise error
        return create(**kwargs)

    monkeypatch.setattr(services, "patient_create", patient_create)


FOUR_PATIENTS = _csv(
    "Ana,Lopez,1990-04-02,,,,", "Bo,Chen,1985-07-15,,,,", "Cy,Diaz,1979-12-31,,,,", "Di,Evans,1980-03-03,,,,"
)


def test_a_database_failure_half_way_through_the_import_leaves_no_patient_of_the_file(
    cast, client_as, monkeypatch
):
    client = client_as("admin_a")
    patient_import = _uploaded(client, FOUR_PATIENTS)
    _failing_on_third_call(monkeypatch, IntegrityError("the database refused the row"))
    with pytest.raises(IntegrityError):
        client.post(_preview_url(patient_import))
    assert not Patient.objects.exists()
    with medspa_scope(cast.medspa_a):
        patient_import.refresh_from_db()
    assert patient_import.confirmed_at is None and patient_import.imported_count == 0


def test_a_row_refused_at_confirmation_names_its_line_and_imports_nothing(cast, client_as, monkeypatch):
    client = client_as("admin_a")
    patient_import = _uploaded(client, FOUR_PATIENTS)
    _failing_on_third_call(monkeypatch, ValidationError({"last_name": ["Ensure this value is shorter."]}))
    response = client.post(_preview_url(patient_import), follow=True)
    assert "Line 4 was refused (Ensure this value is shorter.), so nothing was imported" in (
        response.content.decode()
    )
    assert not Patient.objects.exists()
    with medspa_scope(cast.medspa_a):
        patient_import.refresh_from_db()
    assert patient_import.confirmed_at is None


def test_the_upload_page_shows_the_expected_header_line(cast, client_as):
    page = client_as("admin_a").get(UPLOAD_URL).content.decode()
    assert "first_name,last_name,date_of_birth,email,phone,address_line1" in page
    assert 'enctype="multipart/form-data"' in page


def test_patient_data_in_previews_is_not_kept_past_a_day(cast):
    from datetime import timedelta

    from django.utils import timezone

    from medspa.models import PatientImport
    from medspa.services.patient_import import patient_imports_purge

    rows = [{"line": 2, "data": {"first_name": "Ana"}, "errors": [], "duplicate_of": ""}]
    make = lambda **kw: PatientImport.objects.create(  # noqa: E731
        medspa=cast.medspa_a, uploaded_by=cast.admin_a, filename="p.csv", rows=rows, **kw
    )
    with medspa_scope(cast.medspa_a):
        fresh, stale, imported = make(), make(), make(confirmed_at=timezone.now(), imported_count=1)
        PatientImport.objects.filter(pk__in=[stale.pk, imported.pk]).update(
            created_at=timezone.now() - timedelta(hours=25)
        )
    assert patient_imports_purge() == 2  # the hourly sweep over every medspa
    with medspa_scope(cast.medspa_a):
        assert PatientImport.objects.get(pk=fresh.pk).rows == rows
        assert not PatientImport.objects.filter(pk=stale.pk).exists()
        imported.refresh_from_db()
    assert imported.rows == [] and imported.imported_count == 1

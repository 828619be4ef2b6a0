"""The admin's CSV import of patients. An uploaded file is parsed and checked into a preview (a
`PatientImport`): bad rows with their line numbers and reasons, duplicates of patients on file or of earlier
lines. Nothing is imported until the admin confirms, and then every importable row is imported, or none."""

import csv
import io
import re
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.formats import date_format
from django_scopes import scopes_disabled

from medspa import clock
from medspa.errors import DomainError
from medspa.forms.patients import PatientImportRowForm
from medspa.models import Medspa, Patient, PatientImport, User
from medspa.models.patients import PATIENT_EDITABLE_FIELDS, PatientStatus
from medspa.patient_match import name_key
from medspa.services import patients as patient_services

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5_000
REQUIRED_COLUMNS = ["first_name", "last_name", "date_of_birth"]
# The record's editable fields, the required ones first.
OPTIONAL_COLUMNS = [name for name in PATIENT_EDITABLE_FIELDS if name not in REQUIRED_COLUMNS]
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

NOT_A_CSV = (
    "This file is not a CSV. In your spreadsheet app, save or export the sheet as CSV (comma-separated "
    "values, UTF-8) and upload that file."
)


class ImportFileInvalid(DomainError):
    """The uploaded file cannot be read as a CSV of patients; nothing was stored."""

    field = "file"


class ImportNotConfirmable(DomainError):
    """The import has rows to fix, or was confirmed already."""


def _compact(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name).lower()


# A column is recognised by its field name or its label on the patient form, in any case, with or without
# spaces and underscores: "First Name", "first_name", "ZIP code", "Address line 2".
_FIELD_BY_COLUMN = {
    **{_compact(str(Patient._meta.get_field(name).verbose_name)): name for name in COLUMNS},
    **{_compact(name): name for name in COLUMNS},
}


def _decode(content: bytes) -> str:
    """The file's text: UTF-8 (with or without BOM), else Windows-1252 as older Excel versions save."""
    if len(content) > MAX_FILE_BYTES:
        raise ImportFileInvalid(f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: split it up.")
    if b"\x00" in content:  # a spreadsheet, an image, or UTF-16 text
        raise ImportFileInvalid(NOT_A_CSV)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1252")
        except UnicodeDecodeError:
            raise ImportFileInvalid(NOT_A_CSV) from None
    if not text.strip():
        raise ImportFileInvalid("The file is empty.")
    return text


def _records(text: str) -> list[tuple[int, list[str]]]:
    """The file's non-blank records, each with the line it starts on (a quoted value may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records = []
    try:
        while True:
            line = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                return records
            if any(cell.strip() for cell in cells):
                if len(records) > MAX_ROWS:  # the header plus MAX_ROWS patients
                    raise ImportFileInvalid(
                        f"The file has more than {MAX_ROWS:,} patients: split it into smaller files."
                    )
                records.append((line, cells))
    except csv.Error as error:
        raise ImportFileInvalid(f"Line {reader.line_num} cannot be read as CSV ({error}).") from None


def _header(cells: list[str]) -> tuple[dict[int, str], dict[str, str], dict[int, str]]:
    """Reads the header: the patient field of each recognised column (by position), the column name as
    written for each field, and the columns that will be ignored (by position)."""
    fields, names, ignored = {}, {}, {}
    for index, cell in enumerate(cells):
        name = cell.strip()
        field = _FIELD_BY_COLUMN.get(_compact(name))
        if field is None:
            ignored[index] = name or f"column {index + 1} (no name)"
        elif field in names:
            raise ImportFileInvalid(f"The columns “{names[field]}” and “{name}” are the same: keep one.")
        else:
            fields[index], names[field] = field, name
    missing = [field for field in REQUIRED_COLUMNS if field not in names]
    if missing:
        separated_otherwise = re.search(r"[;\t|]", ",".join(cells))
        hint = " Check that the values are separated by commas." if separated_otherwise else ""
        raise ImportFileInvalid(
            f"The first line must name the columns, and {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing.{hint}"
        )
    return fields, names, ignored


def _row(line: int, cells: list[str], header: tuple[dict[int, str], dict[str, str], dict[int, str]]) -> dict:
    """One record checked with the patient form's rules: cleaned values when valid, else the values as
    written and the reasons, each naming its column."""
    fields, names, ignored = header
    values = {field: cells[index].strip() if index < len(cells) else "" for index, field in fields.items()}
    form = PatientImportRowForm(data=values)
    errors = []
    if form.is_valid():
        data = {
            name: value.isoformat() if isinstance(value, date) else value
            for name, value in form.cleaned_data.items()
        }
    else:
        data = values
        for field, messages in form.errors.items():
            prefix = "" if field == "__all__" else f"{names.get(field, field)}: "
            errors += [f"{prefix}{message}" for message in messages]
    width = len(fields) + len(ignored)
    if any(cell.strip() for cell in cells[width:]):
        errors.append(
            f"This line has {len(cells)} values but the header names {width} columns: "
            "a value holding a comma must be in double quotes."
        )
    return {
        "line": line,
        "data": data,
        "errors": errors,
        "duplicate_of": "",
        "ignored": [name for index, name in ignored.items() if index < len(cells) and cells[index].strip()],
    }


# The file's own duplicate rule, narrower than patient_match.patient_resembling: a row it flags is skipped,
# not imported and flagged, so only the same name and date of birth or the same email counts (a family's
# shared phone must not keep a patient out of the import). It compares with patient_match's keys.
def _name_key(first_name: str, last_name: str, date_of_birth: date | str) -> tuple[str, str, str]:
    return (*name_key(first_name, last_name), str(date_of_birth))


def _patients_on_file(*, medspa: Medspa, rows: list[dict]) -> tuple[dict, dict]:
    """The medspa's patients (archived ones too) that rows may duplicate, by name and date of birth and
    by email, in one query."""
    dates = {row["data"]["date_of_birth"] for row in rows}
    emails = {row["data"]["email"].lower() for row in rows if row["data"].get("email")}
    patients = (
        Patient.objects.filter(medspa=medspa)
        .annotate(email_lower=Lower("email"))
        .filter(Q(date_of_birth__in=dates) | Q(email_lower__in=emails))
        .order_by("pk")
    )
    by_name, by_email = {}, {}
    for patient in patients:
        by_name.setdefault(_name_key(patient.first_name, patient.last_name, patient.date_of_birth), patient)
        if patient.email_lower:
            by_email.setdefault(patient.email_lower, patient)
    return by_name, by_email


def _on_file(row: dict, by_name: dict, by_email: dict) -> str:
    """What patient on file `row` duplicates, said for the preview; empty when none."""
    data = row["data"]
    patient = by_name.get(_name_key(data["first_name"], data["last_name"], data["date_of_birth"]))
    if patient is not None:
        return f"patient {patient.full_name} (born {patient.date_of_birth:%Y-%m-%d}) already on file"
    patient = by_email.get(data.get("email", "").lower()) if data.get("email") else None
    if patient is not None:
        return f"patient {patient.full_name} already on file with the email {patient.email}"
    return ""


def _duplicates_mark(*, medspa: Medspa, rows: list[dict]) -> None:
    """Marks each valid row that repeats a patient on file or an earlier line of the file (same name and
    date of birth, or same email, ignoring case)."""
    valid = [row for row in rows if not row["errors"]]
    by_name, by_email = _patients_on_file(medspa=medspa, rows=valid)
    lines_by_name, lines_by_email = {}, {}
    for row in valid:
        data = row["data"]
        name = _name_key(data["first_name"], data["last_name"], data["date_of_birth"])
        email = data.get("email", "").lower()
        row["duplicate_of"] = _on_file(row, by_name, by_email)
        if not row["duplicate_of"] and name in lines_by_name:
            row["duplicate_of"] = f"line {lines_by_name[name]} of this file"
        elif not row["duplicate_of"] and email in lines_by_email:
            row["duplicate_of"] = f"line {lines_by_email[email]} of this file"
        lines_by_name.setdefault(name, row["line"])
        if email:
            lines_by_email.setdefault(email, row["line"])


@transaction.atomic
def patient_import_parse(
    *, medspa: Medspa, uploaded_by: User, filename: str, content: bytes
) -> PatientImport:
    """Reads an uploaded CSV of patients into a preview for `medspa`: every row checked, duplicates
    flagged, nothing imported. Raises ImportFileInvalid (and stores nothing) for a file that is not a
    readable CSV, is too large, lacks a required column or holds no patients."""
    records = _records(_decode(content))
    (_, header_cells), *body = records
    header = _header(header_cells)
    if not body:
        raise ImportFileInvalid("The file names its columns but holds no patients.")
    rows = [_row(line, cells, header) for line, cells in body]
    _duplicates_mark(medspa=medspa, rows=rows)
    return PatientImport.objects.create(
        medspa=medspa, uploaded_by=uploaded_by, filename=filename[:255], rows=rows
    )


def patient_import_ignored_columns(patient_import: PatientImport) -> list[str]:
    """The columns of the file that are not patient fields and whose values will not be imported."""
    names = {}
    for row in patient_import.rows:
        names.update(dict.fromkeys(row.get("ignored", [])))
    return list(names)


@transaction.atomic
def patient_import_confirm(*, patient_import: PatientImport) -> int:
    """Imports the previewed rows as active patients, all of them or none, skipping duplicates (checked
    again, as patients may have been added since the preview). Returns how many were imported. Raises
    ImportNotConfirmable when the file has rows to fix, was imported already, or a row is refused."""
    # Imports of one medspa run one at a time, so that two of the same file cannot both pass the check.
    medspa = Medspa.objects.select_for_update(no_key=True).get(pk=patient_import.medspa_id)
    locked = PatientImport.objects.select_for_update().get(pk=patient_import.pk)
    if locked.confirmed_at is not None:
        confirmed_on = clock.local(locked.confirmed_at, medspa)
        raise ImportNotConfirmable(f"This file was imported already, on {date_format(confirmed_on)}.")
    if locked.errors:
        raise ImportNotConfirmable(
            "This file has rows to fix, and an import takes every row or none: fix them and upload it again."
        )
    rows = locked.importable
    by_name, by_email = _patients_on_file(medspa=medspa, rows=rows)
    imported = 0
    for row in rows:
        row["duplicate_of"] = _on_file(row, by_name, by_email)
        if row["duplicate_of"]:
            continue
        data = {**row["data"], "date_of_birth": date.fromisoformat(row["data"]["date_of_birth"])}
        try:
            patient_services.patient_create(medspa=medspa, data={**data, "status": PatientStatus.ACTIVE})
        except ValidationError as error:
            raise ImportNotConfirmable(
                f"Line {row['line']} was refused ({' '.join(error.messages)}), so nothing was imported: "
                "fix the file and upload it again."
            ) from None
        imported += 1
    locked.confirmed_at = timezone.now()
    locked.imported_count = imported
    locked.save(update_fields=["rows", "confirmed_at", "imported_count"])
    patient_import.refresh_from_db()
    return imported


PREVIEW_KEPT_FOR = timedelta(hours=24)


@transaction.atomic
def patient_imports_purge(*, now: datetime | None = None) -> int:
    """Uploaded files carry patient data: a preview nobody confirmed is deleted after a day, and the rows
    of a confirmed one are cleared (its counts stay). Returns how many imports were touched."""
    cutoff = (now or timezone.now()) - PREVIEW_KEPT_FOR
    with scopes_disabled():
        stale = PatientImport.objects.filter(created_at__lt=cutoff)
        deleted, _ = stale.filter(confirmed_at__isnull=True).delete()
        cleared = stale.filter(confirmed_at__isnull=False).exclude(rows=[]).update(rows=[])
    return deleted + cleared

import pghistory
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django_scopes import ScopedManager

from medspa.models.tenancy import Medspa, Membership
from medspa.validators import validate_phone_e164


class PatientStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    TO_CLEAR = "to_clear", "To Clear"
    ARCHIVED = "archived", "Archived"


# What people edit on a patient's record (the form, the API, the CSV import): one list for all of them.
PATIENT_EDITABLE_FIELDS = [
    "first_name",
    "last_name",
    "date_of_birth",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "allergies",
    "medications",
    "medical_history",
    "consent_email",
    "consent_sms",
]


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    pghistory.ManualEvent("merge"),  # written by the merge service on the record that stays
)
class Patient(models.Model):
    """A patient of one medspa: demographics, contact, clinical background and messaging consent.
    Patients never sign in to the portal; they are archived, never deleted."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="patients")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    phone = models.CharField(
        max_length=30, blank=True, validators=[validate_phone_e164], help_text="In E.164, e.g. +16195550100."
    )
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField("ZIP code", max_length=10, blank=True)
    allergies = models.TextField(blank=True)
    medications = models.TextField(blank=True)
    medical_history = models.TextField("medical history notes", blank=True)
    consent_email = models.BooleanField("consents to email", default=False)
    consent_sms = models.BooleanField("consents to SMS", default=False)
    # The patient's own STOP by text (medspa.messaging.opt_out): no text goes to them until they text START,
    # whatever consent_sms says; only the patient's keyword sets or clears it, never a form.
    sms_opted_out_at = models.DateTimeField("texted STOP at", null=True, blank=True, editable=False)
    sms_opt_out_keyword = models.CharField("opt-out keyword", max_length=20, blank=True, editable=False)
    status = models.CharField(max_length=10, choices=PatientStatus, default=PatientStatus.ACTIVE)
    possible_duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="A record this one resembles (a public booking that was not sure): an admin merges the two "
        "or says they are different people.",
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_records",
        help_text="The record this one was merged into; this one is kept, archived, for its history.",
    )
    assigned_providers = models.ManyToManyField(
        Membership,
        through="PatientProvider",
        blank=True,
        related_name="assigned_patients",
        help_text="Providers who look after this patient; they see the patient in their dashboard.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["medspa", "last_name", "first_name"], name="patient_medspa_name"),
            models.Index(fields=["medspa", "status"], name="patient_medspa_status"),
            # The Patients tab's search (ILIKE on each of these) stays fast with 10,000+ patients.
            GinIndex(
                name="patient_search_trgm",
                fields=["last_name", "first_name", "email", "phone"],
                opclasses=["gin_trgm_ops"] * 4,
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(possible_duplicate_of=models.F("pk")),
                name="patient_not_its_own_duplicate",
            ),
            models.CheckConstraint(
                condition=models.Q(merged_into__isnull=True)
                | (~models.Q(merged_into=models.F("pk")) & models.Q(status=PatientStatus.ARCHIVED)),
                name="patient_merged_into_another_and_archived",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@pghistory.track(
    pghistory.InsertEvent("provider.assign"),
    pghistory.DeleteEvent("provider.unassign"),
    model_name="PatientProviderEvent",
)
class PatientProvider(models.Model):
    """A provider who looks after a patient. Assigning or unassigning is patient data, audited like the
    rest (an explicit model, so that the audit triggers can be installed on its table)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "membership"], name="patient_provider_once"),
        ]

    def __str__(self) -> str:
        return f"{self.membership} looks after {self.patient}"


class PatientImport(models.Model):
    """A CSV of patients uploaded by an admin: parsed and checked into a preview, imported only when the
    admin confirms, all rows or none."""

    medspa = models.ForeignKey(Medspa, on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey("medspa.User", on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=255)
    rows = models.JSONField(
        default=list, help_text="Parsed rows with their line numbers, errors and duplicates."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    imported_count = models.PositiveIntegerField(default=0)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.created_at:%Y-%m-%d})"

    @property
    def errors(self) -> list[dict]:
        return [row for row in self.rows if row.get("errors")]

    @property
    def duplicates(self) -> list[dict]:
        return [row for row in self.rows if row.get("duplicate_of") and not row.get("errors")]

    @property
    def importable(self) -> list[dict]:
        return [row for row in self.rows if not row.get("errors") and not row.get("duplicate_of")]

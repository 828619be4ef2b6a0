"""Intake forms: what a medspa asks a patient before the visit (medical history, aesthetic goals), kept in
versions as consents are. A version's `sections` never change once written (the database refuses), so an
answer always points at the exact questions the patient saw.

A version's sections, as JSON:

    [{"title": "Allergies", "fields": [
        {"key": "allergies", "label": "Do you have any allergies?", "kind": "long_text",
         "required": true, "choices": [], "help": "", "record": "allergies"}]}]

`key` is unique in the version (letters, digits, underscores); `kind` is a FieldKind; `choices` only for
the choice kinds; `record` names the patient's record an answer proposes to change (RecordField), or ""."""

from django.conf import settings
from django.db import models

from services_catalog.models.texts import APPEND_ONLY, VersionedText


class FieldKind(models.TextChoices):
    """The kinds of question an intake form asks."""

    TEXT = "text", "Short answer"
    LONG_TEXT = "long_text", "Paragraph"
    YES_NO = "yes_no", "Yes / no"
    CHOICE = "choice", "One choice"
    MULTI_CHOICE = "multi_choice", "Several choices"
    DATE = "date", "Date"
    SIGNATURE = "signature", "Signature"


class RecordField(models.TextChoices):
    """The parts of a patient's record an intake answer may propose to change (staff accept or decline)."""

    ALLERGIES = "allergies", "Allergies"
    MEDICATIONS = "medications", "Medications"
    MEDICAL_HISTORY = "medical_history", "Medical history"


class IntakeForm(VersionedText):
    """A form a patient completes before a visit: Portrait's library (no medspa) or a medspa's own, which may
    be a copy of a library form that it then edits."""

    description = models.TextField(blank=True, help_text="Shown to the patient above the questions.")
    copied_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The library form this one was copied from.",
    )

    class Meta(VersionedText.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["medspa", "title"], name="intake_form_title_unique", nulls_distinct=False
            )
        ]


class IntakeFormVersion(models.Model):
    """One version of an intake form's questions. Never changed once written."""

    form = models.ForeignKey(IntakeForm, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    sections = models.JSONField(help_text="The sections and their questions (see the module's docstring).")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["form", "number"], name="intake_form_version_once")]
        triggers = [APPEND_ONLY]

    def __str__(self) -> str:
        return f"{self.form} version {self.number}"

    def fields(self) -> list[dict]:
        """Every question of the version, in order, each with its section's title as "section"."""
        return [
            {**field, "section": section.get("title", "")}
            for section in self.sections
            for field in section.get("fields", [])
        ]

"""The signed Good Faith Exam, kept unchanged for good."""

import pghistory
import pgtrigger
from django.db import models
from django_scopes import ScopedManager

from gfe.models.requests import GfeRequest
from medspa.models import Medspa, Membership, Patient

# What a clearer confirms reviewing, and what they write, on every exam: the forms, the services and the
# Django admin name these fields from here.
EXAM_REVIEW_FLAGS = ("history_reviewed", "medications_reviewed", "allergies_reviewed")
EXAM_TEXTS = ("diagnoses", "icd10_codes", "contraindications", "notes")
EXAM_FIELDS = (*EXAM_REVIEW_FLAGS, *EXAM_TEXTS)


@pghistory.track(pghistory.InsertEvent())
class GfeExam(models.Model):
    """The signed exam: what was reviewed, the diagnoses and contraindications, who signed, with which
    licence. Kept unchanged for good (the database refuses updates and deletes)."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="gfe_exams")
    request = models.OneToOneField(GfeRequest, on_delete=models.PROTECT, related_name="exam")
    clearer = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The medspa's own provider who cleared, if it was one.",
    )
    clearer_name = models.CharField(max_length=150)
    clearer_credential = models.CharField(max_length=20)
    clearer_licence = models.CharField(max_length=80, blank=True)
    history_reviewed = models.BooleanField(default=False)
    medications_reviewed = models.BooleanField(default=False)
    allergies_reviewed = models.BooleanField(default=False)
    diagnoses = models.TextField(blank=True)
    icd10_codes = models.CharField("ICD-10 codes", max_length=200, blank=True)
    contraindications = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    signature = models.FileField(upload_to="gfe-signatures/", blank=True)
    signed_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["-signed_at"]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"GFE of {self.patient} by {self.clearer_name} ({self.signed_at:%Y-%m-%d})"

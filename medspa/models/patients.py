import pghistory
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django_scopes import ScopedManager

from medspa.models.tenancy import Medspa


class PatientStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    TO_CLEAR = "to_clear", "To Clear"
    ARCHIVED = "archived", "Archived"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Patient(models.Model):
    """A patient of one medspa: demographics, contact, clinical background and messaging consent.
    Patients never sign in to the portal; they are archived, never deleted."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="patients")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
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
    status = models.CharField(max_length=10, choices=PatientStatus, default=PatientStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["medspa", "last_name", "first_name"], name="patient_medspa_name"),
            models.Index(fields=["medspa", "status"], name="patient_medspa_status"),
            GinIndex(
                name="patient_name_trgm",
                fields=["last_name", "first_name"],
                opclasses=["gin_trgm_ops", "gin_trgm_ops"],
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django_scopes import ScopedManager

from medspa.models.patients import Patient
from medspa.models.tenancy import Medspa


class PatientAccessLog(models.Model):
    """One read of a patient record: who looked (and on whose behalf, when masquerading), at what, when.
    Who looked is a user, or, for someone without an account (the outside clearer's emailed link), a label
    naming them. Append-only: the database refuses UPDATE and DELETE on this table."""

    # No index of its own: the chain's (medspa, chain_seq) index serves every look-up by medspa. With one,
    # statistics taken before a medspa's rows came made the planner read the chain trigger's "last link of
    # this medspa" through it, every row of the medspa and a sort, for each row inserted.
    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+", db_index=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="access_log")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    actor_label = models.CharField(
        "who looked, without an account",
        max_length=200,
        blank=True,
        default="",
        db_default="",  # a row written outside the ORM names its reader by actor alone
        help_text="Who read the record when they have no user account: the outside clearer of a GFE link.",
    )
    impersonator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="The admin or staff user masquerading as the actor, if any.",
    )
    viewed = models.CharField("what was viewed", max_length=200)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The hash chain (ONC 170.315(d)(2)), one per medspa: filled by the database's BEFORE INSERT trigger
    # (migration 0006), whatever inserts the row; medspa.audit_chain verifies it.
    chain_seq = models.BigIntegerField(db_default=0, editable=False)
    chain_hash = models.CharField(max_length=64, db_default="", editable=False)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "patient access"
        verbose_name_plural = "patient access log"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(actor__isnull=False) | ~models.Q(actor_label=""),
                name="patient_access_names_who_looked",
            ),
            models.UniqueConstraint(fields=["medspa", "chain_seq"], name="patientaccesslog_one_row_per_link"),
        ]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.actor or self.actor_label} viewed {self.viewed} of patient {self.patient_id}"


class MasqueradeEvent(models.Model):
    """The start or stop of a masquerade: who acted as whom, why, from where. Append-only."""

    class Action(models.TextChoices):
        START = "start", "Started"
        STOP = "stop", "Stopped"

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    action = models.CharField(max_length=5, choices=Action)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The admin or staff user who masqueraded.",
    )
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The user they acted as.",
    )
    reason = models.CharField(max_length=300, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The hash chain, one per medspa and one for masquerades outside any medspa: see PatientAccessLog.
    chain_seq = models.BigIntegerField(db_default=0, editable=False)
    chain_hash = models.CharField(max_length=64, db_default="", editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["medspa", "chain_seq"], nulls_distinct=False, name="masqueradeevent_one_row_per_link"
            )
        ]
        # The chain trigger finds a chain's last link by coalesce(medspa_id, 0) (one chain for masquerades
        # outside any medspa), which neither the constraint's index nor medspa_id's can answer: without this
        # one, each insert read the whole log and sorted it.
        indexes = [
            models.Index(Coalesce("medspa", Value(0)), F("chain_seq"), name="masqueradeevent_last_link")
        ]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.actor} {self.get_action_display().lower()} masquerading as {self.target}"

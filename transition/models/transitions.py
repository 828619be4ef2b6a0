"""A medspa's move from Legacy to Launch / Flex: the plan, its dated steps, the OpenPhone release's
two-party confirmation, the Acuity import, and an append-only timeline of who did what.

Statuses of a step: pending (not run yet, or to be retried), in progress (a worker has it, on a lease of a
few minutes that a long step renews as it goes), waiting (for a person, or for a vendor to finish), done,
failed (a person must look: the reason is kept, and Retry queues it again)."""

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django_scopes import ScopedManager

from medspa.models import Medspa
from medspa.models.tenancy import BusinessModel, flex_revenue_split_field

# Vendor ids go into the vendors' URL paths: letters, digits, "_" and "-" only (no "/" or "..").
vendor_id = RegexValidator(r"^[A-Za-z0-9_-]+$", "Use letters, digits, “_” and “-” only.")

# The provider's acknowledgement before the OpenPhone number leaves Portrait's account (kept word for word
# with each acknowledgement).
OPENPHONE_ACKNOWLEDGEMENT = (
    "I understand that when the number moves to my own OpenPhone account, its conversation history, phone "
    "settings and patient information are not carried over: it will be as if it were a new number, to be "
    "set up again. Texting from the number may be delayed for 7 to 10 days after the switch."
)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class LegacyTools(models.Model):
    """What Portrait runs for a Legacy medspa, by the vendors' ids (entered by Portrait staff)."""

    medspa = models.OneToOneField(Medspa, on_delete=models.CASCADE, related_name="legacy_tools")
    openphone_number_id = models.CharField(
        "OpenPhone phone number id", max_length=64, blank=True, validators=[vendor_id]
    )
    openphone_number = models.CharField("OpenPhone number", max_length=30, blank=True)
    tigerconnect_group_id = models.CharField(
        "TigerConnect support channel (group) id", max_length=64, blank=True
    )
    tigerconnect_user_ids = ArrayField(
        models.CharField(max_length=64),
        default=list,
        blank=True,
        help_text="The medspa's TigerConnect users.",
    )
    acuity_calendar_ids = ArrayField(
        models.PositiveIntegerField(), default=list, blank=True, help_text="The medspa's Acuity calendars."
    )

    objects = ScopedManager(medspa="medspa")

    class Meta:
        verbose_name = verbose_name_plural = "Legacy tools"

    def __str__(self) -> str:
        return f"Legacy tools of {self.medspa}"


class TransitionStatus(models.TextChoices):
    REQUESTED = "requested", "Requested by the medspa"
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"


class TransitionKind(models.TextChoices):
    MOVE = "move", "Move from Legacy to Launch or Flex"
    COORDINATOR_LEAVES = "coordinator_leaves", "Let the coordinator go"


OPEN_STATUSES = [TransitionStatus.REQUESTED, TransitionStatus.SCHEDULED]
TARGET_MODELS = [(BusinessModel.LAUNCH.value, "Launch"), (BusinessModel.FLEX.value, "Flex")]


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Transition(models.Model):
    """A change of a medspa's terms with Portrait, planned as dated steps: the move from Legacy to Launch or
    Flex (keeping the coordinator or not), or, later, a Launch or Flex medspa letting its coordinator go
    (its model stays; `target_model` is the model it is on)."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="transitions")
    kind = models.CharField(max_length=20, choices=TransitionKind, default=TransitionKind.MOVE)
    target_model = models.CharField(max_length=10, choices=TARGET_MODELS)
    flex_revenue_split_percent = flex_revenue_split_field()
    effective_date = models.DateField(
        help_text="The first day on the new model, or without the coordinator (the medspa's time zone)."
    )
    keeps_coordinator = models.BooleanField("keeps the Patient Care Coordinator")
    status = models.CharField(max_length=10, choices=TransitionStatus, default=TransitionStatus.SCHEDULED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=500, blank=True, help_text="The medspa's note with a request.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The OpenPhone release (when the coordinator goes): the provider's own account, their acknowledgement.
    openphone_target_email = models.EmailField("new OpenPhone account (email)", blank=True)
    openphone_target_workspace = models.CharField("OpenPhone workspace id", max_length=64, blank=True)
    openphone_account_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    openphone_account_at = models.DateTimeField(null=True, blank=True)
    openphone_acknowledged_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["medspa"],
                condition=Q(status__in=OPEN_STATUSES),
                name="transition_one_open_per_medspa",
            ),
            models.CheckConstraint(
                condition=~Q(target_model=BusinessModel.FLEX) | Q(flex_revenue_split_percent__isnull=False),
                name="transition_flex_has_a_split",
            ),
            models.CheckConstraint(
                condition=Q(target_model__in=[BusinessModel.LAUNCH, BusinessModel.FLEX]),
                name="transition_targets_launch_or_flex",
            ),
            models.CheckConstraint(
                condition=~Q(kind=TransitionKind.COORDINATOR_LEAVES) | Q(keeps_coordinator=False),
                name="transition_coordinator_leaves_lets_it_go",
            ),
        ]

    def __str__(self) -> str:
        if self.lets_coordinator_go_only:
            return f"{self.medspa} lets the coordinator go on {self.effective_date:%Y-%m-%d}"
        return f"{self.medspa} to {self.get_target_model_display()} on {self.effective_date:%Y-%m-%d}"

    @property
    def lets_coordinator_go_only(self) -> bool:
        return self.kind == TransitionKind.COORDINATOR_LEAVES

    @property
    def headline(self) -> str:
        """What it is, for people: "Let the coordinator go on Dec 16, 2026" or "Move to Launch on …"."""
        day = f"{self.effective_date:%b} {self.effective_date.day}, {self.effective_date.year}"
        if self.lets_coordinator_go_only:
            return f"Let the coordinator go on {day}"
        return f"Move to {self.target_display} on {day}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def target_display(self) -> str:
        if self.target_model == BusinessModel.FLEX:
            return f"Flex ({self.flex_revenue_split_percent}% to Portrait)"
        return self.get_target_model_display()


class StepKind(models.TextChoices):
    ACUITY_IMPORT = "acuity_import", "Import future Acuity appointments into the EHR calendar"
    MODEL_CHANGE = "model_change", "Switch the business model"
    COORDINATOR_LEAVES = "coordinator_leaves", "End the coordinator's access and monthly fee"
    ACUITY_REVOKE = "acuity_revoke", "Revoke Acuity access"
    TIGERCONNECT = "tigerconnect", "Deactivate TigerConnect (support channel and users)"
    OPENPHONE = "openphone", "Release the OpenPhone number to the provider's own account"


class StepStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING = "waiting", "Waiting"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


OPEN_STEP_STATUSES = [StepStatus.PENDING, StepStatus.IN_PROGRESS, StepStatus.WAITING]


# A step's history is its real changes: re-checks that only move its next run time, and a running step's
# lease renewals, are not events.
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    exclude=["next_run_at", "lease_until", "updated_at"],
)
class TransitionStep(models.Model):
    """One dated step of a transition's plan, run by a worker (or done by hand by Portrait staff)."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    transition = models.ForeignKey(Transition, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=20, choices=StepKind)
    position = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    status = models.CharField(max_length=12, choices=StepStatus, default=StepStatus.PENDING)
    detail = models.CharField(max_length=500, blank=True, help_text="What it waits for, or why it failed.")
    needs_hand = models.BooleanField(
        default=False, help_text="The integration is not configured: a staff member does it by hand."
    )
    attempts = models.PositiveIntegerField(default=0)
    next_run_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="While in progress: the worker holds the step until then, or is gone.",
    )
    lost_runs = models.PositiveSmallIntegerField(
        default=0, help_text="Runs whose worker stopped mid-step (the lease ran out)."
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The staff member who marked it done by hand.",
    )
    hand_note = models.CharField(max_length=500, blank=True)
    external_ref = models.CharField(
        max_length=64, blank=True, help_text="The vendor's id (OpenPhone transfer)."
    )
    rounds = models.PositiveSmallIntegerField(
        default=0, help_text="Transfers OpenPhone rejected: a retry after one is a new request (a new key)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["transition", "position"]
        constraints = [models.UniqueConstraint(fields=["transition", "kind"], name="step_one_per_kind")]
        # The sweep (every minute) reads only the steps still open, not the years of done ones.
        indexes = [
            models.Index(
                fields=["status", "next_run_at"],
                condition=Q(status__in=OPEN_STEP_STATUSES),
                name="transition_step_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display().lower()})"

import secrets
import zoneinfo
from datetime import timedelta

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_scopes import ScopedManager
from phonenumber_field.modelfields import PhoneNumberField

from medspa.validators import PHONE_INVALID


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (use a name such as America/New_York).")


class BusinessModel(models.TextChoices):
    LEGACY = "legacy", "Legacy"
    LAUNCH = "launch", "Launch"
    FLEX = "flex", "Flex"


# What a medspa pays Portrait by: a save that changes one of them is followed by billing and inventory
# (medspa.plan_changes).
PLAN_FIELDS = ("business_model", "flex_revenue_split_percent", "keeps_coordinator")


def flex_revenue_split_field(**options) -> models.DecimalField:
    """Portrait's share of a Flex medspa's revenue, in percent (optional: only Flex has one), as the medspa
    holds it and as a transition to Flex plans it."""
    return models.DecimalField(
        "Flex revenue split (Portrait's share, %)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        **options,
    )


# The commercial shipping address of a medspa (inventory is delivered there), as its forms list it.
SHIPPING_ADDRESS_FIELDS = [
    "shipping_line1",
    "shipping_line2",
    "shipping_city",
    "shipping_state",
    "shipping_postal_code",
]


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Medspa(models.Model):
    """A medical spa: the tenant. Everything a medspa's people see is confined to it."""

    plan_loaded: dict | None = None  # its plan as read from the database (see plan_changes)

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True, help_text="Used in the public booking link.")
    time_zone = models.CharField(max_length=64, default="America/New_York", validators=[validate_time_zone])
    business_model = models.CharField(max_length=10, choices=BusinessModel, default=BusinessModel.LEGACY)
    flex_revenue_split_percent = flex_revenue_split_field(
        help_text="Required on Flex: the percentage of revenue that goes to Portrait."
    )
    keeps_coordinator = models.BooleanField(
        "keeps a Patient Care Coordinator",
        default=False,
        help_text="Adds the coordinator fee ($1,000 a month) to the monthly bill.",
    )
    dba = models.CharField("DBA (doing business as)", max_length=200, blank=True)
    sms_number = PhoneNumberField(
        "texting number",
        blank=True,
        error_messages={"invalid": PHONE_INVALID},
        help_text="The medspa's own number (E.164, on Portrait's Twilio account) that every text to its "
        "patients comes from and replies reach. Kept by Portrait staff.",
    )
    shipping_line1 = models.CharField("commercial shipping address", max_length=200, blank=True)
    shipping_line2 = models.CharField("address line 2", max_length=200, blank=True)
    shipping_city = models.CharField("city", max_length=100, blank=True)
    shipping_state = models.CharField("state", max_length=2, blank=True)
    shipping_postal_code = models.CharField("ZIP code", max_length=10, blank=True)
    addon_charting = models.BooleanField(
        "Charting add-on", default=False, help_text="A chart is required for every patient service visit."
    )
    addon_marketing = models.BooleanField("Marketing add-on", default=False)
    medical_director = models.ForeignKey(
        "Membership",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The physician (MD or DO) whose standing orders the medspa works under.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(flex_revenue_split_percent__isnull=True)
                | Q(flex_revenue_split_percent__gte=0, flex_revenue_split_percent__lte=100),
                name="medspa_flex_split_is_a_percentage",
            ),
            models.CheckConstraint(
                condition=~Q(business_model=BusinessModel.FLEX) | Q(flex_revenue_split_percent__isnull=False),
                name="medspa_flex_has_a_split",
            ),
            # A patient's reply reaches the medspa whose number it was sent to: one medspa a number.
            models.UniqueConstraint(
                fields=["sms_number"], condition=~Q(sms_number=""), name="medspa_sms_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.business_model == BusinessModel.FLEX and self.flex_revenue_split_percent is None:
            raise ValidationError({"flex_revenue_split_percent": "A Flex medspa needs its revenue split."})

    @property
    def display_name(self) -> str:
        """The name patients and suppliers see: the DBA when there is one."""
        return self.dba or self.name

    @classmethod
    def from_db(cls, db, field_names, values, *args, **kwargs):
        medspa = super().from_db(db, field_names, values, *args, **kwargs)
        medspa.plan_loaded = medspa.plan()
        return medspa

    def refresh_from_db(self, *args, **kwargs) -> None:
        super().refresh_from_db(*args, **kwargs)
        self.plan_loaded = self.plan()

    def plan(self) -> dict:
        """The plan fields that are loaded (a deferred one is left out rather than read)."""
        return {name: self.__dict__[name] for name in PLAN_FIELDS if name in self.__dict__}

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Membership(models.Model):
    """A user's place in a medspa and the roles they hold there; one user may be admin and provider."""

    medspa = models.ForeignKey(Medspa, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    is_admin = models.BooleanField("admin", default=False)
    is_provider = models.BooleanField("provider", default=False)
    is_coordinator = models.BooleanField("coordinator", default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["medspa", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["medspa", "user"], name="membership_one_per_user_and_medspa"),
            models.CheckConstraint(
                condition=Q(is_admin=True) | Q(is_provider=True) | Q(is_coordinator=True),
                name="membership_has_a_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.medspa} ({self.roles_display})"

    @property
    def roles_display(self) -> str:
        roles = [name for flag, name in self.role_flags() if flag]
        if len(roles) > 1:
            return ", ".join(roles[:-1]) + " and " + roles[-1]
        return roles[0] if roles else "no role"

    def role_flags(self) -> list[tuple[bool, str]]:
        return [
            (self.is_admin, "admin"),
            (self.is_provider, "provider"),
            (self.is_coordinator, "coordinator"),
        ]


class Credential(models.TextChoices):
    MD = "MD", "MD (physician)"
    DO = "DO", "DO (osteopathic physician)"
    NP = "NP", "NP (nurse practitioner)"
    PA = "PA", "PA (physician assistant)"
    RN = "RN", "RN (registered nurse)"


# An RN may gather GFE information but never clear; MD / DO / NP may; a PA where the state allows.
CLEARING_CREDENTIALS = {Credential.MD, Credential.DO, Credential.NP, Credential.PA}


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class ProviderProfile(models.Model):
    """What a provider is licensed and trusted to do in one medspa, with their signature and headshot."""

    medspa = models.ForeignKey(Medspa, on_delete=models.CASCADE, related_name="provider_profiles")
    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="provider_profile")
    credential = models.CharField(max_length=2, choices=Credential, blank=True)
    position = models.CharField(max_length=100, blank=True)
    can_clear_gfe = models.BooleanField("may clear GFEs", default=False)
    signature = models.FileField(upload_to="signatures/", blank=True)
    headshot = models.ImageField(upload_to="headshots/", blank=True)
    photo_id = models.FileField("photo ID", upload_to="photo-ids/", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["membership__user__email"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(credential=Credential.RN, can_clear_gfe=True)
                & ~Q(credential="", can_clear_gfe=True),
                name="provider_rn_never_clears",
            )
        ]

    def __str__(self) -> str:
        return f"{self.membership.user} ({self.credential or 'no credential'})"

    def clean(self) -> None:
        super().clean()
        if self.can_clear_gfe and self.credential not in CLEARING_CREDENTIALS:
            message = "Only an MD, DO, NP or PA may clear GFEs; an RN may only gather information."
            raise ValidationError({"can_clear_gfe": message})
        if self.membership_id and self.medspa_id and self.membership.medspa_id != self.medspa_id:
            raise ValidationError("The profile and its membership must belong to the same medspa.")


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class ProviderLicence(models.Model):
    """A state licence held by a provider: number, state and expiry."""

    medspa = models.ForeignKey(Medspa, on_delete=models.CASCADE, related_name="+")
    profile = models.ForeignKey(ProviderProfile, on_delete=models.CASCADE, related_name="licences")
    number = models.CharField(max_length=50)
    state = models.CharField(max_length=2, help_text="Two-letter state code, e.g. CA.")
    expires_on = models.DateField()

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["state", "number"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "state", "number"], name="licence_unique_per_profile")
        ]

    def __str__(self) -> str:
        return f"{self.state} {self.number} (expires {self.expires_on:%Y-%m-%d})"

    @property
    def is_current(self) -> bool:
        return self.expires_on >= timezone.localdate()


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


def _invitation_expiry():
    return timezone.now() + timedelta(days=7)


class Invitation(models.Model):
    """An emailed invitation to join a medspa with the given roles; usable once, for seven days."""

    medspa = models.ForeignKey(Medspa, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    as_admin = models.BooleanField("admin", default=False)
    as_provider = models.BooleanField("provider", default=True)
    as_coordinator = models.BooleanField("coordinator", default=False)
    token = models.CharField(max_length=64, unique=True, default=_invitation_token, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_invitation_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True, help_text="When the invitation email went.")
    # While the email is owed: when the sweep sends it (again), after a lease or a failed send.
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_next_attempt_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=300, blank=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(as_admin=True) | Q(as_provider=True) | Q(as_coordinator=True),
                name="invitation_has_a_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.medspa}"

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class MedicalDirectorRequest(models.Model):
    """An admin's request that Portrait create a physician user to be the medspa's medical director.
    Portrait staff work these in Django admin."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for Portrait"
        DONE = "done", "Physician created"
        DECLINED = "declined", "Declined"

    medspa = models.ForeignKey(Medspa, on_delete=models.CASCADE, related_name="medical_director_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    physician_name = models.CharField(
        max_length=150, blank=True, help_text="If you have a physician in mind."
    )
    physician_email = models.EmailField(blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.OPEN)
    staff_note = models.TextField(blank=True, help_text="Shown to the medspa admin.")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["medspa"], condition=Q(status="open"), name="one_open_medical_director_request"
            )
        ]

    def __str__(self) -> str:
        return f"Medical director for {self.medspa} ({self.get_status_display()})"

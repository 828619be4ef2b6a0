"""The paperwork of an appointment: the intake forms its type names and the consents its service needs, and
which are done. One rule for the calendar, the patient's profile, the To-Do, the reminder and the patient's
own paperwork page.

A form is done when the patient submitted it for this appointment (any version of it). A consent is signed
when a signature of its current version covers the visit (services_catalog.selectors.consents: within a
year before it), whether taken on the provider's screen or from the paperwork link.

The patient's link (`paperwork_link`) is signed with the site's secret and names the appointment and a part
of its manage token: it cannot be guessed or moved to another appointment, and it ends (`paperwork_open`
answers None) when the appointment is over or cancelled, or after PAPERWORK_LINK_MAX_AGE."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from medspa.models import Patient
from scheduling.models import Appointment, AppointmentStatus, IntakeResponse, Location
from services_catalog.models import ConsentSignature, ConsentVersion, IntakeForm, Service
from services_catalog.selectors import consents as consent_selectors

PAPERWORK_SALT = "scheduling.paperwork"
# Longer than any booking horizon (at most a year ahead), so that only the appointment's end closes it.
PAPERWORK_LINK_MAX_AGE = timedelta(days=400)
# Statuses whose paperwork is still to do: a checked-in patient may finish it in the waiting room.
OPEN_STATUSES = [AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED, AppointmentStatus.CHECKED_IN]


@dataclass
class Paperwork:
    """An appointment's paperwork: each form with the patient's latest response to it for this appointment
    (or None), each consent version with the signature covering the visit (or None)."""

    forms: list[tuple[IntakeForm, IntakeResponse | None]] = field(default_factory=list)
    consents: list[tuple[ConsentVersion, ConsentSignature | None]] = field(default_factory=list)

    @property
    def needed(self) -> bool:
        return bool(self.forms or self.consents)

    @property
    def forms_done(self) -> int:
        return sum(1 for _, response in self.forms if response is not None)

    @property
    def consents_signed(self) -> int:
        return sum(1 for _, signature in self.consents if signature is not None)

    @property
    def forms_complete(self) -> bool:
        return self.forms_done == len(self.forms)

    @property
    def consents_complete(self) -> bool:
        return self.consents_signed == len(self.consents)

    @property
    def complete(self) -> bool:
        return self.forms_complete and self.consents_complete

    @property
    def label(self) -> str:
        """One line, as the calendar and the To-Do print it: "Forms 1 of 2 · Consents signed"."""
        if not self.needed:
            return "No paperwork"
        parts = []
        if self.forms:
            parts.append(
                "Forms complete" if self.forms_complete else f"Forms {self.forms_done} of {len(self.forms)}"
            )
        if self.consents:
            parts.append(
                "Consents signed"
                if self.consents_complete
                else f"Consents {self.consents_signed} of {len(self.consents)}"
            )
        return " · ".join(parts)


def _services(appointments: list[Appointment]) -> dict[int, Service]:
    ids = {appointment.appointment_type.service_id for appointment in appointments}
    return (
        Service.objects.prefetch_related("consents__versions", "library_service__consents__versions")
        .select_related("library_service")
        .in_bulk(ids)
    )


def paperwork_of(appointments: Iterable[Appointment]) -> dict[int, Paperwork]:
    """The paperwork of each appointment, by id, in a fixed number of queries whatever their number (select
    "appointment_type" on them). Merged-away records of the patient count, as on the chart."""
    appointments = list(appointments)
    if not appointments:
        return {}
    type_ids = {appointment.appointment_type_id for appointment in appointments}
    forms_of_type: dict[int, list[IntakeForm]] = {type_id: [] for type_id in type_ids}
    through = appointments[0].appointment_type.intake_forms.through
    for row in through.objects.filter(appointmenttype_id__in=type_ids).select_related("intakeform"):
        forms_of_type[row.appointmenttype_id].append(row.intakeform)
    latest: dict[tuple[int, int], IntakeResponse] = {}
    asking = [a.pk for a in appointments if forms_of_type[a.appointment_type_id]]
    for response in (
        IntakeResponse.objects.filter(appointment_id__in=asking)
        .select_related("version")
        .order_by("-submitted_at")
        if asking
        else []
    ):
        latest.setdefault((response.appointment_id, response.version.form_id), response)

    services = _services(appointments)
    versions_of_service = {pk: consent_selectors.current_consent_versions([s]) for pk, s in services.items()}
    version_ids = {version.pk for versions in versions_of_service.values() for version in versions}
    signing = [a for a in appointments if versions_of_service.get(a.appointment_type.service_id)]
    patient_ids = {appointment.patient_id for appointment in signing}
    records: dict[int, set[int]] = {pk: {pk} for pk in patient_ids}
    # Each (patient record, consent version)'s signatures, newest first.
    signed: dict[tuple[int, int], list[ConsentSignature]] = defaultdict(list)
    if signing:
        with scopes_disabled():  # merged-away records, which are in the same medspa
            merged = Patient._base_manager.filter(merged_into_id__in=patient_ids).values_list(
                "pk", "merged_into_id"
            )
            for pk, into in merged:
                records[into].add(pk)
        for signature in ConsentSignature.objects.filter(
            patient_id__in=[pk for group in records.values() for pk in group],
            version_id__in=version_ids,
            signed_at__gte=min(a.start for a in signing) - consent_selectors.CONSENT_VALID_FOR,
        ).order_by("-signed_at"):
            signed[signature.patient_id, signature.version_id].append(signature)

    result = {}
    for appointment in appointments:
        paperwork = Paperwork()
        for form in sorted(forms_of_type[appointment.appointment_type_id], key=lambda form: form.title):
            paperwork.forms.append((form, latest.get((appointment.pk, form.pk))))
        since = appointment.start - consent_selectors.CONSENT_VALID_FOR
        own = records.get(appointment.patient_id, set())
        for version in versions_of_service.get(appointment.appointment_type.service_id, []):
            covering = max(
                (
                    signature
                    for record in own
                    for signature in signed.get((record, version.pk), [])[:1]
                    if signature.signed_at >= since
                ),
                key=lambda signature: signature.signed_at,
                default=None,
            )
            paperwork.consents.append((version, covering))
        result[appointment.pk] = paperwork
    return result


def appointment_paperwork(appointment: Appointment) -> Paperwork:
    return paperwork_of([appointment])[appointment.pk]


# --- The patient's link -------------------------------------------------------------------------------------


def _proof(appointment: Appointment) -> str:
    return appointment.manage_token[:16]


def paperwork_token(appointment: Appointment) -> str:
    return signing.dumps({"a": appointment.pk, "p": _proof(appointment)}, salt=PAPERWORK_SALT, compress=True)


def paperwork_link(appointment: Appointment) -> str:
    """The absolute address of the appointment's paperwork page, for messages and the manage page."""
    return settings.SITE_URL.rstrip("/") + reverse("booking_paperwork", args=[paperwork_token(appointment)])


def paperwork_open(token: str, *, now: datetime | None = None) -> Appointment | None:
    """The appointment a paperwork link opens, or None when the link is not one of ours, was altered, is too
    old, or its appointment is over, cancelled or gone. Reads across medspas (the caller enters the
    appointment's medspa scope)."""
    if len(token) > 300:
        return None
    try:
        data = signing.loads(token, salt=PAPERWORK_SALT, max_age=PAPERWORK_LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("a"), int):
        return None
    with scopes_disabled():
        appointment = (
            Appointment.objects.select_related("medspa", "location", "patient", "appointment_type")
            .filter(pk=data["a"])
            .first()
        )
    if appointment is None or data.get("p") != _proof(appointment):
        return None
    if appointment.status not in OPEN_STATUSES or appointment.end <= (now or timezone.now()):
        return None
    return appointment


def paperwork_link_location(token: str) -> Location | None:
    """The location of the appointment a genuine paperwork link names, open or not (None for anything else):
    the page that says a link has ended gives its phone number. Reads across medspas."""
    if len(token) > 300:
        return None
    try:
        data = signing.loads(token, salt=PAPERWORK_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("a"), int):
        return None
    with scopes_disabled():
        appointment = Appointment.objects.select_related("location").filter(pk=data["a"]).first()
    if appointment is None or data.get("p") != _proof(appointment):
        return None
    return appointment.location

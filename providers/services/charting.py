"""Service-visit charting: starting a visit, the services performed (through the GFE gate and the medical
director's standing orders), the patient's consent signatures, products and lots used, notes, photos, the
provider's signature that locks the chart (or an admin's on their behalf, through a masquerade, which waits
for the provider's co-signature), and addenda after it. What they read (the GFE gate, the consents needed,
who may sign) is providers.selectors.charts.

Every function takes the acting user and checks the rule it owns; views only translate. A broken rule
raises ChartingRefused with a sentence for the person at the screen."""

from datetime import date, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from medspa import images
from medspa.errors import DomainError
from medspa.models import Membership, Patient, User
from medspa.money import MAX_MONEY, money_format
from medspa.selectors.masquerade import (
    SignatureNotPersonal,
    acting_impersonator_id,
    signature_personal_require,
)
from providers.models import ChartAddendum, Visit, VisitConsent, VisitPhoto, VisitProduct, VisitService
from providers.models.visits import VisitStatus
from providers.selectors import charts
from scheduling.models import Appointment, AppointmentStatus, Location
from services_catalog.models import ConsentVersion, Service
from services_catalog.services import errors as catalog_errors
from services_catalog.services import texts as catalog_texts

# Starting the same walk-in again within this window returns the one just started.
RESTART_WINDOW = timedelta(minutes=5)


class ChartingRefused(DomainError):
    """A charting rule said no; the message says why, for the person at the screen."""


class ChartSignatureNotPersonal(ChartingRefused, SignatureNotPersonal):
    """A signature on the chart that only the provider themself gives (an addendum, a consent's witness)
    asked of a masquerade, or a chart signed on behalf by someone who is not the medspa's admin."""


ADDENDUM_NOT_PERSONAL = "add a signed addendum to their chart"


def _editable(visit: Visit, *, billing: bool = False) -> None:
    """Raises unless the chart can still change (and, for what is charged, unless it is not paid yet)."""
    if visit.status == VisitStatus.VOIDED:
        raise ChartingRefused("This visit was voided.")
    if visit.is_signed:
        raise ChartingRefused("The chart is signed and locked: add an addendum instead.")
    if billing and visit.status != VisitStatus.OPEN:
        raise ChartingRefused("The visit is checked out: its services and products are on the paid bill.")


def _locked(visit: Visit) -> Visit:
    return Visit.objects.select_for_update().select_related("location", "patient", "medspa").get(pk=visit.pk)


# --- Starting -----------------------------------------------------------------------------------------------


@transaction.atomic
def visit_start_from_appointment(*, appointment: Appointment, by: User) -> Visit:
    """The visit of a checked-in (or completed, not yet charted) appointment: the one already started, if
    there is one. The appointment's service is added when the patient is cleared for it; otherwise the chart
    shows why it is not."""
    appointment = (
        Appointment.objects.select_for_update().select_related("location", "patient").get(pk=appointment.pk)
    )
    existing = Visit.objects.filter(appointment=appointment).first()
    if existing is not None:
        return existing
    # A completed appointment without a chart (marked completed in the calendar) is charted afterwards.
    if appointment.status not in (AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED):
        raise ChartingRefused("Check the patient in first: a visit starts from a checked-in appointment.")
    visit = Visit.objects.create(
        medspa_id=appointment.medspa_id,
        patient=appointment.patient,
        provider=appointment.provider,
        appointment=appointment,
        location=appointment.location,
        started_by=by,
    )
    service = appointment.appointment_type.service
    if service.is_active and not charts.service_refusal(visit, service):
        _service_create(visit, service)
    return visit


@transaction.atomic
def visit_start_walk_in(*, patient: Patient, provider: Membership, location: Location, by: User) -> Visit:
    """A visit without an appointment."""
    if not provider.is_provider or not provider.is_active:
        raise ChartingRefused("Only an active provider can chart a visit.")
    if location.medspa_id != patient.medspa_id or provider.medspa_id != patient.medspa_id:
        raise ChartingRefused("The patient, the provider and the location must be of one medspa.")
    if patient.status == "archived":
        raise ChartingRefused("This patient is archived: restore them before a visit.")
    # A double-click or a resent form finds the walk-in it just started instead of making a second one.
    recent = Visit.objects.filter(
        patient=patient,
        provider=provider,
        location=location,
        appointment__isnull=True,
        status=VisitStatus.OPEN,
        started_at__gte=timezone.now() - RESTART_WINDOW,
    ).first()
    if recent is not None:
        return recent
    return Visit.objects.create(
        medspa_id=patient.medspa_id, patient=patient, provider=provider, location=location, started_by=by
    )


@transaction.atomic
def visit_void(*, visit: Visit, reason: str, by: User) -> Visit:
    """Drops a visit started by mistake: only while nothing is paid and the chart is unsigned."""
    visit = _locked(visit)
    _editable(visit, billing=True)
    if not reason.strip():
        raise ChartingRefused("Say why the visit is voided.")
    visit.status, visit.void_reason = VisitStatus.VOIDED, reason.strip()[:300]
    if visit.appointment_id is not None:  # the appointment can be charted again, by a new visit
        visit.void_reason = f"{visit.void_reason} (appointment {visit.appointment_id})"[:300]
        visit.appointment = None
    visit.save(update_fields=["status", "void_reason", "appointment", "updated_at"])
    return visit


# --- Services -----------------------------------------------------------------------------------------------


def _service_create(visit: Visit, service: Service) -> VisitService:
    standing_order = service.effective_standing_order
    return VisitService.objects.create(
        medspa_id=visit.medspa_id,
        visit=visit,
        service=service,
        price=service.price,
        standing_order_version=standing_order.current_version if standing_order else None,
    )


@transaction.atomic
def visit_service_add(*, visit: Visit, service: Service) -> VisitService:
    """Adds a performed service: active, cleared on the visit's day (the GFE gate), its standing order
    signed off. Its price is the service's price now."""
    visit = _locked(visit)
    _editable(visit, billing=True)
    if visit.services.filter(service=service).exists():
        raise ChartingRefused(f"{service.display_name} is already in this visit.")
    refusal = charts.service_refusal(visit, service)
    if refusal:
        raise ChartingRefused(refusal)
    return _service_create(visit, service)


@transaction.atomic
def visit_service_remove(*, visit_service: VisitService) -> None:
    """Removes a service and the products recorded under it."""
    visit = _locked(visit_service.visit)
    _editable(visit, billing=True)
    VisitProduct.objects.filter(visit_service=visit_service).delete()
    visit_service.delete()


# --- Consents -----------------------------------------------------------------------------------------------


@transaction.atomic
def visit_consent_sign(
    *, visit: Visit, version: ConsentVersion, signature_png: bytes, by: User, ip: str | None
) -> VisitConsent:
    """The patient signs a consent of the visit on screen: the exact version they read, the time, the IP
    and the drawn signature are kept (re-encoded and downscaled, medspa.images). The provider witnesses it
    in person: never through a masquerade."""
    signature_personal_require(catalog_errors.WITNESS_NOT_PERSONAL, error=ChartSignatureNotPersonal)
    try:
        signature_png = images.signature_normalise(signature_png)
    except images.ImageRefused as refused:
        raise ChartingRefused(str(refused)) from None
    visit = _locked(visit)
    _editable(visit)
    need = next((need for need in charts.consents_needed(visit) if need.version.pk == version.pk), None)
    if need is None:
        raise ChartingRefused(
            "This consent is not one this visit needs, or it has a newer version: reload the page."
        )
    if need.signed_in_visit:
        raise ChartingRefused("The patient already signed this consent in this visit.")
    signature = catalog_texts.consent_sign(
        patient=visit.patient,
        version=version,
        witnessed_by=by,
        ip=ip,
        signature=ContentFile(signature_png, name=f"consent-{visit.patient_id}-{version.pk}.png"),
    )
    return VisitConsent.objects.update_or_create(
        visit=visit,
        version=version,
        defaults={"medspa_id": visit.medspa_id, "signature": signature, "signed_in_visit": True},
    )[0]


def consents_check(visit: Visit) -> list:
    """Refuses while a consent is unsigned, writing nothing; the visit's consent needs otherwise (none for a
    signed chart, whose consents were settled when it was signed: a consent revised since does not reopen
    it)."""
    if visit.is_signed:
        return []
    needs = charts.consents_needed(visit)
    unsigned = [need.consent.title for need in needs if not need.is_covered]
    if unsigned:
        raise ChartingRefused(f"The patient has not signed: {', '.join(unsigned)}.")
    return needs


def consents_settle(visit: Visit) -> None:
    """Refuses while a consent is unsigned; records the earlier signatures that cover the others."""
    for need in consents_check(visit):
        VisitConsent.objects.get_or_create(
            visit=visit,
            version=need.version,
            defaults={"medspa_id": visit.medspa_id, "signature": need.covered_by, "signed_in_visit": False},
        )


# --- Products, notes, photos --------------------------------------------------------------------------------


@transaction.atomic
def visit_product_add(
    *,
    visit: Visit,
    name: str,
    units: Decimal,
    lot_number: str,
    expires_on: date,
    unit_label: str = "units",
    unit_price: Decimal = Decimal("0"),
    visit_service: VisitService | None = None,
) -> VisitProduct:
    """Records a product used, with its lot; an expired lot is refused (it must not be injected)."""
    visit = _locked(visit)
    _editable(visit, billing=True)
    if units <= 0:
        raise ChartingRefused("Units must be more than zero.")
    if unit_price < 0:
        raise ChartingRefused("The price per unit cannot be negative.")
    if not name.strip() or not lot_number.strip():
        raise ChartingRefused("Name the product and its lot number.")
    if expires_on < charts.visit_day(visit):
        raise ChartingRefused(f"Lot {lot_number} expired on {expires_on:%b %-d, %Y}: it must not be used.")
    if units * unit_price > MAX_MONEY:
        raise ChartingRefused(
            f"{units} × {money_format(unit_price)} is more than one charge can be "
            f"({money_format(MAX_MONEY)})."
        )
    if visit_service is not None and visit_service.visit_id != visit.pk:
        raise ChartingRefused("That service is not in this visit.")
    return VisitProduct.objects.create(
        medspa_id=visit.medspa_id,
        visit=visit,
        visit_service=visit_service,
        name=name.strip()[:200],
        units=units,
        unit_label=(unit_label.strip() or "units")[:30],
        unit_price=unit_price,
        lot_number=lot_number.strip()[:60],
        expires_on=expires_on,
    )


@transaction.atomic
def visit_product_remove(*, product: VisitProduct) -> None:
    visit = _locked(product.visit)
    _editable(visit, billing=True)
    product.delete()


@transaction.atomic
def visit_notes_save(*, visit: Visit, notes: str) -> Visit:
    visit = _locked(visit)
    _editable(visit)
    visit.notes = notes
    visit.save(update_fields=["notes", "updated_at"])
    return visit


@transaction.atomic
def visit_photo_add(*, visit: Visit, kind: str, image, caption: str, by: User) -> VisitPhoto:
    """Stores a before/after photo through Django's storage (a random name, never a public URL)."""
    visit = _locked(visit)
    _editable(visit)
    if kind not in VisitPhoto.Kind.values:
        raise ChartingRefused("A photo is either before or after.")
    return VisitPhoto.objects.create(
        medspa_id=visit.medspa_id,
        visit=visit,
        kind=kind,
        image=image,
        caption=caption.strip()[:200],
        uploaded_by=by,
    )


@transaction.atomic
def visit_photo_remove(*, photo: VisitPhoto) -> None:
    visit = _locked(photo.visit)
    _editable(visit)
    stored = photo.image.name
    storage = photo.image.storage
    photo.delete()
    transaction.on_commit(lambda: storage.delete(stored))


# --- Signing ------------------------------------------------------------------------------------------------


@transaction.atomic
def chart_sign(*, visit: Visit, by: User) -> Visit:
    """The provider signs the chart; from now on it is locked (the database refuses changes).

    Signed through a masquerade, it is the admin's signature, recorded on behalf of the provider: the
    chart stays open and waits in the provider's To-Do, and the provider's own signature later is their
    co-signature, which locks it. Only an admin of the visit's medspa signs on a provider's behalf."""
    visit = _locked(visit)
    refusal = charts.sign_refusal(visit, by)
    if refusal:
        raise ChartingRefused(refusal)
    consents_settle(visit)
    impersonator = acting_impersonator_id()
    if impersonator is not None:
        refusal = charts.on_behalf_refusal(visit)
        if refusal:
            raise ChartSignatureNotPersonal(refusal)
        visit.signed_on_behalf_at, visit.signed_on_behalf_by_id = timezone.now(), impersonator
        visit.signed_on_behalf_of = visit.provider
        visit.save(
            update_fields=["signed_on_behalf_at", "signed_on_behalf_by", "signed_on_behalf_of", "updated_at"]
        )
        return visit
    visit.chart_signed_at, visit.chart_signed_by = timezone.now(), by
    visit.save(update_fields=["chart_signed_at", "chart_signed_by", "updated_at"])
    return visit


@transaction.atomic
def chart_addendum_add(*, visit: Visit, text: str, by: User) -> ChartAddendum:
    """A signed, timestamped addition to a signed chart, by the visit's provider themself."""
    signature_personal_require(ADDENDUM_NOT_PERSONAL, error=ChartSignatureNotPersonal)
    visit = _locked(visit)
    if not visit.is_signed:
        raise ChartingRefused("The chart is not signed yet: edit it directly.")
    if visit.provider.user_id != by.pk:
        raise ChartingRefused("Only the provider who performed the visit adds to its chart.")
    if not text.strip():
        raise ChartingRefused("Write the addendum first.")
    return ChartAddendum.objects.create(
        medspa_id=visit.medspa_id, visit=visit, text=text.strip(), signed_by=by
    )

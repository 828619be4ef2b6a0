"""A visit's chart as a PDF (fpdf2, in the Noto fonts of `medspa.pdf`): the patient, the visit, what was done
with which lots, the consents, the notes, and who signed it, on whose behalf, and the provider's
co-signature."""

from medspa import clock
from medspa.pdf import Document
from providers.models import Visit
from providers.selectors import charts


def chart_pdf_bytes(visit: Visit) -> bytes:
    """The chart, signed or not, as a PDF document; the signature lines are the chart page's own."""
    medspa = visit.medspa
    document = Document(title=f"Visit chart {visit.pk}", author=visit.provider.user.get_full_name())
    line, heading, fact = document.line, document.heading, document.fact

    patient = visit.patient
    started = clock.local(charts.visit_moment(visit), medspa)
    line(medspa.name, size=11, style="B")
    line("Visit chart", size=18, style="B", height=10)
    fact("Patient", patient.full_name)
    fact("Date of birth", f"{patient.date_of_birth:%B %-d, %Y}" if patient.date_of_birth else "")
    fact("Visit", f"{started:%B %-d, %Y %-I:%M %p} ({medspa.time_zone}), {visit.location.name}")
    fact("Provider", visit.provider.user.get_full_name())
    fact("Status", visit.get_status_display())

    heading("Services")
    rows = visit.services.select_related("service__library_service", "standing_order_version__standing_order")
    for row in rows:
        order = row.standing_order_version
        fact(row.service.display_name, f"standing order version {order.number}" if order else "")
    if not rows:
        line("None recorded")

    heading("Products and lots")
    products = list(visit.products.all())
    for product in products:
        fact(
            product.name,
            f"{product.units} {product.unit_label}, lot {product.lot_number}, "
            f"expires {product.expires_on:%b %-d, %Y}",
        )
    if not products:
        line("None recorded")

    heading("Consents")
    consents = list(visit.consents.select_related("version__consent", "signature"))
    for consent in consents:
        signed = clock.local(consent.signature.signed_at, medspa)
        fact(consent.version.consent.title, f"version {consent.version.number}, signed {signed:%b %-d, %Y}")
    if not consents:
        line("None recorded")

    heading("Clinical notes")
    line(visit.notes or "None")

    heading("Signature")
    for text in charts.chart_signature_lines(visit) or ["Not signed."]:
        line(text)

    addenda = list(visit.addenda.select_related("signed_by"))
    if addenda:
        heading("Addenda")
        for addendum in addenda:
            signed = clock.local(addendum.signed_at, medspa)
            line(f"{addendum.signed_by.get_full_name()}, {signed:%b %-d, %Y %-I:%M %p}", style="B")
            line(addendum.text)
    return document.output()

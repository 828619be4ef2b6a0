"""A visit's chart as a PDF (fpdf2, built-in fonts): the patient, the visit, what was done with which lots,
the consents, the notes, and who signed it, on whose behalf, and the provider's co-signature."""

from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from medspa.pdf import pdf_text
from providers import charting
from providers.models import Visit


def chart_pdf_bytes(visit: Visit) -> bytes:
    """The chart, signed or not, as a PDF document; the signature lines are the chart page's own."""
    medspa = visit.medspa
    pdf = FPDF(format="Letter")
    pdf.set_title(pdf_text(f"Visit chart {visit.pk}"))
    pdf.set_author(pdf_text(visit.provider.user.get_full_name()))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    width = pdf.epw

    def line(text, *, size=10, style="", height=5.5):
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(width, height, pdf_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(text):
        pdf.ln(3)
        line(text, size=12, style="B", height=7)

    def fact(label, value):
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(45, 5.5, pdf_text(label))
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(width - 45, 5.5, pdf_text(value or "-"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    patient = visit.patient
    started = timezone.localtime(charting.visit_moment(visit), medspa.tz)
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
        fact(product.name, f"{product.units} {product.unit_label}, lot {product.lot_number}, "
                           f"expires {product.expires_on:%b %-d, %Y}")  # fmt: skip
    if not products:
        line("None recorded")

    heading("Consents")
    consents = list(visit.consents.select_related("version__consent", "signature"))
    for consent in consents:
        signed = timezone.localtime(consent.signature.signed_at, medspa.tz)
        fact(consent.version.consent.title, f"version {consent.version.number}, signed {signed:%b %-d, %Y}")
    if not consents:
        line("None recorded")

    heading("Clinical notes")
    line(visit.notes or "None")

    heading("Signature")
    for text in charting.chart_signature_lines(visit) or ["Not signed."]:
        line(text)

    addenda = list(visit.addenda.select_related("signed_by"))
    if addenda:
        heading("Addenda")
        for addendum in addenda:
            signed = timezone.localtime(addendum.signed_at, medspa.tz)
            line(f"{addendum.signed_by.get_full_name()}, {signed:%b %-d, %Y %-I:%M %p}", style="B")
            line(addendum.text)
    return bytes(pdf.output())

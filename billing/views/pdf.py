"""A bill as a PDF document (fpdf2): Portrait's header, the medspa and its shipping address as the bill
recorded them when it was made, the bill's number, month and date, whether it is paid (on which day, with
which card) or past due, its lines and total; and the download response that carries it."""

from django.http import HttpResponse
from django.utils.formats import date_format

from billing.models import Bill, BillLine
from billing.selectors.payments import NOTHING_DUE, PaymentState
from billing.services.bills import NOTHING_TO_BILL
from medspa import clock
from medspa.money import money_format as money
from medspa.pdf import FAMILY, Document


def filename(bill: Bill) -> str:
    return f"portrait-bill-{bill.number}.pdf"


def bill_pdf_bytes(bill: Bill, lines: list[BillLine], payment: PaymentState | None = None) -> bytes:
    generated = clock.local(bill.generated_at, bill.medspa)
    month = date_format(bill.month, "F Y")
    document = Document(
        title=f"Portrait bill {bill.number}", author="Portrait", created=bill.generated_at, label_width=35
    )
    line, fact, pdf = document.line, document.fact, document.pdf

    line("Portrait", size=20, style="B", height=10)
    line(f"Monthly bill for {month}", size=12, height=7)
    pdf.ln(4)
    line(bill.display_name, size=11, style="B")
    if bill.business_dba:
        line(bill.business_name)
    for address_line in bill.address_lines:
        line(address_line)
    pdf.ln(4)
    fact("Bill number", bill.number)
    fact("Month", month)
    fact("Generated", date_format(generated, "F j, Y"))
    if payment is not None and payment.code != NOTHING_DUE:
        fact("Payment", payment.summary)
    pdf.ln(5)

    pdf.set_font(FAMILY, "", 10)
    with pdf.table(
        col_widths=(70, 10, 20),
        text_align=("LEFT", "RIGHT", "RIGHT"),
        first_row_as_headings=True,
        line_height=6,
    ) as table:
        heading = table.row()
        for label in ("Description", "Quantity", "Amount"):
            heading.cell(label)
        for bill_line in lines:
            row = table.row()
            row.cell(bill_line.description)
            row.cell(str(bill_line.quantity))
            row.cell(money(bill_line.amount))
        if not lines:
            row = table.row()
            row.cell("Nothing to bill this month")
            row.cell("")
            row.cell(money(bill.total))
    pdf.ln(3)
    line(f"Total: {money(bill.total)}", size=12, style="B", height=7, align="R")
    if not lines:
        pdf.ln(3)
        line(NOTHING_TO_BILL, size=10, height=5)
    pdf.ln(6)
    line(
        "The coordinator's monthly fee is split by calendar days when the plan changed during the month. "
        "Questions about this bill: write to Portrait, quoting its number.",
        size=8,
        height=4,
    )
    return document.output()


def bill_response(bill: Bill, lines, payment: PaymentState | None = None) -> HttpResponse:
    response = HttpResponse(bill_pdf_bytes(bill, lines, payment), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename(bill)}"'
    response["Cache-Control"] = "private, no-store"
    return response

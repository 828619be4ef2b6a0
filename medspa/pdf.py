"""PDFs of records (GFE exams, charts, monthly bills) in fpdf2's built-in fonts, which know Latin-1 only."""

import unicodedata

_PLAIN = str.maketrans(
    {
        "‘": "'", "’": "'", "‚": ",", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-", "−": "-",
        "…": "...", "·": "-", "•": "-", "\u00a0": " ", "\u202f": " ", "\u2009": " ",
    }
)  # fmt: skip


def pdf_text(value) -> str:
    """`value` as text the built-in fonts can print, never raising: typographic punctuation is made plain,
    and a character outside Latin-1 loses its accents (or becomes "?")."""
    return "".join(_latin1(char) for char in str(value).translate(_PLAIN))


def _latin1(char: str) -> str:
    if ord(char) < 256:
        return char
    bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return bare.encode("latin-1", "replace").decode("latin-1") or "?"


class Document:
    """A Letter-size PDF of one record (an exam, a chart, a bill), written top to bottom in the house's plain
    layout: lines, headings, and label / value facts. `pdf` is the fpdf2 document, for images and tables."""

    def __init__(self, *, title: str, author: str, created=None, label_width: float = 45):
        from fpdf import FPDF

        self.pdf = FPDF(format="Letter")
        self.pdf.set_title(pdf_text(title))
        self.pdf.set_author(pdf_text(author))
        if created is not None:
            self.pdf.set_creation_date(created)
        self.pdf.set_auto_page_break(auto=True, margin=18)
        self.pdf.add_page()
        self.width = self.pdf.epw
        self.label_width = label_width

    def line(self, text, *, size=10, style="", height=5.5, align="L") -> None:
        from fpdf.enums import XPos, YPos

        self.pdf.set_font("Helvetica", style, size)
        self.pdf.multi_cell(
            self.width, height, pdf_text(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def heading(self, text) -> None:
        self.pdf.ln(3)
        self.line(text, size=12, style="B", height=7)

    def fact(self, label, value) -> None:
        """A bold label, then its value (a dash when empty) wrapping beside it."""
        from fpdf.enums import XPos, YPos

        self.pdf.set_font("Helvetica", "B", 10)
        self.pdf.cell(self.label_width, 5.5, pdf_text(label))
        self.pdf.set_font("Helvetica", "", 10)
        self.pdf.multi_cell(
            self.width - self.label_width, 5.5, pdf_text(value or "-"), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def output(self) -> bytes:
        return bytes(self.pdf.output())

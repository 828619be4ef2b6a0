"""PDFs of records (GFE exams, charts, monthly bills) in the Noto Sans fonts shipped in `medspa/fonts/`, so a
name in Arabic, Hebrew, Chinese or Cyrillic prints as written."""

from pathlib import Path

from fpdf import FPDF

FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "notosans"
# The main family, then the fallbacks fpdf2 tries glyph by glyph: (family, {style: file}).
_FACES = (
    (FAMILY, {"": "NotoSans-Regular.ttf", "B": "NotoSans-Bold.ttf"}),
    ("notosansarabic", {"": "NotoSansArabic-Regular.ttf", "B": "NotoSansArabic-Bold.ttf"}),
    ("notosanshebrew", {"": "NotoSansHebrew-Regular.ttf", "B": "NotoSansHebrew-Bold.ttf"}),
)
# Chinese is a 10 MB file that takes longer to read than the rest of a PDF to write: it is added the first
# time a text needs it.
_HAN = ("notosanssc", "NotoSansSC-Regular.ttf")
_HAN_FROM = 0x2E80  # CJK radicals, punctuation, kana and ideographs all sit above this point


class _FPDF(FPDF):
    """fpdf2's document, which reads the Chinese font the first time a text holds a CJK character."""

    def normalize_text(self, text: str) -> str:
        if _HAN[0] not in self.fonts and any(ord(char) >= _HAN_FROM for char in text):
            self.add_font(_HAN[0], "", FONTS / _HAN[1])
            self.set_fallback_fonts([family for family, _ in _FACES[1:]] + [_HAN[0]], exact_match=False)
        return super().normalize_text(text)


class Document:
    """A Letter-size PDF of one record (an exam, a chart, a bill), written top to bottom in the house's plain
    layout: lines, headings, and label / value facts. `pdf` is the fpdf2 document, for images and tables;
    its text is shaped (Arabic joins, Hebrew and Arabic run right to left)."""

    def __init__(self, *, title: str, author: str, created=None, label_width: float = 45):
        self.pdf = _FPDF(format="Letter")
        for family, styles in _FACES:
            for style, file in styles.items():
                self.pdf.add_font(family, style, FONTS / file)
        self.pdf.set_fallback_fonts([family for family, _ in _FACES[1:]], exact_match=False)
        self.pdf.set_text_shaping(True)
        self.pdf.set_font(FAMILY, "", 10)
        self.pdf.set_title(str(title))
        self.pdf.set_author(str(author))
        if created is not None:
            self.pdf.set_creation_date(created)
        self.pdf.set_auto_page_break(auto=True, margin=18)
        self.pdf.add_page()
        self.width = self.pdf.epw
        self.label_width = label_width

    def line(self, text, *, size=10, style="", height=5.5, align="L") -> None:
        from fpdf.enums import XPos, YPos

        self.pdf.set_font(FAMILY, style, size)
        self.pdf.multi_cell(self.width, height, str(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(self, text) -> None:
        self.pdf.ln(3)
        self.line(text, size=12, style="B", height=7)

    def fact(self, label, value) -> None:
        """A bold label, then its value (a dash when empty) wrapping beside it."""
        from fpdf.enums import XPos, YPos

        self.pdf.set_font(FAMILY, "B", 10)
        self.pdf.cell(self.label_width, 5.5, str(label))
        self.pdf.set_font(FAMILY, "", 10)
        self.pdf.multi_cell(
            self.width - self.label_width, 5.5, str(value or "-"), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def output(self) -> bytes:
        return bytes(self.pdf.output())

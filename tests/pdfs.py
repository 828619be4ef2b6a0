"""Reading the PDFs the app writes, as a person's PDF reader would: the text pypdf extracts."""

import unicodedata
from io import BytesIO

from pypdf import PdfReader


def pdf_text(content: bytes) -> str:
    """The text of every page, in page order."""
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def pdf_shows(content: bytes, name: str) -> bool:
    """Every word of `name` is in the PDF. Right-to-left words are extracted in reading order but may come
    with the line's words in visual order and shaped glyphs (a join, a ligature) mapped to a tab or a control
    character, so words are matched in NFKC with spaces and control characters out."""
    text = unicodedata.normalize("NFKC", pdf_text(content))
    text = "".join(char for char in text if not char.isspace() and unicodedata.category(char)[0] != "C")
    return all(word in text for word in name.split())


def pdf_fonts(content: bytes) -> set[str]:
    """The base names of the fonts embedded in the PDF (without their subset prefix)."""
    fonts = set()
    for page in PdfReader(BytesIO(content)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+")[-1])
    return fonts

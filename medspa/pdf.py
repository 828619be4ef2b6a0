"""Text for PDFs made with fpdf2's built-in fonts, which know Latin-1 only (GFE exams, monthly bills)."""

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

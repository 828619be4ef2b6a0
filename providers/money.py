"""Money arithmetic: Decimal dollars rounded half up to the cent, in one place."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The largest amount a money column holds (10 digits, 2 after the point).
MAX_MONEY = Decimal("99999999.99")


def cents(value) -> Decimal:
    """`value` (Decimal, int or str, never a float) rounded half up to the cent."""
    if isinstance(value, float):
        raise TypeError("Money is never a float: pass a Decimal or a string.")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def share(amount: Decimal, numerator: Decimal, denominator: Decimal) -> Decimal:
    """amount × numerator / denominator, to the cent (0 when the denominator is 0)."""
    if not denominator:
        return ZERO
    return cents(cents(amount) * Decimal(numerator) / Decimal(denominator))


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return share(amount, percent, Decimal(100))


def parse_amount(raw: str | None) -> Decimal | None:
    """A dollar amount typed by a person ("$1,200.5" → 1200.50), or None when it is not one."""
    text = (raw or "").strip().replace("$", "").replace(",", "")
    if not text:
        return ZERO
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value != value.quantize(CENT):
        return None
    return value.quantize(CENT)

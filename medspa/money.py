"""Money in one place: Decimal dollars rounded half up to the cent (`cents`, `share`, `percent_of`), amounts
typed by people (`parse_amount`), and amounts as people read them: every page, PDF and email shows an amount
through `money_format` (the `money` template filter)."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The largest amount a money column holds (10 digits, 2 after the point).
MAX_MONEY = Decimal("99999999.99")
MINUS = "\u2212"  # a true minus sign, as wide as the plus, not a hyphen


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


def money_format(value) -> str:
    """`value` in dollars to the cent (half up), with thousands separators: "$1,200.00", "−$45.50".
    An empty value (None or "") is an em dash; a float is refused, as everywhere money is handled."""
    if value is None or value == "":
        return "—"
    amount = cents(value)
    sign = MINUS if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"

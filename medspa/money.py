"""Money as people read it, in one place: every page, PDF and email shows an amount through `money_format`
(the `money` template filter)."""

from decimal import ROUND_HALF_UP, Decimal

MINUS = "\u2212"  # a true minus sign, as wide as the plus, not a hyphen


def money_format(value) -> str:
    """`value` in dollars to the cent (half up), with thousands separators: "$1,200.00", "−$45.50".
    An empty value (None or "") is an em dash; a float is refused, as everywhere money is handled."""
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        raise TypeError("Money is never a float: pass a Decimal or a string.")
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = MINUS if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"

"""Money reads the same everywhere: one format ("$1,200.00", "−$45.50") through `medspa.money.money_format`
and its template filter `money`, and no template or message writes "$" before a bare amount."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import engines

from medspa.money import money_format

ROOT = Path(__file__).resolve().parents[2]
APPS = ("medspa", "scheduling", "services_catalog", "gfe", "inventory_orders", "providers", "billing")
APPS += ("transition",)


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("0"), "$0.00"),
        (0, "$0.00"),
        (Decimal("1200"), "$1,200.00"),
        ("1200", "$1,200.00"),
        (Decimal("1234567.891"), "$1,234,567.89"),
        (Decimal("0.005"), "$0.01"),  # half up, as money is rounded everywhere
        (Decimal("-45.5"), "−$45.50"),
        (Decimal("-1200"), "−$1,200.00"),
        (Decimal("-0.001"), "$0.00"),  # no minus on an amount that rounds to nothing
        (None, "—"),
    ],
)
def test_money_format_writes_dollars_with_thousands_separators_and_a_minus_sign(amount, shown):
    assert money_format(amount) == shown


def test_money_format_refuses_a_float():
    with pytest.raises(TypeError):
        money_format(1200.0)


def test_the_money_filter_needs_no_load_in_any_template():
    template = engines["django"].from_string("{{ total|money }} / {{ refund|money }}")
    assert template.render({"total": Decimal("1200"), "refund": Decimal("-45.5")}) == "$1,200.00 / −$45.50"


def _templates():
    for app in (*APPS, "templates"):
        for path in (ROOT / app).rglob("*"):
            if path.suffix in (".html", ".txt") and "templates" in path.parts:
                yield path


def test_no_template_prints_a_dollar_sign_before_a_bare_amount():
    """A new page that writes `${{ amount }}` (or `$ {{ ... }}`) instead of `{{ amount|money }}` fails."""
    dollar_then_value = re.compile(r"\$\s*(<[^>]*>\s*)*\{\{")
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _templates()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if dollar_then_value.search(line)
    ]
    assert list(_templates()) and found == []


EXCEPTIONS = ("medspa/money.py", "providers/svg_chart.py")


def test_no_python_message_prints_a_dollar_sign_before_a_bare_amount():
    """f"...${amount}..." writes "$1200.00"; messages say f"...{money_format(amount)}..." instead. The
    format itself and the chart's compact axis labels ($1.5k, their own format) are the exceptions."""
    dollar_in_fstring = re.compile(r"""f(["']).*?\$\{""")
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if not {"migrations", "tests"} & set(path.relative_to(ROOT).parts)
        and path.relative_to(ROOT).as_posix() not in EXCEPTIONS
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if dollar_in_fstring.search(line)
    ]
    assert found == []

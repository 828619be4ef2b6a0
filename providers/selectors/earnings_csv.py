"""Earnings' CSV export: every transaction of a period, read in chunks and written a line at a time, with
cells a spreadsheet will not run as formulas."""

import csv
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from itertools import batched

from django.db import transaction

from providers.selectors.earnings import Period, Scope
from providers.selectors.earnings_transactions import TransactionRow, transaction_rows, transactions

CSV_HEADER = [
    "Date",
    "Time",
    "Kind",
    "Number",
    "Patient",
    "Provider",
    "Services",
    "Products used",
    "Retail",
    "Discount",
    "Tax",
    "Tip",
    "Total",
    "Payment methods",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> object:
    """A cell a spreadsheet will not run as a formula: text starting with = + - @ (or a tab or carriage
    return) gets a leading apostrophe. Numbers are written as numbers, negative ones too."""
    if value is None:
        return ""
    if isinstance(value, Decimal | int):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_rows(
    scope: Scope, period: Period, *, is_flex: bool, chunk_size: int = 2000, on_chunk: Callable | None = None
) -> Iterator[list]:
    """The header and every transaction of the period, read from the database in chunks; `on_chunk` is
    given each chunk's rows before they are written (the access log).

    The chunks come from a server-side cursor, which lives as long as its transaction: the rows are read in
    one transaction of their own (the response's body is read after the view and its request's transaction
    are done). Outside one, Django would declare the cursor WITH HOLD, which PgBouncer in transaction mode
    cannot keep: the next fetch may reach another server connection. A download stopped half-way commits
    too, so the access log keeps the chunks that were sent."""
    yield CSV_HEADER + (["Portrait share"] if is_flex else [])
    queryset = transactions(scope, period)
    with transaction.atomic(using=queryset.db):
        try:
            for chunk in batched(queryset.iterator(chunk_size=chunk_size), chunk_size):
                rows = transaction_rows(scope, period, list(chunk))
                if on_chunk is not None:
                    on_chunk(rows)
                yield from (_csv_cells(row, is_flex) for row in rows)
        except GeneratorExit:
            return  # the client went away: what was logged stays


def _csv_cells(row: TransactionRow, is_flex: bool) -> list:
    cells = [
        row.at.strftime("%Y-%m-%d"),
        row.at.strftime("%H:%M"),
        row.kind_label,
        row.number,
        row.patient,
        row.provider,
        row.services,
        row.products,
        row.retail,
        row.discount,
        row.tax,
        row.tip,
        row.total,
        ", ".join(row.methods),
    ]
    if is_flex:
        cells.append(row.portrait_share)
    return [csv_safe(cell) for cell in cells]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list]) -> Iterator[str]:
    """Rows as CSV text, one line at a time (for a StreamingHttpResponse)."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(row)

"""`make bench`'s scheduling command, at tiny sizes: it seeds, measures each lookup against its bare query at
each number of past appointments, measures the busiest week's page against its SQL, and prints the ratios
with their verdicts."""

import re
from io import StringIO

from django.core.management import call_command
from django_scopes import scopes_disabled

from scheduling.models import Appointment, AppointmentStatus


def test_the_scheduling_bench_prints_each_ratio_at_each_number_of_past_appointments(db):
    out = StringIO()
    # --keep: the clean-up's switch of the audit triggers is the database superuser's, not the tests' role.
    call_command(
        "bench_scheduling",
        "--past=10,30",
        "--appointments=0",
        "--runs=3",
        "--warmup=1",
        "--keep",
        "--no-migrate",
        stdout=out,
    )
    printed = out.getvalue()

    for size in ("10", "30"):
        for label in ("open slots, one day", "first available, 30 days"):
            row = re.search(rf"^ +{size}  {label} +3 .* (\d+\.\d)x  <= 3x bare: (PASS|FAIL)$", printed, re.M)
            assert row, printed
    assert re.search(r"^ +flat  open slots, one day .* <= 1\.5x: (PASS|FAIL)$", printed, re.M)
    page = re.search(
        r"^admin week page \(HTML\) +\d+ .* (\d+\.\d)x +(\d+\.\d)  <= 5x SQL: (PASS|FAIL), ", printed, re.M
    )
    assert page and float(page[2]) > 1, printed
    with scopes_disabled():  # the upcoming ones are booked or confirmed; the past, 30 in the end, are not
        past = [AppointmentStatus.COMPLETED, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW]
        assert Appointment.objects.filter(status__in=past).count() == 30

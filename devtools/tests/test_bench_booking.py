"""`make bench`'s booking bench runs (with a handful of requests) and reports what it promises, so that it
cannot rot between the times someone measures with it."""

import re
from io import StringIO

from django.core.management import call_command
from django_scopes import scopes_disabled

from devtools import bench
from medspa.models import Medspa
from scheduling.models import Appointment


def test_the_booking_bench_books_through_the_api_and_reports_the_ratio(db, monkeypatch):
    # The bench migrates the database first (as the owner role, on a connection of its own) and deletes its
    # medspa afterwards as the superuser (the access log refuses deletes to every other role): here the
    # tests' database is migrated already, the app role runs the test, and the test's transaction undoes
    # what the bench made (--keep).
    real_call_command = bench.call_command
    monkeypatch.setattr(
        bench,
        "call_command",
        lambda name, *a, **k: None if name == "migrate" else real_call_command(name, *a, **k),
    )
    out = StringIO()
    call_command("bench_booking", runs=3, warmup=1, keep=True, stdout=out)
    report = out.getvalue()
    assert re.search(r"booking \(POST /api/v1/appointments/\)\s+3 ", report), report
    assert re.search(r"/healthz\s+3 ", report), report
    assert re.search(r"ratio booking ÷ /healthz \(CPU p50\) [\d.]+×: target ≤ 10×: (met|MISSED)", report)
    assert re.search(r"booking CPU p50 [\d.]+ ms: target ≤ 8 ms: (met|MISSED)", report), report
    statements = int(re.search(r"SQL statements per booking: (\d+)", report).group(1))
    assert 0 < statements <= 16  # the API test's 14, less its own savepoint, plus the token's look-ups
    with scopes_disabled():
        medspa = Medspa.objects.get(slug=re.search(r"slug (bench-[0-9a-f]+)\)", report).group(1))
        # the warm-up's booking, the timed ones and the one whose statements were counted
        assert Appointment.objects.filter(medspa=medspa).count() == 1 + 3 + 1

"""Monthly bills: what each day of a month costs on the plan of that day (partial months by days), the urgent
GFE fees and the Flex share, one bill per medspa and month however often the job runs, and the job's date."""

import threading
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection
from django_scopes import scopes_disabled

from billing import tasks
from billing.models import Bill, BillLine, PlanPeriod
from billing.services import bills as billing_bills
from billing.services import plans as billing_plans
from gfe.models import GfeRequest
from medspa import clock
from medspa.models import Medspa
from medspa.tenancy import medspa_scope
from tests import factories

NOV = date(2026, 11, 1)


@factories.unscoped
def plan(medspa, *periods):
    """Replaces the medspa's plan history: (model, keeps_coordinator, starts_on, ends_on) rows."""
    PlanPeriod.objects.filter(medspa=medspa).delete()
    for model, keeps, starts, ends in periods:
        PlanPeriod.objects.create(
            medspa=medspa,
            business_model=model,
            keeps_coordinator=keeps,
            starts_on=starts,
            ends_on=ends,
            flex_revenue_split_percent=Decimal("20") if model == "flex" else None,
        )


def lines(medspa, month=NOV) -> list[tuple[str, str, Decimal]]:
    """The lines of the medspa's bill of `month`, worked out in its scope (as its billing page does)."""
    with medspa_scope(medspa):
        return [
            (line.kind, line.description, line.amount) for line in billing_bills.bill_lines(medspa, month)
        ]


def after(month: date, medspa) -> datetime:
    """Noon on the first day after the month, on the medspa's clock."""
    return datetime.combine(billing_bills.month_last(month) + timedelta(days=1), time(12), tzinfo=medspa.tz)


def test_a_whole_month_on_launch_without_a_coordinator_has_nothing_to_bill(cast):
    """Launch pays Portrait through its inventory prices: no monthly fee, so no line without a coordinator."""
    plan(cast.medspa_a, ("launch", False, date(2026, 1, 1), None))
    assert lines(cast.medspa_a) == []


def test_legacy_to_launch_mid_month_keeping_the_coordinator(cast):
    """The coordinator's $1,000 runs on without a break, and it is the only line."""
    plan(
        cast.medspa_a,
        ("legacy", True, date(2026, 1, 1), date(2026, 11, 15)),
        ("launch", True, date(2026, 11, 16), None),
    )
    assert lines(cast.medspa_a) == [
        ("coordinator_fee", "Patient Care Coordinator, November 2026", Decimal("1000.00")),
    ]


def test_legacy_to_launch_mid_month_letting_the_coordinator_go(cast):
    plan(
        cast.medspa_a,
        ("legacy", True, date(2026, 1, 1), date(2026, 11, 15)),
        ("launch", False, date(2026, 11, 16), None),
    )
    assert lines(cast.medspa_a) == [
        (
            "coordinator_fee",
            "Patient Care Coordinator, Nov 1–Nov 15, 2026 (15 of 30 days)",
            Decimal("500.00"),
        ),
    ]


@pytest.mark.parametrize(
    ("before", "from_nov_16", "days"),
    [(False, True, "Nov 16–Nov 30, 2026"), (True, False, "Nov 1–Nov 15, 2026")],
    ids=["adds-a-coordinator", "lets-the-coordinator-go"],
)
def test_a_launch_medspa_changing_its_coordinator_on_the_16th_pays_half(cast, before, from_nov_16, days):
    """The examples of PRORATION_RULE, as the billing page quotes them."""
    plan(
        cast.medspa_a,
        ("launch", before, date(2026, 1, 1), date(2026, 11, 15)),
        ("launch", from_nov_16, date(2026, 11, 16), None),
    )
    assert lines(cast.medspa_a) == [
        ("coordinator_fee", f"Patient Care Coordinator, {days} (15 of 30 days)", Decimal("500.00"))
    ]
    assert "pays 15/30 of it: $500.00" in billing_bills.PRORATION_RULE


def test_a_coordinator_added_on_launch_is_billed_from_that_day(cast):
    plan(
        cast.medspa_a,
        ("launch", False, date(2026, 1, 1), date(2026, 11, 20)),
        ("launch", True, date(2026, 11, 21), None),
    )
    assert lines(cast.medspa_a) == [
        (
            "coordinator_fee",
            "Patient Care Coordinator, Nov 21–Nov 30, 2026 (10 of 30 days)",
            Decimal("333.33"),
        ),
    ]


def test_a_medspa_that_started_mid_month_pays_from_its_first_day(cast):
    plan(cast.medspa_a, ("launch", True, date(2026, 11, 11), None))
    assert lines(cast.medspa_a) == [
        (
            "coordinator_fee",
            "Patient Care Coordinator, Nov 11–Nov 30, 2026 (20 of 30 days)",
            Decimal("666.67"),
        )
    ]
    assert lines(cast.medspa_a, date(2026, 10, 1)) == []


PLANS = {  # the plan's periods, and what its November costs
    "legacy": ([("legacy", True, date(2026, 1, 1), None)], "1000.00"),
    "launch": ([("launch", False, date(2026, 1, 1), None)], "0.00"),
    "launch-with-coordinator": ([("launch", True, date(2026, 1, 1), None)], "1000.00"),
    "flex": ([("flex", False, date(2026, 1, 1), None)], "0.00"),
    "flex-with-coordinator": ([("flex", True, date(2026, 1, 1), None)], "1000.00"),
    "legacy-to-launch": (
        [("legacy", True, date(2026, 1, 1), date(2026, 11, 15)), ("launch", False, date(2026, 11, 16), None)],
        "500.00",
    ),
    "launch-to-flex": (
        [("launch", False, date(2026, 1, 1), date(2026, 11, 10)), ("flex", False, date(2026, 11, 11), None)],
        "0.00",
    ),
    "started-mid-month-on-launch": ([("launch", False, date(2026, 11, 11), None)], "0.00"),
}


@pytest.mark.parametrize(("periods", "total"), PLANS.values(), ids=PLANS.keys())
def test_no_bill_of_any_model_carries_a_platform_fee(cast, periods, total):
    """The source article has no platform fee: Launch pays Portrait through its inventory prices. What is
    left is the coordinator (no urgent GFE request and no Flex sale here)."""
    with medspa_scope(cast.medspa_a):
        medspa = cast.medspa_a
        plan(medspa, *periods)
        with time_machine.travel(after(NOV, medspa)):
            bill, _ = billing_bills.bill_generate(medspa=medspa, month=NOV)
        made = list(bill.lines.all())
        assert {line.kind for line in made} <= {BillLine.Kind.COORDINATOR_FEE}
        assert not any("platform" in line.description.lower() for line in made)
        assert bill.total == sum((line.amount for line in made), Decimal("0.00")) == Decimal(total)


def test_the_database_refuses_a_new_platform_fee_line_and_keeps_the_old_ones_readable(cast):
    """Bills are never changed: one made while the fee was billed keeps its line, read as no longer billed."""
    with medspa_scope(cast.medspa_a):
        import pgtrigger
        from django.db import DatabaseError, transaction

        medspa = cast.medspa_a
        plan(medspa, ("launch", True, date(2026, 1, 1), None))
        with time_machine.travel(after(NOV, medspa)):
            bill, _ = billing_bills.bill_generate(medspa=medspa, month=NOV)
        with pytest.raises(DatabaseError, match="no longer billed"), transaction.atomic():
            BillLine.objects.create(
                medspa=medspa, bill=bill, position=9, kind="platform_fee", description="Launch fee", amount=1
            )
        with pgtrigger.ignore("billing.BillLine:no_new_platform_fee"):  # a line of a bill made before
            BillLine.objects.create(
                medspa=medspa, bill=bill, position=9, kind="platform_fee", description="Launch fee", amount=1
            )
        old = BillLine.objects.get(bill=bill, position=9)
        assert old.get_kind_display() == "Platform fee (no longer billed)"


def test_the_plan_follows_every_save_of_the_medspa(cast):
    with medspa_scope(cast.medspa_a):
        medspa = cast.medspa_a
        today = clock.today(medspa)
        first, second = today + timedelta(days=10), today + timedelta(days=20)
        with time_machine.travel(datetime.combine(first, time(12), tzinfo=medspa.tz)):
            medspa.keeps_coordinator = True
            medspa.save()
            medspa.name = "Glow A renamed"
            medspa.save()  # nothing of the plan changed: no new period
        with time_machine.travel(datetime.combine(second, time(12), tzinfo=medspa.tz)):
            medspa.business_model, medspa.flex_revenue_split_percent = "flex", Decimal("25")
            medspa.save()
        periods = list(PlanPeriod.objects.filter(medspa=medspa).order_by("starts_on"))
        assert [(p.business_model, p.keeps_coordinator, p.starts_on, p.ends_on) for p in periods] == [
            ("launch", False, today, first - timedelta(days=1)),
            ("launch", True, first, second - timedelta(days=1)),
            ("flex", True, second, None),
        ]
        assert periods[-1].flex_revenue_split_percent == Decimal("25.00")


@pytest.mark.scopes_disabled(reason="runs a data migration, which reads every medspa")
def test_existing_medspas_get_their_plan_from_the_day_they_were_made(cast):
    """What the data migration does for medspas made before billing: here, one without any period."""
    from importlib import import_module

    from django.apps import apps as django_apps

    medspa = cast.medspa_a
    PlanPeriod.objects.filter(medspa=medspa).delete()
    Medspa.objects.filter(pk=medspa.pk).update(created_at=datetime(2026, 3, 14, 2, 0, tzinfo=UTC))
    migration = import_module("billing.migrations.0002_plan_periods_of_existing_medspas")
    migration.forwards(django_apps, None)
    period = PlanPeriod.objects.get(medspa=medspa)
    # 02:00 UTC on March 14 is still March 13 in New York.
    expected = datetime(2026, 3, 14, 2, 0, tzinfo=UTC).astimezone(medspa.tz).date()
    assert (period.business_model, period.starts_on, period.ends_on) == ("launch", expected, None)


def test_reading_the_plans_never_makes_one(cast):
    """The billing page's estimate reads the plans; a medspa without one is a bug that says so."""
    with medspa_scope(cast.medspa_a):
        medspa = cast.medspa_a
        [period] = billing_plans.plan_periods(medspa)  # made with the medspa (billing.services.plan_follow)
        assert (period.business_model, period.ends_on) == ("launch", None)
        PlanPeriod.objects.filter(medspa=medspa).delete()
        with pytest.raises(billing_plans.PlanMissing):
            billing_plans.plan_periods(medspa)
        assert not PlanPeriod.objects.filter(medspa=medspa).exists()


def test_urgent_gfe_fees_are_billed_in_the_month_they_were_asked(cast):
    with medspa_scope(cast.medspa_a):
        medspa = cast.medspa_a
        plan(medspa, ("launch", False, date(2026, 1, 1), None))
        patient = factories.PatientFactory(medspa=medspa)
        for when, fee in [
            (datetime(2026, 11, 3, 10), "75.00"),
            (datetime(2026, 11, 30, 23), "75.00"),
            (datetime(2026, 12, 1, 1), "75.00"),
        ]:
            request = GfeRequest.objects.create(
                medspa=medspa, patient=patient, route="portrait", urgent=True, urgent_fee=Decimal(fee)
            )
            GfeRequest.objects.filter(pk=request.pk).update(created_at=when.replace(tzinfo=medspa.tz))
        GfeRequest.objects.create(medspa=medspa, patient=patient, route="portrait")  # not urgent
        (urgent,) = [
            line for line in billing_bills.bill_lines(medspa, NOV) if line.kind == BillLine.Kind.URGENT_GFE
        ]
        assert (urgent.quantity, urgent.amount) == (2, Decimal("150.00"))


def test_the_flex_share_of_the_month_is_billed(cast, world, provider):
    with medspa_scope(cast.medspa_a):
        medspa = cast.medspa_a
        medspa.business_model, medspa.flex_revenue_split_percent = "flex", Decimal("20")
        medspa.save()
        factories.paid_visit(world, provider, cast.admin_a)  # $300 paid now: Portrait's share is $60
        month = billing_bills.earnings.month_start(clock.today(medspa))
        (share,) = [
            line for line in billing_bills.bill_lines(medspa, month) if line.kind == BillLine.Kind.FLEX_SHARE
        ]
        assert share.amount == Decimal("60.00")


def test_a_month_is_billed_once_it_is_over(cast):
    with medspa_scope(cast.medspa_a):
        medspa = cast.medspa_a
        plan(medspa, ("launch", True, date(2026, 1, 1), None))
        with (
            time_machine.travel(datetime(2026, 11, 30, 23, 59, tzinfo=medspa.tz)),
            pytest.raises(billing_bills.MonthNotOver),
        ):
            billing_bills.bill_generate(medspa=medspa, month=NOV)
        with time_machine.travel(after(NOV, medspa)):
            bill, made = billing_bills.bill_generate(medspa=medspa, month=date(2026, 11, 17))
            again, made_again = billing_bills.bill_generate(medspa=medspa, month=NOV)
        assert (made, made_again, again.pk) == (True, False, bill.pk)
        assert (bill.month, bill.number, bill.total) == (NOV, f"202611-{medspa.pk:05d}", Decimal("1000.00"))


def test_the_monthly_job_run_twice_makes_one_bill_per_medspa_and_catches_up_missed_months(cast):
    for medspa in (cast.medspa_a, cast.medspa_b):
        plan(medspa, ("launch", True, date(2026, 9, 10), None))
    with time_machine.travel(after(NOV, cast.medspa_a)):
        assert tasks.bills_monthly() == Medspa.objects.count()
        tasks.bills_monthly()
    with medspa_scope(cast.medspa_a):
        months = sorted(Bill.objects.filter(medspa=cast.medspa_a).values_list("month", flat=True))
        # September and October were missed: made too
        assert months == [date(2026, 9, 1), date(2026, 10, 1), NOV]
        assert BillLine.objects.filter(bill__medspa=cast.medspa_a).count() == 3
    with medspa_scope(cast.medspa_b):
        assert Bill.objects.filter(medspa=cast.medspa_b).count() == 3


def test_two_workers_billing_the_same_month_at_once_make_one_bill(transactional_db, cast):
    medspa = cast.medspa_a
    plan(medspa, ("launch", True, date(2026, 1, 1), None))
    barrier, results = threading.Barrier(2), []

    def work():
        try:
            with scopes_disabled(), time_machine.travel(after(NOV, medspa)):
                barrier.wait()
                results.append(
                    billing_bills.bill_generate(medspa=Medspa.objects.get(pk=medspa.pk), month=NOV)[1]
                )
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    with medspa_scope(medspa):
        assert Bill.objects.filter(medspa=medspa, month=NOV).count() == 1
        assert BillLine.objects.filter(bill__medspa=medspa).count() == 1  # the coordinator


def test_bills_are_never_changed(cast):
    with medspa_scope(cast.medspa_a):
        from django.db import DatabaseError, transaction

        medspa = cast.medspa_a
        plan(medspa, ("launch", True, date(2026, 1, 1), None))
        with time_machine.travel(after(NOV, medspa)):
            bill, _ = billing_bills.bill_generate(medspa=medspa, month=NOV)
        with pytest.raises(DatabaseError, match="Cannot"), transaction.atomic():
            Bill.objects.filter(pk=bill.pk).update(total=Decimal("1"))
        with pytest.raises(DatabaseError, match="Cannot"), transaction.atomic():
            BillLine.objects.filter(bill=bill).delete()


def test_beat_bills_on_the_first_of_the_month_after_midnight_in_every_us_time_zone():
    schedule = django_settings.CELERY_BEAT_SCHEDULE["bills-monthly"]
    assert schedule["task"] == "billing.tasks.bills_monthly"
    cron = schedule["schedule"]
    assert cron.day_of_month == {1} and cron.hour == {12} and cron.minute == {0}

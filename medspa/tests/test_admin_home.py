"""The admin's overview (/dashboard/): the onboarding checklist, then Today (the sections the apps register
in medspa.views.panels.ADMIN_TODAY: appointments by status, who is late, paperwork missing, GFEs waiting,
revenue), then the To-Do and the counts; the patients Today names in the access log; and a number of
queries that does not grow with the day's appointments."""

import re
import zoneinfo
from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from gfe.tests.factories import GfeRequestFactory
from medspa.models import PatientAccessLog
from medspa.tenancy import medspa_scope
from medspa.views.panels import ADMIN_TODAY
from providers.tests.test_earnings import bulk_sales
from scheduling.models import Appointment
from services_catalog.tests.factories import IntakeFormVersionFactory
from tests import factories

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
NOON = datetime(2026, 12, 8, 12, 0, tzinfo=LA)
STATUSES = ["booked", "confirmed", "checked_in", "completed", "no_show", "cancelled"]
TO_COME = ["cancelled", "booked", "confirmed"]

# The overview's queries, however many appointments, sales and GFE requests the day has: the request's own
# (session, user, memberships, MFA check, the request's savepoint and its release, the session saved in a
# savepoint: 9); the onboarding checklist (the admin's provider profile and licences, then a question a
# step: 9); Today: the day's appointments and the paperwork of those to come (the types' forms, the
# responses, the services, their consents, the consents' versions, merged-away records, the signatures: 8),
# the GFEs waiting (1), the revenue (the first sale, the days' sales, the days' refunds: 3) and one INSERT
# in the access log for every patient it names: 13; the To-Do (tomorrow's appointments, the patients with
# answers to review, the disputes: 3); the counts (3).
PAGE_QUERIES = 37


def day_of_appointments(cast, world, provider, count: int) -> list[Appointment]:
    """`count` appointments of today, spread from 7:00 to 18:00, each with its own patient; the type asks for
    an intake form. Before noon (now) each status in turn; after, booked, confirmed, cancelled in turn."""
    with medspa_scope(cast.medspa_a):
        version = IntakeFormVersionFactory(form__medspa=cast.medspa_a, form__title="Health history")
        world.appointment_type.intake_forms.add(version.form)
        made = []
        step = timedelta(minutes=660 // count)
        for number in range(count):
            start = NOON.replace(hour=7) + step * number
            made.append(
                Appointment.objects.create(
                    medspa=cast.medspa_a,
                    location=world.location,
                    provider=provider,
                    patient=factories.PatientFactory(medspa=cast.medspa_a),
                    appointment_type=world.appointment_type,
                    start=start,
                    end=start + timedelta(minutes=10),
                    blocked_start=start,
                    blocked_end=start + timedelta(minutes=10),
                    status=STATUSES[number % 6] if start < NOON else TO_COME[number % 3],
                )  # fmt: skip
            )
    return made


def headings(page: str) -> list[str]:
    """The page's h2 and h3 headings, as read."""
    found = re.findall(r"<h[23][^>]*>(.*?)</h[23]>", page, re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", heading).split()) for heading in found]


def test_the_apps_register_the_sections_of_today_in_order():
    assert [panel.template for panel in ADMIN_TODAY] == [
        "scheduling/_admin_today.html",
        "gfe/_admin_today.html",
        "providers/earnings/_today.html",
    ]


def test_today_comes_after_the_checklist_and_before_the_to_do_and_the_counts(
    cast, client_as, world, provider
):
    with time_machine.travel(NOON, tick=False):
        day_of_appointments(cast, world, provider, 6)
        page = client_as("admin_a").get(reverse("dashboard_home")).content.decode()
    names = headings(page)
    today = names.index("Today Tuesday, December 8")
    assert names[today + 1 : today + 6] == [
        "Appointments", "Running late 2", "Paperwork missing 2", "GFEs waiting", "Revenue today",
    ]  # fmt: skip
    assert names.index("Get your medspa ready") < today < names.index("To-Do")
    assert page.index('id="today-title"') < page.index('class="stats"')
    assert (
        "5 appointments today" in page
    )  # and 1 cancelled, counted apart and 'stat-number">6</span> patients' not in page


def test_the_patients_today_names_are_in_the_access_log(cast, client_as, world, provider):
    with time_machine.travel(NOON, tick=False):
        day = day_of_appointments(cast, world, provider, 6)
        client_as("admin_a").get(reverse("dashboard_home"))
    with medspa_scope(cast.medspa_a):
        logged = set(
            PatientAccessLog.objects.filter(viewed="Admin dashboard: Today").values_list(
                "patient_id", "actor"
            )
        )
    # late: the booked one of 7:00 and the confirmed one of 8:50; paperwork missing: those of 14:20 and 16:10.
    # The checked-in one (over at 10:50) and the cancelled one of 12:30 are only counted, never named.
    named = [day[0], day[1], day[4], day[5]]
    assert logged == {(appointment.patient_id, cast.admin_a.pk) for appointment in named}


@pytest.mark.parametrize("count", [3, 40])
def test_the_page_takes_as_many_queries_for_3_appointments_as_for_40(
    cast, client_as, world, provider, count, django_assert_num_queries
):
    with time_machine.travel(NOON, tick=False):
        day_of_appointments(cast, world, provider, count)
        bulk_sales(provider, count=count, when=NOON - timedelta(hours=1))
        bulk_sales(provider, count=count, when=NOON - timedelta(weeks=1))
        for _ in range(count):
            GfeRequestFactory(medspa=cast.medspa_a, status="sent")
        admin = client_as("admin_a")
        with django_assert_num_queries(PAGE_QUERIES):
            response = admin.get(reverse("dashboard_home"))
    assert response.status_code == 200

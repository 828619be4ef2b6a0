"""The calendar's day list alone (scheduling:calendar_day_list): what the time grid reads again after a move,
an Undo or a booking, instead of the whole page. It is the page's list, byte for byte, for the same day and
filters; it opens to whom the page opens; it logs a read of every patient it names; its queries are
counted."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from medspa.models import PatientAccessLog
from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, AppointmentStatus
from scheduling.tests.test_calendar import book, day_after_tomorrow, fill_week, member
from tests import factories

# The list's queries, however many appointments it shows: the request's own 9 (as the calendar page's:
# session, user, memberships, MFA check, the audit context twice, the session saved in a savepoint), the
# locations, their providers (prefetched), the providers (the page's filter; the empty list's message names
# their absence), the day's appointments (joined with all they show), their paperwork, of which this type
# asks none (its intake forms, and the service with its consents: 3, then nothing more); then the access
# log's one INSERT. The Move dialog's rooms, which the page reads, are not: the page's 18 less one.
DAY_LIST_QUERIES = 17

SECTION = re.compile(r'<section id="day-list".*?</section>', re.DOTALL)
# A form's CSRF token is masked anew in each answer: the same token, other characters.
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@pytest.fixture
def world(cast):
    """Medspa A's clinic (America/Los_Angeles, 9:00–17:00) where admin_a, provider_a1 and provider_a2 work,
    its 30-minute type and two patients, as in test_calendar."""
    admin, a1, a2 = member(cast.admin_a), member(cast.provider_a1), member(cast.provider_a2)
    location, appointment_type = factories.scheduling_world(cast.medspa_a, [admin, a1, a2])
    return {
        "medspa": cast.medspa_a,
        "location": location,
        "type": appointment_type,
        "admin": admin,
        "a1": a1,
        "a2": a2,
        "jane": factories.PatientFactory(
            medspa=cast.medspa_a, first_name="Janeway", last_name="Quillfeather"
        ),
        "omar": factories.PatientFactory(medspa=cast.medspa_a, first_name="Omar", last_name="Brightwater"),
    }


@pytest.fixture
def day(world):
    """The day after tomorrow, where Janeway is booked with provider_a1 at 10:00, Omar with provider_a2 at
    11:00, and Omar again at 12:00 with admin_a (who also treats: the Provider dashboard's buttons show on
    the admin's own), checked in."""
    book(world, world["jane"], world["a1"], 10)
    book(world, world["omar"], world["a2"], 11)
    own = book(world, world["omar"], world["admin"], 12)
    with medspa_scope(world["medspa"]):
        Appointment.objects.filter(pk=own.pk).update(status=AppointmentStatus.CHECKED_IN)
    return day_after_tomorrow(world["location"])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def day_list(html: str) -> str:
    """The day's list in an answer, its CSRF tokens blanked."""
    found = SECTION.search(html)
    assert found is not None, html
    return CSRF.sub('name="csrfmiddlewaretoken" value=""', found.group(0))


def list_url(page: str) -> str:
    """Where the page's list says it is read again from."""
    found = re.search(r'<section id="day-list"[^>]* data-list-url="([^"]+)"', page)
    assert found is not None
    return found.group(1).replace("&amp;", "&")


def page_and_list(client, query: str) -> tuple[str, str]:
    """The calendar page for `query`, and the list read again from the address the page gives."""
    page = client.get(reverse("scheduling:calendar") + query)
    assert page.status_code == 200
    html = page.content.decode()
    alone = client.get(list_url(html), headers={"HX-Request": "true"})
    assert alone.status_code == 200
    return html, alone.content.decode()


@pytest.mark.parametrize(
    "filters",
    [
        "&view=day",
        "&view=week",
        "&view=day&by=room",
        "&view=day&provider={a1}",
        "&view=day&status=checked_in",
    ],
)
def test_the_list_alone_is_the_pages_list_for_the_same_day_and_filters(client_as, world, day, filters):
    query = f"?date={day.isoformat()}" + filters.format(a1=world["a1"].pk)
    page, alone = page_and_list(client_as("admin_a"), query)
    assert day_list(alone) == day_list(page)
    assert alone.strip().startswith('<section id="day-list"') and alone.strip().endswith("</section>")
    assert "<html" not in alone and 'id="calendar-grid"' not in alone  # the list, and nothing else
    # The list read again says where it is read again from, as the page's did: the next change reads it too.
    assert list_url(alone) == list_url(page)


def test_the_list_alone_shows_the_appointments_and_buttons_of_the_page(client_as, world, day):
    page, alone = page_and_list(client_as("admin_a"), f"?view=day&date={day.isoformat()}")
    rows = re.findall(r'<tr class="appt-row status-[a-z_]+">', alone)
    assert len(rows) == 3
    assert "Janeway Quillfeather" in alone and "Omar Brightwater" in alone
    assert ">Start visit</button>" in alone  # the admin's own checked-in appointment, as on the page
    only_a1 = client_as("admin_a").get(
        reverse("scheduling:calendar_day_list"), {"date": day.isoformat(), "provider": world["a1"].pk}
    )
    assert "Janeway Quillfeather" in only_a1.content.decode()
    assert "Omar Brightwater" not in only_a1.content.decode()


def test_the_list_url_pins_the_pages_day_and_keeps_its_filters(client_as, world):
    """The page opened without a date shows today: the list read again after midnight is still that day's."""
    page = client_as("admin_a").get(reverse("scheduling:calendar"), {"view": "day", "cancelled": "1"})
    today = page.context["today"].isoformat()
    assert list_url(page.content.decode()) == (
        reverse("scheduling:calendar_day_list") + f"?view=day&cancelled=1&date={today}"
    )


def test_an_empty_day_says_so_as_the_page_does(client_as, world, day):
    empty = (day + timedelta(days=1)).isoformat()
    page, alone = page_and_list(client_as("admin_a"), f"?view=day&date={empty}")
    assert "Nothing booked on this day." in day_list(alone)
    assert day_list(alone) == day_list(page)


def test_it_opens_to_whom_the_page_opens(client_as, world, day):
    url = reverse("scheduling:calendar_day_list") + f"?view=day&date={day.isoformat()}"
    anonymous = client_as("anonymous").get(url)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    for provider in ("provider_a1", "provider_b"):  # a provider's calendar is their own, in their dashboard
        assert client_as(provider).get(url).status_code == 403
        assert client_as(provider).get(reverse("scheduling:calendar")).status_code == 403
    # Medspa B's admin opens their own medspa's list: nothing of medspa A's.
    other = client_as("admin_b").get(url)
    assert other.status_code == 200
    assert "Janeway" not in other.content.decode() and "Omar" not in other.content.decode()
    assert "Nothing booked on this day." in other.content.decode()
    assert client_as("admin_a").post(url).status_code == 405  # a read only


def test_the_coordinator_reads_the_list_without_the_admins_links(world, day):
    coordinator = factories.MembershipFactory(medspa=world["medspa"], is_provider=False, is_coordinator=True)
    client = signed_in(coordinator.user)
    page, alone = page_and_list(client, f"?view=day&date={day.isoformat()}")
    assert day_list(alone) == day_list(page)
    assert "Janeway Quillfeather" in alone and ">Start visit</button>" not in alone


@pytest.mark.parametrize("view", ["day", "week"])
def test_it_logs_a_read_of_every_patient_it_shows_naming_the_listed_day(client_as, cast, world, day, view):
    client = client_as("admin_a")
    with medspa_scope(world["medspa"]):
        before = PatientAccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = client.get(reverse("scheduling:calendar_day_list"), {"view": view, "date": day})
    assert response.status_code == 200
    with medspa_scope(world["medspa"]):
        logged = PatientAccessLog.objects.filter(pk__gt=before)
        assert set(logged.values_list("patient_id", flat=True)) == {world["jane"].pk, world["omar"].pk}
        assert set(logged.values_list("actor_id", "viewed")) == {
            (cast.admin_a.pk, f"Calendar: {day:%A, %B} {day.day}, {day.year}")
        }


@pytest.mark.parametrize("count", [3, 60])
def test_it_runs_a_constant_number_of_queries(client_as, world, count, django_assert_num_queries):
    monday = fill_week(world, count)
    client = client_as("admin_a")
    url = reverse("scheduling:calendar_day_list") + f"?view=week&date={monday}"
    client.get(url)  # the first request of a session writes it; measure the ones after
    with django_assert_num_queries(DAY_LIST_QUERIES):
        response = client.get(url, headers={"HX-Request": "true"})
    mondays = sum(1 for n in range(count) if (n // 3) % 7 == 0)
    assert response.content.decode().count('class="appt-row status-') == mondays

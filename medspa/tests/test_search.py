"""The top bar's search (/search/): patients, appointments and orders, each kind in the dashboards it serves
and only what the member may see there; dates typed in the query; the access log; a fixed number of
queries; odd input."""

import re
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from inventory_orders.services import cart, orders
from medspa.models import PatientAccessLog
from medspa.search import DateInQuery, query_date
from medspa.tenancy import medspa_scope
from scheduling.services import booking
from tests import factories
from tests.factories import unscoped

LA = ZoneInfo("America/Los_Angeles")
HTMX = {"HTTP_HX_REQUEST": "true"}


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def titles(response) -> list[str]:
    return [
        re.sub(r"\s+", " ", title).strip()
        for title in re.findall(r'class="search-result-title">(.*?)</span>', response.content.decode(), re.S)
    ]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@unscoped
def member(user):
    return user.memberships.get()


def at_la(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LA)


def today_la() -> date:
    return timezone.now().astimezone(LA).date()


def weekday(days_ahead: int = 14) -> date:
    day = today_la() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def move(appointment, start: datetime) -> None:
    """Puts a booked appointment at `start` (booking refuses a time in the past)."""
    end = start + (appointment.end - appointment.start)
    appointment.start, appointment.end, appointment.blocked_start, appointment.blocked_end = (
        start,
        end,
        start,
        end,
    )
    appointment.save()


@pytest.fixture
def clinic(cast):
    """Medspa A's clinic in Los Angeles where provider_a1 and provider_a2 work; Ana Lopez is provider_a1's
    patient (an appointment next week and one last month), Ben Lopez provider_a2's; medspa B has its own
    Ana Lopez."""
    a1, a2 = member(cast.provider_a1), member(cast.provider_a2)
    location, appointment_type = factories.scheduling_world(cast.medspa_a, [a1, a2])
    ana = factories.PatientFactory(
        medspa=cast.medspa_a,
        first_name="Ana",
        last_name="Lopez",
        phone="+16195550142",
        date_of_birth=date(1990, 6, 15),
    )
    ben = factories.PatientFactory(medspa=cast.medspa_a, first_name="Ben", last_name="Lopez")
    factories.PatientFactory(medspa=cast.medspa_b, first_name="Ana", last_name="Lopez")
    next_week, last_month = today_la() + timedelta(days=7), today_la() - timedelta(days=30)
    with medspa_scope(cast.medspa_a):
        upcoming = booking.appointment_book(
            appointment_type=appointment_type, start=at_la(next_week, 10, 30), patient=ana, provider=a1
        )
        past = booking.appointment_book(
            appointment_type=appointment_type,
            start=at_la(next_week + timedelta(days=1), 9),
            patient=ana,
            provider=a1,
        )
        move(past, at_la(last_month, 9))
        bens = booking.appointment_book(
            appointment_type=appointment_type, start=at_la(next_week, 14), patient=ben, provider=a2
        )
    return {"ana": ana, "ben": ben, "upcoming": upcoming, "past": past, "bens": bens, "next_week": next_week}


@pytest.fixture
def order(cast):
    """Medspa A's order of two Toxin 100 and Gloves from Toxin Co."""
    catalog = factories.catalog_world()
    factories.shipping_address(cast.medspa_a)
    with medspa_scope(cast.medspa_a):
        cart.cart_line_set(medspa=cast.medspa_a, product=catalog.toxin, quantity=2)
        cart.cart_line_set(medspa=cast.medspa_a, product=catalog.gloves, quantity=1)
        return orders.order_submit(
            medspa=cast.medspa_a, by=cast.admin_a, delivery_date=weekday(), payment_method="ach", notes="",
            idempotency_key=uuid.uuid4().hex,
        )  # fmt: skip


@pytest.fixture
def coordinator(cast):
    return factories.MembershipFactory(medspa=cast.medspa_a, is_provider=False, is_coordinator=True)


# --- Reading a query --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "day", "rest"),
    [
        ("12/8", DateInQuery(12, 8), ""),
        ("lopez 12/8", DateInQuery(12, 8), "lopez"),
        ("12/8/2026", DateInQuery(12, 8, 2026), ""),
        ("12/8/26 ana", DateInQuery(12, 8, 2026), "ana"),
        ("Dec 8", DateInQuery(12, 8), ""),
        ("december 8th, 2026", DateInQuery(12, 8, 2026), ""),
        ("8 Dec", DateInQuery(12, 8), ""),
        ("2026-12-08", DateInQuery(12, 8, 2026), ""),
        ("2/29", DateInQuery(2, 29), ""),
        ("13/45", None, "13/45"),
        ("2026-02-30", None, "2026-02-30"),
        ("Ana Lopez", None, "Ana Lopez"),
        ("PO-000123", None, "PO-000123"),
    ],
)
def test_a_date_is_read_from_the_query(query, day, rest):
    assert query_date(query) == (day, rest)


# --- Each kind, in each dashboard ---------------------------------------------------------------------------


def test_the_admin_finds_patients_appointments_upcoming_first_and_orders(cast, clinic, order):
    client = signed_in(cast.admin_a)
    page = client.get("/search/?q=lopez")
    assert page.status_code == 200
    sections = page.context["sections"]
    assert [section.source.key for section in sections] == ["patients", "appointments", "orders"]
    patients, appointments, found_orders = (section.results for section in sections)
    assert [p.title for p in patients] == ["Ana Lopez", "Ben Lopez"]  # medspa B's Ana is not there
    assert patients[0].url == f"/dashboard/patients/{clinic['ana'].pk}/"
    assert patients[0].subtitle == "Born 06/15/1990 · phone ending 0142"
    # Upcoming first, soonest first (Ana's at 10:30, Ben's at 2 PM), then the past ones.
    assert [a.url for a in appointments] == [
        f"/dashboard/scheduling/appointments/{clinic[name].pk}/" for name in ("upcoming", "bens", "past")
    ]
    next_week = clinic["next_week"]
    provider_name = cast.provider_a1.get_full_name()
    assert appointments[0].title == "Ana Lopez"
    assert (
        appointments[0].subtitle
        == f"{next_week:%a %b} {next_week.day}, 10:30 AM · Neurotoxin · {provider_name} · Booked"
    )
    assert found_orders == []  # "lopez" names no order
    by_product = client.get("/search/?q=gloves").context["sections"][2].results
    assert [o.title for o in by_product] == [order.number]
    assert by_product[0].url == f"/dashboard/inventory/orders/{order.pk}/"
    assert "Toxin Co · Toxin 100 (100 units) and 1 more · $1,190.60 · Submitted" in by_product[0].subtitle
    assert [o.title for o in client.get(f"/search/?q={order.number}").context["sections"][2].results] == [
        order.number
    ]
    assert [o.title for o in client.get("/search/?q=toxin co").context["sections"][2].results] == [
        order.number
    ]


def test_appointments_are_found_by_a_date_on_the_locations_clock(cast, clinic):
    client = signed_in(cast.admin_a)
    day = clinic["next_week"]
    for typed in (
        f"{day.month}/{day.day}",
        f"{day:%b} {day.day}",
        day.isoformat(),
        f"{day:%B} {day.day}, {day.year}",
    ):
        found = client.get("/search/", {"q": typed}).context["sections"][1].results
        assert [a.url for a in found] == [
            f"/dashboard/scheduling/appointments/{clinic[name].pk}/" for name in ("upcoming", "bens")
        ], typed
    found = client.get("/search/", {"q": f"ben {day.month}/{day.day}"}).context["sections"][1].results
    assert [a.title for a in found] == ["Ben Lopez"]
    other_day = day + timedelta(days=1)
    assert client.get("/search/", {"q": f"{other_day.month}/{other_day.day}"}).context["found"] is False


def test_an_appointment_late_in_the_evening_is_on_its_local_day_not_utcs(cast, clinic):
    """7:30 PM in Los Angeles is the next day in UTC: the search goes by the location's day."""
    day = clinic["next_week"] + timedelta(days=1)
    appointment = clinic["upcoming"]
    with medspa_scope(cast.medspa_a):
        move(appointment, at_la(day, 19, 30))
    found = signed_in(cast.admin_a).get("/search/", {"q": f"ana {day.month}/{day.day}"})
    assert [a.url for a in found.context["sections"][1].results] == [
        f"/dashboard/scheduling/appointments/{appointment.pk}/"
    ]


def test_a_provider_finds_only_their_own_patients_and_appointments_and_no_order(cast, clinic, order):
    page = signed_in(cast.provider_a1).get("/search/?q=lopez")
    assert [section.source.key for section in page.context["sections"]] == ["patients", "appointments"]
    patients, appointments = (section.results for section in page.context["sections"])
    assert [(p.title, p.url) for p in patients] == [("Ana Lopez", f"/provider/patients/{clinic['ana'].pk}/")]
    assert [a.url for a in appointments] == [
        f"/provider/calendar/?appointment={clinic[name].pk}" for name in ("upcoming", "past")
    ]
    assert "Ben" not in text(page) and order.number not in text(
        signed_in(cast.provider_a1).get("/search/?q=gloves")
    )
    # Each link opens.
    for result in [*patients, *appointments]:
        assert signed_in(cast.provider_a1).get(result.url).status_code == 200


def test_the_coordinator_finds_patients_to_book_and_appointments_but_no_order(
    cast, clinic, order, coordinator
):
    client = signed_in(coordinator.user)
    page = client.get("/search/?q=lopez")
    assert [section.source.key for section in page.context["sections"]] == ["patients", "appointments"]
    patients, appointments = (section.results for section in page.context["sections"])
    assert [(p.title, p.url) for p in patients] == [
        ("Ana Lopez", f"/dashboard/scheduling/appointments/new/?patient={clinic['ana'].pk}"),
        ("Ben Lopez", f"/dashboard/scheduling/appointments/new/?patient={clinic['ben'].pk}"),
    ]
    assert len(appointments) == 3
    for result in [*patients, *appointments]:
        assert client.get(result.url).status_code == 200
    assert client.get("/search/?q=gloves").context["found"] is False
    assert "No patients or appointments match “gloves”." in text(client.get("/search/?q=gloves"))


def test_medspa_b_finds_none_of_medspa_as(cast, clinic, order):
    client = signed_in(cast.admin_b)
    page = client.get("/search/?q=lopez")
    patients, appointments, found_orders = (section.results for section in page.context["sections"])
    assert [p.url for p in patients] != [] and all(str(clinic["ana"].pk) not in p.url for p in patients)
    assert appointments == [] and found_orders == []
    assert client.get(f"/search/?q={order.number}").context["found"] is False


def test_staff_without_a_medspa_and_the_anonymous_have_no_search(cast):
    assert Client().get("/search/?q=a").status_code == 302
    assert signed_in(cast.staff).get("/search/?q=a").status_code == 403


# --- The popup and the page ---------------------------------------------------------------------------------


def test_the_popup_shows_five_of_each_kind_and_links_to_the_rest(cast):
    factories.PatientFactory.create_batch(7, medspa=cast.medspa_a, last_name="Quinn")
    client = signed_in(cast.admin_a)
    popup = client.get("/search/?q=quinn", **HTMX)
    assert b"<html" not in popup.content
    assert len(titles(popup)) == 5
    assert "/search/?q=quinn&amp;kind=patients" in popup.content.decode()
    assert len(titles(client.get("/search/?q=quinn"))) == 7  # the page: ten of each kind
    factories.PatientFactory.create_batch(25, medspa=cast.medspa_a, last_name="Quinn")
    first = client.get("/search/?q=quinn&kind=patients")
    assert len(titles(first)) == 25 and first.context["next_page"] == 2
    second = client.get("/search/?q=quinn&kind=patients&page=2")
    assert len(titles(second)) == 7 and second.context["next_page"] is None
    assert second.context["previous_page"] == 1
    assert set(titles(first)).isdisjoint(set()) and len(set(titles(first)) | set(titles(second))) <= 32


def test_an_empty_query_explains_and_nothing_found_says_so(cast):
    client = signed_in(cast.admin_a)
    assert "press / or Ctrl+K" in text(client.get("/search/")).replace("<kbd>", "").replace("</kbd>", "")
    assert client.get("/search/?q=", **HTMX).content == b""
    assert "No patients, appointments or orders match “zzyzx”." in text(client.get("/search/?q=zzyzx"))
    assert "No patients, appointments or orders match “zzyzx”." in text(
        client.get("/search/?q=zzyzx", **HTMX)
    )


def test_the_header_carries_the_search_box_for_members_only(cast):
    page = text(signed_in(cast.admin_a).get("/dashboard/patients/"))
    assert 'role="search"' in page and 'hx-get="/search/"' in page and "<kbd>/</kbd>" in page
    assert 'aria-live="polite"' in page
    assert 'hx-get="/search/"' not in text(Client().get("/accounts/login/"))


# --- The access log -----------------------------------------------------------------------------------------


def test_every_patient_shown_is_written_to_the_access_log(cast, clinic):
    client = signed_in(cast.admin_a)
    client.get("/search/?q=lopez", **HTMX)
    with medspa_scope(cast.medspa_a):
        logged = set(
            PatientAccessLog.objects.filter(viewed="Search results").values_list("patient_id", flat=True)
        )
    assert logged == {clinic["ana"].pk, clinic["ben"].pk}
    signed_in(cast.provider_a1).get("/search/?q=lopez")
    with medspa_scope(cast.medspa_a):
        by_provider = PatientAccessLog.objects.filter(viewed="Search results", actor=cast.provider_a1)
        assert set(by_provider.values_list("patient_id", flat=True)) == {clinic["ana"].pk}


# --- Queries and odd input ----------------------------------------------------------------------------------


def test_the_search_takes_the_same_number_of_queries_for_one_or_many_results(
    cast, clinic, order, django_assert_num_queries
):
    client = signed_in(cast.admin_a)
    client.get("/search/?q=lopez")
    # session, user, memberships, MFA enrolment, the access log's savepoint (with the audit context),
    # patients, appointments, orders, the access log (one INSERT for every patient shown), its release, then
    # the session save that renews the idle timeout (savepoint, update, release)
    with django_assert_num_queries(13):
        client.get("/search/?q=lopez", **HTMX)
    factories.PatientFactory.create_batch(12, medspa=cast.medspa_a, last_name="Lopez")
    with django_assert_num_queries(13):
        client.get("/search/?q=lopez")
    with django_assert_num_queries(11):  # one kind's page: its one query only
        client.get("/search/?q=lopez&kind=patients")


@pytest.mark.parametrize(
    "query",
    [
        "😀 Ana",
        "x" * 500,
        "'; DROP TABLE medspa_patient; --",
        "Ana\x00Lopez",
        "%_\\",
        "  ",
        "99999999999/99",
        "PO-9999999999",
    ],
)
def test_odd_input_never_fails(cast, clinic, query):
    for client in (signed_in(cast.admin_a), signed_in(cast.provider_a1)):
        assert client.get("/search/", {"q": query}).status_code == 200
        assert client.get("/search/", {"q": query}, **HTMX).status_code == 200
        assert client.get("/search/", {"q": query, "kind": "patients", "page": "²"}).status_code == 200


def test_a_long_query_is_cut(cast):
    page = signed_in(cast.admin_a).get("/search/", {"q": "y" * 500})
    assert page.context["query"] == "y" * 100

"""The Patient Care Coordinator: a member whose only role is is_coordinator schedules patients in the admin's
centralised calendar (book, reschedule, cancel, statuses) and reaches nothing else: no patient profile or
chart, no provider pages, no settings, billing, services, inventory or GFE pages (403), and nothing of
another medspa (404). The pages they can open link only to pages they can open."""

from datetime import datetime, time, timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone

from medspa import dashboards
from medspa.models import Patient
from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, AppointmentStatus
from tests import factories
from tests import test_permission_table as permission_table
from tests.factories import unscoped

FORBIDDEN = 403


@unscoped
def member(user):
    return user.memberships.get()


def signed_in(user) -> Client:
    """A client signed in as `user` (the factories enrol every user in TOTP: the MFA requirement is met)."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def coordinator(cast):
    """A Patient Care Coordinator of medspa A, with no other role."""
    return factories.MembershipFactory(medspa=cast.medspa_a, is_provider=False, is_coordinator=True)


@pytest.fixture
def client(coordinator):
    return signed_in(coordinator.user)


@pytest.fixture
def clinic(cast):
    """Medspa A's clinic (America/Los_Angeles, 9:00–17:00 daily) where provider_a1 and provider_a2 work; a
    30-minute type; two patients."""
    a1, a2 = member(cast.provider_a1), member(cast.provider_a2)
    location, appointment_type = factories.scheduling_world(cast.medspa_a, [a1, a2])
    return {
        "medspa": cast.medspa_a,
        "location": location,
        "type": appointment_type,
        "a1": a1,
        "a2": a2,
        "jane": factories.PatientFactory(
            medspa=cast.medspa_a, first_name="Janeway", last_name="Quillfeather"
        ),
        "omar": factories.PatientFactory(medspa=cast.medspa_a, first_name="Omar", last_name="Brightwater"),
    }


def day_after_tomorrow(location):
    return timezone.now().astimezone(location.tz).date() + timedelta(days=2)


def at(location, day, hour):
    return datetime.combine(day, time(hour), tzinfo=location.tz)


@unscoped
def book(clinic, patient, provider, hour):
    location = clinic["location"]
    start = at(location, day_after_tomorrow(location), hour)
    return Appointment.objects.create(
        medspa=location.medspa, location=location, provider=provider, patient=patient,
        appointment_type=clinic["type"], start=start, end=start + timedelta(minutes=30),
        blocked_start=start, blocked_end=start + timedelta(minutes=40),
    )  # fmt: skip


def calendar_url(view, day) -> str:
    return reverse("scheduling:calendar") + f"?view={view}&date={day.isoformat()}"


# --- Scheduling -----------------------------------------------------------------------------------------


def test_the_coordinator_lands_on_the_calendar(client):
    calendar = reverse("scheduling:calendar")
    assert client.get("/")["Location"] == calendar
    assert client.get(reverse("dashboard_home"))["Location"] == calendar
    page = client.get(calendar).content.decode()
    assert 'aria-label="Coordinator dashboard"' in page
    assert f'href="{calendar}" aria-current="page">Calendar</a>' in page
    for tab in dashboards.ADMIN_TABS + dashboards.PROVIDER_TABS:
        assert f'href="{reverse(tab.url_name)}"' not in page, tab
    assert "Switch to" not in page  # one dashboard only
    assert "Invite people" not in page


def test_the_coordinator_opens_the_day_and_week_views(client, clinic):
    book(clinic, clinic["jane"], clinic["a1"], 10)
    book(clinic, clinic["omar"], clinic["a2"], 11)
    day = day_after_tomorrow(clinic["location"])
    for view in ("day", "week"):
        response = client.get(calendar_url(view, day))
        assert response.status_code == 200, view
        content = response.content.decode()
        assert "Janeway Quillfeather" in content and "Omar Brightwater" in content
        assert "Book an appointment" in content
        assert 'aria-label="Scheduling"' not in content  # the scheduling settings' sub-menu is not theirs
    only_a1 = client.get(calendar_url("day", day) + f"&provider={clinic['a1'].pk}").content.decode()
    assert "Janeway Quillfeather" in only_a1 and "Omar Brightwater" not in only_a1


def test_the_coordinator_books_picking_the_patient_by_name(client, coordinator, clinic):
    day = day_after_tomorrow(clinic["location"])
    form = client.get(reverse("scheduling:appointment_new") + f"?date={day}")
    assert form.status_code == 200
    content = form.content.decode()
    # The patients are chosen by name (and date of birth, to tell namesakes apart), with no link to them.
    jane = clinic["jane"]
    assert f"Quillfeather, Janeway ({jane.date_of_birth:%m/%d/%Y})" in content
    assert "/dashboard/patients/" not in content

    response = client.post(
        reverse("scheduling:appointment_new"),
        {
            "patient": jane.pk, "appointment_type": clinic["type"].pk, "provider": clinic["a1"].pk,
            "date": day.isoformat(), "time": "10:00", "notes": "First visit", "idempotency_key": "",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()
    with medspa_scope(clinic["medspa"]):
        appointment = Appointment.objects.get()
        assert response["Location"] == reverse("scheduling:appointment_detail", args=[appointment.pk])
        assert appointment.start == at(clinic["location"], day, 10)
        assert (appointment.patient, appointment.provider, appointment.created_by) == (
            jane, clinic["a1"], coordinator.user,
        )  # fmt: skip
    # A taken slot is refused as for the admin.
    taken = client.post(
        reverse("scheduling:appointment_new"),
        {"patient": clinic["omar"].pk, "appointment_type": clinic["type"].pk, "provider": clinic["a1"].pk,
         "date": day.isoformat(), "time": "10:00", "idempotency_key": ""},
    )  # fmt: skip
    assert taken.status_code == 409
    with medspa_scope(clinic["medspa"]):
        assert Appointment.objects.count() == 1


def test_the_coordinator_reschedules_sets_statuses_and_cancels(client, clinic):
    appointment = book(clinic, clinic["jane"], clinic["a1"], 10)
    detail = reverse("scheduling:appointment_detail", args=[appointment.pk])
    page = client.get(detail)
    assert page.status_code == 200
    content = page.content.decode()
    assert "Reschedule" in content and "Cancel the appointment" in content and "Notifications" in content
    # The patient's name is plain text: their profile is not the coordinator's to open.
    assert "Janeway Quillfeather" in content
    assert reverse("dashboard_patient_detail", args=[clinic["jane"].pk]) not in content

    day = day_after_tomorrow(clinic["location"])
    response = client.post(
        reverse("scheduling:appointment_reschedule", args=[appointment.pk]),
        {"date": day.isoformat(), "time": "14:00", "provider": clinic["a2"].pk},
    )
    assert response.status_code == 302
    with medspa_scope(clinic["medspa"]):
        appointment.refresh_from_db()
    assert appointment.start == at(clinic["location"], day, 14) and appointment.provider == clinic["a2"]

    status_url = reverse("scheduling:appointment_status", args=[appointment.pk])
    assert client.post(status_url, {"status": "confirmed"}).status_code == 302
    assert client.post(status_url, {"status": "completed"}).status_code == 400  # the rules still hold
    with medspa_scope(clinic["medspa"]):
        appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED

    cancel_url = reverse("scheduling:appointment_cancel", args=[appointment.pk])
    assert client.post(cancel_url, {"reason": ""}).status_code == 400
    assert client.post(cancel_url, {"reason": "Patient is travelling"}).status_code == 302
    with medspa_scope(clinic["medspa"]):
        appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == ("cancelled", "Patient is travelling")


def test_the_coordinator_adds_a_first_time_caller_and_books_them(client, clinic):
    calendar = client.get(reverse("scheduling:calendar")).content.decode()
    assert reverse("dashboard_patient_create") in calendar
    form = client.get(reverse("dashboard_patient_create"))
    assert form.status_code == 200
    assert reverse("dashboard_patients") not in form.content.decode()  # the patient list is the admin's
    response = client.post(
        reverse("dashboard_patient_create"),
        {"first_name": "Ximena", "last_name": "Quintanilla", "date_of_birth": "1990-04-02",
         "email": "ximena@example.com", "phone": "+1 619 555 0142"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()
    with medspa_scope(clinic["medspa"]):
        patient = Patient.objects.get(first_name="Ximena", last_name="Quintanilla")
    assert response["Location"] == reverse("scheduling:appointment_new") + f"?patient={patient.pk}"
    start = at(clinic["location"], day_after_tomorrow(clinic["location"]), 11)
    booked = client.post(
        reverse("scheduling:appointment_new"),
        {"appointment_type": clinic["type"].pk, "provider": clinic["a1"].pk, "patient": patient.pk,
         "date": start.date().isoformat(), "time": "11:00"},
    )  # fmt: skip
    assert booked.status_code == 302
    with medspa_scope(clinic["medspa"]):
        assert Appointment.objects.get(patient=patient).start == start


# --- Nothing else ---------------------------------------------------------------------------------------


def test_the_coordinator_reaches_nothing_but_the_calendar(client, cast, clinic, visit):
    patient = clinic["jane"]
    with medspa_scope(cast.medspa_a):
        patient.assigned_providers.add(member(cast.provider_a1))
    forbidden = [
        reverse("onboarding"),
        reverse("dashboard_patients"),
        reverse("dashboard_patient_detail", args=[patient.pk]),
        reverse("dashboard_patient_edit", args=[patient.pk]),
        reverse("dashboard_providers"),
        reverse("account_settings"),
        reverse("invitation_list"),
        reverse("services_catalog:home"),
        reverse("inventory_orders:home"),
        reverse("gfe:home"),
        reverse("providers:admin_earnings"),
        reverse("scheduling:home"),
        reverse("scheduling:type_list"),
        reverse("scheduling:availability"),
        reverse("scheduling:notification_settings"),
        reverse("providers:patients"),
        reverse("providers:patient_detail", args=[patient.pk]),
        reverse("providers:todo"),
        reverse("providers:earnings"),
        reverse("providers:sales"),
        reverse("providers:calendar"),
        reverse("providers:visit_detail", args=[visit.pk]),
    ]
    observed = {url: client.get(url).status_code for url in forbidden}
    assert observed == dict.fromkeys(forbidden, FORBIDDEN)
    # A POST that would start a visit is refused too.
    assert client.post(reverse("providers:visit_start", args=[visit.appointment_id])).status_code == FORBIDDEN


# The pages the coordinator opens (with the permission table's statuses for the cast) and the API, where
# coordinators have their own rights (scheduling/api/views.py).
COORDINATOR_PAGES = {
    "scheduling:calendar", "scheduling:appointment_new", "scheduling:appointment_detail",
    "scheduling:appointment_reschedule", "scheduling:appointment_cancel", "scheduling:appointment_status",
    "dashboard_patient_create", "scheduling:calendar_events", "scheduling:calendar_day_list",
    "scheduling:appointment_move", "scheduling:quick_book", "scheduling:quick_book_patients",
    "scheduling:quick_book_times",
}  # fmt: skip


def test_every_role_gated_page_of_the_permission_table_is_forbidden_to_the_coordinator(cast, coordinator):
    """Every URL of the permission table that some member of the cast is refused for their role (403: admin
    pages, provider pages, staff pages), but for the calendar's and the API's, refuses the coordinator too
    (new pages, billing's and the transition's included, are covered once they are in the table)."""
    things = unscoped(permission_table.world)(cast)  # set-up in both medspas
    client = signed_in(coordinator.user)
    observed, checked = {}, 0
    for name, row in sorted(permission_table.TABLE.items()):
        role_gated = FORBIDDEN in row.statuses[:5]  # the cast's members (staff and anonymous aside)
        if not role_gated or name in COORDINATOR_PAGES or name.startswith("api"):
            continue
        # The table's URLs are built from its world, which spans both medspas: set-up.
        url = reverse(name, kwargs=unscoped(row.kwargs)(things) if row.kwargs is not dict else None)
        data = row.data
        if data is None and name.startswith("inventory_orders:cart_"):
            data = {"product": things["catalog_product"].pk, "quantity": "1"}
        elif data is None:
            data = {"director": member(cast.admin_a).pk}
        with transaction.atomic():
            status = getattr(client, row.method)(url, data).status_code
            transaction.set_rollback(True)
        checked += 1
        if status != FORBIDDEN:
            observed[name] = status
    assert checked > 100
    assert observed == {"dashboard_home": 302}  # sent on to the calendar


def test_the_coordinator_sees_nothing_of_medspa_b(client, cast, clinic):
    b_location, b_type = factories.scheduling_world(cast.medspa_b, [member(cast.provider_b)])
    day = day_after_tomorrow(b_location)
    start = at(b_location, day, 10)
    with medspa_scope(cast.medspa_b):
        theirs = Appointment.objects.create(
            medspa=cast.medspa_b, location=b_location, provider=member(cast.provider_b),
            patient=factories.PatientFactory(
                medspa=cast.medspa_b, first_name="Zebulon", last_name="Farfield"
            ),
            appointment_type=b_type, start=start, end=start + timedelta(minutes=30),
            blocked_start=start, blocked_end=start + timedelta(minutes=40),
        )  # fmt: skip
    assert client.get(reverse("scheduling:appointment_detail", args=[theirs.pk])).status_code == 404
    for name, data in [
        ("scheduling:appointment_status", {"status": "confirmed"}),
        ("scheduling:appointment_cancel", {"reason": "Mine now"}),
        ("scheduling:appointment_reschedule", {"date": day.isoformat(), "time": "11:00"}),
    ]:
        assert client.post(reverse(name, args=[theirs.pk]), data).status_code == 404, name
    for view in ("day", "week"):
        page = client.get(calendar_url(view, day)).content.decode()
        assert "Zebulon" not in page and b_location.name not in page
        assert cast.provider_b.get_full_name() not in page
    # Booking medspa B's patient or type from medspa A is refused.
    response = client.post(
        reverse("scheduling:appointment_new"),
        {"patient": theirs.patient_id, "appointment_type": b_type.pk, "date": day.isoformat(),
         "time": "12:00", "idempotency_key": ""},
    )  # fmt: skip
    assert response.status_code == 400
    with medspa_scope(cast.medspa_b):
        theirs.refresh_from_db()
    with medspa_scope(cast.medspa_a):
        assert theirs.status == "booked" and Appointment.objects.filter(medspa=cast.medspa_a).count() == 0


# --- Every link on the coordinator's pages opens ---------------------------------------------------------


class Links(HTMLParser):
    """The href of every <a> and the action of every <form> of a page."""

    def __init__(self):
        super().__init__()
        self.hrefs, self.actions = [], []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.hrefs.append(attributes["href"])
        elif tag == "form":
            self.actions.append((attributes.get("method", "get").lower(), attributes.get("action") or ""))


def links_of(content: str) -> Links:
    parser = Links()
    parser.feed(content)
    return parser


# Where the coordinator's pages post: the calendar's own actions and the account menu.
POST_TARGETS = {
    "scheduling:appointment_new", "scheduling:appointment_status", "scheduling:appointment_reschedule",
    "scheduling:appointment_cancel", "account_logout", "dashboard_switch",
}  # fmt: skip


def assert_every_link_opens(client, page_url: str) -> int:
    response = client.get(page_url)
    assert response.status_code == 200, page_url
    links = links_of(response.content.decode())
    opened = 0
    for href in links.hrefs:
        url = urljoin(page_url, href)
        parts = urlsplit(url)
        if parts.netloc or href.startswith("#"):
            continue  # another site, or a place on this page
        target = client.get(url, follow=True)
        assert target.status_code == 200, (page_url, href, target.status_code)
        opened += 1
    for method, action in links.actions:
        url = urlsplit(urljoin(page_url, action))
        if method == "post":
            assert resolve(url.path).view_name in POST_TARGETS, (page_url, action)
        else:
            assert client.get(urljoin(page_url, action)).status_code == 200, (page_url, action)
    return opened


@pytest.mark.slow  # opens every link of the pages
def test_every_link_on_the_coordinators_pages_opens(client, cast, clinic):
    a1 = clinic["a1"]
    booked = book(clinic, clinic["jane"], a1, 10)
    checked_in = book(clinic, clinic["omar"], clinic["a2"], 11)
    checked_in.status = AppointmentStatus.CHECKED_IN
    with medspa_scope(clinic["medspa"]):
        checked_in.save()
    day = day_after_tomorrow(clinic["location"])
    pages = [
        calendar_url("day", day),
        calendar_url("week", day),
        calendar_url("day", day) + "&cancelled=1",
        reverse("scheduling:calendar"),
        reverse("scheduling:appointment_new") + f"?date={day}&provider={a1.pk}",
        reverse("scheduling:appointment_detail", args=[booked.pk]),
        reverse("scheduling:appointment_detail", args=[checked_in.pk]),
    ]
    opened = sum(assert_every_link_opens(client, page) for page in pages)
    assert opened > 40


def test_a_coordinator_who_is_also_a_provider_sees_no_chart_links_in_the_coordinator_dashboard(
    cast, appointment, visit
):
    """provider_a1, made coordinator too: in the coordinator's dashboard the calendar shows no visit or
    patient links (those belong to the Provider dashboard, where they still are)."""
    membership = member(cast.provider_a1)
    membership.is_coordinator = True
    membership.save()
    client = signed_in(cast.provider_a1)
    day = appointment.local_start.date()
    calendar = client.get(calendar_url("day", day))
    assert calendar.status_code == 200
    assert calendar.context["coordinator_view"] is True
    detail = client.get(reverse("scheduling:appointment_detail", args=[appointment.pk])).content.decode()
    for content in (calendar.content.decode(), detail):
        assert reverse("providers:visit_detail", args=[visit.pk]) not in content
        assert reverse("dashboard_patient_detail", args=[appointment.patient_id]) not in content
    # Their own calendar in the Provider dashboard keeps the visit button.
    own = client.get(reverse("providers:calendar") + f"?view=day&date={day}").content.decode()
    assert reverse("providers:visit_detail", args=[visit.pk]) in own


# --- Three dashboards -----------------------------------------------------------------------------------


def test_a_member_with_all_three_roles_switches_between_them(cast):
    membership = member(cast.admin_a)  # admin and provider
    membership.is_coordinator = True
    membership.save()
    client = signed_in(cast.admin_a)
    assert client.get("/")["Location"] == "/dashboard/"
    page = client.get("/dashboard/").content.decode()
    assert "Switch to Provider dashboard" in page and "Switch to Coordinator dashboard" in page
    assert "Switch to Medspa Admin dashboard" not in page

    calendar = reverse("scheduling:calendar")
    assert client.post("/dashboard/switch/", {"to": "coordinator"})["Location"] == calendar
    assert client.get("/")["Location"] == calendar
    page = client.get(calendar).content.decode()
    assert 'aria-label="Coordinator dashboard"' in page
    assert "Switch to Provider dashboard" in page and "Switch to Medspa Admin dashboard" in page
    assert ">Account settings</a>" not in page  # the coordinator's tabs
    # The admin's own pages stay theirs: opening one goes back to the admin dashboard.
    assert client.get(reverse("account_settings")).status_code == 200
    assert client.get("/")["Location"] == "/dashboard/"
    # The calendar keeps the dashboard it is opened from.
    assert client.get(calendar).context["coordinator_view"] is False
    client.post("/dashboard/switch/", {"to": "provider"})
    assert client.get("/")["Location"] == "/provider/patients/"
    client.post("/dashboard/switch/", {"to": "coordinator"})
    assert client.get(calendar).context["coordinator_view"] is True


def test_a_coordinator_cannot_switch_into_dashboards_they_do_not_hold(client):
    for target in ("admin", "provider", "nonsense"):
        client.post("/dashboard/switch/", {"to": target})
        assert client.get("/")["Location"] == reverse("scheduling:calendar")


def test_the_admin_calendar_is_unchanged_for_the_admin(client_as, clinic):
    appointment = book(clinic, clinic["jane"], clinic["a1"], 10)
    client = client_as("admin_a")
    page = client.get(calendar_url("day", day_after_tomorrow(clinic["location"])))
    assert page.context["coordinator_view"] is False
    content = page.content.decode()
    assert 'aria-label="Scheduling"' in content  # the scheduling settings' sub-menu
    detail = client.get(reverse("scheduling:appointment_detail", args=[appointment.pk])).content.decode()
    assert reverse("dashboard_patient_detail", args=[clinic["jane"].pk]) in detail
    assert 'aria-label="Medspa Admin dashboard"' in detail


def test_providers_and_the_anonymous_still_cannot_open_the_admin_calendar(client_as, clinic):
    assert client_as("provider_a1").get(reverse("scheduling:calendar")).status_code == 403
    assert client_as("provider_a1").get(reverse("dashboard_home")).status_code == 403
    assert client_as("anonymous").get(reverse("scheduling:calendar")).status_code == 302
    assert client_as("anonymous").get(reverse("dashboard_home")).status_code == 302


def test_dashboard_area_refuses_unknown_dashboards():
    with pytest.raises(ValueError):
        dashboards.dashboard_area("owner")
    with pytest.raises(ValueError):
        dashboards.dashboard_area()

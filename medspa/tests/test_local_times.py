"""Every page that shows a time shows it in the medspa's time zone, never in UTC.

The pages come from the permission table (every URL answering GET, as someone who may open it) and Django
admin's change pages, for a medspa in America/Los_Angeles whose things all happen at 2027-01-15 06:30 UTC:
10:30 PM on January 14 in Los Angeles, a time whose UTC date differs too."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.admin.utils import unquote
from django.test import Client
from django.urls import resolve, reverse
from django_scopes import scopes_disabled

from medspa.tenancy import medspa_scope
from medspa.timezones import medspa_of
from scheduling.models import Appointment
from tests.test_access_log_coverage import QUERY, clearer_link, member_who_may_open
from tests.test_permission_table import OK, TABLE, admin_urls, world

NOW = datetime(2027, 1, 15, 6, 30, tzinfo=UTC)  # 10:30 PM on Jan 14 in Los Angeles
# The world's things happen at NOW; its appointment is tomorrow at 10:00 AM in Los Angeles, 18:00 UTC.
UTC_TIMES = ("6:30 AM", "6:30 a.m.", "06:30", "6:00 PM", "6:00 p.m.", "18:00")
UTC_DATES = ("Jan 15", "Jan. 15", "January 15", "2027-01-15")  # the UTC date of NOW: Jan 14 in Los Angeles
LOCAL_TIMES = ("10:30 PM", "10:30 p.m.", "22:30")
APPOINTMENT = ("10:00 AM", "10:00 a.m.")
STAFF = 5  # the staff column of the permission table

# Pages that show when the world's things happened (created, signed, paid, submitted, asked), in local time.
SHOWS = {
    "providers:earnings": LOCAL_TIMES,
    "providers:admin_earnings": LOCAL_TIMES,
    "providers:sales": LOCAL_TIMES,
    "providers:sale_detail": LOCAL_TIMES,
    "services_catalog:text_detail": LOCAL_TIMES,
    "dashboard_patient_detail": APPOINTMENT,
    "providers:patient_detail": APPOINTMENT,
    "dashboard_home": APPOINTMENT,  # the To-Do: tomorrow's paperwork
    "paperwork:response_detail": APPOINTMENT,  # and when it was sent, 10:30 PM (no UTC time, as everywhere)
    "paperwork:patient_responses": APPOINTMENT,
    "paperwork:change_accept": LOCAL_TIMES,  # when the answer was sent
    "inventory_staff:list": ("10:30 PM PST",),
    "inventory_staff:review": ("10:30 PM PST",),
    "inventory_staff:issues": ("10:30 PM PST",),
    "transition_staff:detail": ("10:30 PM PST",),
    "billing_staff:detail": ("Jan 14, 2027",),
}


def text_of(response) -> str:
    """What a person reads: the page's text without its tags (an ISO stamp in an attribute is not shown)."""
    kind = response["Content-Type"]
    if not kind.startswith(("text/html", "text/csv", "text/plain")):
        return ""
    content = (
        b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    )
    return re.sub(r"<[^>]*>", " ", content.decode())


def pages(cast, things) -> list[tuple[str, str, object, dict]]:
    """(name, url, user, query) of every page answering GET to someone: a member, or Portrait staff."""
    result = []
    for name, row in TABLE.items():
        if row.method != "get" or OK not in row.statuses or name.startswith("api:"):
            continue  # the API answers ISO 8601 instants with their offset, not times to read
        if name == "gfe_review":
            result.append((name, clearer_link(cast, things), None, {}))
            continue
        url = reverse(name, kwargs=row.kwargs(things) if row.kwargs is not dict else None)
        query = QUERY[name](things) if name in QUERY else {}
        if row.statuses[STAFF] == OK:
            result.append((name, url, cast.staff, query))
        if any(status == OK for status in row.statuses[:STAFF]):
            result.append((name, url, cast.user(member_who_may_open(name)), query))
    return result


@pytest.fixture
def los_angeles_world(cast):
    cast.medspa_a.time_zone = "America/Los_Angeles"
    cast.medspa_a.save()
    with time_machine.travel(NOW, tick=False):
        with medspa_scope(cast.medspa_a):
            things = world(cast)
            # The patient whose profiles are walked is the one with the appointment.
            Appointment.objects.filter(pk=things["appointment"].pk).update(patient=things["patient"])
        yield things


@pytest.mark.slow  # renders every page that shows a time
def test_no_page_shows_a_time_in_utc(cast, los_angeles_world):
    shown_in_utc, missing_local = [], []
    for name, url, user, query in pages(cast, los_angeles_world):
        client = Client()
        if user is not None:
            client.force_login(user)
        response = client.get(url, query)
        assert response.status_code == OK, (name, url, user)
        text = text_of(response)
        shown_in_utc += [f"{name} ({user}): {utc!r}" for utc in UTC_TIMES if utc in text]
        # Elsewhere Jan 15 may well be shown: tomorrow in a day picker, say. The appointment is on Jan 15 in
        # Los Angeles too (tomorrow there), so on its pages the hour, not the date, tells the zones apart.
        if name in SHOWS and SHOWS[name] is not APPOINTMENT:
            shown_in_utc += [f"{name} ({user}): {utc!r}" for utc in UTC_DATES if utc in text]
        if name in SHOWS and not any(local in text for local in SHOWS[name]):
            missing_local.append(f"{name} ({user})")
    assert shown_in_utc == []
    assert missing_local == []


@pytest.mark.slow  # walks the Django admin
@pytest.mark.scopes_disabled(reason="staff walk the Django admin over every medspa's objects")
def test_django_admin_shows_an_objects_times_in_its_medspas_zone_and_names_the_zone(cast, los_angeles_world):
    client = Client()
    client.force_login(cast.staff)
    wrong, walked = [], 0
    for url in admin_urls(cast):
        match = resolve(url)
        if "object_id" not in match.kwargs or not match.url_name.endswith("_change"):
            continue
        with scopes_disabled():
            medspa = medspa_of(match.func.model_admin.get_object(None, unquote(match.kwargs["object_id"])))
        response = client.get(url)
        assert response.status_code == OK, url
        text, walked = text_of(response), walked + 1
        zone = medspa.time_zone if medspa is not None else "UTC"
        if f"Times are shown in {zone}" not in text:
            wrong.append(f"{url}: the zone {zone} is not named")
        if medspa is not None and medspa.time_zone == "America/Los_Angeles":
            wrong += [f"{url}: {utc!r}" for utc in UTC_TIMES if utc in text]
    assert walked > 20
    assert wrong == []

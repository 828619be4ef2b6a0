"""The admin's Today about GFEs (gfe.selectors.waiting): the medspa's requests still waiting for an exam
(sent or in review), how long the oldest has waited, a link to GFE management, and nothing of another
medspa's."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from gfe.models import GfeRequest
from gfe.selectors import waiting
from gfe.tests.factories import GfeRequestFactory
from medspa.tenancy import medspa_scope

NOW = datetime(2026, 12, 8, 17, 0, tzinfo=UTC)  # noon in New York, medspa A's zone


def requested(medspa, status, at):
    with time_machine.travel(at, tick=False):
        return GfeRequestFactory(medspa=medspa, status=status)


@pytest.fixture
def requests(cast):
    """Medspa A: two requests sent, one in review, and three decided or closed; medspa B: an older one."""
    a = cast.medspa_a
    requested(a, "sent", NOW - timedelta(hours=5))
    oldest = requested(a, "in_review", NOW - timedelta(days=2, hours=3))
    requested(a, "sent", NOW - timedelta(minutes=20))
    for status in ("approved", "rejected", "expired"):
        requested(a, status, NOW - timedelta(days=6))
    requested(cast.medspa_b, "sent", NOW - timedelta(days=9))
    return oldest


def test_the_open_requests_are_counted_with_the_oldest(cast, requests):
    with medspa_scope(cast.medspa_a):
        found = waiting.gfes_waiting(GfeRequest.objects.filter(medspa=cast.medspa_a), now=NOW)
    assert (found.count, found.oldest) == (3, requests.created_at)


def test_the_page_says_how_many_wait_and_since_when(cast, client_as, requests):
    with time_machine.travel(NOW, tick=False):
        page = client_as("admin_a").get(reverse("dashboard_home")).content.decode()
    section = re.search(r'<section[^>]*id="today-gfe".*?</section>', page, re.S).group(0)
    assert "3</span> GFE requests waiting for an exam" in section
    assert "Dec 6, 9:00 AM" in section and "waiting 2\xa0days, 3\xa0hours" in section
    assert reverse("gfe:home") in section


def test_another_medspa_counts_only_its_own(cast, client_as, requests):
    with time_machine.travel(NOW, tick=False):
        page = client_as("admin_b").get(reverse("dashboard_home")).content.decode()
    section = re.search(r'<section[^>]*id="today-gfe".*?</section>', page, re.S).group(0)
    assert "1</span> GFE request waiting for an exam" in section and "Nov 29" in section


def test_none_waiting_says_what_will_count(cast, client_as):
    page = client_as("admin_a").get(reverse("dashboard_home")).content.decode()
    assert "No GFE waiting." in page


def test_one_query_however_many(cast, requests, django_assert_num_queries):
    with medspa_scope(cast.medspa_a), django_assert_num_queries(1):  # the count and the oldest, together
        waiting.gfes_waiting(GfeRequest.objects.filter(medspa=cast.medspa_a))

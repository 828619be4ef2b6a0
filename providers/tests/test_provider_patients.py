"""The provider's Patients tab: their own patients (assigned, or with an appointment or a visit with them),
searched and paginated, the few seen last on top, in a constant number of queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from medspa.models import PatientProvider
from medspa.tenancy import medspa_scope
from providers.models import Visit
from providers.selectors.patients import provider_patients
from providers.services import charting
from scheduling.models import Appointment, AppointmentStatus
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/provider/patients/"


@pytest.fixture
def world(cast, provider, colleague):
    location, appointment_type = factories.scheduling_world(cast.medspa_a, [provider, colleague])
    return location, appointment_type


def appointment(world, provider, patient, start, status=AppointmentStatus.COMPLETED):
    """Written directly: the booking rules refuse times in the past."""
    location, appointment_type = world
    with medspa_scope(location.medspa_id):
        return Appointment.objects.create(
            medspa=location.medspa, location=location, provider=provider, patient=patient,
            appointment_type=appointment_type, start=start, end=start + timedelta(minutes=30),
            blocked_start=start, blocked_end=start + timedelta(minutes=30), status=status,
        )  # fmt: skip


def walk_in(world, provider, patient, started_at, user):
    with medspa_scope(world[0].medspa_id):
        visit = charting.visit_start_walk_in(patient=patient, provider=provider, location=world[0], by=user)
        Visit.objects.filter(pk=visit.pk).update(started_at=started_at)
        return visit


def patient(cast, **extra):
    return factories.PatientFactory(medspa=cast.medspa_a, **extra)


def test_my_patients_are_those_assigned_to_me_or_seen_by_me_and_none_other(
    cast, client_as, world, provider, colleague
):
    now = timezone.now()
    assigned, booked, visited, everything = (patient(cast) for _ in range(4))
    PatientProvider.objects.create(patient=assigned, membership=provider)
    appointment(world, provider, booked, now + timedelta(days=3), AppointmentStatus.BOOKED)
    walk_in(world, provider, visited, now - timedelta(days=1), cast.provider_a1)
    PatientProvider.objects.create(patient=everything, membership=provider)
    appointment(world, provider, everything, now - timedelta(days=8))
    walk_in(world, provider, everything, now - timedelta(days=8), cast.provider_a1)
    colleagues = patient(cast)
    appointment(world, colleague, colleagues, now - timedelta(days=2))
    archived = patient(cast, status="archived")
    appointment(world, provider, archived, now - timedelta(days=3))
    theirs = factories.PatientFactory(medspa=cast.medspa_b)

    with medspa_scope(cast.medspa_a):
        mine = list(provider_patients(provider))
    assert sorted(p.pk for p in mine) == sorted(p.pk for p in (assigned, booked, visited, everything))
    assert len(mine) == 4  # a patient seen many ways is listed once

    client = client_as("provider_a1")
    listed = client.get(URL).context["page"].object_list
    assert {p.pk for p in listed} == {assigned.pk, booked.pk, visited.pk, everything.pk}
    for pk in (booked.pk, visited.pk):
        assert client.get(f"/provider/patients/{pk}/").status_code == 200
    for pk in (colleagues.pk, archived.pk, theirs.pk):
        assert client.get(f"/provider/patients/{pk}/").status_code == 404


def test_search_looks_among_my_patients_only(cast, client_as, world, provider, colleague):
    now = timezone.now()
    mine = patient(cast, first_name="Zelda", last_name="Quill")
    appointment(world, provider, mine, now - timedelta(days=1))
    other = patient(cast, first_name="Zelda", last_name="Quorn")
    appointment(world, colleague, other, now - timedelta(days=1))
    response = client_as("provider_a1").get(URL, {"q": "zelda"})
    assert [p.pk for p in response.context["page"].object_list] == [mine.pk]
    assert response.context["recent"] == []  # no "Recent" while searching
    assert (
        "None of your patients matches" in client_as("provider_a1").get(URL, {"q": "nobody"}).content.decode()
    )


def test_recent_lists_the_five_i_saw_last_newest_first(cast, client_as, world, provider, colleague):
    now = timezone.now()
    seen = [patient(cast) for _ in range(7)]
    for days, person in enumerate(seen):
        if days % 2:
            appointment(world, provider, person, now - timedelta(days=days + 1))
        else:
            walk_in(world, provider, person, now - timedelta(days=days + 1), cast.provider_a1)
    # An old visit, but a fresh appointment with me: the fresh one counts.
    appointment(world, provider, seen[6], now - timedelta(hours=2))
    # Things that do not make a patient "recent": a future appointment, a cancelled one, a colleague's visit.
    upcoming = patient(cast)
    appointment(world, provider, upcoming, now + timedelta(days=1), AppointmentStatus.BOOKED)
    cancelled = patient(cast)
    PatientProvider.objects.create(patient=cancelled, membership=provider)
    appointment(world, provider, cancelled, now - timedelta(minutes=30), AppointmentStatus.CANCELLED)
    walk_in(world, colleague, cancelled, now - timedelta(minutes=10), cast.provider_a2)

    response = client_as("provider_a1").get(URL)
    recent = response.context["recent"]
    assert [p.pk for p in recent] == [seen[6].pk, seen[0].pk, seen[1].pk, seen[2].pk, seen[3].pk]
    page = response.content.decode()
    assert "Recent" in page and f"/provider/patients/{seen[6].pk}/" in page
    assert len(response.context["page"].object_list) == 9  # the list itself still has everyone


def test_a_provider_with_nobody_sees_an_explaining_empty_state(client_as, cast):
    page = client_as("provider_a1").get(URL).content.decode()
    assert "You have no patients yet" in page and "Recent" not in page


def test_pages_beyond_the_first_have_no_recent_section(cast, client_as, provider):
    for _ in range(27):
        PatientProvider.objects.create(patient=patient(cast), membership=provider)
    response = client_as("provider_a1").get(URL, {"page": 2})
    assert len(response.context["page"].object_list) == 2 and response.context["recent"] == []


# session, user, memberships, MFA enrolment, audit context (pghistory set_config); the page's count, the
# page, the recent patients, the access log (one INSERT for every patient shown); audit context again, then
# the session save that renews the idle timeout (savepoint, update, release)
LIST_QUERIES = 13


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_takes_the_same_number_of_queries_for_3_or_30_patients(
    cast, client_as, world, provider, count, django_assert_num_queries
):
    now = timezone.now()
    for number in range(count):
        person = patient(cast)
        if number % 3 == 0:
            PatientProvider.objects.create(patient=person, membership=provider)
        elif number % 3 == 1:
            appointment(world, provider, person, now - timedelta(days=number))
        else:
            walk_in(world, provider, person, now - timedelta(days=number), cast.provider_a1)
    client = client_as("provider_a1")
    client.get(URL)  # the first request of a session writes it; measure the ones after
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(URL)
    assert response.context["page"].paginator.count == count
    assert len(response.context["recent"]) == min(5, count * 2 // 3)

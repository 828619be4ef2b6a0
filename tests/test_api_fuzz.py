"""Hostile input on the API: schemathesis drives every operation of the project's own OpenAPI schema
(/api/schema/, drf-spectacular) in process, through the Django WSGI app (no server), signed in with a token
as admin_a (an admin, also a provider) and as provider_a1 of medspa A.

Every operation gets schema-valid requests (positive) and, as the admin, schema-invalid ones (negative).
Ids are sometimes swapped for real ones: medspa A's, medspa B's and the library's. Every response must be
- no server error (no 5xx),
- a status code the schema documents for the operation (errors included: 400, 403, 404, 409, 415),
- a content type the schema documents, with a body that matches the schema for that status,
- and never medspa B's: its ids in a path are "not found" (or refused by role), a write naming one of its
  objects is refused, and no list shows one of them.

Not checked, on purpose: `negative_data_rejection` (a schema-invalid request must be refused). DRF reads
query strings and form bodies as HTML forms send them: an empty value is "not given" (`?status=`, an
empty multi-value form field), so such requests are rightly answered 200/201 though the schema's JSON
types call them invalid. `positive_data_acceptance` neither: schema-valid is not bookable (a time in the
past, outside hours, a duplicate name are refused with 400 by the business rules, as they should be).

Bounded for `make test` (about a minute on 2 cores): 6 valid and 4 invalid examples per operation for the
admin, 6 valid ones for the provider; derandomized (the same cases every run), no example database, no
shrinking. To explore further: FUZZ_EXAMPLES=<n> runs n examples per operation and mode, random ones (a new
seed every run), shrinking what fails.
"""

import os
from datetime import date, timedelta

import pytest
import schemathesis
from django.apps import apps
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from medspa.services.accounts import api_token_create
from medspa.tenancy import medspa_scope
from tests import factories

pytestmark = pytest.mark.slow  # generated requests by the hundred

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _settings(examples: int) -> settings:
    return settings(
        max_examples=EXAMPLES or examples,
        deadline=None,
        derandomize=not EXAMPLES,
        database=None,
        phases=[Phase.explicit, Phase.generate, *([Phase.shrink] if EXAMPLES else [])],
        # Requests are big and slow to make by nature; schemathesis filters what the schema cannot express.
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
        print_blob=False,
    )


# Per role: the modes and the examples of each. Schema-invalid input is parsed the same whatever the role
# (and most of the provider's writes stop at the role check), so the provider runs the valid ones only.
ROLES = {
    "admin_a": {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 4},
    "provider_a1": {GenerationMode.POSITIVE: 6},
}

# Which model an id names: by the name of a body or query field, or by the collection in the path.
FIELD_MODELS = {
    "patient": "medspa.Patient",
    "provider": "medspa.Membership",
    "providers": "medspa.Membership",
    "location": "scheduling.Location",
    "appointment_type": "scheduling.AppointmentType",
    "rooms": "scheduling.Resource",
    "service": "services_catalog.Service",
    "services": "services_catalog.Service",
    "group": "services_catalog.ServiceGroup",
    "consents": "services_catalog.Consent",
    "default_consents": "services_catalog.Consent",
    "care_messages": "services_catalog.CareMessage",
    "standing_order": "services_catalog.StandingOrder",
}
PATH_MODELS = {
    "patients": "medspa.Patient",
    "locations": "scheduling.Location",
    "appointment-types": "scheduling.AppointmentType",
    "availability-rules": "scheduling.AvailabilityRule",
    "availability-overrides": "scheduling.AvailabilityOverride",
    "closures": "scheduling.Closure",
    "appointments": "scheduling.Appointment",
    "services": "services_catalog.Service",
    "service-groups": "services_catalog.ServiceGroup",
    "consents": "services_catalog.Consent",
    "care-messages": "services_catalog.CareMessage",
    "standing-orders": "services_catalog.StandingOrder",
    "library-services": "services_catalog.LibraryService",
    "retail-products": "services_catalog.RetailProduct",
    "clearances": "gfe.Clearance",
    "requests": "gfe.GfeRequest",
}


# --- The world: medspa A with something of everything, medspa B likewise (its ids must never work) --------


def _world(medspa, provider):
    """Scheduling, a service with its texts, a cleared patient and a checked-in appointment
    (factories.charting_world), plus a room, time off, a closure, a retail product, a standing order and
    a GFE request, all of `medspa`."""
    from gfe.services import requests as gfe_services
    from scheduling.models import AvailabilityOverride, Closure, Resource
    from services_catalog.models import StandingOrder
    from services_catalog.services import texts

    world = factories.charting_world(medspa, provider)
    world.appointment = factories.checked_in_appointment(world, provider)
    Resource.objects.create(medspa=medspa, location=world.location, name="Room 1")
    AvailabilityOverride.objects.create(
        medspa=medspa, provider=provider, location=None, date=date.today() + timedelta(days=3), kind="off"
    )
    Closure.objects.create(
        medspa=medspa, location=None, date=date.today() + timedelta(days=20), reason="Holiday"
    )
    factories.retail_product(medspa, "Sunscreen", f"SUN-{medspa.pk}", "30.00")
    texts.text_create(
        model=StandingOrder, medspa=medspa, title="Neurotoxin protocol", by=None,
        text="Dose per area as charted; stop on any sign of an allergic reaction.",
    )  # fmt: skip
    other = factories.PatientFactory(medspa=medspa)
    gfe_services.gfe_request_create(patient=other, services=[world.service], requested_by=provider.user)
    return world


class Ids:
    """The ids the fuzzer may use, per model (a fixed order: derandomized), and medspa B's."""

    def __init__(self, foreign_medspa):
        self.every, self.foreign = {}, {}
        for label in {*FIELD_MODELS.values(), *PATH_MODELS.values()}:
            model = apps.get_model(label)
            self.every[label] = sorted(model._base_manager.values_list("pk", flat=True))
            tenant = any(field.name == "medspa" for field in model._meta.get_fields())
            theirs = (
                model._base_manager.filter(medspa=foreign_medspa) if tenant else model._base_manager.none()
            )
            self.foreign[label] = set(theirs.values_list("pk", flat=True))


@pytest.fixture
def fuzz_world(cast, settings):
    from services_catalog.services import catalog

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]  # the WSGI test client's Host
    # One user sends some 700 requests in about a minute here, past the 600 a minute a person is allowed:
    # the fuzzer must reach every operation, not its 429 (medspa/tests/test_client_ip.py proves the throttle).
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "100000/min"},
    }
    library = factories.library_service()
    factories.library_service(name="Filler: cheeks", price="700.00")
    with medspa_scope(cast.medspa_a):
        admin_a = cast.admin_a.memberships.get()
        world = _world(cast.medspa_a, cast.provider_a1.memberships.get())
        world.location.providers.add(admin_a)
        factories.checked_in_appointment(world, admin_a, start=world.appointment.start + timedelta(hours=2))
    with medspa_scope(cast.medspa_b):
        _world(cast.medspa_b, cast.provider_b.memberships.get())
        catalog.service_import(medspa=cast.medspa_b, library_service=library)
    # A request's start and end close "old" connections: here, the test's own transaction (Django's test
    # client disconnects them too).
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield Ids(cast.medspa_b)
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


# --- The harness ------------------------------------------------------------------------------------------


def _collection(case) -> str | None:
    """The model label of the collection the operation's path names (…/appointments/{id}/cancel/)."""
    segments = [segment for segment in case.operation.path.split("/") if segment and segment[0] != "{"]
    for segment in reversed(segments):
        if segment in PATH_MODELS:
            return PATH_MODELS[segment]
    return None


def _real_ids(data, case, ids: Ids) -> dict:
    """Swaps some generated ids for real ones (the draws decide which): medspa A's must work within the
    role's rights; medspa B's must be refused, never used. Returns where B's ids went."""
    used = {"path": False, "body": False}
    label = _collection(case)
    if label and "id" in (case.path_parameters or {}) and data.draw(st.booleans(), label="real path id"):
        case.path_parameters["id"] = data.draw(st.sampled_from(ids.every[label]), label="path id")
        used["path"] = case.path_parameters["id"] in ids.foreign[label]
    for place, container in (("query", case.query), ("body", case.body)):
        if not isinstance(container, dict):
            continue
        for name, value in list(container.items()):
            label = FIELD_MODELS.get(name)
            if label is None or not data.draw(st.booleans(), label=f"real {name}"):
                continue
            choice = st.sampled_from(ids.every[label])
            picked = data.draw(
                st.lists(choice, max_size=3) if isinstance(value, list) else choice, label=name
            )
            container[name] = picked
            if place == "body" and set(picked if isinstance(picked, list) else [picked]) & ids.foreign[label]:
                used["body"] = True
    return used


def _never_theirs(case, response, used: dict, ids: Ids):
    """Medspa B's objects stay out of reach whatever the request."""
    status = response.status_code
    if used["path"]:
        assert status in (403, 404), f"{case.operation.label}: medspa B's id in the path answered {status}"
    if used["body"] and case.method != "GET":
        assert status >= 400, f"{case.operation.label}: a write naming medspa B's object answered {status}"
    label = _collection(case)
    if status == 200 and case.method == "GET" and "{id}" not in case.operation.path and label:
        shown = {row["id"] for row in response.json()["results"]}
        assert not shown & ids.foreign[label], f"{case.operation.label} lists medspa B's objects"


def _fuzz_operation(strategy, headers, ids: Ids, examples: int):
    """A Hypothesis test of one operation in one mode: draw a case, send it, check the response."""

    @_settings(examples)
    @given(data=st.data())
    def run(data):
        case = data.draw(strategy, label="case")
        used = _real_ids(data, case, ids)
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        _never_theirs(case, response, used, ids)

    return run


def _negatable(operation) -> bool:
    return any(len(part) for part in (operation.path_parameters, operation.query, operation.body))


@pytest.mark.parametrize("role", ROLES)
def test_the_api_holds_against_generated_requests(cast, fuzz_world, role):
    headers = {"Authorization": f"Token {api_token_create(user=cast.user(role))[1]}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler(), headers=headers)
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode, examples in ROLES[role].items():
            if mode == GenerationMode.NEGATIVE and not _negatable(operation):
                continue  # nothing to make invalid (GET /me/)
            try:
                _fuzz_operation(operation.as_strategy(generation_mode=mode), headers, fuzz_world, examples)()
            except (Exception, FailureGroup) as error:  # every operation's failures, together
                failures.append(f"{mode.value} {operation.label}:\n{error}")
    assert operations >= 70  # the whole API: a schema that lost its paths would pass vacuously
    assert not failures, f"{len(failures)} operation(s) failed:\n\n" + "\n\n".join(failures)


# --- What the fuzzing (and a probe in its wake) found, pinned: each of these was a 500 or a stored absurdity.


@pytest.fixture
def api_admin(cast):
    from rest_framework.test import APIClient

    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=cast.admin_a)[1]}")
    return client


def test_the_findings_are_answered_without_a_server_error(cast, api_admin):
    with medspa_scope(cast.medspa_a):
        provider = cast.provider_a1.memberships.get()
    world = factories.charting_world(cast.medspa_a, provider)
    slots = f"/api/v1/appointment-types/{world.appointment_type.pk}/slots/"
    answers = {
        # Django's get_object_or_404 let int("abc") through (ValueError)
        ("post", "/api/v1/library-services/abc/import/"): 404,
        # PostgreSQL refuses offsets beyond ±15:59 (DataError); +21:00 is the same instant in UTC
        ("get", "/api/v1/appointments/?start__lt=3005-12-15T11:33:21%2B21:00"): 200,
        ("get", "/api/v1/appointments/?start__gte=9999-12-31T23:00:00-12:00"): 400,  # past year 9999 in UTC
        # "²".isdigit() is true, int("²") a ValueError
        ("get", "/api/v1/appointment-types/?location=%C2%B2"): 400,
        ("get", "/api/v1/availability-rules/?provider=%C2%B2"): 400,
        ("get", "/api/v1/closures/?location=%C2%B2"): 400,
        ("get", "/api/v1/gfe/clearances/?patient=%C2%B2"): 400,
        # a NUL byte reached PostgreSQL (DataError)
        ("get", "/api/v1/patients/?status=%00"): 400,
        # the search reaches hours either side of the day: OverflowError on the calendar's first and last
        ("get", f"{slots}?date=9999-12-31"): 400,
        ("get", f"{slots}?date=0001-01-01"): 400,
        ("get", f"{slots}?date=9999-12-30"): 200,
    }
    got = {request: getattr(api_admin, request[0])(request[1]).status_code for request in answers}
    assert got == answers


@pytest.mark.parametrize(
    "change", [{"date_of_birth": "9999-12-31"}, {"date_of_birth": "1800-01-01"}, {"state": "Calif."}]
)
def test_a_patient_through_the_api_follows_the_pages_rules(cast, api_admin, change):
    from medspa.models import Patient

    patient = {"first_name": "Ana", "last_name": "Lopez", "date_of_birth": "1990-04-02", "state": "CA"}
    response = api_admin.post("/api/v1/patients/", {**patient, **change}, format="json")
    assert response.status_code == 400 and set(response.json()) == set(change)
    with medspa_scope(cast.medspa_a):
        assert not Patient.objects.exists()

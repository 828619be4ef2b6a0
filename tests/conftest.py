"""The fixed cast every test can use: an admin (also a provider) and two providers of medspa A, an admin
and a provider of medspa B, Portrait staff, and anonymous."""

import os
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.test import Client
from django_scopes import scopes_disabled

from providers import charting
from scheduling import sms
from tests import factories

# Playwright's sync API runs an event loop in the test thread; Django's async-safety guard would refuse
# the ORM calls that the tests (not the server) make around it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _scopes_off_in_test_code():
    """Test set-up reaches across medspas; requests made through the client run in their own scope."""
    with scopes_disabled():
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # rate limits and used TOTP codes must not leak between tests
    yield
    cache.clear()


@dataclass
class Cast:
    medspa_a: object
    medspa_b: object
    admin_a: object
    provider_a1: object
    provider_a2: object
    admin_b: object
    provider_b: object
    staff: object

    def user(self, name: str):
        return None if name == "anonymous" else getattr(self, name)


CAST_NAMES = ["admin_a", "provider_a1", "provider_a2", "admin_b", "provider_b", "staff", "anonymous"]


def _member(medspa, *, admin=False, provider=True, credential="NP"):
    membership = factories.MembershipFactory(medspa=medspa, is_admin=admin, is_provider=provider)
    if provider:
        profile = factories.ProviderProfileFactory(
            membership=membership, credential=credential, can_clear_gfe=credential != "RN"
        )
        factories.ProviderLicenceFactory(profile=profile)
    return membership.user


@pytest.fixture
def cast(db) -> Cast:
    medspa_a = factories.MedspaFactory(name="Glow A", slug="glow-a")
    medspa_b = factories.MedspaFactory(
        name="Luxe B", slug="luxe-b", business_model="flex", flex_revenue_split_percent=20
    )
    return Cast(
        medspa_a=medspa_a,
        medspa_b=medspa_b,
        admin_a=_member(medspa_a, admin=True, credential="MD"),
        provider_a1=_member(medspa_a),
        provider_a2=_member(medspa_a, credential="RN"),
        admin_b=_member(medspa_b, admin=True, provider=False),
        provider_b=_member(medspa_b),
        staff=factories.UserFactory(is_staff=True, is_superuser=True),
    )


@pytest.fixture
def client_as(cast):
    """client_as("admin_a") → a Django test client signed in as that member of the cast."""

    def make(name: str) -> Client:
        client = Client()
        user = cast.user(name)
        if user is not None:
            client.force_login(user)
        return client

    return make


# --- Browser tests (pytest-playwright): Debian's Chromium, no downloaded browsers. -----------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",  # the tests run as root
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ],
    }


@pytest.fixture
def live_cast(transactional_db, cast) -> Cast:
    """The cast, committed (no wrapping transaction), so the live server's own connection can read it."""
    return cast


# --- The Provider dashboard's tests: a provider of medspa A, a colleague, a visit ready to chart. ----------


@pytest.fixture
def media_and_sms(settings, tmp_path):
    """Uploads (photos, signatures) in a throwaway folder, and text messages kept in scheduling.sms.outbox.
    Use it with `pytest.mark.usefixtures("media_and_sms")`."""
    settings.MEDIA_ROOT = tmp_path
    settings.SMS_BACKEND = "scheduling.sms.LocmemSmsBackend"
    sms.outbox.clear()


@pytest.fixture
def provider(cast):
    """provider_a1's membership of medspa A."""
    return cast.provider_a1.memberships.get()


@pytest.fixture
def colleague(cast):
    """provider_a2's membership of medspa A."""
    return cast.provider_a2.memberships.get()


@pytest.fixture
def world(cast, provider):
    """factories.charting_world of medspa A for `provider`: location, appointment type, a service with a
    consent and a care message, a patient cleared for it. A test module may refine it by overriding
    `world` with a fixture that takes this one."""
    return factories.charting_world(cast.medspa_a, provider)


@pytest.fixture
def appointment(world, provider):
    """A checked-in appointment of the world's patient with `provider`."""
    return factories.checked_in_appointment(world, provider)


@pytest.fixture
def visit(cast, appointment):
    """The visit provider_a1 started from `appointment`."""
    return charting.visit_start_from_appointment(appointment=appointment, by=cast.provider_a1)

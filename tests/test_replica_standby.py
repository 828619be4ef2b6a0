"""The read replica against a real streaming standby (devtools.replica): the product's database migrated on a
primary of its own, a hot standby made from it with pg_basebackup, the product pointed at both. A sale
written on the primary shows on the earnings page read from the standby once replayed, and the standby
refuses a write."""

import shutil
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from devtools import replica as standby_servers
from medspa import embedded
from tests import factories
from tests.test_replica import SALES_TABLE, mentions, paid_sale

pytestmark = [
    pytest.mark.slow,  # two PostgreSQL servers of its own, a migration and a base backup
    # The test database is made (and emptied after) as for any test; this one works on its own servers.
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]

DATABASE = "medspa"


def _migrated(primary: standby_servers.Server) -> None:
    """The product's database on `primary`, made as the deployment makes it: the owner and app roles of the
    test settings, the database the owner's, migrated by the owner (which grants the app role its rights).
    Django's "default" is left on it, as the owner."""
    owner, app = (settings.DATABASE_ROLES[role]["USER"] for role in ("owner", "app"))
    with primary.connect() as conn:
        embedded.roles_create(conn, owner=owner, app=app)
        conn.execute(f'CREATE DATABASE {DATABASE} OWNER "{owner}"')
    _point("default", primary, owner)
    call_command("migrate", database="default", verbosity=0)


def _point(alias: str, server: standby_servers.Server, user: str) -> None:
    connections[alias].close()
    connections[alias].settings_dict.update(
        NAME=DATABASE, USER=user, PASSWORD="", HOST=server.host, PORT=str(server.port)
    )


@pytest.fixture
def primary_and_standby(django_db_setup, django_db_blocker, settings):
    """Django's "default" on a primary of its own (migrated), "replica" on its standby, as the app role."""
    root = Path(tempfile.mkdtemp(prefix="medspa-replica-"))
    servers = []
    saved = {alias: dict(connections[alias].settings_dict) for alias in ("default", "replica")}
    try:
        with django_db_blocker.unblock():
            primary = standby_servers.start_primary_with_replication(root)
            servers.append(primary)
            # Every role on the primary: behind PgBouncer the test settings send the owner straight to the
            # tests' own PostgreSQL (its HOST and PORT), which is not this one.
            settings.DATABASE_ROLES = {
                role: {**credentials, "HOST": primary.host, "PORT": str(primary.port)}
                for role, credentials in settings.DATABASE_ROLES.items()
            }
            _migrated(primary)
            standby = standby_servers.start_standby(primary)
            servers.append(standby)
            app = settings.DATABASE_ROLES["app"]["USER"]
            _point("default", primary, app)
            _point("replica", standby, app)
            settings.DATABASE_REPLICA_READS = True
            yield primary, standby
    finally:
        with django_db_blocker.unblock():
            for alias, values in saved.items():
                connections[alias].close()
                connections[alias].settings_dict.update(values)
        for server in reversed(servers):
            standby_servers.stop(server)
        shutil.rmtree(root, ignore_errors=True)


def test_the_earnings_page_reads_a_sale_from_the_standby_once_replayed(
    primary_and_standby, django_db_blocker, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.SMS_BACKEND = "medspa.messaging.sms.LocmemSmsBackend"
    primary, standby = primary_and_standby
    with django_db_blocker.unblock():
        medspa = factories.MedspaFactory(name="Replica Spa", slug="replica-spa")
        membership = factories.MembershipFactory(medspa=medspa, is_admin=True, is_provider=True)
        profile = factories.ProviderProfileFactory(membership=membership, credential="MD")
        factories.ProviderLicenceFactory(profile=profile)
        sale = paid_sale(factories.charting_world(medspa, membership), membership)  # on the primary
        lag = standby_servers.wait_replayed(primary, standby)
        client = Client()
        client.force_login(membership.user)
        with CaptureQueriesContext(connections["replica"]) as replica:
            page = client.get(reverse("providers:earnings"))
        assert page.status_code == 200 and sale.number in page.content.decode()
        assert mentions([query["sql"] for query in replica.captured_queries], SALES_TABLE)
        assert connections["replica"].settings_dict["PORT"] == str(standby.port)

        with (
            pytest.raises(DatabaseError, match="read-only transaction"),
            connections["replica"].cursor() as cursor,
        ):
            cursor.execute("UPDATE medspa_medspa SET name = 'x' WHERE id = %s", [medspa.pk])
    assert lag < 5, f"the standby took {lag:.2f} s to replay the sale"

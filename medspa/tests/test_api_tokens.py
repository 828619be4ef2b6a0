"""API tokens (django-rest-knox): only a hash is stored, a token expires and records its last use, the
admin revokes their own on a page and staff revoke any in Django admin; the plaintext tokens of before are
hashed."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from medspa.api import auth
from medspa.models import ApiToken
from medspa.services.accounts import api_token_create
from medspa.tenancy import memberships_of
from medspa.tests.test_api import token_client
from tests import factories


def tables_holding(text: str) -> list[str]:
    """Every table of the database with a row whose text contains `text`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        tables = [row[0] for row in cursor.fetchall()]
        found = []
        for table in tables:
            cursor.execute(f'SELECT 1 FROM "{table}" AS t WHERE t::text LIKE %s LIMIT 1', [f"%{text}%"])
            if cursor.fetchone():
                found.append(table)
    return found


def test_the_database_holds_no_plaintext_token(cast):
    token, plaintext = api_token_create(user=cast.admin_a)
    assert token_client(cast.admin_a, plaintext).get("/api/v1/me/").status_code == 200
    assert tables_holding(plaintext) == []
    assert tables_holding(token.digest) == ["medspa_apitoken"]  # the search does find what is there


def test_a_token_expires_after_the_configured_number_of_days(cast):
    token, _ = api_token_create(user=cast.admin_a)
    assert abs(token.expiry - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)


def test_an_expired_token_answers_401(cast):
    token, plaintext = api_token_create(user=cast.admin_a)
    ApiToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    assert token_client(cast.admin_a, plaintext).get("/api/v1/me/").status_code == 401


def test_a_wrong_token_answers_401(cast):
    _, plaintext = api_token_create(user=cast.admin_a)
    wrong = plaintext[:-1] + ("0" if plaintext[-1] != "0" else "1")
    assert token_client(cast.admin_a, wrong).get("/api/v1/me/").status_code == 401


def test_each_use_records_when_the_token_was_last_used(cast):
    token, plaintext = api_token_create(user=cast.admin_a)
    assert token.last_used_at is None
    before = timezone.now()
    assert token_client(cast.admin_a, plaintext).get("/api/v1/me/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at >= before
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=before - timedelta(hours=2))
    token_client(cast.admin_a, plaintext).get("/api/v1/me/")
    token.refresh_from_db()
    assert token.last_used_at >= before


def test_an_admin_lists_and_revokes_their_own_token_and_it_then_answers_401(client_as, cast):
    token, plaintext = api_token_create(user=cast.admin_a, name="Zapier")
    theirs, _ = api_token_create(user=cast.provider_a1, name="Colleague's script")
    page = client_as("admin_a").get("/dashboard/settings/api-tokens/").content.decode()
    assert "Zapier" in page and token.token_key in page
    assert "Colleague's script" not in page and theirs.token_key not in page
    response = client_as("admin_a").post(f"/dashboard/settings/api-tokens/{token.digest}/revoke/")
    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert token_client(cast.admin_a, plaintext).get("/api/v1/me/").status_code == 401


@pytest.mark.parametrize("who", ["admin_a", "admin_b"])
def test_an_admin_cannot_revoke_another_users_token(client_as, cast, who):
    other_admin = {"admin_a": cast.admin_b, "admin_b": cast.admin_a}[who]
    for owner in (cast.provider_a1, other_admin):
        token, plaintext = api_token_create(user=owner)
        response = client_as(who).post(f"/dashboard/settings/api-tokens/{token.digest}/revoke/")
        assert response.status_code == 404
        assert token_client(owner, plaintext).get("/api/v1/me/").status_code == 200


def test_staff_make_a_token_in_django_admin_see_it_once_and_revoke_any(client_as, cast):
    staff = client_as("staff")
    response = staff.post(
        "/admin/medspa/apitoken/add/", {"user": cast.provider_b.pk, "name": "Reporting"}, follow=True
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(user=cast.provider_b)
    shown = next(str(m) for m in response.context["messages"] if "copy it now" in str(m))
    plaintext = shown.split(": ", 1)[1].split(" ", 1)[0]
    assert plaintext.startswith(token.token_key) and token.name == "Reporting"
    assert token_client(cast.provider_b, plaintext).get("/api/v1/me/").status_code == 200
    assert plaintext not in staff.get(f"/admin/medspa/apitoken/{token.pk}/change/").content.decode()
    staff.post(f"/admin/medspa/apitoken/{token.pk}/delete/", {"post": "yes"})
    assert token_client(cast.provider_b, plaintext).get("/api/v1/me/").status_code == 401


def test_a_plaintext_token_of_before_is_hashed_by_the_migration_and_keeps_working(as_owner, cast):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("medspa.migrations.0008_api_tokens_hashed")
    key = "0123456789abcdef0123456789abcdef01234567"  # a DRF authtoken key: 40 hex characters
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz NOT NULL,"
            " user_id bigint NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, now() - interval '1 year', %s)", [key, cast.admin_a.pk]
        )
    with connection.schema_editor() as schema_editor:
        migration.plaintext_tokens_hash(apps, schema_editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    assert tables_holding(key) == []
    token = ApiToken.objects.get(user=cast.admin_a)
    assert token.expiry > timezone.now() and token.created < timezone.now() - timedelta(days=300)
    assert token_client(cast.admin_a, key).get("/api/v1/me/").status_code == 200


def test_a_token_request_reads_the_token_its_user_their_second_factor_and_memberships_in_one_query(cast):
    _, plaintext = api_token_create(user=cast.admin_a)
    client = token_client(cast.admin_a, plaintext)
    client.get("/api/v1/me/")  # the first use is written; the next, within the minute, is not
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/me/").status_code == 200
    tokens = [query["sql"] for query in queries if "medspa_apitoken" in query["sql"]]
    second_factor = [query["sql"] for query in queries if "mfa_authenticator" in query["sql"]]
    memberships = [query["sql"] for query in queries if "medspa_membership" in query["sql"]]
    assert len(tokens) == 1 and second_factor == tokens  # the token's query answers it, no query of its own
    assert memberships == tokens


def test_the_token_query_finds_the_users_memberships_as_the_tenant_look_up_does(cast):
    """Every active membership, each with its medspa, in memberships_of's order (by the medspa's name): the
    request works in the first unless told otherwise, so the order matters."""
    user = cast.admin_a
    for name in ("Aardvark Aesthetics", "Zinnia Skin"):
        factories.MembershipFactory(user=user, medspa=factories.MedspaFactory(name=name), is_admin=True)
    factories.MembershipFactory(user=user, medspa=factories.MedspaFactory(name="Abbey"), is_active=False)
    token, plaintext = api_token_create(user=user)
    (found,) = auth._tokens(token.token_key)
    expected = [(m.pk, m.medspa_id, m.medspa.name, m.is_admin) for m in memberships_of(user)]
    assert [(m.pk, m.medspa_id, m.medspa.name, m.is_admin) for m in found.user_memberships] == expected
    assert len(expected) == 3 and expected[0][2] == "Aardvark Aesthetics"
    assert (found.user, found.user_has_mfa) == (user, True)
    assert token_client(user, plaintext).get("/api/v1/me/").status_code == 200


def test_the_users_other_expired_tokens_are_deleted_when_the_last_use_is_written(cast):
    token, plaintext = api_token_create(user=cast.admin_a)
    expired, _ = api_token_create(user=cast.admin_a)
    ApiToken.objects.filter(pk=expired.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    theirs, _ = api_token_create(user=cast.provider_a1)
    ApiToken.objects.filter(pk=theirs.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    assert token_client(cast.admin_a, plaintext).get("/api/v1/me/").status_code == 200
    assert set(ApiToken.objects.values_list("pk", flat=True)) == {token.pk, theirs.pk}

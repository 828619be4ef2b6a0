"""Security checks of issue 10, each a real test. Those already proven elsewhere are not repeated:

- `check --deploy --fail-level WARNING` is clean in production settings:
  test_settings.py::test_production_mode_passes_the_deploy_check.
- The policy in settings forbids inline code, and pages carry it with the other security headers:
  test_settings.py::test_the_policy_forbids_inline_scripts_and_styles,
  ::test_pages_carry_the_security_headers.
  Every page of the permission table is also checked, as rendered, for inline code by
  test_hostile_input.py::test_every_form_refuses_hostile_input_cleanly (with `inline_code` below).
- Session idle timeout (15 minutes, renewed by activity) and the 12-hour cap:
  test_accounts.py::test_a_session_ends_after_the_idle_timeout,
  ::test_a_session_ends_twelve_hours_after_sign_in_however_active.
- Failed sign-ins to one account are limited, even with the right password after:
  test_accounts.py::test_failed_sign_ins_are_rate_limited.
- The MFA stage cannot be skipped by a few URLs, nor by a member who never enrolled:
  test_accounts.py::test_the_mfa_stage_cannot_be_skipped_by_going_elsewhere,
  ::test_a_member_without_mfa_must_enrol_before_anything_opens (every URL: below).
- A password reset never signs in around MFA:
  test_accounts.py::test_a_password_reset_never_signs_in_around_mfa (MFA left in place: below).
- Masquerade stays in the admin's own medspa:
  test_masquerade.py::test_an_admin_cannot_masquerade_as_another_medspas_provider_an_admin_or_staff,
  ::test_a_provider_cannot_masquerade, ::test_masquerading_is_post_only_and_csrf_protected (a provider of
  two medspas: below).
- Audit rows refuse UPDATE and DELETE:
  test_audit.py::test_the_database_refuses_to_change_or_delete_write_audit_rows,
  ::test_the_database_refuses_to_change_or_delete_access_log_rows (pghistory events, the access log),
  ::test_every_audit_table_carries_the_append_only_trigger; test_billing.py::test_bills_are_never_changed.
  Every append-only table, each with a real row: below."""

import copy
import re
import time
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing.models import Bill, BillLine
from billing.tests.factories import BillChargeFactory
from medspa.database import audit_tables
from medspa.models import MasqueradeEvent, PatientAccessLog
from medspa.tenancy import medspa_scope
from medspa.tests.factories import (
    CardRefundFactory,
    DisputeFactory,
    StripeAccountFactory,
    TextMessageFactory,
)
from medspa.tests.test_accounts import sign_in, totp_now
from scheduling.services import booking
from scheduling.tests.factories import HistoryChangeFactory
from tests import factories
from tests.fixtures import CAST_NAMES
from tests.test_permission_table import TABLE
from tests.test_permission_table import world as table_world
from transition.models import ReleaseConfirmation, TimelineEntry

ROOT = Path(__file__).resolve().parent.parent
OK, FOUND, TOO_MANY = 200, 302, 429
LA = ZoneInfo("America/Los_Angeles")  # the cast's medspas and scheduling_world's location


def password_only(user) -> Client:
    """A client that gave the right password and stands at the TOTP step."""
    client = Client()
    assert sign_in(client, user)["Location"] == reverse("mfa_authenticate")
    return client


# --- No inline code: the policy and what is served. ---------------------------------------------------------

_TAG = re.compile(r"<[a-zA-Z][^>]*>", re.DOTALL)
_INLINE = [
    (re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE), "an inline <script>"),
    (re.compile(r"<style\b", re.IGNORECASE), "a <style> block"),
]
_ATTRIBUTES = [
    (re.compile(r"\sstyle\s*=", re.IGNORECASE), "a style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "an on…= event handler"),
    (re.compile(r"=\s*[\"']?\s*javascript:", re.IGNORECASE), "a javascript: URL"),
]


def inline_code(html: str) -> list[str]:
    """What a strict policy (no 'unsafe-inline') would block in a page or template."""
    found = [
        f"{what}: {match.group(0)[:80]}" for pattern, what in _INLINE for match in pattern.finditer(html)
    ]
    for tag in _TAG.findall(html):
        found += [f"{what}: {tag[:80]}" for pattern, what in _ATTRIBUTES if pattern.search(tag)]
    return found


def test_the_policy_sent_allows_no_inline_nor_eval_and_no_other_origin(client_as, cast):
    pages = [
        (client_as("anonymous"), "/accounts/login/"),
        (client_as("admin_a"), "/dashboard/"),
        (client_as("provider_a1"), "/provider/patients/"),
        (client_as("anonymous"), "/book/glow-a/"),
    ]
    for client, path in pages:
        response = client.get(path)
        assert response.status_code == OK, path
        policy = {
            name: values
            for name, *values in (part.split() for part in response["Content-Security-Policy"].split(";"))
        }
        for directive in ("default-src", "script-src", "style-src"):
            assert policy[directive] == ["'self'"], (path, directive, policy[directive])
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
        assert not any("unsafe" in value for values in policy.values() for value in values), path


def test_no_template_carries_inline_script_style_or_handlers():
    templates = [
        path
        for path in ROOT.glob("**/templates/**/*.html")
        if not {".venv", "node_modules", "staticfiles", ".data"} & set(path.relative_to(ROOT).parts)
    ]
    assert len(templates) > 100
    found = {str(path.relative_to(ROOT)): inline_code(path.read_text()) for path in templates}
    assert {path: what for path, what in found.items() if what} == {}


def test_the_scripts_never_evaluate_strings():
    scripts = [path for path in (ROOT / "static").glob("**/*.js") if ".min." not in path.name]
    assert scripts
    for path in scripts:
        source = path.read_text()
        assert not re.search(
            r"\beval\s*\(|new\s+Function\s*\(|set(Timeout|Interval)\s*\(\s*[\"'`]", source
        ), path
        assert not re.search(r"\.innerHTML\s*=|insertAdjacentHTML|document\.write", source), path


def test_the_inline_code_check_finds_what_it_looks_for():
    page = """<script src="/static/js/app.js" defer></script><p>on=fine</p><script>alert(1)</script>
        <div style="color:red" onclick="x()"><a href="javascript:x()">x</a></div><style>p{}</style>"""
    assert [what.split(":")[0] for what in inline_code(page)] == [
        "an inline <script>",
        "a <style> block",
        "a style= attribute",
        "an on…= event handler",
        "a javascript",
    ]


# --- Signing in: rate limits. -------------------------------------------------------------------------------


def test_failed_sign_ins_from_one_address_are_limited_across_accounts(cast):
    """Trying one password on many accounts (credential stuffing) is stopped too, not only many passwords
    on one account: after 10 failures a minute from one address, even a right password is refused."""
    client = Client(REMOTE_ADDR="198.51.100.20")
    for number in range(10):
        response = client.post(
            "/accounts/login/", {"login": f"nobody{number}@example.com", "password": "guess-1"}
        )
        assert b"Too many failed login attempts" not in response.content
    response = client.post(
        "/accounts/login/", {"login": cast.admin_a.email, "password": factories.TEST_PASSWORD}
    )
    assert response.status_code == OK and b"Too many failed login attempts" in response.content
    assert "_auth_user_id" not in client.session
    # Another address is not held back by this one.
    other = Client(REMOTE_ADDR="198.51.100.21")
    response = other.post(
        "/accounts/login/", {"login": cast.admin_a.email, "password": factories.TEST_PASSWORD}
    )
    assert response["Location"] == reverse("mfa_authenticate")


def test_sign_in_attempts_from_one_address_are_answered_429_past_the_limit(db):
    limit = int(settings.ACCOUNT_RATE_LIMITS["login"].split("/")[0])
    client = Client(REMOTE_ADDR="198.51.100.30")
    statuses = [
        client.post("/accounts/login/", {"login": f"x{n}@example.com", "password": "p"}).status_code
        for n in range(limit + 1)
    ]
    assert TOO_MANY not in statuses[:limit]
    assert statuses[limit] == TOO_MANY


def test_behind_a_proxy_failed_sign_ins_are_counted_per_real_client(cast, settings):
    """Every request comes from the proxy's address; each client is the entry the proxy appended. One
    client's failures do not lock out another, and rewriting the leftmost entry does not reset the count."""
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    for number in range(10):
        response = proxy.post(
            "/accounts/login/",
            {"login": f"nobody{number}@example.com", "password": "guess-1"},
            HTTP_X_FORWARDED_FOR=f"192.0.2.{number}, 198.51.100.40",
        )
        assert b"Too many failed login attempts" not in response.content
    response = proxy.post(
        "/accounts/login/",
        {"login": cast.admin_a.email, "password": factories.TEST_PASSWORD},
        HTTP_X_FORWARDED_FOR="192.0.2.99, 198.51.100.40",
    )
    assert b"Too many failed login attempts" in response.content and "_auth_user_id" not in proxy.session
    other = Client(REMOTE_ADDR="10.0.0.2")
    response = other.post(
        "/accounts/login/",
        {"login": cast.admin_a.email, "password": factories.TEST_PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.41",
    )
    assert response["Location"] == reverse("mfa_authenticate")


def test_totp_codes_cannot_be_guessed(cast):
    """Five wrong codes for one sign-in, and the right one is refused too: a six-digit code cannot be
    brute-forced within its 30 seconds."""
    client = password_only(cast.admin_a)
    right = totp_now()
    step = int(time.time()) // 30
    valid = {format_hotp_value(hotp_value(factories.TEST_TOTP_SECRET, step + d)) for d in (-1, 0, 1, 2)}
    wrong = [code for code in (f"{n:06d}" for n in range(100000, 100010)) if code not in valid][:5]
    for code in wrong:
        assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code in (OK, TOO_MANY)
    response = client.post(reverse("mfa_authenticate"), {"code": right})
    assert response.status_code in (OK, TOO_MANY)
    assert "_auth_user_id" not in client.session
    assert client.get("/dashboard/").status_code == FOUND


# --- MFA cannot be skipped by URL. --------------------------------------------------------------------------

# During the TOTP step, these answer differently from a stranger's visit, and rightly: the step's own page
# opens, and the sign-in page sends back to it.
MFA_STAGE_PAGES = {"mfa_authenticate": OK, "account_login": FOUND}


def test_between_password_and_totp_every_url_answers_as_to_a_stranger(cast, settings, tmp_path):
    """Every URL of the permission table, asked by someone who gave admin_a's password but not the TOTP
    code, answers as it does to the anonymous (sign in, 403 for the API, the public pages), never with
    admin_a's pages; the TOTP code then still completes the sign-in."""
    settings.MEDIA_ROOT = tmp_path
    things = table_world(cast)
    client = password_only(cast.admin_a)
    anonymous = CAST_NAMES.index("anonymous")
    differences = {}
    for name, row in TABLE.items():
        with medspa_scope(cast.medspa_a):
            url = reverse(name, kwargs=row.kwargs(things) if row.kwargs is not dict else None)
        data = row.data if row.data is not None else {}
        cookies = copy.deepcopy(client.cookies)
        with transaction.atomic():  # every request sees the same world, and the same pending sign-in
            status = getattr(client, row.method)(url, data).status_code
            transaction.set_rollback(True)
        client.cookies = cookies
        expected = MFA_STAGE_PAGES.get(name, row.statuses[anonymous])
        if status != expected:
            differences[name] = (status, expected)
        assert "_auth_user_id" not in client.session, name
    assert differences == {}
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now()})
    assert response.status_code == FOUND
    assert client.get("/dashboard/").status_code == OK


def test_a_password_reset_leaves_mfa_in_place(cast):
    """Resetting the password by the emailed link neither signs in nor removes the second factor: the new
    password leads to the TOTP step like the old one."""
    assert settings.ACCOUNT_LOGIN_ON_PASSWORD_RESET is False
    before = set(Authenticator.objects.filter(user=cast.admin_a).values_list("type", flat=True))
    client = Client()
    client.post("/accounts/password/reset/", {"email": cast.admin_a.email})
    link = next(line for line in mail.outbox[-1].body.splitlines() if "/accounts/password/reset/key/" in line)
    page = client.get(link[link.index("/accounts/") :].strip(), follow=True)
    new = "another-new-password-91"
    client.post(page.redirect_chain[-1][0], {"password1": new, "password2": new})
    assert set(Authenticator.objects.filter(user=cast.admin_a).values_list("type", flat=True)) == before
    assert client.get("/api/v1/me/").status_code == 403
    response = client.post("/accounts/login/", {"login": cast.admin_a.email, "password": new})
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get("/api/v1/me/").status_code == 403


# --- Masquerade stays in one medspa. ------------------------------------------------------------------------


def test_masquerading_as_a_provider_of_two_medspas_stays_in_the_admins_medspa(client_as, cast):
    """A provider who works for medspa A and medspa B: each medspa's admin, acting as them, works in their
    own medspa only, and sees nothing of the other's."""
    both = cast.provider_a1
    factories.MembershipFactory(medspa=cast.medspa_b, user=both, is_provider=True)
    patients = {}
    for medspa, name in ((cast.medspa_a, "Ashford"), (cast.medspa_b, "Bellamy")):
        patients[medspa] = factories.PatientFactory(medspa=medspa, last_name=name)
        with medspa_scope(medspa):
            patients[medspa].assigned_providers.add(both.memberships.get(medspa=medspa))
    for admin, own, other in (
        ("admin_a", cast.medspa_a, cast.medspa_b),
        ("admin_b", cast.medspa_b, cast.medspa_a),
    ):
        client = client_as(admin)
        response = client.post(
            f"/masquerade/{both.pk}/", {"reason": "Covering their charts", "return_to": "/"}
        )
        assert response.status_code == FOUND
        assert client.get("/api/v1/me/").json()["membership"]["medspa"]["id"] == own.pk
        assert client.get(f"/api/v1/patients/{patients[other].pk}/").status_code == 404
        assert client.get(f"/api/v1/patients/{patients[own].pk}/").status_code == OK
        listed = client.get("/provider/patients/").content
        assert patients[own].last_name.encode() in listed
        assert patients[other].last_name.encode() not in listed
        client.post("/masquerade/stop/")
        with medspa_scope(own):
            assert MasqueradeEvent.objects.filter(actor=cast.user(admin), action="start").get().medspa == own
            assert not PatientAccessLog.objects.filter(patient=patients[other], medspa=own).exists()


# --- Append-only tables refuse UPDATE and DELETE at database level. -----------------------------------------


def append_only_tables() -> list[str]:
    """Every table carrying pgtrigger's append-only protection, as the database has it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE t.tgname LIKE 'pgtrigger_append_only%%' ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


def test_every_append_only_table_refuses_update_and_delete(client_as, cast, settings, tmp_path):
    """A real row of every append-only table (the permission table's world and a few more: a masquerade,
    an access log entry, both confirmations of a transition, a bill line, a refund, a chart addendum, a
    standing order's sign-off, a patient's text), each refusing an UPDATE and a DELETE in raw SQL."""
    from decimal import Decimal

    from gfe.services import routing as gfe_services
    from providers.services import charting, checkout
    from services_catalog.services import texts as catalog
    from transition.services import base as transition_base
    from transition.services import confirmations as transition_confirmations

    settings.MEDIA_ROOT = tmp_path
    things = table_world(cast)
    with medspa_scope(cast.medspa_a):
        transition_confirmations.portrait_confirm(
            transition=things["transition"], by=cast.staff, ip="203.0.113.7"
        )
        transition_base.legacy_tools(cast.medspa_a).save()
        gfe_services.gfe_settings_update(medspa=cast.medspa_a, data={"validity_months": 6})
        sale = things["paid_sale"]
        checkout.sale_refund(
            sale=sale, payment=sale.payments.get(), amount=Decimal("10"), reason="Goodwill",
            by=cast.provider_a1, idempotency_key="security-refund",
        )  # fmt: skip
        charting.chart_sign(visit=sale.visit, by=cast.provider_a1)
        charting.chart_addendum_add(visit=sale.visit, text="Seen again: no bruising.", by=cast.provider_a1)
        catalog.standing_order_sign(
            medspa=cast.medspa_a, version=things["standing_order"].current_version,
            membership=cast.admin_a.memberships.get(),
        )  # fmt: skip
        BillLine.objects.create(
            medspa=cast.medspa_a,
            bill=things["bill"],
            position=99,
            kind="coordinator_fee",
            description="Fee",
            amount=0,
        )
        TextMessageFactory(thread=things["text_thread"], medspa=cast.medspa_a)  # a patient's text
        # A patient's intake answers (to a form version) and the change they propose, with its history event.
        HistoryChangeFactory(medspa=cast.medspa_a)
        # Payments through Stripe: each row's insert writes its history event, which is append-only.
        StripeAccountFactory(medspa=cast.medspa_a)
        CardRefundFactory(medspa=cast.medspa_a)
        DisputeFactory(medspa=cast.medspa_a)
        BillChargeFactory()  # a medspa of its own: the cast's may have its card for bills already
    client = client_as("admin_a")
    client.get(f"/api/v1/patients/{things['patient'].pk}/")  # an access log row
    client.post(f"/masquerade/{cast.provider_a1.pk}/", {"reason": "Covering", "return_to": "/"})
    tables = append_only_tables()
    models = {model._meta.db_table: model for model in apps.get_models()}
    named = {PatientAccessLog, MasqueradeEvent, TimelineEntry, ReleaseConfirmation, Bill, BillLine}
    assert {model._meta.db_table for model in named} <= set(tables)
    untested = []
    # The app role the tests run as has no UPDATE or DELETE privilege at all on the audit tables; their
    # triggers' own refusal, for the owner, is tested in medspa/tests/test_audit.py.
    audit = set(audit_tables())
    for table in tables:
        pk = models[table]._meta.pk.column
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {pk} FROM {table} LIMIT 1")
            row = cursor.fetchone()
        if row is None:
            untested.append(table)
            continue
        for statement in (
            f"UPDATE {table} SET {pk} = {pk} WHERE {pk} = %s",
            f"DELETE FROM {table} WHERE {pk} = %s",
        ):
            with (
                pytest.raises(DatabaseError, match="permission denied" if table in audit else "Cannot"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement, [row[0]])
    assert untested == []


# --- Secret links: the address is the key -------------------------------------------------------------------


def test_every_answer_of_a_secret_link_keeps_its_address_on_our_own_site(cast):
    """The patient's manage link, the outside clearer's GFE link and the OpenPhone confirmation link:
    `same-origin` keeps the address out of other sites' Referer, and unlike `no-referrer` it lets
    Chromium post the page's forms with a real Origin (tests/test_browser_public_forms.py)."""
    with medspa_scope(cast.medspa_a):
        provider = cast.provider_a1.memberships.get()
        _, appointment_type = factories.scheduling_world(cast.medspa_a, [provider])
        appointment = booking.appointment_book(
            appointment_type=appointment_type,
            start=datetime.combine(timezone.localdate(timezone=LA) + timedelta(days=3), clock(10), tzinfo=LA),
            patient=factories.PatientFactory(medspa=cast.medspa_a),
            provider=provider,
            notify=False,
        )
    answers = {
        reverse("booking_manage", args=[appointment.manage_token]): OK,
        reverse("booking_manage", args=["not-a-token"]): 404,
        reverse("gfe_review", args=["not-a-token"]): 410,
        reverse("transition_confirm:confirm", args=["not-a-token"]): FOUND,  # to sign in first
    }
    for url, status in answers.items():
        response = Client().get(url)
        assert response.status_code == status, url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["X-Robots-Tag"] == "noindex, nofollow", url

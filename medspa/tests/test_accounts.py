import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.utils import timezone

from medspa.middleware import SESSION_STARTED_KEY
from medspa.models import Membership, User
from medspa.services import accounts as services
from medspa.tenancy import medspa_scope
from tests import factories


def totp_now(secret: str = factories.TEST_TOTP_SECRET) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(client: Client, user: User, *, code: str | None = None):
    response = client.post("/accounts/login/", {"login": user.email, "password": factories.TEST_PASSWORD})
    if code is not None:
        response = client.post("/accounts/2fa/authenticate/", {"code": code})
    return response


def test_signing_in_takes_the_password_then_the_totp_code(cast):
    client = Client()
    response = sign_in(client, cast.admin_a)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/profile/").status_code == 302  # not signed in until the second factor
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_now()})
    assert response.status_code == 302
    home = client.get("/", follow=True)
    assert home.redirect_chain[-1][0] == "/dashboard/"
    assert cast.medspa_a.name.encode() in home.content


def test_a_wrong_totp_code_is_refused(cast):
    client = Client()
    sign_in(client, cast.admin_a)
    response = client.post(
        "/accounts/2fa/authenticate/", {"code": "000000" if totp_now() != "000000" else "111111"}
    )
    assert response.status_code == 200
    assert b"Incorrect code" in response.content
    assert client.get("/profile/").status_code == 302


def test_a_recovery_code_signs_in_once(cast):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    codes = RecoveryCodes.activate(cast.admin_a).get_unused_codes()
    client = Client()
    sign_in(client, cast.admin_a, code=codes[0])
    assert client.get("/profile/").status_code == 200
    other = Client()
    sign_in(other, cast.admin_a, code=codes[0])
    assert other.get("/profile/").status_code == 302


@pytest.mark.parametrize("path", ["/", "/invitations/", "/api/v1/patients/", "/admin/"])
def test_a_member_without_mfa_must_enrol_before_anything_opens(db, path):
    membership = factories.MembershipFactory(user=factories.UserFactory(mfa=False), is_admin=True)
    factories.PatientFactory(medspa=membership.medspa)
    client = Client()
    client.force_login(membership.user)
    response = client.get(path)
    if path.startswith("/api/"):
        assert response.status_code == 403
    else:
        assert response.status_code == 302
        assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_staff_without_mfa_must_enrol_before_django_admin(db):
    staff = factories.UserFactory(mfa=False, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/medspa/patient/")["Location"] == "/accounts/2fa/totp/activate/"


def test_the_mfa_stage_cannot_be_skipped_by_going_elsewhere(cast):
    client = Client()
    sign_in(client, cast.admin_a)
    for path in ["/", "/invitations/", "/api/v1/patients/", "/admin/", "/accounts/2fa/"]:
        assert client.get(path).status_code in (302, 403), path
    assert "_auth_user_id" not in client.session


def test_failed_sign_ins_are_rate_limited(cast):
    client = Client()
    pages = [
        client.post("/accounts/login/", {"login": cast.admin_a.email, "password": "wrong-password"}).content
        for _ in range(6)
    ]
    assert b"Too many failed login attempts" not in pages[0]
    assert b"Too many failed login attempts" in pages[-1]
    # Even the right password is refused while the limit holds.
    response = client.post(
        "/accounts/login/", {"login": cast.admin_a.email, "password": factories.TEST_PASSWORD}
    )
    assert response.status_code == 200
    assert b"Too many failed login attempts" in response.content
    assert client.get("/profile/").status_code == 302


def test_a_session_ends_after_the_idle_timeout(cast):
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_TIMEOUT == 15 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST
    client = Client()
    client.force_login(cast.admin_a)
    assert client.get("/profile/").status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    # Each request pushes the expiry 15 minutes ahead; fifteen idle minutes later it has passed.
    assert (session.expire_date - timezone.now()).total_seconds() == pytest.approx(15 * 60, abs=5)
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timezone.timedelta(seconds=1))
    assert client.get("/profile/").status_code == 302


def test_a_session_ends_twelve_hours_after_sign_in_however_active(cast):
    assert settings.SESSION_MAX_AGE == 12 * 60 * 60
    client = Client()
    client.force_login(cast.admin_a)
    session = client.session
    session[SESSION_STARTED_KEY] = time.time() - settings.SESSION_MAX_AGE - 1
    session.save()
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get("/profile/").status_code == 302


def test_deactivating_a_user_ends_all_their_sessions_at_once(cast):
    laptop, phone = Client(), Client()
    for client in (laptop, phone):
        sign_in(client, cast.provider_a1)
    laptop.post("/accounts/2fa/authenticate/", {"code": totp_now()})
    # The phone signs in through the form too, with a recovery-free second code window: use force_login.
    phone.force_login(cast.provider_a1)
    assert laptop.get("/profile/").status_code == 200 and phone.get("/profile/").status_code == 200
    ended = services.user_deactivate(user=cast.provider_a1) or None
    assert ended is None
    assert laptop.get("/profile/").status_code == 302
    assert phone.get("/profile/").status_code == 302
    assert not Session.objects.filter(session_key__in=[laptop.session.session_key, phone.session.session_key])


def test_deactivating_in_django_admin_ends_sessions_too(client_as, cast):
    provider = Client()
    provider.force_login(cast.provider_a1)
    cast.provider_a1.is_active = False
    cast.provider_a1.save()
    assert provider.get("/profile/").status_code == 302


def test_nobody_can_sign_up_on_their_own(db):
    response = Client().post(
        "/accounts/signup/", {"email": "new@example.com", "password1": "x" * 12, "password2": "x" * 12}
    )
    assert b"closed" in response.content.lower()
    assert not User.objects.filter(email="new@example.com").exists()


def test_a_password_reset_never_signs_in_around_mfa(cast):
    client = Client()
    client.post("/accounts/password/reset/", {"email": cast.admin_a.email})
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/password/reset/key/" in line)
    path = link[link.index("/accounts/") :].strip()
    form_page = client.get(path, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else path,
        {"password1": "a-brand-new-password-77", "password2": "a-brand-new-password-77"},
    )
    assert response.status_code == 302
    assert client.get("/profile/").status_code == 302  # not signed in: the new password still needs the code
    sign_in(client, cast.admin_a)
    response = client.post(
        "/accounts/login/", {"login": cast.admin_a.email, "password": "a-brand-new-password-77"}
    )
    assert response["Location"] == "/accounts/2fa/authenticate/"


def test_changing_email_asks_for_the_password_again(cast):
    client = Client()
    sign_in(client, cast.admin_a, code=totp_now())
    session = client.session  # the sign-in was more than the re-authentication window ago
    for record in session["account_authentication_methods"]:
        record["at"] -= settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 1
    session.save()
    response = client.post("/accounts/email/", {"action_add": "", "email": "maya.new@example.com"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert mail.outbox == []
    client.post("/accounts/reauthenticate/", {"password": factories.TEST_PASSWORD})
    response = client.post("/accounts/email/", {"action_add": "", "email": "maya.new@example.com"})
    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [["maya.new@example.com"]]  # verify before it is used
    cast.admin_a.refresh_from_db()
    assert cast.admin_a.email != "maya.new@example.com"


class TestInvitations:
    def test_an_admin_invites_a_provider_who_creates_an_account(
        self, client_as, cast, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = client_as("admin_a").post(
                "/invitations/", {"email": "New.Nurse@Example.com", "as_provider": "on"}
            )
        assert response.status_code == 302
        assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.nurse@example.com"]
        link = next(line for line in mail.outbox[0].body.splitlines() if "/invitations/accept/" in line)
        path = link[link.index("/invitations/") :].strip()
        guest = Client()
        assert guest.get(path).status_code == 200
        response = guest.post(
            path,
            {"full_name": "New Nurse", "password1": "a-long-password-99", "password2": "a-long-password-99"},
        )
        assert response.status_code == 302
        user = User.objects.get(email="new.nurse@example.com")
        with medspa_scope(cast.medspa_a):
            membership = Membership.objects.get(user=user)
            assert membership.medspa == cast.medspa_a and membership.is_provider and not membership.is_admin
        # The link works once.
        assert guest.get(path).status_code == 410

    def test_bad_input_gives_field_errors_and_stores_nothing(self, client_as, cast):
        client = client_as("admin_a")
        response = client.post("/invitations/", {"email": "not-an-email", "as_provider": "on"})
        assert response.status_code == 200
        assert b"Enter a valid email address" in response.content
        response = client.post("/invitations/", {"email": "ok@example.com"})
        assert b"Choose at least one role" in response.content
        response = client.post("/invitations/", {"email": cast.provider_a1.email, "as_provider": "on"})
        assert b"already a member" in response.content
        with medspa_scope(cast.medspa_a):
            assert cast.medspa_a.invitations.count() == 0
        assert mail.outbox == []

    def test_a_mismatched_password_creates_no_account(self, cast):
        invitation = factories.InvitationFactory(medspa=cast.medspa_a, invited_by=cast.admin_a)
        response = Client().post(
            f"/invitations/accept/{invitation.token}/",
            {"full_name": "X", "password1": "a-long-password-99", "password2": "other-pass-99"},
        )
        assert response.status_code == 200
        assert b"The two passwords differ" in response.content
        assert not User.objects.filter(email=invitation.email).exists()

    def test_a_revoked_or_expired_invitation_opens_nothing(self, client_as, cast):
        invitation = factories.InvitationFactory(medspa=cast.medspa_a, invited_by=cast.admin_a)
        assert client_as("admin_a").post(f"/invitations/{invitation.pk}/revoke/").status_code == 302
        assert Client().get(f"/invitations/accept/{invitation.token}/").status_code == 410
        expired = factories.InvitationFactory(
            medspa=cast.medspa_a,
            invited_by=cast.admin_a,
            expires_at=timezone.now() - timezone.timedelta(minutes=1),
        )
        assert Client().get(f"/invitations/accept/{expired.token}/").status_code == 410

    def test_an_existing_account_joins_by_signing_in(self, cast):  # as admin of a second medspa
        invitation = factories.InvitationFactory(
            medspa=cast.medspa_a, invited_by=cast.admin_a, email=cast.admin_b.email, as_admin=True
        )
        client = Client()
        client.force_login(cast.admin_b)
        assert client.post(f"/invitations/accept/{invitation.token}/").status_code == 302
        with medspa_scope(cast.medspa_a):
            assert Membership.objects.filter(user=cast.admin_b, medspa=cast.medspa_a, is_admin=True).exists()

    def test_an_invitation_cannot_be_taken_by_another_signed_in_account(self, cast):
        invitation = factories.InvitationFactory(medspa=cast.medspa_a, invited_by=cast.admin_a)
        client = Client()
        client.force_login(cast.admin_b)
        assert client.post(f"/invitations/accept/{invitation.token}/").status_code == 403
        with medspa_scope(cast.medspa_a):
            assert not Membership.objects.filter(user=cast.admin_b, medspa=cast.medspa_a).exists()

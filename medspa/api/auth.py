"""API token authentication: django-rest-knox's hashed, expiring tokens, with each token's last use."""

import binascii
import functools
from datetime import timedelta
from hmac import compare_digest

from allauth.mfa.models import Authenticator
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS
from rest_framework import exceptions

from medspa.models import ApiToken, Medspa, Membership, User
from medspa.rows import ModelColumns, instances
from medspa.tenancy import memberships_known

# A busy client uses its token many times a second: the last use is written once a minute at most.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@functools.cache
def _statement() -> tuple[str, list[ModelColumns]]:
    """The token with its user, whether the user has a TOTP authenticator (medspa.middleware.user_has_mfa),
    and the user's active memberships with their medspas (medspa.tenancy.memberships_of: one row each, in its
    order), built once from the models: the ORM composed the two statements this replaces with more CPU than
    PostgreSQL spent running them."""
    tables = [
        ModelColumns(ApiToken, "k"),
        ModelColumns(User, "u"),
        ModelColumns(Membership, "m"),
        ModelColumns(Medspa, "s"),
    ]
    token, user, membership, medspa = (table.table for table in tables)
    sql = f"""
        SELECT {", ".join(table.sql for table in tables)},
            EXISTS (
                SELECT 1 FROM "{Authenticator._meta.db_table}" a WHERE a.user_id = k.user_id AND a.type = %s
            )
        FROM "{token}" k
        JOIN "{user}" u ON u.id = k.user_id
        LEFT JOIN "{membership}" m ON m.user_id = k.user_id AND m.is_active
        LEFT JOIN "{medspa}" s ON s.id = m.medspa_id
        WHERE k.token_key = %s
        ORDER BY k.digest, s.name, m.id
    """  # noqa: S608 (table and column names from the models; every value is a parameter)
    return sql, tables


def _tokens(token_key: str) -> list[ApiToken]:
    """The tokens under `token_key` (nearly always one), each with its user, `user_has_mfa` (whether the user
    has a second factor) and `user_memberships` (the user's active memberships, each with its medspa)."""
    sql, tables = _statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [Authenticator.Type.TOTP, token_key])
        rows = cursor.fetchall()
    found: dict[str, ApiToken] = {}
    for row in rows:
        token, user, membership, medspa = instances(row, tables)
        if token.digest in found:
            token = found[token.digest]
        else:
            found[token.digest] = token
            token.user, token.user_has_mfa, token.user_memberships = user, row[-1], []
        if membership is not None:
            membership.medspa = medspa
            token.user_memberships.append(membership)
    return list(found.values())


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <token>`. An expired token is deleted and answers 401 (knox), as does a
    revoked one; a valid one has its last use recorded.

    One query finds the token, its user, whether the user has a second factor (which the permission asks
    next, medspa.api.permissions) and the user's memberships (which the tenant API views settle next).
    knox's own look-up also reads all the user's tokens on every request, to delete the expired ones among
    them; here that housekeeping runs when the last use is written (once a minute at most), so a token in
    use costs one query. An expired token still answers 401 at once, however
    recently the housekeeping ran: its own expiry is checked on each request, as knox does.
    https://jazzband.github.io/django-rest-knox/auth/#tokenauthentication"""

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is not None:
            user, token = found
            # As read with the token: medspa.middleware.request_user_has_mfa answers from the second factor,
            # medspa.tenancy.tenant_resolve from the memberships.
            request._request._mfa_checked = (user.pk, token.user_has_mfa)
            memberships_known(request._request, user, token.user_memberships)
        return found

    def authenticate_credentials(self, token):
        message = _("Invalid token.")
        token = token.decode("utf-8")
        try:
            digest = hash_token(token)
        except (TypeError, binascii.Error):
            raise exceptions.AuthenticationFailed(message) from None
        for auth_token in _tokens(token[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if compare_digest(digest, auth_token.digest):
                if self._cleanup_token(auth_token):  # expired: deleted, and refused
                    break
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(message)

    def _cleanup_token(self, auth_token) -> bool:
        """Only the token in hand: deleted (and True) when it has expired, as knox deletes it."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            return super()._cleanup_token(auth_token)
        return False

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            type(token).objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
            self._other_tokens_expired_delete(token)
        return user, token

    def _other_tokens_expired_delete(self, auth_token) -> None:
        """knox's housekeeping of the user's other tokens that have expired (deleted, each signalled)."""
        super()._cleanup_token(auth_token)

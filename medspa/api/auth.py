"""API token authentication: django-rest-knox's hashed, expiring tokens, with each token's last use."""

import binascii
from datetime import timedelta
from hmac import compare_digest

from allauth.mfa.models import Authenticator
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS
from rest_framework import exceptions

from medspa.models import ApiToken

# A busy client uses its token many times a second: the last use is written once a minute at most.
LAST_USED_RESOLUTION = timedelta(minutes=1)


# Whether the token's user has a TOTP authenticator (medspa.middleware.user_has_mfa), written out: composed
# with Exists(), the subquery took the ORM as much CPU as a query of its own.
_USER_HAS_TOTP = RawSQL(  # noqa: S611 (a constant statement; its one value is a parameter)
    "EXISTS (SELECT 1 FROM mfa_authenticator a WHERE a.user_id = medspa_apitoken.user_id AND a.type = %s)",
    (Authenticator.Type.TOTP,),
    output_field=BooleanField(),
)


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <token>`. An expired token is deleted and answers 401 (knox), as does a
    revoked one; a valid one has its last use recorded.

    One query finds the token, its user and whether the user has a second factor (which the permission
    asks next, medspa.api.permissions). knox's own look-up also reads all the user's tokens on every request,
    to delete the expired ones among them; here that housekeeping runs when the last use is written (once a
    minute at most), so a token in use costs one query. An expired token still answers 401 at once, however
    recently the housekeeping ran: its own expiry is checked on each request, as knox does.
    https://jazzband.github.io/django-rest-knox/auth/#tokenauthentication"""

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is not None:
            user, token = found
            # The second factor, as read with the token: medspa.middleware.request_user_has_mfa answers
            # from it.
            request._request._mfa_checked = (user.pk, token.user_has_mfa)
        return found

    def authenticate_credentials(self, token):
        message = _("Invalid token.")
        token = token.decode("utf-8")
        try:
            digest = hash_token(token)
        except (TypeError, binascii.Error):
            raise exceptions.AuthenticationFailed(message) from None
        candidates = (
            ApiToken.objects.filter(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH])
            .select_related("user")
            .annotate(user_has_mfa=_USER_HAS_TOTP)
        )
        for auth_token in candidates:
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

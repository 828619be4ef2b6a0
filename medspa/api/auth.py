"""API token authentication: django-rest-knox's hashed, expiring tokens, with each token's last use."""

from datetime import timedelta

from django.utils import timezone
from knox.auth import TokenAuthentication

# A busy client uses its token many times a second: the last use is written once a minute at most.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <token>`. An expired token is deleted and answers 401 (knox), as does a
    revoked one; a valid one has its last use recorded."""

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            type(token).objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return user, token

"""TigerConnect: deactivate a user and the medspa's support group.

Authentication is HTTP basic with the API key and secret (TIGERCONNECT_API_KEY / _SECRET), as TigerConnect
issues them. Its partner API is not publicly documented, so the two calls we need have this minimal shape
(a relay in front of TigerConnect may speak it):

    POST /v2/users/{userId}/deactivate     (Idempotency-Key)  -> 200 {"id", "status": "deactivated"}
    POST /v2/groups/{groupId}/deactivate   (Idempotency-Key)  -> 200 {"id", "status": "deactivated"}

Deactivating what is already deactivated answers 200 with the same body (idempotent), and 404 means the
user or group does not exist (not retried).
"""

from __future__ import annotations

import httpx
from django.conf import settings

from transition.integrations.base import BaseClient, IntegrationError

DEACTIVATED = "deactivated"


class TigerConnectClient(BaseClient):
    name = "TigerConnect"
    url_setting = "TIGERCONNECT_API_URL"

    def auth_settings(self) -> dict[str, str]:
        return {
            "TIGERCONNECT_API_KEY": settings.TIGERCONNECT_API_KEY,
            "TIGERCONNECT_API_SECRET": settings.TIGERCONNECT_API_SECRET,
        }

    def auth(self) -> httpx.Auth:
        return httpx.BasicAuth(settings.TIGERCONNECT_API_KEY, settings.TIGERCONNECT_API_SECRET)

    def deactivate_user(self, user_id: str, *, idempotency_key: str) -> str:
        """The user's status after the call ("deactivated")."""
        return _status(self.post(f"v2/users/{user_id}/deactivate", idempotency_key=idempotency_key))

    def deactivate_group(self, group_id: str, *, idempotency_key: str) -> str:
        """The medspa's support channel (a TigerConnect group): its status after the call."""
        return _status(self.post(f"v2/groups/{group_id}/deactivate", idempotency_key=idempotency_key))


def _status(answer) -> str:
    status = answer.get("status") if isinstance(answer, dict) else None
    if status != DEACTIVATED:
        raise IntegrationError(f"TigerConnect answered status {status!r}.", retryable=False)
    return status

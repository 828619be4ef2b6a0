"""TigerConnect (the TigerText REST API v2, https://api.tigertext.me/v2; HTTP basic with the API key and
secret, TIGERCONNECT_API_KEY / _SECRET).

Source: TigerText's REST API reference, https://developer.tigertext.com/docs/rest-api (Groups), as its
published listing shows it (transition/tests/vendor_docs/README.md: 200 OK, no body; a group deleted already
reports no error).

Documented call used:

    DELETE /v2/group/{token}/     headers: Authorization (basic), TT-X-Organization-Key (the organisation,
                                  TIGERCONNECT_ORGANIZATION_KEY, when set)   -> 200 OK

A 404 counts as deleted too (not documented: the listing says a deleted group reports no error). The call
is idempotent by itself; no Idempotency-Key is sent, TigerConnect documents none. The API has no call
that deactivates a user: that is a Portrait staff step in TigerConnect's admin console
(transition.services.vendors).
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
from django.conf import settings

from transition.integrations.base import BaseClient, IntegrationError

DOCS = "https://developer.tigertext.com/docs/rest-api"


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

    def delete_group(self, token: str) -> bool:
        """Deletes the medspa's support group; True when TigerConnect deleted it now, False when it was gone
        already (404)."""
        organisation = getattr(settings, "TIGERCONNECT_ORGANIZATION_KEY", "")
        headers = {"TT-X-Organization-Key": organisation} if organisation else None
        try:
            self.delete(f"v2/group/{quote(token, safe='')}/", headers=headers)
        except IntegrationError as error:
            if error.status == 404:
                return False
            raise
        return True

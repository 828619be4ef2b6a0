"""OpenPhone (API v1, https://api.openphone.com/v1; header `Authorization: <api key>`, the key of Portrait's
workspace).

Source: OpenPhone's API v1 reference, "Get a phone number by ID",
https://www.openphone.com/docs/mdx/api-reference/phone-numbers/get-a-phone-number-by-id (OpenPhone's published
OpenAPI description holds the same operation). Recorded examples: transition/tests/vendor_docs/openphone/.

Documented call used: `GET /phone-numbers/{phoneNumberId}` -> 200 {"data": {...}}, 404 when the number is
not in the key's workspace. The public API cannot move a number to another workspace: OpenPhone support does
it on written confirmation (transition.services.openphone_support prepares and sends that request, then this
call tells when the number has left Portrait's workspace).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings

from transition.integrations.base import BaseClient, IntegrationError

DOCS = "https://www.openphone.com/docs/mdx/api-reference/phone-numbers/get-a-phone-number-by-id"


@dataclass(frozen=True)
class PhoneNumber:
    id: str
    number: str
    formatted_number: str
    name: str
    group_id: str
    porting_status: str


class OpenPhoneClient(BaseClient):
    name = "OpenPhone"
    url_setting = "OPENPHONE_API_URL"

    def auth_settings(self) -> dict[str, str]:
        return {"OPENPHONE_API_KEY": settings.OPENPHONE_API_KEY}

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": settings.OPENPHONE_API_KEY}  # the bare key, as OpenPhone documents

    def get_phone_number(self, phone_number_id: str) -> PhoneNumber:
        data = _data(self.get(f"phone-numbers/{quote(phone_number_id, safe='')}"))
        return PhoneNumber(
            id=data["id"],
            number=data.get("number") or "",
            formatted_number=data.get("formattedNumber") or "",
            name=data.get("name") or "",
            group_id=data.get("groupId") or "",
            porting_status=data.get("portingStatus") or "",
        )

    def number_in_workspace(self, phone_number_id: str) -> PhoneNumber | None:
        """The number as Portrait's workspace sees it, None once it has left the workspace (404)."""
        try:
            return self.get_phone_number(phone_number_id)
        except IntegrationError as error:
            if error.status == 404:
                return None
            raise


def _data(answer) -> dict:
    if not isinstance(answer, dict) or not isinstance(answer.get("data"), dict):
        raise IntegrationError("OpenPhone answered without a data object.", retryable=False)
    return answer["data"]

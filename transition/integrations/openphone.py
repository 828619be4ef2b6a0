"""OpenPhone (API v1, https://api.openphone.com/v1; header `Authorization: <api key>`).

- get_phone_number: the documented `GET /phone-numbers/{phoneNumberId}` -> {"data": {...}}.
- Number transfers to another OpenPhone account are done by OpenPhone support on written confirmation from
  both Portrait and the provider; the public API has no endpoint for them. We define a small one, which a
  relay (or OpenPhone, if it ever offers one) must speak:

    POST /phone-numbers/{phoneNumberId}/transfers      (Idempotency-Key header)
      {"targetAccount": {"email": "...", "workspaceId": "..." | null},
       "confirmations": [{"party": "portrait" | "provider", "name": "...", "email": "...",
                          "confirmedAt": "<ISO 8601>"}, ...]}
      -> 201 {"data": {"id", "phoneNumberId", "status", "targetAccount", "createdAt", "updatedAt"}}
    GET  /phone-numbers/{phoneNumberId}/transfers/{transferId} -> 200 {"data": {...same...}}

  status is one of "requested", "in_progress", "completed", "rejected". Only "completed" means the number
  has moved; the deprovisioning step waits until then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from transition.integrations.base import BaseClient, IntegrationError

TRANSFER_DONE = "completed"
TRANSFER_REJECTED = "rejected"


@dataclass(frozen=True)
class PhoneNumber:
    id: str
    number: str
    formatted_number: str
    name: str
    porting_status: str


@dataclass(frozen=True)
class Confirmation:
    party: str  # "portrait" or "provider"
    name: str
    email: str
    confirmed_at: datetime


@dataclass(frozen=True)
class Transfer:
    id: str
    phone_number_id: str
    status: str
    target_email: str

    @property
    def is_done(self) -> bool:
        return self.status == TRANSFER_DONE

    @property
    def is_rejected(self) -> bool:
        return self.status == TRANSFER_REJECTED


class OpenPhoneClient(BaseClient):
    name = "OpenPhone"
    url_setting = "OPENPHONE_API_URL"

    def auth_settings(self) -> dict[str, str]:
        return {"OPENPHONE_API_KEY": settings.OPENPHONE_API_KEY}

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": settings.OPENPHONE_API_KEY}  # the bare key, as OpenPhone documents

    def get_phone_number(self, phone_number_id: str) -> PhoneNumber:
        data = _data(self.get(f"phone-numbers/{phone_number_id}"))
        return PhoneNumber(
            id=data["id"],
            number=data.get("number") or "",
            formatted_number=data.get("formattedNumber") or "",
            name=data.get("name") or "",
            porting_status=data.get("portingStatus") or "",
        )

    def request_transfer(
        self,
        phone_number_id: str,
        *,
        target_email: str,
        confirmations: list[Confirmation],
        idempotency_key: str,
        target_workspace_id: str | None = None,
    ) -> Transfer:
        """Ask for the number to move to the provider's own account. Both parties must have confirmed:
        refused here, before anything is sent, otherwise."""
        parties = {confirmation.party for confirmation in confirmations}
        if not {"portrait", "provider"} <= parties:
            raise ValueError("A transfer needs the written confirmation of both Portrait and the provider.")
        body = {
            "targetAccount": {"email": target_email, "workspaceId": target_workspace_id},
            "confirmations": [
                {
                    "party": confirmation.party,
                    "name": confirmation.name,
                    "email": confirmation.email,
                    "confirmedAt": confirmation.confirmed_at.isoformat(),
                }
                for confirmation in confirmations
            ],
        }
        answer = self.post(
            f"phone-numbers/{phone_number_id}/transfers", json=body, idempotency_key=idempotency_key
        )
        return _transfer(_data(answer))

    def get_transfer(self, phone_number_id: str, transfer_id: str) -> Transfer:
        return _transfer(_data(self.get(f"phone-numbers/{phone_number_id}/transfers/{transfer_id}")))


def _data(answer) -> dict:
    if not isinstance(answer, dict) or not isinstance(answer.get("data"), dict):
        raise IntegrationError("OpenPhone answered without a data object.", retryable=False)
    return answer["data"]


def _transfer(data: dict) -> Transfer:
    return Transfer(
        id=data["id"],
        phone_number_id=data.get("phoneNumberId") or "",
        status=data.get("status") or "",
        target_email=(data.get("targetAccount") or {}).get("email") or "",
    )

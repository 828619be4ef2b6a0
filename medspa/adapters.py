from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied

from medspa.http import client_ip


class AccountAdapter(DefaultAccountAdapter):
    """Nobody signs up on their own: Portrait creates medspas and their admins, admins invite the rest."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def get_client_ip(self, request) -> str:
        # Sign-in rate limits count per client: the same address as every other limit and audit row
        # (allauth's own reading would fail with a shorter X-Forwarded-For than its proxy count).
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

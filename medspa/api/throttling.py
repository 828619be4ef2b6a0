"""The API's throttles: DRF's anonymous and per-user rates, keyed by the client address every other rate
limit uses (medspa.http.client_ip), read from the settings when a request comes (so a changed setting
holds), and failing open when the cache cannot be reached.

Failing open is the safer side here: every API request is already authenticated and scoped, so the
throttle only bounds volume; refusing (or answering 500 to) every clinician because Redis restarted would
stop patient care. The failure is logged, so it is seen."""

import logging

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from medspa.http import client_ip

logger = logging.getLogger(__name__)


class _ClientThrottle:
    """What both throttles share."""

    def get_ident(self, request) -> str:
        return client_ip(request) or "unknown"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception:  # Redis down or unreachable: its client raises its own errors, not Django's
            logger.exception("API throttle %s: cache unavailable, request let through", self.scope)
            return True


class AnonThrottle(_ClientThrottle, AnonRateThrottle):
    """Requests of someone not signed in, per client address."""


class UserThrottle(_ClientThrottle, UserRateThrottle):
    """Requests per signed-in user (per client address when signed out)."""

"""HTTP clients of the Legacy tools a transition deprovisions: OpenPhone, TigerConnect, Acuity.

Each client is configured from settings (base URL + credentials); built without them it raises NotConfigured
before any network call. Every call has an explicit timeout, is retried with exponential backoff on timeouts,
connection errors, 5xx and 429 (honouring Retry-After, capped), and every write carries an Idempotency-Key
that stays the same across the retries of that write. Call them from Celery tasks only, never in a request.
"""

from transition.integrations.base import IntegrationError, NotConfigured

# Every vendor operation the transition calls, with the page of the vendor's documentation that defines it
# (docs/transition.md lists them; the recorded examples and the contract test: transition/tests/vendor_docs/).
VENDOR_OPERATIONS = [
    ("Acuity", "GET /appointments", "https://developers.acuityscheduling.com/reference/get-appointments"),
    ("Acuity", "GET /calendars", "https://developers.acuityscheduling.com/reference/get-calendars"),
    (
        "OpenPhone",
        "GET /v1/phone-numbers/{id}",
        "https://www.openphone.com/docs/mdx/api-reference/phone-numbers/get-a-phone-number-by-id",
    ),
    ("TigerConnect", "DELETE /v2/group/{token}/", "https://developer.tigertext.com/docs/rest-api"),
]

__all__ = ["VENDOR_OPERATIONS", "IntegrationError", "NotConfigured"]

"""HTTP clients of the Legacy tools a transition deprovisions: OpenPhone, TigerConnect, Acuity.

Each client is configured from settings (base URL + credentials); built without them it raises NotConfigured
before any network call. Every call has an explicit timeout, is retried with exponential backoff on timeouts,
connection errors, 5xx and 429 (honouring Retry-After, capped), and every write carries an Idempotency-Key
that stays the same across the retries of that write. Call them from Celery tasks only, never in a request.
"""

from transition.integrations.base import IntegrationError, NotConfigured

__all__ = ["IntegrationError", "NotConfigured"]

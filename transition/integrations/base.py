"""The shared HTTP client of the integrations: configuration, timeouts, retries, idempotency, typed errors.

Retry policy (per call):
- retried: a timeout or connection error, 408, 429 and any 5xx, up to INTEGRATION_MAX_ATTEMPTS attempts;
- the wait before retry n (n = 1, 2, ...) is INTEGRATION_BACKOFF_SECONDS * 2 ** (n - 1), unless the answer
  carried Retry-After (seconds or an HTTP date), which is honoured up to INTEGRATION_RETRY_AFTER_CAP_SECONDS;
- never retried: any other 4xx (our request is wrong; sending it again cannot help).
After the last attempt the error is raised with retryable=True, so the caller (a Celery step) may try again
later; retryable=False means a person has to look.

Writes (POST, PUT, PATCH, DELETE) of a client whose vendor documents it (`idempotency_header`) send an
`Idempotency-Key` header: the caller's key (derived from the step, so that re-running the step sends the
same key) or a random one per call; the retries of one call always reuse it. A client sends no header its
vendor does not document: TigerConnect's only write, deleting a group, is idempotent by itself (a deleted
group answers 404).
"""

from __future__ import annotations

import email.utils
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
RETRYABLE_STATUSES = frozenset({408, 429})


class NotConfigured(Exception):
    """The integration has no base URL or credentials in settings: nothing was sent."""


class IntegrationError(Exception):
    """The vendor refused the call or could not be reached.

    retryable: trying again later may work (timeouts, 5xx, 429); False: our request was refused (4xx).
    status: the HTTP status of the last answer, None when there was no answer (timeout, connection error).
    detail: a short, patient-data-free description (the vendor's error code at most, never its free text).
    """

    def __init__(self, detail: str, *, retryable: bool, status: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retryable = retryable
        self.status = status

    def __repr__(self) -> str:
        return f"IntegrationError({self.detail!r}, retryable={self.retryable}, status={self.status})"


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class BaseClient:
    """One vendor's API. Subclasses set `name` and `url_setting`, and implement `auth_settings()` /
    `auth()`; the public methods call `get()` / `post()`."""

    name = "integration"
    url_setting = ""
    idempotency_header = False  # whether the vendor documents an Idempotency-Key on writes

    def __init__(self, *, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = (getattr(settings, self.url_setting, "") or "").rstrip("/")
        missing = [self.url_setting] if not self.base_url else []
        missing += [name for name, value in self.auth_settings().items() if not value]
        if missing:
            raise NotConfigured(f"{self.name} is not configured: set {', '.join(missing)}.")
        self.timeout = float(settings.INTEGRATION_TIMEOUT_SECONDS)
        self.max_attempts = max(1, int(settings.INTEGRATION_MAX_ATTEMPTS))
        self.backoff = float(settings.INTEGRATION_BACKOFF_SECONDS)
        self.retry_after_cap = float(settings.INTEGRATION_RETRY_AFTER_CAP_SECONDS)
        self._client = httpx.Client(
            base_url=self.base_url + "/",
            auth=self.auth(),
            headers={**self.auth_headers(), "Accept": "application/json", "User-Agent": "portrait-medspa"},
            timeout=httpx.Timeout(self.timeout),
            transport=transport,
            follow_redirects=False,
        )

    # --- what subclasses define ------------------------------------------------------------------------
    def auth_settings(self) -> dict[str, str]:
        """{setting name: value} of the credentials this client needs (all must be non-empty)."""
        return {}

    def auth(self) -> httpx.Auth | None:
        return None

    def auth_headers(self) -> dict[str, str]:
        return {}

    # --- plumbing --------------------------------------------------------------------------------------
    def close(self) -> None:
        self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get(self, path: str, *, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, *, json: Any = None, idempotency_key: str | None = None) -> Any:
        return self.request("POST", path, json=json, idempotency_key=idempotency_key)

    def delete(self, path: str, *, headers: dict[str, str] | None = None) -> Any:
        return self.request("DELETE", path, headers=headers)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """The decoded JSON answer (None for an empty body), after retries; raises IntegrationError."""
        method = method.upper()
        headers = dict(headers or {})
        if method in WRITE_METHODS and self.idempotency_header:
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        url = path.lstrip("/")
        last: IntegrationError | None = None
        for attempt in range(1, self.max_attempts + 1):
            wait = self.backoff * 2 ** (attempt - 1)
            try:
                response = self._client.request(method, url, params=params, json=json, headers=headers)
            except httpx.TimeoutException:
                last = IntegrationError(
                    f"{self.name} did not answer within {self.timeout:g} s.", retryable=True
                )
            except httpx.TransportError as error:
                last = IntegrationError(
                    f"{self.name} could not be reached: {type(error).__name__}.", retryable=True
                )
            else:
                if response.is_success:
                    return response.json() if response.content else None
                status = response.status_code
                detail = f"{self.name} answered {status} {response.reason_phrase}".strip()
                code = _error_code(response)
                if code:
                    detail += f" ({code})"
                if status not in RETRYABLE_STATUSES and status < 500:
                    raise IntegrationError(detail + ".", retryable=False, status=status)
                last = IntegrationError(detail + ".", retryable=True, status=status)
                after = retry_after_seconds(response.headers.get("Retry-After"))
                if after is not None:
                    wait = min(after, self.retry_after_cap)
            if attempt < self.max_attempts:
                logger.info(
                    "%s %s %s: attempt %d of %d failed (%s); retrying in %.2f s",
                    self.name,
                    method,
                    path,
                    attempt,
                    self.max_attempts,
                    last.detail,
                    wait,
                )
                time.sleep(wait)
        assert last is not None  # only retryable failures reach here
        last.detail = f"{last.detail} Gave up after {self.max_attempts} attempt(s)."
        last.args = (last.detail,)
        raise last


def _error_code(response: httpx.Response) -> str:
    """The vendor's machine-readable error code, if the body has one (never its free-text message, which
    may echo patient data back)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    for key in ("code", "error", "errorCode"):
        value = body.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and len(str(value)) <= 64:
            return str(value)
    return ""

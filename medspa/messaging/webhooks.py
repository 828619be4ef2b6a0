"""Twilio's webhooks (delivery receipts, incoming texts) are believed only when signed.

Twilio signs each request with the account's auth token: `X-Twilio-Signature` is the Base64 HMAC-SHA1 of
the full URL Twilio called followed by every POST parameter, name then value, sorted by name
(https://www.twilio.com/docs/usage/webhooks/webhooks-security). The check is the official `twilio`
package's RequestValidator, never a copy of it. The URL is the one Twilio called, so behind a proxy the
product must see the public scheme and host (SECURE_PROXY_SSL_HEADER, USE_X_FORWARDED_HOST as configured)."""

from django.conf import settings
from django.http import HttpRequest
from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "HTTP_X_TWILIO_SIGNATURE"


def request_is_from_twilio(request: HttpRequest) -> bool:
    """True when the request carries a valid signature of this account's auth token; False when the token
    is not configured, the header is missing, or the signature does not match the URL and parameters."""
    token = settings.TWILIO_AUTH_TOKEN
    signature = request.META.get(SIGNATURE_HEADER, "")
    if not token or not signature:
        return False
    validator = RequestValidator(token)
    return validator.validate(request.build_absolute_uri(), request.POST.dict(), signature)

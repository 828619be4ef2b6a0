"""Small request helpers shared by middleware, services and views."""

import ipaddress
import re
import uuid

from django.conf import settings
from django.http import HttpRequest

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def form_status(request: HttpRequest) -> int:
    """A form shown again after a POST carries errors: 400, so that clients and tests can tell."""
    return 400 if request.method == "POST" else 200


def client_ip(request: HttpRequest) -> str | None:
    """The client's address; X-Forwarded-For is believed only behind a configured TLS proxy."""
    candidate = request.META.get("REMOTE_ADDR", "")
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            candidate = forwarded.split(",")[0].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def request_id_for(request: HttpRequest) -> str:
    """The caller's X-Request-ID when it is well-formed, otherwise a fresh one."""
    supplied = request.META.get("HTTP_X_REQUEST_ID", "")
    return supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex


def ascii_int(value, *, max_digits: int | None = None) -> int | None:
    """`value` as an int when it is a non-empty string of ASCII digits (at most `max_digits` of them when
    given), otherwise None. `str.isdigit` alone lets "²" through, which int() refuses."""
    if not isinstance(value, str) or not (value.isascii() and value.isdigit()):
        return None
    if max_digits is not None and len(value) > max_digits:
        return None
    return int(value)


def search_query(request: HttpRequest, name: str = "q", max_length: int = 100) -> str:
    """A search box's text from the query string, without NUL (PostgreSQL text holds none), capped."""
    return request.GET.get(name, "").replace("\x00", "")[:max_length]

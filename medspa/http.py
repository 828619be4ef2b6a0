"""Small request helpers shared by middleware, services and views."""

import re
import uuid
from functools import wraps

from django.conf import settings
from django.http import HttpRequest
from python_ipware import IpWare

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_FORWARDED = "HTTP_X_FORWARDED_FOR"
_PEER = IpWare(precedence=("REMOTE_ADDR",))  # the connection's own address, nothing a client sends


def form_status(request: HttpRequest) -> int:
    """A form shown again after a POST carries errors: 400, so that clients and tests can tell."""
    return 400 if request.method == "POST" else 200


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, for rate limits, audit rows and signatures. With no trusted proxy
    (TRUSTED_PROXY_COUNT 0) it is the connection's peer, and X-Forwarded-For is ignored. Behind N proxies of
    our own, each appends the address it was connected from, so the client is the N-th entry from the right;
    whatever stands left of it was written by the client and is never believed."""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get(_FORWARDED, "") if proxies else ""
    if forwarded:
        # Only the last N entries are our proxies'. python-ipware reads a header with RFC 7239's quoting, so
        # a quote the client left open would swallow those entries and leave the client's own as the answer:
        # it gets our proxies' entries alone, and each must be an address (strict).
        ours = forwarded.split(",")[-proxies:]
        resolver = IpWare(precedence=(_FORWARDED,), proxy_count=len(ours) - 1)
        ip, _ = resolver.get_client_ip({_FORWARDED: ",".join(ours)}, strict=True)
        if ip is not None:
            return str(ip)
        # Not what our proxies write: the peer (our proxy) stands for the client rather than a forged entry.
    ip, _ = _PEER.get_client_ip(request.META, strict=True)
    return str(ip) if ip is not None else None


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


def secret_link(view):
    """For a page whose address is its key (the patient's manage link, the outside clearer's GFE link, the
    OpenPhone confirmation link): the address is never sent to another site, and search engines keep off it.
    `same-origin`, not `no-referrer`: from a `no-referrer` page Chromium posts the page's own forms with
    `Origin: null`, which Django's CSRF check refuses."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "same-origin"
        response.setdefault("X-Robots-Tag", "noindex, nofollow")
        return response

    return wrapped

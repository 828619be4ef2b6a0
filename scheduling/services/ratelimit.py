"""A small fixed-window rate limit per client IP, kept in the project's default cache (Redis in production,
the database cache without it). Used by the public booking pages, which anyone may call without signing in."""

import time

from django.core.cache import cache
from django.http import HttpRequest

from medspa.http import client_ip

WINDOW_SECONDS = 10 * 60
BOOKING_POSTS = ("booking-post", 10)  # booking, cancelling or rescheduling requests per IP per window
SLOT_LOOKUPS = ("slot-lookup", 120)  # computations of open slots per IP per window
PAPERWORK_POSTS = ("paperwork-post", 30)  # answers and signatures sent from paperwork links per IP per window
PAPERWORK_VIEWS = ("paperwork-view", 120)  # paperwork pages opened per IP per window


def _now() -> int:
    return int(time.time())


def rate_limit_exceeded(request: HttpRequest, rule: tuple[str, int], *, window: int = WINDOW_SECONDS) -> bool:
    """Counts one request against `rule` (a bucket name and its limit) for the client's IP, and says
    whether the limit is now exceeded. The window is aligned to the clock, so it ends for everyone alike."""
    bucket, limit = rule
    now = _now()
    window_index, remaining = divmod(now, window)
    key = f"ratelimit:{bucket}:{client_ip(request) or 'unknown'}:{window_index}"
    timeout = window - remaining + 5
    if cache.add(key, 1, timeout):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout)
            count = 1
        # Some backends (the database cache) reset the expiry on incr: keep it at the window's end.
        cache.touch(key, timeout)
    return count > limit


def retry_after_seconds(*, window: int = WINDOW_SECONDS) -> int:
    """Seconds until the current window ends (for the Retry-After header)."""
    return window - _now() % window

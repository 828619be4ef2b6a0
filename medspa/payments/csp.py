"""The Content-Security-Policy of the pages that use Stripe: the site's own policy (settings.SECURE_CSP,
which names no other origin) plus exactly the origins Stripe documents for Stripe.js
(https://docs.stripe.com/security/guide#content-security-policy): its script, its API, its frames (3-D
Secure), and, where a form leads to Connect's onboarding, Stripe's hosted onboarding pages
(https://docs.stripe.com/api/account_links/object). Every other page keeps the strict policy.

Read at each response, so that a test pointing the settings at the local Stripe server is followed."""

from functools import wraps

from django.conf import settings

STRIPE_API = "https://api.stripe.com"
STRIPE_CONNECT = "https://connect.stripe.com"
STRIPE_HOOKS = "https://hooks.stripe.com"


def origin(url: str) -> str:
    return "/".join(url.split("/", 3)[:3])


def stripe_policy() -> dict:
    js, api = origin(settings.STRIPE_JS_URL), origin(settings.STRIPE_API_URL)
    policy = {name: list(values) for name, values in settings.SECURE_CSP.items()}
    policy["script-src"] = [*policy.get("script-src", []), js]
    policy["connect-src"] = [*policy.get("connect-src", []), api]
    policy["frame-src"] = [js, STRIPE_HOOKS]
    # The local server serves its onboarding page itself; Stripe serves it from connect.stripe.com.
    policy["form-action"] = [*policy.get("form-action", []), STRIPE_CONNECT if api == STRIPE_API else api]
    return policy


def uses_stripe(view):
    """On a view whose page shows Stripe's card field or sends to Stripe's onboarding."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response._csp_config = stripe_policy()
        return response

    return wrapped

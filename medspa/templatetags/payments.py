"""`{% card_field setup %}`: Stripe's card field on a page, for a card saved with a SetupIntent
(medspa.payments.cards.card_setup_start); the form then carries the SetupIntent's id in `name`.
`{% stripe_scripts %}`, in the page's `scripts` block: Stripe.js and the field's script, loaded once with the
page (a script inside a part that htmx swaps in would be run again at each swap)."""

from django import template
from django.conf import settings

register = template.Library()


@register.inclusion_tag("payments/_card_field.html")
def card_field(setup, name: str = "setup_intent", label: str = "Card", optional: bool = False) -> dict:
    return {
        "setup": setup,
        "name": name,
        "label": label,
        "optional": optional,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "stripe_js_url": settings.STRIPE_JS_URL,
    }


@register.inclusion_tag("payments/_stripe_scripts.html")
def stripe_scripts() -> dict:
    return {"stripe_js_url": settings.STRIPE_JS_URL}

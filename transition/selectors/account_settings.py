"""The transition's card on the core's Account settings page (medspa.panels.ACCOUNT_SETTINGS)."""

from transition.models import Transition


def account_settings_context(request) -> dict:
    last = Transition.objects.filter(medspa=request.medspa).order_by("-requested_at").first()
    return {"last_transition": last}

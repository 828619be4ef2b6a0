"""The two dashboards people live in: the Medspa Admin dashboard (/dashboard/) and the Provider dashboard
(/provider/). A user who is both switches between them; the choice is remembered for the session."""

from dataclasses import dataclass
from functools import wraps

from django.urls import reverse

from medspa.permissions import role_required

ADMIN, PROVIDER = "admin", "provider"
SESSION_KEY = "dashboard"


@dataclass(frozen=True)
class Tab:
    label: str
    url_name: str


ADMIN_TABS = [
    Tab("Scheduling", "scheduling:home"),
    Tab("Inventory", "inventory_orders:home"),
    Tab("Services / Products", "services_catalog:home"),
    Tab("GFE Management", "gfe:home"),
    Tab("Providers", "dashboard_providers"),
    Tab("Patients", "dashboard_patients"),
    Tab("Earnings", "providers:admin_earnings"),
    Tab("Account settings", "account_settings"),
]
PROVIDER_TABS = [
    Tab("Earnings", "providers:earnings"),
    Tab("Patients", "providers:patients"),
    Tab("To-Do", "providers:todo"),
    Tab("Calendar", "providers:calendar"),
    Tab("Sales", "providers:sales"),
]
HOMES = {ADMIN: "dashboard_home", PROVIDER: "providers:patients"}


def dashboards_open_to(membership) -> list[str]:
    if membership is None:
        return []
    return [name for name, flag in ((ADMIN, membership.is_admin), (PROVIDER, membership.is_provider)) if flag]


def dashboard_current(request) -> str | None:
    """The dashboard this request works in: the one chosen this session, if the role still allows it."""
    available = dashboards_open_to(getattr(request, "membership", None))
    choice = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if choice in available:
        return choice
    return available[0] if available else None


def dashboard_area(name: str):
    """Marks a view as part of a dashboard: it needs that dashboard's role, and opening it makes that
    dashboard the session's choice (so the menus and the home page follow)."""

    def decorator(view):
        @role_required(name)
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.session.get(SESSION_KEY) != name:
                request.session[SESSION_KEY] = name
            request.dashboard = name
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def tabs_for(request) -> list[dict]:
    """The tabs of the request's dashboard, the current one marked."""
    name = getattr(request, "dashboard", None) or dashboard_current(request)
    tabs = ADMIN_TABS if name == ADMIN else PROVIDER_TABS if name == PROVIDER else []
    result = []
    for tab in tabs:
        url = reverse(tab.url_name)
        result.append({"label": tab.label, "url": url, "active": request.path.startswith(url)})
    return result


def home_url(request) -> str | None:
    name = dashboard_current(request)
    return reverse(HOMES[name]) if name else None

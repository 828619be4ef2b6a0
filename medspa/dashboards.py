"""The dashboards people live in: the Medspa Admin dashboard (/dashboard/), the Provider dashboard
(/provider/) and the Patient Care Coordinator's (only the admin's centralised calendar). A user who holds
several switches between them; the choice is remembered for the session."""

from dataclasses import dataclass
from functools import wraps

from django.urls import reverse

from medspa.permissions import role_required

ADMIN, PROVIDER, COORDINATOR = "admin", "provider", "coordinator"
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
    Tab("Inbox", "texting_inbox"),
    Tab("Earnings", "providers:admin_earnings"),
    Tab("Account settings", "account_settings"),
]
PROVIDER_TABS = [
    Tab("Earnings", "providers:earnings"),
    Tab("Patients", "providers:patients"),
    Tab("Inbox", "texting_inbox"),
    Tab("To-Do", "providers:todo"),
    Tab("Calendar", "providers:calendar"),
    Tab("Sales", "providers:sales"),
]
# The page that shows one patient, in each dashboard that has one: pages shared by the dashboards (GFE exams
# and requests) link back through it instead of naming another app's routes.
PATIENT_PAGES = {ADMIN: "dashboard_patient_detail", PROVIDER: "providers:patient_detail"}


def patient_url(area: str, patient_pk: int) -> str:
    """The patient's page in the dashboard `area` (the request's dashboard)."""
    return reverse(PATIENT_PAGES[area], args=[patient_pk])


# The coordinator schedules patients in the admin's calendar and reaches nothing else (no charts, no
# patient profiles, no settings): the calendar views open to both dashboards (see dashboard_area).
COORDINATOR_TABS = [Tab("Calendar", "scheduling:calendar")]
TABS = {ADMIN: ADMIN_TABS, PROVIDER: PROVIDER_TABS, COORDINATOR: COORDINATOR_TABS}
HOMES = {ADMIN: "dashboard_home", PROVIDER: "providers:patients", COORDINATOR: "scheduling:calendar"}


def dashboards_open_to(membership) -> list[str]:
    """The dashboards a membership opens, in order of preference (the first is the default)."""
    if membership is None:
        return []
    flags = (
        (ADMIN, membership.is_admin),
        (PROVIDER, membership.is_provider),
        (COORDINATOR, membership.is_coordinator),
    )
    return [name for name, flag in flags if flag]


def dashboard_current(request) -> str | None:
    """The dashboard this request works in: the one chosen this session, if the role still allows it."""
    available = dashboards_open_to(getattr(request, "membership", None))
    choice = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if choice in available:
        return choice
    return available[0] if available else None


def dashboard_area(*names: str):
    """Marks a view as part of a dashboard (or of several: `dashboard_area(ADMIN, COORDINATOR)`): it needs
    the role of one of them. Opening it sets request.dashboard (the session's current dashboard if it is
    among `names`, else the first of `names` the member holds) and makes that the session's choice (so the
    menus and the home page follow)."""
    if not names or set(names) - set(HOMES):
        raise ValueError(f"Unknown dashboards: {names}")

    def decorator(view):
        @role_required(*names)
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            held = dashboards_open_to(request.membership)
            choice = request.session.get(SESSION_KEY)
            name = choice if choice in names and choice in held else next(n for n in names if n in held)
            if choice != name and not getattr(request, "htmx", False):  # a fragment's refresh never switches
                request.session[SESSION_KEY] = name
            request.dashboard = name
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def tabs_for(request) -> list[dict]:
    """The tabs of the request's dashboard, the current one marked."""
    name = getattr(request, "dashboard", None) or dashboard_current(request)
    tabs = TABS.get(name, [])
    result = []
    for tab in tabs:
        url = reverse(tab.url_name)
        result.append(
            {"label": tab.label, "url": url, "url_name": tab.url_name, "active": request.path.startswith(url)}
        )
    return result


def home_url(request) -> str | None:
    name = dashboard_current(request)
    return reverse(HOMES[name]) if name else None

from medspa import dashboards
from medspa.selectors import texting


def tenant(request):
    """The current medspa, membership and dashboard, for the top bar, menus and banners."""
    membership = getattr(request, "membership", None)
    tabs = dashboards.tabs_for(request) if membership else []
    current = dashboards.dashboard_current(request) if membership else None
    for tab in tabs:  # the Inbox tab counts the texts nobody has read yet (only those the member may open)
        if tab["url_name"] == "texting_inbox":
            tab["badge"] = texting.unread_count(membership, getattr(request, "dashboard", None) or current)
    return {
        "current_medspa": getattr(request, "medspa", None),
        "current_membership": membership,
        "dashboard_tabs": tabs,
        "dashboard_current": current,
        "dashboards_open": dashboards.dashboards_open_to(membership),
        # Who may invite people to the medspa (the menu's and the home page's links): its admins.
        "can_invite": bool(membership and membership.is_admin),
    }

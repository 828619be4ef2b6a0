from medspa import dashboards


def tenant(request):
    """The current medspa, membership and dashboard, for the top bar, menus and banners."""
    membership = getattr(request, "membership", None)
    return {
        "current_medspa": getattr(request, "medspa", None),
        "current_membership": membership,
        "dashboard_tabs": dashboards.tabs_for(request) if membership else [],
        "dashboard_current": dashboards.dashboard_current(request) if membership else None,
        "dashboards_open": dashboards.dashboards_open_to(membership),
        # Who may invite people to the medspa (the menu's and the home page's links): its admins.
        "can_invite": bool(membership and membership.is_admin),
    }

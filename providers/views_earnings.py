"""Earnings: the provider's own, and the medspa's and each provider's for the admin."""

from medspa import dashboards
from medspa.dashboards import dashboard_area


@dashboard_area(dashboards.PROVIDER)
def earnings(request):
    """The provider's Earnings tab, until it is built: what it will hold."""
    return dashboards.render_empty_tab(
        request,
        title="Earnings",
        intro="Your earnings month by month, and every transaction behind them.",
        points=["A month-to-month chart", "Services, retail, tips, discounts, refunds and financing",
                "The revenue split on Flex"],
    )  # fmt: skip


@dashboard_area(dashboards.ADMIN)
def admin_earnings(request):
    """The admin dashboard's Earnings tab, until it is built: what it will hold."""
    return dashboards.render_empty_tab(
        request,
        title="Earnings",
        intro="The medspa's earnings and each provider's, month by month.",
        points=["A month-to-month chart for the medspa and each provider",
                "Every transaction, filterable, with CSV export",
                "On Flex, the medspa's share and Portrait's share of revenue"],
    )  # fmt: skip

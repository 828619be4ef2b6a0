from django.urls import path

from providers.views import earnings as views_earnings
from providers.views import stripe_reconciliation

urlpatterns = [
    path("provider/earnings/", views_earnings.earnings_page, name="earnings"),
    path("provider/earnings/transactions.csv", views_earnings.earnings_csv, name="earnings_csv"),
    path("dashboard/earnings/", views_earnings.admin_earnings, name="admin_earnings"),
    path("dashboard/earnings/transactions.csv", views_earnings.admin_earnings_csv, name="admin_earnings_csv"),
    path(
        "dashboard/earnings/stripe/",
        stripe_reconciliation.admin_stripe_reconciliation,
        name="admin_stripe_reconciliation",
    ),
]

"""Account settings → Billing of the Medspa Admin dashboard, included at /dashboard/settings/billing/."""

from django.urls import path

from billing.views import bills

app_name = "billing"
urlpatterns = [
    path("", bills.bill_list, name="list"),
    path("<int:pk>/", bills.bill_detail, name="detail"),
    path("<int:pk>/pdf/", bills.bill_pdf, name="pdf"),
    path("<int:pk>/pay/", bills.bill_pay_now, name="pay_now"),
]

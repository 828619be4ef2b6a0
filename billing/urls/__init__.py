"""Account settings → Billing of the Medspa Admin dashboard, included at /dashboard/settings/billing/."""

from django.urls import path

from billing import views

app_name = "billing"
urlpatterns = [
    path("", views.bill_list, name="list"),
    path("<int:pk>/", views.bill_detail, name="detail"),
    path("<int:pk>/pdf/", views.bill_pdf, name="pdf"),
]

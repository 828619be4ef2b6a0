"""Portrait's bills of every medspa (Portrait staff only), included at /billing/ with the namespace
"billing_staff"."""

from django.urls import path

from billing.views import staff

urlpatterns = [
    path("", staff.bill_list, name="list"),
    path("run/", staff.bills_run, name="run"),
    path("<int:pk>/", staff.bill_detail, name="detail"),
    path("<int:pk>/pdf/", staff.bill_pdf, name="pdf"),
]

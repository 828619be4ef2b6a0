"""Portrait's bills of every medspa (Portrait staff only), included at /billing/ with the namespace
"billing_staff"."""

from django.urls import path

from billing import views_staff

urlpatterns = [
    path("", views_staff.bill_list, name="list"),
    path("run/", views_staff.bills_run, name="run"),
    path("<int:pk>/", views_staff.bill_detail, name="detail"),
    path("<int:pk>/pdf/", views_staff.bill_pdf, name="pdf"),
]

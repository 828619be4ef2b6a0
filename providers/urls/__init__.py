"""The Provider dashboard's URLs (and the admin's Earnings and sales), one module per feature."""

from django.urls import path

from providers.urls import earnings, sales, todo, visits
from providers.views import patients as views

app_name = "providers"
urlpatterns = [
    path("provider/patients/", views.patients, name="patients"),
    path("provider/patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("provider/calendar/", views.calendar, name="calendar"),
    *visits.urlpatterns,
    *sales.urlpatterns,
    *earnings.urlpatterns,
    *todo.urlpatterns,
]

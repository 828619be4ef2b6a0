"""The Provider dashboard's URLs (and the admin's Earnings and sales), one module per feature."""

from django.urls import path

from providers.urls import earnings, sales, todo, visits
from providers.views import calendar, fees, patients

app_name = "providers"
urlpatterns = [
    path("provider/patients/", patients.patients, name="patients"),
    path("provider/patients/<int:pk>/", patients.patient_detail, name="patient_detail"),
    path("provider/calendar/", calendar.provider_calendar, name="calendar"),
    path("provider/calendar/events/", calendar.provider_calendar_events, name="calendar_events"),
    path("provider/appointments/<int:pk>/fee/", fees.appointment_fee, name="appointment_fee"),
    *visits.urlpatterns,
    *sales.urlpatterns,
    *earnings.urlpatterns,
    *todo.urlpatterns,
]

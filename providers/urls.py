"""The Provider dashboard's URLs (and the admin's Earnings and sales), one module per feature."""

from django.urls import path

from providers import urls_earnings, urls_sales, urls_todo, urls_visits, views

app_name = "providers"
urlpatterns = [
    path("provider/patients/", views.patients, name="patients"),
    path("provider/patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("provider/calendar/", views.calendar, name="calendar"),
    *urls_visits.urlpatterns,
    *urls_sales.urlpatterns,
    *urls_earnings.urlpatterns,
    *urls_todo.urlpatterns,
]

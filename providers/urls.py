from django.urls import path

from providers import views

app_name = "providers"
urlpatterns = [
    path("provider/earnings/", views.earnings, name="earnings"),
    path("provider/patients/", views.patients, name="patients"),
    path("provider/patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("provider/todo/", views.todo, name="todo"),
    path("provider/calendar/", views.calendar, name="calendar"),
    path("dashboard/earnings/", views.admin_earnings, name="admin_earnings"),
]

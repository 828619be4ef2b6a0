"""Routes of the admin's calendar and appointments (inside the "scheduling" namespace, under
/dashboard/scheduling/). The provider's own calendar is providers:calendar; the iCal feeds are public
(scheduling.urls.public)."""

from django.urls import path

from scheduling import views_calendar

urlpatterns = [
    path("calendar/", views_calendar.calendar, name="calendar"),
    path("appointments/new/", views_calendar.appointment_new, name="appointment_new"),
    path("appointments/<int:pk>/", views_calendar.appointment_detail, name="appointment_detail"),
    path(
        "appointments/<int:pk>/reschedule/",
        views_calendar.appointment_reschedule,
        name="appointment_reschedule",
    ),
    path("appointments/<int:pk>/cancel/", views_calendar.appointment_cancel, name="appointment_cancel"),
    path("appointments/<int:pk>/status/", views_calendar.appointment_status, name="appointment_status"),
]

"""Routes of the admin's calendar and appointments (inside the "scheduling" namespace, under
/dashboard/scheduling/). The provider's own calendar is the Provider dashboard's; the iCal feeds are public
(scheduling.urls.public)."""

from django.urls import path

from scheduling.views import calendar, calendar_grid, quick_book

urlpatterns = [
    path("calendar/", calendar.calendar, name="calendar"),
    path("calendar/list/", calendar.calendar_day_list, name="calendar_day_list"),
    path("calendar/events/", calendar_grid.calendar_events, name="calendar_events"),
    path("calendar/book/", quick_book.quick_book, name="quick_book"),
    path("calendar/book/patients/", quick_book.quick_book_patients, name="quick_book_patients"),
    path("calendar/book/times/", quick_book.quick_book_times, name="quick_book_times"),
    path("appointments/new/", calendar.appointment_new, name="appointment_new"),
    path("appointments/<int:pk>/", calendar.appointment_detail, name="appointment_detail"),
    path(
        "appointments/<int:pk>/reschedule/",
        calendar.appointment_reschedule,
        name="appointment_reschedule",
    ),
    path("appointments/<int:pk>/cancel/", calendar.appointment_cancel, name="appointment_cancel"),
    path("appointments/<int:pk>/status/", calendar.appointment_status, name="appointment_status"),
    path("appointments/<int:pk>/move/", calendar_grid.appointment_move, name="appointment_move"),
]

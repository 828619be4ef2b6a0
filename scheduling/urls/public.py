"""Public routes, included at the site root without a namespace (hence the `booking_` prefix): the booking
pages nobody signs in to, their QR codes, and the patient's manage link."""

from django.urls import path

from scheduling import views_public
from scheduling.views import feeds

urlpatterns = [
    # Before the location page: "/book/manage/<token>/" would otherwise read as a medspa and a location.
    path("book/manage/<str:token>/", views_public.booking_manage, name="booking_manage"),
    path("book/<slug:medspa_slug>/", views_public.booking_medspa, name="booking_medspa"),
    path("book/<slug:medspa_slug>/qr.svg", views_public.booking_medspa_qr, name="booking_medspa_qr"),
    path(
        "book/<slug:medspa_slug>/<slug:location_slug>/",
        views_public.booking_location,
        name="booking_location",
    ),
    path(
        "book/<slug:medspa_slug>/<slug:location_slug>/qr.svg",
        views_public.booking_location_qr,
        name="booking_location_qr",
    ),
    # iCal feeds: added by the calendar work
    path("calendar-feed/<str:token>.ics", feeds.calendar_feed, name="calendar_feed"),
]

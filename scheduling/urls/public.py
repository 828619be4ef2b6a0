"""Public routes, included at the site root without a namespace (hence the `booking_` prefix): the booking
pages nobody signs in to, their QR codes, and the patient's manage link."""

from django.urls import path

from scheduling.views import feeds, public_booking, public_manage, public_paperwork, public_qr

urlpatterns = [
    # Before the location page: "/book/manage/<token>/" would otherwise read as a medspa and a location.
    path("book/manage/<str:token>/", public_manage.booking_manage, name="booking_manage"),
    path("book/paperwork/<str:token>/", public_paperwork.booking_paperwork, name="booking_paperwork"),
    path("book/<slug:medspa_slug>/", public_booking.booking_medspa, name="booking_medspa"),
    path("book/<slug:medspa_slug>/qr.svg", public_qr.booking_medspa_qr, name="booking_medspa_qr"),
    path(
        "book/<slug:medspa_slug>/<slug:location_slug>/",
        public_booking.booking_location,
        name="booking_location",
    ),
    path(
        "book/<slug:medspa_slug>/<slug:location_slug>/qr.svg",
        public_qr.booking_location_qr,
        name="booking_location_qr",
    ),
    # iCal feeds: added by the calendar work
    path("calendar-feed/<str:token>.ics", feeds.calendar_feed, name="calendar_feed"),
]

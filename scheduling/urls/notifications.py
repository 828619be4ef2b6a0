"""Routes of the Scheduling tab's patient notifications (included at notifications/, namespace scheduling)."""

from django.urls import path

from scheduling.views import notifications

urlpatterns = [
    path("", notifications.notification_settings, name="notification_settings"),
    path("preview/", notifications.notification_preview, name="notification_preview"),
]

"""Routes of the Scheduling tab's patient notifications (included at notifications/, namespace scheduling)."""

from django.urls import path

from scheduling import views_notifications

urlpatterns = [
    path("", views_notifications.notification_settings, name="notification_settings"),
    path("preview/", views_notifications.notification_preview, name="notification_preview"),
]

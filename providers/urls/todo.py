from django.urls import path

from providers.views import todo as views_todo

urlpatterns = [
    path("provider/todo/", views_todo.todo, name="todo"),
    path(
        "provider/care-messages/<int:pk>/resend/",
        views_todo.care_message_resend,
        name="care_message_resend",
    ),
    path(
        "provider/notifications/<int:pk>/resend/",
        views_todo.notification_resend,
        name="notification_resend",
    ),
]

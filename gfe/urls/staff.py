"""Portrait's GFE queue (Portrait staff only), included at /gfe/queue/ with the namespace "gfe_queue"."""

from django.urls import path

from gfe.views import queue

urlpatterns = [
    path("", queue.queue_list, name="list"),
    path("<int:pk>/", queue.queue_review, name="review"),
]

"""Portrait's GFE queue (Portrait staff only), included at /gfe/queue/ with the namespace "gfe_queue"."""

from django.urls import path

from gfe import views_queue

urlpatterns = [
    path("", views_queue.queue_list, name="list"),
    path("<int:pk>/", views_queue.queue_review, name="review"),
]

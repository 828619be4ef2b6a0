"""Portrait's transition pages (Portrait staff only), included at /transitions/ with the namespace
"transition_staff"."""

from django.urls import path

from transition import views_staff

urlpatterns = [
    path("", views_staff.transition_list, name="list"),
    path("new/", views_staff.transition_new, name="new"),
    path("coordinator-leaves/", views_staff.coordinator_leaves_new, name="coordinator_leaves"),
    path("<int:pk>/", views_staff.transition_detail, name="detail"),
    path("<int:pk>/approve/", views_staff.approve, name="approve"),
    path("<int:pk>/decline/", views_staff.decline, name="decline"),
    path("<int:pk>/cancel/", views_staff.cancel, name="cancel"),
    path("<int:pk>/confirm/", views_staff.portrait_confirm, name="confirm"),
    path("<int:pk>/tools/", views_staff.tools, name="tools"),
    path("steps/<int:pk>/retry/", views_staff.step_retry, name="step_retry"),
    path("steps/<int:pk>/done/", views_staff.step_done, name="step_done"),
    path("acuity/<int:pk>/resolve/", views_staff.booking_resolve, name="booking_resolve"),
]

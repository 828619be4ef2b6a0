"""Portrait's inventory review (Portrait staff only), included at /inventory/queue/ with the namespace
"inventory_staff"."""

from django.urls import path

from inventory_orders import views_staff

urlpatterns = [
    path("", views_staff.order_list, name="list"),
    path("<int:pk>/", views_staff.order_review, name="review"),
    path("pricing-tickets/", views_staff.issue_list, name="issues"),
    path("pricing-tickets/<int:pk>/resolve/", views_staff.issue_resolve, name="issue_resolve"),
]

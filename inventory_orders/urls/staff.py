"""Portrait's inventory review (Portrait staff only), included at /inventory/queue/ with the namespace
"inventory_staff"."""

from django.urls import path

from inventory_orders.views import staff

urlpatterns = [
    path("", staff.order_list, name="list"),
    path("<int:pk>/", staff.order_review, name="review"),
    path("pricing-tickets/", staff.issue_list, name="issues"),
    path("pricing-tickets/<int:pk>/resolve/", staff.issue_resolve, name="issue_resolve"),
]

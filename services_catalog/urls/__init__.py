from django.urls import path

from services_catalog import views

app_name = "services_catalog"
urlpatterns = [
    path("", views.home, name="home"),
    path("library/", views.library, name="library"),
    path("library/<int:pk>/import/", views.library_import, name="library_import"),
    path("new/", views.service_create, name="service_create"),
    path("<int:pk>/", views.service_edit, name="service_edit"),
    path("<int:pk>/activate/", views.service_activate, name="service_activate"),
    path("groups/new/", views.group_create, name="group_create"),
    path("groups/<int:pk>/", views.group_edit, name="group_edit"),
    path("texts/<slug:kind>/", views.text_list, name="text_list"),
    path("texts/<slug:kind>/new/", views.text_create, name="text_create"),
    path("texts/<slug:kind>/<int:pk>/", views.text_detail, name="text_detail"),
    path("standing-orders/<int:pk>/sign/", views.standing_order_sign, name="standing_order_sign"),
    path("products/", views.product_list, name="product_list"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/<int:pk>/", views.product_edit, name="product_edit"),
]

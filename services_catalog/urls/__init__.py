from django.urls import path

from services_catalog.views import dashboard, intake_forms

app_name = "services_catalog"
urlpatterns = [
    path("", dashboard.home, name="home"),
    path("library/", dashboard.library, name="library"),
    path("library/<int:pk>/import/", dashboard.library_import, name="library_import"),
    path("new/", dashboard.service_create, name="service_create"),
    path("<int:pk>/", dashboard.service_edit, name="service_edit"),
    path("<int:pk>/activate/", dashboard.service_activate, name="service_activate"),
    path("groups/new/", dashboard.group_create, name="group_create"),
    path("groups/<int:pk>/", dashboard.group_edit, name="group_edit"),
    path("texts/<slug:kind>/", dashboard.text_list, name="text_list"),
    path("texts/<slug:kind>/new/", dashboard.text_create, name="text_create"),
    path("texts/<slug:kind>/<int:pk>/", dashboard.text_detail, name="text_detail"),
    path("intake-forms/", intake_forms.intake_form_list, name="intake_form_list"),
    path("intake-forms/new/", intake_forms.intake_form_create, name="intake_form_create"),
    path("intake-forms/<int:pk>/", intake_forms.intake_form_detail, name="intake_form_detail"),
    path("intake-forms/<int:pk>/copy/", intake_forms.intake_form_copy, name="intake_form_copy"),
    path("standing-orders/<int:pk>/sign/", dashboard.standing_order_sign, name="standing_order_sign"),
    path("products/", dashboard.product_list, name="product_list"),
    path("products/new/", dashboard.product_create, name="product_create"),
    path("products/<int:pk>/", dashboard.product_edit, name="product_edit"),
]

"""A service visit: starting it (from the calendar or a patient's profile), its chart and the chart's
actions, and its photos (served through a permission check, never from a public URL)."""

from django.urls import path

from providers.views import visits as views

urlpatterns = [
    path("provider/appointments/<int:appointment_id>/visit/", views.visit_start, name="visit_start"),
    path("provider/patients/<int:pk>/visit/", views.visit_walk_in, name="visit_walk_in"),
    path("provider/visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("provider/visits/<int:pk>/services/", views.visit_service_add, name="visit_service_add"),
    path(
        "provider/visits/<int:pk>/services/<int:row_id>/remove/",
        views.visit_service_remove,
        name="visit_service_remove",
    ),
    path(
        "provider/visits/<int:pk>/consents/<int:version_id>/sign/",
        views.visit_consent_sign,
        name="visit_consent_sign",
    ),
    path("provider/visits/<int:pk>/products/", views.visit_product_add, name="visit_product_add"),
    path(
        "provider/visits/<int:pk>/products/<int:product_id>/remove/",
        views.visit_product_remove,
        name="visit_product_remove",
    ),
    path("provider/visits/<int:pk>/notes/", views.visit_notes_save, name="visit_notes_save"),
    path("provider/visits/<int:pk>/photos/", views.visit_photo_add, name="visit_photo_add"),
    path("provider/visits/<int:pk>/photos/<int:photo_id>/", views.visit_photo, name="visit_photo"),
    path(
        "provider/visits/<int:pk>/photos/<int:photo_id>/remove/",
        views.visit_photo_remove,
        name="visit_photo_remove",
    ),
    path("provider/visits/<int:pk>/checkout/", views.visit_checkout, name="visit_checkout"),
    path("provider/visits/<int:pk>/checkout/total/", views.visit_checkout_total, name="visit_checkout_total"),
    path("provider/visits/<int:pk>/pdf/", views.visit_pdf, name="visit_pdf"),
    path("provider/visits/<int:pk>/sign/", views.visit_sign, name="visit_sign"),
    path("provider/visits/<int:pk>/addenda/", views.visit_addendum_add, name="visit_addendum_add"),
    path("provider/visits/<int:pk>/void/", views.visit_void, name="visit_void"),
]

"""GFE pages of the Provider dashboard, included at /provider/gfe/ with the namespace "gfe_provider": a
manual request and self-clearance for the provider's own patient, and every exam of that patient."""

from django.urls import path

from gfe import views

urlpatterns = [
    path("patients/<int:patient_pk>/", views.patient_gfes, name="patient_gfes"),
    path("patients/<int:patient_pk>/request/", views.request_new, name="request_new"),
    path("patients/<int:patient_pk>/self-clear/", views.self_clear, name="self_clear"),
    path("exams/<int:pk>/", views.exam_detail, name="exam_detail"),
    path("exams/<int:pk>/pdf/", views.exam_pdf, name="exam_pdf"),
]

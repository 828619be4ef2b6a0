"""GFE pages of the Provider dashboard, included at /provider/gfe/ with the namespace "gfe_provider": a
manual request and self-clearance for the provider's own patient, and every exam of that patient."""

from django.urls import path

from gfe.views import dashboard

urlpatterns = [
    path("patients/<int:patient_pk>/", dashboard.patient_gfes, name="patient_gfes"),
    path("patients/<int:patient_pk>/request/", dashboard.request_new, name="request_new"),
    path("patients/<int:patient_pk>/self-clear/", dashboard.self_clear, name="self_clear"),
    path("exams/<int:pk>/", dashboard.exam_detail, name="exam_detail"),
    path("exams/<int:pk>/pdf/", dashboard.exam_pdf, name="exam_pdf"),
]

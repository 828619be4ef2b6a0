"""The GFE Management tab of the admin dashboard (/dashboard/gfe/) and the admin's read-only view of a
patient's exams."""

from django.urls import path

from gfe.views import dashboard

app_name = "gfe"
urlpatterns = [
    path("", dashboard.home, name="home"),
    path("exams/<int:pk>/", dashboard.admin_exam_detail, name="exam_detail"),
    path("exams/<int:pk>/pdf/", dashboard.admin_exam_pdf, name="exam_pdf"),
    path("patients/<int:patient_pk>/", dashboard.admin_patient_gfes, name="patient_gfes"),
]

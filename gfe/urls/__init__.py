"""The GFE Management tab of the admin dashboard (/dashboard/gfe/) and the admin's read-only view of a
patient's exams."""

from django.urls import path

from gfe import views

app_name = "gfe"
urlpatterns = [
    path("", views.home, name="home"),
    path("exams/<int:pk>/", views.admin_exam_detail, name="exam_detail"),
    path("exams/<int:pk>/pdf/", views.admin_exam_pdf, name="exam_pdf"),
    path("patients/<int:patient_pk>/", views.admin_patient_gfes, name="patient_gfes"),
]

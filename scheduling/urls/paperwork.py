"""Routes of the staff's paperwork pages (the "paperwork" namespace, under /paperwork/): a patient's intake
responses and the decision on an answer that proposes a change to the record. Both dashboards open them (an
admin for the medspa's patients, a provider for their own), hence not under /dashboard/, the admin's. The
patient's own paperwork page is public (scheduling.urls.public)."""

from django.urls import path

from scheduling.views import paperwork

app_name = "paperwork"
urlpatterns = [
    path("patients/<int:patient_pk>/responses/", paperwork.patient_responses, name="patient_responses"),
    path("responses/<int:pk>/", paperwork.response_detail, name="response_detail"),
    path("changes/<int:pk>/accept/", paperwork.change_accept, name="change_accept"),
    path("changes/<int:pk>/decline/", paperwork.change_decline, name="change_decline"),
]

"""Reads of patient data through the API, each written to the patient access log."""

from rest_framework.response import Response

from medspa.models import Patient
from medspa.services.patients import patients_access_record


class PatientReadLogMixin:
    """For a viewset whose objects show patient data: `list` and `retrieve` log one access-log row per
    patient shown (one INSERT per page, however many rows). Put it before the DRF list and retrieve mixins."""

    access_viewed = "API"

    def access_patient(self, obj) -> Patient:
        """The patient an object shows; only its id and medspa are needed, so nothing more is loaded."""
        return Patient(pk=obj.patient_id, medspa_id=obj.medspa_id)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        patients = [self.access_patient(obj) for obj in rows]
        patients_access_record(patients=patients, request=request, viewed=f"{self.access_viewed}: list")
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        patients_access_record(
            patients=[self.access_patient(obj)], request=request, viewed=f"{self.access_viewed}: record"
        )
        return Response(self.get_serializer(obj).data)

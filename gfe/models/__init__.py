"""Good Faith Exams: how a medspa routes its patients' clearance, the requests, the signed exams, and the
clearance of each patient for each service, which gates treatment.

Nothing is overwritten: every request, exam and clearance is kept; a clearance moves only along its
allowed transitions (each one recorded by the audit triggers), and a new exam makes new clearances."""

from gfe.models.clearances import CLEARANCE_TRANSITIONS, Clearance, ClearanceStatus
from gfe.models.exams import GfeExam
from gfe.models.requests import OPEN_REQUEST_STATUSES, GfeRequest, RequestStatus
from gfe.models.settings import GfeSettings, Routing

__all__ = [
    "CLEARANCE_TRANSITIONS",
    "OPEN_REQUEST_STATUSES",
    "Clearance",
    "ClearanceStatus",
    "GfeExam",
    "GfeRequest",
    "GfeSettings",
    "RequestStatus",
    "Routing",
]

"""The patient's paperwork page before the visit (no sign-in), opened by one appointment's signed link."""

from django.http import Http404


def booking_paperwork(request, token: str):
    raise Http404

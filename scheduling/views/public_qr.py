"""The QR codes of the public booking links (the medspa's and each location's), as SVG."""

import qrcode
import qrcode.image.svg
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from medspa.tenancy import medspa_scope
from scheduling.views.public_common import (
    active_location,
    booking_base_url,
    medspa_or_404,
)

# --- QR codes of the booking links --------------------------------------------------------------------------


def _qr_response(url: str) -> HttpResponse:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    response = HttpResponse(image.to_string(encoding="unicode"), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=3600"
    response["Content-Disposition"] = 'inline; filename="booking-qr.svg"'
    return response


@require_GET
def booking_medspa_qr(request, medspa_slug: str):
    medspa = medspa_or_404(medspa_slug)
    return _qr_response(booking_base_url() + reverse("booking_medspa", args=[medspa.slug]))


@require_GET
def booking_location_qr(request, medspa_slug: str, location_slug: str):
    medspa = medspa_or_404(medspa_slug)
    with medspa_scope(medspa, audit_context=True):
        location = active_location(medspa, location_slug)
        if location is None:
            raise Http404("No such location is taking bookings.")
        return _qr_response(
            booking_base_url() + reverse("booking_location", args=[medspa.slug, location.slug])
        )

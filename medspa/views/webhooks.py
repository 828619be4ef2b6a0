"""Calls to Portrait from outside services: Twilio's delivery receipts of the texts it sent
(medspa.messaging.receipts) and Stripe's events (medspa.payments.events)."""

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, HttpResponseNotFound
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from medspa.messaging import receipts
from medspa.messaging.webhooks import request_is_from_twilio
from medspa.payments import events


@csrf_exempt  # Twilio holds no CSRF token: its signature (X-Twilio-Signature) is the check
@require_POST
def twilio_status(request, label: str, pk: int):
    """One status callback about one text: 403 unless Twilio signed it; 204 once read (recorded, or a late
    or repeated receipt that changes nothing), so that Twilio does not call again."""
    if not request_is_from_twilio(request):
        return HttpResponseForbidden("Not signed by Twilio.")
    model = receipts.message_log_model(label)
    if model is None:
        return HttpResponseNotFound()
    receipts.receipt_record(
        model=model,
        pk=pk,
        sid=request.POST.get("MessageSid", ""),
        status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
    )
    return HttpResponse(status=204)


def _stripe_event(request, secret: str):
    """400 unless Stripe signed the event with this endpoint's secret (and recently); 200 once kept, the
    first delivery processed and any later one only counted, so that Stripe stops sending it."""
    try:
        event = events.event_verify(
            payload=request.body, signature=request.headers.get("Stripe-Signature", ""), secrets=[secret]
        )
    except events.EventRefused as refused:
        return HttpResponseBadRequest(refused.message)
    _row, processed = events.event_receive(event)
    return HttpResponse("processed" if processed else "already processed", content_type="text/plain")


@csrf_exempt  # Stripe holds no CSRF token: its signature (Stripe-Signature) is the check
@require_POST
def stripe_platform(request):
    """Events of Portrait's own account (its charges of the medspas' bills)."""
    return _stripe_event(request, settings.STRIPE_WEBHOOK_SECRET)


@csrf_exempt
@require_POST
def stripe_connect(request):
    """Events of the medspas' connected accounts (their patients' payments, refunds, disputes, payouts)."""
    return _stripe_event(request, settings.STRIPE_CONNECT_WEBHOOK_SECRET)

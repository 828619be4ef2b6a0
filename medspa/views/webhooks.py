"""Twilio's calls to Portrait: the delivery receipts of the texts it sent (medspa.messaging.receipts)."""

from django.http import HttpResponse, HttpResponseForbidden, HttpResponseNotFound
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from medspa.messaging import receipts
from medspa.messaging.webhooks import request_is_from_twilio


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

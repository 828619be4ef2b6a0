"""Two-way texting: Twilio's incoming-message webhook, and the inbox where admins (every thread of the
medspa) and providers (their own patients' threads) read texts and reply. Which threads a member opens is
medspa.selectors.texting's decision."""

import logging

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_scopes import scopes_disabled
from twilio.twiml.messaging_response import MessagingResponse

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.messaging import opt_out
from medspa.messaging.webhooks import request_is_from_twilio
from medspa.models import Medspa
from medspa.selectors import texting as texting_selectors
from medspa.services import texting as texting_services
from medspa.tenancy import medspa_scope

logger = logging.getLogger(__name__)

PAGE_SIZE = 25
TWIML = "application/xml"


def _twiml(reply: str = "") -> HttpResponse:
    """TwiML for Twilio (https://www.twilio.com/docs/messaging/twiml): an empty <Response/> sends nothing
    back; a <Message> answers the texter from the number they texted."""
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return HttpResponse(str(response), content_type=TWIML)


def _keyword_reply(keyword: str, medspa: Medspa, opt_out_type: str) -> str:
    """What we answer a keyword with. STOP: nothing; Twilio's own STOP filtering already confirmed it on the
    carrier's behalf, and it refuses any further text to that number (error 21610), a reply included.
    START and HELP: the medspa's own answer (its name and how to stop, as CTIA asks), unless Twilio's
    Advanced Opt-Out answered already, which it says by posting OptOutType."""
    if opt_out_type or keyword == opt_out.STOP:
        return ""
    if keyword == opt_out.HELP:
        return opt_out.help_text(medspa.display_name)
    if keyword == opt_out.START:
        return opt_out.start_text(medspa.display_name)
    return ""


@csrf_exempt
@require_POST
def twilio_inbound(request):
    """Twilio's incoming-message webhook (POST /webhooks/twilio/inbound/): 403 unless Twilio signed it; the
    text lands in the inbox of the medspa whose number was texted.

    A number no medspa holds gets 200 with an empty response and a warning in the log: the text was
    received (a 4xx would only make Twilio report a webhook failure and retry nothing useful), and staff
    find the number that is wired to this URL but not given to a medspa."""
    if not request_is_from_twilio(request):
        return HttpResponseForbidden("Not signed by Twilio.")
    data = request.POST
    sid, sender, to = data.get("MessageSid", ""), data.get("From", ""), data.get("To", "")
    if not sid or not sender or not to:
        return HttpResponseBadRequest("MessageSid, From and To are required.")
    number = texting_services.e164(to)
    with scopes_disabled():
        medspa = Medspa.objects.filter(sms_number=number).first() if number else None
    if medspa is None:
        logger.warning("A text (%s) reached %s, which no medspa holds.", sid, to)
        return _twiml()
    opt_out_type = data.get("OptOutType", "")
    with medspa_scope(medspa, audit_context=True):
        received = texting_services.inbound_receive(
            medspa=medspa,
            sid=sid,
            from_number=sender,
            to_number=to,
            body=data.get("Body", ""),
            opt_out_type=opt_out_type,
        )
    return _twiml(_keyword_reply(received.keyword, medspa, opt_out_type))


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Reply", max_length=1600, widget=forms.Textarea(attrs={"rows": 3}), strip=True
    )


@dashboard_area(dashboards.ADMIN, dashboards.PROVIDER)
def inbox(request):
    threads = texting_selectors.inbox_threads(request.membership, request.dashboard)
    page = Paginator(threads, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    texting_services.threads_listed(threads=page.object_list, request=request, viewed="Texting inbox")
    return render(
        request,
        "medspa/texting/inbox.html",
        {"page": page, "admin_view": request.dashboard == dashboards.ADMIN},
    )


@dashboard_area(dashboards.ADMIN, dashboards.PROVIDER)
def unread(request):
    """The menu's badge: received texts nobody has read in the threads the member opens here. Fetched by
    htmx when a page loads and every minute, so that no page pays for the count while it renders."""
    count = texting_selectors.unread_count(request.membership, request.dashboard)
    return render(request, "medspa/texting/_unread.html", {"count": count})


@dashboard_area(dashboards.ADMIN, dashboards.PROVIDER)
def thread(request, pk: int):
    """One thread: its texts (marked read, the read logged) and the reply form."""
    opened = get_object_or_404(
        texting_selectors.threads_open_to(request.membership, request.dashboard).select_related(
            "patient", "medspa"
        ),
        pk=pk,
    )
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sent = texting_services.thread_reply(
                thread=opened, user=request.user, body=form.cleaned_data["body"]
            )
        except texting_services.TextingError as error:
            form.add_error("body", str(error))
        else:
            if sent.failure:
                messages.error(request, f"The text did not go: {sent.failure}")
            else:
                messages.success(request, "Your reply was sent.")
            return redirect("texting_thread", pk=opened.pk)
    texting_services.thread_read(thread=opened, request=request, viewed="Texting inbox: thread")
    context = {
        "thread": opened,
        "texts": texting_selectors.thread_messages(opened),
        "form": form,
        "refusal": texting_services.thread_refusal(opened),
        "patient_url": dashboards.patient_url(request.dashboard, opened.patient_id)
        if opened.patient_id
        else "",
    }
    return render(request, "medspa/texting/thread.html", context, status=400 if form.errors else 200)

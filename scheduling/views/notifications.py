"""The admin's patient-notification settings (Scheduling tab): switches, reminder lead times, the texts of
each kind, and a live preview of a text as it is typed (htmx; no inline scripts)."""

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.http import form_status
from scheduling.forms.notifications import NotificationSettingsForm, templates_from
from scheduling.models import NotificationSettings
from scheduling.selectors import notification_texts
from scheduling.services.notification_settings import notification_settings_get, notification_settings_save


def _preview(settings_obj: NotificationSettings, kind: str) -> dict:
    texts = notification_texts.template_for(settings_obj, kind)
    sms = notification_texts.notification_preview(settings_obj=settings_obj, kind=kind, channel="sms")
    return {
        "kind": kind,
        "label": notification_texts.KIND_LABELS[kind],
        "subject": notification_texts.notification_preview(
            settings_obj=settings_obj, kind=kind, channel="subject"
        ),
        "email": notification_texts.notification_preview(
            settings_obj=settings_obj, kind=kind, channel="email"
        ),
        "sms": sms,
        "sms_length": len(sms),
        "problems": [
            problem for text in texts.values() for problem in notification_texts.template_problems(text)
        ],
    }


def _as_typed(request, kinds) -> NotificationSettings:
    """An unsaved copy of the medspa's settings with the texts as typed in the form (empty: the default)."""
    return NotificationSettings(medspa=request.medspa, templates=templates_from(request.POST, kinds))


@dashboard_area(dashboards.ADMIN)
@require_http_methods(["GET", "POST"])
def notification_settings(request):
    settings_obj = notification_settings_get(medspa_id=request.medspa.pk)
    form = NotificationSettingsForm(request.POST or None, settings_obj=settings_obj)
    if request.method == "POST" and form.is_valid():
        notification_settings_save(settings_obj=settings_obj, data=form.settings_data())
        messages.success(request, "Notification settings were saved.")
        return redirect("scheduling:notification_settings")
    shown = (
        _as_typed(request, notification_texts.TEMPLATE_KINDS) if request.method == "POST" else settings_obj
    )
    kinds = [{**entry, "preview": _preview(shown, entry["kind"])} for entry in form.kinds()]
    return render(
        request,
        "scheduling/notifications/settings.html",
        {"form": form, "kinds": kinds, "placeholders": notification_texts.PLACEHOLDERS},
        status=form_status(request),
    )


@dashboard_area(dashboards.ADMIN)
@require_http_methods(["GET", "POST"])
def notification_preview(request):
    """GET ?kind=…: the saved text of a kind with a sample appointment. POST (htmx, from the settings form):
    the text as typed. htmx gets the preview fragment; a browser without JavaScript gets a page."""
    data = request.POST if request.method == "POST" else request.GET
    kind = data.get("kind") or notification_texts.CONFIRMATION
    if kind not in notification_texts.TEMPLATE_KINDS:
        return HttpResponseBadRequest("Unknown notification kind.")
    if request.method == "POST":
        settings_obj = _as_typed(request, [kind])
    else:
        settings_obj = notification_settings_get(medspa_id=request.medspa.pk)
    template = (
        "scheduling/notifications/_preview.html" if request.htmx else "scheduling/notifications/preview.html"
    )
    return render(request, template, {"preview": _preview(settings_obj, kind)})

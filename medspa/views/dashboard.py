"""The landing page, switching dashboards, and the admin dashboard's overview with the onboarding
checklist, the medspa's day (the "Today" sections the apps add: medspa.views.panels.ADMIN_TODAY) and the
admin's To-Do (disputed card payments to answer, and the sections the apps add:
medspa.views.panels.ADMIN_TODO)."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_POST

from medspa import clock, dashboards
from medspa.dashboards import dashboard_area
from medspa.models import Membership, Patient
from medspa.payments.disputes import disputes_open
from medspa.permissions import has_role
from medspa.services import onboarding
from medspa.services.patients import patients_access_record
from medspa.views import panels


@login_required
def home(request):
    """Sends a member to the dashboard they work in; staff and people without a medspa get a page."""
    url = dashboards.home_url(request)
    if url:
        return redirect(url)
    return render(request, "medspa/home.html")


@require_POST
@login_required
def dashboard_switch(request):
    """The user menu's switch between the dashboards the member holds: Medspa Admin, Provider, Coordinator."""
    target = request.POST.get("to", "")
    if target not in dashboards.dashboards_open_to(request.membership):
        return redirect("home")
    request.session[dashboards.SESSION_KEY] = target
    return redirect(dashboards.HOMES[target])


def dashboard_home(request):
    """/dashboard/: the admin's overview. A coordinator who is no admin works in the calendar: sent there."""
    if request.user.is_authenticated and not has_role(request, "admin") and has_role(request, "coordinator"):
        return redirect(dashboards.HOMES[dashboards.COORDINATOR])
    return admin_overview(request)


@dashboard_area(dashboards.ADMIN)
def admin_overview(request):
    """The admin's overview: the onboarding checklist until it is done, today, the To-Do, then the medspa at
    a glance."""
    checklist = onboarding.checklist(request.medspa, request.membership)
    today_panels, shown_today = panels.admin_today_panels(request)
    patients_access_record(patients=shown_today, request=request, viewed="Admin dashboard: Today")
    todo_panels, shown = panels.admin_todo_panels(request)
    patients_access_record(patients=shown, request=request, viewed="Admin dashboard: To-Do")
    context = {
        "checklist": checklist,
        "today_date": clock.today(request.medspa),
        "today_panels": today_panels,
        "todo_panels": todo_panels,
        "patient_count": Patient.objects.exclude(status="archived").count(),
        "to_clear_count": Patient.objects.filter(status="to_clear").count(),
        "provider_count": Membership.objects.filter(is_provider=True, is_active=True).count(),
        "disputes": disputes_open(medspa=request.medspa),
    }
    return render(request, "medspa/dashboard_home.html", context)


@dashboard_area(dashboards.ADMIN)
def onboarding_checklist(request):
    """The checklist on a page of its own, reachable from Account settings once it is done."""
    checklist = onboarding.checklist(request.medspa, request.membership)
    return render(request, "medspa/onboarding.html", {"checklist": checklist})


def healthz(request):
    """For load balancers and compose: 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def favicon(request):
    """Browsers ask for /favicon.ico where a page names no icon (Django admin, the API's JSON): not a 404
    each time."""
    return redirect(static("favicon.svg"))

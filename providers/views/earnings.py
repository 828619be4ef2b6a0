"""Earnings: the provider's own (the sales they made), and the medspa's and each provider's for the admin,
with the transaction list and its CSV export. They read from the replica, when one is configured
(medspa.db_router).

The transaction list names patients, so every patient on a page (or in each chunk of the export) is written
to the patient access log, in one INSERT per page or chunk."""

from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.db_router import replica_export, replica_view
from medspa.models import Patient
from medspa.payments.reconcile import stripe_fees_total
from medspa.services.patients import patients_access_record
from medspa.tenancy import medspa_scope
from providers.forms.earnings import EarningsFilterForm
from providers.selectors import earnings, earnings_transactions
from providers.selectors.earnings_csv import csv_lines, csv_rows

PROVIDER, ADMIN = dashboards.PROVIDER, dashboards.ADMIN
SALE_DETAIL = {PROVIDER: "providers:sale_detail", ADMIN: "providers:admin_sale_detail"}
CSV_URL = {PROVIDER: "providers:earnings_csv", ADMIN: "providers:admin_earnings_csv"}


@dashboard_area(dashboards.PROVIDER)
@replica_view
def earnings_page(request):
    """The provider's own earnings: their sales and the refunds of them."""
    return _page(request, area=PROVIDER)


@dashboard_area(dashboards.ADMIN)
@replica_view
def admin_earnings(request):
    """The medspa's earnings (or one provider's, chosen in the filter) and each provider's part."""
    return _page(request, area=ADMIN)


@dashboard_area(dashboards.PROVIDER)
@replica_view
def earnings_csv(request):
    return _csv(request, area=PROVIDER)


@dashboard_area(dashboards.ADMIN)
@replica_view
def admin_earnings_csv(request):
    return _csv(request, area=ADMIN)


def _filter(request, area: str) -> tuple[EarningsFilterForm, earnings.Scope | None]:
    form = EarningsFilterForm(request.GET, medspa=request.medspa, with_provider=area == ADMIN)
    if not form.is_valid():
        return form, None
    provider = request.membership if area == PROVIDER else form.chosen_provider()
    return form, earnings.Scope(request.medspa, provider)


def _sale_link(area: str):
    """Links to a sale's page in the area."""
    name = SALE_DETAIL[area]
    return lambda pk: reverse(name, kwargs={"pk": pk})


def _log(request, rows: list, viewed: str) -> None:
    """The patients of these transaction rows, in the access log (one INSERT)."""
    shown = [Patient(pk=row.patient_id, medspa_id=request.medspa.pk) for row in rows if row.patient_id]
    patients_access_record(patients=shown, request=request, viewed=viewed)


def _page(request, *, area: str):
    form, scope = _filter(request, area)
    context = {"form": form, "area": area, "csv_url": reverse(CSV_URL[area])}
    if scope is None:
        return render(request, "providers/earnings/page.html", context)
    period = form.period()
    summary = earnings.summary(scope, period)
    context.update(period=period, scope=scope, summary=summary)
    if summary.transaction_count:  # else the page explains what will appear
        page, rows = earnings_transactions.transaction_page(
            scope,
            period,
            number=request.GET.get("page"),
            count=summary.transaction_count,
            link=_sale_link(area),
        )
        _log(request, rows, "Earnings: transactions")
        if area == PROVIDER:
            subject = "Your"
        else:
            subject = f"{scope.provider.user.get_full_name()}'s" if scope.provider else "The medspa's"
        context.update(
            page=page,
            rows=rows,
            chart=earnings.month_chart(summary, subject=subject),
            by_provider=earnings.by_provider(scope, period) if area == ADMIN else None,
            flex_percent=request.medspa.flex_revenue_split_percent,
        )
        if area == ADMIN and scope.provider is None:
            context["stripe_fees"] = stripe_fees_total(
                medspa=request.medspa, since=period.since, until=period.until
            )
    return render(request, "providers/earnings/page.html", context)


def _csv(request, *, area: str):
    """Every transaction of the filtered period as CSV, streamed (read in chunks, never all in memory)."""
    form, scope = _filter(request, area)
    if scope is None:
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        return HttpResponseBadRequest(f"Fix the filter first ({problems})", content_type="text/plain")
    period = form.period()
    is_flex = earnings.summary_is_flex(scope, period)

    def logged(rows: list) -> None:
        _log(request, rows, "Earnings: transactions CSV")

    def lines():
        # The body is read after the view (and its scopes) returned.
        with medspa_scope(request.medspa), replica_export(request):
            yield from csv_lines(csv_rows(scope, period, is_flex=is_flex, on_chunk=logged))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    who = "" if scope.provider is None else f"-{scope.provider.pk}"
    response["Content-Disposition"] = (
        f'attachment; filename="earnings{who}-{period.start:%Y-%m-%d}-to-{period.end:%Y-%m-%d}.csv"'
    )
    return response

"""The top bar's search, in every dashboard: the results popup under the box (an htmx fragment, a few of each
kind) and the results page (without JavaScript too: each kind's first results, or one kind's, page by page).
What is searched is what the apps registered for the request's dashboard (medspa.search.SEARCH); every
patient shown is written to the access log."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.http import ascii_int, search_query
from medspa.search import QUERY_MAX_LENGTH, search_run, search_sources
from medspa.services.patients import patients_access_record

POPUP_SIZE = 5  # of each kind, under the box
PAGE_SIZE = 10  # of each kind, on the page
KIND_PAGE_SIZE = 25  # of one kind ("Show all"), page by page


def _nothing_found(sources) -> str:
    """ "patients, appointments or orders": the kinds the dashboard searches, for "No … match"."""
    labels = [source.label.lower() for source in sources] or ["results"]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]


@require_GET
@dashboard_area(dashboards.ADMIN, dashboards.PROVIDER, dashboards.COORDINATOR)
def search(request):
    """?q= the text searched; ?kind= one kind only (its "Show all"), with ?page=."""
    query = " ".join(search_query(request, max_length=QUERY_MAX_LENGTH).split())
    sources = search_sources(request.dashboard)
    kind = next((source for source in sources if source.key == request.GET.get("kind")), None)
    popup = bool(request.htmx) and not request.htmx.boosted
    if popup and not query:
        return HttpResponse("")  # nothing to show: the popup stays closed (its CSS hides it when empty)
    page_number = 1
    if popup:
        limit, offset, searched = POPUP_SIZE, 0, sources
    elif kind is not None:
        page_number = ascii_int(request.GET.get("page"), max_digits=4) or 1
        limit, offset, searched = KIND_PAGE_SIZE, (page_number - 1) * KIND_PAGE_SIZE, [kind]
    else:
        limit, offset, searched = PAGE_SIZE, 0, sources
    sections = search_run(request, query, sources=searched, limit=limit, offset=offset) if query else []
    shown = [result.patient for section in sections for result in section.results if result.patient]
    patients_access_record(patients=shown, request=request, viewed="Search results")
    context = {
        "query": query,
        "sections": sections,
        "found": any(section.results for section in sections),
        "kinds": _nothing_found(sources),
        "kind": kind,
        "page_number": page_number,
        "previous_page": page_number - 1 if kind and page_number > 1 else None,
        "next_page": page_number + 1 if kind and sections and sections[0].more else None,
    }
    template = "medspa/search/_results.html" if popup else "medspa/search/search.html"
    return render(request, template, context)

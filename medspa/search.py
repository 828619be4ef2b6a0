"""The top bar's search: what each kind of result is, the registry the apps fill and the reading of a query.

Each app that owns a kind of thing a member looks for (the core its patients, scheduling its appointments,
inventory ordering its orders) registers a `SearchSource` in SEARCH from its AppConfig.ready: an order (the
sections' order on the page), the dashboards it serves, and a function(request, query, limit=, offset=)
giving at most `limit` results from `offset`, each a title, a subtitle, a link in the request's dashboard and
the patient it names (the page writes each to the access log). A source reads its results in one query,
whatever their number, so that the page costs a fixed number of queries."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.http import HttpRequest

from medspa import dashboards
from medspa.models import Patient
from medspa.models.patients import PatientStatus
from medspa.registry import Registry
from medspa.selectors.patients import patient_search, patients_of_provider, patients_open_to

QUERY_MAX_LENGTH = 100  # longer text names nobody: it is cut there


@dataclass(frozen=True)
class SearchResult:
    """One line of results: `title` and `subtitle` as shown, `url` the page it opens, `patient` the patient it
    names (or None)."""

    title: str
    subtitle: str
    url: str
    patient: Patient | None = None


@dataclass(frozen=True)
class SearchSource:
    """A kind of result: `key` in the page's query string (?kind=), `label` its section's heading."""

    key: str
    label: str
    dashboards: frozenset[str]
    search: Callable[..., list[SearchResult]]
    order: int = 0


SEARCH: Registry[SearchSource] = Registry("search sources", order=lambda source: source.order)


def search_sources(dashboard: str | None) -> list[SearchSource]:
    """The kinds of result the dashboard `dashboard` searches, in order."""
    return [source for source in SEARCH if dashboard in source.dashboards]


@dataclass(frozen=True)
class SearchSection:
    source: SearchSource
    results: list[SearchResult]
    more: bool  # results beyond these


def search_run(
    request: HttpRequest, query: str, *, sources, limit: int, offset: int = 0
) -> list[SearchSection]:
    """Each source's results for `query`: at most `limit` from `offset`, and whether there are more (one
    result more is read to know)."""
    sections = []
    for source in sources:
        found = source.search(request, query, limit=limit + 1, offset=offset)
        sections.append(SearchSection(source, found[:limit], len(found) > limit))
    return sections


# --- Reading a query: its words and a date in it ----------------------------------------------------------

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = r"(?P<month_name>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
DATE_FORMS = (
    re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})\b"),
    re.compile(r"\b(?P<month>\d{1,2})/(?P<day>\d{1,2})(?:/(?P<year>\d{4}|\d{2}))?\b"),
    re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:(?:st|nd|rd|th)\b)?(?:,?\s+(?P<year>\d{{4}}))?", re.I),
    re.compile(rf"\b(?P<day>\d{{1,2}})\s+{_MONTH}(?:\s+(?P<year>\d{{4}}))?", re.I),
)


@dataclass(frozen=True)
class DateInQuery:
    """A day typed in a query: a month and a day, and the year when it was typed."""

    month: int
    day: int
    year: int | None = None


def query_date(query: str) -> tuple[DateInQuery | None, str]:
    """The first date typed in `query` ("12/8", "12/8/2026", "Dec 8", "8 December 2026", "2026-12-08") and
    the query without it; (None, query) when it holds no real date."""
    for form in DATE_FORMS:
        for found in form.finditer(query):
            parts = found.groupdict()
            if parts.get("month_name"):
                month = MONTHS.index(parts["month_name"].lower()[:3]) + 1
            else:
                month = int(parts["month"])
            day = int(parts["day"])
            year = int(parts["year"]) if parts.get("year") else None
            if year is not None and year < 100:
                year += 2000
            try:  # 2000 is a leap year: Feb 29 without a year is a date
                date(year or 2000, month, day)
            except ValueError:
                continue
            rest = (query[: found.start()] + " " + query[found.end() :]).split()
            return DateInQuery(month, day, year), " ".join(rest)
    return None, query


def query_words(query: str, *, most: int = 5) -> list[str]:
    """The query's first words (each must match), as patient_search reads them."""
    return query.split()[:most]


# --- The core's own source: patients ------------------------------------------------------------------------


def patient_subtitle(patient: Patient) -> str:
    """ "Born 04/12/1985 · phone ending 0123", and "Archived" for an archived record."""
    parts = [f"Born {patient.date_of_birth:%m/%d/%Y}"]
    digits = "".join(character for character in patient.phone if character.isdigit())
    if len(digits) >= 4:
        parts.append(f"phone ending {digits[-4:]}")
    if patient.status == PatientStatus.ARCHIVED:
        parts.append("Archived")
    return " · ".join(parts)


def patients_found(request: HttpRequest, query: str, *, limit: int, offset: int = 0) -> list[SearchResult]:
    """The patients the member may see matching every word (by name, email or phone): in the admin's dashboard
    the medspa's (patients_open_to), in the Provider dashboard the provider's own (an admin who also treats
    too: the profile there opens only those); each opens their profile in that dashboard."""
    area = request.dashboard
    membership = request.membership
    patients = (
        patients_of_provider(membership) if area == dashboards.PROVIDER else patients_open_to(membership)
    )
    queryset = patient_search(patients, query).order_by("last_name", "first_name", "pk")
    return [
        SearchResult(
            patient.full_name, patient_subtitle(patient), dashboards.patient_url(area, patient.pk), patient
        )
        for patient in queryset[offset : offset + limit]
    ]


def register() -> None:
    SEARCH.register(
        SearchSource(
            "patients",
            "Patients",
            frozenset({dashboards.ADMIN, dashboards.PROVIDER}),
            patients_found,
            order=10,
        )
    )

"""Hostile input over every form of the product.

The forms are found the way a browser finds them: every page of the permission table is opened by a member
of the cast who may see it (the anonymous for public pages), and so are the pages its links lead to (one
per path and query-string names); each <form> is read with the values it would submit untouched, and the
query strings of the links are GET forms too. URLs the table posts to without any page showing a form are
added with the member the table lets use them, with the fields of the form classes their view names.
Each form is then sent, as that member:

- empty (a POST);
- with every field at once set to each hostile value: a 10,000-character string, a script tag, "abc" with a
  NUL; and every field but free text to "-1", "1e309", and a full-width digit with a superscript one
  (file fields get a file holding the value);
- with the fields that say where to go next set to another site;
- with each id-like field (ids among its values or options, or a name that names a kind of thing) set to
  the id of medspa B's thing of that kind, the other fields as the page gave them (a GET form: all at once).

Every request runs in a savepoint that is rolled back, so all of them see the same world. Each must answer
below 500; a refusal (4xx, or a form shown again with 200) writes nothing (no row inserted, updated or
deleted but in the audit trail, the access log and the sessions); a script tag never comes back unescaped,
in the answer or on the page a redirect leads to; no answer redirects to another site; nothing ever links
medspa A's rows to medspa B's things; and medspa A's people never see medspa B's names. The pages crawled
carry no inline code (test_security.inline_code).

What it found (now fixed) is pinned down one by one at the end of this file."""

import copy
import inspect
import re
import traceback
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pghistory.models
import pytest
from django import forms
from django.apps import apps
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from medspa.models import Medspa, Patient
from medspa.tenancy import medspa_scope
from tests import factories
from tests.fixtures import CAST_NAMES
from tests.test_permission_table import TABLE
from tests.test_permission_table import world as table_world
from tests.test_security import inline_code

ROOT = str(Path(__file__).resolve().parent.parent) + "/"
OK, CREATED, FOUND, BAD_REQUEST = 200, 201, 302, 400
MEDSPA_A = ("admin_a", "provider_a1", "provider_a2")
SCRIPT = "<script>alert(1)</script>"
# Sent to every field. "abc" and a NUL: not a number nor a date, and no text PostgreSQL can store.
TEXTS = {"too long": "x" * 10_000, "script tag": SCRIPT, "not a number, NUL": "abc\x00"}
# Sent to every field but free text (a <textarea>) and files: what a number, a date or an id must refuse.
# "２²": a full-width digit (int() takes it) and a superscript one (str.isdigit() says yes, int() says no).
WRONG_TYPES = {"negative": "-1", "overflowing": "1e309", "odd digits": "\uff12\u00b2"}
# Sent to the fields that say where to go next: the answer must never send anyone to another site.
OFF_SITE = "https://evil.example/"
URL_FIELD = re.compile(r"next|return|back|redirect|url", re.IGNORECASE)
CSRF = "csrfmiddlewaretoken"
# Names only medspa B's people carry: never on a page medspa A's people see.
FOREIGN_NAMES = ("Zebulon Quillfeather", "Ottoline Farthingale", "Luxe B")


@dataclass
class Form:
    """A form as a browser submits it untouched."""

    who: str  # the member of the cast who saw it (and sends it)
    page: str
    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    choices: dict[str, list[str]] = field(default_factory=dict)  # select options, radio values
    kinds: dict[str, str] = field(default_factory=dict)  # input type, "select" or "textarea"
    submit: tuple[str, str] | None = None  # the named button pressed, if any

    def key(self) -> tuple:
        """Forms that differ only by the id in their URL (one per row of a list) are sent once, and so are
        POST forms with the same three fields or more (a thing's "new" and "edit" pages)."""
        action = re.sub(r"/\d+/", "/N/", self.action)
        fields = tuple(sorted(re.sub(r"\d+", "N", name) for name in self.fields))  # "step-12-note"
        if self.method == "post" and len(fields) > 3:  # the CSRF token and three of the form's own
            return (self.method, fields, self.submit and self.submit[0])
        return (self.method, action, fields, self.submit)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._form = self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = {k: "" if v is None else v for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {"action": a.get("action", ""), "method": (a.get("method") or "get").lower()}
            self._form |= {"inputs": [], "buttons": []}
            self.forms.append(self._form)
        elif tag == "option" and self._select is not None:
            self._select["options"].append(a.get("value", ""))
            if "selected" in a or self._select["value"] is None:
                self._select["value"] = a.get("value", "")
        elif self._form is not None and a.get("name") and "disabled" not in a:
            self._field(tag, a)

    def _field(self, tag, a):
        kind = (a.get("type") or "text").lower() if tag == "input" else tag
        if tag == "button":
            kind = (a.get("type") or "submit").lower()
        if kind in ("submit", "image"):
            self._form["buttons"].append((a["name"], a.get("value", "")))
            return
        if kind in ("button", "reset"):
            return
        default = "on" if kind in ("checkbox", "radio") else ""
        entry = {"name": a["name"], "kind": kind, "value": a.get("value", default), "options": []}
        entry["on"] = kind not in ("checkbox", "radio") or "checked" in a
        if kind == "select":
            entry["value"] = None
            self._select = entry
        elif kind == "textarea":
            self._textarea = entry
        self._form["inputs"].append(entry)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_on(who: str, page: str, html: str) -> tuple[list[Form], list[str]]:
    """The forms of a page (one per named submit button) and its links."""
    parser = _FormParser()
    parser.feed(html)
    found = []
    for raw in parser.forms:
        action = urljoin(page, raw["action"] or page).split("#")[0]
        if urlsplit(action).netloc:
            continue
        if raw["method"] == "dialog":  # closes its <dialog> and sends nothing: what the page's script posts
            continue  # instead is a POST endpoint of the permission table, sent below with its form's fields
        form = Form(who=who, page=page, action=action, method=raw["method"])
        for entry in raw["inputs"]:
            name, kind = entry["name"], entry["kind"]
            form.kinds[name] = kind
            values = form.fields.setdefault(name, [])
            if kind == "select":
                form.choices[name] = entry["options"]
            elif kind == "radio":
                form.choices.setdefault(name, []).append(entry["value"])
            if entry["on"] and kind != "file" and entry["value"] is not None:
                values.append(entry["value"])
        for button in [b for b in raw["buttons"] if b[0]] or [None]:
            found.append(replace(form, submit=button, fields=dict(form.fields)))
    return found, parser.links


def member_for(statuses, wanted) -> str | None:
    return next((who for who, status in zip(CAST_NAMES, statuses, strict=True) if status in wanted), None)


def signed_in_clients(cast) -> dict[str, Client]:
    clients = {}
    for who in CAST_NAMES:
        clients[who] = Client()
        if cast.user(who) is not None:
            clients[who].force_login(cast.user(who))
    return clients


def every_form(things, clients, leaks: list[str]) -> list[Form]:
    """Every form the pages of the permission table show, and those of the pages their links lead to (one
    page per path and query-string names: the public booking form is four links away), the GET forms those
    links make, and the URLs the table posts to that no page shows a form for. A page showing medspa A's
    people a name of medspa B's, or carrying inline code (the policy would block it), goes into `leaks`."""
    forms: dict[tuple, Form] = {}
    pages: list[tuple[str, str]] = []
    for name, row in TABLE.items():
        who = "anonymous" if set(row.statuses) == {OK} else member_for(row.statuses, (OK,))
        if row.method == "get" and who is not None:
            with medspa_scope(things["patient"].medspa_id):  # the world's things are medspa A's
                url = reverse(name, kwargs=row.kwargs(things) if row.kwargs is not dict else None)
            pages.append((who, url + ("?" + urlencode(row.data) if row.data else "")))
    seen: set[tuple] = set()
    while pages:
        who, url = pages.pop(0)
        response = clients[who].get(url)
        leaks += [f"{who} GET {url}: {problem}" for problem in _shown_problems(who, response)]
        if response.status_code != OK or not _html(response):
            continue
        leaks += [f"{who} GET {url}: {what}" for what in inline_code(response.content.decode())]
        page_forms, links = forms_on(who, url, response.content.decode())
        if "?" in url:  # a page reached by a link: its query string is a GET form of its own
            path, query = url.split("?", 1)
            link_form = Form(who=who, page=url, action=path, method="get")
            for k, v in parse_qsl(query, keep_blank_values=True):
                link_form.fields.setdefault(k, []).append(v)
            page_forms.append(link_form)
        for form in page_forms:
            forms.setdefault(form.key(), form)
        for link in links:
            parts = urlsplit(urljoin(url, link))
            shape = (re.sub(r"\d+", "N", parts.path), tuple(sorted(k for k, _ in parse_qsl(parts.query))))
            if parts.netloc or not parts.query or shape in seen:
                continue
            seen.add(shape)
            try:
                resolve(parts.path)
            except Resolver404:
                continue
            pages.append((who, f"{parts.path}?{parts.query}"))
    shown = {resolve(urlsplit(form.action).path).view_name for form in forms.values()}
    for name, row in TABLE.items():
        who = member_for(row.statuses, (FOUND, BAD_REQUEST, OK, CREATED))
        if row.method != "post" or who is None or name in shown:
            continue
        url = reverse(name, kwargs=row.kwargs(things) if row.kwargs is not dict else None)
        form = Form(who=who, page="", action=url, method="post")
        for field_name, kind in form_class_fields(resolve(url).func).items():
            form.fields[field_name], form.kinds[field_name] = [], kind
        for key, value in (row.data or {}).items():
            form.fields[key] = [str(value)]
        forms.setdefault(form.key(), form)
    return _without_lesser_get_forms(list(forms.values()))


def form_class_fields(view) -> dict[str, str]:
    """The fields of the form classes a view function (or a function inside it) names, by kind: for a URL
    no page shows a form for."""
    view = inspect.unwrap(view)
    names, codes = set(), [getattr(view, "__code__", None)]
    while codes:
        code = codes.pop()
        if code is not None:
            names.update(code.co_names)
            codes += [const for const in code.co_consts if inspect.iscode(const)]
    fields = {}
    for name in sorted(names):
        form_class = getattr(view, "__globals__", {}).get(name)
        if not (inspect.isclass(form_class) and issubclass(form_class, forms.BaseForm)):
            continue
        for field_name, form_field in form_class.base_fields.items():
            prefixed = f"{form_class.prefix}-{field_name}" if form_class.prefix else field_name
            if isinstance(form_field, forms.ModelChoiceField):
                fields[prefixed] = "select"
            elif isinstance(form_field, forms.FileField):
                fields[prefixed] = "file"
            else:
                fields[prefixed] = "textarea" if isinstance(form_field.widget, forms.Textarea) else "text"
    return fields


def _without_lesser_get_forms(forms: list[Form]) -> list[Form]:
    """A GET form whose fields another GET form of the same path has too is left out."""
    gets = [form for form in forms if form.method == "get"]

    def lesser(form: Form) -> bool:
        return any(
            other is not form
            and other.action.split("?")[0] == form.action.split("?")[0]
            and set(form.fields) < set(other.fields)
            for other in gets
        )

    return [form for form in forms if form.method != "get" or not lesser(form)]


# --- Medspa B: the ids medspa A's forms must refuse. ------------------------------------------------------


def foreign_ids(cast) -> dict[str, int]:
    """medspa B's things (with names only they carry), by the words of the field names that point at their
    kind."""
    with medspa_scope(cast.medspa_b):
        return _foreign_ids_of_medspa_b(cast)


def _foreign_ids_of_medspa_b(cast) -> dict[str, int]:
    from scheduling.models import AvailabilityOverride, Closure, Resource
    from services_catalog.models import StandingOrder
    from services_catalog.services import texts as catalog

    cast.provider_b.full_name = FOREIGN_NAMES[1]
    cast.provider_b.save()
    provider_b = cast.provider_b.memberships.get()
    world_b = factories.charting_world(cast.medspa_b, provider_b)
    world_b.patient.first_name, world_b.patient.last_name = FOREIGN_NAMES[0].split()
    world_b.patient.save()
    sale = factories.paid_visit(world_b, provider_b, cast.provider_b)
    order = catalog.text_create(
        model=StandingOrder, medspa=cast.medspa_b, title="B's order", text="The standing order of B. " * 3,
        by=None,
    )  # fmt: skip
    return {
        "patient": world_b.patient.pk,
        "provider": provider_b.pk,
        "member": provider_b.pk,
        "membership": provider_b.pk,
        "director": cast.admin_b.memberships.get().pk,
        "user": cast.provider_b.pk,
        "location": world_b.location.pk,
        "appointment_type": world_b.appointment_type.pk,
        "type": world_b.appointment_type.pk,
        "appointment": sale.visit.appointment_id,
        "service": world_b.service.pk,
        "visit_service": sale.visit.services.get().pk,
        "visit": sale.visit.pk,
        "sale": sale.pk,
        "payment": sale.payments.get().pk,
        "product": factories.retail_product(cast.medspa_b, "B serum", "B1", "20").pk,
        "room": Resource.objects.create(medspa=cast.medspa_b, location=world_b.location, name="B1").pk,
        "consent": world_b.consent.pk,
        "care_message": world_b.care.pk,
        "standing_order": order.pk,
        "group": world_b.service.group_id,
        "medspa": cast.medspa_b.pk,
        "licence": provider_b.provider_profile.licences.get().pk,
        "override": AvailabilityOverride.objects.create(
            medspa=cast.medspa_b, provider=provider_b, kind="off", date=date.today() + timedelta(days=9)
        ).pk,
        "closure": Closure.objects.create(medspa=cast.medspa_b, date=date.today() + timedelta(days=8)).pk,
    }


def _words(name: str) -> list[str]:
    return [word.removesuffix("s") for word in re.split(r"[^a-z]+", name.lower()) if word]


def id_fields(form: Form, ids: dict[str, int]) -> dict[str, int]:
    """The form's fields that carry ids (a name of a kind of thing, or ids among its values and options),
    each with medspa B's id of the kind it names (the longest name that fits)."""
    chosen = {}
    for name in form.fields:
        if name == CSRF or form.kinds.get(name) in ("textarea", "file"):
            continue
        words = "_" + "_".join(_words(name)) + "_"
        key = max((k for k in ids if f"_{k}_" in words), key=len, default=None)
        values = form.choices.get(name, []) + form.fields[name]
        if key is not None or any(v.isascii() and v.isdigit() for v in values):
            chosen[name] = ids[key or "patient"]
    return chosen


# --- What the database holds: row counts and links across medspas. ----------------------------------------


def _tables() -> list[str]:
    """Every table a refused request must not write to: all but the audit trail, the access log, sessions."""
    grows = ("pghistory.Context", "medspa.PatientAccessLog", "sessions.Session", "medspa.UserSession")
    return sorted(
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and model._meta.label not in grows
        if not issubclass(model, pghistory.models.Event)
    )


def _medspa_column(model) -> str | None:
    field = next((f for f in model._meta.concrete_fields if f.name == "medspa"), None)
    return field.column if field is not None and field.related_model is Medspa else None


def _cross_medspa_sql() -> str:
    """One query naming every link from a row to a thing of another medspa than the row's own (for link
    tables without a medspa of their own: than the first thing they link)."""
    checks = []
    for model in apps.get_models(include_auto_created=True):
        if not model._meta.managed or model._meta.proxy or issubclass(model, pghistory.models.Event):
            continue
        links = [
            f
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model is not Medspa and _medspa_column(f.related_model)
        ]
        own = _medspa_column(model)
        if own is None and len(links) < 2:
            continue
        if own is None:  # a link table: its first link's medspa is its own
            first, links = links[0], links[1:]
            mine = (
                f"(SELECT x.{_medspa_column(first.related_model)} FROM {first.related_model._meta.db_table} x"
                f" WHERE x.{first.target_field.column} = a.{first.column})"
            )
        else:
            mine = f"a.{own}"
        for link in links:
            other = link.related_model
            checks.append(
                f"SELECT '{model._meta.label}.{link.name}' FROM {model._meta.db_table} a"
                f" JOIN {other._meta.db_table} b ON b.{link.target_field.column} = a.{link.column}"
                f" WHERE {mine} <> b.{_medspa_column(other)}"
            )
    return " UNION ALL ".join(f"({check})" for check in checks)


class Sweep:
    """Sends forms in savepoints that are rolled back, and notes every broken rule."""

    def __init__(self, clients):
        self.clients = clients
        self.failures: list[str] = []
        self.sent = 0
        # By table: its rows, and those written (inserted or updated) by transactions from %(xid)s on.
        self._rows_sql = " UNION ALL ".join(
            f"SELECT '{table}', count(*), count(*) FILTER (WHERE xmin::text::bigint >= %(xid)s) FROM {table}"
            for table in _tables()
        )
        self._cross_sql = _cross_medspa_sql()
        # Gone with the test's transaction, which holds one server connection throughout (PgBouncer too).
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMPORARY TABLE hostile_input_mark (n integer) ON COMMIT DROP")
        assert self.crossed() == []  # the world itself keeps every medspa to itself
        self.rows = {table: total for table, (total, _) in self._query(self._rows_sql, xid=0).items()}

    def _query(self, sql: str, **params) -> dict:
        with connection.cursor() as cursor:
            cursor.execute(sql, params or None)
            return {row[0]: row[1:] for row in cursor.fetchall()}

    def begin(self) -> None:
        """Inside the request's savepoint, before it: takes the savepoint's own transaction id (by writing a
        row of a scratch table), which what is written from now on has, or a later one."""
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO hostile_input_mark VALUES (1) RETURNING xmin::text::bigint")
            self.xid = cursor.fetchone()[0]

    def send(self, form: Form, data: dict, label: str, *, foreign: bool = False, follow: bool = False):
        """`foreign`: the data holds medspa B's ids; `follow`: open the page a redirect leads to."""
        client = self.clients[form.who]
        cookies = copy.deepcopy(client.cookies)  # a sign-out or a masquerade must not outlive its savepoint
        cache.clear()  # rate limits would answer 429 before the form is read
        self.sent += 1
        try:
            with transaction.atomic():
                self.begin()
                response = getattr(client, form.method)(form.action, data)
                problems = self.check(form, response, foreign=foreign, follow=follow)
                transaction.set_rollback(True)
        except Exception as error:
            problems = [f"raised {_where(error)}"]
        finally:
            client.cookies = cookies
        where = f"{form.who} {form.method.upper()} {form.action} [{label}]"
        self.failures += [f"{where}: {problem}" for problem in problems]

    def check(self, form: Form, response, *, foreign: bool, follow: bool) -> list[str]:
        status = response.status_code
        if status >= 500:
            return [f"answered {status}"]
        problems = _shown_problems(form.who, response)
        refused = status >= 400 or (status == OK and form.method == "post" and _html(response))
        if form.method == "post" and refused and (written := self.written()):
            problems.append(f"refused with {status}, yet it wrote: {written}")
        if status < 400 and foreign and (crossed := self.crossed()):
            problems.append(f"answered {status} and linked rows to medspa B's things: {crossed}")
        location = urlsplit(response.get("Location", ""))
        if location.netloc and location.netloc != "testserver":
            problems.append(f"{status}: sent the browser to another site, {response['Location']}")
        if 300 <= status < 400 and follow and not location.netloc and location.path.startswith("/"):
            shown = self.clients[form.who].get(response["Location"])
            if shown.status_code >= 500:
                problems.append(f"the page it redirected to answered {shown.status_code}")
            problems += [f"{p} on {response['Location']}" for p in _shown_problems(form.who, shown)]
        return problems

    def crossed(self) -> list[str]:
        """model.field of every row pointing at a thing of another medspa than its own."""
        return sorted(self._query(self._cross_sql))

    def written(self) -> dict[str, str]:
        """The tables whose rows were inserted, updated or deleted since the request's savepoint began (by
        what is left: a write undone by a rolled back savepoint of the product's own is no write)."""
        rows = self._query(self._rows_sql, xid=self.xid)
        return {
            table: f"{self.rows[table]} rows, now {total} of which {written} written"
            for table, (total, written) in rows.items()
            if written or total != self.rows[table]
        }


def _shown_problems(who: str, response) -> list[str]:
    """A script tag shown unescaped; medspa B's names shown to medspa A's people."""
    problems = []
    content = b"" if response.streaming else response.content
    if _html(response) and SCRIPT.encode() in content:
        problems.append(f"{response.status_code}: the script tag came back unescaped")
    if who in MEDSPA_A and any(name.encode() in content for name in FOREIGN_NAMES):
        problems.append(f"{response.status_code}: showed medspa B's names")
    return problems


def _where(error: Exception) -> str:
    """The exception and the product's own lines it went through."""
    frames = [
        f"{frame.filename.removeprefix(ROOT)}:{frame.lineno} {frame.line}"
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename.startswith(ROOT) and not re.search(r"/(\.venv|tests)/", frame.filename)
    ]
    return f"{type(error).__name__}: {error}\n    " + "\n    ".join(frames[-4:])


def _html(response) -> bool:
    return "html" in response.get("Content-Type", "")


def _with(form: Form, changes: dict) -> dict:
    """The form's own values, its button, and `changes` (a file field gets a file holding the value)."""
    data = {name: list(values) for name, values in form.fields.items()}
    if form.submit:
        data[form.submit[0]] = [form.submit[1]]
    for name, value in changes.items():
        if form.kinds.get(name) == "file":
            data[name] = SimpleUploadedFile("upload.png", str(value).encode(), content_type="image/png")
        else:
            data[name] = [str(value)]
    return data


@pytest.mark.slow  # every form of the product
def test_every_form_refuses_hostile_input_cleanly(cast, settings, tmp_path):
    """The sweep of the module's docstring; every broken rule is listed, with the product's own lines an
    exception went through."""
    settings.MEDIA_ROOT = tmp_path
    settings.SMS_BACKEND = "medspa.messaging.sms.LocmemSmsBackend"
    things = table_world(cast)
    ids = foreign_ids(cast)
    clients = signed_in_clients(cast)
    leaks: list[str] = []
    forms = every_form(things, clients, leaks)
    assert len(forms) > 100 and leaks == []
    sweep = Sweep(clients)
    with transaction.atomic():  # it sees an update and a deletion (a write undone is none), and a crossing
        sweep.begin()
        assert sweep.written() == {}
        with transaction.atomic(), medspa_scope(cast.medspa_a):
            Patient.objects.filter(pk=things["patient"].pk).update(allergies="Latex")
            things["closure"].delete()
        with suppress(RuntimeError), transaction.atomic():
            factories.InvitationFactory(medspa=cast.medspa_a, invited_by=cast.admin_a)
            raise RuntimeError("undone")
        assert set(sweep.written()) == {"medspa_patient", "scheduling_closure"}
        with medspa_scope(cast.medspa_b):
            provider_b = cast.provider_b.memberships.get()
        with medspa_scope(cast.medspa_a):
            things["patient"].assigned_providers.add(provider_b)
        things["appointment"].patient = factories.PatientFactory(medspa=cast.medspa_b)
        things["appointment"].save()
        assert sweep.crossed() == ["medspa.PatientProvider.membership", "scheduling.Appointment.patient"]
        transaction.set_rollback(True)
    for form in forms:
        fields = [name for name in form.fields if name != CSRF]
        typed = [name for name in fields if form.kinds.get(name) not in ("textarea", "file")]
        if form.method == "post":
            sweep.send(form, {}, "empty")
        for label, value in TEXTS.items() if fields else ():
            data = _with(form, dict.fromkeys(fields, value))
            sweep.send(form, data, f"every field {label}", follow=value == SCRIPT)
        for label, value in WRONG_TYPES.items() if typed else ():
            sweep.send(form, _with(form, dict.fromkeys(typed, value)), f"every field {label}")
        if urls := [name for name in fields if URL_FIELD.search(name)]:
            sweep.send(form, _with(form, dict.fromkeys(urls, OFF_SITE)), "another site")
        foreign = id_fields(form, ids)
        if form.method == "get" and foreign:  # a filter: nothing is stored, one request for them all
            sweep.send(form, _with(form, foreign), "medspa B's ids", foreign=True)
        for name, pk in foreign.items() if form.method == "post" else ():
            sweep.send(form, _with(form, {name: pk}), f"{name}=medspa B's id {pk}", foreign=True)
    assert sweep.sent > 500
    assert sweep.failures == [], "\n".join(sweep.failures)


# --- What the sweep found, each on its own. -------------------------------------------------------------
# "²" is a digit to str.isdigit() but not to int(); PostgreSQL text cannot hold a NUL. Both gave 500s.


@pytest.mark.parametrize(
    "who, path",
    [
        ("admin_a", "/dashboard/patients/?q=%00"),
        ("admin_a", "/provider/patients/?q=%00"),
        ("admin_a", "/dashboard/services/library/?q=%00"),
        ("admin_a", "/dashboard/inventory/?q=%00&supplier=%C2%B2"),
        ("admin_a", "/dashboard/inventory/orders/?q=%00"),
        ("admin_a", "/search/?q=%00"),
        ("provider_a1", "/search/?q=Ana%00Lopez%20%EF%BC%92/%EF%BC%98"),
        ("admin_a", "/search/?q=PO-%C2%B2&kind=orders&page=%C2%B2"),
        ("staff", "/inventory/queue/?medspa=%C2%B2&q=PO-%C2%B2"),
        ("admin_a", "/dashboard/scheduling/rooms/new/?location=%C2%B2"),
        ("admin_a", "/dashboard/scheduling/types/new/?location=%C2%B2"),
        ("admin_a", "/dashboard/services/new/?group=%C2%B2"),
        ("admin_a", "/dashboard/services/texts/consents/{consent}/?version=%C2%B2"),
        ("staff", "/admin/medspa/patientevent/?patient=%C2%B2"),
        ("staff", "/admin/inventory_orders/order/?q=%C2%B2"),
    ],
)
def test_odd_digits_and_nul_bytes_in_a_query_string_never_break_a_page(cast, client_as, who, path):
    from services_catalog.models import Consent
    from services_catalog.services import texts as catalog

    with medspa_scope(cast.medspa_a):
        consent = catalog.text_create(
            model=Consent, medspa=cast.medspa_a, title="C", text="Risks. " * 9, by=None
        )
    factories.library_service()  # the library searched
    response = client_as(who).get(path.format(consent=consent.pk))
    assert response.status_code in (200, 302)


def test_odd_digits_are_not_numbers_in_forms(cast):
    from providers.forms.payment import ChargeForm
    from scheduling.forms.notifications import reminder_hours_parse
    from scheduling.forms.public import BookingDetailsForm

    with pytest.raises(forms.ValidationError, match="not a whole number"):
        reminder_hours_parse("24, \u00b2")
    assert ChargeForm({"card_amount": "10", "card_reference": "\u00b2\u00b2\u00b2\u00b2"}).errors[
        "card_reference"
    ]
    with medspa_scope(cast.medspa_a):
        provider = cast.provider_a1.memberships.get()
    location, appointment_type = factories.scheduling_world(cast.medspa_a, [provider])
    details = {
        "appointment_type": appointment_type.pk, "provider": "\u00b2", "start": "2030-01-07T10:00:00-08:00",
        "idempotency_key": "3f0a4f0e-3a4b-4c1d-9e2f-0a1b2c3d4e5f", "first_name": "Dana", "last_name": "W",
        "email": "dana@example.com", "phone": "(619) 555-0100", "date_of_birth": "1990-01-01",
    }  # fmt: skip
    with medspa_scope(cast.medspa_a):
        form = BookingDetailsForm(details, location=location)
        assert not form.is_valid() and form.errors["provider"]

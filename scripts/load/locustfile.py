"""The load test's simulated users (locust), driven by `make load` / `make load-race` (scripts/load/run.py),
which seeds the medspa, writes the state this file reads (LOAD_STATE: a JSON file) and starts gunicorn.

- Visitor: a patient on the public booking page, with an IP of their own (X-Forwarded-For, as the TLS proxy
  sends it; a new visitor every few pages), clicking through the flow as htmx does, sometimes booking.
- FrontDesk: the medspa's admin, signed in: the calendar's day and week, patients, profiles, appointments.
- Provider: a provider, signed in: their day, their patients, their charts (opening and saving notes).
- BookApiClient (`make load-book`): each client books free slots of its own hand (scripts/load/seed.py deals
  them out, none shared) through the API with a front-desk coordinator's token of its own, one after another
  without think time, until the run ends or its hand is spent; 201 (booked), 200 (its key again) and 409
  (taken) are right answers, anything else fails.
- RaceVisitor / RaceApiClient (`make load-race`): each opens the booking form of one of the same few slots
  (with the race's provider, or half of the visitors with anyone available), waits until every client is
  ready, then all book at once (through the page, or the API with the admin's token).

The mix (user shares, task weights) is scripts/load/mix.py's. Each request is reported under its endpoint's
name (mix.ENDPOINTS); every answer's status code and exact response time are kept per endpoint and written
to LOAD_OUTCOMES (a JSON file) when the run stops, for the report (exact percentiles, 5xx told apart)."""

import html
import itertools
import json
import os
import random
import re
import time
import uuid
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import gevent
from gevent.event import Event
from locust import FastHttpUser, HttpUser, between, constant, events, task
from locust.exception import StopUser

from scripts.load import mix

KEY = re.compile(r'name="idempotency_key" value="([0-9a-f-]{36})"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
START = re.compile(r'name="start" value="([^"]+)"')
SLOT_LINK = re.compile(r'href="([^"]*[?&;]start=[^"]+)"')
# Then a new visitor (a new IP, no cookies) takes the place.
REQUESTS_PER_VISITOR = int(os.environ.get("LOAD_VISITOR_REQUESTS", 12))

_state: dict | None = None
_counters = defaultdict(itertools.count)  # hands each user of a kind its own session
# Per endpoint name: status codes, response times (ms, exact), failures and their messages.
records: dict[str, dict] = defaultdict(lambda: {"codes": Counter(), "times": [], "failures": Counter()})
clock = {"first": None, "last": None}  # the first request's start, the last one's end (epoch seconds)
race_answers: list[dict] = []  # the race's posts: for whom (a provider's id or "any"), when, the answer


def state() -> dict:
    global _state
    if _state is None:
        _state = json.loads(Path(os.environ["LOAD_STATE"]).read_text())
    return _state


def wait_time_from_env():
    """Think time between two tasks of a user: LOAD_WAIT="min,max" seconds (0.5,2 by default; 0: none)."""
    raw = os.environ.get("LOAD_WAIT", "0.5,2")
    low, _, high = raw.partition(",")
    return between(float(low), float(high or low)) if float(high or low) > 0 else constant(0)


@events.request.add_listener
def _record(name, response_time, response, exception, start_time=None, **kwargs):
    record = records[name]
    status = getattr(response, "status_code", None)
    record["codes"][str(status) if status else "no answer"] += 1
    record["times"].append(response_time)
    if exception is not None:
        record["failures"][str(exception)[:200]] += 1
    ended = time.time()
    began = start_time or ended - response_time / 1000
    clock["first"] = began if clock["first"] is None else min(clock["first"], began)
    clock["last"] = ended if clock["last"] is None else max(clock["last"], ended)


@events.quitting.add_listener
def _write_outcomes(environment, **kwargs):
    """Everything the report needs, in LOAD_OUTCOMES (JSON): the run's span and each endpoint's record."""
    path = os.environ.get("LOAD_OUTCOMES")
    if path:
        span = (clock["last"] - clock["first"]) if clock["first"] is not None else 0.0
        endpoints = {
            name: {"codes": dict(r["codes"]), "times": r["times"], "failures": dict(r["failures"])}
            for name, r in records.items()
        }
        Path(path).write_text(json.dumps({"seconds": span, "endpoints": endpoints, "race": race_answers}))


def _name(key: str) -> str:
    return mix.ENDPOINTS[key]


def _location_url() -> str:
    return f"/book/{state()['medspa_slug']}/{state()['location_slug']}/"


def _check(response, expected: tuple[int, ...]):
    """Marks the request failed unless its status is one of `expected` (inside `catch_response`)."""
    if response.status_code in expected:
        response.success()
    elif response.status_code:
        response.failure(f"HTTP {response.status_code}")
    else:
        response.failure(f"no answer: {response.error!r}")


def _visitor_ip() -> str:
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


def _details(number: int) -> dict:
    return {
        "first_name": random.choice(["Ana", "Maya", "Lena", "Zoe", "Nora", "Iris", "Emma", "Lucy"]),
        "last_name": f"Load{number}",
        "email": f"load-{uuid.uuid4().hex[:12]}@visitor.example",
        "phone": f"(619) 555-{random.randrange(10_000):04d}",
        "date_of_birth": (date(1970, 1, 1) + timedelta(days=random.randrange(15_000))).isoformat(),
        "consent_email": "on",
    }


# --- The everyday mix ---------------------------------------------------------------------------------------


class Visitor(HttpUser):
    """A patient on the location's booking page (no sign-in)."""

    weight = mix.USER_WEIGHTS["Visitor"]
    wait_time = wait_time_from_env()

    def on_start(self):
        self.requests_made = 0
        self._new_visitor()

    def _new_visitor(self):
        self.client.cookies.clear()
        self.client.headers["X-Forwarded-For"] = _visitor_ip()
        self.requests_made = 0

    def _get(self, key: str, params: dict | None = None, *, htmx: bool = True):
        self.requests_made += 1
        if self.requests_made > REQUESTS_PER_VISITOR:
            self._new_visitor()
        headers = {"HX-Request": "true", "HX-Current-URL": _location_url()} if htmx else {}
        with self.client.get(
            _location_url(), params=params, headers=headers, name=_name(key), catch_response=True
        ) as response:
            _check(response, (200,))
            return response

    def _choice(self) -> dict:
        """A service and anyone available (the visitor's usual choice) or a provider."""
        s = state()
        provider = "any" if random.random() < 0.7 else str(random.choice(s["providers"])["provider"])
        return {"type": random.choice(s["types"]), "provider": provider}

    def _day(self, first: int = 0) -> str:
        s = state()
        return (date.fromisoformat(s["today"]) + timedelta(days=random.randrange(first, 14))).isoformat()

    @task(mix.TASK_WEIGHTS["Visitor"]["booking_page"])
    def booking_page(self):
        self._get("booking_page", htmx=False)

    @task(mix.TASK_WEIGHTS["Visitor"]["slot_search"])
    def slot_search(self):
        self._get("slot_search", {**self._choice(), "day": self._day()})

    @task(mix.TASK_WEIGHTS["Visitor"]["first_available"])
    def first_available(self):
        self._get("first_available", {**self._choice(), "first": 1})

    @task(mix.TASK_WEIGHTS["Visitor"]["book"])
    def book(self):
        s = state()
        day_page = self._get("slot_search", {**self._choice(), "day": self._day(first=s["full_days"])})
        links = [html.unescape(link) for link in SLOT_LINK.findall(day_page.text or "")]
        if not links:
            return
        path, _, query = random.choice(links).partition("?")
        self.requests_made += 1
        with self.client.get(
            f"{path}?{query}", headers={"HX-Request": "true"}, name=_name("book_form"), catch_response=True
        ) as form_page:
            _check(form_page, (200,))
        post = _form_fields(form_page.text or "")
        if post is None:
            return
        self.requests_made += 1
        with self.client.post(
            _location_url(), data={**post, **_details(random.randrange(100_000))}, allow_redirects=False,
            name=_name("book_post"), catch_response=True,
        ) as response:  # fmt: skip
            # 303: booked. 409: someone took the time meanwhile (the page offers the others): not a failure.
            _check(response, (303, 409))


def _form_fields(page: str) -> dict | None:
    """The booking form's hidden fields (the chosen slot, the idempotency key) and the CSRF token."""
    found = {
        "csrfmiddlewaretoken": CSRF.search(page),
        "idempotency_key": KEY.search(page),
        "start": START.search(page),
        "appointment_type": re.search(r'name="appointment_type" value="(\d+)"', page),
        "provider": re.search(r'name="provider" value="([^"]+)"', page),
    }
    if not all(found.values()):
        return None
    return {name: html.unescape(match.group(1)) for name, match in found.items()}


class _SignedIn(HttpUser):
    """A signed-in member: the session made for them by the seeding, as the browser's cookie."""

    abstract = True
    wait_time = wait_time_from_env()

    def _sign_in(self, session_key: str):
        self.client.cookies.set(state()["session_cookie"], session_key)

    def _get(self, key: str, url: str, params: dict | None = None):
        with self.client.get(
            url, params=params, name=_name(key), allow_redirects=False, catch_response=True
        ) as response:
            _check(response, (200,))
            return response

    def _day(self) -> str:
        return (date.fromisoformat(state()["today"]) + timedelta(days=random.randrange(-3, 14))).isoformat()


class FrontDesk(_SignedIn):
    weight = mix.USER_WEIGHTS["FrontDesk"]

    def on_start(self):
        desk = state()["front_desk"]
        self._sign_in(desk["sessions"][next(_counters["FrontDesk"]) % len(desk["sessions"])])

    @task(mix.TASK_WEIGHTS["FrontDesk"]["calendar_day"])
    def calendar_day(self):
        params = {"view": "day", "date": self._day(), "location": state()["location"]}
        self._get("calendar_day", "/dashboard/scheduling/calendar/", params)

    @task(mix.TASK_WEIGHTS["FrontDesk"]["calendar_week"])
    def calendar_week(self):
        params = {"view": "week", "date": self._day(), "location": state()["location"]}
        self._get("calendar_week", "/dashboard/scheduling/calendar/", params)

    @task(mix.TASK_WEIGHTS["FrontDesk"]["patient_list"])
    def patient_list(self):
        params = {"q": f"Patient{random.randrange(300)}"} if random.random() < 0.4 else {}
        self._get("patient_list", "/dashboard/patients/", params)

    @task(mix.TASK_WEIGHTS["FrontDesk"]["patient_profile"])
    def patient_profile(self):
        patient = random.choice(state()["front_desk"]["patients"])
        self._get("patient_profile", f"/dashboard/patients/{patient}/")

    @task(mix.TASK_WEIGHTS["FrontDesk"]["appointment_detail"])
    def appointment_detail(self):
        appointment = random.choice(state()["front_desk"]["appointments"])
        self._get("appointment_detail", f"/dashboard/scheduling/appointments/{appointment}/")


class Provider(_SignedIn):
    weight = mix.USER_WEIGHTS["Provider"]

    def on_start(self):
        rows = state()["providers"]
        self.me = rows[next(_counters["Provider"]) % len(rows)]
        self._sign_in(self.me["session"])

    @task(mix.TASK_WEIGHTS["Provider"]["own_calendar"])
    def own_calendar(self):
        self._get("own_calendar", "/provider/calendar/", {"view": "day", "date": self._day()})

    @task(mix.TASK_WEIGHTS["Provider"]["own_patients"])
    def own_patients(self):
        self._get("own_patients", "/provider/patients/")

    @task(mix.TASK_WEIGHTS["Provider"]["own_patient_profile"])
    def own_patient_profile(self):
        self._get("own_patient_profile", f"/provider/patients/{random.choice(self.me['patients'])}/")

    @task(mix.TASK_WEIGHTS["Provider"]["chart_open"])
    def chart_open(self):
        self._get("chart_open", f"/provider/visits/{random.choice(self.me['visits'])}/")

    @task(mix.TASK_WEIGHTS["Provider"]["chart_notes_save"])
    def chart_notes_save(self):
        visit = random.choice(self.me["visits"])
        token = self.client.cookies.get(state()["csrf_cookie"])
        if token is None:  # the chart page sets it
            self._get("chart_open", f"/provider/visits/{visit}/")
            token = self.client.cookies.get(state()["csrf_cookie"])
        notes = f"Load test note {uuid.uuid4().hex[:8]}: tolerated well, no bruising."
        with self.client.post(
            f"/provider/visits/{visit}/notes/", data={"notes": notes, "csrfmiddlewaretoken": token or ""},
            allow_redirects=False, name=_name("chart_notes_save"), catch_response=True,
        ) as response:  # fmt: skip
            _check(response, (302, 303))


# --- The race: many clients, the same few slots, at once ----------------------------------------------------

_ready = Event()
_ready_count = itertools.count(1)
_done_count = itertools.count(1)


def _race_clients() -> int:
    return int(os.environ.get("RACE_CLIENTS", mix.RACE_CLIENTS))


def _race_ready():
    """Counts one client ready; the last one releases them all."""
    if next(_ready_count) >= _race_clients():
        _ready.set()
    if not _ready.wait(timeout=60):
        raise StopUser()


def _race_done(environment):
    """Counts one client done; after the last one the run stops (it is bounded by --run-time anyway)."""
    if next(_done_count) >= _race_clients():
        gevent.spawn_later(0.5, environment.runner.quit)


class RaceVisitor(HttpUser):
    weight = mix.RACE_API_EVERY - 1
    wait_time = constant(3600)

    @task
    def book_at_once(self):
        s, number = state(), next(_counters["RaceVisitor"])
        race = s["race"]
        start = race["starts"][number % len(race["starts"])]
        self.client.headers["X-Forwarded-For"] = f"10.200.{number // 250}.{number % 250 + 1}"
        # Half of them want the race's provider, half anyone available (the booking then tries each free one).
        provider = race["provider"] if number % 2 == 0 else "any"
        params = {"type": race["type"], "provider": provider, "day": race["day"], "start": start}
        # A fresh connection for the post: the server closes idle keep-alive connections (after 2 s) while the
        # client waits for the others, and a post is never retried on a stale one.
        with self.client.get(
            _location_url(), params=params, headers={"Connection": "close"}, name=_name("race_form"),
            catch_response=True,
        ) as form_page:  # fmt: skip
            _check(form_page, (200,))
        post = _form_fields(form_page.text or "")
        _race_ready()
        if post is not None:
            with self.client.post(
                _location_url(), data={**post, **_details(number)}, allow_redirects=False,
                name=_name("race_post"), catch_response=True,
            ) as response:  # fmt: skip
                _check(response, (303, 409))  # booked, or taken by another client: both are right answers
            race_answers.append({"provider": provider, "start": start, "status": response.status_code})
        _race_done(self.environment)
        raise StopUser()


class RaceApiClient(HttpUser):
    weight = 1
    wait_time = constant(3600)

    @task
    def book_at_once(self):
        s, number = state(), next(_counters["RaceApiClient"])
        race = s["race"]
        payload = {
            "appointment_type": race["type"],
            "provider": race["provider"],
            "patient": race["api_patients"][number % len(race["api_patients"])],
            "start": race["starts"][number % len(race["starts"])],
            "idempotency_key": str(uuid.uuid4()),
        }
        _race_ready()
        with self.client.post(
            "/api/v1/appointments/", json=payload, headers={"Authorization": f"Token {race['api_token']}"},
            name=_name("race_api"), catch_response=True,
        ) as response:  # fmt: skip
            _check(response, (201, 409))
        race_answers.append(
            {"provider": race["provider"], "start": payload["start"], "status": response.status_code}
        )
        _race_done(self.environment)
        raise StopUser()


def next_booking(hand, rng: random.Random) -> dict:
    """The API booking of the next free slot of a client's own hand (provider, start), with a patient of the
    seeded ones and an idempotency key of its own; StopUser once the hand is played."""
    book = state()["book"]
    provider_start = next(hand, None)
    if provider_start is None:
        raise StopUser()
    provider, start = provider_start
    return {
        "appointment_type": book["type"],
        "provider": provider,
        "patient": rng.choice(book["patients"]),
        "start": start,
        "idempotency_key": str(uuid.uuid4()),
    }


class BookApiClient(FastHttpUser):
    # locust's lighter HTTP client (geventhttpclient): the load's own CPU, on the same two cores as gunicorn
    # and PostgreSQL, is a few times smaller per request than with `requests` at these rates.
    # https://docs.locust.io/en/stable/increase-performance.html
    wait_time = constant(0)

    def on_start(self):
        book = state()["book"]
        number = next(_counters["BookApiClient"])
        self.hand = iter(book["hands"][number % len(book["hands"])])
        self.token = book["api_tokens"][number % len(book["api_tokens"])]
        self.rng = random.Random(number)

    @task
    def book_next_free_slot(self):
        payload = next_booking(self.hand, self.rng)
        with self.client.post(
            "/api/v1/appointments/", json=payload, headers={"Authorization": f"Token {self.token}"},
            name=_name("book_api"), catch_response=True,
        ) as response:  # fmt: skip
            _check(response, (200, 201, 409))


LOAD_USERS = [Visitor, FrontDesk, Provider]
RACE_USERS = [RaceVisitor, RaceApiClient]
BOOK_USERS = [BookApiClient]


def describe() -> dict:
    """The task mix as locust sees it (each user class's tasks, counted by weight), for the tests."""
    mix_seen = {}
    for user in LOAD_USERS:
        counted = Counter(task.__name__ for task in user.tasks)
        mix_seen[user.__name__] = {"weight": user.weight, "tasks": dict(counted)}
    return {
        "load": mix_seen,
        "race": {user.__name__: user.weight for user in RACE_USERS},
        "book": {user.__name__: [task.__name__ for task in user.tasks] for user in BOOK_USERS},
    }

"""The load test's traffic mix, in one place: who comes (user kinds and their shares) and what each does
(tasks and their weights). Plain Python, without locust: the locustfile builds its users from it, and
tests/test_load_script.py checks both against each other without importing locust (its gevent patches the
whole process).

Locust picks a user kind by its weight when it starts a user, then, after each wait, one of that user's tasks
by its weight. With the defaults (20 users) there are 10 visitors, 5 front-desk admins and 5 providers."""

# The kinds of users, with their share of the simulated users.
USER_WEIGHTS = {
    "Visitor": 10,  # a patient on the public booking page: no sign-in, an IP of their own
    "FrontDesk": 5,  # the medspa's admin at the front desk: the calendar and patient profiles
    "Provider": 5,  # a provider between treatments: their calendar, their patients, the chart
}

# What each kind does, by weight (the locust task of each name is a method of the user's class).
TASK_WEIGHTS = {
    "Visitor": {
        "booking_page": 3,  # the location's booking page (the list of services)
        "slot_search": 6,  # a service, anyone available, one day: the open times
        "first_available": 2,  # "jump to the first available time"
        "book": 1,  # choose a time on a day, open the form, post the booking
    },
    "FrontDesk": {
        "calendar_day": 4,  # the admin calendar, one day, every provider
        "calendar_week": 3,  # the week view
        "patient_list": 2,  # the patients tab, sometimes a search
        "patient_profile": 3,  # a patient's profile (panels: appointments, GFE, visits...)
        "appointment_detail": 1,  # an appointment's detail from the calendar
    },
    "Provider": {
        "own_calendar": 2,  # the provider's own day
        "own_patients": 2,  # their patients list
        "own_patient_profile": 2,  # one of their patients
        "chart_open": 3,  # open one of their visits' chart
        "chart_notes_save": 1,  # save the chart's notes (a write, with a row lock)
    },
}

# The race: that many clients book the same few slots at once; every RACE_API_EVERY-th client books through
# the API (as the admin, with a token), the others through the public booking page.
RACE_CLIENTS = 50
RACE_SLOTS = 3
RACE_API_EVERY = 5

# Booking throughput (`make load-book`): that many API clients, each booking free slots of its own (none
# shared with another client, spread over the providers and days) one after another, without think time.
BOOK_CLIENTS = 50
BOOK_SECONDS = 30
BOOK_TYPE = "Consultation"  # 15 minutes, no buffers: every open quarter hour is a slot of its own

# Endpoint names in the report (locust's `name=`), so that one endpoint is one row whatever its ids.
ENDPOINTS = {
    "booking_page": "GET /book/<medspa>/<location>/",
    "slot_search": "GET /book/… ?type&provider&day (slot search)",
    "first_available": "GET /book/… ?first=1 (first available)",
    "book_form": "GET /book/… ?start= (booking form)",
    "book_post": "POST /book/<medspa>/<location>/ (book)",
    "calendar_day": "GET /dashboard/scheduling/calendar/ (day)",
    "calendar_week": "GET /dashboard/scheduling/calendar/ (week)",
    "patient_list": "GET /dashboard/patients/",
    "patient_profile": "GET /dashboard/patients/<id>/",
    "appointment_detail": "GET /dashboard/scheduling/appointments/<id>/",
    "own_calendar": "GET /provider/calendar/ (day)",
    "own_patients": "GET /provider/patients/",
    "own_patient_profile": "GET /provider/patients/<id>/",
    "chart_open": "GET /provider/visits/<id>/ (chart)",
    "chart_notes_save": "POST /provider/visits/<id>/notes/",
    "race_form": "race: GET /book/… ?start= (form)",
    "race_post": "race: POST /book/<medspa>/<location>/",
    "race_api": "race: POST /api/v1/appointments/",
    "book_api": "book: POST /api/v1/appointments/",
}


def user_share(users: int) -> dict[str, float]:
    """How many of `users` simulated users are of each kind (on average: locust rounds)."""
    total = sum(USER_WEIGHTS.values())
    return {name: users * weight / total for name, weight in USER_WEIGHTS.items()}


def task_share() -> dict[str, float]:
    """Each task's share of all tasks run (a user kind's share times the task's share within the kind),
    assuming equal think times: what the report's request counts should roughly follow."""
    total_users = sum(USER_WEIGHTS.values())
    shares = {}
    for kind, tasks in TASK_WEIGHTS.items():
        kind_total = sum(tasks.values())
        for name, weight in tasks.items():
            shares[name] = USER_WEIGHTS[kind] / total_users * weight / kind_total
    return shares

"""The calendar's time grid in a real Chromium: the front desk drags an appointment to a new time, to another
provider's column, and drags its lower edge to make it longer; each time the database has the new place and
the toast's Undo puts it back, and the day's list under the grid says so each time. A time taken answers with
the reason and the appointment goes back where it was. No Content Security Policy violation (the grid sets
its styles through the CSSOM), no script error, and axe finds nothing serious on the page.

The drags are the mouse's own: press on the event, move in steps, release over the target slot, whose place
is measured on the grid (a slot is 32 px high, half an hour). The keyboard's way is its own test: Tab to the
appointment, M for the Move dialog, and Undo from the keyboard too; the dialog offers the grid's hours, and in
the week view moves an appointment to another day."""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, Resource
from tests import factories
from tests.browser import eventually, screenshot, serious_violations, sign_in
from tests.factories import unscoped
from tests.test_browser_axe_pages import serious_violations as strict_violations

pytestmark = pytest.mark.browser

LA = ZoneInfo("America/Los_Angeles")
SLOT = 32  # px: half an hour on the grid (static/js/calendar.js's slotHeight)


@pytest.fixture(autouse=True)
def _no_script_errors(page: Page):
    """An uncaught error in calendar.js would leave the grid half drawn without a word (the Content Security
    Policy and 5xx answers are watched for every browser test: tests/fixtures.py)."""
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield
    assert errors == []


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 1000}}


def at_la(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LA)


@unscoped
def named(user, full_name: str):
    user.full_name = full_name
    user.save(update_fields=["full_name"])
    return user.memberships.get()


@pytest.fixture
def desk(live_cast):
    """Jordan Rivera and Sam Lee work 9:00–17:00 at a Los Angeles clinic; Ana Lopez is booked with Jordan at
    10:00 three days from now (30 minutes, 10 minutes' buffer after)."""
    jordan = named(live_cast.provider_a1, "Jordan Rivera")
    sam = named(live_cast.provider_a2, "Sam Lee")
    location, appointment_type = factories.scheduling_world(live_cast.medspa_a, [jordan, sam])
    day = timezone.now().astimezone(LA).date() + timedelta(days=3)
    with medspa_scope(live_cast.medspa_a):
        patient = factories.PatientFactory(medspa=live_cast.medspa_a, first_name="Ana", last_name="Lopez")
        start = at_la(day, 10)
        appointment = Appointment.objects.create(
            medspa=live_cast.medspa_a, location=location, provider=jordan, patient=patient,
            appointment_type=appointment_type, start=start, end=start + timedelta(minutes=30),
            blocked_start=start, blocked_end=start + timedelta(minutes=40),
        )  # fmt: skip
    return {"medspa": live_cast.medspa_a, "jordan": jordan, "sam": sam, "patient": patient,
            "appointment": appointment, "day": day, "location": location,
            "type": appointment_type}  # fmt: skip


def place(desk) -> tuple:
    """The appointment's start and end on the clinic's clock, and its provider's id, from the database."""
    with medspa_scope(desk["medspa"]):
        appointment = Appointment.objects.get(pk=desk["appointment"].pk)
    return (appointment.start.astimezone(LA), appointment.end.astimezone(LA), appointment.provider_id)


def settles(desk, expected: tuple) -> None:
    assert eventually(lambda: place(desk) == expected), place(desk)


def open_day(page: Page, live_server, desk) -> None:
    page.goto(f"{live_server.url}/dashboard/scheduling/calendar/?view=day&date={desk['day'].isoformat()}")
    expect(event_of(page)).to_be_visible()


def event_of(page: Page):
    return page.locator("#calendar-grid .ec-event").filter(has_text="Ana Lopez")


def column_x(page: Page, name: str) -> float:
    header = page.locator("#calendar-grid .ec-header").get_by_text(name, exact=True)
    box = header.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2


def drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0], start[1] + 4, steps=2)  # past the drag threshold
    page.mouse.move(*end, steps=12)
    page.mouse.up()


def grab_point(page: Page) -> tuple[float, float]:
    box = event_of(page).bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + 8


def lower_edge(page: Page) -> tuple[float, float]:
    """The middle of the appointment's lower edge (its resize handle), once the grid has drawn it in place:
    after an Undo the grid may replace the event's element once more, and a handle read from the element being
    replaced has no box, so the handle is read again until it has one."""
    resizer = event_of(page).locator(".ec-resizer")
    expect(resizer).to_be_attached()
    box = eventually(lambda: event_of(page).hover() or resizer.bounding_box(), timeout=5)
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def toast(page: Page):
    return page.locator("#calendar-toast")


def undo(page: Page) -> None:
    """Clicks the toast's Undo and waits for the grid to read its events again and for the day's list to be
    read again, then for the page to be drawn: a drag started while the grid redraws its events would be
    lost, its press landing on an element the grid is replacing."""
    with (
        page.expect_response(lambda response: "/calendar/events/" in response.url),
        page.expect_response(lambda response: response.request.headers.get("hx-request") == "true"),
    ):
        toast(page).get_by_role("button", name="Undo").click()
    expect(toast(page)).to_contain_text("Undone: back to")
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def test_dragging_an_appointment_moves_it_and_undo_puts_it_back(live_server, page: Page, live_cast, desk):
    day, jordan, sam = desk["day"], desk["jordan"], desk["sam"]
    sign_in(page, live_server, live_cast.admin_a)
    open_day(page, live_server, desk)
    expect(event_of(page)).to_contain_text("10:00")
    expect(event_of(page)).to_contain_text("Booked")
    expect(toast(page)).to_be_hidden()
    screenshot(page, "calendar_grid_day")

    # An hour later, same column.
    x, y = grab_point(page)
    drag(page, (x, y), (x, y + 2 * SLOT))
    expect(toast(page)).to_contain_text(f"Moved to {day:%a %b} {day.day}, 11:00 AM with Jordan Rivera")
    expect(toast(page)).to_have_attribute("role", "status")
    settles(desk, (at_la(day, 11), at_la(day, 11, 30), jordan.pk))
    screenshot(page, "calendar_grid_moved")
    undo(page)
    settles(desk, (at_la(day, 10), at_la(day, 10, 30), jordan.pk))
    expect(event_of(page)).to_contain_text("10:00")

    # To Sam Lee's column, same time.
    x, y = grab_point(page)
    drag(page, (x, y), (column_x(page, "Sam Lee"), y))
    expect(toast(page)).to_contain_text("10:00 AM with Sam Lee")
    settles(desk, (at_la(day, 10), at_la(day, 10, 30), sam.pk))
    undo(page)
    settles(desk, (at_la(day, 10), at_la(day, 10, 30), jordan.pk))

    # The lower edge half an hour down: it ends at 11:00.
    expect(event_of(page)).to_contain_text("10:00")
    edge = lower_edge(page)
    drag(page, edge, (edge[0], edge[1] + SLOT))
    expect(toast(page)).to_contain_text("Moved to")
    settles(desk, (at_la(day, 10), at_la(day, 11), jordan.pk))
    undo(page)
    settles(desk, (at_la(day, 10), at_la(day, 10, 30), jordan.pk))


def day_list(page: Page):
    """The list of the chosen day under the grid, as the server renders it."""
    return page.get_by_role("region", name=re.compile(r"^List · "))


def test_the_days_list_follows_a_drag_and_its_undo(live_server, page: Page, live_cast, desk):
    """The list under the grid is read again after each change, alone (not the whole page): it never names a
    time the grid has left."""
    sign_in(page, live_server, live_cast.admin_a)
    open_day(page, live_server, desk)
    ana = day_list(page).get_by_role("row").filter(has_text="Ana Lopez")
    expect(ana).to_contain_text("10:00 AM–10:30 AM")
    x, y = grab_point(page)
    with page.expect_response(lambda response: "/calendar/list/?" in response.url) as listed:
        drag(page, (x, y), (x, y + 2 * SLOT))
    assert listed.value.status == 200
    expect(toast(page)).to_contain_text("11:00 AM with Jordan Rivera")
    expect(ana).to_contain_text("11:00 AM–11:30 AM")
    undo(page)
    expect(ana).to_contain_text("10:00 AM–10:30 AM")
    # Its edge half an hour down: the list says it ends at 11:00.
    edge = lower_edge(page)
    drag(page, edge, (edge[0], edge[1] + SLOT))
    expect(ana).to_contain_text("10:00 AM–11:00 AM")


def tab_to_an_appointment(page: Page) -> None:
    """Presses Tab from the top of the page until an appointment of the grid has the keyboard."""
    for _ in range(100):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('ec-event')"):
            return
    raise AssertionError("No appointment of the grid is in the tab order.")


def test_the_keyboard_moves_an_appointment_and_undoes_it(live_server, page: Page, live_cast, desk):
    """Keyboard only: Tab reaches Ana Lopez's appointment, a button named by its time, patient, day and
    provider; M opens the Move dialog filled in with its place; half an hour later with Sam Lee, Move: the
    database has it, the keyboard is on the toast's Undo, which puts it back, and the keyboard is on the
    appointment again. Escape leaves the dialog without a move."""
    day, jordan, sam = desk["day"], desk["jordan"], desk["sam"]
    sign_in(page, live_server, live_cast.admin_a)
    open_day(page, live_server, desk)
    appointment = event_of(page)
    shown = f"10:00 – 10:30 AM Ana Lopez {desk['type'].name} Booked"
    expect(appointment).to_have_accessible_name(f"{shown} , {day:%a, %b} {day.day}, with Jordan Rivera")
    tab_to_an_appointment(page)
    expect(appointment).to_be_focused()

    dialog = page.get_by_role("dialog", name="Move an appointment")
    page.keyboard.press("Escape")  # nothing to close: nothing happens
    page.keyboard.press("m")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Ana Lopez, now {day:%a, %b} {day.day}, 10:00 AM with Jordan Rivera.")
    expect(dialog.get_by_label("Date")).to_have_value(day.isoformat())
    expect(dialog.get_by_label("Start")).to_have_value("10:00")
    expect(dialog.get_by_label("Provider")).to_have_value(str(jordan.pk))
    expect(dialog.get_by_label("Start")).to_be_focused()
    assert strict_violations(page) == []  # axe's experimental rules too (label-content-name-mismatch)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(appointment).to_be_focused()

    page.keyboard.press("m")
    expect(dialog.get_by_label("Start")).to_be_focused()
    page.keyboard.press("ArrowDown")  # a quarter hour a press
    page.keyboard.press("ArrowDown")
    expect(dialog.get_by_label("Start")).to_have_value("10:30")
    page.keyboard.press("Tab")
    expect(dialog.get_by_label("Provider")).to_be_focused()
    page.keyboard.type("Sam")
    expect(dialog.get_by_label("Provider")).to_have_value(str(sam.pk))
    screenshot(page, "calendar_grid_move_dialog")
    page.keyboard.press("Tab")  # the room: this type takes none
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Move")).to_be_focused()
    page.keyboard.press("Enter")

    expect(dialog).to_be_hidden()
    expect(toast(page)).to_contain_text(f"Moved to {day:%a %b} {day.day}, 10:30 AM with Sam Lee")
    settles(desk, (at_la(day, 10, 30), at_la(day, 11), sam.pk))
    undo_button = toast(page).get_by_role("button", name="Undo")
    expect(undo_button).to_be_focused()
    with page.expect_response(lambda response: "/calendar/events/" in response.url):
        page.keyboard.press("Enter")
    expect(toast(page)).to_contain_text("Undone: back to")
    settles(desk, (at_la(day, 10), at_la(day, 10, 30), jordan.pk))
    expect(appointment).to_contain_text("10:00")
    expect(appointment).to_be_focused()


def start_times(dialog) -> list[str]:
    return (
        dialog.get_by_label("Start")
        .locator("option")
        .evaluate_all("(options) => options.map((option) => option.value)")
    )


@unscoped
def test_the_move_dialog_offers_the_grids_hours_and_the_appointments_own_time(
    live_server, page: Page, live_cast, desk
):
    """The grid shows 7:00 to 21:00: the Move dialog's start offers those hours' quarters, 7:00 AM to 8:45
    PM, not midnight; an appointment booked at 6:40 AM, off them, finds its own time among them, first."""
    day = desk["day"]
    early = at_la(day, 6, 40)
    Appointment.objects.create(
        medspa=desk["medspa"], location=desk["location"], provider=desk["sam"],
        patient=factories.PatientFactory(medspa=desk["medspa"], first_name="Omar", last_name="Brightwater"),
        appointment_type=desk["type"], start=early, end=early + timedelta(minutes=30),
        blocked_start=early, blocked_end=early + timedelta(minutes=40),
    )  # fmt: skip
    sign_in(page, live_server, live_cast.admin_a)
    open_day(page, live_server, desk)
    dialog = page.get_by_role("dialog", name="Move an appointment")
    grid_hours = [f"{minutes // 60:02d}:{minutes % 60:02d}" for minutes in range(7 * 60, 21 * 60, 15)]

    event_of(page).focus()
    page.keyboard.press("m")
    expect(dialog.get_by_label("Start")).to_have_value("10:00")
    assert start_times(dialog) == grid_hours
    expect(dialog.get_by_label("Start").locator("option").first).to_have_text("7:00 AM")
    expect(dialog.get_by_label("Start").locator("option").last).to_have_text("8:45 PM")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    omar = page.locator("#calendar-grid .ec-event").filter(has_text="Omar Brightwater")
    omar.focus()
    page.keyboard.press("m")
    expect(dialog.get_by_label("Start")).to_have_value("06:40")
    assert start_times(dialog) == ["06:40", *grid_hours]
    expect(dialog.get_by_label("Start").locator("option:checked")).to_have_text("6:40 AM")
    page.keyboard.press("ArrowDown")  # on to the grid's first quarter hour
    expect(dialog.get_by_label("Start")).to_have_value("07:00")


def omar_at_eleven(desk) -> None:
    """Another patient booked with Jordan Rivera at 11:00 on the desk's day: the time a move is refused."""
    start = at_la(desk["day"], 11)
    Appointment.objects.create(
        medspa=desk["medspa"], location=desk["location"], provider=desk["jordan"],
        patient=factories.PatientFactory(medspa=desk["medspa"], first_name="Omar", last_name="Brightwater"),
        appointment_type=desk["type"], start=start, end=start + timedelta(minutes=30),
        blocked_start=start, blocked_end=start + timedelta(minutes=40),
    )  # fmt: skip


@unscoped
def test_a_drop_on_a_taken_time_says_why_and_goes_back(live_server, page: Page, live_cast, desk):
    day = desk["day"]
    omar_at_eleven(desk)
    sign_in(page, live_server, live_cast.admin_a)
    open_day(page, live_server, desk)
    x, y = grab_point(page)
    drag(page, (x, y), (x, y + 2 * SLOT))  # onto Omar's 11:00
    expect(page.get_by_role("alert")).to_contain_text("no longer available")
    expect(event_of(page)).to_contain_text("10:00")  # back where it was
    assert place(desk) == (at_la(day, 10), at_la(day, 10, 30), desk["jordan"].pk)


@unscoped
def test_a_keyboard_move_to_a_taken_time_says_why_in_the_dialog(live_server, page: Page, live_cast, desk):
    day = desk["day"]
    omar_at_eleven(desk)
    sign_in(page, live_server, live_cast.admin_a)
    open_day(page, live_server, desk)
    tab_to_an_appointment(page)
    expect(event_of(page)).to_be_focused()
    page.keyboard.press("m")
    dialog = page.get_by_role("dialog", name="Move an appointment")
    for _ in range(4):  # 11:00
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("alert")).to_contain_text("no longer available")
    expect(dialog).to_be_visible()  # still open, to choose again
    assert place(desk) == (at_la(day, 10), at_la(day, 10, 30), desk["jordan"].pk)


@unscoped
def test_in_the_rooms_view_the_keyboard_moves_an_appointment_to_another_room(
    live_server, page: Page, live_cast, desk
):
    day = desk["day"]
    room_1, room_2 = (
        Resource.objects.create(medspa=desk["medspa"], location=desk["location"], name=name)
        for name in ("Room 1", "Room 2")
    )
    desk["type"].rooms.add(room_1, room_2)
    Appointment.objects.filter(pk=desk["appointment"].pk).update(resource=room_1)
    sign_in(page, live_server, live_cast.admin_a)
    page.goto(f"{live_server.url}/dashboard/scheduling/calendar/?view=day&date={day.isoformat()}&by=room")
    expect(event_of(page)).to_be_visible()
    tab_to_an_appointment(page)
    page.keyboard.press("m")
    dialog = page.get_by_role("dialog", name="Move an appointment")
    room = dialog.get_by_label("Room")
    expect(room).to_have_value(str(room_1.pk))
    page.keyboard.press("Tab")  # from the start to the provider
    page.keyboard.press("Tab")
    expect(room).to_be_focused()
    page.keyboard.type("Room 2")
    expect(room).to_have_value(str(room_2.pk))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(toast(page)).to_contain_text("Moved to")
    assert eventually(lambda: Appointment.objects.get(pk=desk["appointment"].pk).resource_id == room_2.pk)


def test_in_the_week_view_the_move_dialog_moves_an_appointment_to_another_day_and_undo_brings_it_back(
    live_server, page: Page, live_cast, desk
):
    """The week shows a column a day: Ana Lopez's 10:00 is moved from the keyboard to another day of the
    same week, same time and provider; the database has it, the grid draws it in that day's column and the
    list of the chosen day no longer names her; Undo puts her back on her day, in the list again."""
    day, jordan = desk["day"], desk["jordan"]
    other = day + timedelta(days=1) if day.weekday() < 6 else day - timedelta(days=1)  # the week is Mon–Sun
    sign_in(page, live_server, live_cast.admin_a)
    page.goto(f"{live_server.url}/dashboard/scheduling/calendar/?view=week&date={day.isoformat()}")
    expect(event_of(page)).to_contain_text(f"{day:%a, %b} {day.day}, with Jordan Rivera")
    expect(day_list(page)).to_contain_text("Ana Lopez")

    event_of(page).focus()
    page.keyboard.press("m")
    dialog = page.get_by_role("dialog", name="Move an appointment")
    expect(dialog.get_by_label("Date")).to_have_value(day.isoformat())
    dialog.get_by_label("Date").fill(other.isoformat())
    expect(dialog.get_by_label("Start")).to_have_value("10:00")
    dialog.get_by_role("button", name="Move").click()

    expect(dialog).to_be_hidden()
    expect(toast(page)).to_contain_text(f"Moved to {other:%a %b} {other.day}, 10:00 AM with Jordan Rivera")
    settles(desk, (at_la(other, 10), at_la(other, 10, 30), jordan.pk))
    expect(event_of(page)).to_contain_text(f"{other:%a, %b} {other.day}, with Jordan Rivera")
    expect(day_list(page)).not_to_contain_text("Ana Lopez")  # the list is the chosen day's
    undo(page)
    settles(desk, (at_la(day, 10), at_la(day, 10, 30), jordan.pk))
    expect(event_of(page)).to_contain_text(f"{day:%a, %b} {day.day}, with Jordan Rivera")
    expect(day_list(page).get_by_role("row").filter(has_text="Ana Lopez")).to_contain_text(
        "10:00 AM–10:30 AM"
    )


def test_the_calendar_pages_have_no_serious_accessibility_violation(live_server, page: Page, live_cast, desk):
    sign_in(page, live_server, live_cast.admin_a)
    day = desk["day"].isoformat()
    for query in (f"view=day&date={day}", f"view=week&date={day}", f"view=day&date={day}&by=room"):
        page.goto(f"{live_server.url}/dashboard/scheduling/calendar/?{query}")
        expect(event_of(page)).to_be_visible()
        assert serious_violations(page) == [], query
        assert strict_violations(page) == [], query  # axe's experimental rules too: the events are buttons
    expect(day_list(page)).to_contain_text("Ana Lopez")


def test_a_click_on_an_empty_time_books_a_new_patient_without_leaving_the_calendar(
    live_server, page: Page, live_cast, desk
):
    """The front desk clicks Sam Lee's empty noon, types a new patient into the panel that opens beside the
    grid, books, and sees the appointment on the grid: no page was left."""
    day, sam = desk["day"], desk["sam"]
    sign_in(page, live_server, live_cast.admin_a)
    open_day(page, live_server, desk)
    calendar_url = page.url
    box = event_of(page).bounding_box()  # Ana's 10:00: noon is four half-hour slots below its top
    assert box is not None
    page.mouse.click(column_x(page, "Sam Lee"), box["y"] + 4 * SLOT + 6)  # the slot's first quarter

    panel = page.get_by_role("region", name="Book an appointment")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("radio", name="12:00 PM", exact=True)).to_be_checked()
    panel.get_by_text("New patient", exact=True).click()
    panel.get_by_label("First name").fill("Noor")
    panel.get_by_label("Last name").fill("Haddad")
    panel.get_by_label("Date of birth").fill("1988-02-29")
    panel.get_by_label("Phone").fill("(619) 555-0177")
    assert serious_violations(page) == []
    panel.get_by_role("button", name="Book", exact=True).click()

    expect(page.get_by_role("status").filter(has_text="Booked:")).to_contain_text(
        f"Booked: Noor Haddad for {desk['type'].name} on {day:%a %b} {day.day}, 12:00 PM with Sam Lee"
    )
    booked = page.locator("#calendar-grid .ec-event").filter(has_text="Noor Haddad")
    expect(booked).to_be_visible()  # the grid fetched its events again
    expect(booked).to_contain_text("12:00")
    expect(day_list(page).get_by_role("row").filter(has_text="Noor Haddad")).to_contain_text(
        "12:00 PM–12:30 PM"
    )
    assert page.url == calendar_url
    with medspa_scope(desk["medspa"]):
        appointment = Appointment.objects.select_related("patient").get(patient__last_name="Haddad")
    assert appointment.provider_id == sam.pk
    assert appointment.start.astimezone(LA) == at_la(day, 12)
    assert appointment.patient.phone == "+16195550177"
    screenshot(page, "calendar_grid_quick_booked")
    page.get_by_role("button", name="Close the booking panel").click()
    expect(panel).to_be_hidden()


def test_a_click_on_an_empty_time_in_a_room_column_books_in_that_room(
    live_server, page: Page, live_cast, desk
):
    """Rooms 1 and 2 both take the type; the front desk clicks Room 2's empty noon in the Rooms view: the
    panel names Room 2 and the appointment is made in it, not in Room 1, which the service picks first."""
    day = desk["day"]
    with medspa_scope(desk["medspa"]):
        room_1, room_2 = (
            Resource.objects.create(medspa=desk["medspa"], location=desk["location"], name=name)
            for name in ("Room 1", "Room 2")
        )
        desk["type"].rooms.add(room_1, room_2)
    sign_in(page, live_server, live_cast.admin_a)
    page.goto(f"{live_server.url}/dashboard/scheduling/calendar/?view=day&date={day.isoformat()}&by=room")
    expect(event_of(page)).to_be_visible()  # Ana's 10:00, in the "No room" column
    box = event_of(page).bounding_box()
    assert box is not None
    page.mouse.click(column_x(page, "Room 2"), box["y"] + 4 * SLOT + 6)

    panel = page.get_by_role("region", name="Book an appointment")
    expect(panel.get_by_text("Room: Room 2")).to_be_visible()
    expect(panel.get_by_role("radio", name="12:00 PM", exact=True)).to_be_checked()
    panel.get_by_text("New patient", exact=True).click()
    panel.get_by_label("First name").fill("Noor")
    panel.get_by_label("Last name").fill("Haddad")
    panel.get_by_label("Date of birth").fill("1988-02-29")
    assert serious_violations(page) == []
    panel.get_by_role("button", name="Book", exact=True).click()

    expect(page.get_by_role("status").filter(has_text="Booked:")).to_contain_text("Noor Haddad")
    with medspa_scope(desk["medspa"]):
        appointment = Appointment.objects.get(patient__last_name="Haddad")
    assert appointment.resource_id == room_2.pk
    assert appointment.start.astimezone(LA) == at_la(day, 12)
    expect(page.locator("#calendar-grid .ec-event").filter(has_text="Noor Haddad")).to_be_visible()

// The calendar's time grid (EventCalendar, static/vendor/event-calendar): appointments placed by time and
// length in provider or room columns, read from the events endpoint; drag one to move it, drag its lower
// edge to change its end (POST to the move endpoint; the grid reverts when refused and says why), Undo for a
// few seconds after; click an empty time to book it in the quick booking panel (#quick-book). From the
// keyboard, an appointment is a button in the tab order: Enter opens it, M opens the Move dialog
// (#calendar-move, filled in with its place), which posts to the same move endpoint and offers the same Undo.
// The day's list under the grid (#day-list) is read again after each change.
//
// The page's #calendar-grid carries the settings as data attributes (scheduling.selectors.calendar
// .grid_attributes). Times travel as wall-clock times at the appointment's location without an offset
// ("2026-12-08T10:30"): the grid shows them as they are, and sends them back the same way.
(function () {
  "use strict";

  var UNDO_SECONDS = 8;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function pad(number) {
    return (number < 10 ? "0" : "") + number;
  }

  // The grid hands out Dates whose local fields (getHours, …) are the wall clock in the calendar's zone,
  // whatever the browser's own zone: read back as such, they are the clinic's wall clock.
  function wallClock(date) {
    return (
      date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
      "T" + pad(date.getHours()) + ":" + pad(date.getMinutes())
    );
  }

  // The events endpoint's answer is a table (scheduling.selectors.calendar_events): "columns" names the
  // fields of each of the "rows", an appointment a row, whose patient, type, provider, room, location, status
  // and paperwork are places in the lists of those names; "start" counts minutes on the clinic's clock from
  // midnight of "day", "minutes" is the length. Made here into EventCalendar's events
  // (https://github.com/vkurko/calendar#event-object).
  function expand(feed) {
    var at = {};
    feed.columns.forEach(function (name, index) {
      at[name] = index;
    });
    var midnight = Date.UTC(+feed.day.slice(0, 4), +feed.day.slice(5, 7) - 1, +feed.day.slice(8, 10));
    // Counted in UTC, which keeps no daylight saving time: the minutes stay the clinic's wall clock.
    function clock(minutes) {
      var moment = new Date(midnight + minutes * 60000);
      return (
        moment.getUTCFullYear() + "-" + pad(moment.getUTCMonth() + 1) + "-" + pad(moment.getUTCDate()) +
        "T" + pad(moment.getUTCHours()) + ":" + pad(moment.getUTCMinutes()) + ":00"
      );
    }
    return feed.rows.map(function (row) {
      var id = String(row[at.id]);
      var type = feed.types[row[at.type]];
      var provider = feed.providers[row[at.provider]];
      var room = row[at.room] === null ? null : feed.rooms[row[at.room]];
      var status = feed.statuses[row[at.status]];
      var patient = feed.patients[row[at.patient]];
      return {
        id: id,
        resourceId: feed.by === "room" ? (room ? String(room[0]) : "none") : String(provider[0]),
        start: clock(row[at.start]),
        end: clock(row[at.start] + row[at.minutes]),
        title: patient,
        classNames: ["appt", "status-" + status[0]],
        editable: status[2],
        extendedProps: {
          url: feed.url.replace("{id}", encodeURIComponent(id)),
          patient: patient,
          type: type[0],
          color: type[1],
          provider: provider[1],
          providerId: provider[0],
          room: room ? room[1] : "",
          roomId: room ? room[0] : null,
          location: feed.locations[row[at.location]],
          status: status[0],
          statusLabel: status[1],
          paperwork: row[at.paperwork] === null ? "" : feed.paperwork[row[at.paperwork]],
        },
      };
    });
  }

  function describe(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  function eventNodes(info) {
    var props = info.event.extendedProps;
    var nodes = [];
    var time = describe(info.timeText);
    time.className = "appt-time";
    nodes.push(time);
    var patient = describe(props.patient);
    patient.className = "appt-patient";
    nodes.push(patient);
    // The week has a column a day, not a provider: each appointment names its provider.
    var who = info.view.type === "timeGridWeek" && props.provider ? " · " + props.provider : "";
    var type = describe(props.type + (props.room ? " · " + props.room : "") + who);
    type.className = "appt-type";
    nodes.push(type);
    var status = describe(props.statusLabel);
    status.className = "appt-status";
    nodes.push(status);
    if (props.paperwork) {
      var paperwork = describe(props.paperwork);
      paperwork.className =
        "appt-paperwork " + (props.paperwork === "Paperwork complete" ? "paperwork-complete" : "paperwork-due");
      nodes.push(paperwork);
    }
    return { domNodes: nodes };
  }

  function start(element) {
    var data = element.dataset;
    var editable = data.editable === "1";
    var byRoom = data.by === "room";
    var alertBox = document.getElementById("calendar-alert");
    var toast = document.getElementById("calendar-toast");
    var panel = document.getElementById("quick-book");
    var cache = {};
    var toastTimer = null;

    function query(info) {
      var params = new URLSearchParams({
        start: info.startStr.slice(0, 10),
        end: info.endStr.slice(0, 10),
        location: data.location || "",
        provider: data.provider || "",
        by: data.by || "provider",
      });
      if (data.cancelled === "1") params.set("cancelled", "1");
      if (data.status) params.set("status", data.status);
      return data.eventsUrl + "?" + params.toString();
    }

    // The resources and the events of a range come in one answer: read it once for both.
    function load(info) {
      var url = query(info);
      if (!cache[url]) {
        cache[url] = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) {
            if (!response.ok) throw new Error("The calendar could not be loaded (" + response.status + ").");
            return response.json();
          })
          .then(function (feed) {
            return { resources: feed.resources, events: expand(feed) };
          });
        cache[url].catch(function (error) {
          delete cache[url];
          say(error.message);
        });
      }
      return cache[url];
    }

    // After a change (a drop, an Undo, a booking) the grid reads its events again, and the day's list under
    // it, which is the server's (it works without script), is read again alone from the address it carries
    // (data-list-url: the page's day and filters) and put in its place.
    function refetch() {
      cache = {};
      calendar.refetchEvents();
      var list = document.getElementById("day-list");
      if (list && list.dataset.listUrl) {
        window.htmx.ajax("GET", list.dataset.listUrl, { target: "#day-list", swap: "outerHTML" });
      }
    }

    function say(message) {
      alertBox.textContent = message;
      alertBox.hidden = !message;
    }

    // `focus`: the move came from the keyboard, so the keyboard goes to Undo (and back to the appointment
    // when the toast goes).
    function showToast(message, undo, focus) {
      clearTimeout(toastTimer);
      toast.textContent = "";
      delete toast.dataset.eventId;
      toast.appendChild(describe(message));
      if (undo) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "button button-small button-secondary";
        button.textContent = "Undo";
        button.addEventListener("click", function () {
          hideToast();
          post(undo.id, undo.place).then(function (answer) {
            if (answer.ok) showToast("Undone: back to " + answer.body.message.replace(/^Moved to /, ""), null);
            refetch();
          });
        });
        toast.appendChild(document.createTextNode(" — "));
        toast.appendChild(button);
        toast.dataset.eventId = undo.id;
      }
      toast.hidden = false;
      toastTimer = setTimeout(hideToast, UNDO_SECONDS * 1000);
      if (undo && focus) button.focus();
    }

    function hideToast() {
      clearTimeout(toastTimer);
      // From the keyboard (focus shown on Undo), the keyboard goes back to the appointment; a mouse's click
      // leaves the focus alone, as before.
      var hadFocus = toast.querySelector(":focus-visible") !== null;
      toast.hidden = true;
      toast.textContent = "";
      if (hadFocus && toast.dataset.eventId) focusEvent(toast.dataset.eventId);
    }

    // While the keyboard is on Undo, it stays (the few seconds start again when the keyboard leaves).
    toast.addEventListener("focusin", function () {
      clearTimeout(toastTimer);
    });
    toast.addEventListener("focusout", function () {
      if (!toast.hidden) toastTimer = setTimeout(hideToast, UNDO_SECONDS * 1000);
    });

    function post(id, fields) {
      var url = data.moveUrl.replace("/0/", "/" + encodeURIComponent(id) + "/");
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
        body: JSON.stringify(fields),
      }).then(
        function (response) {
          return response
            .json()
            .catch(function () {
              return { detail: "The change could not be saved (" + response.status + ")." };
            })
            .then(function (body) {
              if (!response.ok) say(body.detail || "The change could not be saved.");
              return { ok: response.ok, body: body };
            });
        },
        function () {
          say("The change could not be saved: check the connection and try again.");
          return { ok: false, body: {} };
        }
      );
    }

    function changed(info, fields) {
      say("");
      post(info.event.id, fields).then(function (answer) {
        if (!answer.ok) {
          info.revert();
          return;
        }
        var body = answer.body;
        showToast(body.message, { id: body.id, place: body.previous });
        refetch();
      });
    }

    function onDrop(info) {
      var fields = { start: wallClock(info.event.start), end: wallClock(info.event.end) };
      if (info.newResource) {
        if (byRoom && info.newResource.id === "none") {
          info.revert();
          say("Choose a room: an appointment cannot be moved out of every room.");
          return;
        }
        fields[byRoom ? "resource" : "provider"] = info.newResource.id;
      }
      changed(info, fields);
    }

    function onResize(info) {
      changed(info, { start: wallClock(info.event.start), end: wallClock(info.event.end) });
    }

    function onDateClick(info) {
      if (info.allDay) return;
      var when = wallClock(info.date);
      var resource = info.resource ? info.resource.id : "";
      var provider = byRoom ? data.provider || "" : resource || data.provider || "";
      var room = byRoom && resource !== "none" ? resource : "";
      if (data.quickBookUrl) {
        var params = new URLSearchParams({ start: when, provider: provider, location: data.location || "", resource: room });
        panel.hidden = false;
        window.htmx.ajax("GET", data.quickBookUrl + "?" + params.toString(), { target: "#quick-book", swap: "innerHTML" })
          .then(function () {
            // The panel opens beside the grid (a drawer on wide screens): the keyboard goes to its first field.
            var first = panel.querySelector("input:not([type=hidden]), select");
            if (first) first.focus({ preventScroll: true });
            panel.scrollIntoView({ block: "nearest" });
          });
      } else if (data.bookUrl) {
        var fallback = new URLSearchParams({ date: when.slice(0, 10), time: when.slice(11, 16) });
        if (provider) fallback.set("provider", provider);
        window.location.assign(data.bookUrl + "?" + fallback.toString());
      }
    }

    // --- The keyboard ------------------------------------------------------------------------------------
    // Where the grid can be changed, each appointment is a button in the tab order (the grid's own: Enter
    // opens it) named by its time, patient, type, status, day and provider; M opens the Move dialog. The
    // read-only grid (a provider's own) stays hidden from assistive technology, its events out of the tab
    // order: the day's list is the way through there.
    var moveDialog = document.getElementById("calendar-move");
    var pendingFocus = null; // the appointment to focus again when the grid redraws it (after a move)

    function eventElement(id) {
      return element.querySelector('.ec-event[data-event-id="' + CSS.escape(String(id)) + '"]');
    }

    function focusEvent(id) {
      pendingFocus = String(id);
      var node = eventElement(id);
      if (node) node.focus();
    }

    document.addEventListener("focusin", function (event) {
      var target = event.target.dataset ? event.target.dataset.eventId : null;
      if (pendingFocus && target !== pendingFocus) pendingFocus = null;
    });

    function dayLabel(date) {
      return date.toLocaleDateString("en-US", { weekday: "short", month: "short", day: "numeric" });
    }

    // The type's colour on the event's edge, set through the CSSOM (the CSP allows no style attribute).
    function eventMounted(info) {
      var el = info.el;
      var props = info.event.extendedProps;
      el.style.borderLeftColor = props.color;
      if (!editable) {
        el.removeAttribute("tabindex");
        el.removeAttribute("role");
        return;
      }
      el.dataset.eventId = info.event.id;
      // Its name is its text, then what its column says, written out for a screen reader only (no
      // aria-label: the name keeps the words shown, as label-content-name-mismatch asks).
      var column = describe(", " + dayLabel(info.event.start) + ", with " + props.provider);
      column.className = "visually-hidden appt-column";
      el.appendChild(column);
      el.setAttribute("aria-describedby", "calendar-keys");
      if (info.event.editable !== false) el.setAttribute("aria-keyshortcuts", "M");
      var focused = document.activeElement;
      var unclaimed = focused === document.body || element.contains(focused); // the grid's, or nobody's
      if (pendingFocus === info.event.id && unclaimed) el.focus();
    }

    // EventCalendar marks its grid up as an ARIA table whose row groups hold the events beside their rows:
    // a broken table, once the grid is no longer hidden. Its boxes are taken back to plain ones (the
    // appointments stay buttons), whenever it draws them.
    var TABLE_ROLES = ["table", "row", "rowgroup", "columnheader", "rowheader", "cell", "gridcell"];
    var TABLE_ATTRIBUTES = ["aria-colindex", "aria-colspan", "aria-rowindex"];

    function plainBoxes() {
      element.querySelectorAll("[role]").forEach(function (node) {
        if (TABLE_ROLES.indexOf(node.getAttribute("role")) >= 0) node.removeAttribute("role");
      });
      element.querySelectorAll("[" + TABLE_ATTRIBUTES.join("],[") + "]").forEach(function (node) {
        TABLE_ATTRIBUTES.forEach(function (name) {
          node.removeAttribute(name);
        });
      });
    }

    function openMove(id) {
      var event = calendar.getEventById(id);
      if (!event || !moveDialog) return;
      var props = event.extendedProps;
      if (event.editable === false) {
        say("A " + props.statusLabel.toLowerCase() + " appointment cannot be moved.");
        return;
      }
      say("");
      var form = moveDialog.querySelector("form");
      var when = wallClock(event.start);
      form.elements.date.value = when.slice(0, 10);
      quarterHours(form.elements.time, when.slice(11, 16));
      var provider = form.elements.provider;
      provider.value = String(props.providerId);
      if (provider.value !== String(props.providerId)) {
        provider.appendChild(new Option(props.provider, String(props.providerId), true, true));
      }
      var room = form.elements.resource;
      Array.prototype.forEach.call(room.options, function (option) {
        var elsewhere = option.value !== "" && option.dataset.location !== props.location;
        option.hidden = elsewhere;
        option.disabled = elsewhere;
      });
      room.value = props.roomId ? String(props.roomId) : "";
      if (room.value !== (props.roomId ? String(props.roomId) : "")) room.value = "";
      moveDialog.querySelector("[data-move-from]").textContent =
        props.patient + ", now " + dayLabel(event.start) + ", " + timeLabel(when.slice(11, 16)) + " with " +
        props.provider +
        (props.room ? " in " + props.room : "") + ".";
      showMoveError("");
      moveDialog.dataset.eventId = event.id;
      moveDialog.showModal();
      form.elements.time.focus();
    }

    // The start's choices: the quarter hours of the hours the grid shows (slotMinTime to slotMaxTime), and
    // the appointment's own time, in its place, when it is off them.
    function quarterHours(select, current) {
      var values = [];
      var last = clockMinutes(options.slotMaxTime);
      for (var minutes = clockMinutes(options.slotMinTime); minutes < last; minutes += 15) {
        values.push(pad(Math.floor(minutes / 60)) + ":" + pad(minutes % 60));
      }
      if (values.indexOf(current) < 0) values.push(current);
      select.textContent = "";
      values.sort().forEach(function (value) {
        select.appendChild(new Option(timeLabel(value), value));
      });
      select.value = current;
    }

    function clockMinutes(value) {
      return Number(value.slice(0, 2)) * 60 + Number(value.slice(3, 5));
    }

    function timeLabel(value) {
      var hours = Number(value.slice(0, 2));
      return ((hours + 11) % 12) + 1 + ":" + value.slice(3, 5) + (hours < 12 ? " AM" : " PM");
    }

    function showMoveError(message) {
      var box = moveDialog.querySelector("[data-move-error]");
      box.textContent = message;
      box.hidden = !message;
    }

    function submitMove(event) {
      event.preventDefault();
      var form = event.target;
      var id = moveDialog.dataset.eventId;
      var fields = {
        start: form.elements.date.value + "T" + form.elements.time.value,
        provider: form.elements.provider.value,
      };
      if (form.elements.resource.value) fields.resource = form.elements.resource.value;
      post(id, fields).then(function (answer) {
        if (!answer.ok) {
          showMoveError(answer.body.detail || "The change could not be saved.");
          return;
        }
        say("");
        moveDialog.close("moved");
        showToast(answer.body.message, { id: answer.body.id, place: answer.body.previous }, true);
        refetch();
      });
    }

    function keyboardMoves() {
      plainBoxes();
      new MutationObserver(plainBoxes).observe(element, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ["role"].concat(TABLE_ATTRIBUTES),
      });
      element.addEventListener("keydown", function (event) {
        var target = event.target.closest && event.target.closest(".ec-event[data-event-id]");
        if (!target || event.altKey || event.ctrlKey || event.metaKey || event.key.toLowerCase() !== "m") return;
        event.preventDefault();
        openMove(target.dataset.eventId);
      });
      if (!moveDialog) return;
      moveDialog.querySelector("form").addEventListener("submit", submitMove);
      moveDialog.querySelector("[data-move-cancel]").addEventListener("click", function () {
        moveDialog.close();
      });
      // Closed without a move (Cancel, Escape): the keyboard goes back to the appointment.
      moveDialog.addEventListener("close", function () {
        if (moveDialog.returnValue !== "moved") focusEvent(moveDialog.dataset.eventId);
        moveDialog.returnValue = "";
      });
    }

    var options = {
      view: data.view,
      date: data.date,
      timeZone: data.timeZone || "local",
      firstDay: 1,
      headerToolbar: { start: "", center: "", end: "" },
      allDaySlot: false,
      slotMinTime: "07:00",
      slotMaxTime: "21:00",
      flexibleSlotTimeLimits: true,
      slotDuration: "00:30",
      snapDuration: "00:15",
      slotHeight: 32,
      scrollTime: "08:00",
      nowIndicator: true,
      datesAboveResources: true,
      editable: editable,
      eventStartEditable: editable,
      eventDurationEditable: editable,
      refetchResourcesOnNavigate: true,
      resources: function (info, success, failure) {
        load(info).then(function (answer) {
          success(answer.resources);
        }, failure);
      },
      eventSources: [
        {
          events: function (info, success, failure) {
            load(info).then(function (answer) {
              success(answer.events);
            }, failure);
          },
        },
      ],
      eventContent: eventNodes,
      eventDidMount: eventMounted,
      eventClick: function (info) {
        info.jsEvent.preventDefault();
        window.location.assign(info.event.extendedProps.url);
      },
      eventDrop: onDrop,
      eventResize: onResize,
    };
    if (data.quickBookUrl || data.bookUrl) options.dateClick = onDateClick;
    var calendar = window.EventCalendar.create(element, options);
    if (editable) keyboardMoves();

    document.body.addEventListener("appointment-booked", refetch);
    document.addEventListener("click", function (event) {
      if (event.target.closest && event.target.closest("[data-quick-book-close]")) {
        panel.hidden = true;
        panel.textContent = "";
      }
    });
    element.calendar = calendar;
  }

  function init() {
    var element = document.getElementById("calendar-grid");
    if (element && window.EventCalendar) start(element);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

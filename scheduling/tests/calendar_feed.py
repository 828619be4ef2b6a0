"""The events endpoint's table read back into one event per appointment, as static/js/calendar.js's `expand`
makes them for the grid (the browser tests see the grid draw them): the tests of the endpoint assert on what
the grid is given."""

from datetime import date, datetime, time, timedelta


def feed_events(data: dict) -> list[dict]:
    """The events of an answer of scheduling:calendar_events or providers:calendar_events."""
    midnight = datetime.combine(date.fromisoformat(data["day"]), time.min)
    events = []
    for values in data["rows"]:
        row = dict(zip(data["columns"], values, strict=True))
        value, label, movable = data["statuses"][row["status"]]
        type_name, color = data["types"][row["type"]]
        provider_id, provider = data["providers"][row["provider"]]
        room_id, room = data["rooms"][row["room"]] if row["room"] is not None else (None, "")
        start = midnight + timedelta(minutes=row["start"])
        patient = data["patients"][row["patient"]]
        events.append(
            {
                "id": str(row["id"]),
                "resourceId": (str(room_id or "none") if data["by"] == "room" else str(provider_id)),
                "start": start.isoformat(),
                "end": (start + timedelta(minutes=row["minutes"])).isoformat(),
                "title": patient,
                "classNames": ["appt", f"status-{value}"],
                "editable": movable,
                "extendedProps": {
                    "url": data["url"].replace("{id}", str(row["id"])),
                    "patient": patient,
                    "type": type_name,
                    "color": color,
                    "provider": provider,
                    "providerId": provider_id,
                    "room": room,
                    "roomId": room_id,
                    "location": data["locations"][row["location"]],
                    "status": value,
                    "statusLabel": label,
                    "paperwork": "" if row["paperwork"] is None else data["paperwork"][row["paperwork"]],
                },
            }
        )
    return events

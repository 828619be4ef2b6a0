"""Scheduling sits below the Provider dashboard: besides not importing it (the import contracts), its code
and templates name none of its routes and none of its models' relations. The visit's buttons on the
admin's calendar come from the registry the Provider dashboard fills (APPOINTMENT_ACTIONS)."""

import re
from pathlib import Path

import scheduling

# A providers route ("providers:calendar"), or the Provider dashboard's visit reached from an appointment:
# `appointment.visit`, a join on "visit", a lookup through visit__.
HIGHER = re.compile(r"""providers:|\.visit\b|["']visit["']|\bvisit__""")


def test_scheduling_names_no_provider_dashboard_route_or_visit_relation():
    root = Path(scheduling.__file__).parent
    found = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in sorted([*root.rglob("*.py"), *root.rglob("*.html"), *root.rglob("*.txt")])
        if not {"tests", "migrations"} & set(path.relative_to(root).parts)
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if HIGHER.search(line)
    ]
    assert found == []

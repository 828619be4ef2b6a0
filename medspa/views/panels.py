"""Sections that apps built on the core add to the core's pages, so the core never imports them: each
registers (from its AppConfig.ready) a template and a function giving its context, with an order.

- `PATIENT`: a patient's profile (clearances, appointments, visits, consents), context (patient, area).
- `ACCOUNT_SETTINGS`: the medspa admin's Account settings (the transition, payments, billing), context
  (request).
- `ADMIN_TODO`: the admin's To-Do on their overview, below the core's own (disputed payments), context
  (request). A section that names patients gives them as `patients` in its context: the page writes them to
  the access log.
- `ADMIN_TODAY`: the "Today" sections of the admin's overview (today's appointments, who is late, GFEs
  waiting, today's revenue), context (request). As in the To-Do, a section naming patients gives them as
  `patients`."""

from collections.abc import Callable
from dataclasses import dataclass

from django.template.loader import render_to_string

from medspa.registry import Registry


@dataclass(frozen=True)
class Panel:
    template: str
    context: Callable[..., dict]
    order: int = 0


PATIENT: Registry[Panel] = Registry("patient profile panels", order=lambda panel: panel.order)
ACCOUNT_SETTINGS: Registry[Panel] = Registry("account settings panels", order=lambda panel: panel.order)
ADMIN_TODO: Registry[Panel] = Registry("admin To-Do sections", order=lambda panel: panel.order)
ADMIN_TODAY: Registry[Panel] = Registry("admin Today sections", order=lambda panel: panel.order)


def _render(panels: Registry[Panel], request, context: dict, *args) -> list[str]:
    """The panels, rendered in order: each template gets `context` and what its function gives for `args`."""
    return [
        render_to_string(panel.template, {**context, **panel.context(*args)}, request=request)
        for panel in panels
    ]


def patient_panels(request, patient, area: str) -> list[str]:
    """What a patient's profile shows after the patient's own facts; `area` is "admin" or "provider"."""
    return _render(PATIENT, request, {"patient": patient, "area": area}, patient, area)


def account_settings_panels(request) -> list[str]:
    return _render(ACCOUNT_SETTINGS, request, {}, request)


def _render_naming(panels: Registry[Panel], request) -> tuple[list[str], list]:
    """The panels rendered in order with what their functions give for `request`, and the patients they
    name (their contexts' `patients`)."""
    rendered, patients = [], []
    for panel in panels:
        context = panel.context(request)
        patients += context.get("patients", [])
        rendered.append(render_to_string(panel.template, context, request=request))
    return rendered, patients


def admin_todo_panels(request) -> tuple[list[str], list]:
    """The sections the apps add to the admin's To-Do, rendered in order, and the patients they name."""
    return _render_naming(ADMIN_TODO, request)


def admin_today_panels(request) -> tuple[list[str], list]:
    """The "Today" sections the apps add to the admin's overview, rendered in order, and the patients they
    name."""
    return _render_naming(ADMIN_TODAY, request)

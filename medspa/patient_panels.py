"""Sections that apps built on the core add to a patient's profile (clearances, and later visits): each
registers a template and a function giving its context, so the core never imports them."""

from collections.abc import Callable
from dataclasses import dataclass

from django.template.loader import render_to_string

from medspa.models import Patient


@dataclass(frozen=True)
class Panel:
    template: str
    context: Callable[[Patient, str], dict]  # (patient, area "admin" | "provider") -> context
    order: int = 0


_panels: list[Panel] = []


def panel_register(panel: Panel) -> None:
    _panels.append(panel)
    _panels.sort(key=lambda p: p.order)


def panels_render(request, patient: Patient, area: str) -> list[str]:
    """The panels, rendered, in order: what the profile page shows after the patient's own facts."""
    return [
        render_to_string(panel.template, {"patient": patient, "area": area, **panel.context(patient, area)},
                         request=request)
        for panel in _panels
    ]  # fmt: skip

"""The onboarding checklist an admin meets on first sign-in after Portrait creates the medspa.

Each step's done-state is derived from the data, never ticked by hand. Apps register the steps they own in
`STEPS` (from their AppConfig.ready), so the core app never imports the apps built on it."""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from medspa.models import Medspa, Membership
from medspa.registry import Registry


@dataclass(frozen=True)
class Step:
    key: str
    order: int
    title: str
    description: str
    url_name: str
    is_done: Callable[[Medspa, Membership], bool]
    status: Callable[[Medspa, Membership], str] | None = None  # a word on progress, e.g. "waiting"


STEPS: Registry[Step] = Registry("onboarding steps", order=lambda step: step.order)


def checklist(medspa: Medspa, membership: Membership) -> dict:
    """The steps in order with their state, and the progress."""
    items = []
    for step in STEPS:
        done = step.is_done(medspa, membership)
        items.append(
            {
                "key": step.key,
                "title": step.title,
                "description": step.description,
                "url": reverse(step.url_name),
                "done": done,
                "status": "" if done or step.status is None else step.status(medspa, membership),
            }
        )
    done_count = sum(item["done"] for item in items)
    return {
        "steps": items,
        "done": done_count,
        "total": len(items),
        "percent": round(100 * done_count / len(items)) if items else 100,
        "complete": done_count == len(items),
    }

"""The Portrait services library every medspa imports from: its groups and services, the consents, standing
orders and care messages they use, and the intake forms appointment types may name. The library is data,
kept in `data/library.json` (written for this product; illustrative, not medical advice: its texts and its
intake forms' questions are examples for a medspa's medical director to review), and `library_load` puts it
in the database."""

import json
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from services_catalog.models import (
    CareMessage,
    Consent,
    IntakeForm,
    LibraryService,
    ServiceGroup,
    StandingOrder,
)
from services_catalog.services import intake_forms, texts

LIBRARY_FILE = Path(__file__).resolve().parent.parent / "data" / "library.json"


def library_read(path: Path = LIBRARY_FILE) -> dict:
    """The library file as it is: {"consents", "standing_orders", "care_messages", "intake_forms": {key:
    entry}, "groups": [group with its "services"]}; a service names its texts by their keys. A pre-care
    message may give `lead_hours`; an intake form has a title, a description and its sections."""
    return json.loads(path.read_text(encoding="utf-8"))


def _text(model, entry: dict, **extra):
    existing = model.library.filter(title=entry["title"]).first()
    if existing is not None:
        return existing
    return texts.text_create(
        model=model, medspa=None, title=entry["title"], text=entry["text"], by=None, **extra
    )


def _intake_form(entry: dict) -> IntakeForm:
    existing = IntakeForm.library.filter(title=entry["title"]).first()
    if existing is not None:
        return existing
    return intake_forms.intake_form_create(
        medspa=None,
        title=entry["title"],
        description=entry["description"],
        sections=entry["sections"],
        by=None,
    )


@transaction.atomic
def library_load(*, path: Path = LIBRARY_FILE) -> int:
    """Loads the library into the database; returns how many library services exist. Idempotent: a text,
    intake form or service already there (by its title or name) is kept as it is."""
    data = library_read(path)
    consents = {key: _text(Consent, entry) for key, entry in data["consents"].items()}
    orders = {key: _text(StandingOrder, entry) for key, entry in data["standing_orders"].items()}
    messages = {
        key: _text(CareMessage, entry, timing=entry["timing"], lead_hours=entry.get("lead_hours"))
        for key, entry in data["care_messages"].items()
    }
    for entry in data.get("intake_forms", {}).values():
        _intake_form(entry)
    for position, group_data in enumerate(data["groups"]):
        group, _ = ServiceGroup.library.get_or_create(
            medspa=None,
            name=group_data["name"],
            defaults={"description": group_data["description"], "position": position},
        )
        for item in group_data["services"]:
            service, created = LibraryService.objects.get_or_create(
                name=item["name"],
                defaults={
                    "group": group,
                    "description": item["description"],
                    "default_price": Decimal(item["price"]),
                    "duration_minutes": item["duration_minutes"],
                    "requires_gfe": item["requires_gfe"],
                    "standing_order": orders.get(item["standing_order"]) if item["standing_order"] else None,
                },
            )
            if created:
                service.consents.set([consents[key] for key in item["consents"]])
                service.care_messages.set([messages[key] for key in item["care_messages"]])
    return LibraryService.objects.count()

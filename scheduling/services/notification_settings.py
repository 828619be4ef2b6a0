"""A medspa's notification settings: switches, reminder lead times and its own texts."""

from django.db import transaction

from scheduling.models import NotificationSettings
from scheduling.selectors.notification_texts import (
    DEFAULT_TEMPLATES,
    KIND_SWITCHES,
    TEMPLATE_PARTS,
    reminder_hours_clean,
)


def notification_settings_get(*, medspa_id: int) -> NotificationSettings:
    """The medspa's notification settings, made with the defaults the first time they are asked for."""
    settings_obj, _ = NotificationSettings.objects.select_related("medspa").get_or_create(medspa_id=medspa_id)
    return settings_obj


@transaction.atomic
def notification_settings_save(*, settings_obj: NotificationSettings, data: dict) -> NotificationSettings:
    """Saves switches, lead times and texts. `data` holds the model's switches, `reminder_hours` (a list of
    whole hours), `paperwork_reminder_hours` (1 to 336) and `templates` ({kind: {"subject", "email",
    "sms"}}); a text equal to the default (or empty) is not stored, so that it follows later improvements
    of the default."""
    switches = ["email_enabled", "sms_enabled"] + [field for field, _ in KIND_SWITCHES.values()]
    for name in switches:
        if name in data:
            setattr(settings_obj, name, bool(data[name]))
    if "reminder_hours" in data:
        settings_obj.reminder_hours = reminder_hours_clean(list(data["reminder_hours"]))
    if "paperwork_reminder_hours" in data:
        settings_obj.paperwork_reminder_hours = int(data["paperwork_reminder_hours"])
        # The model's validators (1 to 336 hours): ValidationError for anything else.
        others = [field.name for field in NotificationSettings._meta.fields]
        settings_obj.clean_fields(exclude=[name for name in others if name != "paperwork_reminder_hours"])
    if "templates" in data:
        overrides: dict[str, dict[str, str]] = {}
        for kind, parts in data["templates"].items():
            if kind not in DEFAULT_TEMPLATES:
                continue
            kept = {}
            for part in TEMPLATE_PARTS:
                text = _normalise(parts.get(part, ""))
                if text and text != DEFAULT_TEMPLATES[kind][part]:
                    kept[part] = text
            if kept:
                overrides[kind] = kept
        settings_obj.templates = overrides
    settings_obj.save()
    return settings_obj


def _normalise(text: str) -> str:
    return (text or "").replace("\r\n", "\n").strip()

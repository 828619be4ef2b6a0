"""The admin's notification settings: switches, reminder lead times ("48, 2"), the paperwork reminder's lead
time, and the texts of each kind."""

from django import forms

from medspa.http import ascii_int
from scheduling.models import NotificationSettings
from scheduling.selectors import notification_texts

SUBJECT_MAX, EMAIL_MAX, SMS_MAX = 200, 5000, 640  # an SMS of 640 characters is four or five segments
PAPERWORK_HOURS_MAX = 336  # two weeks, as NotificationSettings.paperwork_reminder_hours allows


def field_prefix(kind: str) -> str:
    """ "no-show" → "no_show": the prefix of a kind's text fields (no_show_subject, no_show_email, …)."""
    return kind.replace("-", "_")


def template_field_names(kind: str) -> dict[str, str]:
    return {part: f"{field_prefix(kind)}_{part}" for part in notification_texts.TEMPLATE_PARTS}


def templates_from(data, kinds=None) -> dict[str, dict[str, str]]:
    """The texts as typed ({kind: {"subject", "email", "sms"}}) from a form's data (request.POST)."""
    return {
        kind: {part: data.get(name, "") for part, name in template_field_names(kind).items()}
        for kind in kinds or notification_texts.TEMPLATE_KINDS
    }


def reminder_hours_parse(raw: str) -> list[int]:
    """ "48, 2" → [48, 2]; raises ValidationError saying what is wrong."""
    items = [item.strip() for item in (raw or "").replace(";", ",").split(",") if item.strip()]
    hours = []
    for item in items:
        hour = ascii_int(item)
        if hour is None or not 1 <= hour <= notification_texts.MAX_REMINDER_HOURS:
            raise forms.ValidationError(
                f"“{item}” is not a whole number of hours from 1 to {notification_texts.MAX_REMINDER_HOURS}."
            )
        hours.append(hour)
    if len(hours) > notification_texts.MAX_REMINDERS:
        raise forms.ValidationError(f"At most {notification_texts.MAX_REMINDERS} reminders.")
    duplicates = sorted({hour for hour in hours if hours.count(hour) > 1})
    if duplicates:
        raise forms.ValidationError(f"{', '.join(map(str, duplicates))} h is there more than once.")
    return sorted(hours, reverse=True)


class NotificationSettingsForm(forms.Form):
    email_enabled = forms.BooleanField(label="Send email", required=False)
    sms_enabled = forms.BooleanField(label="Send SMS", required=False)
    confirmation = forms.BooleanField(label="Booking confirmation", required=False)
    reminders = forms.BooleanField(label="Reminders", required=False)
    reminder_hours = forms.CharField(
        label="Reminder lead times (hours before)",
        required=False,
        help_text="Up to four, separated by commas, e.g. “48, 2”. Whole hours from 1 to 168.",
    )
    reschedule = forms.BooleanField(label="Rescheduled appointment", required=False)
    cancellation = forms.BooleanField(label="Cancellation", required=False)
    no_show_follow_up = forms.BooleanField(label="No-show follow-up", required=False)
    paperwork_reminder = forms.BooleanField(
        label="Paperwork reminder",
        required=False,
        help_text="Once, while forms or consents are still to do. The confirmation carries the link anyway.",
    )
    paperwork_reminder_hours = forms.CharField(
        label="Paperwork reminder (hours before)",
        required=False,
        max_length=12,
        help_text=f"A whole number of hours from 1 to {PAPERWORK_HOURS_MAX}, e.g. 48.",
    )
    pre_visit_care = forms.BooleanField(
        label="Pre-visit care messages",
        required=False,
        help_text="Each service's before-the-treatment care messages: with the confirmation, or at their "
        "own lead time.",
    )

    SWITCHES = [
        "email_enabled",
        "sms_enabled",
        "confirmation",
        "reminders",
        "reschedule",
        "cancellation",
        "no_show_follow_up",
        "paperwork_reminder",
        "pre_visit_care",
    ]

    def __init__(self, *args, settings_obj: NotificationSettings, **kwargs):
        super().__init__(*args, **kwargs)
        self.settings_obj = settings_obj
        for name in self.SWITCHES:
            self.initial.setdefault(name, getattr(settings_obj, name))
        hours = notification_texts.reminder_hours_clean(settings_obj.reminder_hours)
        self.initial.setdefault("reminder_hours", ", ".join(map(str, hours)))
        self.initial.setdefault("paperwork_reminder_hours", settings_obj.paperwork_reminder_hours)
        for kind in notification_texts.TEMPLATE_KINDS:
            texts = notification_texts.template_for(settings_obj, kind)
            names = template_field_names(kind)
            self.fields[names["subject"]] = forms.CharField(
                label="Email subject", required=False, max_length=SUBJECT_MAX
            )
            self.fields[names["email"]] = forms.CharField(
                label="Email", required=False, max_length=EMAIL_MAX, widget=forms.Textarea(attrs={"rows": 8})
            )
            self.fields[names["sms"]] = forms.CharField(
                label="SMS", required=False, max_length=SMS_MAX, widget=forms.Textarea(attrs={"rows": 3})
            )
            for part, name in names.items():
                self.initial.setdefault(name, texts[part])

    def clean_reminder_hours(self):
        return reminder_hours_parse(self.cleaned_data["reminder_hours"])

    def clean_paperwork_reminder_hours(self) -> int | None:
        raw = self.cleaned_data["paperwork_reminder_hours"].strip()
        if not raw:
            return None
        hours = ascii_int(raw)  # ASCII digits only: "²" or "٣" is no number of hours
        if hours is None or not 1 <= hours <= PAPERWORK_HOURS_MAX:
            raise forms.ValidationError(
                f"“{raw}” is not a whole number of hours from 1 to {PAPERWORK_HOURS_MAX}."
            )
        return hours

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reminders") and cleaned.get("reminder_hours") == []:
            self.add_error("reminder_hours", "Give at least one lead time, or turn reminders off.")
        hours_given = "paperwork_reminder_hours" in self.errors or cleaned.get("paperwork_reminder_hours")
        if cleaned.get("paperwork_reminder") and not hours_given:
            self.add_error("paperwork_reminder_hours", "Give the hours before, or turn the reminder off.")
        for kind in notification_texts.TEMPLATE_KINDS:
            for name in template_field_names(kind).values():
                problems = notification_texts.template_problems(cleaned.get(name) or "")
                if problems:
                    self.add_error(name, problems)
        return cleaned

    def kinds(self) -> list[dict]:
        """For the template: each editable kind with its three bound fields."""
        return [
            {
                "kind": kind,
                "label": notification_texts.KIND_LABELS[kind],
                "fields": [self[name] for name in template_field_names(kind).values()],
            }
            for kind in notification_texts.TEMPLATE_KINDS
        ]

    def settings_data(self) -> dict:
        """What scheduling.services.notification_settings.notification_settings_save takes."""
        data = {name: self.cleaned_data[name] for name in self.SWITCHES}
        data["reminder_hours"] = self.cleaned_data["reminder_hours"]
        if self.cleaned_data["paperwork_reminder_hours"] is not None:
            data["paperwork_reminder_hours"] = self.cleaned_data["paperwork_reminder_hours"]
        data["templates"] = templates_from(self.cleaned_data)
        return data

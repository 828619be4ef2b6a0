"""The Earnings filter: a period (dates in the medspa's time zone) and, for the admin, one provider."""

from datetime import date

from django import forms
from django.http import QueryDict

from medspa.models import Medspa, Membership
from providers.selectors.earnings import DEFAULT_MONTHS, MAX_YEARS, Period, default_period, month_start
from scheduling.forms.settings import DateInput

FIRST_YEAR, LAST_YEAR = 1900, 2999
DATE_ERRORS = {"invalid": "Enter a real date, like 2026-03-31."}


class EarningsFilterForm(forms.Form):
    """Always bound (to the query string): a date left empty takes the default period's, so the form shows
    the period the page shows."""

    start = forms.DateField(label="From", required=False, widget=DateInput(), error_messages=DATE_ERRORS)
    end = forms.DateField(label="To", required=False, widget=DateInput(), error_messages=DATE_ERRORS)
    provider = forms.ModelChoiceField(
        queryset=Membership.objects.none(), required=False, empty_label="All providers"
    )

    def __init__(self, data: QueryDict, *, medspa: Medspa, with_provider: bool, today: date | None = None):
        self.medspa = medspa
        self.default = default_period(medspa, today=today)
        data = data.copy()
        if not data.get("start", "").strip():
            data["start"] = self.default.start.isoformat() if not data.get("end", "").strip() else ""
        if not data.get("end", "").strip():
            data["end"] = self.default.end.isoformat()
        super().__init__(data)
        self.fields["start"].help_text = f"Days in {medspa.time_zone} time, both included."
        if with_provider:
            self.fields["provider"].queryset = (
                Membership.objects.filter(medspa=medspa, is_provider=True)
                .select_related("user")
                .order_by("-is_active", "user__full_name", "user__email")
            )
            self.fields["provider"].label_from_instance = _provider_label
        else:
            del self.fields["provider"]

    def clean_start(self) -> date | None:
        return _plausible(self.cleaned_data["start"])

    def clean_end(self) -> date | None:
        return _plausible(self.cleaned_data["end"])

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if end is not None and start is None and "start" not in self.errors:
            start = cleaned["start"] = month_start(end, DEFAULT_MONTHS - 1)  # the 12 months up to `end`
            self.data["start"] = start.isoformat()  # shown in the form
        if start is not None and end is not None:
            if start > end:
                self.add_error("end", f"The period ends before it starts: pick a day on or after {start}.")
            elif (end.year - start.year) * 12 + end.month - start.month >= MAX_YEARS * 12:
                self.add_error("start", f"Choose a period of at most {MAX_YEARS} years.")
        return cleaned

    def period(self) -> Period:
        return Period(self.cleaned_data["start"], self.cleaned_data["end"], self.medspa.tz)

    def chosen_provider(self) -> Membership | None:
        return self.cleaned_data.get("provider") if "provider" in self.fields else None


def _plausible(day: date | None) -> date | None:
    if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise forms.ValidationError(f"Pick a day between {FIRST_YEAR} and {LAST_YEAR}.")
    return day


def _provider_label(membership: Membership) -> str:
    name = membership.user.get_full_name()
    return name if membership.is_active else f"{name} (no longer active)"


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m")


class StripeMonthForm(forms.Form):
    """The month of the Stripe reconciliation (the medspa's months); empty: the current one."""

    month = forms.DateField(
        label="Month",
        required=False,
        widget=MonthInput(),
        input_formats=["%Y-%m"],
        error_messages={"invalid": "Enter a month, like 2026-03."},
    )

    def __init__(self, data: QueryDict, *, medspa: Medspa, today: date | None = None):
        self.today = today or default_period(medspa).end
        data = data.copy()
        if not data.get("month", "").strip():
            data["month"] = f"{self.today:%Y-%m}"
        super().__init__(data)
        self.fields["month"].help_text = f"Days in {medspa.time_zone} time."

    def clean_month(self) -> date:
        month = _plausible(self.cleaned_data["month"])
        if month is None:
            raise forms.ValidationError("Enter a month, like 2026-03.")
        if month > month_start(self.today):
            raise forms.ValidationError("That month has not begun yet.")
        return month

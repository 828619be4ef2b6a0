"""The domain error base: every refusal a production app raises is a DomainError, which the API answers in
one exception handler (status and body as the API always gave them) and pages tell with `refusals`."""

import importlib
import inspect
import pkgutil
from types import SimpleNamespace

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import RequestFactory
from rest_framework.exceptions import NotFound
from rest_framework.settings import api_settings

from gfe.services.errors import ClearanceMissing, GfeRuleBroken
from medspa.api.errors import exception_handler
from medspa.errors import DomainError, refusals
from medspa.services.patient_import import ImportFileInvalid
from scheduling.services.booking import BookingInvalid, SlotUnavailable
from services_catalog.services.errors import ServiceRuleBroken
from tests.project import APPS

# Exceptions that are not a rule saying no to a person: nothing translates them into a message or a status.
NOT_DOMAIN = {
    "medspa.messaging.sms.SmsError": "the SMS provider did not take a message: a failure the task retries",
    "scheduling.selectors.notification_texts.UnknownKind": (
        "a notification kind no code sends: a programming error"
    ),
    "billing.services.plans.PlanMissing": "a medspa without a plan is a bug to fix, not a request to refuse",
    "scheduling.views.quick_book._BookedBefore": "the quick booking panel's own signal that its key booked "
    "already: it undoes the patient made meanwhile and answers that booking",
    "transition.services.base.LeaseLost": "a run whose lease another run took: it stops without recording",
    "transition.integrations.base.NotConfigured": "an integration without settings: recorded on the step",
    "transition.integrations.base.IntegrationError": "the vendor refused or did not answer: retried",
    "transition.integrations.acuity.PageFull": "Acuity filled its page (`max`): the window is read in halves",
    "medspa.database.CursorOutsideTransaction": "code that would break behind PgBouncer: a programming error",
    "medspa.pgtools.ToolMissing": "pg_dump, pg_restore or age not installed: the operator's to fix",
    "medspa.services.backups.BackupError": "a backup or restore that failed: logged for the operator",
    "medspa.services.backups.BackupNotConfigured": "no backup recipients: the operator's setting to make",
}


def production_exceptions() -> dict[str, type]:
    """Every exception class defined in a production app's modules (migrations and tests aside)."""
    found = {}
    for app in APPS:
        package = importlib.import_module(app)
        for module_info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in module_info.name or ".tests" in module_info.name:
                continue
            module = importlib.import_module(module_info.name)
            for value in vars(module).values():
                if (
                    inspect.isclass(value)
                    and issubclass(value, BaseException)
                    and value.__module__ == module_info.name
                ):
                    found[f"{value.__module__}.{value.__qualname__}"] = value
    return found


def test_every_exception_a_production_app_defines_is_a_domain_error_or_named_as_not_one():
    exceptions = production_exceptions()
    # The walk reaches the apps' modules:
    assert "scheduling.services.booking_errors.SlotUnavailable" in exceptions
    stray = sorted(name for name, cls in exceptions.items() if not issubclass(cls, DomainError))
    assert stray == sorted(NOT_DOMAIN)
    assert set(NOT_DOMAIN) <= set(exceptions)  # no stale entry


def test_the_api_translates_a_domain_error_in_its_exception_handler():
    assert api_settings.EXCEPTION_HANDLER is exception_handler


@pytest.mark.parametrize(
    "error, status, body",
    [
        (ServiceRuleBroken("No."), 400, {"detail": ["No."]}),
        (GfeRuleBroken("Not now."), 400, {"detail": ["Not now."]}),
        # The Scheduling API answers a refused booking with `detail` as a string, as it always has.
        (BookingInvalid("In the past."), 400, {"detail": "In the past."}),
        (SlotUnavailable(), 409, {"detail": "That time is no longer available: please choose another."}),
        (ImportFileInvalid("The file is empty."), 400, {"file": ["The file is empty."]}),
    ],
)
def test_a_domain_error_answers_its_status_and_body(error, status, body):
    response = exception_handler(error, {})
    assert (response.status_code, response.data) == (status, body)


def test_a_missing_clearance_is_a_409_naming_the_services_to_request():
    toxin = SimpleNamespace(pk=7, display_name="Toxin")
    response = exception_handler(ClearanceMissing([toxin]), {})
    assert response.status_code == 409
    assert response.data == {
        "detail": "No valid GFE clearance for Toxin: request a GFE for it first.",
        "missing": [7],
    }


def test_other_exceptions_are_left_to_drf():
    assert exception_handler(NotFound(), {}).status_code == 404
    assert exception_handler(ValueError("a bug"), {}) is None  # a 500, as before


def _request():
    request = RequestFactory().post("/")
    request._messages = CookieStorage(request)
    return request


class UploadForm(forms.Form):
    file = forms.CharField(required=False)


def test_a_refusal_on_a_page_is_an_error_message_and_the_view_goes_on():
    request = _request()
    with refusals(request) as refused:
        raise ServiceRuleBroken("That group is Portrait's.")
    assert refused and refused.message == "That group is Portrait's." and refused.status_code == 400
    assert [(m.level_tag, m.message) for m in get_messages(request)] == [
        ("error", "That group is Portrait's.")
    ]


def test_a_refusal_in_a_form_is_the_forms_error_or_its_fields():
    form = UploadForm(data={})
    assert form.is_valid()
    with refusals(form=form):
        raise GfeRuleBroken("Not now.")
    with refusals(form=form):
        raise ImportFileInvalid("The file is empty.")
    assert form.non_field_errors() == ["Not now."]
    assert form.errors["file"] == ["The file is empty."]


def test_a_refusal_without_request_or_form_is_kept_for_the_view_with_its_status():
    with refusals() as refused:
        raise SlotUnavailable()
    assert refused.status_code == 409 and "no longer available" in refused.message


def test_a_call_that_succeeds_is_no_refusal():
    request = _request()
    with refusals(request) as refused:
        pass
    assert not refused and refused.message == "" and list(get_messages(request)) == []


def test_an_exception_that_is_not_a_domain_error_goes_through():
    request = _request()
    with pytest.raises(ValueError), refusals(request):
        raise ValueError("a bug")
    assert list(get_messages(request)) == []

"""The one way apps plug into the apps below them: a registry the lower app reads, filled by the higher apps
from their AppConfig.ready."""

from billing.services.plans import plan_follow
from gfe.selectors.intake import INTAKE_ANSWERS
from gfe.services.clearances import BOOKED_SERVICES
from inventory_orders.services.cart import carts_follow_plan
from medspa.plan_changes import PLAN_FOLLOWERS
from medspa.registry import Registry
from medspa.search import SEARCH
from medspa.selectors.patients import PROVIDER_PATIENT_LINKS
from medspa.services.onboarding import STEPS
from medspa.views.panels import ACCOUNT_SETTINGS, ADMIN_TODAY, ADMIN_TODO, PATIENT
from providers.selectors.patients import visit_link
from scheduling.selectors.intake_answers import answered_forms
from scheduling.selectors.patient_appointments import appointment_link, booked_services


def test_entries_are_read_in_their_order_then_in_the_order_they_came():
    registry = Registry("tests", order=lambda entry: entry[0])
    for entry in [(20, "b"), (10, "a"), (20, "c"), (0, "first")]:
        registry.register(entry)
    assert [name for _, name in registry] == ["first", "a", "b", "c"]
    assert len(registry) == 4


def test_without_an_order_entries_are_read_as_they_came_and_register_returns_the_entry():
    registry = Registry("tests")

    @registry.register
    def one():
        return 1

    registry.register(two := lambda: 2)
    assert list(registry) == [one, two] and one() == 1


def test_the_apps_filled_each_registry_once_in_their_ready():
    assert [panel.template for panel in PATIENT] == [
        "gfe/_patient_clearances.html",
        "scheduling/_patient_appointments.html",
        "scheduling/_patient_paperwork.html",
        "providers/panels/_visits.html",
        "medspa/patients/_card_panel.html",
        "providers/panels/_consents_and_messages.html",
    ]
    assert [panel.template for panel in ACCOUNT_SETTINGS] == [
        "transition/_account_settings.html",
        "medspa/_account_settings_payments.html",
        "billing/_account_settings.html",
    ]
    assert [panel.template for panel in ADMIN_TODO] == ["scheduling/_admin_todo_paperwork.html"]
    assert [panel.template for panel in ADMIN_TODAY] == [
        "scheduling/_admin_today.html",
        "gfe/_admin_today.html",
        "providers/earnings/_today.html",
    ]
    assert list(PROVIDER_PATIENT_LINKS) == [appointment_link, visit_link]
    assert list(BOOKED_SERVICES) == [booked_services]
    assert list(INTAKE_ANSWERS) == [answered_forms]
    assert list(PLAN_FOLLOWERS) == [carts_follow_plan, plan_follow]  # INSTALLED_APPS' order
    # The top bar's search: each dashboard's kinds, in order (a coordinator's patients open the booking form).
    assert [(source.key, sorted(source.dashboards)) for source in SEARCH] == [
        ("patients", ["admin", "provider"]),
        ("patients", ["coordinator"]),
        ("appointments", ["admin", "coordinator"]),
        ("appointments", ["provider"]),
        ("orders", ["admin"]),
    ]
    keys = [step.key for step in STEPS]
    assert len(keys) == len(set(keys)) == 8
    assert [step.order for step in STEPS] == sorted(step.order for step in STEPS)

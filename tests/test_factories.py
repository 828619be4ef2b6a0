"""Every concrete model of the project's apps has a factory that saves a valid row: a new model without one
fails here. History event models (pghistory) and the through tables Django makes are left out."""

import pghistory.models
import pytest
from django.apps import apps
from django_scopes import scopes_disabled

import billing.tests.factories
import gfe.tests.factories
import inventory_orders.tests.factories
import medspa.tests.factories
import providers.tests.factories
import scheduling.tests.factories
import services_catalog.tests.factories
import transition.tests.factories
from tests import factories
from tests.project import APPS

FACTORY_MODULES = [
    factories,
    medspa.tests.factories,
    services_catalog.tests.factories,
    gfe.tests.factories,
    scheduling.tests.factories,
    providers.tests.factories,
    inventory_orders.tests.factories,
    billing.tests.factories,
    transition.tests.factories,
]


def concrete_models():
    return [
        model
        for app in APPS
        for model in apps.get_app_config(app).get_models()
        if not model._meta.auto_created and not issubclass(model, pghistory.models.Event)
    ]


def factory_of():
    found = {}
    for module in FACTORY_MODULES:
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, factories.TenantFactory):
                model = value._meta.model
                if model is not None and value.__module__ == module.__name__:
                    found[model] = value
    return found


def test_every_concrete_model_has_a_factory():
    missing = sorted(model._meta.label for model in concrete_models() if model not in factory_of())
    assert missing == []


@pytest.mark.usefixtures("media_and_sms")
@pytest.mark.parametrize("model", concrete_models(), ids=lambda model: model._meta.label)
def test_the_factory_saves_a_valid_row(db, model):
    row = factory_of()[model]()
    assert row.pk is not None
    with scopes_disabled():  # the check reads the row's relations, whatever medspa they are in
        saved = model._base_manager.get(pk=row.pk)
        saved.full_clean()
        medspas = {
            getattr(saved, field.attname)
            for field in model._meta.concrete_fields
            if field.is_relation and field.related_model._meta.label == "medspa.Medspa"
        }
        medspas |= {
            getattr(related, "medspa_id", None)
            for field in model._meta.concrete_fields
            if field.is_relation
            and field.related_model._meta.label != "medspa.Medspa"
            and (related := getattr(saved, field.name)) is not None
            and getattr(related, "medspa_id", None) is not None
        }
    assert len(medspas - {None}) <= 1, f"{model._meta.label}: its relations span medspas {medspas}"

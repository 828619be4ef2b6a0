"""The uploaded files the database refers to, for moving them between storages (media_to_bucket)."""

import pghistory.models
from django.apps import apps
from django.db.models import FileField
from django_scopes import scopes_disabled


def media_referenced() -> dict[str, str]:
    """Every stored file name a row refers to, in every medspa, with the first model field naming it
    ("providers.VisitPhoto.image"), sorted by name. The write audit's events are left out: a removed
    photo's delete event names a file that is gone on purpose."""
    found: dict[str, str] = {}
    for model in apps.get_models():
        if model._meta.proxy or issubclass(model, pghistory.models.Event):
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, FileField):
                continue
            with scopes_disabled():
                names = (
                    model._base_manager.exclude(**{field.attname: ""})
                    .exclude(**{f"{field.attname}__isnull": True})
                    .values_list(field.attname, flat=True)
                    .distinct()
                )
                for name in names.iterator():
                    found.setdefault(name, f"{model._meta.label}.{field.name}")
    return dict(sorted(found.items()))

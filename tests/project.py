"""What the tests that span the project walk over: its apps, the core first, in INSTALLED_APPS's order.

An app of the project is one whose package sits at the repository's root; neither devtools (commands only:
demo data and benchmarks) nor the tests' own app (the test settings' commands) is one of the product's."""

from pathlib import Path

from django.apps import apps
from django.conf import settings

APPS = [
    config.name
    for config in apps.get_app_configs()
    if Path(config.path).parent == Path(settings.BASE_DIR) and config.name not in {"devtools", "tests"}
]

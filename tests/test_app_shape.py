"""Every app has the same tree, so a newcomer can predict where a thing lives (README, "Where things live").

models/ (the tables), services/ (what writes), selectors/ (what reads), views/ (pages), forms/, urls/,
api/ where the app has a REST API, tasks.py where it has Celery jobs, and no module over 500 lines outside
migrations and tests."""

from pathlib import Path

import pytest

from tests.project import APPS

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["models", "services", "selectors", "views", "forms", "urls", "tests", "migrations", "templates"]
MODULES = ["__init__.py", "apps.py", "admin.py"]
# What else an app may hold at its top: the app's optional parts, in the same names everywhere.
OPTIONAL = {"api", "tasks.py", "management", "templatetags", "data", "integrations", "static"}
# The core is also the project's plumbing, used by every app: settings, Celery, messaging, money, clock...
CORE_PLUMBING = {
    "adapters.py",
    "audit_chain.py",
    "beat_schedule.py",
    "cache.py",
    "celery.py",
    "celery_health.py",
    "clock.py",
    "context_processors.py",
    "dashboards.py",
    "db_router.py",
    "database.py",
    "embedded.py",
    "env.py",
    "file_storages.py",
    "errors.py",
    "files.py",
    "fonts",
    "health.py",
    "http.py",
    "images.py",
    "logs.py",
    "messaging",
    "middleware.py",
    "money.py",
    "observability.py",
    "once.py",
    "patient_match.py",
    "payments",
    "pdf.py",
    "permissions.py",
    "pgtools.py",
    "plan_changes.py",
    "registry.py",
    "rows.py",
    "search.py",
    "settings.py",
    "signals.py",
    "tenancy.py",
    "timezones.py",
    "validators.py",
    "wsgi.py",
}
LIMIT = 500


def entries(app):
    return {p.name for p in (ROOT / app).iterdir() if p.name != "__pycache__"}


@pytest.mark.parametrize("app", APPS)
def test_every_app_has_the_same_tree(app):
    names = entries(app)
    missing = [name for name in PACKAGES + MODULES if name not in names]
    assert not missing, f"{app} lacks {missing}"
    allowed = set(PACKAGES) | set(MODULES) | OPTIONAL | (CORE_PLUMBING if app == "medspa" else set())
    assert sorted(names - allowed) == [], f"{app} has modules outside the shared tree"


@pytest.mark.parametrize("app", APPS)
def test_an_api_lives_in_api(app):
    names = entries(app)
    has_api_urls = (ROOT / app / "urls" / "api.py").exists()
    assert ("api" in names) == has_api_urls or app == "medspa", f"{app}: an API's views belong in api/"


def test_no_module_is_over_500_lines():
    long = []
    for app in APPS + ["devtools"]:
        for path in (ROOT / app).rglob("*.py"):
            parts = path.relative_to(ROOT).parts
            if "migrations" in parts or "tests" in parts:
                continue
            lines = path.read_text().count("\n")
            if lines > LIMIT:
                long.append(f"{path.relative_to(ROOT)}: {lines}")
    assert long == []


@pytest.mark.parametrize("app", APPS)
def test_packages_init_files_hold_no_code_but_the_models(app):
    """Importers name the module (scheduling.services.booking), so a package's __init__ re-exports nothing."""
    for package in ["services", "selectors", "views", "forms"]:
        init = ROOT / app / package / "__init__.py"
        if init.exists():
            code = [
                line for line in init.read_text().splitlines() if line.strip() and not line.startswith("#")
            ]
            assert not code or code[0].startswith('"""') and len(code) <= 3, (
                f"{init.relative_to(ROOT)} holds code"
            )

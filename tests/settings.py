"""The test overlay: the product's settings with a separate embedded database (unless DATABASE_URL is set),
production-like security except plain-HTTP cookies for the live test server, and fast password hashing.

The database roles: DATABASE_URL (when set) names a superuser here, as does the embedded server's own. The
harness (tests/fixtures.py) uses it to make the test database's owner and app roles, creates and migrates
the test database as the owner, runs the tests as the app role, and flushes between transactional tests as
the superuser with triggers off (tests/management/commands/flush.py), as the product itself never may."""

import os
from pathlib import Path

from medspa.env import env_bool

_ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("EMBEDDED_PGDATA", str(_ROOT / ".data" / "postgres-test"))
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ["DEBUG"] = "false"
# Stripe is set up only by the tests that use it (the stripe_local fixture), whatever the environment says.
for _name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_LOCAL_URL", "STRIPE_WEBHOOK_SECRET"):
    os.environ.pop(_name, None)

# The app role's connections go through a PgBouncer in transaction mode that the tests start
# (tests/pgbouncer.py), with the product's settings for it; TEST_PGBOUNCER=0 connects straight to PostgreSQL.
if env_bool("TEST_PGBOUNCER", True):
    os.environ["DATABASE_PGBOUNCER"] = "true"

from medspa import database  # noqa: E402
from medspa.settings import *  # noqa: E402,F403

if DATABASE_URL:  # noqa: F405
    _superuser = {"USER": DATABASES["default"]["USER"], "PASSWORD": DATABASES["default"]["PASSWORD"]}  # noqa: F405
    # Roles belong to the whole server: named after the test database, so test runs on other databases
    # (other checkouts sharing the server) never share them.
    _roles = f"test_{DATABASES['default']['NAME']}"  # noqa: F405
    DATABASE_ROLES = {
        "owner": {"USER": f"{_roles}_owner", "PASSWORD": "medspa-tests"},
        "app": {"USER": f"{_roles}_app", "PASSWORD": "medspa-tests"},
    }
else:
    _superuser = {"USER": "postgres", "PASSWORD": ""}
DATABASE_ROLES = {**DATABASE_ROLES, "superuser": _superuser}  # noqa: F405
DATABASES["default"].update(_superuser)  # noqa: F405 (until the harness switches to the app role)
# The replica: the test database itself through a second connection (Django's TEST MIRROR), which sees only
# committed rows. Reads go there only in the tests that ask (tests/test_replica.py's `replica`
# fixture, with transactional_db); elsewhere the opted-in pages read the primary, as without a replica.
DATABASES["replica"] = database.replica_entry(DATABASES["default"])  # noqa: F405
DATABASE_REPLICA_READS = False
INSTALLED_APPS = [*INSTALLED_APPS, "tests"]  # noqa: F405 (its flush command)

SECURE_SSL_REDIRECT = False  # the test client and the live server speak plain HTTP
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
# The test client builds the middleware afresh for every Client(), and WhiteNoise's start-up lists every
# static file through the finders (a seventh of a page test's time): with autorefresh it finds each file
# when asked instead. Its headers are the same (max-age follows DEBUG, off here, as in production).
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = DATA_DIR / "staticfiles-test"  # noqa: F405 (whitenoise wants the folder; finders serve)
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

# A queue of the tests' own, so that a worker of `make run` never takes the tests' messages (and back).
CELERY_TASK_DEFAULT_QUEUE = "medspa-tests"
# Texts of a medspa without its own number come from this development fallback; a test about a medspa
# that has none clears it.
SMS_FROM = "+16195550100"

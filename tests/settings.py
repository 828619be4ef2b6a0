"""The test overlay: the product's settings with a separate embedded database (unless DATABASE_URL is set),
production-like security except plain-HTTP cookies for the live test server, and fast password hashing."""

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("EMBEDDED_PGDATA", str(_ROOT / ".data" / "postgres-test"))
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ["DEBUG"] = "false"

from medspa.settings import *  # noqa: E402,F403

SECURE_SSL_REDIRECT = False  # the test client and the live server speak plain HTTP
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = DATA_DIR / "staticfiles-test"  # noqa: F405 (whitenoise wants the folder; finders serve)
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

# A queue of the tests' own, so that a worker of `make run` never takes the tests' messages (and back).
CELERY_TASK_DEFAULT_QUEUE = "medspa-tests"

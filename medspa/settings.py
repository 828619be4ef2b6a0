"""The one settings module. Everything that differs between machines comes from the environment through
the typed readers in medspa.env; with nothing configured, the product runs on embedded defaults
(an embedded PostgreSQL and a file-system Celery broker under .data/)."""

from datetime import timedelta
from pathlib import Path

import dj_database_url
import pghistory
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from medspa import database, embedded, env, logs, observability
from medspa.beat_schedule import BEAT_SCHEDULE
from medspa.cache import redis_cache
from medspa.env import env_bool, env_float, env_int, env_list, env_secret, env_str, filesystem_broker_options
from medspa.file_storages import file_storages

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / ".data")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if env_secret("DATABASE_URL"):
        # A configured deployment must bring its own key; only the embedded local set-up makes one.
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set.")
    SECRET_KEY = embedded.local_secret_key(DATA_DIR / "secret_key")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sites",
    "django_htmx",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "hijack",
    "pgtrigger",
    "pghistory",
    "phonenumber_field",
    "medspa",
    "services_catalog",
    "gfe",
    "scheduling",
    "providers",
    "inventory_orders",
    "transition",
    "billing",
    # Demo data and benchmarks (commands only: no models, URLs or receivers). Always installed, so that
    # `seed_demo` and `demo_logins` work in `make run`, and the tests and `make bench` find theirs.
    "devtools",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "medspa.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "medspa.db_router.ReplicaSticky",  # after a write, the user reads the primary for a while
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hijack.middleware.HijackUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "medspa.middleware.SessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "medspa.middleware.TenantMiddleware",
    "medspa.middleware.LocalTimeMiddleware",
    "medspa.middleware.MFARequiredMiddleware",
    "medspa.middleware.AuditContextMiddleware",
]

ROOT_URLCONF = "medspa.urls"
WSGI_APPLICATION = "medspa.wsgi.application"
AUTH_USER_MODEL = "medspa.User"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "medspa.context_processors.tenant",
            ],
            "builtins": ["medspa.templatetags.money", "medspa.templatetags.phones"],
        },
    },
]

# --- Database: PostgreSQL only (exclusion constraints, triggers). ------------------------------------------
# Two roles (medspa.database): DATABASE_URL is the app role the web and the workers use; DATABASE_OWNER_URL
# is the owner role that `migrate` and `createcachetable` use (the same database, another user). Without
# DATABASE_OWNER_URL, one role does both (no split). The embedded PostgreSQL makes both roles itself.
DATABASE_URL = env_secret("DATABASE_URL")
DATABASE_PGBOUNCER = env_bool("DATABASE_PGBOUNCER", False)  # PgBouncer, transaction mode: docs/operations.md
_owner_server: dict = {}  # the owner's HOST and PORT when they differ (medspa.database switches them too)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_health_checks=True)}
    if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...).")
    _owner = dj_database_url.parse(env_secret("DATABASE_OWNER_URL") or DATABASE_URL)
    if any(_owner[key] != DATABASES["default"][key] for key in ("NAME", "HOST", "PORT")):
        if not DATABASE_PGBOUNCER or _owner["NAME"] != DATABASES["default"]["NAME"]:
            raise ImproperlyConfigured("DATABASE_OWNER_URL must name the same database as DATABASE_URL.")
        _owner_server = {"HOST": _owner["HOST"], "PORT": _owner["PORT"]}
else:
    EMBEDDED_PGDATA = Path(env_str("EMBEDDED_PGDATA", str(DATA_DIR / "postgres")))
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            **embedded.database_settings(EMBEDDED_PGDATA, env_str("EMBEDDED_DATABASE_NAME", "medspa")),
        }
    }
    _owner = {"USER": embedded.OWNER_ROLE, "PASSWORD": ""}
DATABASE_ROLES = {
    "app": {"USER": DATABASES["default"]["USER"], "PASSWORD": DATABASES["default"].get("PASSWORD", "")},
    "owner": {"USER": _owner["USER"], "PASSWORD": _owner.get("PASSWORD", ""), **_owner_server},
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
_options = DATABASES["default"].setdefault("OPTIONS", {})
if env_bool("DATABASE_POOL", False):
    # psycopg 3's connection pool (one per process, to PgBouncer too); incompatible with CONN_MAX_AGE.
    _options["pool"] = {"min_size": 1, "max_size": env_int("DATABASE_POOL_MAX", 10)}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASE_PGBOUNCER:  # no server-side prepared statements (Django's default, pinned against an override)
    _options["prepare_threshold"] = None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Read replica (docs/operations.md#read-replica): DATABASE_REPLICA_URL, a standby read like the primary.
DATABASES.update(database.replica_settings(env_secret("DATABASE_REPLICA_URL"), DATABASES["default"]))
DATABASE_REPLICA_READS = env_bool("DATABASE_REPLICA_READS", True)  # false: its pages read the primary again
DATABASE_ROUTERS = ["medspa.db_router.ReplicaRouter"]
REPLICA_STICKY_SECONDS = env_int("REPLICA_STICKY_SECONDS", 5, minimum=0)  # after a write, the user's reads

# --- Redis: cache and Celery broker when configured; otherwise the database cache and a folder broker. ---
# REDIS_URL alone serves both; a fleet gives each its own database (REDIS_CACHE_URL, CELERY_BROKER_URL: /0 and
# /1 under compose), so that a FLUSHDB to clear the cache never drops queued tasks (the system check
# medspa.celery_health.cache_and_broker_apart warns otherwise). Redis evicts from every database of an
# instance alike: under maxmemory, volatile-lru (the cache's keys expire, the broker's do not) or noeviction.
# The Redis cache answers a safe default when Redis is down (medspa.cache), each call bounded by this timeout.
REDIS_URL = env_secret("REDIS_URL")
REDIS_CACHE_URL = env_secret("REDIS_CACHE_URL") or REDIS_URL
CACHE_SOCKET_TIMEOUT_MS = env_int("CACHE_SOCKET_TIMEOUT_MS", 500, minimum=50)
if REDIS_CACHE_URL:
    CACHES = {"default": redis_cache(REDIS_CACHE_URL, socket_timeout=CACHE_SOCKET_TIMEOUT_MS / 1000)}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache_table"}
    }

# Celery's time limits: a task past the soft limit gets SoftTimeLimitExceeded (the long ones stop cleanly and
# keep what they did, transition.services.runner), past the hard limit its process is killed and replaced.
# Every task stays within them (tests/test_celery_settings.py): a worker's stop grace period longer than the
# hard limit (compose: 660 s) lets a deploy's warm shutdown finish every running task.
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 600, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 540, minimum=1)
if CELERY_TASK_SOFT_TIME_LIMIT >= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"CELERY_TASK_SOFT_TIME_LIMIT={CELERY_TASK_SOFT_TIME_LIMIT} must be below "
        f"CELERY_TASK_TIME_LIMIT={CELERY_TASK_TIME_LIMIT}: the soft limit lets a task stop cleanly first."
    )
# The Redis broker. A task Redis handed to a worker that never acked it (acks_late: a worker killed with
# SIGKILL, a machine lost) goes to a worker again once the visibility timeout has passed since it was handed
# out (a warm shutdown gives its tasks back at once). Celery's Redis caveats
# (https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html#caveats): it must
# exceed the longest ETA (countdowns and retry waits, held by the worker until due, unacked) and the longest
# run, or the task runs again; and the longer it is, the later a killed worker's tasks come back (Redis'
# default, an hour, left a reschedule notice or a GFE request an hour late). Our longest wait is 10 minutes,
# the cap of a retry's backoff, and the longest run the hard time limit, 10 minutes (tests/test_settings.py
# checks both): 15 minutes leaves a retried task 5 minutes to run, and a task run at once its full limit.
# A running worker looks for such tasks every unacked_restore_interval (10 s) times unacked_restore_throttle
# (kombu.transport.redis; 10 by default, 100 s in all): 1 makes it every 10 s, one small Redis query.
REDIS_BROKER_OPTIONS = {"visibility_timeout": 15 * 60, "unacked_restore_throttle": 1}
CELERY_BROKER_URL = env_secret("CELERY_BROKER_URL") or REDIS_URL
if CELERY_BROKER_URL.startswith(("redis://", "rediss://", "redis+socket://")):
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = dict(REDIS_BROKER_OPTIONS)
elif CELERY_BROKER_URL in ("", "filesystem://"):
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(DATA_DIR / "celery")
else:  # another transport kombu knows (amqp://...): its own defaults
    CELERY_BROKER_TRANSPORT_OPTIONS = {}

CELERY_TASK_IGNORE_RESULT = True
# A task is acked once it has run, and given back when its worker process dies under it (SIGKILL, the OOM
# killer): delivered again, it does its work once (every task is at-least-once safe). One killed at the hard
# time limit is acked as failed (task_acks_on_failure_or_timeout), not run again and again: what it owed is
# found by its sweep (a row owed past its lease, a transition step past its lease).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = "UTC"
# Beat: its scheduler touches CELERY_BEAT_HEARTBEAT_FILE on every tick (`manage.py celery_health beat`), and
# ticks at least once a minute, so the file is never older than that while beat runs.
CELERY_BEAT_SCHEDULER = "medspa.celery_health:HeartbeatScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = 60
CELERY_BEAT_HEARTBEAT_FILE = Path(
    env_str("CELERY_BEAT_HEARTBEAT_FILE", str(DATA_DIR / "celerybeat-heartbeat"))
)
# Beat's jobs and their times (hourly and daily ones at fixed UTC times: medspa.beat_schedule).
CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE

# --- Accounts, sessions, MFA. ---------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "medspa.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": env_str("LOGIN_FAILED_RATE_LIMIT", "10/m/ip,5/5m/key"),
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Portrait medspa] "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# The new address of an email change stays unverified (and unused for sign-in) until its link is opened.
MFA_ALLOW_UNVERIFIED_EMAIL = True
MFA_TOTP_TOLERANCE = 1  # one 30-second step either side, for clocks that drift (RFC 6238)
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "Portrait medspa")
MFA_RATE_LIMITS = {"mfa_authenticate": "10/m/ip,5/m/key"}

# Masquerade (django-hijack): our rule, our banner (templates/medspa/_masquerade_banner.html), our views.
HIJACK_PERMISSION_CHECK = "medspa.selectors.masquerade.can_masquerade"
HIJACK_INSERT_BEFORE = None

SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 15 * 60, minimum=60)
SESSION_MAX_AGE = env_int("SESSION_MAX_AGE", 12 * 60 * 60, minimum=300)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT  # renewed on every request: an idle timeout
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Security. Production (DEBUG off) passes `check --deploy --fail-level WARNING`. -----------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^(healthz|livez|readyz)$"]  # health checks speak plain HTTP
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env_bool("BEHIND_TLS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies of ours stand in front of the app, each appending the address it was connected from to
# X-Forwarded-For (0: none; the connection's address is the client's and X-Forwarded-For is ignored). The
# one number from which medspa.http.client_ip, allauth's sign-in rate limits and DRF's throttles take the
# client: entries a client writes itself, left of our proxies', are never believed.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT  # what allauth reads itself (AccountAdapter asks client_ip)
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- Internationalisation, static, media. -----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media/"  # never served publicly: files go through views that check permissions
# Uploads and backups: folders by default, a private encrypted S3 bucket when S3_BUCKET is set.
S3_BUCKET = env_str("S3_BUCKET")
STORAGES.update(file_storages(DATA_DIR, S3_BUCKET))
BACKUP_AGE_RECIPIENTS = env.env_recipients("BACKUP_AGE_RECIPIENTS")  # age public keys (services.backups)
BACKUP_AGE_IDENTITY_FILE = env_str("BACKUP_AGE_IDENTITY_FILE")  # only where backups are restored
BACKUP_DATABASE_URL = env_secret("BACKUP_DATABASE_URL")  # PostgreSQL itself, not PgBouncer
BACKUP_KEEP_DAILY = env_int("BACKUP_KEEP_DAILY", 7, minimum=1)
BACKUP_KEEP_WEEKLY = env_int("BACKUP_KEEP_WEEKLY", 4, minimum=0)
BACKUP_KEEP_MONTHLY = env_int("BACKUP_KEEP_MONTHLY", 12, minimum=0)

# --- Email: the console by default, SMTP (or any backend) when configured. -------------------------------
_email_backend = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
MAILERS = {"default": {"BACKEND": _email_backend}}
if _email_backend.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 587),
        "username": env_str("EMAIL_HOST_USER"),
        "password": env_secret("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", True),
        "timeout": env_int("EMAIL_TIMEOUT", 10),
    }
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Portrait medspa <no-reply@localhost>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)  # the sender of errors mailed to ADMINS
ADMINS = logs.admins_from(env_str("ADMINS"))  # "Name <a@example.com>, Name2 <c@example.com>"

# --- SMS: the console by default; Twilio when its account is configured (docs/texting.md). ---------------
# Each medspa texts from its own number (Medspa.sms_number); SMS_FROM is a development fallback only, for a
# medspa that has none (empty in production: such a medspa's texts fail, and say why, on the To-Do).
SMS_FROM = env_str("SMS_FROM", "")
SMS_FILE_PATH = env_str("SMS_FILE_PATH", str(DATA_DIR / "sms.jsonl"))
SMS_TIMEOUT = env_int("SMS_TIMEOUT", 10, minimum=1)
# Twilio (Programmable Messaging): the account whose numbers the medspas text from. TWILIO_API_URL is for
# tests and a loopback double only; the product talks to https://api.twilio.com.
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_secret("TWILIO_AUTH_TOKEN")
TWILIO_API_URL = env_str("TWILIO_API_URL", "https://api.twilio.com")
SMS_BACKEND = env_str(
    "SMS_BACKEND",
    "medspa.messaging.sms.TwilioSmsBackend"
    if TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN
    else "medspa.messaging.sms.ConsoleSmsBackend",
)
# Phone numbers are stored in E.164; a number typed without a country code is read as a US number.
PHONENUMBER_DEFAULT_REGION = env_str("PHONENUMBER_DEFAULT_REGION", "US")
PHONENUMBER_DB_FORMAT = "E164"

# --- Payments: Stripe (docs/payments.md). Portrait is the platform; each medspa that connects its own
# Stripe account (Connect) is the merchant of its patients' payments; Portrait's monthly bills are charged
# on the platform account. No key: checkout records cards taken on the medspa's own terminal, as before.
# STRIPE_API_URL and STRIPE_JS_URL are for the local Stripe-compatible server only (devtools.stripe_local):
# a development run (DEBUG) without a key uses it on loopback, where no money moves.
STRIPE_SECRET_KEY = env_secret("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env_secret("STRIPE_WEBHOOK_SECRET")  # the platform's endpoint: /webhooks/stripe/
STRIPE_CONNECT_WEBHOOK_SECRET = env_secret("STRIPE_CONNECT_WEBHOOK_SECRET")  # /webhooks/stripe/connect/
STRIPE_API_URL = env_str("STRIPE_API_URL", "https://api.stripe.com")
STRIPE_JS_URL = env_str("STRIPE_JS_URL", "https://js.stripe.com/v3/")
STRIPE_CURRENCY = "usd"
# The local server stands in only where no money can be meant: a DEBUG run without a real key.
STRIPE_LOCAL_URL = (
    "" if STRIPE_SECRET_KEY else env_str("STRIPE_LOCAL_URL", "http://127.0.0.1:8420" if DEBUG else "")
)
if STRIPE_LOCAL_URL and not DEBUG:
    raise ImproperlyConfigured(
        "STRIPE_LOCAL_URL (the local Stripe server) is for development runs (DEBUG) only."
    )
if STRIPE_LOCAL_URL:
    STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY = "sk_test_local", "pk_test_local"
    STRIPE_WEBHOOK_SECRET = STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_local"
    STRIPE_API_URL, STRIPE_JS_URL = STRIPE_LOCAL_URL, f"{STRIPE_LOCAL_URL}/js.stripe.com/v3/"
# The pages that use Stripe.js add Stripe's origins to the CSP themselves (medspa.payments.csp); every
# other page names no other origin.

# --- Legacy-tool integrations (transition/integrations): empty URL or key = "not configured", and the
# deprovisioning step then waits for a staff user to mark it done by hand. Keys also accept NAME_FILE.
OPENPHONE_API_URL = env_str("OPENPHONE_API_URL")  # e.g. https://api.openphone.com/v1
OPENPHONE_API_KEY = env_secret("OPENPHONE_API_KEY")
TIGERCONNECT_API_URL = env_str("TIGERCONNECT_API_URL")  # e.g. https://api.tigertext.me
TIGERCONNECT_API_KEY = env_secret("TIGERCONNECT_API_KEY")
TIGERCONNECT_API_SECRET = env_secret("TIGERCONNECT_API_SECRET")
TIGERCONNECT_ORGANIZATION_KEY = env_str("TIGERCONNECT_ORGANIZATION_KEY")  # sent as TT-X-Organization-Key
ACUITY_API_URL = env_str("ACUITY_API_URL")  # e.g. https://acuityscheduling.com/api/v1
ACUITY_USER_ID = env_str("ACUITY_USER_ID")
ACUITY_API_KEY = env_secret("ACUITY_API_KEY")
# OpenPhone's public API cannot move a number between workspaces: its support does, on written confirmation.
# The transition emails them from Portrait's support address, naming Portrait's workspace.
PORTRAIT_SUPPORT_EMAIL = env_str("PORTRAIT_SUPPORT_EMAIL", "Portrait support <support@localhost>")
OPENPHONE_SUPPORT_EMAIL = env_str("OPENPHONE_SUPPORT_EMAIL", "support@openphone.com")
OPENPHONE_WORKSPACE = env_str("OPENPHONE_WORKSPACE", "Portrait")
INTEGRATION_TIMEOUT_SECONDS = env_int("INTEGRATION_TIMEOUT_SECONDS", 10, minimum=1)  # per attempt
INTEGRATION_MAX_ATTEMPTS = env_int("INTEGRATION_MAX_ATTEMPTS", 3, minimum=1)
INTEGRATION_BACKOFF_SECONDS = env_int("INTEGRATION_BACKOFF_SECONDS", 1, minimum=0)  # doubles per retry
INTEGRATION_RETRY_AFTER_CAP_SECONDS = env_int("INTEGRATION_RETRY_AFTER_CAP_SECONDS", 30, minimum=0)

# --- API. -----------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "medspa.api.auth.ApiTokenAuthentication",  # a refused token answers 401 (TenantAPIMixin)
    ],
    "DEFAULT_PERMISSION_CLASSES": ["medspa.api.permissions.IsMedspaMember"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "medspa.api.schema.ApiAutoSchema",  # drf-spectacular, with the errors
    "EXCEPTION_HANDLER": "medspa.api.errors.exception_handler",  # a service's DomainError: its status, body
    # Per client address (medspa.http.client_ip) when signed out, per user when signed in; a cache that is
    # down lets requests through (medspa.api.throttling).
    "DEFAULT_THROTTLE_CLASSES": ["medspa.api.throttling.AnonThrottle", "medspa.api.throttling.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "600/min"},
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,  # for any DRF code that asks itself; our throttles ask client_ip
}
# API tokens (django-rest-knox): stored as a SHA-512 hash, made in Django admin and shown once, expiring
# API_TOKEN_TTL_DAYS after they are made (never renewed by use), their last use recorded.
KNOX_TOKEN_MODEL = "medspa.ApiToken"
# knox's own model is swapped out; its migrations would still make its table, unused and holding a key to
# the users (which blocks the flush of transactional tests).
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_MODEL": KNOX_TOKEN_MODEL,
    "TOKEN_TTL": timedelta(days=env_int("API_TOKEN_TTL_DAYS", 30, minimum=1)),
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Portrait medspa API",
    "DESCRIPTION": "The medspa EHR and admin portal's API. Every list is confined to your medspa.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

# --- Audit (django-pghistory): context stored in every event row, events append-only. --------------------
# Denormalised context: each event row carries who / on whose behalf / medspa / IP / request id, and no
# shared context row is ever updated, so the audit tables can refuse UPDATE and DELETE outright.
PGHISTORY_CONTEXT_FIELD = pghistory.ContextJSONField()
PGHISTORY_APPEND_ONLY = True
PGHISTORY_MIDDLEWARE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

# --- Operations (docs/operations.md): Sentry when SENTRY_DSN is set (medspa.observability scrubs patients'
# data first); log lines and errors mailed to ADMINS (only without Sentry: one alert, not two) in medspa.logs.
SENTRY_DSN = env_secret("SENTRY_DSN")
if SENTRY_DSN:
    _traces = env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0, minimum=0.0, maximum=1.0)
    observability.sentry_init(SENTRY_DSN, env_str("SENTRY_ENVIRONMENT"), env_str("SENTRY_RELEASE"), _traces)
_log_format, _log_level = env_str("LOG_FORMAT", "plain" if DEBUG else "json"), env_str("LOG_LEVEL", "INFO")
LOGGING = logs.logging_config(_log_format, _log_level, email_admins=bool(ADMINS) and not SENTRY_DSN)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # the worker logs through LOGGING too

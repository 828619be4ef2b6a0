"""Error tracking with Sentry (sentry-sdk, its Django and Celery integrations), off unless SENTRY_DSN is set,
and what is kept of an error before it leaves: no patient's data ever does.

Two layers. The SDK is told to collect nothing personal (sentry-sdk 3's `data_collection` option, which
replaced `send_default_pii`: https://docs.sentry.io/platforms/python/configuration/options/#data_collection,
https://develop.sentry.dev/sdk/foundations/client/data-collection/). Then every event, breadcrumb and span
passes through the scrubbers below (`before_send`, `before_breadcrumb`, `before_send_span`:
https://docs.sentry.io/platforms/python/data-management/sensitive-data/), which keep only an allowlist, so
that a field a future SDK starts sending is dropped rather than sent.

What an error keeps: the exception's type and module, the stack (file, function, line and the source lines
around it), the request's method and path (long secret-link tokens in the path replaced), a few harmless
headers (ALLOWED_HEADERS), the log message's template without its arguments, the environment and release,
and our own ids: request id, medspa id, user id, Celery task id and name. What it loses: the exception's
message (a database error repeats the row's values, a ValueError the text typed in), local variables,
request bodies, query strings, cookies, every other header (Authorization, API tokens, the client's address),
the user's name and email, task arguments, SQL parameters."""

import logging
import re
from typing import Any

from medspa import logs

FILTERED = logs.FILTERED
# Request headers worth keeping to read an error: none says who the patient is or carries a credential.
ALLOWED_HEADERS = {
    "accept",
    "content-length",
    "content-type",
    "host",
    "hx-request",
    "user-agent",
    "x-forwarded-proto",
    "x-request-id",
}
# sentry-sdk 3's categories of collected data, each as narrow as the product allows.
DATA_COLLECTION = {
    "user_info": False,
    "cookies": {"mode": "off"},
    "http_headers": {"request": {"mode": "allowlist", "terms": sorted(ALLOWED_HEADERS)}},
    "http_bodies": [],
    "url_query_params": {"mode": "off"},
    "database_query_data": False,
    "queues": False,
    "stack_frame_variables": False,
    "graphql": {"document": False, "variables": False},
    "gen_ai": {"inputs": False, "outputs": False},
    "mcp": {"inputs": False, "outputs": False},
}
# Event keys kept as the SDK made them: none carries what a person typed or stored.
KEPT_EVENT_KEYS = {
    "event_id",
    "timestamp",
    "start_timestamp",
    "level",
    "logger",
    "platform",
    "environment",
    "release",
    "dist",
    "server_name",
    "transaction",
    "transaction_info",
    "fingerprint",
    "modules",
    "sdk",
    "type",
    "tags",
    "_meta",
}
KEPT_CONTEXTS = {"runtime", "os", "trace", "celery"}
KEPT_FRAME_KEYS = {
    "filename",
    "abs_path",
    "module",
    "function",
    "lineno",
    "colno",
    "in_app",
    "context_line",
    "pre_context",
    "post_context",
}


def _url_without_secrets(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:
        return logs.path_without_secrets(url)
    host, slash, path = rest.partition("/")
    return f"{scheme}://{host}{logs.path_without_secrets(slash + path)}"


def _scrub_request(request: dict) -> dict:
    headers = request.get("headers") or {}
    kept = {
        "method": request.get("method"),
        "url": _url_without_secrets(str(request.get("url") or "")),
        "headers": {name: value for name, value in headers.items() if name.lower() in ALLOWED_HEADERS},
    }
    return {key: value for key, value in kept.items() if value}


def _scrub_frames(container: dict) -> None:
    stacktrace = container.get("stacktrace")
    if not stacktrace:
        return
    stacktrace["frames"] = [
        {key: value for key, value in frame.items() if key in KEPT_FRAME_KEYS}
        for frame in stacktrace.get("frames") or []
    ]


def _scrub_exception(exception: dict) -> dict:
    for value in exception.get("values") or []:
        if value.get("value"):
            value["value"] = FILTERED
        _scrub_frames(value)
    return exception


def _scrub_threads(threads: dict) -> dict:
    for thread in threads.get("values") or []:
        _scrub_frames(thread)
    return threads


def _scrub_logentry(logentry: dict) -> dict:
    """The message's template ("%s failed in this process: %r"), never its arguments nor the result."""
    template = logentry.get("message")
    return {"message": template} if isinstance(template, str) else {}


def _our_ids() -> dict:
    """The ids that tie an error to its log lines (medspa.logs), none of them a person's data."""
    return {key: str(value) for key, value in logs.context_fields().items() if value is not None}


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    """before_send: the event with only what the module's docstring says is kept."""
    scrubbed = {key: value for key, value in event.items() if key in KEPT_EVENT_KEYS}
    if event.get("request"):
        scrubbed["request"] = _scrub_request(event["request"])
    if event.get("exception"):
        scrubbed["exception"] = _scrub_exception(event["exception"])
    if event.get("threads"):
        scrubbed["threads"] = _scrub_threads(event["threads"])
    if event.get("logentry"):
        scrubbed["logentry"] = _scrub_logentry(event["logentry"])
    elif isinstance(event.get("message"), str):
        scrubbed["message"] = FILTERED  # a message captured by hand: its text is not known to be safe
    contexts = event.get("contexts") or {}
    scrubbed["contexts"] = {key: value for key, value in contexts.items() if key in KEPT_CONTEXTS}
    job = (event.get("extra") or {}).get("celery-job") or {}
    if job.get("task_name"):
        scrubbed["extra"] = {"celery-job": {"task_name": job["task_name"]}}  # not its args nor kwargs
    ours = _our_ids()
    if ours.get("user_id"):
        scrubbed["user"] = {"id": ours["user_id"]}
    scrubbed["tags"] = {**(event.get("tags") or {}), **ours}
    if event.get("breadcrumbs"):
        crumbs = event["breadcrumbs"].get("values") if isinstance(event["breadcrumbs"], dict) else None
        kept = [crumb for crumb in (scrub_breadcrumb(dict(c)) for c in crumbs or []) if crumb]
        scrubbed["breadcrumbs"] = {"values": kept}
    return scrubbed


KEPT_BREADCRUMB_KEYS = {"type", "category", "level", "timestamp"}


def scrub_breadcrumb(crumb: dict, hint: dict | None = None) -> dict:
    """before_breadcrumb: what happened before the error, without what it was about. An SQL statement keeps
    its text, whose values are placeholders; an HTTP call its method, status and URL without query; a log
    line its logger and level only (its message is formatted with its arguments)."""
    kept = {key: value for key, value in crumb.items() if key in KEPT_BREADCRUMB_KEYS}
    data = crumb.get("data") or {}
    if crumb.get("category") == "query" and isinstance(crumb.get("message"), str):
        kept["message"] = crumb["message"]
    elif crumb.get("type") == "http" or "url" in data:
        kept["data"] = {
            "method": data.get("method"),
            "status_code": data.get("status_code"),
            "url": _url_without_secrets(str(data.get("url") or "")),
        }
    return kept


# Span attributes whose values can hold a person's data (URL query strings, statements' values, message
# bodies, users, task arguments): dropped from every span.
_SPAN_ATTRIBUTE_DENY = re.compile(
    r"(user|query|body|cookie|header|param|args|kwargs|message\.|payload|client\.address|url\.full)",
    re.IGNORECASE,
)


def scrub_span(span: dict, hint: dict | None = None) -> dict:
    """before_send_span (spans are sent only when SENTRY_TRACES_SAMPLE_RATE > 0): the span without the
    attributes that could carry a person's data; its name (the URL pattern, the task's name) stays."""
    attributes = span.get("attributes")
    if isinstance(attributes, dict):
        span["attributes"] = {k: v for k, v in attributes.items() if not _SPAN_ATTRIBUTE_DENY.search(k)}
    if isinstance(span.get("name"), str):
        span["name"] = logs.path_without_secrets(span["name"])
    return span


def scrub_log(log: dict, hint: dict | None = None) -> dict:
    """before_send_log, should Sentry's Logs be turned on: the template of the line, without its arguments
    nor the record's extra fields."""
    attributes = log.get("attributes") or {}
    template = attributes.get("sentry.message.template")
    log["body"] = template if isinstance(template, str) else FILTERED
    log["attributes"] = {
        k: v for k, v in attributes.items() if k.startswith(("code.", "logger.", "sentry.origin", "thread."))
    }
    return log


def sentry_options(dsn: str, environment: str, release: str, traces_sample_rate: float) -> dict[str, Any]:
    """The keyword arguments of sentry_sdk.init for the product."""
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    return {
        "dsn": dsn,
        "environment": environment or None,
        "release": release or None,
        "traces_sample_rate": traces_sample_rate,
        # sentry-sdk 3 sends every log line of INFO and above to Sentry's Logs, formatted with its arguments;
        # ours go to the JSON logs instead. A line of ERROR becomes an event (its template, scrub_event).
        "integrations": [
            DjangoIntegration(),
            CeleryIntegration(),
            LoggingIntegration(level=None, event_level=logging.ERROR, breadcrumb_level=logging.INFO),
        ],
        "data_collection": DATA_COLLECTION,
        "max_request_body_size": "never",
        "before_send": scrub_event,
        "before_breadcrumb": scrub_breadcrumb,
        "before_send_span": scrub_span,
        "before_send_log": scrub_log,
    }


def sentry_init(dsn: str, environment: str, release: str, traces_sample_rate: float) -> None:
    """Turns error tracking on (settings.py calls it when SENTRY_DSN is set)."""
    import sentry_sdk

    sentry_sdk.init(**sentry_options(dsn, environment, release, traces_sample_rate))

"""Celery and Redis for a fleet: the cache and the broker in Redis databases of their own (a system check
warns when they share one), time limits that no task exceeds and that the workers' stop grace period
outlasts, and hourly and daily jobs at fixed times (crontab), not intervals that count again from each
deploy."""

import re
import runpy
from datetime import timedelta
from pathlib import Path

import pytest
from celery import Celery
from celery.schedules import crontab, schedule
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from medspa import celery_health
from medspa.celery import app

ROOT = Path(__file__).resolve().parent.parent
REDIS_VARIABLES = ("REDIS_URL", "REDIS_CACHE_URL", "CELERY_BROKER_URL")


def product_settings(monkeypatch, **environment) -> dict:
    """The product's own settings module, run with `environment` (the Redis variables unset otherwise)."""
    for name in REDIS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "medspa" / "settings.py"))


# --- Two Redis databases -----------------------------------------------------------------------------------


def test_redis_url_alone_serves_the_cache_and_the_broker(monkeypatch):
    made = product_settings(monkeypatch, REDIS_URL="redis://redis:6379/0")
    assert made["CACHES"]["default"]["LOCATION"] == made["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert made["CELERY_BROKER_TRANSPORT_OPTIONS"] == made["REDIS_BROKER_OPTIONS"]


def test_the_cache_and_the_broker_each_take_their_own_database(monkeypatch):
    made = product_settings(
        monkeypatch,
        REDIS_URL="redis://redis:6379/5",
        REDIS_CACHE_URL="redis://redis:6379/0",
        CELERY_BROKER_URL="redis://redis:6379/1",
    )
    assert made["CACHES"]["default"]["BACKEND"] == "medspa.cache.ResilientRedisCache"
    assert made["CACHES"]["default"]["LOCATION"] == "redis://redis:6379/0"
    assert made["CELERY_BROKER_URL"] == "redis://redis:6379/1"


def test_with_nothing_configured_the_embedded_defaults_stay(monkeypatch, tmp_path):
    made = product_settings(monkeypatch, DATA_DIR=str(tmp_path))
    assert made["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert made["CELERY_BROKER_URL"] == "filesystem://"
    assert made["CELERY_BROKER_TRANSPORT_OPTIONS"]["data_folder_in"] == str(tmp_path / "celery" / "queue")
    assert made["CELERY_BEAT_HEARTBEAT_FILE"] == tmp_path / "celerybeat-heartbeat"


def test_a_broker_alone_leaves_the_database_cache(monkeypatch):
    made = product_settings(monkeypatch, CELERY_BROKER_URL="redis://redis:6379/1")
    assert made["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert made["CELERY_BROKER_TRANSPORT_OPTIONS"] == made["REDIS_BROKER_OPTIONS"]


def _redis_cache(settings, url: str) -> None:
    settings.CACHES = {"default": {"BACKEND": "medspa.cache.ResilientRedisCache", "LOCATION": url}}


@pytest.mark.parametrize(
    ("cache", "broker"),
    [
        ("redis://redis:6379/0", "redis://redis:6379/0"),
        ("redis://redis:6379", "redis://redis/0"),  # database 0 and port 6379 are Redis' defaults
        ("redis://:secret@redis:6379/1", "redis://redis:6379?db=1"),
    ],
)
def test_one_database_for_the_cache_and_the_broker_is_a_warning_in_production(settings, cache, broker):
    settings.DEBUG = False
    _redis_cache(settings, cache)
    settings.CELERY_BROKER_URL = broker
    found = [
        message for message in checks.run_checks(tags=[checks.Tags.caches]) if message.id == "medspa.W001"
    ]
    assert len(found) == 1 and found[0].level == checks.WARNING
    assert "would drop queued tasks" in found[0].msg


@pytest.mark.parametrize(
    ("debug", "cache", "broker"),
    [
        (False, "redis://redis:6379/0", "redis://redis:6379/1"),
        (False, "redis://redis:6379/0", "redis://other:6379/0"),
        (False, "redis://redis:6379/0", "filesystem://"),
        (True, "redis://redis:6379/0", "redis://redis:6379/0"),  # a developer's machine
    ],
)
def test_databases_apart_or_a_development_run_pass_the_check(settings, debug, cache, broker):
    settings.DEBUG = debug
    _redis_cache(settings, cache)
    settings.CELERY_BROKER_URL = broker
    assert celery_health.cache_and_broker_apart() == []


# --- Time limits -------------------------------------------------------------------------------------------


def test_tasks_are_acked_late_given_back_when_their_worker_dies_and_limited_in_time():
    assert (app.conf.task_time_limit, app.conf.task_soft_time_limit) == (600, 540)
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost


def test_the_soft_limit_must_come_before_the_hard_one(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="CELERY_TASK_SOFT_TIME_LIMIT=600 must be below"):
        product_settings(monkeypatch, CELERY_TASK_TIME_LIMIT="600", CELERY_TASK_SOFT_TIME_LIMIT="600")


def tasks_over_the_limit(celery_app) -> list[str]:
    """The tasks of `celery_app` (Celery's own aside) that declare a time limit above the configured ones."""
    celery_app.loader.import_default_modules()
    hard, soft = settings.CELERY_TASK_TIME_LIMIT, settings.CELERY_TASK_SOFT_TIME_LIMIT
    return sorted(
        name
        for name, task in celery_app.tasks.items()
        if not name.startswith("celery.")
        and ((task.time_limit or 0) > hard or (task.soft_time_limit or 0) > soft)
    )


def test_no_task_declares_a_longer_limit_than_the_workers_stop_grace_period_outlasts():
    assert tasks_over_the_limit(app) == []
    assert len([name for name in app.tasks if not name.startswith("celery.")]) > 30  # every app's tasks
    grace = re.search(r"`stop_grace_period: (\d+)s`", (ROOT / "docs" / "operations.md").read_text())
    assert grace and int(grace[1]) >= settings.CELERY_TASK_TIME_LIMIT + 60  # a minute to shut down after it


def test_a_task_declaring_a_longer_limit_is_found():
    other = Celery("other", set_as_current=False)
    other.config_from_object("django.conf:settings", namespace="CELERY")

    @other.task(name="other.export", time_limit=settings.CELERY_TASK_TIME_LIMIT + 1)
    def export():
        """A task of another app, which the product's tasks must not be like."""

    assert tasks_over_the_limit(other) == ["other.export"]


# --- The schedule ------------------------------------------------------------------------------------------


def _period(entry) -> timedelta | None:
    """The period of an interval entry (seconds, a timedelta or a celery schedule); None for a crontab."""
    when = entry["schedule"]
    if isinstance(when, crontab):
        return None
    if isinstance(when, schedule):
        return when.run_every
    return when if isinstance(when, timedelta) else timedelta(seconds=when)


def test_hourly_and_daily_jobs_run_at_fixed_times_and_only_sweeps_run_on_intervals():
    intervals = {name: _period(entry) for name, entry in settings.CELERY_BEAT_SCHEDULE.items()}
    assert {
        name: period for name, period in intervals.items() if period and period >= timedelta(hours=1)
    } == {}
    sweeps = {name for name, period in intervals.items() if period}
    assert sweeps and all(name.endswith(("-sweep", "-due", "-resend")) for name in sweeps), sweeps
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        if intervals[name] is None:  # a crontab: at one minute of the hour, not every minute
            assert len(entry["schedule"].minute) == 1, name


def test_every_scheduled_job_is_a_task_and_is_listed_with_its_time_in_the_operations_guide():
    app.loader.import_default_modules()
    guide = (ROOT / "docs" / "operations.md").read_text()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
        assert f"| `{name}` |" in guide, name

"""Which backups the rotation keeps (medspa.services.backups.backups_to_keep, grandfather-father-son in UTC),
across a year of daily backups, and what it deletes from a real folder storage: only backups, never a file
of another name."""

from datetime import UTC, datetime, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

from medspa.services.backups import NAME_FORMAT, backup_stamp, backups_list, backups_rotate, backups_to_keep

KEEP = {"daily": 7, "weekly": 4, "monthly": 12}


def _at(day: str, hour: int = 3, minute: int = 15) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=UTC)


def _year_of_daily_backups() -> list[datetime]:
    return [_at("2026-01-01") + timedelta(days=n) for n in range(365)]


def test_a_year_of_daily_backups_keeps_seven_days_four_weeks_and_twelve_months():
    kept = backups_to_keep(_year_of_daily_backups(), **KEEP)

    days = {f"2026-12-{day}" for day in range(25, 32)}
    # 2026-12-31 is the Thursday of ISO week 53: the weeks before end on Sundays 27, 20 and 13 December.
    weeks = {"2026-12-31", "2026-12-27", "2026-12-20", "2026-12-13"}
    months = {"2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30",
              "2026-07-31", "2026-08-31", "2026-09-30", "2026-10-31", "2026-11-30", "2026-12-31"}  # fmt: skip
    assert {stamp.date().isoformat() for stamp in kept} == days | weeks | months
    assert len(kept) == 7 + 2 + 11  # the newest counts as a day, its week and its month


def test_rotating_every_day_of_the_year_keeps_what_one_rotation_at_its_end_keeps():
    stored: set[datetime] = set()
    for stamp in _year_of_daily_backups():
        stored = backups_to_keep(stored | {stamp}, **KEEP)
        assert stamp in stored  # the newest is always kept
        last_week = {stamp - timedelta(days=n) for n in range(7)}
        assert last_week & {_at("2026-01-01") + timedelta(days=n) for n in range(365)} <= stored
        assert len(stored) <= sum(KEEP.values())
    assert stored == backups_to_keep(_year_of_daily_backups(), **KEEP)


def test_the_newest_backup_of_a_day_is_the_one_kept_and_days_without_backups_use_up_no_place():
    stamps = [_at("2026-03-01", 3), _at("2026-03-01", 9), _at("2026-03-20"), _at("2026-04-30")]
    kept = backups_to_keep(stamps, daily=3, weekly=0, monthly=0)
    assert kept == {_at("2026-03-01", 9), _at("2026-03-20"), _at("2026-04-30")}
    assert backups_to_keep(stamps, daily=1, weekly=0, monthly=0) == {_at("2026-04-30")}
    assert backups_to_keep([], **KEEP) == set()


def test_a_backups_name_carries_its_utc_time_and_other_names_none():
    stamp = _at("2026-11-08", 3, 15)
    name = stamp.strftime(NAME_FORMAT)
    assert name == "medspa-20261108T031500Z.dump.age"
    assert backup_stamp(name) == stamp == backup_stamp(name + ".json")
    for other in ("medspa-20261108T031500Z.dump", "notes.txt", "medspa-latest.dump.age", f"x{name}"):
        assert backup_stamp(other) is None


def test_rotation_in_a_folder_deletes_old_backups_with_their_manifests_and_nothing_else(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    start = _at("2026-01-01")
    for n in range(60):
        name = (start + timedelta(days=n)).strftime(NAME_FORMAT)
        storage.save(name, ContentFile(b"age-encryption.org/v1\n"))
        storage.save(name + ".json", ContentFile(b"{}"))
    unfinished_old = _at("2026-02-10", 4).strftime(NAME_FORMAT)  # no manifest: a backup that failed midway
    storage.save(unfinished_old, ContentFile(b"cut"))
    for foreign in ("notes.txt", "medspa-20260101T000000Z.dump", "medspa.dump.age"):
        storage.save(foreign, ContentFile(b"not a backup of the schedule"))

    deleted = backups_rotate(storage=storage, daily=7, weekly=4, monthly=12)

    complete, incomplete = backups_list(storage=storage)
    days = sorted(backup_stamp(name).date().isoformat() for name in complete)
    # 7 days (23 Feb - 1 Mar), the Sundays ending three more ISO weeks, and January's last day.
    assert days == ["2026-01-31", "2026-02-08", "2026-02-15", "2026-02-22", "2026-02-23", "2026-02-24",
                    "2026-02-25", "2026-02-26", "2026-02-27", "2026-02-28", "2026-03-01"]  # fmt: skip
    assert incomplete == []
    assert unfinished_old in deleted and len(deleted) == 2 * (60 - 11) + 1
    left = set(storage.listdir("")[1])
    assert {"notes.txt", "medspa-20260101T000000Z.dump", "medspa.dump.age"} <= left
    assert all(name + ".json" in left for name in complete)


def test_recipients_come_from_spaces_commas_or_lines_or_a_file_without_comments(monkeypatch, tmp_path):
    from medspa.env import env_recipients

    monkeypatch.setenv(
        "BACKUP_AGE_RECIPIENTS", "age1aaa age1bbb, age1ccc\nssh-ed25519 AAAAC3 ops@example.com\n"
    )
    assert env_recipients("BACKUP_AGE_RECIPIENTS") == [
        "age1aaa", "age1bbb", "age1ccc", "ssh-ed25519 AAAAC3 ops@example.com"
    ]  # fmt: skip
    recipients = tmp_path / "recipients.txt"
    recipients.write_text("# the operations team\nage1ddd\n\nage1eee\n")
    monkeypatch.setenv("BACKUP_AGE_RECIPIENTS_FILE", str(recipients))
    assert env_recipients("BACKUP_AGE_RECIPIENTS") == ["age1ddd", "age1eee"]


def test_the_backup_runs_daily_on_a_crontab_not_an_interval_restarted_by_each_deploy(settings):
    from celery.schedules import crontab

    entry = settings.CELERY_BEAT_SCHEDULE["database-backup"]
    assert entry["task"] == "medspa.tasks.database_backup"
    assert entry["schedule"] == crontab(minute=15, hour=3)

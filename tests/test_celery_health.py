"""`manage.py celery_health worker|beat`, the containers' health checks, against real processes: a Celery
worker and Celery beat started as compose starts them, on a redis-server of the test's own. The worker is
healthy while it answers through the broker, and not when it is hung (SIGSTOP), when the broker is down, or
once it is killed with SIGKILL; beat is healthy while it ticks, and not once it is killed."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from medspa import celery_health
from tests.test_faults import broker_at

pytestmark = pytest.mark.slow  # real worker, beat and redis-server processes

ROOT = Path(__file__).resolve().parent.parent


class Celery:
    """`celery -A medspa <process>` in a session of its own (killed with its children at the end), with the
    test settings, the broker at `broker_url` and DATA_DIR in `folder`."""

    def __init__(self, process: str, *args: str, broker_url: str, folder: Path):
        self.environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "CELERY_BROKER_URL": broker_url,
            "DATA_DIR": str(folder),
        }
        self.log = (folder / f"{process}.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "medspa", process, "--loglevel=INFO", *args],
            cwd=ROOT,
            env=self.environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def signal(self, number: int) -> None:
        self.process.send_signal(number)

    def health(self, process: str, *args: str) -> subprocess.CompletedProcess:
        """`manage.py celery_health` as the container runs it: its own process, this one's environment."""
        return subprocess.run(
            [sys.executable, "manage.py", "celery_health", process, *args],
            cwd=ROOT,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.log.close()


def healthy(process: str, *args: str) -> bool:
    """`celery_health` in this process (with the broker the test points it at): whether it exits 0."""
    try:
        call_command("celery_health", process, *args)
    except SystemExit as exit:
        assert exit.code == 1
        return False
    return True


def eventually(check, *, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return False


@pytest.fixture
def started(tmp_path):
    processes = []

    def start(process: str, *args: str, broker_url: str) -> Celery:
        processes.append(Celery(process, *args, broker_url=broker_url, folder=tmp_path))
        return processes[-1]

    yield start
    for process in processes:
        process.stop()


def test_the_worker_is_healthy_while_it_answers_and_not_when_hung_cut_off_or_killed(redis_process, started):
    broker = redis_process.url(1)
    worker = started("worker", "--concurrency=1", "--without-gossip", "--without-mingle", broker_url=broker)
    with broker_at(broker):
        assert eventually(lambda: healthy("worker", "--timeout=2"), within=120), worker.log.name
        answered = worker.health("worker")
        assert answered.returncode == 0, answered.stderr
        assert answered.stdout.strip() == f"{celery_health.worker_node_name()} answered."

        worker.signal(signal.SIGSTOP)  # hung: the process is there, its consumer takes nothing
        assert not healthy("worker", "--timeout=2")
        worker.signal(signal.SIGCONT)
        assert eventually(lambda: healthy("worker", "--timeout=2"), within=30)

        redis_process.kill()  # the worker runs, but cannot take a task
        started_at = time.monotonic()
        assert not healthy("worker", "--timeout=2")
        assert time.monotonic() - started_at < 10  # bounded: the broker's connection timeout, not retries
        redis_process.start()
        assert eventually(lambda: healthy("worker", "--timeout=2"), within=60)  # the worker reconnected

        worker.signal(signal.SIGKILL)
        worker.process.wait(timeout=10)
        dead = worker.health("worker", "--timeout=2")
        assert dead.returncode == 1
        assert "did not answer within 2 s" in dead.stderr


def test_beat_is_healthy_while_it_ticks_and_not_once_killed(redis_process, started, settings, tmp_path):
    settings.CELERY_BEAT_HEARTBEAT_FILE = tmp_path / "celerybeat-heartbeat"
    beat = started(
        "beat",
        "--max-interval=1",
        f"--schedule={tmp_path / 'celerybeat-schedule'}",
        broker_url=redis_process.url(1),
    )
    assert eventually(lambda: settings.CELERY_BEAT_HEARTBEAT_FILE.exists(), within=120), beat.log.name
    ticked = beat.health("beat", "--max-age=5")
    assert ticked.returncode == 0, ticked.stderr
    first = settings.CELERY_BEAT_HEARTBEAT_FILE.stat().st_mtime
    assert eventually(lambda: settings.CELERY_BEAT_HEARTBEAT_FILE.stat().st_mtime > first, within=10)

    beat.signal(signal.SIGKILL)
    beat.process.wait(timeout=10)
    time.sleep(6)
    stale = beat.health("beat", "--max-age=5")
    assert stale.returncode == 1
    assert "Beat last ticked" in stale.stderr and "stale after 5 s" in stale.stderr


def test_beat_is_stale_after_three_of_its_longest_ticks(settings, tmp_path):
    settings.CELERY_BEAT_HEARTBEAT_FILE = heartbeat = tmp_path / "celerybeat-heartbeat"
    assert (
        celery_health.beat_stale_after() == 3 * 60
    )  # CELERY_BEAT_MAX_LOOP_INTERVAL: a tick a minute at least
    assert not healthy("beat")  # never ticked
    heartbeat.touch()
    assert healthy("beat")
    long_ago = time.time() - 3 * 60 - 5
    os.utime(heartbeat, (long_ago, long_ago))
    assert not healthy("beat")

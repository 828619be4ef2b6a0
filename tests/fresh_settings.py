"""The product's settings (medspa.settings) loaded in a fresh interpreter, for the tests of what the
environment does to them: the settings are read once per process, so each variant needs its own."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def settings_process(
    code: str, *, without: tuple[str, ...] = (), timeout: int = 120, **overrides: str | None
) -> subprocess.CompletedProcess:
    """Runs `code` (Python that calls django.setup()) with DJANGO_SETTINGS_MODULE=medspa.settings, in this
    environment less the variables whose names start with one of `without`, changed by `overrides` (None
    removes a variable)."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith(without)}
    environment["DJANGO_SETTINGS_MODULE"] = "medspa.settings"
    for name, value in overrides.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )

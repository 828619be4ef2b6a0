"""The two locks `make lock` writes: requirements/prod.lock (the Dockerfile installs it) and
requirements/dev.lock (`make install`), both installed with pip's --require-hashes. Every package is pinned
to one version with the sha256 of its files, the development lock holds the production one at the same
versions, and each direct dependency of pyproject.toml is locked at the version pyproject.toml pins."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROD_LOCK = ROOT / "requirements" / "prod.lock"
DEV_LOCK = ROOT / "requirements" / "dev.lock"

# name==version, an optional environment marker, then one or more --hash=sha256:<64 hex digits>.
ENTRY = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[A-Za-z0-9.+!_-]+)"
    r"(?:\s*;\s*(?P<marker>[^\\]+?))?"
    r"(?P<hashes>(?:\s+--hash=sha256:[0-9a-f]{64})+)$"
)


class LockError(ValueError):
    pass


def read_lock(text: str) -> dict[str, tuple[str, frozenset[str]]]:
    """{canonical name: (version, hashes)} of a pip requirements file written with --generate-hashes; any
    line that is not a pinned, hashed requirement (a comment aside) is refused."""
    entries: dict[str, tuple[str, frozenset[str]]] = {}
    for statement in text.replace("\\\n", " ").splitlines():
        statement = statement.split(" #", 1)[0].strip() if not statement.lstrip().startswith("#") else ""
        if not statement:
            continue
        match = ENTRY.match(re.sub(r"\s+", " ", statement))
        if not match:
            raise LockError(f"not a pinned requirement with hashes: {statement!r}")
        name = canonicalize_name(match["name"])
        if name in entries:
            raise LockError(f"{name} is locked twice")
        hashes = frozenset(re.findall(r"sha256:([0-9a-f]{64})", match["hashes"]))
        entries[name] = (match["version"], hashes)
    if not entries:
        raise LockError("the lock is empty")
    return entries


def pinned(requirements: list[str]) -> dict[str, str]:
    """{canonical name: version} of pyproject.toml's `name==version` requirements."""
    versions = {}
    for line in requirements:
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{line}: pyproject.toml pins its direct dependencies"
        versions[canonicalize_name(requirement.name)] = specifier.version
    return versions


@pytest.fixture(scope="module")
def project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.fixture(scope="module")
def prod():
    return read_lock(PROD_LOCK.read_text())


@pytest.fixture(scope="module")
def dev():
    return read_lock(DEV_LOCK.read_text())


def test_every_package_of_both_locks_is_pinned_with_its_hashes(prod, dev):
    # read_lock refuses anything else; at least one sha256 each, and nothing installed from a path or URL.
    assert all(hashes for _, hashes in prod.values())
    assert all(hashes for _, hashes in dev.values())


def test_the_development_lock_holds_the_production_one_at_the_same_versions(prod, dev):
    missing = sorted(set(prod) - set(dev))
    assert not missing, f"in prod.lock, not in dev.lock: {missing}"
    differing = {name: (prod[name][0], dev[name][0]) for name in prod if prod[name][0] != dev[name][0]}
    assert not differing, f"prod.lock and dev.lock disagree: {differing}"
    assert all(prod[name][1] <= dev[name][1] for name in prod)


def test_each_direct_dependency_is_locked_at_the_version_pyproject_pins(project, prod, dev):
    runtime = pinned(project["dependencies"])
    development = pinned(project["optional-dependencies"]["dev"])
    assert {name: prod.get(name, (None,))[0] for name in runtime} == runtime
    assert {name: dev.get(name, (None,))[0] for name in runtime | development} == runtime | development


def test_the_production_lock_leaves_the_test_tools_out(prod, dev):
    # Some of the dev extra are also needed at run time (jsonschema, by drf-spectacular): not these.
    tools = {
        "pytest",
        "pytest-django",
        "ruff",
        "import-linter",
        "playwright",
        "locust",
        "moto",
        "factory-boy",
    }
    assert tools <= set(dev)
    assert not tools & set(prod)


def test_no_file_of_the_project_names_the_old_single_lock():
    files = [
        "Makefile",
        "Dockerfile",
        "README.md",
        "pyproject.toml",
        ".ci/run",
        *map(str, ROOT.glob("docs/*.md")),
    ]
    assert not (ROOT / "requirements.lock").exists()
    assert [name for name in files if "requirements.lock" in (ROOT / name).read_text()] == []


@pytest.mark.parametrize(
    "text",
    [
        "django==6.1.3\n",  # no hash
        "django>=6.1 \\\n    --hash=sha256:" + "a" * 64 + "\n",  # not pinned
        "-e .\n",
        "django==6.1.3 --hash=md5:" + "a" * 32 + "\n",
        "# nothing but comments\n",
        "django==6.1.3 --hash=sha256:" + "a" * 64 + "\nDjango==6.1.3 --hash=sha256:" + "b" * 64 + "\n",
    ],
    ids=["unhashed", "unpinned", "editable", "md5", "empty", "twice"],
)
def test_the_lock_reader_refuses_what_require_hashes_would_not_install_as_locked(text):
    with pytest.raises(LockError):
        read_lock(text)


def test_the_lock_reader_reads_markers_continuations_and_comments():
    text = (
        "# autogenerated\n"
        "colorama==0.4.6 ; sys_platform == 'win32' \\\n"
        "    --hash=sha256:" + "a" * 64 + " \\\n"
        "    --hash=sha256:" + "b" * 64 + "\n"
        "    # via click\n"
        "Django==6.1.3 \\\n    --hash=sha256:" + "c" * 64 + "\n"
    )
    assert read_lock(text) == {
        "colorama": ("0.4.6", frozenset({"a" * 64, "b" * 64})),
        "django": ("6.1.3", frozenset({"c" * 64})),
    }

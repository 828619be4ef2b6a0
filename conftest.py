"""The tests live beside their apps (<app>/tests/) and, for what spans the project, in tests/. The shared
fixtures (the cast, the database roles, the stub server) are tests/fixtures.py, loaded here: pytest reads
pytest_plugins only in the root conftest, and a conftest inside tests/ would reach only that folder."""

pytest_plugins = ["tests.fixtures", "tests.s3", "tests.pgbouncer"]

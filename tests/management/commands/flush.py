"""The tests' `flush` (TransactionTestCase empties every table between tests): as the superuser with
triggers off (session_replication_role = replica), since the audit tables refuse TRUNCATE to everyone
else, the owner included. Only the test settings install it; the product has no way around the refusal.

A test leaves rows in a handful of the hundred tables, and truncating all of them costs a third of a second
per test (a new file for each table), then as much again to make the content types and permissions anew:
when no sequence is to be reset, only the tables that hold rows are emptied, and the content types and
permissions and the site, which every migrated database has and no test changes, stay."""

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections
from psycopg import sql

from medspa.database import connected_as

# What migrate's post_migrate makes (content types, permissions, the default Site that allauth's pages need)
# and no test changes: kept as migrate left it rather than emptied and made anew after every test.
KEPT = {"django_content_type", "auth_permission", "django_site"}


class Command(FlushCommand):
    def handle(self, **options):
        database = options["database"]
        with connected_as("superuser", database):
            connection = connections[database]
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")
            if options.get("reset_sequences"):
                super().handle(**options)
                return
            tables = sorted(set(connection.introspection.django_table_names(only_existing=True)) - KEPT)
            with connection.cursor() as cursor:
                cursor.execute(
                    sql.SQL(" UNION ALL ")
                    .join(
                        sql.SQL("SELECT {} WHERE EXISTS (SELECT FROM {})").format(
                            sql.Literal(table), sql.Identifier(table)
                        )
                        for table in tables
                    )
                    .as_string(cursor.connection)
                )
                filled = [row[0] for row in cursor.fetchall()]
                if filled:
                    deletes = sql.SQL("; ").join(
                        sql.SQL("DELETE FROM {}").format(sql.Identifier(t)) for t in filled
                    )
                    cursor.execute(deletes.as_string(cursor.connection))

"""Statements written out where the ORM's composing cost more CPU than PostgreSQL spent running them (the
booking API's hot path), and their rows made into model instances exactly as the ORM makes them."""

from django.db import connection
from django.db.models import Model


class ModelColumns:
    """One model's columns in a statement written out (`sql`, under the table alias given), and its rows made
    into instances as the ORM makes them: each field's converters applied, then Model.from_db.
    https://docs.djangoproject.com/en/stable/ref/models/instances/#django.db.models.Model.from_db"""

    def __init__(self, model: type[Model], alias: str):
        self.model = model
        self.table = model._meta.db_table
        fields = model._meta.concrete_fields
        assert fields[0].primary_key, model  # instance() reads a missing row from its first column
        self.names = [field.attname for field in fields]
        self.sql = ", ".join(f'{alias}."{field.column}"' for field in fields)
        self.width = len(fields)
        self.converters = []
        for index, field in enumerate(fields):
            column = field.get_col(alias)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                self.converters.append((index, column, found))

    def instance(self, values: list | tuple) -> Model | None:
        """The instance of these values (the model's columns, in order); None for a LEFT JOIN's nulls."""
        if values[0] is None:
            return None
        values = list(values)
        for index, column, converters in self.converters:
            for converter in converters:
                values[index] = converter(values[index], column, connection)
        return self.model.from_db(connection.alias, self.names, values)


def instances(row: tuple, tables: list[ModelColumns]) -> list[Model | None]:
    """A row of several tables' columns (in `tables`' order), as one instance (or None) per table."""
    found, offset = [], 0
    for table in tables:
        found.append(table.instance(row[offset : offset + table.width]))
        offset += table.width
    return found


class ModelInsert:
    """An insert of one model's new instance written out: `INSERT … ON CONFLICT DO NOTHING RETURNING id`, its
    values prepared field by field as Model.save() prepares them (pre_save: auto_now and the like, then
    get_db_prep_save). A row that meets any unique index or exclusion constraint is not inserted and returns
    no id (https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT): no exception, so no
    savepoint is spent on the conflict. Model.save()'s signals are not sent (the hot path's models have no
    receivers)."""

    def __init__(self, model: type[Model]):
        meta = model._meta
        self.fields = [field for field in meta.concrete_fields if not field.primary_key]
        for field in self.fields:
            assert not hasattr(field, "get_placeholder"), field  # a value with SQL of its own
        columns = ", ".join(f'"{field.column}"' for field in self.fields)
        placeholders = ", ".join(["%s"] * len(self.fields))
        self.sql = (
            f'INSERT INTO "{meta.db_table}" ({columns}) VALUES ({placeholders}) '  # noqa: S608 (names from the model)
            f'ON CONFLICT DO NOTHING RETURNING "{meta.pk.column}"'
        )

    def values(self, instance: Model) -> list:
        return [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in self.fields]

    def inserted(self, instance: Model, pk) -> None:
        """The instance as Model.save() leaves it, after the row was inserted with this primary key."""
        instance.pk = pk
        instance._state.adding, instance._state.db = False, connection.alias

"""Hand-written SQL on hot paths, turned back into model instances the way the ORM would."""

from django.db import connection, models


class Columns:
    """All concrete columns of a model under a table alias, and the instance built from them
    (with the fields' own converters, e.g. JSON text to objects), as the ORM would."""

    def __init__(self, model: type[models.Model], alias: str):
        fields = model._meta.concrete_fields
        self.model = model
        self.sql = ", ".join(f'{alias}."{f.column}"' for f in fields)
        self.names = [f.attname for f in fields]
        self.converters = [
            (i, f.from_db_value) for i, f in enumerate(fields) if hasattr(f, "from_db_value")
        ]

    def build(self, values):
        values = list(values)
        for i, convert in self.converters:
            values[i] = convert(values[i], None, connection)
        return self.model.from_db(connection.alias, self.names, values)

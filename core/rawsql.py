"""Hand-written SQL on hot paths, turned back into model instances the way the ORM would."""

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.postgresql.base import ServerBindingCursor


class PreparingCursor(ServerBindingCursor):
    """Binds parameters server-side and prepares every statement it runs (psycopg caches the
    prepared statements per connection)."""

    def execute(self, query, params=None, *, prepare=True, binary=None):
        return super().execute(query, params, prepare=prepare, binary=binary)


def hot_cursor():
    """connection.cursor() for the few hand-written statements every task cycle runs (token
    lookup, claim, submit). On PostgreSQL they are bound server-side and prepared once per
    database connection, so PostgreSQL stops parsing and planning them on every call (the claim
    statement took longer to plan than to run). Django turns preparation off unless the
    database OPTIONS set a prepare_threshold (for connection poolers); so does this
    (DATABASE_PREPARED_STATEMENTS=0). Same health check, error wrapping and query logging as
    connection.cursor()."""
    # The wrapper itself, not the `django.db.connection` proxy: every attribute read through
    # the proxy looks the connection up again (ten times per call here).
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        return connection.cursor()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        cursor = PreparingCursor(raw)
    if connection.queries_logged:
        return connection.make_debug_cursor(cursor)
    return connection.make_cursor(cursor)


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
        connection = connections[DEFAULT_DB_ALIAS]
        values = list(values)
        for i, convert in self.converters:
            values[i] = convert(values[i], None, connection)
        return self.model.from_db(DEFAULT_DB_ALIAS, self.names, values)

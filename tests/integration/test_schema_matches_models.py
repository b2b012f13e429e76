"""The migrations make the schema the models describe: every table, column and foreign key of
``portal.models`` exists after ``flask db upgrade``, and no table is left that no model names.

Indexes are compared by name only: Alembic cannot compare expression indexes (the queue's
``COALESCE`` and ``lower()`` indexes), and the search tables of migration 0010 (SQLite FTS5
shadow tables) are the database's own, not a model's.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import portal.models  # noqa: F401  (every model on the metadata)
from portal.core.extensions import db

SEARCH_TABLES = ("application_search",)


def _differences(app) -> list[tuple]:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        found = compare_metadata(context, db.metadata)
    kept = []
    for diff in found:
        # A list of column changes comes as a list of tuples; flatten to the first.
        entry = diff[0] if isinstance(diff, list) else diff
        kind = entry[0]
        if kind in ("add_index", "remove_index"):
            continue  # compared by name below
        if kind == "remove_table" and entry[1].name.startswith(SEARCH_TABLES):
            continue
        if kind in ("modify_nullable", "modify_default", "modify_comment"):
            continue
        kept.append(entry)
    return kept


def test_migrations_create_every_table_column_and_key_of_the_models(app):
    differences = _differences(app)
    assert differences == [], "\n".join(repr(d) for d in differences)


def test_every_named_index_of_the_models_exists(app):
    from sqlalchemy import inspect

    with app.app_context():
        inspector = inspect(db.engine)
        missing = []
        for table in db.metadata.sorted_tables:
            present = {index["name"] for index in inspector.get_indexes(table.name)}
            present |= {c["name"] for c in inspector.get_unique_constraints(table.name)}
            for index in table.indexes:
                if index.name not in present:
                    missing.append(f"{table.name}.{index.name}")
    assert missing == []

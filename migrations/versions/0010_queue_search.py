"""queue search (FTS5 on SQLite, trigram on PostgreSQL)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 17:20:00

The officers' queue is searched by part of a firm's name, its USCC, the application's
reference or its project title (``portal/applications/search.py``). A substring match over
100,000 rows must not read them all, so each database keeps an index of trigrams:

- SQLite: an FTS5 table with the trigram tokenizer, one row per application (rowid = the
  application's id) holding those four texts. Triggers keep it in step with ``applications``
  and ``enterprises``, so that no write path (bulk loads, scripts, a future service) can forget
  it; the rows already there are copied in once (the backfill).
- PostgreSQL: pg_trgm GIN indexes on the four columns, which ``ILIKE '%…%'`` uses directly;
  the database keeps them itself.
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TRIGRAM_INDEXES = {
    "ix_applications_reference_trgm": ("applications", "reference"),
    "ix_applications_project_title_trgm": ("applications", "project_title"),
    "ix_enterprises_name_trgm": ("enterprises", "name"),
    "ix_enterprises_uscc_trgm": ("enterprises", "uscc"),
}

SQLITE_UPGRADE = (
    """CREATE VIRTUAL TABLE application_search
        USING fts5(reference, project_title, firm_name, uscc, tokenize='trigram')""",
    # The backfill: every application already there.
    """INSERT INTO application_search(rowid, reference, project_title, firm_name, uscc)
        SELECT a.id, a.reference, a.project_title, e.name, e.uscc
        FROM applications a JOIN enterprises e ON e.id = a.enterprise_id""",
    """CREATE TRIGGER application_search_insert AFTER INSERT ON applications BEGIN
          INSERT INTO application_search(rowid, reference, project_title, firm_name, uscc)
          SELECT NEW.id, NEW.reference, NEW.project_title, e.name, e.uscc
          FROM enterprises e WHERE e.id = NEW.enterprise_id;
        END""",
    # Only the searched columns: a status change does not rewrite the search row.
    """CREATE TRIGGER application_search_update
        AFTER UPDATE OF reference, project_title, enterprise_id ON applications BEGIN
          DELETE FROM application_search WHERE rowid = OLD.id;
          INSERT INTO application_search(rowid, reference, project_title, firm_name, uscc)
          SELECT NEW.id, NEW.reference, NEW.project_title, e.name, e.uscc
          FROM enterprises e WHERE e.id = NEW.enterprise_id;
        END""",
    """CREATE TRIGGER application_search_delete AFTER DELETE ON applications BEGIN
          DELETE FROM application_search WHERE rowid = OLD.id;
        END""",
    # A firm renamed (or its USCC corrected) is found under its new name in every application.
    """CREATE TRIGGER application_search_firm AFTER UPDATE OF name, uscc ON enterprises BEGIN
          DELETE FROM application_search
          WHERE rowid IN (SELECT id FROM applications WHERE enterprise_id = NEW.id);
          INSERT INTO application_search(rowid, reference, project_title, firm_name, uscc)
          SELECT a.id, a.reference, a.project_title, NEW.name, NEW.uscc
          FROM applications a WHERE a.enterprise_id = NEW.id;
        END""",
)
SQLITE_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS application_search_firm",
    "DROP TRIGGER IF EXISTS application_search_delete",
    "DROP TRIGGER IF EXISTS application_search_update",
    "DROP TRIGGER IF EXISTS application_search_insert",
    "DROP TABLE IF EXISTS application_search",
)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, (table, column) in TRIGRAM_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)")
    else:
        for statement in SQLITE_UPGRADE:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    else:
        for statement in SQLITE_DOWNGRADE:
            op.execute(statement)

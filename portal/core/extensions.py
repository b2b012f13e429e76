"""Flask extensions, created unbound and attached in ``create_app``."""

from __future__ import annotations

import enum
import sqlite3
from typing import TYPE_CHECKING, Any

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Enum, MetaData, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase

# One naming convention so that Alembic migrations name constraints the same on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# Every model subclasses ``Model``. At run time it is Flask-SQLAlchemy's ``db.Model`` (our
# ``Base`` plus the session binding); type checkers cannot see through that dynamic class, so
# for them it is ``Base`` itself and every ``Mapped[...]`` column is checked.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """WAL, a busy timeout and enforced foreign keys; transactions are begun by us (below)."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Autocommit mode at the driver level, so that SQLAlchemy's "begin" event decides how a
    # transaction starts (pysqlite would otherwise emit a deferred BEGIN of its own).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # Writers queue behind a batch of letters, which holds the write lock while it renders
    # (a few seconds); 30 s of patience before "database is locked".
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_immediate_on_sqlite(conn: Connection) -> None:
    # A deferred BEGIN that later writes fails with "database is locked" under concurrency;
    # taking the write lock up front makes writers queue on busy_timeout instead. A GET never
    # writes (portal/core/database.py), so it reads in a deferred transaction and is never held up
    # by a long writer such as a batch of letters (WAL lets readers and one writer overlap).
    if conn.dialect.name == "sqlite":
        from flask import has_request_context, request

        if has_request_context() and request.method in ("GET", "HEAD", "OPTIONS"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def str_enum_column_type(enum_class: type[enum.Enum], name: str, length: int) -> Enum:
    """A StrEnum stored as its value in a VARCHAR (no native ENUM: simpler migrations)."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )

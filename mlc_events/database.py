"""Database engine set-up: SQLite tuned for a web server, a UTC datetime type."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import has_request_context, request
from sqlalchemy import DateTime, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every backend (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _wants_write_lock() -> bool:
    # A GET never changes state, so it reads without taking SQLite's write lock;
    # everything else (POSTs, CLI, background work) begins IMMEDIATE so that a
    # transaction that has read can always write: no "database is locked".
    if has_request_context():
        return request.method not in ("GET", "HEAD", "OPTIONS")
    return True


def configure_sqlite(engine: Engine) -> None:
    """Apply WAL, busy timeout, foreign keys and BEGIN IMMEDIATE to an SQLite engine."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take BEGIN over from pysqlite (SQLAlchemy's documented recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")


def lock_or_create(model, key: dict, defaults: dict):
    """The row of ``model`` with ``key``, locked for this transaction; created with ``defaults``
    first if missing (``INSERT ... ON CONFLICT DO NOTHING``, so two first requests at once
    both end up with the one row). PostgreSQL: ``SELECT ... FOR UPDATE`` serialises everyone
    who changes it; SQLite serialises write transactions anyway and drops the clause."""
    from sqlalchemy import select
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    from .extensions import db

    query = (
        select(model)
        .filter_by(**key)
        .with_for_update(of=model)
        .execution_options(populate_existing=True)
    )
    row = db.session.scalar(query)
    if row is None:
        dialect = db.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        db.session.execute(insert(model).values(**key, **defaults).on_conflict_do_nothing())
        row = db.session.scalar(query)
    return row


def serialise_on(key: str) -> None:
    """Until the transaction ends, make other transactions that name the same ``key`` wait
    (PostgreSQL: a transaction-scoped advisory lock; SQLite serialises writers already). For a
    count-then-insert on rows that do not exist yet, where no row lock can help."""
    from .extensions import db

    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})

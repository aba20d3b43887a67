"""Migrations build the schema from empty and agree with the models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

ROOT = Path(__file__).resolve().parent.parent
TABLES = {"users", "events", "event_hosts", "rsvps", "notices", "login_failures", "outgoing_mails"}


def flask(*args: str, url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "x", "FLASK_APP": "wsgi"}
    return subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def check_upgrade_and_drift(url: str, tmp_path: Path) -> None:
    up = flask("db", "upgrade", url=url, tmp_path=tmp_path)
    assert up.returncode == 0, up.stderr
    assert set(inspect(create_engine(url)).get_table_names()) >= TABLES
    check = flask("db", "check", url=url, tmp_path=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr
    down = flask("db", "downgrade", "base", url=url, tmp_path=tmp_path)
    assert down.returncode == 0, down.stderr
    assert not TABLES & set(inspect(create_engine(url)).get_table_names())


def test_sqlite_upgrade_from_empty_and_check(tmp_path):
    check_upgrade_and_drift(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path)


def test_postgresql_upgrade_from_empty_and_check(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL migration test skipped")
    # A database of its own, so the other PostgreSQL tests keep theirs.
    name = f"mlc_migrations_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        url = base.rsplit("/", 1)[0] + "/" + name
        check_upgrade_and_drift(url, tmp_path)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def test_sqlite_connection_is_tuned_for_a_web_server(app):
    from mlc_events.extensions import db

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000

"""Fixtures: an app on a real SQLite file (and on PostgreSQL where TEST_DATABASE_URL is set),
clients that carry CSRF tokens, and keyword factories for users and events."""

from __future__ import annotations

import contextvars
import functools
import os
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from flask.globals import _cv_app
from flask_migrate import upgrade
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from mlc_events import create_app
from mlc_events.auth.models import User
from mlc_events.database import utcnow
from mlc_events.events.models import Event
from mlc_events.extensions import db
from mlc_events.markdown import render_markdown

PASSWORD = "correct horse battery"
PG_URL = os.environ.get("TEST_DATABASE_URL")


def _config(tmp: Path, url: str) -> dict:
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp / "instance"),
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret",
        "BASE_URL": "http://mlc.test",
        "MAIL_URL": None,
        "MAIL_SENDER": "inline",
        # Every change is broadcast at once, so a test reads it right after the request;
        # tests/live/test_coalesce.py and the browser tests run with the real window.
        "LIVE_COALESCE_SECONDS": 0,
    }


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A database file migrated once; each test gets a copy."""
    tmp = tmp_path_factory.mktemp("template")
    path = tmp / "template.db"
    app = create_app(_config(tmp, f"sqlite:///{path}"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_migrated() -> str:
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    import tempfile

    tmp = Path(tempfile.mkdtemp())
    app = create_app(_config(tmp, PG_URL))
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()
    return PG_URL


@pytest.fixture(params=["sqlite"])
def backend(request) -> str:
    """The database under test; modules parametrize it with PostgreSQL too."""
    return request.param


@pytest.fixture
def app(request, backend, tmp_path, sqlite_template):
    if backend == "postgresql":
        url = request.getfixturevalue("pg_migrated")
    else:
        path = tmp_path / "mlc_events.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
    app = create_app(_config(tmp_path, url))
    with app.app_context():
        if backend == "postgresql":
            tables = ", ".join(t.name for t in db.metadata.sorted_tables)
            db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


both_backends = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def _isolated(call, *args, **kwargs):
    """Run one request as a server would: its own app context, ``g`` and database session.

    The test itself runs inside an app context; Flask would reuse it for requests, sharing
    ``g`` (the CSRF token, the signed-in user) and the session between clients. The test's
    session commits first so that it holds no transaction (on SQLite: no lock) meanwhile.
    """
    db.session.commit()

    def run():
        _cv_app.set(None)
        return call(*args, **kwargs)

    return contextvars.copy_context().run(run)


class Client:
    """A test client that fills in the CSRF token and can sign in."""

    def __init__(self, flask_client):
        self.raw = _IsolatedClient(flask_client)
        self._token: str | None = None

    def csrf(self) -> str:
        if self._token is None:
            body = self.raw.get("/auth/login").get_data(as_text=True)
            self._token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body)[1]
        return self._token

    def get(self, url, **kw):
        return self.raw.get(url, **kw)

    def post(self, url, data=None, htmx=False, csrf=True, **kw):
        data = dict(data or {})
        headers = dict(kw.pop("headers", {}))
        if csrf:
            if htmx:
                headers["X-CSRFToken"] = self.csrf()
            else:
                data.setdefault("csrf_token", self.csrf())
        if htmx:
            headers["HX-Request"] = "true"
        return self.raw.post(url, data=data, headers=headers, **kw)

    def login(self, user: User, password: str = PASSWORD):
        response = self.post("/auth/login", {"email": user.email, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)
        self._token = None  # the session changed
        return response

    def logout(self):
        self.post("/auth/logout")
        self._token = None


class _IsolatedClient:
    def __init__(self, flask_client):
        self._client = flask_client

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if name in ("get", "post", "open", "put", "delete", "patch", "head"):
            return lambda *a, **kw: _isolated(attr, *a, **kw)
        return attr


@pytest.fixture
def client(app) -> Client:
    return Client(app.test_client())


@pytest.fixture
def new_client(app):
    """Make more clients: one per member in a test."""
    return lambda: Client(app.test_client())


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@functools.cache
def _password_hash() -> str:
    return generate_password_hash(PASSWORD, method="scrypt")


@pytest.fixture
def make_user(app):
    counter = iter(range(1, 10_000))

    def make(**kw) -> User:
        n = next(counter)
        user = User(
            email=kw.pop("email", f"user{n}@example.org").lower(),
            display_name=kw.pop("display_name", f"User {n}"),
            role=kw.pop("role", "member"),
            timezone=kw.pop("timezone", None),
            intro=kw.pop("intro", ""),
        )
        password = kw.pop("password", PASSWORD)
        if password == PASSWORD:
            user.password_hash = _password_hash()  # scrypt once per run, not per user
        else:
            user.set_password(password)
        for key, value in kw.items():
            setattr(user, key, value)
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_event(app, make_user):
    def make(**kw) -> Event:
        hosts = kw.pop("hosts", None) or [make_user(role="host")]
        starts = kw.pop("starts_at", utcnow().replace(microsecond=0) + timedelta(days=7))
        description = kw.pop("description", "A **good** paper.")
        event = Event(
            title=kw.pop("title", "Reading group: a paper"),
            kind=kw.pop("kind", "reading-group"),
            description=description,
            description_html=render_markdown(description),
            starts_at=starts,
            ends_at=kw.pop("ends_at", starts + timedelta(hours=1, minutes=30)),
            timezone=kw.pop("timezone", "Europe/London"),
            location=kw.pop("location", "Room 1"),
            online_url=kw.pop("online_url", "https://meet.example.org/secret-room"),
            capacity=kw.pop("capacity", None),
            visibility=kw.pop("visibility", "public"),
            **kw,
        )
        event.hosts = hosts
        db.session.add(event)
        db.session.commit()
        return event

    return make


@pytest.fixture
def outbox(app) -> Path:
    return Path(app.config["OUTBOX_DIR"])


def read_outbox(outbox: Path) -> list[str]:
    if not outbox.exists():
        return []
    return [p.read_text() for p in sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime)]


def calendar_part(raw: str | bytes) -> bytes:
    """The text/calendar part of a mail, decoded."""
    import email
    from email import policy

    parse = email.message_from_bytes if isinstance(raw, bytes) else email.message_from_string
    message = parse(raw, policy=policy.default)
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_payload(decode=True)
    raise AssertionError("no text/calendar part in the mail")

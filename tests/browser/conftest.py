"""Real-browser fixtures: the app served over HTTP on a real SQLite file (CSP on), Debian's
Chromium driven by Playwright, pages that fail the test on any script error, console error or
CSP violation, and axe-core.

Never run ``playwright install``: these tests use ``/usr/bin/chromium``; where it is missing
the whole directory is skipped with a message saying how to install it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from mlc_events import create_app
from mlc_events.auth.models import User
from mlc_events.database import utcnow
from mlc_events.events.models import RSVP, Event
from mlc_events.extensions import db
from mlc_events.markdown import render_markdown

from . import harness
from .harness import HERE, SKIP_REASON, LiveServer, PageWatch, chromium_missing

PASSWORD = "correct horse battery"


def pytest_collection_modifyitems(config, items):
    """Skip every browser test, saying how to fix it, where Chromium is not installed."""
    if not chromium_missing():
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(skip)


# --- the app over HTTP -------------------------------------------------------------------


@pytest.fixture
def live_app(tmp_path, sqlite_template):
    """A fresh app on its own copy of the migrated SQLite file."""
    path = tmp_path / "mlc_events.db"
    shutil.copy(sqlite_template, path)
    return create_app(harness.app_config(tmp_path, f"sqlite:///{path}"))


@pytest.fixture
def live_server(live_app) -> Iterator[str]:
    """The base URL of ``live_app``, served for real over HTTP by a threaded server."""
    with LiveServer(live_app) as server:
        yield server.url


@dataclass
class Data:
    """Rows made directly in the live app's database, each call in its own app context."""

    app: object
    counter: int = 0

    def user(self, **kw) -> dict:
        self.counter += 1
        n = self.counter
        with self.app.app_context():
            user = User(
                email=kw.pop("email", f"person{n}@example.org"),
                display_name=kw.pop("display_name", f"Person {n}"),
                role=kw.pop("role", "member"),
                timezone=kw.pop("timezone", None),
                intro=kw.pop("intro", ""),
            )
            user.set_password(kw.pop("password", PASSWORD))
            db.session.add(user)
            db.session.commit()
            return {"id": user.id, "email": user.email, "password": PASSWORD}

    def event(self, **kw) -> dict:
        hosts = kw.pop("hosts", None) or [self.user(role="host")["id"]]
        with self.app.app_context():
            starts = kw.pop("starts_at", utcnow().replace(microsecond=0) + timedelta(days=7))
            description = kw.pop("description", "We read **a good paper** together.")
            event = Event(
                title=kw.pop("title", "Reading group: a good paper"),
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
            event.hosts = [db.session.get(User, h) for h in hosts]
            db.session.add(event)
            db.session.commit()
            return {
                "id": event.id,
                "starts_at": event.starts_at,
                "timezone": event.timezone,
                "online_url": event.online_url,
            }

    def rsvp(self, event_id: int, user_id: int, status: str = "going") -> None:
        with self.app.app_context():
            db.session.add(RSVP(event_id=event_id, user_id=user_id, status=status))
            db.session.commit()


@pytest.fixture
def data(live_app) -> Data:
    return Data(live_app)


# --- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if chromium_missing():
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = harness.launch(playwright)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After the test body, fail the test itself (not its teardown) on any browser problem."""
    result = yield
    watch = getattr(item, "_page_watch", None)
    if watch is not None:
        watch.assert_clean()
    return result


@pytest.fixture
def new_page(request, browser) -> Iterator[Callable]:
    """Make a page in a fresh context (own cookies), e.g. ``new_page(java_script_enabled=False)``.

    Viewport 1280x900, locale en-GB, browser timezone Europe/Paris unless told otherwise.
    Any ``pageerror``, console error (CSP violations included) or ``securitypolicyviolation``
    event fails the test.
    """
    watch = PageWatch()
    request.node._page_watch = watch
    yield lambda **options: watch.open(browser, **options)
    for context in list(browser.contexts):  # this test's: the browser is shared
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


# --- accessibility ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def axe_source() -> str:
    return harness.axe_source()


@pytest.fixture
def axe(axe_source) -> Callable:
    """``axe(page)``: run axe-core on the page; fail on any serious or critical violation."""

    def check(page, impacts=("serious", "critical")) -> list[dict]:
        violations = harness.run_axe(page, axe_source)
        bad = [v for v in violations if v["impact"] in impacts]
        assert not bad, (
            f"axe found {len(bad)} serious or critical problem(s) on {page.url}:\n"
            + harness.format_violations(bad)
        )
        return violations

    return check

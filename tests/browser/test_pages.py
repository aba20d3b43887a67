"""Every main page on the demo data, in Chromium with the app's CSP on: no script error, no
console error, no CSP violation, no serious or critical axe-core finding."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from mlc_events.events.models import Event
from mlc_events.extensions import db
from mlc_events.seed import DEMO_PASSWORD, seed


@pytest.fixture
def demo(live_app, live_server) -> dict:
    with live_app.app_context():
        seed()
        ids = dict(db.session.execute(select(Event.title, Event.id)).all())
    return {"url": live_server, "events": ids}


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_public_pages(page, demo, axe):
    base = demo["url"]
    for path, heading in [
        ("/", "Read, pitch and build machine learning research together"),
        ("/events/", "Upcoming events"),
        ("/events/?when=past", "Past events"),
        ("/events/?kind=reading-group", "Upcoming events"),
        ("/auth/login", None),
        (f"/events/{demo['events']['Mentoring office hours']}", "Mentoring office hours"),
    ]:
        page.goto(f"{base}{path}")
        if heading:
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        axe(page)
    expect(page.locator("#rsvp .counts")).to_contain_text("2 going · 1 waitlisted · full")


def test_host_pages(page, demo, axe):
    base = demo["url"]
    _sign_in(page, base, "host@example.org")
    axe(page)  # home, signed in
    page.goto(f"{base}/events/{demo['events']['Mentoring office hours']}")
    expect(page.get_by_role("heading", name="For hosts")).to_be_visible()
    expect(page.locator(".host-tools")).to_contain_text("Kenji Sato")
    axe(page)
    page.goto(f"{base}/events/new")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    axe(page)

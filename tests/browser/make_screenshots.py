"""Screenshots for the README, taken in Debian's Chromium at 1280x900 on the demo data.

    .venv/bin/python -m tests.browser.make_screenshots [--out docs/screenshots]

Writes home.png (the home page, signed out), event.png (a reading group seen by
member@example.org after "I'm going"), waitlist.png (the full "Mentoring office hours"
after "Join the waitlist"), jam.png, series.png, calendar.png, and the seeded jam run live:
console.png (the host), live-phone.png (a member's phone), projector.png and results.png.
Builds its own app on a throwaway SQLite file, migrates and seeds
it, and serves it over HTTP with the app's CSP on; any script error, console error or CSP
violation on the way makes it exit non-zero. Not a test: pytest does not collect it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import select

from mlc_events import ROOT, create_app
from mlc_events.database import utcnow
from mlc_events.events.models import Event
from mlc_events.extensions import db
from mlc_events.seed import DEMO_PASSWORD, seed

from . import harness

MEMBER = "member@example.org"


def _demo_app(tmp: Path):
    app = create_app(harness.app_config(tmp, f"sqlite:///{tmp / 'demo.db'}"))
    with app.app_context():
        upgrade()
        print(seed())
    return app


def _event_ids(app) -> tuple[int, int]:
    """The next reading group and the (full) mentoring office hours."""
    with app.app_context():
        reading = db.session.scalar(
            select(Event.id)
            .where(Event.kind == "reading-group", Event.starts_at > utcnow())
            .order_by(Event.starts_at)
            .limit(1)
        )
        mentoring = db.session.scalar(
            select(Event.id).where(Event.title == "Mentoring office hours")
        )
    return reading, mentoring


def _live_session(app, browser, watch, base, jam_id, member, out: Path) -> list[Path]:
    """The seeded jam run live: the host's console, a phone, the projector, the results."""
    from playwright.sync_api import expect

    from mlc_events.auth.models import User
    from mlc_events.sessions import services as sessions

    with app.app_context():
        jam = db.session.get(Event, jam_id)
        host = jam.hosts[0]
        host_email = host.email
        sessions.start(host, jam_id)
        sessions.set_timer(host, jam_id, 4)
        sessions.start_timer(host, jam_id)
        sessions.set_voting(host, jam_id, "current")
        asker = db.session.scalar(select(User).where(User.email == "grace@example.org"))
        question = sessions.ask(asker, jam_id, "How would you measure **success** after a month?")
        other = db.session.scalar(select(User).where(User.email == "alan@example.org"))
        sessions.upvote(other, question.id)
        sessions.ask(other, jam_id, "Is there a dataset to start from?")
    shots = []
    console = watch.open(browser, timezone_id="Europe/Berlin")
    console.goto(f"{base}/auth/login")
    console.get_by_label("Email").fill(host_email)
    console.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    console.get_by_role("button", name="Sign in").click()
    console.goto(f"{base}/events/{jam_id}/host")
    expect(console.locator("#console .stage-title")).to_be_visible()
    shots.append(out / "console.png")
    # caret="initial": Playwright otherwise marks inputs with style="" to hide the caret, which
    # htmx copies on its next swap and the CSP (rightly) refuses.
    console.screenshot(path=shots[-1], full_page=True, caret="initial")

    phone = watch.open(browser, viewport={"width": 390, "height": 844})
    phone.context.add_cookies(member.context.cookies())
    phone.goto(f"{base}/events/{jam_id}/live")
    expect(phone.locator(".stage-title")).to_be_visible()
    shots.append(out / "live-phone.png")
    phone.screenshot(path=shots[-1], full_page=True, caret="initial")

    projector = watch.open(browser, viewport={"width": 1600, "height": 900})
    projector.goto(f"{base}/events/{jam_id}/live?view=projector")
    expect(projector.locator(".projector-qr svg")).to_be_visible()
    shots.append(out / "projector.png")
    projector.screenshot(path=shots[-1], caret="initial")

    with app.app_context():
        host = db.session.scalar(select(User).where(User.email == host_email))
        sessions.set_voting(host, jam_id, "off")
        sessions.reveal(host, jam_id)
    member.goto(f"{base}/events/{jam_id}/results")
    expect(member.locator(".results-chart")).to_be_visible()
    shots.append(out / "results.png")
    member.screenshot(path=shots[-1], full_page=True)
    return shots


def take(out: Path) -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    shots = []
    with tempfile.TemporaryDirectory() as tmp:
        app = _demo_app(Path(tmp))
        reading_id, mentoring_id = _event_ids(app)
        watch = harness.PageWatch()
        with harness.LiveServer(app) as server, sync_playwright() as playwright:
            base = server.url
            browser = harness.launch(playwright)
            try:
                # Signed out: the home page as a newcomer sees it.
                page = watch.open(browser, timezone_id="Europe/London")
                page.goto(f"{base}/")
                expect(page.locator(".event-card").first).to_be_visible()
                shots.append(out / "home.png")
                page.screenshot(path=shots[-1])

                # Signed in as the demo member (no zone in the profile: the browser's is used).
                page = watch.open(browser, timezone_id="Europe/Berlin")
                page.goto(f"{base}/auth/login")
                page.get_by_label("Email").fill(MEMBER)
                page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                expect(page.get_by_role("button", name="Sign out")).to_be_visible()

                page.goto(f"{base}/events/{reading_id}")
                page.locator("#rsvp").get_by_role("button", name="I'm going").click()
                expect(page.locator("#rsvp .rsvp-status")).to_have_text("You're going")
                shots.append(out / "event.png")
                page.screenshot(path=shots[-1])

                page.goto(f"{base}/events/{mentoring_id}")
                page.locator("#rsvp").get_by_role("button", name="Join the waitlist").click()
                expect(page.locator("#rsvp .rsvp-status")).to_contain_text(
                    "You're on the waitlist (position"
                )
                shots.append(out / "waitlist.png")
                page.screenshot(path=shots[-1])

                with app.app_context():
                    jam_id = db.session.scalar(
                        select(Event.id).where(Event.uid == "seed-jam-upcoming@mlc-events")
                    )
                    series_id = db.session.scalar(select(Event.series_id).where(
                        Event.series_id.is_not(None)).limit(1))  # fmt: skip
                page.goto(f"{base}/events/{jam_id}")
                expect(page.locator("#pitch-list")).to_be_visible()
                shots.append(out / "jam.png")
                page.screenshot(path=shots[-1], full_page=True)

                page.goto(f"{base}/series/{series_id}")
                expect(page.locator(".event-card").first).to_be_visible()
                shots.append(out / "series.png")
                page.screenshot(path=shots[-1])

                page.goto(f"{base}/account/calendar")
                shots.append(out / "calendar.png")
                page.screenshot(path=shots[-1])

                shots += _live_session(app, browser, watch, base, jam_id, page, out)
                watch.assert_clean()
            finally:
                browser.close()
    return shots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    if harness.chromium_missing():
        print(harness.SKIP_REASON, file=sys.stderr)
        return 2
    for path in take(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

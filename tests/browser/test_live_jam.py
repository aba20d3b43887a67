"""Live updates in two real browsers: one member votes and comments, the other sees each change
within two seconds, with no reload and no JavaScript error (the app's strict CSP on)."""

from __future__ import annotations

from playwright.sync_api import expect

from mlc_events.auth.models import User
from mlc_events.extensions import db
from mlc_events.jams import services as jams
from tests.browser.harness import sign_in as _sign_in

LIVE = 2000  # ms: the bar


def _open_live(page, url: str) -> None:
    """Open a page and wait until its event stream is connected."""
    page.goto(url)
    expect(page.locator("#live")).to_have_attribute("data-connected", "true")


def _pitch(app, event_id: int, author_id: int) -> int:
    with app.app_context():
        author = db.session.get(User, author_id)
        pitch = jams.create_pitch(
            author,
            event_id,
            jams.PitchInput(title="Sparse autoencoders for proteins", summary="Probe it.",
                            looking_for=["code"], tags="interpretability"),
        )  # fmt: skip
        return pitch.id


def test_a_vote_and_a_comment_reach_the_other_member_live(new_page, live_server, live_app, data):
    base = live_server
    alice, bob = data.user(display_name="Alice Voter"), data.user(display_name="Bob Watcher")
    author = data.user(display_name="Pat Pitcher")
    jam = data.event(title="Research jam: live", kind="research-jam")
    pitch_id = _pitch(live_app, jam["id"], author["id"])

    voter, watcher = new_page(), new_page(viewport={"width": 390, "height": 844})
    _sign_in(voter, base, alice)
    _sign_in(watcher, base, bob)
    _open_live(voter, f"{base}/events/{jam['id']}")
    _open_live(watcher, f"{base}/events/{jam['id']}")
    expect(watcher.locator(f"#tally-{pitch_id}")).to_have_text("0 votes")

    voter.locator(f"#vote-{pitch_id}").get_by_role("button", name="Vote").click()
    # The voter's own page changes from their own response, the watcher's through the stream.
    expect(voter.locator(f"#tally-{pitch_id}")).to_have_text("1 vote")
    expect(watcher.locator(f"#tally-{pitch_id}")).to_have_text("1 vote", timeout=LIVE)
    expect(watcher.locator(f"#vote-{pitch_id}").get_by_role("button", name="Vote")).to_be_visible()

    comments = voter.locator(f"#comments-event-{jam['id']}")
    comments.get_by_label("Add a comment").fill("I'd join the **data** side of this.")
    comments.get_by_role("button", name="Post comment").click()
    expect(comments.locator(".comment-body").last).to_contain_text("I'd join the data side")
    seen = watcher.locator(f"#threads-event-{jam['id']} .comment").last
    expect(seen).to_contain_text("I'd join the data side", timeout=LIVE)
    expect(seen.locator("strong", has_text="data")).to_have_count(1)
    # The watcher gets no edit or delete controls on someone else's comment...
    expect(
        watcher.locator(f"#threads-event-{jam['id']} .comment-controls").last
    ).not_to_contain_text("Delete")
    # ...and the author keeps theirs even though the stream delivered the comment too.
    expect(voter.locator(f"#threads-event-{jam['id']} .comment-controls").last).to_contain_text(
        "Delete"
    )


def test_the_pitch_page_follows_its_events_stream(new_page, live_server, live_app, data):
    base = live_server
    alice, bob = data.user(), data.user()
    jam = data.event(title="Research jam: pitch page", kind="research-jam")
    pitch_id = _pitch(live_app, jam["id"], data.user()["id"])
    voter, watcher = new_page(), new_page()
    _sign_in(voter, base, alice)
    _sign_in(watcher, base, bob)
    _open_live(watcher, f"{base}/pitches/{pitch_id}")
    _open_live(voter, f"{base}/pitches/{pitch_id}")
    voter.locator(f"#vote-{pitch_id}").get_by_role("button", name="Vote").click()
    expect(watcher.locator(f"#tally-{pitch_id}")).to_have_text("1 vote", timeout=LIVE)
    with live_app.app_context():
        jams.add_comment(db.session.get(User, alice["id"]), pitch_id=pitch_id, body="Sounds good")
    expect(watcher.locator(f"#threads-pitch-{pitch_id}")).to_contain_text("Sounds good",
                                                                          timeout=LIVE)  # fmt: skip

"""Live updates in two real browsers: one member votes and comments, the other sees each change
within two seconds, with no reload and no JavaScript error (the app's strict CSP on)."""

from __future__ import annotations

from playwright.sync_api import expect

from mlc_events.auth.models import User
from mlc_events.extensions import db
from mlc_events.jams import services as jams
from mlc_events.live.services import channel
from tests.browser.harness import make_pitch
from tests.browser.harness import sign_in as _sign_in

LIVE = 2000  # ms: the bar


def _open_live(page, url: str) -> None:
    """Open a page and wait until its event stream is connected."""
    page.goto(url)
    expect(page.locator("#live")).to_have_attribute("data-connected", "true")


def test_a_vote_and_a_comment_reach_the_other_member_live(new_page, live_server, live_app, data):
    base = live_server
    alice, bob = data.user(display_name="Alice Voter"), data.user(display_name="Bob Watcher")
    author = data.user(display_name="Pat Pitcher")
    jam = data.event(title="Research jam: live", kind="research-jam")
    pitch_id = make_pitch(live_app, jam["id"], author["id"])

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
    pitch_id = make_pitch(live_app, jam["id"], data.user()["id"])
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


def test_an_older_tally_never_overwrites_a_newer_one(new_page, live_server, live_app, data):
    """Two server processes can deliver their messages out of order, and a member's own
    response can race the stream: the page keeps the tally with the higher version."""
    base = live_server
    jam = data.event(title="Research jam: versions", kind="research-jam")
    first = make_pitch(live_app, jam["id"], data.user()["id"])
    second = make_pitch(live_app, jam["id"], data.user()["id"])
    watcher = new_page()
    _open_live(watcher, f"{base}/events/{jam['id']}")
    _sign_in(voter := new_page(), base, data.user())
    _open_live(voter, f"{base}/events/{jam['id']}")
    voter.locator(f"#vote-{first}").get_by_role("button", name="Vote").click()
    expect(watcher.locator(f"#tally-{first}")).to_have_text("1 vote", timeout=LIVE)
    version = int(watcher.locator(f"#tally-{first}").get_attribute("data-version"))
    assert version >= 1

    def tally(pitch_id: int, shown: str, at: int) -> str:
        span = f'<span id="tally-{pitch_id}" class="tally" data-version="{at}">{shown}</span>'
        return f'<hx-partial hx-target="#tally-{pitch_id}" hx-swap="outerHTML">{span}</hx-partial>'

    broker = live_app.extensions["broker"]
    # A stale rendering of the first tally, with a fresh one of the second in the same message.
    broker.publish(
        channel(jam["id"]), tally(first, "7 votes", version - 1) + tally(second, "3 votes", version)
    )
    expect(watcher.locator(f"#tally-{second}")).to_have_text("3 votes", timeout=LIVE)
    expect(watcher.locator(f"#tally-{first}")).to_have_text("1 vote")
    broker.publish(channel(jam["id"]), tally(first, "4 votes", version + 1))
    expect(watcher.locator(f"#tally-{first}")).to_have_text("4 votes", timeout=LIVE)

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


def test_offers_and_replies_arrive_live_with_each_viewers_controls(
    new_page, live_server, live_app, data
):
    base = live_server
    pat = data.user(display_name="Pat Pitcher")
    ada = data.user(display_name="Ada Helper")
    jam = data.event(title="Research jam: team up", kind="research-jam")
    pitch_id = make_pitch(live_app, jam["id"], pat["id"])
    author, helper = new_page(), new_page(viewport={"width": 390, "height": 844})
    _sign_in(author, base, pat)
    _sign_in(helper, base, ada)
    _open_live(author, f"{base}/pitches/{pitch_id}")
    _open_live(helper, f"{base}/pitches/{pitch_id}")
    expect(author.get_by_text("No open offers.")).to_be_visible()

    # Ada offers; Pat sees it arrive with his own Accept control.
    helper.get_by_label("What you would bring (one line)").fill("GPU hours and evals")
    helper.get_by_role("button", name="I'd work on this").click()
    expect(helper.get_by_text("You offered to work on this.")).to_be_visible()
    offers = author.locator(f"#offer-list-{pitch_id}")
    expect(offers).to_contain_text("GPU hours and evals", timeout=LIVE)
    expect(author.get_by_text("No open offers.")).to_be_hidden()
    accept = offers.get_by_role("button", name="Accept Ada Helper onto the team")
    expect(accept).to_be_visible()

    # Pat accepts; Ada sees herself on the team, with the way to leave it.
    accept.click()
    team = helper.locator(f"#team-{pitch_id}")
    expect(team).to_contain_text("Ada Helper", timeout=LIVE)
    expect(team.get_by_role("button", name="Leave the team")).to_be_visible()
    expect(helper.locator(f"#offer-list-{pitch_id}")).not_to_contain_text("Ada Helper")

    # Pat asks a question; Ada replies from the reply box the stream's comment came with.
    comments = author.locator(f"#comments-pitch-{pitch_id}")
    comments.get_by_label("Add a comment").fill("Which protein family first?")
    comments.get_by_role("button", name="Post comment").click()
    question = helper.locator(f"#threads-pitch-{pitch_id} > .comment-item").last
    expect(question).to_contain_text("Which protein family first?", timeout=LIVE)
    question.get_by_text("Reply", exact=True).click()
    question.get_by_label("Your reply to Pat Pitcher").fill("Kinases, they have the most data.")
    question.get_by_role("button", name="Post reply").click()
    expect(helper.locator(".replies")).to_contain_text("Kinases")
    expect(author.locator(f"#threads-pitch-{pitch_id} .replies")).to_contain_text(
        "Kinases", timeout=LIVE
    )


def test_a_change_of_rules_reaches_every_viewers_controls(new_page, live_server, live_app, data):
    base = live_server
    host = data.user(role="host")
    jam = data.event(title="Research jam: rules", kind="research-jam", hosts=[host["id"]])
    pitch_id = make_pitch(live_app, jam["id"], data.user()["id"])
    watcher = new_page()
    _sign_in(watcher, base, data.user())
    _open_live(watcher, f"{base}/events/{jam['id']}")
    vote = watcher.locator(f"#vote-{pitch_id}").get_by_role("button", name="Vote")
    expect(vote).to_be_visible()
    with live_app.app_context():
        jams.update_settings(
            db.session.get(User, host["id"]), jam["id"], jams.SettingsInput(voting_open=False)
        )
    # Pages reload their controls within a second of the announcement (spread out).
    expect(vote).to_have_count(0, timeout=LIVE + 1000)
    expect(watcher.locator("#jam")).to_contain_text("Voting is closed", timeout=LIVE)


def test_a_resync_reloads_what_the_page_missed(new_page, live_server, live_app, data):
    """After a server restart (or a gap longer than the replay log) the stream says "resync":
    the page reloads its live regions, each for its own viewer."""
    base = live_server
    jam = data.event(title="Research jam: resync", kind="research-jam")
    pitch_id = make_pitch(live_app, jam["id"], data.user()["id"])
    member = data.user(display_name="Sam Silent")
    watcher = new_page()
    _sign_in(watcher, base, data.user())
    _open_live(watcher, f"{base}/events/{jam['id']}")
    live_app.config["LIVE_UPDATES"] = False  # changes the page cannot hear about...
    with live_app.app_context():
        jams.cast_vote(db.session.get(User, member["id"]), pitch_id, True)
        jams.add_comment(db.session.get(User, member["id"]), "Missed me?", event_id=jam["id"])
    live_app.config["LIVE_UPDATES"] = True
    expect(watcher.locator(f"#tally-{pitch_id}")).to_have_text("0 votes")
    live_app.extensions["broker"].publish(channel(jam["id"]), "", "resync")  # ...until this
    expect(watcher.locator(f"#tally-{pitch_id}")).to_have_text("1 vote", timeout=LIVE)
    expect(watcher.locator(f"#comments-event-{jam['id']}")).to_contain_text("Missed me?")
    expect(watcher.locator(f"#vote-{pitch_id}").get_by_role("button", name="Vote")).to_be_visible()

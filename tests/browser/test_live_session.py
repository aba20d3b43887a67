"""A host-run live session in real browsers: the host drives the console while a member on a
phone and a second viewer follow the audience view live (the stage within two seconds, the
timers agreeing within a second, voting rounds); a stale click by a co-host is refused; a
server restart in the middle loses nothing; axe finds nothing serious on either page."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from mlc_events import create_app
from mlc_events.auth.models import User
from mlc_events.database import utcnow
from mlc_events.extensions import db
from mlc_events.jams import services as jams
from mlc_events.jams.models import Vote
from mlc_events.live.services import channel, stop_live
from mlc_events.sessions import services as sessions
from tests.browser import harness
from tests.browser.harness import LiveServer
from tests.browser.harness import sign_in as _sign_in

LIVE = 2000  # ms: the bar for a change to reach every screen
PHONE = {"width": 390, "height": 844}
TITLES = ("Sparse autoencoders for proteins", "Tiny models that plan", "Benchmarks nobody games")


def _open_live(page, url: str) -> None:
    """Open a page and wait until its event stream is connected."""
    page.goto(url)
    expect(page.locator("#live")).to_have_attribute("data-connected", "true")


def _jam_with_pitches(app, data, hosts=None, titles=TITLES) -> tuple[dict, list[int]]:
    """A research jam and its pitches (each by its own author, so anyone else can vote)."""
    jam = data.event(title="Research jam: live session", kind="research-jam", hosts=hosts)
    ids = []
    with app.app_context():
        for title in titles:
            author = db.session.get(User, data.user()["id"])
            pitch = jams.create_pitch(
                author, jam["id"], jams.PitchInput(title=title, summary="Probe it.")
            )
            ids.append(pitch.id)
    return jam, ids


def _as_host(app, host_id: int, action, *args):
    """Run a session service as the host, outside any browser (to set a scene quickly)."""
    with app.app_context():
        return action(db.session.get(User, host_id), *args)


def _seconds(text: str) -> int:
    minutes, _, seconds = text.strip().partition(":")
    return int(minutes) * 60 + int(seconds)


def _timers(pages, event_id: int) -> list[int]:
    """The timer each page shows, read one right after the other."""
    selector = f"#stage-{event_id} .timer-value"
    return [
        _seconds(p.evaluate(f"document.querySelector('{selector}').textContent")) for p in pages
    ]


def _timer_gaps(pages, app, event_id: int) -> list[float]:
    """How far ahead of the server's exact seconds left each page's timer is, each read at once
    after the page's. A screen shows whole seconds rounded up and redraws four times a second,
    so a page in sync is between 0 and 1.25 s ahead."""
    with app.app_context():
        ends = db.session.get(sessions.JamSession, event_id).timer_ends_at
    return [
        round(_timers((page,), event_id)[0] - (ends - utcnow()).total_seconds(), 2)
        for page in pages
    ]


def _in_sync(gaps: list[float]) -> bool:
    """Every screen in sync with the server: 0 to 1.25 s ahead (see above), give or take half a
    second for the page's estimate of the server's clock (learnt from when the stage it got
    was rendered, which reaches it a little later on a busy machine)."""
    return all(-0.5 <= gap <= 1.75 for gap in gaps)


def _mark(page, selector: str) -> None:
    """Tag a region: the tag disappears when the page reloads that region."""
    page.locator(selector).evaluate("el => el.setAttribute('data-test-old', '')")


def test_the_audience_follows_the_host_live(new_page, live_server, live_app, data):
    base = live_server
    host_user = data.user(role="host", display_name="Hana Host")
    member_user = data.user(display_name="Mo Member")
    jam, pitch_ids = _jam_with_pitches(live_app, data, hosts=[host_user["id"]])
    # Voting starts closed, so the member's Vote button can only come from the host opening it.
    _as_host(live_app, host_user["id"], jams.update_settings, jam["id"],
             jams.SettingsInput(voting_open=False))  # fmt: skip
    stage = f"#stage-{jam['id']}"

    host = new_page()
    member = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    viewer = new_page()  # anonymous
    _sign_in(host, base, host_user)
    _sign_in(member, base, member_user)
    _open_live(host, f"{base}/events/{jam['id']}/host")
    _open_live(member, f"{base}/events/{jam['id']}/live")
    _open_live(viewer, f"{base}/events/{jam['id']}/live")
    for page in (member, viewer):
        expect(page.locator(stage)).to_contain_text("The live session has not started yet.")

    # Start: pitch 1 reaches both audiences through the stream, without a reload.
    for page in (host, member, viewer):
        page.evaluate("window.__notReloaded = true")
    started = time.monotonic()
    host.get_by_role("button", name="Start the session").click()
    for page in (member, viewer):
        expect(page.locator(f"{stage} .stage-title")).to_have_text(TITLES[0], timeout=LIVE)
        expect(page.locator(f"{stage} .stage-position")).to_have_text("Pitch 1 of 3")
    print(f"\nstart reached both audiences in {time.monotonic() - started:.2f} s")
    expect(host.locator(f"{stage} .stage-title")).to_have_text(TITLES[0])
    expect(member.locator(f"#vote-{pitch_ids[0]}")).to_contain_text("Voting closed", timeout=LIVE)
    expect(viewer.locator(f"#vote-{pitch_ids[0]}")).to_contain_text("Sign in to vote")

    # The timer: every screen counts down to the end the server decided.
    host.get_by_role("button", name="Start timer").click()
    for page in (member, viewer):
        expect(page.locator(f"{stage} .timer[data-ends-at]")).to_have_count(1, timeout=LIVE)
    expect(host.locator(f"{stage} .timer[data-ends-at]")).to_have_count(1)
    first = _timers((host, member, viewer), jam["id"])
    time.sleep(1.3)
    shown = _timers((host, member, viewer), jam["id"])
    gaps = _timer_gaps((host, member, viewer), live_app, jam["id"])
    print(f"timers right after the start {first}, 1.3 s later {shown}, ahead of the server {gaps}")
    assert max(shown) - min(shown) <= 1, f"the screens disagree: host, member, viewer = {shown}"
    assert max(shown) < 180, f"the timers are not counting down: {shown}"
    assert _in_sync(gaps), f"host, member, viewer ahead of the server by {gaps} s"

    # Voting for the current pitch: the member's box reloads (spread over a second) with a
    # Vote button; the anonymous viewer gets the sign-in link.
    _mark(member, "#audience")
    host.get_by_role("button", name="Open voting for this pitch").click()
    expect(member.locator(f"{stage} .stage-voting")).to_have_text(
        "Voting is open for this pitch.", timeout=LIVE
    )
    expect(member.locator("#audience[data-test-old]")).to_have_count(0, timeout=LIVE)
    vote = member.locator(f"#vote-{pitch_ids[0]}").get_by_role("button", name="Vote for")
    expect(vote).to_be_visible()
    vote.click()
    expect(
        member.locator(f"#vote-{pitch_ids[0]}").get_by_role("button", name="Voted")
    ).to_be_visible()
    with live_app.app_context():
        votes = db.session.scalars(db.select(Vote).where(Vote.pitch_id == pitch_ids[0])).all()
        assert [v.user_id for v in votes] == [member_user["id"]]

    # Next: pitch 2 on both audiences; the member can vote on it (voting follows the pitch).
    started = time.monotonic()
    host.get_by_role("button", name="Next →").click()
    for page in (member, viewer):
        expect(page.locator(f"{stage} .stage-title")).to_have_text(TITLES[1], timeout=LIVE)
        expect(page.locator(f"{stage} .stage-position")).to_have_text("Pitch 2 of 3")
    print(f"next reached both audiences in {time.monotonic() - started:.2f} s")
    expect(host.locator(f"{stage} .stage-title")).to_have_text(TITLES[1])
    expect(host.locator("#console .queue-current")).to_contain_text(TITLES[1])
    expect(
        member.locator(f"#vote-{pitch_ids[1]}").get_by_role("button", name="Vote for")
    ).to_be_visible(timeout=LIVE)
    # The stage changed in place: none of the three pages was reloaded.
    for page in (host, member, viewer):
        assert page.evaluate("window.__notReloaded === true"), f"{page.url} was reloaded"


def _expect_refusal(request, page, status: int) -> None:
    """Let through Chromium's own log line for one refusal the test asked for (any 4xx answer
    to a fetch is logged as "Failed to load resource"); everything else still fails the test."""
    watch = request.node._page_watch
    line = f"the server responded with a status of {status}"
    refusals = [
        p for p in watch.problems if p.startswith(f"console error on {page.url}") and line in p
    ]
    assert len(refusals) == 1, watch.problems
    watch.problems.remove(refusals[0])


def test_a_stale_click_from_a_co_host_does_not_advance_twice(
    request, new_page, live_server, live_app, data
):
    base = live_server
    first_host, second_host = data.user(role="host"), data.user(role="host")
    jam, pitch_ids = _jam_with_pitches(live_app, data, hosts=[first_host["id"], second_host["id"]])
    _as_host(live_app, first_host["id"], sessions.start, jam["id"])
    stage = f"#stage-{jam['id']}"
    console_url = f"{base}/events/{jam['id']}/host"
    a, b = new_page(), new_page()
    _sign_in(a, base, first_host)
    _sign_in(b, base, second_host)
    _open_live(a, console_url)
    _open_live(b, console_url)

    # Hold B's console reloads, so B is certainly looking at the state before A's click (in
    # real life B clicks within the moment the reload takes).
    held = []

    def hold_reloads(route):
        if route.request.method == "GET" and route.request.headers.get("hx-request"):
            held.append(route)
        else:
            route.continue_()

    b.route(console_url, hold_reloads)
    a.get_by_role("button", name="Next →").click()
    expect(a.locator(f"{stage} .stage-position")).to_have_text("Pitch 2 of 3")
    # B's stage followed through the stream; its controls still carry the old version.
    expect(b.locator(f"{stage} .stage-position")).to_have_text("Pitch 2 of 3", timeout=LIVE)
    deadline = time.monotonic() + 2
    while not held and time.monotonic() < deadline:
        b.wait_for_timeout(50)
    assert held, "B's console never asked to reload"
    b.get_by_role("button", name="Next →").click()
    expect(b.locator("#console .alert-error")).to_contain_text("Another host changed the session")
    expect(b.locator(f"{stage} .stage-position")).to_have_text("Pitch 2 of 3")
    _expect_refusal(request, b, 409)
    with live_app.app_context():
        session = db.session.get(sessions.JamSession, jam["id"])
        assert session.current_pitch_id == pitch_ids[1], "advanced twice"
        assert session.version == 2  # start, next: B's click changed nothing

    # B's console, now current (from the 409 answer), works; the late reloads harm nothing.
    for route in held:
        route.continue_()
    b.unroute(console_url)
    b.wait_for_timeout(300)  # let the late reloads land
    b.get_by_role("button", name="Next →").click()
    expect(b.locator(f"{stage} .stage-position")).to_have_text("Pitch 3 of 3")
    expect(a.locator(f"{stage} .stage-position")).to_have_text("Pitch 3 of 3", timeout=LIVE)
    expect(b.locator("#console .alert-error")).to_have_count(0)


def test_a_server_restart_in_the_middle_loses_nothing(new_page, live_app, data, tmp_path):
    host_user, member_user = data.user(role="host"), data.user()
    jam, pitch_ids = _jam_with_pitches(live_app, data, hosts=[host_user["id"]])
    for action in (sessions.start, sessions.step, sessions.start_timer):
        args = (jam["id"], 1) if action is sessions.step else (jam["id"],)
        _as_host(live_app, host_user["id"], action, *args)
    stage = f"#stage-{jam['id']}"
    old = LiveServer(live_app).__enter__()
    new, pages = None, []
    try:
        base, port = old.url, old.server.server_port
        host, member = new_page(), new_page(viewport=PHONE)
        pages += [host, member]
        _sign_in(host, base, host_user)
        _sign_in(member, base, member_user)
        _open_live(host, f"{base}/events/{jam['id']}/host")
        _open_live(member, f"{base}/events/{jam['id']}/live")
        for page in (host, member):
            expect(page.locator(f"{stage} .stage-title")).to_have_text(TITLES[1])
            _mark(page, "#console" if page is host else "#audience")
        before = _timer_gaps((host, member), live_app, jam["id"])
        assert _in_sync(before), before

        # The restart: a new process's app on the same database, on the same port. Its
        # broker starts a new epoch, so a reconnecting page is told to resync.
        restarted = time.monotonic()
        new_app = create_app(
            harness.app_config(tmp_path, live_app.config["SQLALCHEMY_DATABASE_URI"])
        )
        old.server.shutdown()
        old.server.server_close()
        new = LiveServer(new_app, port=port).__enter__()
        # As gunicorn does on SIGTERM: end the old process's streams; the browsers reconnect.
        assert stop_live(live_app) == 2
        old.thread.join(timeout=10)
        with live_app.app_context():
            db.engine.dispose()
        assert new.url == base

        broker = new_app.extensions["broker"]
        deadline = time.monotonic() + 5
        while broker.count(channel(jam["id"])) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert broker.count(channel(jam["id"])) == 2, "the pages did not reconnect"
        # The resync reloaded each page's own region from the new server.
        expect(host.locator("#console[data-test-old]")).to_have_count(0, timeout=LIVE)
        expect(member.locator("#audience[data-test-old]")).to_have_count(0, timeout=LIVE)
        print(f"\nreconnected and resynced {time.monotonic() - restarted:.2f} s after the restart")
        for page in (host, member):
            expect(page.locator(f"{stage} .stage-title")).to_have_text(TITLES[1])
            expect(page.locator(f"{stage} .stage-position")).to_have_text("Pitch 2 of 3")
            expect(page.locator(f"{stage} .timer[data-ends-at]")).to_have_count(1)
        after = _timers((host, member), jam["id"])
        gaps = _timer_gaps((host, member), new_app, jam["id"])
        print(f"ahead of the server: before {before}, after {gaps} (showing {after})")
        assert max(after) - min(after) <= 1, after
        # The same end time, from the database, counted down on the same clock.
        assert _in_sync(gaps), gaps

        # The new server drives every screen: the console's forms (same CSRF secret) work.
        _mark(member, "#audience")
        host.get_by_role("button", name="Next →").click()
        expect(member.locator(f"{stage} .stage-title")).to_have_text(TITLES[2], timeout=LIVE)
        # The member's own region reloads too (within a second): wait for it before stopping.
        expect(member.locator("#audience[data-test-old]")).to_have_count(0, timeout=LIVE)
        with new_app.app_context():
            assert db.session.get(sessions.JamSession, jam["id"]).current_pitch_id == pitch_ids[2]
    finally:
        for page in pages:  # before their server goes: a stream cut now is no restart
            page.context.close()
        if new is not None:
            stop_live(new.app)
            new.__exit__(None, None, None)
        else:
            stop_live(live_app)
            old.__exit__(None, None, None)


def test_the_console_and_the_audience_view_pass_axe(new_page, live_server, live_app, data, axe):
    base = live_server
    host_user, member_user = data.user(role="host"), data.user()
    jam, _ = _jam_with_pitches(live_app, data, hosts=[host_user["id"]])
    host, member = new_page(), new_page(viewport=PHONE)
    _sign_in(host, base, host_user)
    _sign_in(member, base, member_user)
    _open_live(host, f"{base}/events/{jam['id']}/host")
    axe(host)  # before the start
    host.get_by_role("button", name="Start the session").click()
    host.get_by_role("button", name="Start timer").click()
    expect(host.locator(".timer[data-ends-at]")).to_have_count(1)
    axe(host)
    _open_live(member, f"{base}/events/{jam['id']}/live")
    expect(member.get_by_role("button", name="Vote for")).to_be_visible()
    axe(member)


def test_the_projector_shows_questions_tallies_and_results_live(
    new_page, live_server, live_app, data
):
    """Host console, a member on a phone, the projector: the member asks a question and
    votes, the projector shows both; the host closes voting and reveals the results."""
    base = live_server
    host_user = data.user(role="host", display_name="Hana Host")
    member_user = data.user(display_name="Mo Member")
    jam, pitch_ids = _jam_with_pitches(live_app, data, hosts=[host_user["id"]])
    host = new_page()
    member = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    projector = new_page(viewport={"width": 1600, "height": 900})
    _sign_in(host, base, host_user)
    _sign_in(member, base, member_user)
    _open_live(host, f"{base}/events/{jam['id']}/host")
    host.get_by_role("button", name="Start the session").click()
    host.get_by_role("button", name="Open voting for this pitch").click()
    _open_live(member, f"{base}/events/{jam['id']}/live")
    _open_live(projector, f"{base}/events/{jam['id']}/live?view=projector")
    expect(projector.locator(".projector-qr svg title")).to_have_text(
        "QR code: open the live view on your phone"
    )
    expect(projector.locator(".stage-title")).to_have_text(TITLES[0])

    # The member asks; their own page shows it at once, the projector and console within 2 s.
    member.get_by_label("Your question about this pitch").fill("Which proteins **first**?")
    member.get_by_role("button", name="Ask").click()
    expect(member.locator(f"#questions-{pitch_ids[0]}")).to_contain_text("Which proteins first?")
    expect(member.locator(f"#questions-{pitch_ids[0]} .upvote")).to_be_hidden()  # their own
    expect(projector.locator(f"#top-questions-{jam['id']}")).to_contain_text(
        "Which proteins first?", timeout=LIVE
    )
    expect(host.locator(".console-questions")).to_contain_text("Which proteins first?",
                                                               timeout=LIVE)  # fmt: skip

    # The member votes; the projector's chart follows.
    member.locator(f"#vote-{pitch_ids[0]}").get_by_role("button", name="Vote for").click()
    expect(projector.locator(f"#tally-chart-{jam['id']} meter").first).to_have_attribute(
        "value", "1", timeout=LIVE
    )

    # The host marks the question answered, closes voting and reveals the results.
    host.locator(".console-questions").get_by_role("button", name="Mark answered").click()
    expect(member.locator(f"#questions-{pitch_ids[0]}")).to_contain_text("Answered", timeout=LIVE)
    host.get_by_role("button", name="Close voting").click()
    host.get_by_role("button", name="Reveal the results to everyone").click()
    results = member.locator(f"#results-{jam['id']}")
    expect(results).to_be_visible(timeout=LIVE + 1000)  # the audience reloads, spread out
    expect(results.locator("tbody tr").first).to_contain_text(TITLES[0])
    expect(results.locator("svg.results-chart rect")).to_have_count(3)

    violations = harness.run_axe(projector, harness.axe_source())
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, harness.format_violations(serious)


def test_a_member_keeps_seeing_their_upvote_as_others_upvote(new_page, live_server, live_app, data):
    """The upvote button shows the viewer's own upvote pressed, and keeps it when someone
    else's upvote arrives through the stream (one rendering for everyone, no one's state)."""
    base = live_server
    host_user, member_user, others = data.user(role="host"), data.user(), data.user()
    jam, pitch_ids = _jam_with_pitches(live_app, data, hosts=[host_user["id"]])
    _as_host(live_app, host_user["id"], sessions.start, jam["id"])
    question = _as_host(live_app, data.user()["id"], sessions.ask, jam["id"], "Which data?")
    member = new_page(viewport=PHONE)
    _sign_in(member, base, member_user)
    _open_live(member, f"{base}/events/{jam['id']}/live")
    button = member.locator(f"#question-{question.id} .upvote button")
    expect(button).to_have_attribute("aria-pressed", "false")

    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_contain_text("▲ 1")
    _as_host(live_app, others["id"], sessions.upvote, question.id)  # through the stream
    expect(button).to_contain_text("▲ 2", timeout=LIVE)
    expect(button).to_have_attribute("aria-pressed", "true")

    button.click()  # taken back
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(button).to_contain_text("▲ 1")


def test_every_screen_shows_times_up_at_zero(new_page, live_server, live_app, data):
    """The cue at zero: each screen's countdown reaches it on its own, from the server's end, and
    says it in the page's one live region, outside the stage the stream replaces (a region
    inserted with its text is not announced); a new minute clears it."""
    from datetime import timedelta

    from mlc_events.sessions.live import publish_session

    base = live_server
    host_user = data.user(role="host")
    jam, _ = _jam_with_pitches(live_app, data, hosts=[host_user["id"]])
    _as_host(live_app, host_user["id"], sessions.start, jam["id"])
    _as_host(live_app, host_user["id"], sessions.start_timer, jam["id"])
    stage, cue = f"#stage-{jam['id']}", f"#timer-cue-{jam['id']}"
    host, audience, projector = new_page(), new_page(viewport=PHONE), new_page()
    _sign_in(host, base, host_user)
    _open_live(host, f"{base}/events/{jam['id']}/host")
    _open_live(audience, f"{base}/events/{jam['id']}/live")
    _open_live(projector, f"{base}/events/{jam['id']}/live?view=projector")
    screens = (host, audience, projector)
    for page in screens:
        expect(page.locator(".timer-cue")).to_have_count(1)
        expect(page.locator(cue)).to_have_attribute("aria-live", "polite")
        expect(page.locator(cue)).to_have_text("")
        # Outside the stage and outside what the page reloads (console, audience, projector).
        assert page.locator(cue).evaluate(
            "el => !el.closest('.stage, #console, #audience, #projector')"
        )
        _mark(page, cue)
        _mark(page, stage)
    with live_app.app_context():  # fast-forward: two seconds left
        session = db.session.get(sessions.JamSession, jam["id"])
        session.timer_ends_at = utcnow() + timedelta(seconds=2)
        db.session.commit()
        publish_session(jam["id"])
    for page in screens:
        expect(page.locator(f"{stage}[data-test-old]")).to_have_count(0)  # the stream's stage
        expect(page.locator(f"{stage} .timer-value")).to_have_text("0:00", timeout=4000)
        expect(page.locator(f"{stage} .timer")).to_have_class("timer timer-running timer-done")
        # The region the page had from the start says it: screen readers announce the change.
        expect(page.locator(f"{cue}[data-test-old]")).to_have_text("Time's up")
        expect(page.locator(f"{stage} .timer-cue")).to_have_count(0)

    _as_host(live_app, host_user["id"], sessions.add_minute, jam["id"])
    for page in screens:
        expect(page.locator(f"{stage} .timer-value")).not_to_have_text("0:00", timeout=LIVE)
        expect(page.locator(f"{cue}[data-test-old]")).to_have_text("")

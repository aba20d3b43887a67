"""Reordering the pitch queue in the host console with the mouse: a pitch still to come is
dragged onto another one's place and the console comes back in the new order (the database's);
a drop on a pitch presented so far does nothing; the ↑ button still works beside it."""

from __future__ import annotations

from playwright.sync_api import expect

from mlc_events.extensions import db
from mlc_events.sessions import services as sessions
from tests.browser.harness import sign_in
from tests.browser.test_live_session import _as_host, _jam_with_pitches, _mark, _open_live

TITLES = ("Sparse autoencoders", "Tiny models that plan", "Benchmarks nobody games", "Grokking")


def _order(app, event_id: int) -> list[str]:
    with app.app_context():
        return [p.title for p in sessions.queue(sessions.session_for(event_id))]


def test_a_host_drags_the_last_pitch_to_be_presented_next(new_page, live_server, live_app, data):
    host_user = data.user(role="host")
    jam, _ = _jam_with_pitches(live_app, data, hosts=[host_user["id"]], titles=TITLES)
    _as_host(live_app, host_user["id"], sessions.start, jam["id"])  # the first is on stage
    host = new_page()
    sign_in(host, live_server, host_user)
    _open_live(host, f"{live_server}/events/{jam['id']}/host")
    host.evaluate("window.__notReloaded = true")
    queue = host.locator("#console .queue-item")
    shown = host.locator("#console .queue-title")
    expect(shown).to_have_text(list(TITLES))
    expect(host.locator("#console .queue-item[draggable='true']")).to_have_count(3)
    with live_app.app_context():
        version = db.session.get(sessions.JamSession, jam["id"]).version

    # Dropped on the pitch on stage: not a place it can go; nothing is sent.
    queue.nth(3).drag_to(queue.nth(0))
    host.wait_for_timeout(300)
    expect(shown).to_have_text(list(TITLES))
    with live_app.app_context():
        assert db.session.get(sessions.JamSession, jam["id"]).version == version

    # Dropped on the first pitch still to come: it is presented next.
    _mark(host, "#console")
    queue.nth(3).drag_to(queue.nth(1))
    expected = [TITLES[0], TITLES[3], TITLES[1], TITLES[2]]
    expect(shown).to_have_text(expected)
    expect(host.locator("#console[data-test-old]")).to_have_count(0)  # the server's rendering
    expect(host.locator(".queue-dragging, .queue-drop-target")).to_have_count(0)
    assert _order(live_app, jam["id"]) == expected

    # The ↑ button, the keyboard's way, still works on the new console.
    host.get_by_role("button", name=f"Move “{TITLES[2]}” up").click()
    expected = [TITLES[0], TITLES[3], TITLES[2], TITLES[1]]
    expect(shown).to_have_text(expected)
    assert _order(live_app, jam["id"]) == expected
    assert host.evaluate("window.__notReloaded === true"), "the console page was reloaded"

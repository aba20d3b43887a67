"""The host console and the audience view over HTTP: each role, page and htmx fragment, bad and
stale input answered with a 4xx and a message, nothing changed."""

from __future__ import annotations

import html
import re

import pytest

from mlc_events.extensions import db
from mlc_events.sessions import services


def body(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def version(page: str) -> int:
    return int(re.search(r'name="version" value="(\d+)"', page)[1])


@pytest.fixture
def room(make_jam, make_pitch, make_user):
    jam = make_jam()
    for n in range(3):
        make_pitch(jam, title=f"Idea {n}", author=make_user())
    return jam


def test_members_and_strangers_cannot_reach_the_console(room, login, make_user, client):
    assert client.get(f"/events/{room.id}/host").status_code == 302  # to sign in
    member = login(make_user())
    assert member.get(f"/events/{room.id}/host").status_code == 403
    refused = member.post(f"/events/{room.id}/host/start", {"version": "0"})
    assert refused.status_code == 403
    assert services.session_for(room.id).phase == "ready"


@pytest.mark.parametrize("who", ["host", "admin"])
def test_a_host_runs_the_session_from_plain_forms(room, login, make_user, who):
    host = login(room.hosts[0] if who == "host" else make_user(role="admin"))
    page = body(host.get(f"/events/{room.id}/host"))
    assert "Start the session" in page and "Pitch queue (3)" in page
    started = host.post(f"/events/{room.id}/host/start", {"version": version(page)})
    assert started.status_code == 303
    page = body(host.get(f"/events/{room.id}/host"))
    assert "Pitch 1 of 3" in page and "Idea 0" in page and "Next →" in page
    host.post(f"/events/{room.id}/host/next", {"version": version(page)})
    assert "Pitch 2 of 3" in body(host.get(f"/events/{room.id}/host"))


def test_htmx_actions_answer_with_the_console(room, login):
    host = login(room.hosts[0])
    answer = host.post(f"/events/{room.id}/host/start", {"version": "0"}, htmx=True)
    assert answer.status_code == 200
    page = body(answer)
    assert page.lstrip().startswith('<div id="console"') and "<html" not in page
    assert "Pitch 1 of 3" in page
    assert "HX-Request" in answer.headers["Vary"]


def test_a_stale_click_is_a_409_showing_where_the_session_is(room, login, make_user):
    host = login(room.hosts[0])
    host.post(f"/events/{room.id}/host/start", {"version": "0"})
    seen = services.session_for(room.id).version
    host.post(f"/events/{room.id}/host/next", {"version": str(seen)})  # a co-host's click
    db.session.expire_all()
    stale = host.post(f"/events/{room.id}/host/next", {"version": str(seen)}, htmx=True)
    assert stale.status_code == 409
    page = body(stale)
    assert "Another host changed the session" in page and "Pitch 2 of 3" in page
    db.session.expire_all()
    assert services.session_for(room.id).current_pitch_id is not None
    assert "Pitch 2 of 3" in body(host.get(f"/events/{room.id}/host"))  # moved once only


@pytest.mark.parametrize(
    ("action", "form", "status", "message"),
    [
        ("timer", {"minutes": "0"}, 422, "Enter whole minutes from 1 to 30."),
        ("timer", {"minutes": "600"}, 422, "Enter whole minutes from 1 to 30."),
        ("next", {"version": "x1"}, 422, "That request was garbled"),
        ("voting", {"scope": "forever"}, 422, "Open voting for all pitches or the current one"),
        ("previous", {}, 409, "This is the first pitch."),
    ],
)
def test_bad_input_is_a_4xx_with_a_message_and_changes_nothing(
    room, login, action, form, status, message
):
    host = login(room.hosts[0])
    host.post(f"/events/{room.id}/host/start", {"version": "0"})
    db.session.expire_all()
    before = services.session_for(room.id).version
    for htmx in (False, True):
        answer = host.post(f"/events/{room.id}/host/{action}", form, htmx=htmx)
        assert answer.status_code == status
        assert message in body(answer)
    db.session.expire_all()
    assert services.session_for(room.id).version == before


def test_unknown_actions_are_404(room, login):
    host = login(room.hosts[0])
    assert host.post(f"/events/{room.id}/host/explode", {}).status_code == 404


def test_the_audience_sees_the_stage_and_votes_while_voting_is_open(room, login, make_user, client):
    anonymous = body(client.get(f"/events/{room.id}/live"))
    assert "has not started yet" in anonymous
    assert f'hx-sse:connect="/events/{room.id}/stream' in anonymous
    host = room.hosts[0]
    services.start(host, room.id)
    services.start_timer(host, room.id)
    services.set_voting(host, room.id, "off")
    member = login(make_user())
    page = body(member.get(f"/events/{room.id}/live"))
    assert "Idea 0" in page and 'role="timer"' in page and "data-ends-at=" in page
    assert "Voting closed" in page  # the vote box says so
    services.set_voting(host, room.id, "current")
    page = body(member.get(f"/events/{room.id}/live"))
    assert ">Vote<" in page
    fragment = member.get(f"/events/{room.id}/live", headers={"HX-Request": "true"})
    assert body(fragment).lstrip().startswith('<div id="audience"')


def test_members_only_jams_keep_their_live_view_for_members(make_jam, client):
    jam = make_jam(visibility="members")
    assert client.get(f"/events/{jam.id}/live").status_code == 302

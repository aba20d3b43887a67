"""Placing a pitch at a position in the queue (what a drag in the host console does): only
among the pitches still to come, refused with nothing changed otherwise; and over HTTP, as a
page and as an htmx fragment."""

from __future__ import annotations

import html
import re

import pytest

from mlc_events.errors import Conflict, PermissionDenied, SignInRequired
from mlc_events.extensions import db
from mlc_events.jams import services as jams
from mlc_events.sessions import services
from mlc_events.sessions.models import JamSession
from tests.conftest import both_backends

# The row locks and the upsert that creates a session differ between the two databases.
pytestmark = both_backends


@pytest.fixture
def room(make_jam, make_pitch, make_user):
    """A jam with five pitches (in submission order) and its host."""
    jam = make_jam()
    pitches = [make_pitch(jam, title=f"Idea {n}", author=make_user()) for n in range(5)]
    return jam, jam.hosts[0], pitches


@pytest.fixture
def on_stage(room):
    """The same, running: Idea 0 presented, Idea 1 on stage, Ideas 2 to 4 still to come."""
    jam, host, pitches = room
    services.start(host, jam.id)
    services.step(host, jam.id, 1)
    return jam, host, pitches


def state(jam) -> JamSession:
    db.session.expire_all()
    return services.session_for(jam.id)


def order(jam, pitches) -> list[int]:
    """The queue as indexes into ``pitches``."""
    number = {p.id: n for n, p in enumerate(pitches)}
    return [number[p.id] for p in services.queue(state(jam))]


# --- the service ------------------------------------------------------------------------------


def test_a_pitch_placed_first_among_those_to_come_is_presented_next(on_stage):
    jam, host, pitches = on_stage
    before = state(jam).version
    services.place(host, jam.id, pitches[4].id, 2)
    assert order(jam, pitches) == [0, 1, 4, 2, 3]
    assert state(jam).version == before + 1
    services.step(host, jam.id, 1)
    assert state(jam).current_pitch_id == pitches[4].id


def test_a_pitch_placed_last_goes_to_the_bottom(on_stage):
    jam, host, pitches = on_stage
    services.place(host, jam.id, pitches[2].id, 4)
    assert order(jam, pitches) == [0, 1, 3, 4, 2]


def test_before_the_start_any_pitch_goes_anywhere(room):
    jam, host, pitches = room
    services.place(host, jam.id, pitches[3].id, 0)
    assert order(jam, pitches) == [3, 0, 1, 2, 4]
    services.start(host, jam.id)
    assert state(jam).current_pitch_id == pitches[3].id


@pytest.mark.parametrize(
    ("pitch", "position"),
    [
        (4, 1),  # above the one on stage
        (4, 0),  # above the one presented first
        (1, 3),  # the one on stage, down among those to come
        (0, 4),  # one presented so far
    ],
)
def test_pitches_presented_so_far_keep_their_places(on_stage, pitch, position):
    jam, host, pitches = on_stage
    before = state(jam).version
    with pytest.raises(Conflict, match="Pitches presented so far keep their places"):
        services.place(host, jam.id, pitches[pitch].id, position)
    assert order(jam, pitches) == [0, 1, 2, 3, 4]
    assert state(jam).version == before


@pytest.mark.parametrize(("position", "shown"), [(5, 6), (99, 100), (-1, 0)])
def test_a_position_outside_the_queue_is_refused(on_stage, position, shown):
    jam, host, pitches = on_stage
    with pytest.raises(Conflict, match=f"There is no place {shown} in a queue of 5"):
        services.place(host, jam.id, pitches[2].id, position)
    assert order(jam, pitches) == [0, 1, 2, 3, 4]


def test_placing_a_pitch_where_it_is_is_refused(on_stage):
    jam, host, pitches = on_stage
    before = state(jam).version
    with pytest.raises(Conflict, match="That pitch is already there"):
        services.place(host, jam.id, pitches[3].id, 3)
    assert state(jam).version == before


def test_a_withdrawn_pitch_cannot_be_placed_and_the_others_close_up(on_stage):
    jam, host, pitches = on_stage
    jams.withdraw_pitch(pitches[3].author, pitches[3].id)
    with pytest.raises(Conflict, match="not in the queue"):
        services.place(host, jam.id, pitches[3].id, 2)
    services.place(host, jam.id, pitches[4].id, 2)  # the queue is now 0, 1, 2, 4
    assert order(jam, [p for p in pitches if p is not pitches[3]]) == [0, 1, 3, 2]


def test_a_pitch_withdrawn_on_stage_keeps_its_place_when_another_is_placed(on_stage):
    jam, host, pitches = on_stage
    jams.withdraw_pitch(pitches[1].author, pitches[1].id)  # the one on stage
    assert services.first_to_come(state(jam), services.queue(state(jam))) == 1
    services.place(host, jam.id, pitches[4].id, 1)
    services.step(host, jam.id, 1)
    assert state(jam).current_pitch_id == pitches[4].id


def test_an_ended_session_cannot_be_reordered(on_stage):
    jam, host, pitches = on_stage
    services.end(host, jam.id)
    with pytest.raises(Conflict, match="The session has ended"):
        services.place(host, jam.id, pitches[4].id, 2)


def test_only_the_jams_hosts_place_pitches(on_stage, make_user):
    jam, _, pitches = on_stage
    before = state(jam).version
    with pytest.raises(PermissionDenied):
        services.place(make_user(), jam.id, pitches[4].id, 2)
    with pytest.raises(PermissionDenied):
        services.place(make_user(role="host"), jam.id, pitches[4].id, 2)  # not of this jam
    with pytest.raises(SignInRequired):
        services.place(None, jam.id, pitches[4].id, 2)
    assert state(jam).version == before and order(jam, pitches) == [0, 1, 2, 3, 4]


def test_a_stale_placement_from_a_second_host_is_refused(on_stage, make_user):
    jam, host, pitches = on_stage
    cohost = make_user(role="host")
    jam.hosts.append(cohost)
    db.session.commit()
    seen = state(jam).version
    services.place(cohost, jam.id, pitches[4].id, 2, expected=seen)  # the co-host drops first
    with pytest.raises(Conflict, match="Another host changed the session"):
        services.place(host, jam.id, pitches[2].id, 4, expected=seen)
    assert order(jam, pitches) == [0, 1, 4, 2, 3]


def test_up_and_down_follow_the_same_rule(on_stage):
    jam, host, pitches = on_stage
    with pytest.raises(Conflict, match="keep their places"):
        services.move(host, jam.id, pitches[0].id, 1)  # two presented pitches swapping
    with pytest.raises(Conflict, match="keep their places"):
        services.move(host, jam.id, pitches[2].id, -1)
    services.move(host, jam.id, pitches[4].id, -1)
    assert order(jam, pitches) == [0, 1, 2, 4, 3]
    with pytest.raises(Conflict, match="already at the bottom"):
        services.move(host, jam.id, pitches[3].id, 1)


# --- over HTTP ----------------------------------------------------------------------------------


def body(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def titles(page: str) -> list[str]:
    return re.findall(r'class="queue-title">([^<]*)<', page)


def test_the_console_marks_only_the_pitches_to_come_draggable(on_stage, login):
    jam, host, _ = on_stage
    page = body(login(host).get(f"/events/{jam.id}/host"))
    draggable = re.findall(r'draggable="true" data-pitch-id="\d+" data-position="(\d)"', page)
    assert draggable == ["2", "3", "4"]
    assert 'class="queue-place" hidden' in page
    assert page.count("Move “Idea 0”") == page.count("Move “Idea 1”") == 0  # presented
    assert "Move “Idea 2” up" not in page and "Move “Idea 2” down" in page
    assert "Move “Idea 4” up" in page and "Move “Idea 4” down" not in page


def test_a_host_places_a_pitch_as_htmx_and_as_a_plain_form(on_stage, login):
    jam, host, pitches = on_stage
    hosting = login(host)
    form = {"version": str(state(jam).version), "pitch_id": str(pitches[4].id), "position": "2"}
    answer = hosting.post(f"/events/{jam.id}/host/place", form, htmx=True)
    assert answer.status_code == 200
    page = body(answer)
    assert page.lstrip().startswith('<div id="console"') and "<html" not in page
    assert titles(page) == ["Idea 0", "Idea 1", "Idea 4", "Idea 2", "Idea 3"]
    assert "HX-Request" in answer.headers["Vary"]

    form = {"version": str(state(jam).version), "pitch_id": str(pitches[2].id), "position": "4"}
    answer = hosting.post(f"/events/{jam.id}/host/place", form)
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/events/{jam.id}/host")
    assert order(jam, pitches) == [0, 1, 4, 3, 2]


def test_a_member_cannot_place_a_pitch(on_stage, login, make_user):
    jam, _, pitches = on_stage
    before = state(jam).version
    member = login(make_user())
    form = {"version": str(before), "pitch_id": str(pitches[4].id), "position": "2"}
    for htmx in (False, True):
        assert member.post(f"/events/{jam.id}/host/place", form, htmx=htmx).status_code == 403
    assert state(jam).version == before and order(jam, pitches) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("position", "status", "message"),
    [
        ("2x", 422, "That request was garbled"),
        ("-1", 422, "That request was garbled"),
        ("²", 422, "That request was garbled"),
        ("", 422, "Choose where to move the pitch."),
        (None, 422, "Choose where to move the pitch."),
        ("7", 409, "There is no place 8 in a queue of 5."),
        ("0", 409, "Pitches presented so far keep their places"),
    ],
)
def test_a_bad_position_is_a_4xx_with_a_message_and_changes_nothing(
    on_stage, login, position, status, message
):
    jam, host, pitches = on_stage
    hosting = login(host)
    before = state(jam).version
    form = {"version": str(before), "pitch_id": str(pitches[4].id)}
    if position is not None:
        form["position"] = position
    for htmx in (False, True):
        answer = hosting.post(f"/events/{jam.id}/host/place", form, htmx=htmx)
        assert answer.status_code == status
        assert message in body(answer)
    assert state(jam).version == before and order(jam, pitches) == [0, 1, 2, 3, 4]

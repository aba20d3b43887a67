"""The live session's state machine: every transition, the invalid ones refused with nothing
changed, stale actions from a second host, the timer decided by the server, who may act."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from mlc_events.database import utcnow
from mlc_events.errors import Conflict, PermissionDenied, SignInRequired, ValidationFailed
from mlc_events.extensions import db
from mlc_events.jams import services as jams
from mlc_events.sessions import services
from mlc_events.sessions.models import JamSession
from tests.conftest import both_backends

# The row locks and the upsert that creates a session differ between the two databases.
pytestmark = both_backends


@pytest.fixture
def room(make_jam, make_pitch, make_user):
    """A jam with three pitches (in submission order) and its host."""
    jam = make_jam()
    pitches = [make_pitch(jam, title=f"Idea {n}", author=make_user()) for n in range(3)]
    return jam, jam.hosts[0], [p.id for p in pitches]


def state(jam) -> JamSession:
    db.session.expire_all()
    return services.session_for(jam.id)


def test_a_fresh_jam_is_ready_with_nothing_presented(room):
    jam, _, ids = room
    session = state(jam)
    assert session.phase == "ready" and session.current_pitch_id is None
    assert [p.id for p in services.queue(session)] == ids  # submission order


def test_start_presents_the_first_pitch_and_next_previous_walk_the_queue(room):
    jam, host, ids = room
    services.start(host, jam.id)
    assert state(jam).phase == "running" and state(jam).current_pitch_id == ids[0]
    assert state(jam).voting == "all"  # as the jam had it: open
    services.step(host, jam.id, 1)
    services.step(host, jam.id, 1)
    assert state(jam).current_pitch_id == ids[2]
    with pytest.raises(Conflict, match="last pitch"):
        services.step(host, jam.id, 1)
    services.step(host, jam.id, -1)
    assert state(jam).current_pitch_id == ids[1]


def test_previous_from_the_first_pitch_is_refused(room):
    jam, host, _ = room
    services.start(host, jam.id)
    with pytest.raises(Conflict, match="first pitch"):
        services.step(host, jam.id, -1)


def test_skip_puts_the_pitch_last_and_goes_on(room):
    jam, host, ids = room
    services.start(host, jam.id)
    services.skip(host, jam.id)
    session = state(jam)
    assert session.current_pitch_id == ids[1]
    assert [p.id for p in services.queue(session)] == [ids[1], ids[2], ids[0]]


def test_reorder_up_down_and_shuffle_what_is_still_to_come(room):
    jam, host, ids = room
    services.move(host, jam.id, ids[2], -1)
    assert [p.id for p in services.queue(state(jam))] == [ids[0], ids[2], ids[1]]
    with pytest.raises(Conflict, match="already at the top"):
        services.move(host, jam.id, ids[0], -1)
    services.start(host, jam.id)
    services.shuffle(host, jam.id, rng=random.Random(3))
    order = [p.id for p in services.queue(state(jam))]
    assert order[0] == ids[0] and sorted(order[1:]) == sorted([ids[1], ids[2]])


def test_actions_need_a_running_session(room):
    jam, host, _ = room
    for action in (
        lambda: services.step(host, jam.id, 1),
        lambda: services.skip(host, jam.id),
        lambda: services.start_timer(host, jam.id),
        lambda: services.set_voting(host, jam.id, "all"),
        lambda: services.end(host, jam.id),
    ):
        with pytest.raises(Conflict, match="Start the session first"):
            action()
    assert state(jam).version == 0


def test_an_ended_session_cannot_restart_or_move(room):
    jam, host, ids = room
    services.start(host, jam.id)
    services.set_voting(host, jam.id, "all")
    services.end(host, jam.id)
    session = state(jam)
    assert session.phase == "ended" and session.current_pitch_id is None
    assert session.voting == "off" and not jams.settings_for(jam.id).voting_open
    for action in (
        lambda: services.start(host, jam.id),
        lambda: services.step(host, jam.id, 1),
        lambda: services.move(host, jam.id, ids[1], -1),
        lambda: services.set_timer(host, jam.id, 5),
    ):
        with pytest.raises(Conflict, match="ended"):
            action()


def test_starting_twice_or_without_pitches_is_refused(room, make_jam):
    jam, host, _ = room
    services.start(host, jam.id)
    with pytest.raises(Conflict, match="already running"):
        services.start(host, jam.id)
    empty = make_jam()
    with pytest.raises(Conflict, match="no pitches"):
        services.start(empty.hosts[0], empty.id)


def test_a_stale_action_from_a_second_host_is_refused(room, make_user):
    jam, host, ids = room
    cohost = make_user(role="host")
    jam.hosts.append(cohost)
    db.session.commit()
    seen = services.start(host, jam.id).version
    services.step(cohost, jam.id, 1, expected=seen)  # the co-host clicks "next" first...
    with pytest.raises(Conflict, match="Another host changed the session"):
        services.step(host, jam.id, 1, expected=seen)  # ...the host's "next" is not applied
    assert state(jam).current_pitch_id == ids[1]


def test_only_the_jams_hosts_and_admins_run_it(room, make_user):
    jam, _, _ = room
    with pytest.raises(PermissionDenied):
        services.start(make_user(), jam.id)
    with pytest.raises(PermissionDenied):
        services.start(make_user(role="host"), jam.id)  # a host, but not of this jam
    with pytest.raises(SignInRequired):
        services.start(None, jam.id)
    services.start(make_user(role="admin"), jam.id)
    assert state(jam).phase == "running"


def test_the_timer_ends_where_the_server_says_pauses_resumes_and_gets_a_minute(room):
    jam, host, _ = room
    services.start(host, jam.id)
    services.set_timer(host, jam.id, "3")
    before = utcnow()
    services.start_timer(host, jam.id)
    session = state(jam)
    assert (
        before + timedelta(seconds=179)
        <= session.timer_ends_at
        <= utcnow() + timedelta(seconds=180)
    )
    with pytest.raises(Conflict, match="already running"):
        services.start_timer(host, jam.id)
    services.pause_timer(host, jam.id)
    session = state(jam)
    assert session.timer_ends_at is None and 178 <= session.timer_left <= 180
    services.add_minute(host, jam.id)
    assert 238 <= state(jam).timer_left <= 240
    services.start_timer(host, jam.id)  # resume from what was left
    assert state(jam).seconds_left(utcnow()) > 230
    services.step(host, jam.id, 1)  # the next pitch starts with a fresh, stopped timer
    session = state(jam)
    assert session.timer_ends_at is None and session.seconds_left(utcnow()) == 180


@pytest.mark.parametrize("minutes", ["0", "31", "120", "-1", "2.5", "", "soon"])
def test_a_timer_of_zero_or_of_hours_is_refused(room, minutes):
    jam, host, _ = room
    services.start(host, jam.id)
    with pytest.raises(ValidationFailed) as refused:
        services.set_timer(host, jam.id, minutes)
    assert "1 to 30" in refused.value.field_errors["minutes"]
    assert state(jam).timer_seconds == 180


def test_voting_for_the_current_pitch_only(room, make_user):
    jam, host, ids = room
    member = make_user()
    services.start(host, jam.id)
    services.set_voting(host, jam.id, "off")
    with pytest.raises(Conflict, match="Voting is closed"):
        jams.cast_vote(member, ids[0], True)
    services.set_voting(host, jam.id, "current")
    jams.cast_vote(member, ids[0], True)
    with pytest.raises(Conflict, match="only for the pitch being presented"):
        jams.cast_vote(member, ids[1], True)
    services.set_voting(host, jam.id, "all")
    jams.cast_vote(member, ids[1], True)
    with pytest.raises(ValidationFailed):
        services.set_voting(host, jam.id, "sometimes")


def test_state_lives_in_the_database(room, app):
    """A restart loses nothing: a new app on the same database sees the same session."""
    from mlc_events import create_app

    jam, host, ids = room
    services.start(host, jam.id)
    services.step(host, jam.id, 1)
    services.start_timer(host, jam.id)
    ends = state(jam).timer_ends_at
    jam_id = jam.id
    db.session.commit()
    db.session.remove()
    db.engine.dispose()  # this "process" is gone
    other = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": "x",
            "INSTANCE_PATH": app.config.get("INSTANCE_PATH", app.instance_path),
        }
    )
    with other.app_context():
        session = services.session_for(jam_id)
        assert session.phase == "running" and session.current_pitch_id == ids[1]
        assert session.timer_ends_at == ends
        db.session.remove()
        db.engine.dispose()


def test_changes_reach_the_stream_as_the_stage_and_a_reload_signal(room, app):
    from mlc_events.live.services import channel

    jam, host, ids = room
    services.start(host, jam.id)
    log = app.extensions["broker"].logs[channel(jam.id)]
    stage, signal = log[-2], log[-1]
    assert f'<hx-partial hx-target="#stage-{jam.id}"' in stage.data
    assert "Idea 0" in stage.data and "Pitch 1 of 3" in stage.data
    assert signal.event == "jam-session"
    with pytest.raises(Conflict):
        services.step(host, jam.id, -1)
    assert app.extensions["broker"].logs[channel(jam.id)][-1] is signal  # refused: nothing sent

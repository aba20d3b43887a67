"""Edge cases found in review: one answer to "may I vote?", cancelled jams, a pitch withdrawn
while on stage, reordering around it, later voting rounds, and odd digits."""

from __future__ import annotations

import pytest

from mlc_events.errors import Conflict
from mlc_events.events import services as events
from mlc_events.extensions import db
from mlc_events.jams import services as jams
from mlc_events.live.services import channel
from mlc_events.sessions import services
from mlc_events.sessions.models import JamSession


@pytest.fixture
def running(start_session):
    return start_session(4)


def state(jam) -> JamSession:
    db.session.expire_all()
    return services.session_for(jam.id)


def test_the_settings_form_and_the_session_agree_on_voting(running, make_user, configure):
    jam, host, pitches = running
    assert state(jam).voting == "all"
    jams.cast_vote(make_user(), pitches[0].id, True)
    configure(jam, voting_open=False)  # the jam's settings page, mid-session
    assert state(jam).voting == "off" and state(jam).results_at is not None  # a round closed
    with pytest.raises(Conflict, match="Voting is closed"):
        jams.cast_vote(make_user(), pitches[0].id, True)
    configure(jam, voting_open=True)
    assert state(jam).voting == "all"


def test_a_cancelled_jam_can_only_end_its_session(running, make_user):
    jam, host, _ = running
    question = services.ask(make_user(), jam.id, "Before the cancellation")
    events.cancel_event(host, jam.id)
    with pytest.raises(Conflict, match="cancelled"):
        services.ask(make_user(), jam.id, "After?")
    with pytest.raises(Conflict, match="cancelled"):
        services.upvote(make_user(), question.id)
    with pytest.raises(Conflict, match="end the session"):
        services.step(host, jam.id, 1)
    services.end(host, jam.id)
    assert state(jam).phase == "ended"


def test_a_cancelled_jam_says_so_on_every_screen_and_offers_only_the_end(
    app, running, login, client
):
    jam, host, _ = running
    log = app.extensions["broker"].logs.get(channel(jam.id), [])
    before = len(log)
    events.cancel_event(host, jam.id)
    log = app.extensions["broker"].logs[channel(jam.id)]
    assert any("This jam was cancelled" in m.data for m in list(log)[before:])  # live
    said = "This jam was cancelled: the live session is over."
    audience = client.get(f"/events/{jam.id}/live").get_data(as_text=True)
    assert said in audience
    assert "Voting is open" not in audience and "Your question about this pitch" not in audience
    assert said in client.get(f"/events/{jam.id}/live?view=projector").get_data(as_text=True)
    console = login(host).get(f"/events/{jam.id}/host").get_data(as_text=True)
    assert "the only thing left to do is end the session" in console
    assert "End the session" in console
    for refused in ("Next →", "Start timer", "Set time", "Shuffle", 'draggable="true"', "↑"):
        assert refused not in console, refused


def test_a_pitch_withdrawn_on_stage_keeps_its_place(running):
    jam, host, pitches = running
    services.step(host, jam.id, 1)  # Idea 1 on stage
    jams.withdraw_pitch(pitches[1].author, pitches[1].id)
    assert services.stage(jam.id)["pitch"] is None
    with pytest.raises(Conflict, match="withdrawn"):
        services.start_timer(host, jam.id)
    with pytest.raises(Conflict, match="withdrawn"):
        services.set_voting(host, jam.id, "current")
    services.set_timer(host, jam.id, 4)  # another save must not lose the place either
    services.step(host, jam.id, 1)
    assert state(jam).current_pitch_id == pitches[2].id  # not back to the first


def test_previous_from_a_withdrawn_pitch_goes_to_the_one_before(running):
    jam, host, pitches = running
    services.step(host, jam.id, 1)
    services.step(host, jam.id, 1)  # Idea 2
    jams.withdraw_pitch(pitches[2].author, pitches[2].id)
    services.step(host, jam.id, -1)
    assert state(jam).current_pitch_id == pitches[1].id


def test_pitches_do_not_move_across_the_one_on_stage(running):
    jam, host, pitches = running
    services.step(host, jam.id, 1)  # Idea 1 on stage; Idea 2 and 3 to come
    with pytest.raises(Conflict, match="keep their places"):
        services.move(host, jam.id, pitches[2].id, -1)
    services.move(host, jam.id, pitches[3].id, -1)  # among those to come: fine
    order = [p.id for p in services.queue(state(jam))]
    assert order == [pitches[0].id, pitches[1].id, pitches[3].id, pitches[2].id]


def test_a_second_rounds_results_wait_for_their_own_reveal(running, make_user):
    jam, host, pitches = running
    services.set_voting(host, jam.id, "off")
    services.reveal(host, jam.id)
    assert services.results(None, jam.id) is not None
    services.set_voting(host, jam.id, "all")
    jams.cast_vote(make_user(), pitches[3].id, True)
    services.set_voting(host, jam.id, "off")
    assert services.results(None, jam.id) is None  # not yet revealed
    assert services.results(host, jam.id).rows[0].pitch.id == pitches[3].id


def test_reveal_updates_open_boards(app, running):
    jam, host, pitches = running
    services.set_voting(host, jam.id, "off")
    services.reveal(host, jam.id)
    sent = [(m.event, m.data) for m in app.extensions["broker"].logs[channel(jam.id)]][-4:]
    assert any(f'hx-target="#tally-{pitches[0].id}"' in data for _, data in sent)
    assert ("jam-rules", "") in sent


def test_setting_the_time_keeps_a_paused_timer(running):
    jam, host, _ = running
    services.start_timer(host, jam.id)
    services.pause_timer(host, jam.id)
    left = state(jam).timer_left
    services.set_timer(host, jam.id, 5)
    assert state(jam).timer_left == left and state(jam).timer_seconds == 300


def test_withdrawn_pitches_leave_the_results(running, make_user):
    jam, host, pitches = running
    services.set_voting(host, jam.id, "off")
    jams.withdraw_pitch(pitches[0].author, pitches[0].id)
    assert pitches[0].id not in [r.pitch.id for r in services.results(host, jam.id).rows]


@pytest.mark.parametrize("odd", ["²", "٣", "1_0", "１"])
def test_only_plain_digits_count(running, login, odd):
    jam, host, _ = running
    hosting = login(host)
    assert hosting.post(f"/events/{jam.id}/host/next", {"version": odd}).status_code == 422
    assert hosting.post(f"/events/{jam.id}/host/timer", {"minutes": odd}).status_code == 422

"""What each jam change sends to the event's stream: the shared fragments (the same for every
viewer), and nothing at all when the change is refused."""

from __future__ import annotations

import pytest

from mlc_events.errors import ServiceError
from mlc_events.jams import services as jams
from mlc_events.live.services import channel


@pytest.fixture
def sent(app):
    """The messages an event's stream has carried so far (the in-process broker's log)."""

    def read(event) -> list[tuple[str, str]]:
        log = app.extensions["broker"].logs.get(channel(event.id), ())
        return [(m.event, m.data) for m in log]

    return read


def test_an_offer_joins_the_open_offers_then_the_team_then_leaves(
    sent, make_jam, make_pitch, make_user
):
    jam = make_jam()
    pitch = make_pitch(jam)
    helper = make_user(display_name="Ada Helper")
    start = len(sent(jam))  # the new pitch went out already
    offer = jams.make_offer(helper, pitch.id, "I can run the evals")
    ((event, data),) = sent(jam)[start:]
    assert event == ""
    assert data.startswith(f'<hx-upsert hx-target="#offer-list-{pitch.id}">')
    assert f'<li class="offer-item" id="offer-item-{offer.id}" data-live>' in data
    assert "Ada Helper" in data and "I can run the evals" in data
    assert "<form" not in data and "csrf" not in data  # no one's controls in a shared fragment

    jams.accept_offer(pitch.author, offer.id)
    _, data = sent(jam)[-1]
    assert f'<hx-partial hx-target="#offer-item-{offer.id}" hx-swap="delete">' in data
    assert f'<hx-upsert hx-target="#team-{pitch.id}">' in data
    assert f'id="team-member-{offer.id}"' in data

    jams.withdraw_offer(helper, offer.id)
    _, data = sent(jam)[-1]
    assert f'hx-target="#offer-item-{offer.id}" hx-swap="delete"' in data
    assert f'hx-target="#team-member-{offer.id}" hx-swap="delete"' in data


def test_a_live_top_level_comment_brings_its_replies_list(sent, make_jam, make_pitch, make_user):
    jam = make_jam()
    pitch = make_pitch(jam)
    comment = jams.add_comment(make_user(), "Which dataset?", pitch_id=pitch.id)
    _, data = sent(jam)[-1]
    assert f'<ol class="replies" id="replies-{comment.id}"></ol>' in data
    reply = jams.add_comment(make_user(), "The small one", pitch_id=pitch.id, parent_id=comment.id)
    _, data = sent(jam)[-1]
    assert f'<hx-upsert hx-target="#replies-{comment.id}">' in data
    assert f'id="replies-{reply.id}"' not in data  # one level of replies


def test_a_change_of_rules_resends_the_tallies_and_tells_pages_to_reload(
    sent, make_jam, make_pitch, configure
):
    jam = make_jam()
    pitch = make_pitch(jam)
    start = len(sent(jam))
    configure(jam, tallies_visible=False)
    (_, tallies), (event, data) = sent(jam)[start:]
    assert f'hx-target="#tally-{pitch.id}"' in tallies and "Votes hidden" in tallies
    assert (event, data) == ("jam-rules", "")


def test_refused_changes_publish_nothing(sent, make_jam, make_pitch, make_user, configure):
    jam = make_jam()
    pitch = make_pitch(jam)
    configure(jam, voting_open=False)
    before = len(sent(jam))
    member = make_user()
    refused = [
        lambda: jams.cast_vote(member, pitch.id, True),  # voting closed
        lambda: jams.cast_vote(pitch.author, pitch.id, True),  # own pitch
        lambda: jams.make_offer(pitch.author, pitch.id, "me"),  # own pitch
        lambda: jams.add_comment(member, "   ", pitch_id=pitch.id),  # empty
        lambda: jams.add_comment(member, "x" * 20_000, pitch_id=pitch.id),  # huge
        lambda: jams.update_settings(member, jam.id, jams.SettingsInput(voting_open=True)),
    ]
    for attempt in refused:
        with pytest.raises(ServiceError):
            attempt()
    assert len(sent(jam)) == before

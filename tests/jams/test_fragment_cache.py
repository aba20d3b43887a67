"""The jam page reuses renderings of its pitches, comments and controls (mlc_events/fragments.py):
every viewer still gets exactly their own page, and a change shows on the next load."""

from __future__ import annotations

import re

from mlc_events.jams import services
from tests.jams.test_views import element, tally, text


def tokens(body: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" value="([^"]+)"', body))


def test_each_viewer_gets_their_own_csrf_token_in_every_cached_form(
    app, login, jam, make_user, make_pitch
):
    pitch = make_pitch(jam)
    services.add_comment(make_user(), "First!", event_id=jam.id)
    ada, bob = login(make_user()), login(make_user())
    page_a, page_b = text(ada.get(f"/events/{jam.id}")), text(bob.get(f"/events/{jam.id}"))
    assert app.extensions["fragments"].hits  # Bob's page came (partly) from the cache
    (token_a,), (token_b,) = tokens(page_a), tokens(page_b)  # one token per page, every form
    assert "\x00" not in page_a + page_b  # no stand-in left behind
    # Bob posts the vote form as his page has it, without JavaScript: his token works...
    voted = bob.raw.post(f"/pitches/{pitch.id}/vote", data={"csrf_token": token_b, "vote": "on"})
    assert voted.status_code == 303
    # ...and Ada's token is no good in Bob's session.
    refused = bob.raw.post(f"/pitches/{pitch.id}/vote", data={"csrf_token": token_a, "vote": "off"})
    assert refused.status_code == 400


def test_what_a_viewer_is_to_a_pitch_or_comment_decides_their_controls(
    login, jam, make_user, make_pitch, client
):
    author, voter, other = make_user(), make_user(), make_user()
    pitch = make_pitch(jam, author=author)
    comment = services.add_comment(voter, "Count me in", event_id=jam.id)
    services.cast_vote(voter, pitch.id, True)
    pages = {
        "author": text(login(author).get(f"/events/{jam.id}")),
        "voter": text(login(voter).get(f"/events/{jam.id}")),
        "other": text(login(other).get(f"/events/{jam.id}")),
        "anonymous": text(client.get(f"/events/{jam.id}")),
    }
    votes = {who: element(page, "div", f"vote-{pitch.id}") for who, page in pages.items()}
    assert "Your pitch" in votes["author"]
    assert "Voted ✓" in votes["voter"]
    assert ">Vote<" in votes["other"] and "Voted" not in votes["other"]
    assert "Sign in to vote" in votes["anonymous"]
    controls = {
        who: element(page, "div", f"comment-controls-{comment.id}") for who, page in pages.items()
    }
    assert "Delete" in controls["voter"]  # their own comment
    assert "Delete" not in controls["other"] and "Delete" not in controls["author"]
    assert "Reply" in pages["other"] and "Your reply to" in pages["other"]
    assert "Your reply to" not in pages["anonymous"]


def test_a_change_shows_on_the_next_load(login, jam, make_user, make_pitch, client):
    author = make_user()
    pitch = make_pitch(jam, author=author, title="Old title")
    comment = services.add_comment(author, "Old words", event_id=jam.id)
    assert "Old title" in text(client.get(f"/events/{jam.id}"))
    services.update_pitch(
        author,
        pitch.id,
        services.PitchInput(title="New title", summary="s", looking_for=["code"], tags=""),
    )
    services.edit_comment(author, comment.id, "New words")
    services.cast_vote(make_user(), pitch.id, True)
    body = text(client.get(f"/events/{jam.id}"))
    assert "New title" in body and "Old title" not in body
    assert "New words" in body and "Old words" not in body
    assert re.search(tally(pitch.id, "1 vote"), body)
    # A vote on another pitch: this card comes from the cache, with the jam's new version
    # written into its tally (a page must not label it older than it is).
    other = make_pitch(jam)
    services.cast_vote(make_user(), other.id, True)
    version = services.settings_for(jam.id).version
    body = text(client.get(f"/events/{jam.id}"))
    assert re.search(tally(pitch.id, "1 vote", version=version), body)
    assert re.search(tally(other.id, "1 vote", version=version), body)

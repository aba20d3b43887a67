"""Questions during a live session: members ask about the pitch being presented and upvote each
other's; hosts mark one answered or hide it; after the session they stay on the pitch."""

from __future__ import annotations

import html
import re

import pytest

from mlc_events.errors import Conflict, PermissionDenied, SignInRequired, ValidationFailed
from mlc_events.extensions import db
from mlc_events.jams import services as jams
from mlc_events.live.services import channel
from mlc_events.sessions import services
from tests.conftest import both_backends


@pytest.fixture
def running(start_session):
    return start_session(2)


def test_questions_need_a_pitch_on_stage_and_close_with_the_session(
    make_jam, make_pitch, make_user
):
    jam = make_jam()
    make_pitch(jam)
    member = make_user()
    with pytest.raises(Conflict, match="while a pitch is being presented"):
        services.ask(member, jam.id, "Too early?")
    services.start(jam.hosts[0], jam.id)
    services.set_voting(jam.hosts[0], jam.id, "off")  # questions stay open while voting is closed
    services.ask(member, jam.id, "Now?")
    services.end(jam.hosts[0], jam.id)
    with pytest.raises(Conflict, match="The session has ended"):
        services.ask(member, jam.id, "Still there?")
    with pytest.raises(SignInRequired):
        services.ask(None, jam.id, "Anonymous?")


@pytest.mark.parametrize("body", ["", "   ", "x" * 20_000])
def test_empty_or_huge_questions_are_refused(running, make_user, body):
    jam, _, _ = running
    with pytest.raises(ValidationFailed):
        services.ask(make_user(), jam.id, body)
    assert services.questions(services.session_for(jam.id).current_pitch_id) == []


@both_backends
def test_upvotes_order_the_questions_and_answered_ones_go_last(running, make_user):
    jam, host, pitches = running
    ada, bob, cy = make_user(), make_user(), make_user()
    first = services.ask(ada, jam.id, "How big is the dataset?")
    second = services.ask(bob, jam.id, "Which **licence**?")
    assert services.upvote(cy, second.id) is True
    assert services.upvote(ada, second.id) is True
    assert [q.id for q in services.questions(pitches[0].id)] == [second.id, first.id]
    assert services.upvote(cy, second.id) is False  # again: taken back
    db.session.expire_all()
    assert db.session.get(type(second), second.id).upvotes == 1
    with pytest.raises(PermissionDenied):
        services.upvote(bob, second.id)  # one's own
    services.mark_answered(host, second.id)
    assert [q.id for q in services.questions(pitches[0].id)] == [first.id, second.id]
    with pytest.raises(PermissionDenied):
        services.mark_answered(ada, first.id)


def test_hidden_questions_leave_the_list_and_their_author_is_told(running, make_user):
    jam, host, pitches = running
    author = make_user()
    question = services.ask(author, jam.id, "Off topic, sorry")
    with pytest.raises(PermissionDenied):
        services.hide_question(make_user(), question.id)
    services.hide_question(host, question.id)
    assert services.questions(pitches[0].id) == []
    with pytest.raises(Conflict):
        services.upvote(make_user(), question.id)


def test_after_the_session_the_questions_are_the_pitchs_comments(running, make_user, client):
    jam, host, pitches = running
    services.ask(make_user(), jam.id, "What about *compute*?")
    services.end(host, jam.id)
    threads = jams.comments_on(jam.id, pitches[0].id)
    assert [t.comment.body for t in threads] == ["What about *compute*?"]
    assert "<em>compute</em>" in threads[0].comment.body_html
    page = html.unescape(client.get(f"/pitches/{pitches[0].id}").get_data(as_text=True))
    assert '<span class="badge">Question</span>' in page and "What about" in page


def test_each_change_reaches_the_audience_the_projector_and_the_consoles(app, running, make_user):
    jam, _, pitches = running
    question = services.ask(make_user(), jam.id, "Is the code public?")
    log = app.extensions["broker"].logs[channel(jam.id)]
    shared, signal = log[-2], log[-1]
    assert f'<hx-partial hx-target="#questions-{pitches[0].id}"' in shared.data
    assert f'<hx-partial hx-target="#top-questions-{jam.id}"' in shared.data
    assert "Is the code public?" in shared.data
    assert 'name="csrf_token" value=""' in shared.data  # no one's token in what everyone gets
    assert signal.event == "jam-questions"
    services.upvote(make_user(), question.id)
    assert "▲ 1" in log[-2].data


def test_asking_and_upvoting_over_http(running, login, make_user, client):
    jam, host, pitches = running
    member = login(make_user())
    answer = member.post(f"/events/{jam.id}/questions", {"body": "Can I join remotely?"}, htmx=True)
    assert answer.status_code == 200
    # Found again when it lands: the page may have reloaded its ask box meanwhile.
    assert answer.headers["HX-Retarget"] == f"#ask-{jam.id}"
    page = html.unescape(answer.get_data(as_text=True))
    assert "Your question is in." in page and "Can I join remotely?" in page
    refused = member.post(f"/events/{jam.id}/questions", {"body": " "}, htmx=True)
    assert refused.status_code == 422 and "Write something first." in refused.get_data(as_text=True)
    question = services.questions(pitches[0].id)[0]
    other = login(make_user())
    upvoted = other.post(f"/questions/{question.id}/upvote", {}, htmx=True)
    assert upvoted.status_code == 200 and "▲ 1" in upvoted.get_data(as_text=True)
    assert upvoted.headers["HX-Retarget"] == f"#questions-{pitches[0].id}"
    own = member.post(f"/questions/{question.id}/upvote", {}, htmx=True)
    assert own.status_code == 403
    assert member.post(f"/questions/{question.id}/answered", {}).status_code == 403
    hosting = login(host)
    console = hosting.post(f"/questions/{question.id}/answered", {"answered": "on"}, htmx=True)
    assert console.status_code == 200 and "Open again" in console.get_data(as_text=True)
    live = html.unescape(client.get(f"/events/{jam.id}/live").get_data(as_text=True))
    assert "Can I join remotely?" in live and "Sign in</a> to ask" in live
    projector = html.unescape(
        client.get(f"/events/{jam.id}/live?view=projector").get_data(as_text=True)
    )
    assert "Top questions" in projector


def test_a_member_sees_which_questions_they_upvoted(app, running, login, make_user, client):
    """Their own page and responses mark their upvotes pressed; the stream's one rendering for
    everyone marks none (the page carries the viewer's over), and a visitor gets no toggle."""
    jam, host, pitches = running
    first = services.ask(make_user(), jam.id, "Which dataset?")
    second = services.ask(make_user(), jam.id, "How big a model?")
    voter = make_user()
    member = login(voter)

    def pressed(page: str) -> dict[int, str]:
        return {
            qid: re.search(rf'id="question-{qid}".*?aria-pressed="(\w+)"', page, re.S).group(1)
            for qid in (first.id, second.id)
        }

    assert pressed(member.get(f"/events/{jam.id}/live").get_data(as_text=True)) == {
        first.id: "false",
        second.id: "false",
    }
    toggled = member.post(f"/questions/{second.id}/upvote", {}, htmx=True)
    assert pressed(toggled.get_data(as_text=True)) == {first.id: "false", second.id: "true"}
    assert pressed(member.get(f"/events/{jam.id}/live").get_data(as_text=True)) == {
        first.id: "false",
        second.id: "true",
    }
    # Someone else sees the count, not this member's upvote.
    other = login(make_user())
    assert pressed(other.get(f"/events/{jam.id}/live").get_data(as_text=True)) == {
        first.id: "false",
        second.id: "false",
    }
    assert "aria-pressed" not in client.get(f"/events/{jam.id}/live").get_data(as_text=True)
    services.upvote(make_user(), first.id)
    shared = app.extensions["broker"].logs[channel(jam.id)][-2].data
    assert f'<hx-partial hx-target="#questions-{pitches[0].id}"' in shared
    assert "aria-pressed" not in shared and "▲ 1" in shared
    # Taken back: no longer pressed.
    again = member.post(f"/questions/{second.id}/upvote", {}, htmx=True)
    assert pressed(again.get_data(as_text=True)) == {first.id: "false", second.id: "false"}

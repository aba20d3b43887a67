"""Jam pages and endpoints: page and htmx fragment, each role, bad input, per-viewer controls
outside the shared fragments."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mlc_events.database import utcnow
from mlc_events.events import services as events
from mlc_events.extensions import db
from mlc_events.jams import services
from mlc_events.jams.models import Comment, JamSettings, Offer, Pitch, Vote
from tests.test_security import unsafe_markup

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "jams"
SHARED = ["_pitch_card.html", "_tally.html", "_pitch_detail.html", "_comment.html", "_offer.html"]
PITCH = {
    "title": "Distilling Whisper for Yoruba",
    "summary": "Distil a speech model for **phones**.",
    "looking_for": ["data", "compute"],
    "tags": "Speech, distillation",
}


def tally(pitch_id: int, shown: str, cls: str = "tally", version: int | str = r"\d+") -> str:
    """A pattern for a rendered tally (re.search it); ``version`` defaults to any."""
    return (
        rf'<span id="tally-{pitch_id}" class="{cls}" data-version="{version}">{re.escape(shown)}'
        "</span>"
    )


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def edits_refused(browser, url: str, message: str) -> None:
    """Opening a comment's edit form and saving it (page and htmx) are refused with a 409."""
    for response in (
        browser.get(url),
        browser.get(url, headers={"HX-Request": "true"}),
        browser.post(url, {"body": "Changed"}, htmx=True),
        browser.post(url, {"body": "Changed"}),
    ):
        assert response.status_code == 409 and message in text(response)
    assert "<html" not in browser.post(url, {"body": "Changed"}, htmx=True).get_data(as_text=True)


def element(body: str, tag: str, id_: str) -> str:
    """The outer HTML of the element with this id (no nested element of the same tag)."""
    found = re.search(rf'<{tag}\b[^>]*\bid="{re.escape(id_)}"[\s\S]*?</{tag}>', body)
    assert found, f"no <{tag} id={id_!r}>"
    return found[0]


def is_fragment(response, starts: str) -> bool:
    body = response.get_data(as_text=True)
    return body.lstrip().startswith(starts) and "<html" not in body


# --- the board on the event page -----------------------------------------------------------


class TestBoard:
    def test_anonymous_sees_pitches_tallies_and_sign_in_prompts(
        self, client, jam, make_user, make_pitch
    ):
        pitch = make_pitch(jam, title="Tiny reasoners")
        services.cast_vote(make_user(), pitch.id, True)
        other = make_pitch(jam, title="Contamination detector")
        for _ in range(2):
            services.cast_vote(make_user(), other.id, True)
        body = text(client.get(f"/events/{jam.id}"))
        assert "Pitch board" in body and "Tiny reasoners" in body
        # Three votes: the jam's live version is 3, on every tally of the page.
        assert re.search(tally(pitch.id, "1 vote", version=3), body)
        assert re.search(tally(other.id, "2 votes", version=3), body)
        assert "Sign in to vote" in body and "Sign in to pitch an idea" in body
        assert "Jam settings" not in body
        assert 'name="vote"' not in body

    def test_member_sees_vote_buttons_votes_left_and_the_pitch_form(
        self, login, jam, make_user, make_pitch, configure
    ):
        configure(jam, vote_budget=3)
        pitch = make_pitch(jam)
        member = make_user()
        services.cast_vote(member, pitch.id, True)
        body = text(login(member).get(f"/events/{jam.id}"))
        assert "You have 2 of 3 votes left." in re.sub(r"</?strong>", "", body)
        vote = element(body, "div", f"vote-{pitch.id}")
        assert 'name="vote" value="off"' in vote and "Voted ✓" in vote
        assert 'name="csrf_token"' in vote
        assert "Post your pitch" in body and 'name="looking_for"' in body
        assert "Jam settings" not in body

    def test_author_sees_no_vote_button_on_own_pitch(self, login, jam, make_user, make_pitch):
        author = make_user()
        pitch = make_pitch(jam, author)
        vote = element(text(login(author).get(f"/events/{jam.id}")), "div", f"vote-{pitch.id}")
        assert "Your pitch" in vote and "<form" not in vote

    @pytest.mark.parametrize("role", ["host", "admin"])
    def test_hosts_and_admins_see_the_settings(self, login, jam, make_user, role):
        user = jam.hosts[0] if role == "host" else make_user(role="admin")
        body = text(login(user).get(f"/events/{jam.id}"))
        assert "Jam settings (hosts)" in body
        assert 'name="vote_budget"' in body and 'name="tallies_visible" value="on"' in body

    @pytest.mark.parametrize("role", [None, "member", "author", "host", "admin"])
    def test_hidden_tallies_are_hidden_from_everyone(
        self, client, login, jam, make_user, make_pitch, configure, role
    ):
        author = make_user()
        pitch = make_pitch(jam, author)
        services.cast_vote(make_user(), pitch.id, True)
        configure(jam, tallies_visible=False)
        viewer = {
            None: None,
            "member": make_user(),
            "author": author,
            "host": jam.hosts[0],
            "admin": make_user(role="admin"),
        }[role]
        browser = login(viewer) if viewer else client
        for url in (f"/events/{jam.id}?sort=votes", f"/pitches/{pitch.id}"):
            body = text(browser.get(url))
            assert re.search(tally(pitch.id, "Votes hidden", "tally tally-hidden"), body)
            assert "1 vote" not in body and "Most votes" not in body

    def test_sort_and_tag_filter(self, client, jam, make_user, make_pitch):
        make_pitch(jam, title="Old pitch", tags="vision")
        new = make_pitch(jam, title="New pitch", tags="speech")
        services.cast_vote(make_user(), make_pitch(jam, title="Loved pitch", tags="vision").id)
        services.cast_vote(make_user(), new.id)
        services.cast_vote(make_user(), new.id)
        body = text(client.get(f"/events/{jam.id}?sort=votes"))
        order = [body.index(t) for t in ("New pitch", "Loved pitch", "Old pitch")]
        assert order == sorted(order)
        body = text(client.get(f"/events/{jam.id}"))
        order = [body.index(t) for t in ("Loved pitch", "New pitch", "Old pitch")]
        assert order == sorted(order)
        body = text(client.get(f"/events/{jam.id}?tag=vision"))
        assert "Old pitch" in body and "Loved pitch" in body and "New pitch" not in body
        assert "Pitches tagged" in body and "Show all pitches" in body
        body = text(client.get(f"/events/{jam.id}?tag=nope&sort=sideways"))
        assert "No pitches with this tag." in body

    def test_other_kinds_of_event_have_comments_but_no_board(self, client, make_event):
        talk = make_event(kind="talk")
        body = text(client.get(f"/events/{talk.id}"))
        assert "Pitch board" not in body and 'id="jam"' not in body
        assert f'id="comments-event-{talk.id}"' in body
        assert client.get(f"/events/{talk.id}/pitches/new").status_code == 302  # sign in first

    def test_members_only_jam_sends_anonymous_to_login(self, client, make_jam, make_pitch):
        jam = make_jam(visibility="members")
        pitch = make_pitch(jam)
        for url in (f"/events/{jam.id}", f"/pitches/{pitch.id}"):
            response = client.get(url)
            assert response.status_code == 302
            assert response.headers["Location"].startswith("/auth/login?next=")

    def test_hostile_pitch_stays_inert(self, client, jam, make_pitch):
        pitch = make_pitch(
            jam,
            title="<script>alert(1)</script>",
            summary='<img src=x onerror=alert(1)> [x](javascript:alert(2)) <div hx-get="/x">',
        )
        for url in (f"/events/{jam.id}", f"/pitches/{pitch.id}"):
            body = client.get(url).get_data(as_text=True)
            assert unsafe_markup(body) == [], url
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
            assert re.search(r'<div class="summary[^"]*" hx-ignore>', body)


# --- settings ------------------------------------------------------------------------------


class TestSettingsEndpoint:
    def test_host_saves_settings_with_a_plain_form(self, login, jam):
        host = login(jam.hosts[0])
        assert host.get(f"/events/{jam.id}/jam").status_code == 200
        form = {
            "submissions_open": ["off", "on"],
            "voting_open": "off",
            "tallies_visible": "off",
            "vote_budget": "3",
        }
        response = host.post(f"/events/{jam.id}/jam", form)
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/events/{jam.id}#jam")
        settings = db.session.get(JamSettings, jam.id)
        assert (settings.submissions_open, settings.voting_open) == (True, False)
        assert (settings.tallies_visible, settings.vote_budget) == (False, 3)
        body = text(host.get(f"/events/{jam.id}"))
        assert "Voting closed" in body and "3 votes per member" in body

    def test_htmx_gets_the_jam_section(self, login, jam):
        response = login(jam.hosts[0]).post(
            f"/events/{jam.id}/jam", {"vote_budget": "", "voting_open": "off"}, htmx=True
        )
        assert response.status_code == 200
        assert is_fragment(response, '<section id="jam"')
        assert "Jam settings saved." in text(response)
        assert db.session.get(JamSettings, jam.id).voting_open is False

    @pytest.mark.parametrize(
        ("form", "message"),
        [
            ({"vote_budget": "0"}, "Enter 1 or more, or leave it empty for one vote per pitch."),
            ({"vote_budget": "many"}, "Enter a whole number, or leave it empty"),
            ({"voting_open": "perhaps"}, "Choose on or off."),
        ],
    )
    def test_bad_settings_are_422_beside_the_field(self, login, jam, form, message):
        host = login(jam.hosts[0])
        response = host.post(f"/events/{jam.id}/jam", form)
        assert response.status_code == 422
        assert 'class="field-error"' in response.get_data(as_text=True)
        assert message in text(response)
        response = host.post(f"/events/{jam.id}/jam", form, htmx=True)
        assert response.status_code == 422 and is_fragment(response, '<section id="jam"')
        assert message in text(response)
        assert count(JamSettings) == 0

    def test_members_get_403_anonymous_login_and_other_kinds_404(
        self, client, login, jam, make_user, make_event
    ):
        member = login(make_user())
        assert member.get(f"/events/{jam.id}/jam").status_code == 403
        assert member.post(f"/events/{jam.id}/jam", {"voting_open": "off"}).status_code == 403
        assert client.post(f"/events/{jam.id}/jam", {"voting_open": "off"}).status_code == 302
        response = client.post(f"/events/{jam.id}/jam", {"voting_open": "off"}, htmx=True)
        assert response.status_code == 401 and "HX-Redirect" in response.headers
        talk = make_event(kind="talk")
        assert login(talk.hosts[0]).get(f"/events/{talk.id}/jam").status_code == 404
        assert count(JamSettings) == 0

    def test_without_csrf_nothing_changes(self, login, jam):
        response = login(jam.hosts[0]).post(
            f"/events/{jam.id}/jam", {"voting_open": "off"}, csrf=False
        )
        assert response.status_code == 400
        assert count(JamSettings) == 0


# --- pitches -------------------------------------------------------------------------------


class TestPitchEndpoints:
    def test_member_pitches_with_a_plain_form(self, login, jam, make_user):
        member = login(make_user(display_name="Alan"))
        assert member.get(f"/events/{jam.id}/pitches/new").status_code == 200
        response = member.post(f"/events/{jam.id}/pitches", PITCH)
        assert response.status_code == 303
        pitch = db.session.scalar(select(Pitch))
        assert response.headers["Location"].endswith(f"/pitches/{pitch.id}")
        body = text(member.get(f"/pitches/{pitch.id}"))
        assert "Distilling Whisper for Yoruba" in body and "<strong>phones</strong>" in body
        assert "Pitched by" in body and "Alan" in body
        assert "Data" in body and "Compute" in body and "speech" in body
        assert "0 votes" in body and "Your pitch" in body

    def test_htmx_pitch_comes_back_in_the_jam_section(self, login, jam, make_user):
        response = login(make_user()).post(f"/events/{jam.id}/pitches", PITCH, htmx=True)
        assert response.status_code == 200 and is_fragment(response, '<section id="jam"')
        body = text(response)
        assert "Your pitch “Distilling Whisper for Yoruba” is on the board." in body
        assert 'class="board-item"' in body

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"title": ""}, "Give your pitch a title."),
            ({"title": "t" * 121}, "Keep the title to 120 characters (it has 121)."),
            ({"summary": ""}, "Say in a few lines what the idea is."),
            ({"summary": "s" * 5001}, "Keep the summary under 5,000 characters"),
            ({"looking_for": ["vibes"]}, "Choose the help you are looking for from the list."),
            ({"tags": "a,b,c,d,e,f,g,h,i"}, "Use at most 8 tags (you gave 9)."),
        ],
    )
    def test_bad_pitch_is_422_beside_the_field(self, login, jam, make_user, changes, message):
        member = login(make_user())
        response = member.post(f"/events/{jam.id}/pitches", {**PITCH, **changes})
        assert response.status_code == 422
        assert 'class="field-error"' in response.get_data(as_text=True) and message in text(
            response
        )
        assert "Distil a speech model" in text(response) or "summary" in changes
        response = member.post(f"/events/{jam.id}/pitches", {**PITCH, **changes}, htmx=True)
        assert response.status_code == 422 and is_fragment(response, '<section id="jam"')
        assert message in text(response) and '<details class="pitch-form-box" open>' in (
            response.get_data(as_text=True)
        )
        assert count(Pitch) == 0

    def test_closed_submissions_are_409_with_the_reason(self, login, jam, make_user, configure):
        configure(jam, submissions_open=False)
        member = login(make_user())
        assert "Pitch submissions are closed" in text(member.get(f"/events/{jam.id}"))
        response = member.post(f"/events/{jam.id}/pitches", PITCH)
        assert response.status_code == 409 and "Pitch submissions are closed" in text(response)
        response = member.post(f"/events/{jam.id}/pitches", PITCH, htmx=True)
        assert response.status_code == 409 and is_fragment(response, '<section id="jam"')
        assert count(Pitch) == 0

    def test_anonymous_and_other_kinds(self, client, login, jam, make_user, make_event):
        response = client.post(f"/events/{jam.id}/pitches", PITCH)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
        talk = make_event(kind="talk")
        assert login(make_user()).post(f"/events/{talk.id}/pitches", PITCH).status_code == 404
        assert client.get("/pitches/12345").status_code == 404
        assert count(Pitch) == 0

    @pytest.mark.parametrize("role", [None, "member", "author", "host", "admin"])
    def test_pitch_page_for_each_role(self, client, login, jam, make_user, make_pitch, role):
        author = make_user()
        pitch = make_pitch(jam, author, title="SAE proteins")
        viewer = {
            None: None,
            "member": make_user(),
            "author": author,
            "host": jam.hosts[0],
            "admin": make_user(role="admin"),
        }[role]
        browser = login(viewer) if viewer else client
        response = browser.get(f"/pitches/{pitch.id}")
        assert response.status_code == 200
        body = text(response)
        assert "SAE proteins" in body and "Team" in body and "Comments" in body
        assert ("Edit pitch" in body) == (role == "author")
        assert ("Withdraw pitch" in body) == (role == "author")
        assert ("I'd work on this</button>" in body) == (role in ("member", "host", "admin"))
        fragment = browser.get(f"/pitches/{pitch.id}", headers={"HX-Request": "true"})
        assert is_fragment(fragment, f'<article id="pitch-detail-{pitch.id}"')

    def test_author_edits_the_pitch(self, login, jam, make_user, make_pitch):
        author = make_user()
        pitch = make_pitch(jam, author, tags="one, two")
        browser = login(author)
        page = text(browser.get(f"/pitches/{pitch.id}/edit"))
        assert 'value="Tiny recursive reasoners"' in page and 'value="one, two"' in page
        assert (
            '<input checked id="looking_for-1" name="looking_for" type="checkbox" value="code">'
            in (page)
        )
        assert (
            '<input id="looking_for-0" name="looking_for" type="checkbox" value="theory">' in page
        )
        response = browser.post(f"/pitches/{pitch.id}/edit", {**PITCH, "title": "Renamed"})
        assert response.status_code == 303
        db.session.expire_all()
        assert db.session.get(Pitch, pitch.id).title == "Renamed"
        response = browser.post(f"/pitches/{pitch.id}/edit", {**PITCH, "title": ""})
        assert response.status_code == 422 and "Give your pitch a title." in text(response)
        response = browser.post(f"/pitches/{pitch.id}/edit", {**PITCH, "title": ""}, htmx=True)
        assert response.status_code == 422 and is_fragment(response, '<div id="pitch-form"')
        assert db.session.get(Pitch, pitch.id).title == "Renamed"

    def test_only_the_author_edits_or_withdraws(self, login, jam, make_user, make_pitch):
        pitch = make_pitch(jam)
        for user in (make_user(), jam.hosts[0], make_user(role="admin")):
            browser = login(user)
            assert browser.get(f"/pitches/{pitch.id}/edit").status_code == 403
            assert browser.post(f"/pitches/{pitch.id}/edit", PITCH).status_code == 403
            assert browser.post(f"/pitches/{pitch.id}/withdraw").status_code == 403
        assert db.session.get(Pitch, pitch.id).status == "active"

    def test_withdraw_then_409(self, client, login, jam, make_user, make_pitch):
        author = make_user()
        pitch = make_pitch(jam, author, title="Gone soon")
        browser = login(author)
        response = browser.post(f"/pitches/{pitch.id}/withdraw")
        assert response.status_code == 303
        assert browser.post(f"/pitches/{pitch.id}/withdraw").status_code == 409
        assert browser.get(f"/pitches/{pitch.id}/edit").status_code == 409
        body = text(client.get(f"/pitches/{pitch.id}"))
        assert "This pitch was withdrawn by its author." in body
        assert "comments are closed" in body
        assert "Gone soon" not in text(client.get(f"/events/{jam.id}"))
        response = browser.post(f"/pitches/{pitch.id}/withdraw", htmx=True)
        assert response.status_code == 409 and "already withdrawn" in text(response)
        other = make_pitch(jam, author)
        response = browser.post(f"/pitches/{other.id}/withdraw", htmx=True)
        assert response.status_code == 200
        assert is_fragment(response, f'<article id="pitch-detail-{other.id}"')
        assert "This pitch was withdrawn by its author." in text(response)


# --- votes ---------------------------------------------------------------------------------


class TestVoteEndpoint:
    def test_plain_vote_redirects_back_to_the_board(self, login, jam, make_user, make_pitch):
        pitch = make_pitch(jam)
        member = login(make_user())
        response = member.post(
            f"/pitches/{pitch.id}/vote", {"vote": "on", "next": f"/events/{jam.id}?sort=votes#jam"}
        )
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/events/{jam.id}?sort=votes#jam")
        body = text(member.get(f"/events/{jam.id}"))
        assert "Voted ✓" in body and re.search(tally(pitch.id, "1 vote", version=1), body)
        response = member.post(f"/pitches/{pitch.id}/vote", {"next": "https://evil.example/"})
        assert response.headers["Location"].endswith(f"/pitches/{pitch.id}")
        assert count(Vote) == 0  # the field-less POST toggled it off

    def test_htmx_vote_answers_vote_tally_and_votes_left(
        self, login, jam, make_user, make_pitch, configure
    ):
        configure(jam, vote_budget=3)
        pitch = make_pitch(jam)
        member = login(make_user())
        response = member.post(f"/pitches/{pitch.id}/vote", {"vote": "on"}, htmx=True)
        assert response.status_code == 200
        assert is_fragment(response, f'<div id="vote-{pitch.id}" class="vote">')
        body = text(response)
        assert "Voted ✓" in body
        assert f'<hx-partial hx-target="#tally-{pitch.id}" hx-swap="outerHTML">' in body
        # configure() changed the rules (version 1), the vote made it 2.
        assert re.search(tally(pitch.id, "1 vote", version=2), body)
        assert '<hx-partial hx-target="#votes-left"' in body
        assert "You have 2 of 3 votes left." in re.sub(r"</?strong>", "", body)
        assert "HX-Request" in response.headers["Vary"]
        response = member.post(f"/pitches/{pitch.id}/vote", {"vote": "off"}, htmx=True)
        assert "0 votes" in text(response) and count(Vote) == 0

    def test_budget_exhausted_is_409_with_the_message(
        self, login, jam, make_user, make_pitch, configure
    ):
        configure(jam, vote_budget=3)
        pitches = [make_pitch(jam) for _ in range(4)]
        member = make_user()
        for pitch in pitches[:3]:
            services.cast_vote(member, pitch.id, True)
        browser = login(member)
        page = text(browser.get(f"/events/{jam.id}"))
        assert "You have used all 3 of your votes." in page
        # No dead "Vote" button on the pitches left: the page says why instead.
        vote_box = re.search(rf'<div id="vote-{pitches[3].id}".*?</div>', page, re.S)[0]
        assert "No votes left" in vote_box and "<button" not in vote_box
        response = browser.post(f"/pitches/{pitches[3].id}/vote", {"vote": "on"}, htmx=True)
        assert response.status_code == 409
        assert is_fragment(response, f'<div id="vote-{pitches[3].id}"')
        assert "You have used all 3 of your votes" in text(response)
        response = browser.post(f"/pitches/{pitches[3].id}/vote", {"vote": "on"})
        assert response.status_code == 409 and "You have used all 3 of your votes" in text(response)
        assert count(Vote) == 3

    def test_own_pitch_withdrawn_pitch_and_closed_voting_are_refused(
        self, login, jam, make_user, make_pitch, configure
    ):
        author = make_user()
        own = make_pitch(jam, author)
        response = login(author).post(f"/pitches/{own.id}/vote", {"vote": "on"}, htmx=True)
        assert response.status_code == 403 and "You can't vote for your own pitch." in text(
            response
        )
        member = login(make_user())
        withdrawn = make_pitch(jam, author)
        services.withdraw_pitch(author, withdrawn.id)
        response = member.post(f"/pitches/{withdrawn.id}/vote", {"vote": "on"})
        assert response.status_code == 409 and "withdrawn" in text(response)
        configure(jam, voting_open=False)
        response = member.post(f"/pitches/{own.id}/vote", {"vote": "on"}, htmx=True)
        assert response.status_code == 409 and "Voting is closed for this jam." in text(response)
        assert count(Vote) == 0

    def test_cancelled_jam_refuses_votes(self, login, jam, make_user, make_pitch):
        pitch = make_pitch(jam)
        events.cancel_event(jam.hosts[0], jam.id)
        response = login(make_user()).post(f"/pitches/{pitch.id}/vote", {"vote": "on"})
        assert response.status_code == 409 and "cancelled" in text(response)

    def test_bad_value_anonymous_and_unknown(self, client, login, jam, make_user, make_pitch):
        pitch = make_pitch(jam)
        response = login(make_user()).post(f"/pitches/{pitch.id}/vote", {"vote": "maybe"})
        assert response.status_code == 422 and "vote=on" in text(response)
        response = client.post(f"/pitches/{pitch.id}/vote", {"vote": "on"})
        assert response.status_code == 302
        response = client.post(f"/pitches/{pitch.id}/vote", {"vote": "on"}, htmx=True)
        assert response.status_code == 401 and response.headers["HX-Redirect"].startswith(
            "/auth/login"
        )
        assert login(make_user()).post("/pitches/999/vote", {"vote": "on"}).status_code == 404
        assert count(Vote) == 0

    def test_hidden_tallies_stay_hidden_in_the_vote_answer(
        self, login, jam, make_user, make_pitch, configure
    ):
        configure(jam, tallies_visible=False)
        pitch = make_pitch(jam)
        response = login(make_user()).post(f"/pitches/{pitch.id}/vote", {"vote": "on"}, htmx=True)
        body = text(response)
        assert "Votes hidden" in body and "1 vote" not in body


# --- offers --------------------------------------------------------------------------------


class TestOfferEndpoints:
    def test_offer_accept_and_team(self, login, jam, make_user, make_pitch):
        author, helper = make_user(display_name="Kenji"), make_user(display_name="Grace")
        pitch = make_pitch(jam, author)
        helper_browser = login(helper)
        response = helper_browser.post(
            f"/pitches/{pitch.id}/offers", {"note": "I can run the ablations."}, htmx=True
        )
        assert response.status_code == 200
        assert is_fragment(response, f'<section id="offers-{pitch.id}"')
        assert "Grace" in text(response) and "I can run the ablations." in text(response)
        assert "You offered to work on this." in text(response)
        assert "Withdraw my offer" in text(response)
        offer = db.session.scalar(select(Offer))
        author_browser = login(author)
        page = text(author_browser.get(f"/pitches/{pitch.id}"))
        assert f'action="/offers/{offer.id}/accept"' in page
        response = author_browser.post(f"/offers/{offer.id}/accept")
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/pitches/{pitch.id}#offers-{pitch.id}")
        body = text(helper_browser.get(f"/pitches/{pitch.id}"))
        team = element(body, "ul", f"team-{pitch.id}")
        assert "Kenji" in team and "Grace" in team
        assert "You're on the team." in body
        assert "accepted your offer" in body  # the notice
        assert author_browser.post(f"/offers/{offer.id}/accept", htmx=True).status_code == 409

    def test_plain_offer_redirects_and_withdraws(self, login, jam, make_user, make_pitch):
        pitch = make_pitch(jam)
        browser = login(make_user())
        response = browser.post(f"/pitches/{pitch.id}/offers", {"note": "Data wrangling"})
        assert response.status_code == 303
        offer = db.session.scalar(select(Offer))
        response = browser.post(f"/offers/{offer.id}/withdraw", htmx=True)
        assert response.status_code == 200 and "Data wrangling" not in text(response)
        assert count(Offer) == 0

    @pytest.mark.parametrize(
        ("note", "message"),
        [
            ("", "Say in one line what you would bring."),
            ("n" * 201, "Keep the note to 200 characters (it has 201)."),
            ("one\ntwo", "Keep the note to one line."),
        ],
    )
    def test_bad_note_is_422_beside_the_field(
        self, login, jam, make_user, make_pitch, note, message
    ):
        pitch = make_pitch(jam)
        browser = login(make_user())
        for htmx in (True, False):
            response = browser.post(f"/pitches/{pitch.id}/offers", {"note": note}, htmx=htmx)
            assert response.status_code == 422
            body = response.get_data(as_text=True)
            assert f'<p class="field-error" id="offer-note-error-{pitch.id}">' in body
            assert message in text(response)
            assert is_fragment(response, f'<section id="offers-{pitch.id}"') == htmx
        assert count(Offer) == 0

    def test_own_pitch_duplicate_and_others_accepting_are_refused(
        self, login, jam, make_user, make_pitch
    ):
        author = make_user()
        pitch = make_pitch(jam, author)
        response = login(author).post(f"/pitches/{pitch.id}/offers", {"note": "Me"}, htmx=True)
        assert response.status_code == 403 and "your own pitch" in text(response)
        helper = login(make_user())
        helper.post(f"/pitches/{pitch.id}/offers", {"note": "Me"})
        response = helper.post(f"/pitches/{pitch.id}/offers", {"note": "Me again"}, htmx=True)
        assert response.status_code == 409 and "already offered" in text(response)
        offer = db.session.scalar(select(Offer))
        for user in (make_user(), jam.hosts[0]):
            assert login(user).post(f"/offers/{offer.id}/accept").status_code == 403
            assert login(user).post(f"/offers/{offer.id}/withdraw").status_code == 403
        assert count(Offer) == 1 and db.session.get(Offer, offer.id).status == "pending"


# --- comments ------------------------------------------------------------------------------


class TestCommentEndpoints:
    def test_comment_on_an_event_plain_and_htmx(self, login, make_event, make_user):
        event = make_event(kind="social")
        member = login(make_user(display_name="Amara"))
        response = member.post(f"/events/{event.id}/comments", {"body": "Bring **snacks**"})
        assert response.status_code == 303
        comment = db.session.scalar(select(Comment))
        assert response.headers["Location"].endswith(f"/events/{event.id}#comment-{comment.id}")
        body = text(member.get(f"/events/{event.id}"))
        assert "<strong>snacks</strong>" in body and "Amara" in body
        assert '<span class="comment-count">(1)</span>' in body
        response = member.post(f"/events/{event.id}/comments", {"body": "Second"}, htmx=True)
        assert response.status_code == 200
        assert is_fragment(response, f'<section id="comments-event-{event.id}"')
        assert "Second" in text(response)
        assert '<span class="comment-count">(2)</span>' in text(response)

    def test_comment_on_a_pitch_and_reply(self, login, jam, make_user, make_pitch):
        pitch = make_pitch(jam)
        member = login(make_user())
        response = member.post(f"/pitches/{pitch.id}/comments", {"body": "Which dataset?"})
        assert response.headers["Location"].endswith(f"/pitches/{pitch.id}#comment-1")
        response = member.post(
            f"/pitches/{pitch.id}/comments", {"body": "Answer", "parent_id": "1"}, htmx=True
        )
        assert is_fragment(response, f'<section id="comments-pitch-{pitch.id}"')
        replies = element(text(response), "ol", "replies-1")
        assert "Answer" in replies
        member.post(f"/pitches/{pitch.id}/comments", {"body": "Deeper", "parent_id": "2"})
        assert db.session.get(Comment, 3).parent_id == 1  # a reply to a reply joins the thread

    @pytest.mark.parametrize(
        ("body", "message"),
        [("", "Write something first."), ("x" * 5001, "Keep comments under 5,000 characters")],
    )
    def test_empty_or_huge_comment_is_422_beside_the_field(
        self, login, make_event, make_user, body, message
    ):
        event = make_event()
        browser = login(make_user())
        response = browser.post(f"/events/{event.id}/comments", {"body": body}, htmx=True)
        assert response.status_code == 422
        assert is_fragment(response, f'<section id="comments-event-{event.id}"')
        raw = response.get_data(as_text=True)
        assert f'<p class="field-error" id="comment-body-event-{event.id}-error">' in raw
        assert message in text(response)
        response = browser.post(f"/events/{event.id}/comments", {"body": body})
        assert response.status_code == 422
        assert 'class="field-error"' in response.get_data(as_text=True)
        assert message in text(response) and "Your comment" in text(response)
        assert count(Comment) == 0

    def test_reply_errors_show_beside_the_reply_form(self, login, make_event, make_user):
        event = make_event()
        browser = login(make_user())
        top = services.add_comment(make_user(), "Top", event_id=event.id)
        response = browser.post(
            f"/events/{event.id}/comments", {"body": "", "parent_id": str(top.id)}, htmx=True
        )
        assert response.status_code == 422
        raw = response.get_data(as_text=True)
        assert f'<p class="field-error" id="reply-body-{top.id}-error">' in raw
        assert '<details class="reply-box" open>' in raw
        for parent, status in (("abc", 422), ("987", 404)):
            response = browser.post(
                f"/events/{event.id}/comments", {"body": "Hi", "parent_id": parent}
            )
            assert response.status_code == status
        assert count(Comment) == 1

    def test_hidden_thread_is_409(self, login, make_event, make_user):
        event = make_event()
        top = services.add_comment(make_user(), "Top", event_id=event.id)
        services.hide_comment(event.hosts[0], top.id)
        browser = login(make_user())
        form = {"body": "Hello?", "parent_id": str(top.id)}
        response = browser.post(f"/events/{event.id}/comments", form, htmx=True)
        assert response.status_code == 409 and "A host hid that comment" in text(response)
        response = browser.post(f"/events/{event.id}/comments", form)
        assert response.status_code == 409 and "A host hid that comment" in text(response)
        assert count(Comment) == 1

    def test_anonymous_is_sent_to_login(self, client, make_event):
        event = make_event()
        response = client.post(f"/events/{event.id}/comments", {"body": "Hi"})
        assert response.status_code == 302
        assert count(Comment) == 0

    def test_edit_own_comment_page_and_fragment(self, login, make_event, make_user):
        event, author = make_event(), make_user()
        comment = services.add_comment(author, "Frist", event_id=event.id)
        browser = login(author)
        page = text(browser.get(f"/comments/{comment.id}/edit"))
        assert "Edit your comment" in page and ">Frist</textarea>" in page
        fragment = browser.get(f"/comments/{comment.id}/edit", headers={"HX-Request": "true"})
        assert is_fragment(fragment, f'<form id="comment-{comment.id}"')
        response = browser.post(f"/comments/{comment.id}/edit", {"body": "First"})
        assert response.status_code == 303
        response = browser.post(f"/comments/{comment.id}/edit", {"body": "First!"}, htmx=True)
        assert is_fragment(response, f'<section id="comments-event-{event.id}"')
        assert "First!" in text(response) and "edited" in text(response)
        response = browser.post(f"/comments/{comment.id}/edit", {"body": ""}, htmx=True)
        assert response.status_code == 422 and "Write something first." in text(response)
        response = browser.post(f"/comments/{comment.id}/edit", {"body": ""})
        assert response.status_code == 422 and "Write something first." in text(response)
        assert db.session.get(Comment, comment.id).body == "First!"
        other = login(make_user())
        assert other.get(f"/comments/{comment.id}/edit").status_code == 403
        assert other.post(f"/comments/{comment.id}/edit", {"body": "Mine"}).status_code == 403

    def test_delete_own_comment(self, login, make_event, make_user):
        event, author = make_event(), make_user()
        top = services.add_comment(author, "Top words", event_id=event.id)
        services.add_comment(make_user(), "A reply", event_id=event.id, parent_id=top.id)
        alone = services.add_comment(author, "Alone", event_id=event.id)
        browser = login(author)
        assert login(make_user()).post(f"/comments/{top.id}/delete").status_code == 403
        response = browser.post(f"/comments/{alone.id}/delete", htmx=True)
        assert response.status_code == 200 and "Alone" not in text(response)
        response = browser.post(f"/comments/{top.id}/delete")
        assert response.status_code == 303
        body = text(browser.get(f"/events/{event.id}"))
        assert "Comment deleted" in body and "Top words" not in body and "A reply" in body
        assert browser.post(f"/comments/{top.id}/delete", htmx=True).status_code == 409

    def test_host_hides_others_see_hidden_and_author_is_told(
        self, client, login, make_event, make_user
    ):
        event, author = make_event(), make_user()
        comment = services.add_comment(author, "Off-topic rant", event_id=event.id)
        assert login(make_user()).post(f"/comments/{comment.id}/hide").status_code == 403
        host = login(event.hosts[0])
        response = host.post(f"/comments/{comment.id}/hide", htmx=True)
        assert response.status_code == 200 and "Hidden by a host" in text(response)
        assert host.post(f"/comments/{comment.id}/hide", htmx=True).status_code == 409
        body = text(client.get(f"/events/{event.id}"))
        assert "Hidden by a host" in body and "Off-topic rant" not in body
        body = text(login(author).get(f"/events/{event.id}"))
        assert "A host hid your comment" in body

    def test_controls_follow_the_viewer(self, client, login, make_event, make_user):
        event, author, other = make_event(), make_user(), make_user()
        mine = services.add_comment(author, "Mine", event_id=event.id)
        theirs = services.add_comment(other, "Theirs", event_id=event.id)

        def controls(body, comment):
            return element(body, "div", f"comment-controls-{comment.id}")

        body = text(login(author).get(f"/events/{event.id}"))
        assert "Edit" in controls(body, mine) and "Delete" in controls(body, mine)
        assert "Edit" not in controls(body, theirs) and "Hide" not in controls(body, theirs)
        body = text(login(event.hosts[0]).get(f"/events/{event.id}"))
        assert "Hide" in controls(body, mine) and "Hide" in controls(body, theirs)
        assert "Delete" not in controls(body, theirs)
        body = text(client.get(f"/events/{event.id}"))
        assert "<form" not in controls(body, mine) and "Reply" not in body


# --- a cancelled or finished jam -----------------------------------------------------------


def cancel(event) -> None:
    events.cancel_event(event.hosts[0], event.id)


class TestCancelledJam:
    """Every refused action is 409 with the reason, page and fragment; nothing is stored."""

    def test_offer_is_409(self, login, jam, make_user, make_pitch):
        pitch = make_pitch(jam)
        cancel(jam)
        browser = login(make_user())
        url = f"/pitches/{pitch.id}/offers"
        response = browser.post(url, {"note": "Code"}, htmx=True)
        assert response.status_code == 409
        assert is_fragment(response, f'<section id="offers-{pitch.id}"')
        assert "This jam was cancelled: offers are closed." in text(response)
        assert "I'd work on this</button>" not in text(response)
        response = browser.post(url, {"note": "Code"})
        assert response.status_code == 409 and "<html" in response.get_data(as_text=True)
        assert "This jam was cancelled: offers are closed." in text(response)
        assert count(Offer) == 0

    def test_accepting_is_409_and_leaving_still_works(self, login, jam, make_user, make_pitch):
        author, helper = make_user(), make_user()
        pitch = make_pitch(jam, author)
        offer = services.make_offer(helper, pitch.id, "Data")
        cancel(jam)
        browser = login(author)
        response = browser.post(f"/offers/{offer.id}/accept", htmx=True)
        assert response.status_code == 409
        assert is_fragment(response, f'<section id="offers-{pitch.id}"')
        assert "This jam was cancelled: offers are closed." in text(response)
        response = browser.post(f"/offers/{offer.id}/accept")
        assert response.status_code == 409
        assert "This jam was cancelled: offers are closed." in text(response)
        assert db.session.get(Offer, offer.id).status == "pending"
        assert login(helper).post(f"/offers/{offer.id}/withdraw").status_code == 303
        assert count(Offer) == 0

    @pytest.mark.parametrize("where", ["pitch", "jam", "talk"])
    def test_comment_and_reply_are_409(self, login, jam, make_event, make_user, make_pitch, where):
        if where == "pitch":
            pitch = make_pitch(jam)
            event, url, key = jam, f"/pitches/{pitch.id}/comments", f"pitch-{pitch.id}"
            top = services.add_comment(make_user(), "Top", pitch_id=pitch.id)
        else:
            event = jam if where == "jam" else make_event(kind="talk")
            url, key = f"/events/{event.id}/comments", f"event-{event.id}"
            top = services.add_comment(make_user(), "Top", event_id=event.id)
        cancel(event)
        noun = "event" if where == "talk" else "jam"
        message = f"This {noun} was cancelled: comments are closed."
        browser = login(make_user())
        for form in ({"body": "Why?"}, {"body": "Why?", "parent_id": str(top.id)}):
            response = browser.post(url, form, htmx=True)
            assert response.status_code == 409
            assert is_fragment(response, f'<section id="comments-{key}"')
            assert message in text(response) and "<textarea" not in text(response)
            response = browser.post(url, form)
            assert response.status_code == 409 and message in text(response)
            body = response.get_data(as_text=True)
            assert f'action="{url}"' not in body and ">Why?</textarea>" in body  # text kept
        assert count(Comment) == 1

    def test_comment_edit_is_409_and_deleting_still_works(self, login, jam, make_user):
        author = make_user()
        comment = services.add_comment(author, "Mine", event_id=jam.id)
        cancel(jam)
        browser = login(author)
        message = "This jam was cancelled: comments can no longer be edited."
        edits_refused(browser, f"/comments/{comment.id}/edit", message)
        assert db.session.get(Comment, comment.id).body == "Mine"
        assert browser.post(f"/comments/{comment.id}/delete").status_code == 303
        assert count(Comment) == 0

    def test_pitch_edit_is_409_and_withdrawing_still_works(self, login, jam, make_user, make_pitch):
        author = make_user()
        pitch = make_pitch(jam, author)
        cancel(jam)
        browser = login(author)
        message = "This jam was cancelled: pitches can no longer be edited."
        url = f"/pitches/{pitch.id}/edit"
        response = browser.get(url)
        assert response.status_code == 409 and message in text(response)
        response = browser.post(url, {**PITCH, "title": "Renamed"}, htmx=True)
        assert response.status_code == 409 and message in text(response)
        assert "<html" not in response.get_data(as_text=True)
        response = browser.post(url, {**PITCH, "title": "Renamed"})
        assert response.status_code == 409 and message in text(response)
        assert db.session.get(Pitch, pitch.id).title == "Tiny recursive reasoners"
        assert browser.post(f"/pitches/{pitch.id}/withdraw").status_code == 303
        assert db.session.get(Pitch, pitch.id).status == "withdrawn"

    def test_pages_show_no_form_that_would_be_refused(
        self, client, login, jam, make_event, make_user, make_pitch
    ):
        author, helper, member = make_user(), make_user(), make_user()
        pitch = make_pitch(jam, author)
        offer = services.make_offer(helper, pitch.id, "Data")
        on_pitch = services.add_comment(member, "Mine", pitch_id=pitch.id)
        on_jam = services.add_comment(member, "On the jam", event_id=jam.id)
        talk = make_event(kind="talk")
        on_talk = services.add_comment(member, "On the talk", event_id=talk.id)
        cancel(jam)
        cancel(talk)

        body = text(login(author).get(f"/pitches/{pitch.id}"))
        assert "This jam was cancelled: pitches can no longer be edited." in body
        assert "Edit pitch" not in body and "Withdraw pitch" in body
        assert f'action="/offers/{offer.id}/accept"' not in body
        assert "This jam was cancelled: offers are closed." in body

        body = text(login(member).get(f"/pitches/{pitch.id}"))
        assert "I'd work on this</button>" not in body and 'name="note"' not in body
        assert f'action="/pitches/{pitch.id}/comments"' not in body
        assert "This jam was cancelled: comments are closed." in body
        controls = element(body, "div", f"comment-controls-{on_pitch.id}")
        assert "Edit" not in controls and "Delete" in controls
        assert ">Vote<" not in body and "Voting closed" in body

        assert "Withdraw my offer" in text(login(helper).get(f"/pitches/{pitch.id}"))
        body = text(login(jam.hosts[0]).get(f"/pitches/{pitch.id}"))
        assert "Hide" in element(body, "div", f"comment-controls-{on_pitch.id}")

        body = text(login(member).get(f"/events/{jam.id}"))
        assert f'action="/events/{jam.id}/comments"' not in body
        assert f'action="/events/{jam.id}/pitches' not in body
        assert "This jam was cancelled: comments are closed." in body
        assert "This jam was cancelled: pitches are closed." in body
        controls = element(body, "div", f"comment-controls-{on_jam.id}")
        assert "Edit" not in controls and "Delete" in controls

        body = text(login(member).get(f"/events/{talk.id}"))
        assert f'action="/events/{talk.id}/comments"' not in body
        assert "This event was cancelled: comments are closed." in body
        assert "Edit" not in element(body, "div", f"comment-controls-{on_talk.id}")

    def test_a_jam_that_is_over_keeps_its_follow_up_forms(self, login, jam, make_user, make_pitch):
        author, helper = make_user(), make_user()
        pitch = make_pitch(jam, author)
        offer = services.make_offer(helper, pitch.id, "Data")
        mine = services.add_comment(author, "Mine", pitch_id=pitch.id)
        jam.starts_at, jam.ends_at = utcnow() - timedelta(hours=3), utcnow() - timedelta(hours=1)
        db.session.commit()

        body = text(login(author).get(f"/pitches/{pitch.id}"))
        assert "Edit pitch" in body and f'action="/offers/{offer.id}/accept"' in body
        assert f'action="/pitches/{pitch.id}/comments"' in body
        assert "Edit" in element(body, "div", f"comment-controls-{mine.id}")
        assert "This jam is over: voting is closed." in body
        response = login(make_user()).post(
            f"/pitches/{pitch.id}/offers", {"note": "Late, but keen"}, htmx=True
        )
        assert response.status_code == 200 and count(Offer) == 2


# --- a withdrawn pitch ---------------------------------------------------------------------


class TestWithdrawnPitch:
    """A withdrawn pitch takes nothing new (offers, accepting, comments, comment edits), but
    everyone can still clean up: withdraw an offer, leave the team, delete or hide a comment."""

    @pytest.fixture
    def withdrawn(self, jam, make_user, make_pitch):
        people = {
            "author": make_user(display_name="Ada Author"),
            "helper": make_user(display_name="Hal Helper"),
            "teammate": make_user(display_name="Tess Teammate"),
            "host": jam.hosts[0],
        }
        pitch = make_pitch(jam, people["author"])
        offers = {
            "helper": services.make_offer(people["helper"], pitch.id, "Data"),
            "teammate": services.make_offer(people["teammate"], pitch.id, "Code"),
        }
        services.accept_offer(people["author"], offers["teammate"].id)
        comments = {
            who: services.add_comment(people[who], f"Said by {who}", pitch_id=pitch.id)
            for who in people
        }
        services.withdraw_pitch(people["author"], pitch.id)
        return pitch, people, offers, comments

    @staticmethod
    def offer_controls(body: str, offers: dict) -> dict[str, str]:
        return {who: element(body, "span", f"offer-controls-{o.id}") for who, o in offers.items()}

    def test_each_role_sees_what_it_may_still_do(self, login, withdrawn):
        pitch, people, offers, comments = withdrawn
        pages = {who: text(login(user).get(f"/pitches/{pitch.id}")) for who, user in people.items()}
        for who, body in pages.items():
            assert "This pitch was withdrawn by its author." in body
            assert f'action="/pitches/{pitch.id}/offers"' not in body, who
            assert f'action="/pitches/{pitch.id}/comments"' not in body, who
            assert "/accept" not in body, who
            mine = element(body, "div", f"comment-controls-{comments[who].id}")
            assert "Edit" not in mine and "/edit" not in mine, who
            assert f'action="/comments/{comments[who].id}/delete"' in mine, who

        controls = self.offer_controls(pages["helper"], offers)
        assert f'action="/offers/{offers["helper"].id}/withdraw"' in controls["helper"]
        assert "Withdraw my offer" in controls["helper"] and "<form" not in controls["teammate"]

        controls = self.offer_controls(pages["teammate"], offers)
        assert f'action="/offers/{offers["teammate"].id}/withdraw"' in controls["teammate"]
        assert "Leave the team" in controls["teammate"] and "<form" not in controls["helper"]

        for who in ("author", "host"):
            controls = self.offer_controls(pages[who], offers)
            assert all("<form" not in c for c in controls.values()), who
            assert "Withdraw my offer" not in pages[who] and "Leave the team" not in pages[who]

        host_page = pages["host"]
        for who, comment in comments.items():
            controls = element(host_page, "div", f"comment-controls-{comment.id}")
            assert f'action="/comments/{comment.id}/hide"' in controls, who
        assert "data-edits-closed" in element(host_page, "section", f"comments-pitch-{pitch.id}")

    @pytest.mark.parametrize("who", ["helper", "teammate"])
    def test_withdrawing_an_offer_and_leaving_the_team_still_work(self, login, withdrawn, who):
        pitch, people, offers, _ = withdrawn
        offer_id, name = offers[who].id, people[who].display_name
        response = login(people[who]).post(f"/offers/{offer_id}/withdraw", htmx=True)
        assert response.status_code == 200
        assert is_fragment(response, f'<section id="offers-{pitch.id}"')
        assert name not in text(response)
        assert count(Offer, Offer.id == offer_id) == 0

    def test_the_author_cannot_accept_and_others_cannot_offer(self, login, withdrawn, make_user):
        pitch, people, offers, _ = withdrawn
        response = login(people["author"]).post(f"/offers/{offers['helper'].id}/accept")
        assert response.status_code == 409 and "withdrawn" in text(response)
        response = login(make_user()).post(f"/pitches/{pitch.id}/offers", {"note": "Me"})
        assert response.status_code == 409 and "withdrawn" in text(response)
        assert db.session.get(Offer, offers["helper"].id).status == "pending"
        assert count(Offer) == 2

    @pytest.mark.parametrize("who", ["author", "helper", "teammate", "host"])
    def test_comment_edit_is_409_and_deleting_still_works(self, login, withdrawn, who):
        pitch, people, _, comments = withdrawn
        comment_id = comments[who].id
        browser = login(people[who])
        message = "This pitch was withdrawn: comments can no longer be edited."
        edits_refused(browser, f"/comments/{comment_id}/edit", message)
        assert db.session.get(Comment, comment_id).body == f"Said by {who}"
        response = browser.post(f"/comments/{comment_id}/delete", htmx=True)
        assert response.status_code == 200
        assert is_fragment(response, f'<section id="comments-pitch-{pitch.id}"')
        assert count(Comment, Comment.id == comment_id) == 0

    def test_a_host_still_hides_comments(self, login, withdrawn):
        pitch, people, _, comments = withdrawn
        response = login(people["host"]).post(f"/comments/{comments['helper'].id}/hide", htmx=True)
        assert response.status_code == 200 and "Hidden by a host" in text(response)
        assert db.session.get(Comment, comments["helper"].id).status == "hidden"


# --- shared fragments ----------------------------------------------------------------------


class TestSharedFragments:
    @pytest.mark.parametrize("name", SHARED)
    def test_shared_templates_know_nothing_of_the_viewer(self, name):
        source = (TEMPLATES / name).read_text()
        for word in ("current_user", "csrf_token", "voter", "viewer_timezone", "<form"):
            assert word not in source, f"{name} mentions {word}: it is sent to every viewer"

    def test_shared_fragments_are_identical_for_every_viewer(
        self, client, login, jam, make_user, make_pitch
    ):
        author, member = make_user(), make_user()
        pitch = make_pitch(jam, author)
        services.cast_vote(member, pitch.id, True)
        comment = services.add_comment(author, "Hello", pitch_id=pitch.id)
        offer = services.make_offer(member, pitch.id, "Data")
        browsers = [client, login(author), login(member), login(jam.hosts[0])]
        boards = [text(b.get(f"/events/{jam.id}")) for b in browsers]
        pages = [text(b.get(f"/pitches/{pitch.id}")) for b in browsers]
        for tag, id_, bodies in [
            ("article", f"pitch-{pitch.id}", boards),
            ("article", f"pitch-detail-{pitch.id}", pages),
            ("article", f"comment-{comment.id}", pages),
            ("span", f"offer-{offer.id}", pages),
        ]:
            assert len({element(body, tag, id_) for body in bodies}) == 1, id_


def test_seeded_jam_page_shows_the_demo_board(client, new_client):
    from mlc_events.auth.models import User
    from mlc_events.events.models import Event
    from mlc_events.seed import DEMO_PASSWORD, seed

    seed()
    jam = db.session.scalar(select(Event).where(Event.uid == "seed-jam-upcoming@mlc-events"))
    body = text(client.get(f"/events/{jam.id}?sort=votes"))
    assert "Tiny recursive reasoners on a laptop" in body and "4 votes" in body
    member = db.session.scalar(select(User).where(User.email == "member@example.org"))
    browser = new_client()
    browser.login(member, DEMO_PASSWORD)
    body = text(browser.get(f"/events/{jam.id}"))
    assert "You have used all 3 of your votes." in body
    pitch = db.session.scalar(select(Pitch).where(Pitch.title.like("Tiny recursive%")))
    body = text(client.get(f"/pitches/{pitch.id}"))
    assert "Mia Member" in body and "Which puzzle set first?" in body


def test_the_board_and_pitch_pages_issue_the_same_queries_for_few_or_many_pitches(
    login, make_jam, make_user, make_pitch
):
    from sqlalchemy import event as sa_event

    member = make_user()
    browser = login(member)

    def statements(url: str) -> int:
        seen: list[str] = []

        def record(conn, cursor, statement, *args):
            seen.append(statement)

        sa_event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert browser.get(url).status_code == 200
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", record)
        return len(seen)

    counts = []
    for n in (2, 12):
        jam = make_jam()
        pitches = [make_pitch(jam, tags=f"t{i}, shared") for i in range(n)]
        for i, pitch in enumerate(pitches):
            services.cast_vote(member, pitch.id, True)
            top = services.add_comment(make_user(), f"Comment {i}", pitch_id=pitch.id)
            services.add_comment(member, "Reply", pitch_id=pitch.id, parent_id=top.id)
            services.add_comment(member, f"On the jam {i}", event_id=jam.id)
            services.make_offer(make_user(), pitches[0].id, f"Offer {i}")
        counts.append((statements(f"/events/{jam.id}"), statements(f"/pitches/{pitches[0].id}")))
    assert counts[0] == counts[1], counts

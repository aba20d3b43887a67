"""Jam rules, on SQLite and (where configured) PostgreSQL: settings, pitches, the board, votes,
collaboration offers and comments."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from mlc_events.database import utcnow
from mlc_events.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    SignInRequired,
    ValidationFailed,
)
from mlc_events.events import services as events
from mlc_events.extensions import db
from mlc_events.jams import services
from mlc_events.jams.models import Comment, JamSettings, Offer, Pitch, PitchTag, Vote
from mlc_events.notices.models import Notice
from tests.conftest import both_backends

pytestmark = both_backends


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def end_now(event) -> None:
    """Move an event into the past (after its pitches were made)."""
    event.starts_at = utcnow() - timedelta(hours=3)
    event.ends_at = utcnow() - timedelta(hours=1)
    db.session.commit()


# --- settings ------------------------------------------------------------------------------


class TestSettings:
    def test_an_unconfigured_jam_has_open_defaults_without_a_row(self, make_jam):
        jam = make_jam()
        settings = services.settings_for(jam.id)
        assert (settings.submissions_open, settings.voting_open) == (True, True)
        assert settings.vote_budget is None and settings.tallies_visible is True
        assert count(JamSettings) == 0

    def test_host_changes_settings_and_a_partial_change_keeps_the_rest(self, make_jam, configure):
        jam = make_jam()
        configure(jam, voting_open=False, vote_budget=3, tallies_visible=False)
        configure(jam, submissions_open=False)
        db.session.expire_all()
        settings = db.session.get(JamSettings, jam.id)
        assert settings.submissions_open is False and settings.voting_open is False
        assert settings.vote_budget == 3 and settings.tallies_visible is False
        configure(jam, vote_budget=None)
        assert db.session.get(JamSettings, jam.id).vote_budget is None

    def test_co_host_and_admin_may_change_settings(self, make_user, make_jam):
        co_host, admin = make_user(role="host"), make_user(role="admin")
        jam = make_jam(hosts=[make_user(role="host"), co_host])
        for actor in (co_host, admin):
            services.update_settings(actor, jam.id, services.SettingsInput(voting_open=False))
        assert db.session.get(JamSettings, jam.id).voting_open is False

    @pytest.mark.parametrize("role", ["member", "host"])
    def test_others_may_not(self, make_user, make_jam, role):
        jam = make_jam()
        with pytest.raises(PermissionDenied):
            services.update_settings(
                make_user(role=role), jam.id, services.SettingsInput(voting_open=False)
            )
        with pytest.raises(SignInRequired):
            services.update_settings(None, jam.id, services.SettingsInput(voting_open=False))
        assert count(JamSettings) == 0

    @pytest.mark.parametrize(
        ("budget", "message"), [(0, "Enter 1 or more"), (-2, "Enter 1 or more"), (1001, "At most")]
    )
    def test_bad_budget_is_refused_beside_the_field(self, make_jam, configure, budget, message):
        jam = make_jam()
        with pytest.raises(ValidationFailed) as refused:
            configure(jam, vote_budget=budget, voting_open=False)
        assert message in refused.value.field_errors["vote_budget"]
        assert count(JamSettings) == 0

    def test_only_research_jams_have_settings(self, make_event):
        talk = make_event(kind="talk")
        with pytest.raises(NotFound):
            services.update_settings(
                talk.hosts[0], talk.id, services.SettingsInput(voting_open=False)
            )


# --- pitches -------------------------------------------------------------------------------


class TestPitches:
    def test_member_pitches_an_idea(self, make_user, make_jam):
        jam, author = make_jam(), make_user()
        pitch = services.create_pitch(
            author,
            jam.id,
            services.PitchInput(
                title="  Sparse   autoencoders for proteins ",
                summary="Train SAEs on *protein* models. <script>alert(1)</script>",
                looking_for=["domain expertise", "theory", "code"],
                tags="Interpretability, BIOLOGY,  small   models, biology,",
            ),
        )
        assert pitch.title == "Sparse autoencoders for proteins"
        assert "<em>protein</em>" in pitch.summary_html and "<script" not in pitch.summary_html
        assert pitch.skills == ["theory", "code", "domain-expertise"]  # the list's order
        assert pitch.skill_labels[-1] == "Domain expertise"
        assert pitch.tags == ["interpretability", "biology", "small models"]
        assert (pitch.status, pitch.vote_count, pitch.author_id) == ("active", 0, author.id)

    def test_skills_may_come_comma_separated(self, make_user, make_jam):
        pitch = services.create_pitch(
            make_user(),
            make_jam().id,
            services.PitchInput(title="T", summary="S", looking_for=["data, compute"]),
        )
        assert pitch.skills == ["data", "compute"]
        assert pitch.tags == []

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"title": "   "}, "title", "Give your pitch a title."),
            ({"title": "x" * 121}, "title", "Keep the title to 120 characters (it has 121)."),
            ({"summary": ""}, "summary", "Say in a few lines what the idea is."),
            ({"summary": "x" * 5001}, "summary", "Keep the summary under 5,000 characters"),
            ({"looking_for": ["code", "vibes"]}, "looking_for", "from the list"),
            ({"tags": ",".join(f"t{i}" for i in range(9))}, "tags", "at most 8 tags"),
            ({"tags": "ok, " + "y" * 25}, "tags", "Keep each tag to 24 characters"),
            ({"tags": "<b>bold</b>"}, "tags", "letters, digits, spaces"),
        ],
    )
    def test_bad_pitch_is_refused_and_nothing_stored(
        self, make_user, make_jam, changes, field, message
    ):
        values = {"title": "A title", "summary": "A summary", "looking_for": [], "tags": ""}
        values.update(changes)
        with pytest.raises(ValidationFailed) as refused:
            services.create_pitch(make_user(), make_jam().id, services.PitchInput(**values))
        assert message in refused.value.field_errors[field]
        assert count(Pitch) == 0 and count(PitchTag) == 0

    def test_limits_are_inclusive(self, make_user, make_jam):
        pitch = services.create_pitch(
            make_user(),
            make_jam().id,
            services.PitchInput(
                title="x" * 120,
                summary="y" * 5000,
                tags=",".join(f"tag{i}" for i in range(7)) + "," + "z" * 24,
            ),
        )
        assert len(pitch.tags) == 8

    def test_closed_submissions_cancelled_or_past_jam_refuse_pitches(
        self, make_user, make_jam, make_pitch, configure
    ):
        jam = make_jam()
        configure(jam, submissions_open=False)
        with pytest.raises(Conflict, match="submissions are closed"):
            make_pitch(jam)
        cancelled = make_jam()
        events.cancel_event(cancelled.hosts[0], cancelled.id)
        with pytest.raises(Conflict, match="cancelled"):
            make_pitch(cancelled)
        past = make_jam(starts_at=utcnow() - timedelta(days=2))
        with pytest.raises(Conflict, match="over"):
            make_pitch(past)
        assert count(Pitch) == 0

    def test_no_board_on_other_events_and_no_anonymous_pitches(self, make_event, make_pitch):
        with pytest.raises(NotFound):
            make_pitch(make_event(kind="reading-group"))
        with pytest.raises(SignInRequired):
            services.create_pitch(
                None, make_event(kind="research-jam").id, services.PitchInput("T", "S")
            )

    def test_members_only_jam_is_not_shown_to_anonymous(self, make_jam, make_pitch):
        pitch = make_pitch(make_jam(visibility="members"))
        with pytest.raises(SignInRequired):
            services.get_pitch(None, pitch.id)

    def test_author_edits_own_pitch_and_tags_are_replaced(self, make_user, make_jam, make_pitch):
        author = make_user()
        pitch = make_pitch(make_jam(), author, tags="a, b, c")
        services.update_pitch(
            author, pitch.id, services.PitchInput("New title", "New **text**", ["data"], "c, d")
        )
        db.session.expire_all()
        pitch = db.session.get(Pitch, pitch.id)
        assert pitch.title == "New title" and "<strong>text</strong>" in pitch.summary_html
        assert pitch.tags == ["c", "d"] and pitch.skills == ["data"]
        assert pitch.updated_at >= pitch.created_at
        assert count(PitchTag) == 2

    def test_only_the_author_edits_or_withdraws(self, make_user, make_jam, make_pitch):
        jam = make_jam()
        pitch = make_pitch(jam)
        for other in (make_user(), jam.hosts[0], make_user(role="admin")):
            with pytest.raises(PermissionDenied):
                services.update_pitch(other, pitch.id, services.PitchInput("Mine now", "S"))
            with pytest.raises(PermissionDenied):
                services.withdraw_pitch(other, pitch.id)
        assert db.session.get(Pitch, pitch.id).title == "Tiny recursive reasoners"

    def test_withdraw_once(self, make_user, make_jam, make_pitch):
        author = make_user()
        pitch = make_pitch(make_jam(), author)
        services.withdraw_pitch(author, pitch.id)
        assert db.session.get(Pitch, pitch.id).status == "withdrawn"
        with pytest.raises(Conflict, match="already withdrawn"):
            services.withdraw_pitch(author, pitch.id)
        with pytest.raises(Conflict, match="withdrawn"):
            services.update_pitch(author, pitch.id, services.PitchInput("T", "S"))

    def test_unknown_pitch_is_not_found(self, app):
        with pytest.raises(NotFound):
            services.get_pitch(None, 4242)


# --- the board -----------------------------------------------------------------------------


class TestBoard:
    def test_sorts_by_votes_or_newest_and_filters_by_tag(self, make_user, make_jam, make_pitch):
        jam = make_jam()
        first = make_pitch(jam, title="First", tags="vision, data")
        second = make_pitch(jam, title="Second", tags="data")
        third = make_pitch(jam, title="Third", tags="speech")
        for member in (make_user(), make_user()):
            services.cast_vote(member, second.id, True)
        services.cast_vote(make_user(), first.id, True)
        board = services.board(None, jam.id, sort="votes")
        assert [p.title for p in board.pitches] == ["Second", "First", "Third"]
        newest = services.board(None, jam.id)
        assert newest.sort == "newest"
        assert [p.id for p in newest.pitches] == [third.id, second.id, first.id]
        tagged = services.board(None, jam.id, tag=" DATA ", sort="votes")
        assert [p.title for p in tagged.pitches] == ["Second", "First"]
        assert tagged.tag == "data"
        assert tagged.tags[0] == ("data", 2)
        assert services.board(None, jam.id, tag="nothing").pitches == []

    def test_hidden_tallies_do_not_sort_by_votes(self, make_user, make_jam, make_pitch, configure):
        jam = make_jam()
        old, new = make_pitch(jam, title="Old"), make_pitch(jam, title="New")
        services.cast_vote(make_user(), old.id, True)
        configure(jam, tallies_visible=False)
        board = services.board(None, jam.id, sort="votes")
        assert board.sort == "newest"
        assert [p.id for p in board.pitches] == [new.id, old.id]

    def test_withdrawn_pitches_leave_the_board(self, make_user, make_jam, make_pitch):
        jam, author = make_jam(), make_user()
        kept = make_pitch(jam)
        gone = make_pitch(jam, author, tags="gone")
        services.withdraw_pitch(author, gone.id)
        board = services.board(None, jam.id)
        assert [p.id for p in board.pitches] == [kept.id]
        assert "gone" not in dict(board.tags)

    def test_stats_count_visible_comments_offers_and_team(self, make_user, make_jam, make_pitch):
        author = make_user()
        pitch = make_pitch(make_jam(), author)
        helpers = [make_user() for _ in range(3)]
        offers = [services.make_offer(h, pitch.id, "I can help") for h in helpers]
        services.accept_offer(author, offers[0].id)
        services.add_comment(helpers[0], "Nice", pitch_id=pitch.id)
        stats = services.pitch_stats([pitch.id])[pitch.id]
        assert (stats.comments, stats.offers, stats.team) == (1, 2, 1)


# --- votes ---------------------------------------------------------------------------------


class TestVotes:
    def test_vote_set_idempotent_unset_and_toggle(self, make_user, make_jam, make_pitch):
        pitch, member = make_pitch(make_jam()), make_user()
        assert services.cast_vote(member, pitch.id, True) is True
        assert services.cast_vote(member, pitch.id, True) is True
        assert count(Vote) == 1 and db.session.get(Pitch, pitch.id).vote_count == 1
        assert services.cast_vote(member, pitch.id, False) is False
        assert services.cast_vote(member, pitch.id, False) is False
        assert count(Vote) == 0 and db.session.get(Pitch, pitch.id).vote_count == 0
        assert services.cast_vote(member, pitch.id) is True
        assert services.cast_vote(member, pitch.id) is False
        assert count(Vote) == 0

    def test_vote_count_follows_the_votes(self, make_user, make_jam, make_pitch):
        pitch = make_pitch(make_jam())
        members = [make_user() for _ in range(5)]
        for member in members:
            services.cast_vote(member, pitch.id, True)
        services.cast_vote(members[0], pitch.id, False)
        db.session.expire_all()
        assert db.session.get(Pitch, pitch.id).vote_count == 4 == count(Vote)

    def test_no_vote_for_ones_own_pitch(self, make_user, make_jam, make_pitch):
        author = make_user()
        pitch = make_pitch(make_jam(), author)
        with pytest.raises(PermissionDenied, match="your own pitch"):
            services.cast_vote(author, pitch.id, True)
        assert count(Vote) == 0

    def test_no_vote_on_a_withdrawn_pitch(self, make_user, make_jam, make_pitch):
        author = make_user()
        pitch = make_pitch(make_jam(), author)
        services.withdraw_pitch(author, pitch.id)
        with pytest.raises(Conflict, match="withdrawn"):
            services.cast_vote(make_user(), pitch.id, True)
        assert count(Vote) == 0

    def test_closed_cancelled_or_past_jam_refuses_votes(
        self, make_user, make_jam, make_pitch, configure
    ):
        member = make_user()
        closed = make_jam()
        pitch = make_pitch(closed)
        configure(closed, voting_open=False)
        with pytest.raises(Conflict, match="Voting is closed"):
            services.cast_vote(member, pitch.id, True)
        cancelled = make_jam()
        pitch = make_pitch(cancelled)
        events.cancel_event(cancelled.hosts[0], cancelled.id)
        with pytest.raises(Conflict, match="cancelled"):
            services.cast_vote(member, pitch.id, True)
        over = make_jam()
        pitch = make_pitch(over)
        end_now(over)
        with pytest.raises(Conflict, match="over"):
            services.cast_vote(member, pitch.id, True)
        assert count(Vote) == 0

    def test_taking_back_a_vote_after_voting_closed_is_refused_too(
        self, make_user, make_jam, make_pitch, configure
    ):
        jam, member = make_jam(), make_user()
        pitch = make_pitch(jam)
        services.cast_vote(member, pitch.id, True)
        configure(jam, voting_open=False)
        with pytest.raises(Conflict):
            services.cast_vote(member, pitch.id, False)
        assert count(Vote) == 1

    def test_budget_is_enforced_and_votes_left_shown(
        self, make_user, make_jam, make_pitch, configure
    ):
        jam, member = make_jam(), make_user()
        configure(jam, vote_budget=3)
        pitches = [make_pitch(jam) for _ in range(4)]
        assert services.voter(member, jam.id).votes_left == 3
        for pitch in pitches[:3]:
            services.cast_vote(member, pitch.id, True)
        voter = services.voter(member, jam.id)
        assert (voter.used, voter.votes_left, voter.voted) == (3, 0, {p.id for p in pitches[:3]})
        with pytest.raises(Conflict, match="You have used all 3 of your votes"):
            services.cast_vote(member, pitches[3].id, True)
        assert count(Vote) == 3
        # Re-voting a pitch already voted for is no new vote: allowed at the limit.
        assert services.cast_vote(member, pitches[0].id, True) is True
        services.cast_vote(member, pitches[0].id, False)
        services.cast_vote(member, pitches[3].id, True)
        assert services.voter(member, jam.id).votes_left == 0

    def test_budget_of_one_says_so(self, make_user, make_jam, make_pitch, configure):
        jam, member = make_jam(), make_user()
        configure(jam, vote_budget=1)
        first, second = make_pitch(jam), make_pitch(jam)
        services.cast_vote(member, first.id, True)
        with pytest.raises(Conflict, match="You have used your 1 vote"):
            services.cast_vote(member, second.id, True)

    def test_budget_is_per_jam(self, make_user, make_jam, make_pitch, configure):
        member = make_user()
        one, two = make_jam(), make_jam()
        configure(one, vote_budget=1)
        configure(two, vote_budget=1)
        services.cast_vote(member, make_pitch(one).id, True)
        services.cast_vote(member, make_pitch(two).id, True)
        assert count(Vote) == 2

    def test_a_withdrawn_pitch_gives_its_voters_their_votes_back(
        self, make_user, make_jam, make_pitch, configure
    ):
        jam, member, author = make_jam(), make_user(), make_user()
        configure(jam, vote_budget=1)
        gone, other = make_pitch(jam, author), make_pitch(jam)
        services.cast_vote(member, gone.id, True)
        services.withdraw_pitch(author, gone.id)
        assert services.voter(member, jam.id).votes_left == 1
        services.cast_vote(member, other.id, True)
        assert count(Vote) == 2

    def test_lowering_the_budget_keeps_votes_but_blocks_new_ones(
        self, make_user, make_jam, make_pitch, configure
    ):
        jam, member = make_jam(), make_user()
        pitches = [make_pitch(jam) for _ in range(3)]
        services.cast_vote(member, pitches[0].id, True)
        services.cast_vote(member, pitches[1].id, True)
        configure(jam, vote_budget=1)
        with pytest.raises(Conflict):
            services.cast_vote(member, pitches[2].id, True)
        assert count(Vote) == 2
        assert services.voter(member, jam.id).votes_left == 0

    def test_no_budget_means_one_vote_per_pitch(self, make_user, make_jam, make_pitch):
        jam, member = make_jam(), make_user()
        for _ in range(6):
            services.cast_vote(member, make_pitch(jam).id, True)
        assert count(Vote) == 6
        assert services.voter(member, jam.id).votes_left is None

    def test_anonymous_cannot_vote(self, make_jam, make_pitch):
        with pytest.raises(SignInRequired):
            services.cast_vote(None, make_pitch(make_jam()).id, True)

    def test_one_vote_per_member_per_pitch_is_a_constraint(self, make_user, make_jam, make_pitch):
        pitch, member = make_pitch(make_jam()), make_user()
        db.session.add_all(
            [Vote(pitch_id=pitch.id, user_id=member.id), Vote(pitch_id=pitch.id, user_id=member.id)]
        )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()

    def test_tally_wording(self, app):
        assert services.tally_text(0) == "0 votes"
        assert services.tally_text(1) == "1 vote"
        assert services.tally_text(2) == "2 votes"


# --- offers --------------------------------------------------------------------------------


class TestOffers:
    def test_member_offers_author_accepts_and_team_is_listed(self, make_user, make_jam, make_pitch):
        author, helper = make_user(), make_user(display_name="Grace")
        pitch = make_pitch(make_jam(), author, title="SAE proteins")
        offer = services.make_offer(helper, pitch.id, "  I have trained SAEs before.  ")
        assert (offer.note, offer.status) == ("I have trained SAEs before.", "pending")
        offers = services.offers_for(pitch.id)
        assert [o.id for o in offers.pending] == [offer.id] and offers.team == []
        assert offers.of(helper).id == offer.id and offers.of(author) is None
        services.accept_offer(author, offer.id)
        offers = services.offers_for(pitch.id)
        assert [o.user.display_name for o in offers.team] == ["Grace"] and offers.pending == []
        notice = db.session.scalar(select(Notice).where(Notice.user_id == helper.id))
        assert "you're on the team" in notice.body and "SAE proteins" in notice.body
        assert notice.url == f"/pitches/{pitch.id}"

    def test_no_offer_on_ones_own_pitch(self, make_user, make_jam, make_pitch):
        author = make_user()
        pitch = make_pitch(make_jam(), author)
        with pytest.raises(PermissionDenied):
            services.make_offer(author, pitch.id, "Me!")
        assert count(Offer) == 0

    def test_one_offer_per_member_per_pitch(self, make_user, make_jam, make_pitch):
        pitch, helper = make_pitch(make_jam()), make_user()
        services.make_offer(helper, pitch.id, "Code")
        with pytest.raises(Conflict, match="already offered"):
            services.make_offer(helper, pitch.id, "More code")
        assert count(Offer) == 1

    @pytest.mark.parametrize(
        ("note", "message"),
        [
            ("", "Say in one line what you would bring."),
            ("   ", "Say in one line what you would bring."),
            ("x" * 201, "Keep the note to 200 characters (it has 201)."),
            ("line one\nline two", "Keep the note to one line."),
        ],
    )
    def test_bad_note_is_refused(self, make_user, make_jam, make_pitch, note, message):
        pitch = make_pitch(make_jam())
        with pytest.raises(ValidationFailed) as refused:
            services.make_offer(make_user(), pitch.id, note)
        assert refused.value.field_errors == {"note": message}
        assert count(Offer) == 0

    def test_no_offer_on_a_withdrawn_pitch(self, make_user, make_jam, make_pitch):
        author = make_user()
        pitch = make_pitch(make_jam(), author)
        services.withdraw_pitch(author, pitch.id)
        with pytest.raises(Conflict):
            services.make_offer(make_user(), pitch.id, "Code")

    def test_only_the_author_accepts_and_only_once(self, make_user, make_jam, make_pitch):
        jam, author, helper = make_jam(), make_user(), make_user()
        pitch = make_pitch(jam, author)
        offer = services.make_offer(helper, pitch.id, "Data")
        for other in (helper, make_user(), jam.hosts[0]):
            with pytest.raises(PermissionDenied):
                services.accept_offer(other, offer.id)
        services.accept_offer(author, offer.id)
        with pytest.raises(Conflict, match="already on the team"):
            services.accept_offer(author, offer.id)

    def test_offers_can_be_withdrawn_and_the_team_left_on_a_withdrawn_pitch(
        self, make_user, make_jam, make_pitch
    ):
        author, helper, member = make_user(), make_user(), make_user()
        pitch = make_pitch(make_jam(), author)
        pending = services.make_offer(helper, pitch.id, "Data")
        accepted = services.make_offer(member, pitch.id, "Code")
        services.accept_offer(author, accepted.id)
        services.withdraw_pitch(author, pitch.id)
        services.withdraw_offer(helper, pending.id)
        services.withdraw_offer(member, accepted.id)
        assert count(Offer) == 0

    def test_member_withdraws_own_offer_and_may_offer_again(self, make_user, make_jam, make_pitch):
        author, helper = make_user(), make_user()
        pitch = make_pitch(make_jam(), author)
        offer = services.make_offer(helper, pitch.id, "Data")
        with pytest.raises(PermissionDenied):
            services.withdraw_offer(author, offer.id)
        services.withdraw_offer(helper, offer.id)
        assert count(Offer) == 0
        services.make_offer(helper, pitch.id, "Data, really")
        assert count(Offer) == 1

    def test_unknown_offer(self, make_user):
        with pytest.raises(NotFound):
            services.accept_offer(make_user(), 999)


# --- comments ------------------------------------------------------------------------------


class TestComments:
    def test_comment_on_a_pitch_and_on_an_event(self, make_user, make_event, make_jam, make_pitch):
        member = make_user()
        pitch = make_pitch(make_jam())
        on_pitch = services.add_comment(member, "Use **JAX**", pitch_id=pitch.id)
        assert on_pitch.event_id == pitch.event_id and on_pitch.pitch_id == pitch.id
        assert "<strong>JAX</strong>" in on_pitch.body_html
        talk = make_event(kind="talk")
        on_event = services.add_comment(member, "See you there", event_id=talk.id)
        assert (on_event.event_id, on_event.pitch_id) == (talk.id, None)
        assert [t.comment.id for t in services.comments_on(talk.id)] == [on_event.id]
        assert [t.comment.id for t in services.comments_on(pitch.event_id, pitch.id)] == [
            on_pitch.id
        ]
        assert services.comments_on(pitch.event_id) == []  # the jam's own comments: none

    def test_markdown_is_sanitised(self, make_user, make_event):
        comment = services.add_comment(
            make_user(),
            '<img src=x onerror="alert(1)"> [x](javascript:alert(1)) <div hx-get="/x">y</div>',
            event_id=make_event().id,
        )
        html = comment.body_html
        assert "<img" not in html and 'href="javascript' not in html and "<div" not in html

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ("", "Write something first."),
            (" \n\t ", "Write something first."),
            ("x" * 5001, "Keep comments under 5,000 characters (this one has 5,001)."),
        ],
    )
    def test_empty_or_huge_comment_is_refused(self, make_user, make_event, body, message):
        with pytest.raises(ValidationFailed) as refused:
            services.add_comment(make_user(), body, event_id=make_event().id)
        assert refused.value.field_errors == {"body": message}
        assert count(Comment) == 0

    def test_anonymous_cannot_comment(self, make_event):
        with pytest.raises(SignInRequired):
            services.add_comment(None, "Hi", event_id=make_event().id)

    def test_replies_are_one_level_deep(self, make_user, make_event):
        event, a, b = make_event(), make_user(), make_user()
        top = services.add_comment(a, "Top", event_id=event.id)
        reply = services.add_comment(b, "Reply", event_id=event.id, parent_id=top.id)
        deeper = services.add_comment(a, "Reply to reply", event_id=event.id, parent_id=reply.id)
        assert reply.parent_id == top.id and deeper.parent_id == top.id
        threads = services.comments_on(event.id)
        assert [(t.comment.id, [r.id for r in t.replies]) for t in threads] == [
            (top.id, [reply.id, deeper.id])
        ]

    def test_reply_must_be_on_the_same_page(self, make_user, make_event, make_jam, make_pitch):
        member = make_user()
        jam = make_jam()
        one, two = make_pitch(jam), make_pitch(jam)
        elsewhere = services.add_comment(member, "On one", pitch_id=one.id)
        on_event = services.add_comment(member, "On the jam", event_id=jam.id)
        with pytest.raises(NotFound):
            services.add_comment(member, "x", pitch_id=two.id, parent_id=elsewhere.id)
        with pytest.raises(NotFound):
            services.add_comment(member, "x", event_id=jam.id, parent_id=elsewhere.id)
        with pytest.raises(NotFound):
            services.add_comment(member, "x", pitch_id=one.id, parent_id=on_event.id)
        with pytest.raises(NotFound):
            services.add_comment(member, "x", event_id=make_event().id, parent_id=on_event.id)
        assert count(Comment) == 2

    def test_hidden_thread_takes_no_replies(self, make_user, make_event):
        event, member = make_event(), make_user()
        top = services.add_comment(member, "Top", event_id=event.id)
        reply = services.add_comment(member, "Reply", event_id=event.id, parent_id=top.id)
        services.hide_comment(event.hosts[0], top.id)
        for parent in (top, reply):
            with pytest.raises(Conflict, match="hid this thread|hid that comment"):
                services.add_comment(make_user(), "Hi", event_id=event.id, parent_id=parent.id)
        assert count(Comment) == 2

    def test_hidden_reply_takes_no_replies(self, make_user, make_event):
        event, member = make_event(), make_user()
        top = services.add_comment(member, "Top", event_id=event.id)
        reply = services.add_comment(member, "Reply", event_id=event.id, parent_id=top.id)
        services.hide_comment(event.hosts[0], reply.id)
        with pytest.raises(Conflict, match="hid that comment"):
            services.add_comment(member, "Hi", event_id=event.id, parent_id=reply.id)
        services.add_comment(member, "Still open", event_id=event.id, parent_id=top.id)

    def test_withdrawn_pitch_takes_no_comments(self, make_user, make_jam, make_pitch):
        author = make_user()
        pitch = make_pitch(make_jam(), author)
        services.withdraw_pitch(author, pitch.id)
        with pytest.raises(Conflict, match="withdrawn"):
            services.add_comment(make_user(), "Why?", pitch_id=pitch.id)

    def test_withdrawn_pitch_freezes_comment_edits_but_not_cleaning_up(
        self, make_user, make_jam, make_pitch
    ):
        jam, author, member = make_jam(), make_user(), make_user()
        pitch = make_pitch(jam, author)
        mine = services.add_comment(member, "Which data?", pitch_id=pitch.id)
        theirs = services.add_comment(author, "Common Voice", pitch_id=pitch.id)
        rude = services.add_comment(make_user(), "Rude", pitch_id=pitch.id)
        services.withdraw_pitch(author, pitch.id)
        for who, comment in ((member, mine), (author, theirs)):
            with pytest.raises(
                Conflict, match="This pitch was withdrawn: comments can no longer be edited"
            ):
                services.edit_comment(who, comment.id, "Changed")
        assert db.session.get(Comment, mine.id).body == "Which data?"
        assert db.session.get(Comment, theirs.id).edited_at is None
        services.delete_comment(member, mine.id)
        services.hide_comment(jam.hosts[0], rude.id)
        assert count(Comment) == 2 and db.session.get(Comment, rude.id).status == "hidden"
        # Comments elsewhere on the jam are still the authors' to edit.
        on_jam = services.add_comment(member, "See you", event_id=jam.id)
        services.edit_comment(member, on_jam.id, "See you there")

    def test_author_edits_own_comment(self, make_user, make_event):
        event, member = make_event(), make_user()
        comment = services.add_comment(member, "Frist", event_id=event.id)
        services.edit_comment(member, comment.id, "First, *edited*")
        db.session.expire_all()
        comment = db.session.get(Comment, comment.id)
        assert comment.body == "First, *edited*" and "<em>edited</em>" in comment.body_html
        assert comment.edited_at is not None
        with pytest.raises(ValidationFailed):
            services.edit_comment(member, comment.id, "")
        assert db.session.get(Comment, comment.id).body == "First, *edited*"

    def test_others_may_not_edit_or_delete(self, make_user, make_event):
        event, member = make_event(), make_user()
        comment = services.add_comment(member, "Mine", event_id=event.id)
        for other in (make_user(), event.hosts[0], make_user(role="admin")):
            with pytest.raises(PermissionDenied):
                services.edit_comment(other, comment.id, "Theirs")
            with pytest.raises(PermissionDenied):
                services.delete_comment(other, comment.id)
        assert db.session.get(Comment, comment.id).body == "Mine"

    def test_delete_without_replies_removes_the_comment(self, make_user, make_event):
        event, member = make_event(), make_user()
        comment = services.add_comment(member, "Oops", event_id=event.id)
        services.delete_comment(member, comment.id)
        assert count(Comment) == 0

    def test_delete_with_replies_leaves_comment_deleted(self, make_user, make_event):
        event, a, b = make_event(), make_user(), make_user()
        top = services.add_comment(a, "Top", event_id=event.id)
        reply = services.add_comment(b, "Reply", event_id=event.id, parent_id=top.id)
        services.delete_comment(a, top.id)
        db.session.expire_all()
        kept = db.session.get(Comment, top.id)
        assert kept.status == "deleted" and kept.body == "" and kept.body_html == ""
        with pytest.raises(Conflict):
            services.delete_comment(a, top.id)
        with pytest.raises(Conflict, match="deleted"):
            services.add_comment(b, "More", event_id=event.id, parent_id=top.id)
        with pytest.raises(Conflict):
            services.edit_comment(a, top.id, "Back")
        # The last reply going takes the deleted comment with it.
        services.delete_comment(b, reply.id)
        assert count(Comment) == 0

    def test_host_hides_and_author_is_told(self, make_user, make_jam, make_pitch):
        jam, member = make_jam(), make_user()
        pitch = make_pitch(jam, title="Protein SAEs")
        comment = services.add_comment(member, "Rude", pitch_id=pitch.id)
        services.hide_comment(jam.hosts[0], comment.id)
        db.session.expire_all()
        hidden = db.session.get(Comment, comment.id)
        assert hidden.status == "hidden" and hidden.hidden_by_id == jam.hosts[0].id
        notice = db.session.scalar(select(Notice).where(Notice.user_id == member.id))
        assert "A host hid your comment" in notice.body and "Protein SAEs" in notice.body
        assert notice.url == f"/pitches/{pitch.id}#comment-{comment.id}"
        with pytest.raises(Conflict, match="already hidden"):
            services.hide_comment(jam.hosts[0], comment.id)
        with pytest.raises(Conflict, match="hid this comment"):
            services.edit_comment(member, comment.id, "Sorry")
        # The moderation stays: the author cannot turn "Hidden by a host" into "deleted".
        with pytest.raises(Conflict, match="hid this comment"):
            services.delete_comment(member, comment.id)
        assert count(Comment) == 1

    def test_only_hosts_and_admins_hide(self, make_user, make_event):
        event, member = make_event(), make_user()
        comment = services.add_comment(member, "Hi", event_id=event.id)
        for other in (member, make_user(), make_user(role="host")):
            with pytest.raises(PermissionDenied):
                services.hide_comment(other, comment.id)
        services.hide_comment(make_user(role="admin"), comment.id)
        assert db.session.get(Comment, comment.id).status == "hidden"

    def test_comments_on_members_only_events_need_sign_in(self, make_user, make_event):
        event = make_event(visibility="members")
        comment = services.add_comment(make_user(), "Members only", event_id=event.id)
        with pytest.raises(SignInRequired):
            services.get_comment(None, comment.id)


# --- a cancelled or finished jam -----------------------------------------------------------


class TestCancelledOrOver:
    """A cancelled event is frozen; a jam that is over still takes follow-up on its pitches."""

    def test_cancelled_jam_takes_no_offers(self, make_user, make_jam, make_pitch):
        jam = make_jam()
        pitch = make_pitch(jam)
        events.cancel_event(jam.hosts[0], jam.id)
        with pytest.raises(Conflict, match="This jam was cancelled: offers are closed"):
            services.make_offer(make_user(), pitch.id, "Code")
        assert count(Offer) == 0

    def test_cancelled_jam_accepts_no_offers_but_members_still_leave(
        self, make_user, make_jam, make_pitch
    ):
        jam, author, helper, member = make_jam(), make_user(), make_user(), make_user()
        pitch = make_pitch(jam, author)
        pending = services.make_offer(helper, pitch.id, "Data")
        accepted = services.make_offer(member, pitch.id, "Code")
        services.accept_offer(author, accepted.id)
        events.cancel_event(jam.hosts[0], jam.id)
        with pytest.raises(Conflict, match="This jam was cancelled: offers are closed"):
            services.accept_offer(author, pending.id)
        assert db.session.get(Offer, pending.id).status == "pending"
        services.withdraw_offer(helper, pending.id)
        services.withdraw_offer(member, accepted.id)
        assert count(Offer) == 0

    def test_cancelled_event_takes_no_comments_or_replies(
        self, make_user, make_event, make_jam, make_pitch
    ):
        jam, member = make_jam(), make_user()
        pitch = make_pitch(jam)
        on_pitch = services.add_comment(member, "Which data?", pitch_id=pitch.id)
        on_jam = services.add_comment(member, "See you", event_id=jam.id)
        talk = make_event(kind="talk")
        on_talk = services.add_comment(member, "Slides?", event_id=talk.id)
        for event in (jam, talk):
            events.cancel_event(event.hosts[0], event.id)
        refused = [
            ("jam", {"pitch_id": pitch.id}),
            ("jam", {"pitch_id": pitch.id, "parent_id": on_pitch.id}),
            ("jam", {"event_id": jam.id}),
            ("jam", {"event_id": jam.id, "parent_id": on_jam.id}),
            ("event", {"event_id": talk.id}),
            ("event", {"event_id": talk.id, "parent_id": on_talk.id}),
        ]
        for noun, target in refused:
            with pytest.raises(Conflict, match=f"This {noun} was cancelled: comments are closed"):
                services.add_comment(make_user(), "Why?", **target)
        assert count(Comment) == 3

    def test_cancelled_event_freezes_comment_edits_but_not_cleaning_up(self, make_user, make_event):
        event, member = make_event(kind="talk"), make_user()
        mine = services.add_comment(member, "Mine", event_id=event.id)
        rude = services.add_comment(make_user(), "Rude", event_id=event.id)
        events.cancel_event(event.hosts[0], event.id)
        with pytest.raises(Conflict, match="cancelled: comments can no longer be edited"):
            services.edit_comment(member, mine.id, "Changed")
        assert db.session.get(Comment, mine.id).body == "Mine"
        services.hide_comment(event.hosts[0], rude.id)
        services.delete_comment(member, mine.id)
        assert db.session.get(Comment, rude.id).status == "hidden"
        assert count(Comment) == 1

    def test_cancelled_jam_freezes_pitch_edits_but_not_withdrawing(
        self, make_user, make_jam, make_pitch
    ):
        jam, author = make_jam(), make_user()
        pitch = make_pitch(jam, author)
        events.cancel_event(jam.hosts[0], jam.id)
        with pytest.raises(Conflict, match="This jam was cancelled: pitches can no longer be"):
            services.update_pitch(author, pitch.id, services.PitchInput("Renamed", "S"))
        assert db.session.get(Pitch, pitch.id).title == "Tiny recursive reasoners"
        services.withdraw_pitch(author, pitch.id)
        assert db.session.get(Pitch, pitch.id).status == "withdrawn"

    def test_a_jam_that_is_over_still_takes_follow_up(self, make_user, make_jam, make_pitch):
        jam, author, helper = make_jam(), make_user(), make_user()
        pitch = make_pitch(jam, author)
        end_now(jam)
        offer = services.make_offer(helper, pitch.id, "I have the GPUs now")
        services.accept_offer(author, offer.id)
        top = services.add_comment(helper, "Repo is up", pitch_id=pitch.id)
        services.add_comment(author, "Thanks!", pitch_id=pitch.id, parent_id=top.id)
        services.add_comment(helper, "Great day", event_id=jam.id)
        services.edit_comment(helper, top.id, "Repo is up: see the README")
        services.update_pitch(author, pitch.id, services.PitchInput("Renamed", "Results: ..."))
        assert db.session.get(Offer, offer.id).status == "accepted"
        assert count(Comment) == 3 and db.session.get(Pitch, pitch.id).title == "Renamed"
        # Only the contest ends with the jam.
        settings = services.settings_for(jam.id)
        assert "over" in services.voting_closed_reason(jam, settings)
        assert "over" in services.submissions_closed_reason(jam, settings)


# --- demo data -----------------------------------------------------------------------------


def test_seed_gives_the_upcoming_jam_pitches_votes_offers_and_comments(app):
    from mlc_events.events.models import Event
    from mlc_events.seed import seed

    seed()
    tables = (JamSettings, Pitch, PitchTag, Vote, Offer, Comment)
    first = [count(model) for model in tables]
    seed()
    assert [count(model) for model in tables] == first, "a re-run duplicates nothing"
    jam = db.session.scalar(select(Event).where(Event.uid == "seed-jam-upcoming@mlc-events"))
    settings = db.session.get(JamSettings, jam.id)
    assert settings.vote_budget == 3 and settings.voting_open
    pitches = db.session.scalars(select(Pitch).where(Pitch.event_id == jam.id)).all()
    assert 4 <= len(pitches) <= 5 and all(p.tags and p.skills for p in pitches)
    for pitch in pitches:
        assert pitch.vote_count == count(Vote, Vote.pitch_id == pitch.id)
        assert count(Vote, Vote.pitch_id == pitch.id, Vote.user_id == pitch.author_id) == 0
    for voter in db.session.scalars(select(Vote.user_id).distinct()):
        assert services.votes_used(voter, jam.id) <= 3
    assert count(Offer) >= 1 and count(Offer, Offer.status == "accepted") >= 1
    assert count(Comment) >= 3 and count(Comment, Comment.parent_id.is_not(None)) >= 1


class TestInvisibleText:
    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("title", "\u200b", "Give your pitch a title."),
            ("title", "Ada\u202e evil", "invisible control characters"),
            ("summary", "\u200b\u200d", "Say in a few lines what the idea is."),
            ("tags", "-, #", "at least one letter or digit"),
        ],
    )
    def test_invisible_or_spoofing_pitch_text_is_refused(
        self, make_user, make_jam, field, value, message
    ):
        jam = make_jam()
        data = {"title": "Fine", "summary": "Fine.", "looking_for": ["code"], "tags": "ok"}
        data[field] = value
        with pytest.raises(ValidationFailed) as info:
            services.create_pitch(make_user(), jam.id, services.PitchInput(**data))
        assert message in info.value.field_errors[field]
        assert count(Pitch) == 0

    def test_a_tag_typed_with_a_combining_accent_is_one_tag(self, make_user, make_jam):
        jam = make_jam()
        pitch = services.create_pitch(
            make_user(), jam.id,
            services.PitchInput(title="Caf\u00e9 models", summary="x", looking_for=["code"],
                                tags="cafe\u0301, caf\u00e9"),
        )  # fmt: skip
        assert pitch.tags == ["caf\u00e9"]

    def test_zero_width_comments_and_notes_are_refused(self, make_user, make_jam, make_pitch):
        pitch = make_pitch(make_jam())
        with pytest.raises(ValidationFailed, match="Write something first"):
            services.add_comment(make_user(), "\u200b", pitch_id=pitch.id)
        with pytest.raises(ValidationFailed, match="Say in one line"):
            services.make_offer(make_user(), pitch.id, "\u200b")

"""Many votes at the same moment: the budget and one vote per member per pitch hold, and the
denormalised tally matches the rows. Real threads, each with its own session, on SQLite and on
PostgreSQL where TEST_DATABASE_URL is set."""

from __future__ import annotations

from sqlalchemy import func, select

from mlc_events.auth.models import User
from mlc_events.errors import Conflict, NotFound
from mlc_events.extensions import db
from mlc_events.jams import services
from mlc_events.jams.models import JamSettings, Offer, Pitch, Vote
from tests.conftest import both_backends
from tests.events.test_concurrency import run_at_once

pytestmark = both_backends


def vote_job(user_id: int, pitch_id: int, vote: bool | None = True):
    def job():
        services.cast_vote(db.session.get(User, user_id), pitch_id, vote)

    return job


def votes(*where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Vote).where(*where))


def only_conflicts(errors: list[BaseException]) -> None:
    unexpected = [e for e in errors if not isinstance(e, Conflict)]
    assert unexpected == [], unexpected


def test_budget_of_one_holds_for_twenty_votes_at_once(
    app, make_user, make_jam, make_pitch, configure
):
    jam = make_jam()
    configure(jam, vote_budget=1)
    pitches = [make_pitch(jam).id for _ in range(20)]
    member = make_user().id
    errors = run_at_once(app, [vote_job(member, pid) for pid in pitches])
    only_conflicts(errors)
    assert len(errors) == 19
    assert all("You have used your 1 vote" in e.message for e in errors)
    assert votes(Vote.user_id == member) == 1
    counts = db.session.scalars(select(Pitch.vote_count).where(Pitch.id.in_(pitches))).all()
    assert sorted(counts) == [0] * 19 + [1]


def test_twenty_members_voting_on_one_pitch_at_once_are_all_counted(
    app, make_user, make_jam, make_pitch
):
    jam = make_jam()  # no settings row yet: the first votes create it, all at once
    pitch = make_pitch(jam).id
    members = [make_user().id for _ in range(20)]
    errors = run_at_once(app, [vote_job(uid, pitch) for uid in members])
    assert errors == []
    assert votes(Vote.pitch_id == pitch) == 20
    assert db.session.get(Pitch, pitch).vote_count == 20
    assert db.session.scalar(select(func.count()).select_from(JamSettings)) == 1


def test_same_member_double_voting_at_once_stores_one_vote(app, make_user, make_jam, make_pitch):
    pitch = make_pitch(make_jam()).id
    member = make_user().id
    errors = run_at_once(app, [vote_job(member, pitch) for _ in range(10)])
    assert errors == []
    assert votes(Vote.pitch_id == pitch) == 1
    assert db.session.get(Pitch, pitch).vote_count == 1


def test_budget_holds_while_others_vote_and_unvote(app, make_user, make_jam, make_pitch, configure):
    jam = make_jam()
    configure(jam, vote_budget=3)
    pitches = [make_pitch(jam).id for _ in range(8)]
    member, other = make_user(), make_user()
    services.cast_vote(other, pitches[0], True)
    jobs = [vote_job(member.id, pid) for pid in pitches]
    jobs += [vote_job(other.id, pitches[0], False), vote_job(other.id, pitches[1], True)]
    errors = run_at_once(app, jobs)
    only_conflicts(errors)
    assert votes(Vote.user_id == member.id) == 3
    db.session.expire_all()
    for pid in pitches:
        assert db.session.get(Pitch, pid).vote_count == votes(Vote.pitch_id == pid)


def test_same_member_offering_twice_at_once_stores_one_offer(app, make_user, make_jam, make_pitch):
    pitch = make_pitch(make_jam()).id
    member = make_user().id

    def job():
        services.make_offer(db.session.get(User, member), pitch, "I can help with the data.")

    errors = run_at_once(app, [job for _ in range(8)])
    only_conflicts(errors)
    assert len(errors) == 7
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Offer)) == 1


def test_a_reply_and_the_deletion_of_its_thread_at_once_never_lose_the_reply(
    app, make_user, make_jam, make_pitch
):
    from mlc_events.jams.models import Comment

    jam = make_jam()
    pitch_id = make_pitch(jam).id
    author, replier = make_user().id, make_user().id
    for _ in range(5):
        top = services.add_comment(db.session.get(User, author), "Top", pitch_id=pitch_id).id
        accepted: list[int] = []

        def reply(top=top, accepted=accepted):
            comment = services.add_comment(
                db.session.get(User, replier), "Reply", pitch_id=pitch_id, parent_id=top
            )
            accepted.append(comment.id)

        def delete(top=top):
            services.delete_comment(db.session.get(User, author), top)

        errors = run_at_once(app, [reply, delete])
        # A reply to a thread deleted first is refused (404 or 409), never an error.
        assert all(isinstance(e, Conflict | NotFound) for e in errors), errors
        db.session.expire_all()
        for reply_id in accepted:
            # An accepted reply is still there, under a top comment shown as deleted.
            assert db.session.get(Comment, reply_id) is not None
            assert db.session.get(Comment, top).status == "deleted"
        if not accepted:
            assert db.session.get(Comment, top) is None

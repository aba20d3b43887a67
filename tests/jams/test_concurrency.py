"""Many votes at the same moment: the budget and one vote per member per pitch hold, and the
denormalised tally matches the rows; nothing lands on a jam after its cancel committed. Real
threads, each with its own session, on SQLite and on PostgreSQL where TEST_DATABASE_URL is set."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from mlc_events.auth.models import User
from mlc_events.errors import Conflict, NotFound
from mlc_events.events import services as events
from mlc_events.events.models import Event
from mlc_events.extensions import db
from mlc_events.jams import services
from mlc_events.jams.models import Comment, JamSettings, Offer, Pitch, Vote
from mlc_events.sessions import services as sessions
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


# --- a cancel racing a write -----------------------------------------------------------------
# A cancelled jam is frozen. A write checks that before it writes; a cancel that commits in
# between must not let the write land after it. The tests hold the write right after its first
# check (or the cancel right after it locked the event) and let the other one go.

PAUSE = 1.0  # s: how long the held thread waits for the other (SQLite: the other is blocked)


def _hold_after_first_call(monkeypatch, name: str, reached, resume) -> None:
    """Make ``services.<name>`` pause once, after its first call, until ``resume`` is set."""
    real = getattr(services, name)
    calls: list[int] = []

    def held(*args, **kwargs):
        result = real(*args, **kwargs)
        if not calls:
            calls.append(1)
            reached.set()
            resume.wait(timeout=PAUSE)
        return result

    monkeypatch.setattr(services, name, held)


@pytest.fixture
def scene(make_user, make_jam, make_pitch):
    """A jam (with a running live session), a pitch, its author and a helper with an offer and a
    comment on it; what each write does, the reason it checks first and when it landed."""
    jam = make_jam()
    author, helper, member = make_user(), make_user(), make_user()
    pitch = make_pitch(jam, author)
    offer = services.make_offer(helper, pitch.id, "Data")
    comment = services.add_comment(helper, "Early", pitch_id=pitch.id)
    sessions.start(jam.hosts[0], jam.id)
    ids = {"jam": jam.id, "host": jam.hosts[0].id, "pitch": pitch.id, "offer": offer.id}
    ids |= {"author": author.id, "member": member.id, "helper": helper.id, "comment": comment.id}

    def user(key: str) -> User:
        return db.session.get(User, ids[key])

    def offer_of(user_key: str) -> Offer | None:
        return db.session.scalar(select(Offer).where(Offer.user_id == ids[user_key]))

    def late_comment() -> Comment | None:
        return db.session.scalar(select(Comment).where(Comment.body == "Late"))

    writes = {
        "offer": (
            "offers_closed_reason",
            lambda: services.make_offer(user("member"), ids["pitch"], "Code"),
            lambda: getattr(offer_of("member"), "created_at", None),
        ),
        "accept": (
            "offers_closed_reason",
            lambda: services.accept_offer(user("author"), ids["offer"]),
            lambda: offer_of("helper").accepted_at,
        ),
        "comment": (
            "comments_closed_reason",
            lambda: services.add_comment(user("member"), "Late", pitch_id=ids["pitch"]),
            lambda: getattr(late_comment(), "created_at", None),
        ),
        "comment edit": (
            "comment_edits_closed_reason",
            lambda: services.edit_comment(user("helper"), ids["comment"], "Late"),
            lambda: db.session.get(Comment, ids["comment"]).edited_at,
        ),
        "pitch edit": (
            "pitch_edits_closed_reason",
            lambda: services.update_pitch(
                user("author"), ids["pitch"], services.PitchInput("Late", "Renamed late.")
            ),
            lambda: (lambda p: p.updated_at if p.title == "Late" else None)(
                db.session.get(Pitch, ids["pitch"])
            ),
        ),
        "pitch": (
            "submissions_closed_reason",
            lambda: services.create_pitch(
                user("member"), ids["jam"], services.PitchInput("Late", "Pitched late.")
            ),
            lambda: db.session.scalar(select(Pitch.created_at).where(Pitch.title == "Late")),
        ),
        "question": (
            "comments_closed_reason",
            lambda: sessions.ask(user("member"), ids["jam"], "Late"),
            lambda: getattr(late_comment(), "created_at", None),
        ),
    }
    return ids, writes


def _cancel(ids: dict) -> None:
    events.cancel_event(db.session.get(User, ids["host"]), ids["jam"])


def _landed_after_the_cancel(ids: dict, landed) -> tuple[bool, object]:
    db.session.expire_all()
    jam = db.session.get(Event, ids["jam"])
    assert jam.is_cancelled
    when = landed()
    return when is not None and when >= jam.cancelled_at, when


def _cancel_after_the_first(app, monkeypatch, ids: dict, name: str, write) -> list:
    """Run ``write`` and a cancel at once: the write pauses after its first call of
    ``services.<name>`` until the cancel committed (or for PAUSE, if it cannot commit
    meanwhile). Returns the errors, all of them conflicts."""
    reached, cancelled = threading.Event(), threading.Event()
    _hold_after_first_call(monkeypatch, name, reached, cancelled)

    def cancel():
        assert reached.wait(timeout=10), f"the write never called {name}"
        _cancel(ids)
        cancelled.set()

    errors = run_at_once(app, [write, cancel])
    only_conflicts(errors)
    return errors


WRITES = ["offer", "accept", "comment", "comment edit", "pitch edit", "pitch", "question"]


@pytest.mark.parametrize("kind", WRITES)
def test_a_write_that_checked_before_a_cancel_never_lands_after_it(
    app, backend, monkeypatch, scene, kind
):
    ids, writes = scene
    reason, write, landed = writes[kind]
    errors = _cancel_after_the_first(app, monkeypatch, ids, reason, write)
    late, when = _landed_after_the_cancel(ids, landed)
    assert not late, f"the {kind} landed after the cancel committed"
    if backend == "postgresql":  # the cancel committed first: the write saw it, under the lock
        assert when is None and len(errors) == 1 and "was cancelled" in errors[0].message
    else:  # SQLite: the write held the database since its first read; the cancel waited
        assert when is not None and errors == []


@pytest.mark.parametrize("kind", ["offer", "comment"])
def test_a_write_during_a_cancel_waits_for_it_and_is_refused(app, monkeypatch, scene, kind):
    ids, writes = scene
    reason, write, landed = writes[kind]
    checked, go_on = threading.Event(), threading.Event()
    go_on.set()  # the write does not stop after its check
    _hold_after_first_call(monkeypatch, reason, checked, go_on)
    locked, real_lock = threading.Event(), events._lock_event

    def lock_then_wait(event_id: int):
        event = real_lock(event_id)
        locked.set()
        # PostgreSQL: the write checks the jam (not cancelled yet) while the cancel holds its
        # row, and goes on to write. SQLite: the write waits for the database meanwhile.
        checked.wait(timeout=PAUSE)
        time.sleep(0.3)
        return event

    monkeypatch.setattr(events, "_lock_event", lock_then_wait)

    def write_during_the_cancel():
        assert locked.wait(timeout=10), "the cancel never locked the event"
        write()

    errors = run_at_once(app, [write_during_the_cancel, lambda: _cancel(ids)])
    only_conflicts(errors)
    assert len(errors) == 1 and "was cancelled" in errors[0].message
    db.session.expire_all()
    assert db.session.get(Event, ids["jam"]).is_cancelled
    assert landed() is None, f"the {kind} landed on the cancelled jam"


def test_a_vote_that_read_the_jam_before_a_cancel_never_lands_after_it(
    app, backend, monkeypatch, scene
):
    """A vote reads the jam, then locks its settings: the cancel closes voting on that row, so
    the vote, let through once the cancel committed, finds voting closed."""
    ids, _ = scene

    def vote():
        services.cast_vote(db.session.get(User, ids["member"]), ids["pitch"], True)

    errors = _cancel_after_the_first(app, monkeypatch, ids, "get_pitch", vote)
    late, when = _landed_after_the_cancel(
        ids,
        lambda: db.session.scalar(select(Vote.created_at).where(Vote.user_id == ids["member"])),
    )
    assert not late, "the vote landed after the cancel committed"
    if backend == "postgresql":
        assert when is None and len(errors) == 1 and "closed" in errors[0].message
    else:  # SQLite: the vote held the database since its first read; the cancel waited
        assert when is not None and errors == []


def test_a_first_vote_and_a_cancel_at_once_do_not_deadlock(app, monkeypatch, make_jam, make_user):
    """Neither has created the jam's settings row yet: both create it (which checks the
    event's row). The cancel takes the settings row before the event's, as votes do."""
    jam = make_jam()
    author, member = make_user(), make_user()
    pitch_id = services.create_pitch(author, jam.id, services.PitchInput("Idea", "Try it.")).id
    ids = {"jam": jam.id, "host": jam.hosts[0].id, "member": member.id}
    assert db.session.get(JamSettings, jam.id) is None
    locked, real_lock = threading.Event(), events._lock_event

    def lock_then_wait(event_id: int):
        event = real_lock(event_id)
        locked.set()
        time.sleep(0.5)  # the vote starts meanwhile
        return event

    monkeypatch.setattr(events, "_lock_event", lock_then_wait)

    def vote():
        assert locked.wait(timeout=10), "the cancel never locked the event"
        services.cast_vote(db.session.get(User, ids["member"]), pitch_id, True)

    errors = run_at_once(app, [vote, lambda: _cancel(ids)])
    only_conflicts(errors)  # a deadlock would be a database error here
    db.session.expire_all()
    assert db.session.get(Event, jam.id).is_cancelled
    # PostgreSQL: the vote read the jam before the cancel ("Voting is closed for this jam.");
    # SQLite: after it, once the cancel let go of the database ("This jam was cancelled: …").
    assert len(errors) == 1 and "closed" in errors[0].message
    assert db.session.scalar(select(func.count()).select_from(Vote)) == 0

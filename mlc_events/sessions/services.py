"""Running a jam live: a state machine over one ``JamSession`` row per jam.

    ready --start--> running --end--> ended

While running: next / previous / skip move through the pitch queue; the pitches still to come
can be reordered (up, down, dropped at a place, shuffled); a per-pitch timer is set, started,
paused, resumed and extended, its end decided here so every screen counts down to the same
moment; voting opens for the whole jam or only the pitch being presented, and closes.

Every action names the version of the state it was made against (``expected``); an action
against an older state (another host got there first) is refused with a Conflict, so a
"next" clicked twice by two co-hosts moves one pitch, not two.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from ..database import lock_or_create, utcnow
from ..errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ..events.models import Event
from ..extensions import db
from ..jams import live as jam_live
from ..jams import services as jams
from ..jams.models import Comment, Pitch, QuestionVote
from ..markdown import render_markdown
from . import live
from .models import DEFAULT_TIMER, VOTING, JamSession, SessionResult

MIN_MINUTES, MAX_MINUTES = 1, 30
MAX_SECONDS = 3600  # what "add a minute" can reach

STALE = "Another host changed the session a moment ago: here is where it is now. Try again."


# A jam's session before anyone starts it.
FRESH = {
    "phase": "ready",
    "queue": "",
    "timer_seconds": DEFAULT_TIMER,
    "voting": "off",
    "version": 0,
}


def session_for(event_id: int) -> JamSession:
    """The jam's session, or a fresh one (not added) if nobody started it yet."""
    return db.session.get(JamSession, event_id) or JamSession(event_id=event_id, **FRESH)


def _lock_session(event_id: int) -> JamSession:
    """Lock the session row (creating it first): hosts' actions on one jam run one at a time."""
    return lock_or_create(JamSession, {"event_id": event_id}, {**FRESH, "updated_at": utcnow()})


def queue(session: JamSession) -> list[Pitch]:
    """The active pitches in presenting order: the session's order first, newer pitches after."""
    pitches = list(
        db.session.scalars(
            select(Pitch)
            .where(Pitch.event_id == session.event_id, Pitch.status == "active")
            .order_by(Pitch.created_at, Pitch.id)
        )
    )
    place = {pitch_id: n for n, pitch_id in enumerate(session.order)}
    return sorted(pitches, key=lambda p: place.get(p.id, len(place)))


def current_pitch(session: JamSession) -> Pitch | None:
    if session.current_pitch_id is None:
        return None
    pitch = db.session.get(Pitch, session.current_pitch_id)
    return pitch if pitch is not None and not pitch.is_withdrawn else None


def stage(event_id: int) -> dict:
    """What the stage shows (sessions/_stage.html): the same for every viewer."""
    session = session_for(event_id)
    pitches = queue(session)
    pitch = current_pitch(session)
    ids = [p.id for p in pitches]
    return {
        "event_id": event_id,
        "session": session,
        "pitch": pitch,
        "position": ids.index(pitch.id) + 1 if pitch is not None and pitch.id in ids else None,
        "total": len(pitches),
        "now": utcnow(),
        "cancelled": db.session.scalar(select(Event.status).where(Event.id == event_id))
        == "cancelled",
    }


def tally_chart(event_id: int) -> dict:
    """The jam's live tallies for the projector's chart: most votes first."""
    settings = jams.settings_for(event_id)
    rows = list(
        db.session.execute(
            select(Pitch.title, Pitch.vote_count)
            .where(Pitch.event_id == event_id, Pitch.status == "active")
            .order_by(Pitch.vote_count.desc(), Pitch.created_at, Pitch.id)
        )
    )
    return {
        "event_id": event_id,
        "version": settings.version or 0,
        "visible": settings.tallies_visible,
        "rows": rows,
        "top": max((votes for _, votes in rows), default=0) or 1,
    }


def _begin(
    actor, event_id: int, expected: int | None, ending: bool = False
) -> tuple[Event, JamSession, list[Pitch]]:
    """Check the actor hosts the jam, lock the session, refuse a stale action.

    :raises PermissionDenied: not a host of the jam.
    :raises Conflict: the jam was cancelled (only ending is left), or the session changed
        since ``expected``.
    """
    event = jams.get_managed_jam(actor, event_id)
    if event.is_cancelled and not ending:
        raise Conflict("This jam was cancelled: the only thing left to do is end the session.")
    session = _lock_session(event.id)
    if expected is not None and expected != session.version:
        db.session.rollback()
        raise Conflict(STALE)
    return event, session, queue(session)


def _require_running(session: JamSession) -> None:
    if session.phase == "ready":
        raise Conflict("Start the session first.")
    if session.phase == "ended":
        raise Conflict("The session has ended.")


def _save(event: Event, session: JamSession, pitches: list[Pitch]) -> JamSession:
    ids = [p.id for p in pitches]
    current = session.current_pitch_id
    if current is not None and current not in ids and current in session.order:
        ids.insert(_done(session, pitches), current)  # withdrawn on stage: it keeps its place
    session.order = ids
    session.version += 1
    session.updated_at = utcnow()
    db.session.commit()
    live.publish_session(event.id)
    return session


def _stop_timer(session: JamSession) -> None:
    session.timer_ends_at = None
    session.timer_left = None


def _present(session: JamSession, pitch: Pitch | None) -> None:
    session.current_pitch_id = pitch.id if pitch else None
    _stop_timer(session)


def _done(session: JamSession, pitches: list[Pitch]) -> int:
    """How many of the queue's pitches come before the next one to present: those presented
    so far and the one on stage. A pitch withdrawn while on stage keeps its place."""
    current = session.current_pitch_id
    if not session.is_running or current is None:
        return 0
    ids = [p.id for p in pitches]
    if current in ids:
        return ids.index(current) + 1
    order = session.order
    if current not in order:
        return 0
    place = {pitch_id: n for n, pitch_id in enumerate(order)}
    return sum(1 for pitch_id in ids if place.get(pitch_id, len(order)) < place[current])


def _on_stage(session: JamSession) -> Pitch:
    pitch = current_pitch(session)
    if pitch is None:
        raise Conflict("No pitch is being presented (it may have been withdrawn): go to the next.")
    return pitch


def _set_voting(event: Event, session: JamSession, scope: str) -> None:
    settings = jams._lock_settings(event.id)
    closing = session.voting != "off" and scope == "off"
    settings.voting_open = scope != "off"
    settings.version += 1
    session.voting = scope
    if closing:
        _freeze_results(session, settings)


def follow_rules(event_id: int, settings) -> bool:
    """The jam's settings changed voting (the settings form): a running session follows, so
    there is one answer to "may I vote?". Call inside the settings' transaction; return
    whether the session changed (the caller publishes it after the commit)."""
    session = db.session.get(JamSession, event_id)
    if session is None or not session.is_running:
        return False
    if not settings.voting_open:
        scope = "off"
    elif session.voting == "off":
        scope = "all"
    else:
        scope = session.voting  # already open (for all, or for the pitch on stage)
    if scope == session.voting:
        return False
    if scope == "off":
        _freeze_results(session, settings)
    session.voting = scope
    session.version += 1
    session.updated_at = utcnow()
    return True


def _freeze_results(session: JamSession, settings) -> None:
    """Closing a voting round freezes every pitch's votes as the results (votes taken later, if
    voting opens again, count only when that round closes)."""
    db.session.execute(delete(SessionResult).where(SessionResult.event_id == session.event_id))
    pitches = sorted(queue(session), key=lambda p: -p.vote_count)
    rank, previous = 0, None
    for n, pitch in enumerate(pitches, start=1):
        if pitch.vote_count != previous:
            rank, previous = n, pitch.vote_count
        db.session.add(
            SessionResult(
                event_id=session.event_id, pitch_id=pitch.id, votes=pitch.vote_count, rank=rank
            )
        )
    session.results_at = utcnow()
    session.revealed = False  # a new round's results wait for their own reveal


# --- the session ----------------------------------------------------------------------------


def start(actor, event_id: int, expected: int | None = None) -> JamSession:
    """Start presenting: the first pitch in the queue is on.

    :raises Conflict: already running or ended, or no pitches yet.
    """
    event, session, pitches = _begin(actor, event_id, expected)
    if session.phase == "running":
        raise Conflict("The session is already running.")
    if session.phase == "ended":
        raise Conflict("The session has ended.")
    if not pitches:
        raise Conflict("There are no pitches to present yet.")
    session.phase = "running"
    session.started_at = utcnow()
    # Voting stays as the jam had it (open for every pitch, or closed) until the host says.
    session.voting = "all" if jams.settings_for(event.id).voting_open else "off"
    _present(session, pitches[0])
    return _save(event, session, pitches)


def step(actor, event_id: int, by: int, expected: int | None = None) -> JamSession:
    """Go to the next (``by=1``) or previous (``by=-1``) pitch.

    :raises Conflict: not running, or already at the last (first) pitch.
    """
    event, session, pitches = _begin(actor, event_id, expected)
    _require_running(session)
    done = _done(session, pitches)
    on_stage = session.current_pitch_id in [p.id for p in pitches]
    target = done if by > 0 else done - (2 if on_stage else 1)
    if target >= len(pitches):
        raise Conflict("This is the last pitch: end the session, or go back.")
    if target < 0:
        raise Conflict("This is the first pitch.")
    _present(session, pitches[target])
    return _save(event, session, pitches)


def skip(actor, event_id: int, expected: int | None = None) -> JamSession:
    """Put the pitch being presented at the end of the queue and go on to the next one.

    :raises Conflict: not running, or no other pitch to go to.
    """
    event, session, pitches = _begin(actor, event_id, expected)
    _require_running(session)
    _on_stage(session)
    at = _done(session, pitches) - 1
    if at == len(pitches) - 1:
        raise Conflict("There is no pitch after this one to skip to.")
    skipped = pitches.pop(at)
    pitches.append(skipped)
    _present(session, pitches[at])
    return _save(event, session, pitches)


def first_to_come(session: JamSession, pitches: list[Pitch]) -> int:
    """Where the pitches still to come start in the queue: only those from there on move."""
    return _done(session, pitches)


def _in_queue(session: JamSession, pitches: list[Pitch], pitch_id: int) -> int:
    """Where a pitch the host wants to move is in the queue.

    :raises Conflict: the session ended, or the pitch is not in the queue.
    """
    if session.phase == "ended":
        raise Conflict("The session has ended.")
    ids = [p.id for p in pitches]
    if pitch_id not in ids:
        raise Conflict("That pitch is not in the queue (it may have been withdrawn).")
    return ids.index(pitch_id)


def _reorder(session: JamSession, pitches: list[Pitch], at: int, to: int) -> None:
    """Move the pitch at ``at`` to ``to`` (0-based) in ``pitches``, among those still to come.

    :raises Conflict: ``to`` is outside the queue, either place is among the pitches presented
        so far, or the pitch is already there.
    """
    if not 0 <= to < len(pitches):
        raise Conflict(f"There is no place {to + 1} in a queue of {len(pitches)}.")
    done = _done(session, pitches)
    if at < done or to < done:
        # A pitch moved above the one on stage would never come up with "next"; one moved
        # below it would come up twice.
        raise Conflict("Pitches presented so far keep their places: reorder the ones to come.")
    if at == to:
        raise Conflict("That pitch is already there.")
    pitches.insert(to, pitches.pop(at))


def move(actor, event_id: int, pitch_id: int, by: int, expected: int | None = None) -> JamSession:
    """Move a pitch still to come up (``by=-1``) or down (``by=1``) the queue.

    :raises Conflict: the session ended, the pitch is not in the queue, already at that end,
        or among (or next to) the pitches presented so far.
    """
    event, session, pitches = _begin(actor, event_id, expected)
    at = _in_queue(session, pitches, pitch_id)
    if not 0 <= at + by < len(pitches):
        raise Conflict("That pitch is already at the " + ("top." if by < 0 else "bottom."))
    _reorder(session, pitches, at, at + by)
    return _save(event, session, pitches)


def place(
    actor, event_id: int, pitch_id: int, position: int, expected: int | None = None
) -> JamSession:
    """Move a pitch still to come to ``position`` (0-based) in the queue, e.g. dropped there.

    :raises Conflict: the session ended, the pitch is not in the queue, the position is
        outside the queue or among the pitches presented so far, or the pitch is already there.
    """
    event, session, pitches = _begin(actor, event_id, expected)
    _reorder(session, pitches, _in_queue(session, pitches, pitch_id), position)
    return _save(event, session, pitches)


def shuffle(actor, event_id: int, expected: int | None = None, rng=random) -> JamSession:
    """Shuffle the pitches still to come (those presented so far keep their places).

    :raises Conflict: the session ended, or fewer than two pitches are still to come.
    """
    event, session, pitches = _begin(actor, event_id, expected)
    if session.phase == "ended":
        raise Conflict("The session has ended.")
    done = _done(session, pitches)
    to_come = pitches[done:]
    if len(to_come) < 2:
        raise Conflict("There are not enough pitches still to come to shuffle.")
    rng.shuffle(to_come)
    return _save(event, session, pitches[:done] + to_come)


def end(actor, event_id: int, expected: int | None = None) -> JamSession:
    """End the session: no pitch on, timer stopped, voting closed.

    :raises Conflict: not running.
    """
    event, session, pitches = _begin(actor, event_id, expected, ending=True)
    _require_running(session)
    session.phase = "ended"
    session.ended_at = utcnow()
    _present(session, None)
    _set_voting(event, session, "off")
    return _save(event, session, pitches)


# --- the timer ------------------------------------------------------------------------------


def set_timer(actor, event_id: int, minutes, expected: int | None = None) -> JamSession:
    """Set each pitch's time, in whole minutes; a running timer keeps its end.

    :raises ValidationFailed: not a whole number of minutes between 1 and 30.
    """
    raw = str(minutes).strip()
    value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 4 else None
    if value is None or not MIN_MINUTES <= value <= MAX_MINUTES:
        raise ValidationFailed(
            "Please check the pitch time.",
            {"minutes": f"Enter whole minutes from {MIN_MINUTES} to {MAX_MINUTES}."},
        )
    event, session, pitches = _begin(actor, event_id, expected)
    if session.phase == "ended":
        raise Conflict("The session has ended.")
    session.timer_seconds = value * 60  # the next pitch's; a running or paused timer goes on
    return _save(event, session, pitches)


def start_timer(actor, event_id: int, expected: int | None = None) -> JamSession:
    """Start (or resume) the timer of the pitch being presented.

    :raises Conflict: not running, no pitch on, or the timer is already running.
    """
    event, session, pitches = _begin(actor, event_id, expected)
    _require_running(session)
    _on_stage(session)
    if session.timer_running:
        raise Conflict("The timer is already running.")
    left = session.timer_left if session.timer_left is not None else session.timer_seconds
    session.timer_ends_at = utcnow() + timedelta(seconds=left)
    session.timer_left = None
    return _save(event, session, pitches)


def pause_timer(actor, event_id: int, expected: int | None = None) -> JamSession:
    """Pause the timer; it keeps the seconds left.

    :raises Conflict: the timer is not running.
    """
    event, session, pitches = _begin(actor, event_id, expected)
    _require_running(session)
    if not session.timer_running:
        raise Conflict("The timer is not running.")
    session.timer_left = session.seconds_left(utcnow())
    session.timer_ends_at = None
    return _save(event, session, pitches)


def add_minute(actor, event_id: int, expected: int | None = None) -> JamSession:
    """Give the pitch being presented one more minute (running, paused or not started).

    :raises Conflict: not running, or the time would pass an hour.
    """
    event, session, pitches = _begin(actor, event_id, expected)
    _require_running(session)
    now = utcnow()
    if session.seconds_left(now) + 60 > MAX_SECONDS:
        raise Conflict("A pitch gets at most an hour.")
    if session.timer_running:
        session.timer_ends_at = max(session.timer_ends_at, now) + timedelta(seconds=60)
    else:
        session.timer_left = session.seconds_left(now) + 60
    return _save(event, session, pitches)


# --- voting ---------------------------------------------------------------------------------


def set_voting(actor, event_id: int, scope: str, expected: int | None = None) -> JamSession:
    """Open voting for the whole jam (``all``) or only the pitch being presented
    (``current``), or close it (``off``).

    :raises ValidationFailed: an unknown scope.
    :raises Conflict: not running, or ``current`` with no pitch on.
    """
    if scope not in VOTING:
        raise ValidationFailed("Open voting for all pitches or the current one, or close it.")
    event, session, pitches = _begin(actor, event_id, expected)
    _require_running(session)
    if scope == "current":
        _on_stage(session)
    _set_voting(event, session, scope)
    return _save(event, session, pitches)


# --- results --------------------------------------------------------------------------------


def reveal(actor, event_id: int, expected: int | None = None) -> JamSession:
    """Show everyone the results the last voting round froze (and the jam's tallies).

    :raises Conflict: no voting round has closed yet, or already revealed.
    """
    event, session, pitches = _begin(actor, event_id, expected)
    if session.results_at is None:
        raise Conflict("Close a voting round first: the results are what it froze.")
    if session.revealed:
        raise Conflict("The results are already revealed.")
    session.revealed = True
    settings = jams._lock_settings(event.id)
    settings.tallies_visible = True
    settings.version += 1
    _save(event, session, pitches)
    # Open boards and pitch pages show the tallies now too.
    jam_live.publish_tallies(event.id, pitches)
    jam_live.announce_rules(event.id)
    return session


@dataclass
class ResultRow:
    rank: int
    pitch: Pitch
    votes: int
    share: float  # of the most votes, 0..1: the bar's length


@dataclass
class Results:
    rows: list[ResultRow]
    taken_at: datetime
    revealed: bool


def results(viewer, event_id: int) -> Results | None:
    """The frozen results: for everyone once revealed, for the jam's hosts before; else None.

    :raises NotFound: not a jam. :raises SignInRequired: members-only and signed out.
    """
    event = jams.get_jam(viewer, event_id)
    session = db.session.get(JamSession, event.id)
    if session is None or session.results_at is None:
        return None
    if not session.revealed and not jams.can_manage(viewer, event):
        return None
    frozen = db.session.execute(
        select(SessionResult, Pitch)
        .join(Pitch, Pitch.id == SessionResult.pitch_id)
        .where(SessionResult.event_id == event.id, Pitch.status == "active")
        .order_by(SessionResult.rank, Pitch.created_at, Pitch.id)
    ).all()
    top = max((result.votes for result, _ in frozen), default=0) or 1
    rows = [ResultRow(r.rank, pitch, r.votes, r.votes / top) for r, pitch in frozen]
    return Results(rows=rows, taken_at=session.results_at, revealed=session.revealed)


def _cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def results_csv(actor, event_id: int) -> str:
    """The frozen results as CSV, for the jam's hosts.

    :raises PermissionDenied: not a host of the jam.
    :raises Conflict: no voting round has closed yet.
    """
    event = jams.get_managed_jam(actor, event_id)
    frozen = results(actor, event.id)
    if frozen is None:
        raise Conflict("Close a voting round first: the results are what it froze.")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["rank", "pitch", "author", "votes", "frozen_at_utc"])
    for row in frozen.rows:
        writer.writerow(
            [
                row.rank,
                _cell(row.pitch.title),
                _cell(row.pitch.author.display_name),
                row.votes,
                frozen.taken_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            ]
        )
    return out.getvalue()


# --- questions ------------------------------------------------------------------------------
# A question is a comment on the pitch being presented (is_question): members upvote each
# other's, hosts mark one answered or hide it (jams.hide_comment). After the session they stay
# on the pitch as its comments. Questions stay open while voting is closed.

TOP_QUESTIONS = 5


def questions(pitch_id: int | None) -> list[Comment]:
    """A pitch's visible questions: open ones by upvotes (then oldest first), answered last."""
    if pitch_id is None:
        return []
    return list(
        db.session.scalars(
            select(Comment)
            .where(
                Comment.pitch_id == pitch_id,
                Comment.is_question.is_(True),
                Comment.status == "visible",
            )
            .order_by(Comment.answered_at.is_not(None), Comment.upvotes.desc(), Comment.created_at)
        )
    )


def my_upvotes(actor, pitch_id: int | None) -> set[int] | None:
    """The questions on this pitch the actor upvoted; None for a visitor who is not signed in."""
    if not getattr(actor, "is_authenticated", False):
        return None
    if pitch_id is None:
        return set()
    return set(
        db.session.scalars(
            select(QuestionVote.comment_id)
            .join(Comment, Comment.id == QuestionVote.comment_id)
            .where(Comment.pitch_id == pitch_id, QuestionVote.user_id == actor.id)
        )
    )


def ask(actor, event_id: int, body: str) -> Comment:
    """Ask the presenter a question about the pitch being presented.

    :raises ValidationFailed: an empty or huge question.
    :raises Conflict: no pitch is being presented (not started, between pitches, ended).
    """
    jams._require_member(actor, "Sign in to ask a question.")
    event = jams.get_jam(actor, event_id)
    closed = jams.comments_closed_reason(event)
    if closed:
        raise Conflict(closed)
    session = session_for(event.id)
    if session.phase == "ended":
        raise Conflict("The session has ended: questions are closed. Comment on the pitch instead.")
    pitch = current_pitch(session) if session.is_running else None
    if pitch is None:
        raise Conflict("Questions open while a pitch is being presented.")
    body = jams.clean_body(body)
    jams._recheck_frozen(event, jams.comments_closed_reason)
    question = Comment(
        event_id=event.id,
        pitch_id=pitch.id,
        author_id=actor.id,
        body=body,
        body_html=render_markdown(body),
        is_question=True,
    )
    db.session.add(question)
    db.session.commit()
    live.publish_questions(event.id, pitch.id)
    return question


def _question(viewer, comment_id: int) -> Comment:
    comment = jams.get_comment(viewer, comment_id)
    if not comment.is_question:
        raise NotFound("There is no such question.")
    return comment


def upvote(actor, comment_id: int) -> bool:
    """Toggle the actor's upvote on a question; return whether it is on.

    :raises PermissionDenied: one's own question.
    :raises Conflict: a hidden or deleted question, or the session has ended.
    """
    jams._require_member(actor, "Sign in to upvote questions.")
    question = _question(actor, comment_id)
    if question.author_id == actor.id:
        raise PermissionDenied("You can't upvote your own question.")
    if not question.is_visible:
        raise Conflict("This question was removed.")
    closed = jams.comments_closed_reason(jams.get_jam(actor, question.event_id))
    if closed:
        raise Conflict(closed)
    if session_for(question.event_id).phase == "ended":
        raise Conflict("The session has ended: questions are closed.")
    question = jams._lock_comment(question.id)
    mine = db.session.get(QuestionVote, (question.id, actor.id))
    if mine is None:
        db.session.add(QuestionVote(comment_id=question.id, user_id=actor.id))
    else:
        db.session.delete(mine)
    db.session.flush()
    question.upvotes = db.session.scalar(
        select(func.count()).select_from(QuestionVote).where(QuestionVote.comment_id == question.id)
    )
    try:
        db.session.commit()
    except IntegrityError:  # the same member's double click, twice at once
        db.session.rollback()
        return True
    live.publish_questions(question.event_id, question.pitch_id)
    return mine is None


def mark_answered(actor, comment_id: int, answered: bool = True) -> Comment:
    """Mark a question answered (or open again): the jam's hosts only.

    :raises PermissionDenied: not a host of the jam.
    """
    question = _question(actor, comment_id)
    event = jams.get_managed_jam(actor, question.event_id)
    question = jams._lock_comment(question.id)
    question.answered_at = utcnow() if answered else None
    db.session.commit()
    live.publish_questions(event.id, question.pitch_id)
    return question


def hide_question(actor, comment_id: int) -> Comment:
    """Hide a question (the jam's hosts; its author is told, as for any comment)."""
    question = _question(actor, comment_id)
    jams.hide_comment(actor, question.id)
    live.publish_questions(question.event_id, question.pitch_id)
    return question

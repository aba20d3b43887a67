"""Research jams: settings, pitches, votes, collaboration offers and comments.

Every function checks who may do it and whether the jam's state allows it, validates, writes
and commits once; a refusal raises before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from ..auth.models import User
from ..database import lock_or_create, utcnow
from ..errors import Conflict, NotFound, PermissionDenied, SignInRequired, ValidationFailed
from ..events.models import Event
from ..events.services import can_manage, get_visible_event
from ..extensions import db
from ..markdown import render_markdown
from ..notices.services import notify
from ..sessions.models import JamSession
from ..text import CONTROL, CONTROL_MULTILINE, is_blank, normalise
from ..web import path_for
from . import live
from .models import SKILLS, Comment, JamSettings, Offer, Pitch, PitchTag, Vote

JAM_KIND = "research-jam"
MAX_TITLE = 120
MAX_SUMMARY = 5_000
MAX_TAGS = 8
MAX_TAG_LENGTH = 24
MAX_NOTE = 200
MAX_COMMENT = 5_000
MAX_BUDGET = 1_000
SORTS = ("newest", "votes")
_TAG_CHARS = re.compile(r"^[\w .+#-]+$")


def _signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def _require_member(user, message: str) -> None:
    if not _signed_in(user):
        raise SignInRequired(message)


def tally_text(count: int) -> str:
    """How a visible tally reads: "1 vote", "N votes"."""
    return f"{count} vote" + ("" if count == 1 else "s")


# --- the jam and its settings --------------------------------------------------------------


@dataclass
class SettingsInput:
    """A change of settings; None leaves that setting as it is."""

    submissions_open: bool | None = None
    voting_open: bool | None = None
    tallies_visible: bool | None = None
    change_budget: bool = False
    vote_budget: int | None = None


def get_jam(viewer, event_id: int) -> Event:
    """Return the research jam if the viewer may see it; other kinds of event have no board.

    :raises NotFound: no such event, or not a research jam.
    :raises SignInRequired: a members-only jam and an anonymous viewer.
    """
    event = get_visible_event(viewer, event_id)
    if event.kind != JAM_KIND:
        raise NotFound("This event is not a research jam: it has no pitch board.")
    return event


def settings_for(event_id: int) -> JamSettings:
    """The jam's settings, or the defaults when nobody has changed them yet."""
    return db.session.get(JamSettings, event_id) or JamSettings.defaults(event_id)


def _lock_settings(event_id: int) -> JamSettings:
    """Lock the jam's settings row, creating it first if needed.

    PostgreSQL: the row lock serialises every vote of the jam, which is what keeps the budget
    under concurrent requests. SQLite: write transactions are already serialised.
    """
    defaults = JamSettings.defaults(event_id)
    return lock_or_create(
        JamSettings,
        {"event_id": event_id},
        {
            "submissions_open": defaults.submissions_open,
            "voting_open": defaults.voting_open,
            "vote_budget": None,
            "tallies_visible": defaults.tallies_visible,
            "updated_at": utcnow(),
        },
    )


def update_settings(actor, event_id: int, data: SettingsInput) -> JamSettings:
    """Change the jam's rules (its hosts and admins only).

    :raises PermissionDenied: not a host of this jam.
    :raises ValidationFailed: a budget below 1 or too large.
    """
    event = get_managed_jam(actor, event_id)
    if data.change_budget and data.vote_budget is not None:
        if data.vote_budget < 1:
            raise ValidationFailed(
                "Please check the vote budget.",
                {"vote_budget": "Enter 1 or more, or leave it empty for one vote per pitch."},
            )
        if data.vote_budget > MAX_BUDGET:
            raise ValidationFailed(
                "Please check the vote budget.",
                {"vote_budget": f"At most {MAX_BUDGET:,} votes per member."},
            )
    settings = _lock_settings(event.id)
    for name in ("submissions_open", "voting_open", "tallies_visible"):
        value = getattr(data, name)
        if value is not None:
            setattr(settings, name, value)
    if data.change_budget:
        # Members who already used more than a lowered budget keep their votes; they cannot
        # add any until they are under it again.
        settings.vote_budget = data.vote_budget
    settings.updated_at = utcnow()
    settings.version += 1
    from ..sessions import services as sessions  # a running live session follows the rules

    session_changed = sessions.follow_rules(event.id, settings)
    db.session.commit()
    if session_changed:
        sessions.live.publish_session(event.id)
    live.publish_tallies(
        event_id, list(db.session.scalars(select(Pitch).where(Pitch.event_id == event_id)))
    )
    # Vote buttons, the pitch form and the sort options depend on the rules and the viewer:
    # every page reloads its own jam section.
    live.announce_rules(event_id)
    return settings


def get_managed_jam(actor, event_id: int) -> Event:
    """Return the jam if the actor hosts it or is an admin.

    :raises PermissionDenied: not a host of this jam.
    """
    _require_member(actor, "Sign in first.")
    event = get_jam(actor, event_id)
    if not can_manage(actor, event):
        raise PermissionDenied("Only the jam's hosts can do that.")
    return event


def _closed_reason(event: Event, what: str, is_open: bool, closed: str) -> str | None:
    if event.is_cancelled:
        return f"This jam was cancelled: {what} closed."
    if event.is_past:
        return f"This jam is over: {what} closed."
    return None if is_open else closed


def close_voting_for_cancel(event_id: int) -> None:
    """Part of cancelling a jam (``cancel_event``, before it locks the event): close voting on
    the jam's settings row, locked until the cancel commits. A vote reads the event before it
    locks that row, so on PostgreSQL one racing the cancel would otherwise see an event that
    is not cancelled yet; it now waits for the row and finds voting closed. Votes pay nothing
    for it. Lock order: the jam's settings, then the event."""
    settings = _lock_settings(event_id)
    settings.voting_open = False
    settings.version += 1


def voting_closed_reason(event: Event, settings: JamSettings) -> str | None:
    """Why nobody can vote now, or None while voting is open."""
    return _closed_reason(
        event, "voting is", settings.voting_open, "Voting is closed for this jam."
    )


def submissions_closed_reason(event: Event, settings: JamSettings) -> str | None:
    """Why nobody can pitch now, or None while submissions are open."""
    return _closed_reason(
        event,
        "pitches are",
        settings.submissions_open,
        "Pitch submissions are closed for this jam.",
    )


def _frozen_reason(event: Event, what: str) -> str | None:
    """Why a cancelled event takes ``what`` no more, or None.

    A cancelled event is frozen: no new offers or comments, no accepting offers, no edits. A jam
    that is over is not: people follow up on pitches after the day (offer help, build the team,
    discuss, update the pitch), so only pitching and voting end with it (``_closed_reason``).
    Cleaning up always works: withdrawing a pitch or an offer, deleting or hiding a comment.
    """
    if not event.is_cancelled:
        return None
    noun = "jam" if event.kind == JAM_KIND else "event"
    return f"This {noun} was cancelled: {what}."


def offers_closed_reason(event: Event) -> str | None:
    """Why nobody can offer help on the jam's pitches or accept an offer now, or None."""
    return _frozen_reason(event, "offers are closed")


def pitch_edits_closed_reason(event: Event) -> str | None:
    """Why authors cannot edit their pitches now, or None."""
    return _frozen_reason(event, "pitches can no longer be edited")


def comments_closed_reason(event: Event, pitch: Pitch | None = None) -> str | None:
    """Why nobody can comment or reply on the event (or on this pitch) now, or None."""
    frozen = _frozen_reason(event, "comments are closed")
    if frozen is None and pitch is not None and pitch.is_withdrawn:
        return "This pitch was withdrawn: comments are closed."
    return frozen


def comment_edits_closed_reason(event: Event, pitch: Pitch | None = None) -> str | None:
    """Why authors cannot edit their comments on the event (or on this pitch) now, or None.

    As for new comments (``comments_closed_reason``): a withdrawn pitch is closed to new
    content, so its comments stay as they are; deleting one's own comment still works.
    """
    frozen = _frozen_reason(event, "comments can no longer be edited")
    if frozen is None and pitch is not None and pitch.is_withdrawn:
        return "This pitch was withdrawn: comments can no longer be edited."
    return frozen


def _recheck_frozen(event: Event, reason: Callable[..., str | None], *args) -> None:
    """Re-read whether the event was cancelled, share-locking its row until the commit, and
    raise if ``reason(event, *args)`` now refuses the write.

    ``cancel_event`` locks the row for update: on PostgreSQL a cancel and a write that checked
    here are serialised, so nothing lands on an event after its cancel committed. SQLite
    serialises writers anyway (BEGIN IMMEDIATE) and drops the clause. Lock order: the event,
    then the jam's settings, then the pitch, then a comment.

    :raises Conflict: the event was cancelled meanwhile.
    """
    db.session.refresh(event, ["status"], with_for_update={"read": True})
    closed = reason(event, *args)
    if closed:
        raise Conflict(closed)


# --- pitches -------------------------------------------------------------------------------


@dataclass
class PitchInput:
    title: str
    summary: str
    looking_for: list[str] = field(default_factory=list)
    tags: str = ""


def parse_skills(values: list[str]) -> list[str]:
    """Skill keys from checkboxes or a comma separated field ("domain expertise" allowed)."""
    keys: list[str] = []
    for value in values:
        for part in (value or "").split(","):
            key = re.sub(r"[\s_]+", "-", part.strip().lower())
            if key and key not in keys:
                keys.append(key)
    return keys


def parse_tags(raw: str) -> list[str]:
    """Lowercase tags from a comma separated field, spaces collapsed, duplicates dropped."""
    tags: list[str] = []
    for part in normalise(raw).split(","):
        tag = " ".join(part.strip().lower().split())
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def _clean_pitch(data: PitchInput) -> dict:
    errors: dict[str, str] = {}
    title = " ".join(normalise(data.title).split())
    if is_blank(title):
        errors["title"] = "Give your pitch a title."
    elif CONTROL.search(title):
        errors["title"] = "Remove the invisible control characters from the title."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Keep the title to {MAX_TITLE} characters (it has {len(title)})."
    summary = normalise(data.summary)
    if is_blank(summary):
        errors["summary"] = "Say in a few lines what the idea is."
    elif CONTROL_MULTILINE.search(summary):
        errors["summary"] = "Remove the invisible control characters from the summary."
    elif len(summary) > MAX_SUMMARY:
        errors["summary"] = (
            f"Keep the summary under {MAX_SUMMARY:,} characters (it has {len(summary):,})."
        )
    skills = parse_skills(data.looking_for)
    unknown = [s for s in skills if s not in SKILLS]
    if unknown:
        errors["looking_for"] = "Choose the help you are looking for from the list."
    tags = parse_tags(data.tags)
    long_tags = [t for t in tags if len(t) > MAX_TAG_LENGTH]
    if len(tags) > MAX_TAGS:
        errors["tags"] = f"Use at most {MAX_TAGS} tags (you gave {len(tags)})."
    elif long_tags:
        errors["tags"] = (
            f'Keep each tag to {MAX_TAG_LENGTH} characters: "{long_tags[0]}" is longer.'
        )
    elif any(not _TAG_CHARS.match(t) for t in tags):
        errors["tags"] = "Tags can use letters, digits, spaces and - + . # only."
    elif any(not any(c.isalnum() for c in t) for t in tags):
        errors["tags"] = "Each tag needs at least one letter or digit."
    if errors:
        raise ValidationFailed("Please correct the highlighted fields.", errors)
    return {
        "title": title,
        "summary": summary,
        "summary_html": render_markdown(summary),
        "looking_for": ",".join(k for k in SKILLS if k in skills),
        "tags": tags,
    }


def _set_tags(pitch: Pitch, tags: list[str]) -> None:
    if pitch.tag_rows:
        pitch.tag_rows.clear()
        db.session.flush()
    pitch.tag_rows.extend(PitchTag(tag=tag, position=i) for i, tag in enumerate(tags))


def get_pitch(viewer, pitch_id: int) -> Pitch:
    """Return the pitch if the viewer may see its jam.

    :raises NotFound: no such pitch.
    :raises SignInRequired: a members-only jam and an anonymous viewer.
    """
    pitch = db.session.get(Pitch, pitch_id)
    if pitch is None:
        raise NotFound("There is no such pitch.")
    get_jam(viewer, pitch.event_id)
    return pitch


def _lock_pitch(pitch_id: int) -> Pitch:
    pitch = db.session.scalar(
        select(Pitch)
        .where(Pitch.id == pitch_id)
        # The row alone: its event and author were loaded (and checked) before the lock.
        .options(lazyload(Pitch.event), lazyload(Pitch.author))
        .with_for_update(of=Pitch)
        .execution_options(populate_existing=True)
    )
    if pitch is None:
        raise NotFound("There is no such pitch.")
    return pitch


def create_pitch(actor, event_id: int, data: PitchInput) -> Pitch:
    """Pitch an idea at a jam whose submissions are open.

    :raises ValidationFailed: a field is empty, too long or not from the list.
    :raises Conflict: submissions closed, or the jam is cancelled or over.
    """
    _require_member(actor, "Sign in to pitch an idea.")
    event = get_jam(actor, event_id)
    settings = settings_for(event.id)
    closed = submissions_closed_reason(event, settings)
    if closed:
        raise Conflict(closed)
    values = _clean_pitch(data)
    _recheck_frozen(event, submissions_closed_reason, settings)
    tags = values.pop("tags")
    now = utcnow()
    pitch = Pitch(event_id=event.id, author_id=actor.id, created_at=now, updated_at=now, **values)
    _set_tags(pitch, tags)
    db.session.add(pitch)
    db.session.commit()
    live.publish_pitch(pitch, new=True)
    return pitch


def get_own_pitch(actor, pitch_id: int) -> Pitch:
    """Return a pitch its author may change.

    :raises PermissionDenied: not the author.
    :raises Conflict: the pitch was withdrawn, or the jam cancelled.
    """
    _require_member(actor, "Sign in first.")
    pitch = get_pitch(actor, pitch_id)
    if pitch.author_id != actor.id:
        raise PermissionDenied("Only the pitch's author can change it.")
    if pitch.is_withdrawn:
        raise Conflict("This pitch was withdrawn; it can no longer be changed.")
    closed = pitch_edits_closed_reason(pitch.event)
    if closed:
        raise Conflict(closed)
    return pitch


def update_pitch(actor, pitch_id: int, data: PitchInput) -> Pitch:
    """Change one's own pitch (also after the jam; not once it is cancelled).

    :raises Conflict: the pitch was withdrawn, or the jam cancelled.
    """
    event = get_own_pitch(actor, pitch_id).event
    values = _clean_pitch(data)
    _recheck_frozen(event, pitch_edits_closed_reason)
    pitch = _lock_pitch(pitch_id)
    if pitch.is_withdrawn:
        raise Conflict("This pitch was withdrawn; it can no longer be changed.")
    _set_tags(pitch, values.pop("tags"))
    for key, value in values.items():
        setattr(pitch, key, value)
    pitch.updated_at = utcnow()
    db.session.commit()
    live.publish_pitch(pitch)
    return pitch


def withdraw_pitch(actor, pitch_id: int) -> Pitch:
    """Withdraw one's own pitch: it leaves the board; its voters get their votes back.

    :raises PermissionDenied: not the author.
    :raises Conflict: already withdrawn.
    """
    _require_member(actor, "Sign in first.")
    if get_pitch(actor, pitch_id).author_id != actor.id:
        raise PermissionDenied("Only the pitch's author can withdraw it.")
    pitch = _lock_pitch(pitch_id)
    if pitch.is_withdrawn:
        raise Conflict("This pitch was already withdrawn.")
    now = utcnow()
    pitch.status = "withdrawn"
    pitch.withdrawn_at = pitch.updated_at = now
    db.session.commit()
    live.publish_pitch(pitch)
    return pitch


# --- the board -----------------------------------------------------------------------------


@dataclass
class PitchStats:
    comments: int = 0
    offers: int = 0
    team: int = 0


class ReadOnlyRow:
    """One row's columns as plain attributes, read-only: for pages that only show them.

    A page of 100 pitches and 300 comments spends more building ORM objects (identity map,
    instrumentation, eager loads) than on the rest of its data; plain selects into these
    cost a fraction. Change things through the services, never through a row.
    """

    def __init__(self, values: dict, cache_key: tuple = ()) -> None:
        self.__dict__.update(values)
        # Everything the row shows, hashable (the database row it came from, with what was
        # added to it): the key of its cached HTML (mlc_events/fragments.py).
        self.__dict__["cache_key"] = cache_key

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only: change it through a service")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.__dict__.get('id')}>"


class AuthorRow(ReadOnlyRow):
    """Who wrote a pitch or a comment: ``id`` and ``display_name``."""


class PitchRow(ReadOnlyRow):
    """A pitch as the board shows it: the columns of ``pitches``, ``author`` and ``tags``."""

    skills = Pitch.skills
    skill_labels = Pitch.skill_labels
    is_withdrawn = Pitch.is_withdrawn


class CommentRow(ReadOnlyRow):
    """A comment as a page shows it: the columns of ``comments`` and ``author``."""

    is_visible = Comment.is_visible
    is_hidden = Comment.is_hidden
    is_deleted = Comment.is_deleted


def _rows_with_authors(query: Select, model: type) -> list[tuple[dict, AuthorRow, tuple]]:
    """Run a select of the model's columns then its author's display name into plain rows;
    each with the database row as a tuple (the columns and the name: its cache key)."""
    names = [column.key for column in model.__table__.columns]
    authors: dict[int, AuthorRow] = {}
    rows = []
    for row in db.session.execute(query):
        values = dict(zip(names, row, strict=False))
        author_id = values["author_id"]
        author = authors.get(author_id)
        if author is None:
            author = authors[author_id] = AuthorRow({"id": author_id, "display_name": row[-1]})
        rows.append((values, author, tuple(row)))
    return rows


@dataclass
class Board:
    event: Event
    settings: JamSettings
    pitches: list[PitchRow]
    sort: str
    tag: str | None
    tags: list[tuple[str, int]]
    stats: dict[int, PitchStats]

    def stats_for(self, pitch: PitchRow | Pitch) -> PitchStats:
        return self.stats.get(pitch.id) or PitchStats()


def effective_sort(sort: str | None, settings: JamSettings) -> str:
    """Sorting by votes would reveal hidden tallies: it falls back to newest then."""
    if sort == "votes" and settings.tallies_visible:
        return "votes"
    return "newest"


def pitch_stats(pitch_ids: list[int], event_id: int | None = None) -> dict[int, PitchStats]:
    """Visible comments, pending offers and team size of each pitch, in two queries.

    With ``event_id``: ``pitch_ids`` are the jam's active pitches, and the queries select them
    by jam (the same two statements whatever the number of pitches) instead of listing ids.
    """
    stats = {pid: PitchStats() for pid in pitch_ids}
    if not pitch_ids:
        return stats

    def of_these(column):
        if event_id is None:
            return (column.in_(pitch_ids),)
        return (Pitch.id == column, Pitch.event_id == event_id, Pitch.status == "active")

    comments = db.session.execute(
        select(Comment.pitch_id, func.count())
        .where(*of_these(Comment.pitch_id), Comment.status == "visible")
        .group_by(Comment.pitch_id)
    )
    for pid, n in comments:
        stats[pid].comments = n
    offers = db.session.execute(
        select(Offer.pitch_id, Offer.status, func.count())
        .where(*of_these(Offer.pitch_id))
        .group_by(Offer.pitch_id, Offer.status)
    )
    for pid, status, n in offers:
        if status == "accepted":
            stats[pid].team = n
        else:
            stats[pid].offers = n
    return stats


def board(viewer, event_id: int, sort: str | None = None, tag: str | None = None) -> Board:
    """The jam's active pitches (read-only rows), sorted and filtered, with the tags in use."""
    event = get_jam(viewer, event_id)
    settings = settings_for(event.id)
    sort = effective_sort(sort, settings)
    tag = " ".join((tag or "").strip().lower().split()) or None
    active = (Pitch.event_id == event.id, Pitch.status == "active")
    query = (
        select(*Pitch.__table__.columns, User.display_name)
        .join(User, User.id == Pitch.author_id)
        .where(*active)
    )
    if tag:
        query = query.where(
            Pitch.id.in_(select(PitchTag.pitch_id).where(PitchTag.tag == tag[:MAX_TAG_LENGTH]))
        )
    if sort == "votes":
        query = query.order_by(Pitch.vote_count.desc(), Pitch.created_at, Pitch.id)
    else:
        query = query.order_by(Pitch.created_at.desc(), Pitch.id.desc())
    rows = _rows_with_authors(query, Pitch)
    tags_of: dict[int, list[str]] = {values["id"]: [] for values, _, _ in rows}
    for pitch_id, name in db.session.execute(
        select(PitchTag.pitch_id, PitchTag.tag)
        .join(Pitch, Pitch.id == PitchTag.pitch_id)
        .where(*active)
        .order_by(PitchTag.pitch_id, PitchTag.position)
    ):
        if pitch_id in tags_of:
            tags_of[pitch_id].append(name)
    pitches = [
        PitchRow(
            {**values, "author": author, "tags": tags_of[values["id"]]},
            (key, tuple(tags_of[values["id"]])),
        )
        for values, author, key in rows
    ]
    tags = db.session.execute(
        select(PitchTag.tag, func.count())
        .join(Pitch, Pitch.id == PitchTag.pitch_id)
        .where(*active)
        .group_by(PitchTag.tag)
        .order_by(func.count().desc(), PitchTag.tag)
        .limit(30)
    ).all()
    return Board(
        event=event,
        settings=settings,
        pitches=pitches,
        sort=sort,
        tag=tag,
        tags=[(t, n) for t, n in tags],
        stats=pitch_stats(list(tags_of), event.id),
    )


# --- votes ---------------------------------------------------------------------------------


@dataclass
class Voter:
    """What one member sees of their own voting: their votes and what is left of the budget."""

    signed_in: bool
    voted: set[int]
    used: int
    budget: int | None

    @property
    def votes_left(self) -> int | None:
        return None if self.budget is None else max(self.budget - self.used, 0)


def votes_used(user_id: int, event_id: int) -> int:
    """Votes a member has on the jam's active pitches (withdrawn pitches give votes back)."""
    return db.session.scalar(
        select(func.count())
        .select_from(Vote)
        .join(Pitch, Pitch.id == Vote.pitch_id)
        .where(Vote.user_id == user_id, Pitch.event_id == event_id, Pitch.status == "active")
    )


def voter(viewer, event_id: int, settings: JamSettings | None = None) -> Voter:
    settings = settings or settings_for(event_id)
    if not _signed_in(viewer):
        return Voter(signed_in=False, voted=set(), used=0, budget=settings.vote_budget)
    votes = db.session.execute(
        select(Vote.pitch_id, Pitch.status)
        .join(Pitch, Pitch.id == Vote.pitch_id)
        .where(Vote.user_id == viewer.id, Pitch.event_id == event_id)
    ).all()
    return Voter(
        signed_in=True,
        voted={pitch_id for pitch_id, _ in votes},
        # As votes_used(): withdrawn pitches give their votes back.
        used=sum(status == "active" for _, status in votes),
        budget=settings.vote_budget,
    )


def budget_message(budget: int) -> str:
    if budget == 1:
        return "You have used your 1 vote. Take it back from another pitch to vote for this one."
    return (
        f"You have used all {budget} of your votes. "
        "Take one back from another pitch to vote for this one."
    )


def vote_refused_reason(event_id: int, pitch_id: int) -> str | None:
    """Why a running live session refuses a vote for this pitch (voting open for the pitch
    being presented only), or None."""
    return _session_refusal(db.session.get(JamSession, event_id), pitch_id)


def _session_refusal(session: JamSession | None, pitch_id: int) -> str | None:
    if session is None or session.phase != "running" or session.voting != "current":
        return None
    if session.current_pitch_id == pitch_id:
        return None
    return "Voting is open only for the pitch being presented."


def cast_vote(actor, pitch_id: int, vote: bool | None = None) -> bool:
    """Set (``True``/``False``) or toggle (``None``) the actor's vote; return whether it is on.

    :raises PermissionDenied: a vote for one's own pitch.
    :raises Conflict: withdrawn pitch, voting closed, jam cancelled or over, budget used up.
    """
    _require_member(actor, "Sign in to vote.")
    pitch = get_pitch(actor, pitch_id)
    event = pitch.event
    if pitch.author_id == actor.id:
        raise PermissionDenied("You can't vote for your own pitch.")
    # Lock order everywhere: the jam's settings, then the pitch.
    settings = _lock_settings(event.id)
    pitch = _lock_pitch(pitch_id)
    if pitch.is_withdrawn:
        raise Conflict("This pitch was withdrawn: it takes no votes.")
    live_session = db.session.get(JamSession, event.id)
    session_running = live_session is not None and live_session.phase == "running"
    closed = voting_closed_reason(event, settings) or _session_refusal(live_session, pitch.id)
    if closed:
        raise Conflict(closed)
    existing = db.session.scalar(
        select(Vote).where(Vote.pitch_id == pitch.id, Vote.user_id == actor.id)
    )
    want = (existing is None) if vote is None else vote
    if want and existing is None:
        if settings.vote_budget is not None and (
            votes_used(actor.id, event.id) >= settings.vote_budget
        ):
            raise Conflict(budget_message(settings.vote_budget))
        db.session.add(Vote(pitch_id=pitch.id, user_id=actor.id))
    elif not want and existing is not None:
        db.session.delete(existing)
    else:
        db.session.rollback()
        return want
    db.session.flush()
    pitch.vote_count = db.session.scalar(
        select(func.count()).select_from(Vote).where(Vote.pitch_id == pitch.id)
    )
    settings.version += 1
    db.session.commit()
    live.publish_tallies(pitch.event_id, [pitch], chart=session_running)
    return want


# --- collaboration offers ------------------------------------------------------------------


@dataclass
class Offers:
    team: list[Offer]
    pending: list[Offer]

    def of(self, user) -> Offer | None:
        if not _signed_in(user):
            return None
        return next((o for o in self.team + self.pending if o.user_id == user.id), None)


def offers_for(pitch_id: int) -> Offers:
    rows = list(
        db.session.scalars(
            select(Offer).where(Offer.pitch_id == pitch_id).order_by(Offer.created_at, Offer.id)
        )
    )
    return Offers(
        team=[o for o in rows if o.is_accepted], pending=[o for o in rows if not o.is_accepted]
    )


def clean_note(note: str) -> str:
    note = normalise(note)
    if "\n" in note or "\r" in note:
        message = "Keep the note to one line."
    elif is_blank(note):
        message = "Say in one line what you would bring."
    elif CONTROL.search(note):
        message = "Remove the invisible control characters from the note."
    elif len(note) > MAX_NOTE:
        message = f"Keep the note to {MAX_NOTE} characters (it has {len(note)})."
    else:
        return note
    raise ValidationFailed(message, {"note": message})


def make_offer(actor, pitch_id: int, note: str) -> Offer:
    """Offer to work on someone else's pitch, with a one-line note.

    :raises PermissionDenied: one's own pitch.
    :raises Conflict: already offered, the pitch was withdrawn, or the jam cancelled.
    """
    _require_member(actor, "Sign in to offer your help.")
    pitch = get_pitch(actor, pitch_id)
    if pitch.author_id == actor.id:
        raise PermissionDenied("This is your own pitch: you are already on it.")
    closed = offers_closed_reason(pitch.event)
    if closed:
        raise Conflict(closed)
    note = clean_note(note)
    _recheck_frozen(pitch.event, offers_closed_reason)
    pitch = _lock_pitch(pitch_id)
    if pitch.is_withdrawn:
        raise Conflict("This pitch was withdrawn: it takes no offers.")
    taken = db.session.scalar(
        select(Offer.id).where(Offer.pitch_id == pitch.id, Offer.user_id == actor.id)
    )
    if taken is not None:
        raise Conflict("You already offered to work on this pitch.")
    offer = Offer(pitch_id=pitch.id, user_id=actor.id, note=note, status="pending")
    db.session.add(offer)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("You already offered to work on this pitch.") from None
    live.publish_offer(offer)
    return offer


def get_offer(viewer, offer_id: int) -> Offer:
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        raise NotFound("There is no such offer.")
    get_pitch(viewer, offer.pitch_id)
    return offer


def accept_offer(actor, offer_id: int) -> Offer:
    """Accept a member onto one's pitch's team (the pitch's author only).

    :raises PermissionDenied: not the author.
    :raises Conflict: already accepted, the pitch was withdrawn, or the jam cancelled.
    """
    _require_member(actor, "Sign in first.")
    offer = get_offer(actor, offer_id)
    pitch = offer.pitch
    if pitch.author_id != actor.id:
        raise PermissionDenied("Only the pitch's author can accept offers.")
    closed = offers_closed_reason(pitch.event)
    if closed:
        raise Conflict(closed)
    _recheck_frozen(pitch.event, offers_closed_reason)
    pitch = _lock_pitch(pitch.id)
    db.session.refresh(offer)
    if pitch.is_withdrawn:
        raise Conflict("This pitch was withdrawn.")
    if offer.is_accepted:
        raise Conflict(f"{offer.user.display_name} is already on the team.")
    offer.status = "accepted"
    offer.accepted_at = utcnow()
    notify(
        offer.user_id,
        f"{actor.display_name} accepted your offer: you're on the team of “{pitch.title}”.",
        path_for("jams.show_pitch", pitch_id=pitch.id),
    )
    db.session.commit()
    live.publish_offer(offer)
    return offer


def withdraw_offer(actor, offer_id: int) -> Offer:
    """Take back one's own offer (or leave the team it made you part of)."""
    _require_member(actor, "Sign in first.")
    offer = get_offer(actor, offer_id)
    if offer.user_id != actor.id:
        raise PermissionDenied("Only the member who made an offer can withdraw it.")
    event_id, offer_id = offer.pitch.event_id, offer.id
    db.session.delete(offer)
    db.session.commit()
    live.publish_offer_gone(event_id, offer_id)
    return offer


# --- comments ------------------------------------------------------------------------------


@dataclass
class Thread:
    comment: CommentRow
    replies: list[CommentRow]


def comments_on(event_id: int, pitch_id: int | None = None) -> list[Thread]:
    """Top-level comments (read-only rows), oldest first, each with its replies, in one query."""
    query = (
        select(*Comment.__table__.columns, User.display_name)
        .join(User, User.id == Comment.author_id)
        .where(Comment.event_id == event_id)
    )
    if pitch_id is None:
        query = query.where(Comment.pitch_id.is_(None))
    else:
        query = query.where(Comment.pitch_id == pitch_id)
    query = query.order_by(Comment.created_at, Comment.id)
    rows = [
        CommentRow({**values, "author": author}, key)
        for values, author, key in _rows_with_authors(query, Comment)
    ]
    threads = {c.id: Thread(c, []) for c in rows if c.parent_id is None}
    for comment in rows:
        if comment.parent_id is not None and comment.parent_id in threads:
            threads[comment.parent_id].replies.append(comment)
    return list(threads.values())


def clean_body(body: str) -> str:
    body = normalise(body)
    if is_blank(body):
        message = "Write something first."
    elif CONTROL_MULTILINE.search(body):
        message = "Remove the invisible control characters from your comment."
    elif len(body) > MAX_COMMENT:
        message = f"Keep comments under {MAX_COMMENT:,} characters (this one has {len(body):,})."
    else:
        return body
    raise ValidationFailed(message, {"body": message})


def comment_target(viewer, *, event_id: int | None = None, pitch_id: int | None = None):
    """The (event, pitch or None) a comment goes on, if the viewer may see it."""
    if pitch_id is not None:
        pitch = get_pitch(viewer, pitch_id)
        return pitch.event, pitch
    if event_id is None:
        raise NotFound("There is nothing to comment on here.")
    return get_visible_event(viewer, event_id), None


def add_comment(
    actor,
    body: str,
    *,
    event_id: int | None = None,
    pitch_id: int | None = None,
    parent_id: int | None = None,
) -> Comment:
    """Comment on an event or a pitch, or reply to a comment there.

    Replies are one level deep: a reply to a reply joins its top-level comment's thread.

    :raises ValidationFailed: an empty or too long body.
    :raises NotFound: the comment replied to is not on this page.
    :raises Conflict: a hidden or deleted thread, a withdrawn pitch, or a cancelled event.
    """
    _require_member(actor, "Sign in to comment.")
    event, pitch = comment_target(actor, event_id=event_id, pitch_id=pitch_id)
    closed = comments_closed_reason(event, pitch)
    if closed:
        raise Conflict(closed)
    body = clean_body(body)
    _recheck_frozen(event, comments_closed_reason, pitch)
    parent = None
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id)
        target_pitch = pitch.id if pitch else None
        if parent is None or parent.event_id != event.id or parent.pitch_id != target_pitch:
            raise NotFound("There is no such comment to reply to here.")
        if parent.is_hidden:
            raise Conflict("A host hid that comment: it takes no replies.")
        # Lock the thread's top comment: a reply and the top comment's deletion at the same
        # moment are serialised, so a reply is never cascade-deleted after being accepted.
        parent = _lock_comment(parent.parent_id or parent.id)
        if parent is None:
            raise Conflict("That comment was deleted: start a new comment instead.")
        if parent.is_hidden:
            raise Conflict("A host hid this thread: it takes no replies.")
        if parent.is_deleted:
            raise Conflict("That comment was deleted: start a new comment instead.")
    now = utcnow()
    comment = Comment(
        event_id=event.id,
        pitch_id=pitch.id if pitch else None,
        parent_id=parent.id if parent else None,
        author_id=actor.id,
        body=body,
        body_html=render_markdown(body),
        status="visible",
        created_at=now,
        updated_at=now,
    )
    db.session.add(comment)
    db.session.commit()
    live.publish_comment(comment, new=True)
    return comment


def _lock_comment(comment_id: int) -> Comment | None:
    """The comment, re-read and row-locked on PostgreSQL (SQLite serialises writes anyway)."""
    return db.session.scalar(
        select(Comment)
        .where(Comment.id == comment_id)
        .with_for_update(of=Comment)
        .execution_options(populate_existing=True)
    )


def get_comment(viewer, comment_id: int) -> Comment:
    """Return a comment if the viewer may see where it is.

    :raises NotFound: no such comment.
    """
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound("There is no such comment.")
    if comment.pitch_id is not None:
        get_pitch(viewer, comment.pitch_id)
    else:
        get_visible_event(viewer, comment.event_id)
    return comment


def _comment_place(comment: Comment) -> tuple[Event, Pitch | None]:
    """The event and the pitch (or None) a comment is on (loaded already by get_comment)."""
    event = db.session.get(Event, comment.event_id)
    pitch = db.session.get(Pitch, comment.pitch_id) if comment.pitch_id is not None else None
    return event, pitch


def get_own_comment(actor, comment_id: int) -> Comment:
    """Return a comment its author may edit.

    :raises PermissionDenied: someone else's comment.
    :raises Conflict: a hidden or deleted comment, a withdrawn pitch, or a cancelled event.
    """
    _require_member(actor, "Sign in first.")
    comment = get_comment(actor, comment_id)
    if comment.author_id != actor.id:
        raise PermissionDenied("You can only change your own comments.")
    if comment.is_hidden:
        raise Conflict("A host hid this comment: it can no longer be edited.")
    if comment.is_deleted:
        raise Conflict("This comment was deleted.")
    closed = comment_edits_closed_reason(*_comment_place(comment))
    if closed:
        raise Conflict(closed)
    return comment


def edit_comment(actor, comment_id: int, body: str) -> Comment:
    """Change one's own comment (not on a withdrawn pitch, not once the event is cancelled).

    :raises Conflict: a hidden or deleted comment, a withdrawn pitch, or a cancelled event.
    """
    comment = get_own_comment(actor, comment_id)
    body = clean_body(body)
    event, pitch = _comment_place(comment)
    _recheck_frozen(event, comment_edits_closed_reason, pitch)
    if body != comment.body:
        now = utcnow()
        comment.body = body
        comment.body_html = render_markdown(body)
        comment.edited_at = comment.updated_at = now
    db.session.commit()
    live.publish_comment(comment)
    return comment


def _has_replies(comment: Comment) -> bool:
    return (
        db.session.scalar(select(Comment.id).where(Comment.parent_id == comment.id).limit(1))
        is not None
    )


def delete_comment(actor, comment_id: int) -> Comment:
    """Delete one's own comment; one with replies stays as "Comment deleted" for the thread."""
    _require_member(actor, "Sign in first.")
    get_comment(actor, comment_id)
    comment = _lock_comment(comment_id)
    if comment is None:
        raise Conflict("This comment was already deleted.")
    if comment.author_id != actor.id:
        raise PermissionDenied("You can only delete your own comments.")
    if comment.is_deleted:
        raise Conflict("This comment was already deleted.")
    if comment.is_hidden:
        raise Conflict("A host hid this comment; it can no longer be deleted.")
    if _has_replies(comment):
        comment.status = "deleted"
        comment.body = comment.body_html = ""
        comment.updated_at = utcnow()
    else:
        parent = db.session.get(Comment, comment.parent_id) if comment.parent_id else None
        db.session.delete(comment)
        db.session.flush()
        # A deleted comment kept only for its replies goes once its last reply does.
        if parent is not None and parent.is_deleted and not _has_replies(parent):
            db.session.delete(parent)
    db.session.commit()
    live.publish_comment(comment)
    return comment


def comment_path(comment: Comment) -> str:
    """The page a comment is on, with its anchor."""
    if comment.pitch_id is not None:
        page = path_for("jams.show_pitch", pitch_id=comment.pitch_id)
    else:
        page = path_for("events.show", event_id=comment.event_id)
    return f"{page}#comment-{comment.id}"


def can_moderate(user, event: Event) -> bool:
    return can_manage(user, event)


def hide_comment(actor, comment_id: int) -> Comment:
    """Hide a comment (the event's hosts and admins); its author gets a notice.

    :raises PermissionDenied: not a host of the event.
    :raises Conflict: already hidden or deleted.
    """
    _require_member(actor, "Sign in first.")
    comment = get_comment(actor, comment_id)
    event = db.session.get(Event, comment.event_id)
    if not can_moderate(actor, event):
        raise PermissionDenied("Only the event's hosts can hide comments.")
    if comment.is_hidden:
        raise Conflict("This comment is already hidden.")
    if comment.is_deleted:
        raise Conflict("This comment was deleted.")
    now = utcnow()
    comment.status = "hidden"
    comment.hidden_at = comment.updated_at = now
    comment.hidden_by_id = actor.id
    if comment.author_id != actor.id:
        if comment.pitch_id is not None:
            where = f"the pitch “{db.session.get(Pitch, comment.pitch_id).title}”"
        else:
            where = f"“{event.title}”"
        notify(
            comment.author_id,
            f"A host hid your comment on {where}. Others now see “Hidden by a host”.",
            comment_path(comment),
        )
    db.session.commit()
    live.publish_comment(comment)
    return comment

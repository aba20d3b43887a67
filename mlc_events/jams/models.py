"""Research jams: settings, pitches and their tags, votes, collaboration offers, comments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import UTCDateTime, utcnow
from ..events.models import Event
from ..extensions import db

# What help a pitch is looking for: a fixed list, so the board can show it as chips.
SKILLS: dict[str, str] = {
    "theory": "Theory",
    "code": "Code",
    "data": "Data",
    "compute": "Compute",
    "writing": "Writing",
    "design": "Design",
    "domain-expertise": "Domain expertise",
}
PITCH_STATUSES = ("active", "withdrawn")
OFFER_STATUSES = ("pending", "accepted")
COMMENT_STATUSES = ("visible", "hidden", "deleted")


class JamSettings(db.Model):
    """A research jam's rules; one row per event, created the first time they matter."""

    __tablename__ = "jam_settings"
    __table_args__ = (
        CheckConstraint("vote_budget IS NULL OR vote_budget >= 1", name="vote_budget_positive"),
    )

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    submissions_open: Mapped[bool] = mapped_column(Boolean, default=True)
    voting_open: Mapped[bool] = mapped_column(Boolean, default=True)
    # Votes per member for the whole jam; None: one vote per pitch, as many pitches as they like.
    vote_budget: Mapped[int | None] = mapped_column(Integer)
    tallies_visible: Mapped[bool] = mapped_column(Boolean, default=True)
    # Goes up with every change to what the tallies show (a vote, a rule): live fragments
    # carry it, so a page never lets an older tally overwrite a newer one.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @classmethod
    def defaults(cls, event_id: int) -> JamSettings:
        """The settings of a jam nobody has configured yet (not added to the session)."""
        return cls(
            event_id=event_id,
            submissions_open=True,
            voting_open=True,
            vote_budget=None,
            tallies_visible=True,
            version=0,
        )


class Pitch(db.Model):
    __tablename__ = "pitches"
    __table_args__ = (Index("ix_pitches_event_status", "event_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_html: Mapped[str] = mapped_column(Text, default="")
    # Keys of SKILLS, comma-joined in the order of SKILLS.
    looking_for: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")
    # Kept equal to the number of votes rows, in the transaction that changes them.
    vote_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[User] = relationship(lazy="joined")
    # Joined: every action on a pitch checks its event, and the pitch then holds it (the
    # session's identity map alone would let it go between two lookups).
    event: Mapped[Event] = relationship(lazy="joined")
    # Loaded when a page shows them; a vote or an offer never needs the tags.
    tag_rows: Mapped[list[PitchTag]] = relationship(
        lazy="select",
        order_by="PitchTag.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]

    @property
    def skills(self) -> list[str]:
        return [s for s in self.looking_for.split(",") if s]

    @property
    def skill_labels(self) -> list[str]:
        return [SKILLS.get(s, s) for s in self.skills]

    @property
    def is_withdrawn(self) -> bool:
        return self.status == "withdrawn"

    def __repr__(self) -> str:
        return f"<Pitch {self.id} {self.title!r}>"


class PitchTag(db.Model):
    """One tag of a pitch: a row each, so the board filters by tag with an index."""

    __tablename__ = "pitch_tags"
    __table_args__ = (Index("ix_pitch_tags_tag", "tag"),)

    pitch_id: Mapped[int] = mapped_column(
        ForeignKey("pitches.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(24), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Vote(db.Model):
    __tablename__ = "votes"
    # One vote per member per pitch holds under concurrent requests: a constraint, not a check.
    __table_args__ = (UniqueConstraint("pitch_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pitch_id: Mapped[int] = mapped_column(ForeignKey("pitches.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Offer(db.Model):
    """A member's "I'd work on this" on a pitch; accepted offers make the pitch's team."""

    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("pitch_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pitch_id: Mapped[int] = mapped_column(ForeignKey("pitches.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")
    pitch: Mapped[Pitch] = relationship()

    @property
    def is_accepted(self) -> bool:
        return self.status == "accepted"


class Comment(db.Model):
    """A comment on an event (``pitch_id`` None) or on one of its pitches; one level of replies."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_event_pitch", "event_id", "pitch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    pitch_id: Mapped[int | None] = mapped_column(
        ForeignKey("pitches.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="visible")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A question asked during a live session (sessions/): it stays on the pitch as a comment.
    is_question: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Kept equal to its question_votes rows, in the transaction that changes them.
    upvotes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    author: Mapped[User] = relationship(lazy="joined", foreign_keys=[author_id])

    @property
    def is_visible(self) -> bool:
        return self.status == "visible"

    @property
    def is_hidden(self) -> bool:
        return self.status == "hidden"

    @property
    def is_deleted(self) -> bool:
        return self.status == "deleted"


class QuestionVote(db.Model):
    """A member's upvote on a question; one each (the primary key holds under concurrency)."""

    __tablename__ = "question_votes"
    __table_args__ = (PrimaryKeyConstraint("comment_id", "user_id"),)

    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

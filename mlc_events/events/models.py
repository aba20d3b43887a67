"""Events, their hosts and RSVPs."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..series.models import Series

KINDS: dict[str, str] = {
    "reading-group": "Reading group",
    "research-jam": "Research jam",
    "lab-meeting": "Lab meeting",
    "social": "Social",
    "talk": "Talk",
}
VISIBILITIES: dict[str, str] = {"public": "Public", "members": "Members only"}

event_hosts = Table(
    "event_hosts",
    db.metadata,
    Column("event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


def new_uid() -> str:
    return f"{uuid.uuid4()}@mlc-events"


class Event(db.Model):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_starts_at", "starts_at"),
        # One instance per date of a series, even when it was moved or skipped.
        UniqueConstraint("series_id", "series_date"),
        # Imports are idempotent by the source's UID and RECURRENCE-ID.
        UniqueConstraint("source_uid", "source_recurrence_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(255), unique=True, default=new_uid)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    location: Mapped[str] = mapped_column(String(300), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("series.id", ondelete="SET NULL"), index=True
    )
    series_date: Mapped[date | None] = mapped_column(Date)
    source_uid: Mapped[str | None] = mapped_column(String(500))
    source_recurrence_id: Mapped[str] = mapped_column(String(40), default="", server_default="")

    hosts: Mapped[list[User]] = relationship(secondary=event_hosts, lazy="selectin")
    series: Mapped[Series | None] = relationship()

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def is_past(self) -> bool:
        return self.ends_at <= utcnow()

    def is_hosted_by(self, user) -> bool:
        return bool(user and getattr(user, "id", None)) and any(h.id == user.id for h in self.hosts)

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.title!r}>"


RSVP_STATUSES = ("going", "waitlisted", "not_going")


class RSVP(db.Model):
    __tablename__ = "rsvps"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        Index("ix_rsvps_event_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    # Waitlist order: first come, first promoted.
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Made by a standing RSVP for the series (withdrawn when that stops), not by hand.
    via_series: Mapped[bool] = mapped_column(default=False, server_default=false())

    user: Mapped[User] = relationship(lazy="joined")
    event: Mapped[Event] = relationship()

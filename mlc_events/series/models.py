"""Recurring series: the rule, and members' standing RSVPs. Each instance is its own Event."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import UTCDateTime, utcnow
from ..extensions import db

FREQUENCIES = {
    "weekly": "Every week, or every few weeks",
    "monthly": "Once a month, on the same weekday (say, the last Friday)",
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}

series_hosts = Table(
    "series_hosts",
    db.metadata,
    Column("series_id", Integer, ForeignKey("series.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Series(db.Model):
    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: uuid.uuid4().hex)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64))
    # Wall-clock start in the series' zone: it stays put across DST changes.
    start_time: Mapped[str] = mapped_column(String(5))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    location: Mapped[str] = mapped_column(String(300), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    frequency: Mapped[str] = mapped_column(String(16))
    interval: Mapped[int] = mapped_column(Integer, default=1)
    weekday: Mapped[int] = mapped_column(Integer)
    nth: Mapped[int | None] = mapped_column(Integer)
    first_date: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    horizon_weeks: Mapped[int] = mapped_column(Integer, default=8)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    hosts: Mapped[list[User]] = relationship(secondary=series_hosts, lazy="selectin")

    @property
    def rule_text(self) -> str:
        day = WEEKDAYS[self.weekday]
        if self.frequency == "monthly":
            when = f"the {ORDINALS.get(self.nth or 1, 'first')} {day} of every month"
        elif self.interval == 1:
            when = f"every {day}"
        else:
            when = f"every {self.interval} weeks on {day}"
        return f"{when[0].upper()}{when[1:]}, {self.start_time} {self.timezone}"

    def is_hosted_by(self, user) -> bool:
        return bool(user and getattr(user, "id", None)) and any(h.id == user.id for h in self.hosts)


class StandingRSVP(db.Model):
    """A member going to every new instance of a series (one week can still be declined)."""

    __tablename__ = "standing_rsvps"
    __table_args__ = (UniqueConstraint("series_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")

"""A host-run live session of a research jam: the pitch queue, who is presenting, the timer,
the voting round. The whole state is this one row, so a server restart (or a second host's
browser) continues exactly where it was."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import db

PHASES = ("ready", "running", "ended")
# off: nobody votes; all: every pitch of the jam; current: only the pitch being presented.
VOTING = ("off", "all", "current")
DEFAULT_TIMER = 180


class JamSession(db.Model):
    __tablename__ = "jam_sessions"
    __table_args__ = (
        CheckConstraint("phase IN ('ready', 'running', 'ended')", name="phase_known"),
        CheckConstraint("voting IN ('off', 'all', 'current')", name="voting_known"),
        CheckConstraint("timer_seconds BETWEEN 30 AND 3600", name="timer_sensible"),
    )

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    phase: Mapped[str] = mapped_column(String(16), default="ready")
    # The pitches in presenting order: their ids, comma-joined.
    queue: Mapped[str] = mapped_column(Text, default="")
    current_pitch_id: Mapped[int | None] = mapped_column(
        ForeignKey("pitches.id", ondelete="SET NULL")
    )
    # The length the host set for each pitch; the running timer's end, or (paused) what is left.
    timer_seconds: Mapped[int] = mapped_column(Integer, default=DEFAULT_TIMER)
    timer_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timer_left: Mapped[int | None] = mapped_column(Integer)
    voting: Mapped[str] = mapped_column(String(16), default="off")
    # Goes up with every change: an action sent against an older state is refused (two hosts).
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the last voting round closed and froze the results (SessionResult); shown to
    # everyone once revealed.
    results_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revealed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def order(self) -> list[int]:
        return [int(n) for n in self.queue.split(",") if n]

    @order.setter
    def order(self, ids: list[int]) -> None:
        self.queue = ",".join(str(n) for n in ids)

    @property
    def is_running(self) -> bool:
        return self.phase == "running"

    @property
    def timer_running(self) -> bool:
        return self.timer_ends_at is not None

    def seconds_left(self, now: datetime) -> int:
        """Whole seconds left on the timer (never below zero); the full length if not started."""
        if self.timer_ends_at is not None:
            return max(0, int((self.timer_ends_at - now).total_seconds() + 0.999))
        if self.timer_left is not None:
            return self.timer_left
        return self.timer_seconds


class SessionResult(db.Model):
    """A pitch's votes when the last voting round closed: later votes do not change it."""

    __tablename__ = "session_results"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("jam_sessions.event_id", ondelete="CASCADE"), primary_key=True
    )
    pitch_id: Mapped[int] = mapped_column(
        ForeignKey("pitches.id", ondelete="CASCADE"), primary_key=True
    )
    votes: Mapped[int] = mapped_column(Integer)
    # 1 for the most votes; pitches with as many votes share a rank.
    rank: Mapped[int] = mapped_column(Integer)

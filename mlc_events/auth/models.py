"""Members, their sign-in records and password-reset requests."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ..database import UTCDateTime, utcnow
from ..extensions import db

ROLES = ("member", "host", "admin")


def new_calendar_secret() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    intro: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="member")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Secret part of the personal calendar URL; rotating it kills the old URL.
    calendar_secret: Mapped[str] = mapped_column(String(64), default=new_calendar_secret)

    @property
    def calendar_token(self) -> str:
        return f"{self.id}-{self.calendar_secret}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        return f"{self.id}.{self.password_fingerprint}"

    @property
    def password_fingerprint(self) -> str:
        """Changes whenever the password does: makes reset links single-use."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    @property
    def is_host(self) -> bool:
        return self.role in ("host", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class LoginFailure(db.Model):
    """One failed sign-in, kept for the rate-limit window."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ResetRequest(db.Model):
    """One password-reset request, kept for the reset limits' windows."""

    __tablename__ = "reset_requests"
    __table_args__ = (
        Index("ix_reset_requests_email_at", "email", "at"),
        Index("ix_reset_requests_address_at", "address", "at"),
        Index("ix_reset_requests_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # As typed (normalised): requests for unknown emails count towards the address limit too.
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Whether a link was mailed: only these count towards the account's limit.
    mailed: Mapped[bool] = mapped_column(default=False, server_default=false())

"""Stored in-app notices: written inside the caller's transaction, shown until dismissed."""

from __future__ import annotations

from sqlalchemy import select

from ..database import utcnow
from ..errors import NotFound
from ..extensions import db
from .models import Notice


def notify(user_id: int, body: str, url: str | None = None) -> Notice:
    """Add a notice for a member; the caller commits."""
    notice = Notice(user_id=user_id, body=body[:500], url=url)
    db.session.add(notice)
    return notice


def unread_for(user_id: int) -> list[Notice]:
    return list(
        db.session.scalars(
            select(Notice)
            .where(Notice.user_id == user_id, Notice.read_at.is_(None))
            .order_by(Notice.created_at.desc(), Notice.id.desc())
            .limit(20)
        )
    )


def dismiss(user_id: int, notice_id: int) -> None:
    """Mark a member's own notice read."""
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.user_id != user_id:
        raise NotFound("No such notice.")
    notice.read_at = utcnow()
    db.session.commit()

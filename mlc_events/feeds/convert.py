"""Events as calendar items: what one reader may see of one event."""

from __future__ import annotations

from datetime import datetime

from ..events.models import Event
from ..web import absolute_url
from . import ical


def feed_event(event: Event, status: str | None = None, online: bool = False,
               stamp: datetime | None = None) -> ical.FeedEvent:  # fmt: skip
    """The calendar view of an event; ``online`` only for readers allowed the link."""
    return ical.FeedEvent(
        uid=event.uid,
        summary=event.title,
        start=event.starts_at,
        end=event.ends_at,
        timezone=event.timezone,
        sequence=event.sequence,
        created=event.created_at,
        stamp=max(event.updated_at, stamp) if stamp else event.updated_at,
        status="CANCELLED" if event.is_cancelled else (status or "CONFIRMED"),
        url=absolute_url("events.show", event_id=event.id),
        description=event.description,
        location=event.location,
        online_url=event.online_url or None if online else None,
        category=event.kind_label,
    )

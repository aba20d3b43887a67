"""Emailed invites: METHOD:REQUEST when a member is going or the event changes, CANCEL after."""

from __future__ import annotations

from ..auth.models import User
from ..database import utcnow
from ..events.models import Event
from ..mail import sender_address
from ..outbox.services import queue_mail
from ..timeutil import format_local
from ..web import absolute_url
from . import ical
from .convert import feed_event

REASONS = {
    "going": "You're going to {title}.",
    "promoted": "A place opened up: you're going to {title}.",
    "updated": "{title} has changed: here is the updated invitation.",
    "cancelled": "{title} was cancelled.",
    "left": "You're no longer going to {title}.",
}


def queue_invite(event: Event, user: User, reason: str) -> None:
    """Queue an invite (or its cancellation) for one member, in the caller's transaction."""
    cancel = reason in ("cancelled", "left")
    method = "CANCEL" if cancel else "REQUEST"
    # DTSTAMP of a scheduling message is when it was made: clients order updates by it.
    item = feed_event(
        event, status="CANCELLED" if cancel else "CONFIRMED", online=not cancel, stamp=utcnow()
    )
    organizer_name, organizer_email = sender_address()
    invite = ical.Invite(
        method=method,
        organizer_email=organizer_email,
        organizer_name=organizer_name,
        attendee_email=user.email,
        attendee_name=user.display_name,
        partstat="DECLINED" if cancel else "ACCEPTED",
    )
    when = format_local(event.starts_at, user.timezone or event.timezone)
    headline = REASONS[reason].format(title=event.title)
    lines = [f"Hello {user.display_name},", "", headline, "", f"When: {when}"]
    if event.location:
        lines.append(f"Where: {event.location}")
    if not cancel and event.online_url:
        lines.append(f"Join online: {event.online_url}")
    lines += ["", absolute_url("events.show", event_id=event.id)]
    if not cancel:
        lines += ["", "Can't make it after all? Change your RSVP on the event page so the next "
                  "person on the waitlist gets your place."]  # fmt: skip
    subject = ("Cancelled: " if cancel else ("Updated: " if reason == "updated" else "")) + (
        event.title
    )
    queue_mail(user.email, subject, "\n".join(lines) + "\n", ical.single(item, invite), method)

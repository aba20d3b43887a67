"""Which events go into which calendar, as what each reader may see of them."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

from sqlalchemy import or_, select

from ..auth.models import User
from ..database import utcnow
from ..errors import NotFound
from ..events.models import KINDS, RSVP, Event, event_hosts
from ..events.services import can_see_online_link, rsvp_of
from ..extensions import db
from ..timeutil import zone
from ..web import absolute_url
from . import ical
from .convert import feed_event

CANCELLED_KEPT = timedelta(days=30)
PAST_KEPT = timedelta(days=90)
SITE_NAME = "MLC events"


@dataclass
class Feed:
    """A calendar ready to send: its validators are known before its body is rendered."""

    etag: str
    last_modified: datetime
    render: callable  # () -> bytes
    filename: str


def _window():
    now = utcnow()
    return or_(
        (Event.status != "cancelled") & (Event.ends_at > now - PAST_KEPT),
        (Event.status == "cancelled") & (Event.cancelled_at > now - CANCELLED_KEPT),
    )


def _validators(items: list[ical.FeedEvent], salt: str) -> tuple[str, datetime]:
    digest = hashlib.sha256(salt.encode())
    for item in items:
        digest.update(f"{item.uid}|{item.sequence}|{item.stamp.isoformat()}|{item.status}|"
                      f"{bool(item.online_url)}\n".encode())  # fmt: skip
    last = max((i.stamp for i in items), default=datetime(2020, 1, 1, tzinfo=zone("UTC")))
    return f'"{digest.hexdigest()[:32]}"', last


def _make_feed(name: str, description: str, uid: str, url: str, items, filename: str) -> Feed:
    etag, last = _validators(items, uid + name)
    return Feed(
        etag=etag,
        last_modified=last,
        render=lambda: ical.feed(name, description, uid, url, items),
        filename=filename,
    )


def public_feed(kind: str | None = None) -> Feed:
    """Public events (of one kind): never members-only ones, never an online link."""
    if kind is not None and kind not in KINDS:
        raise NotFound("There is no such kind of event.")
    query = select(Event).where(Event.visibility == "public", _window())
    if kind:
        query = query.where(Event.kind == kind)
    events = db.session.scalars(query.order_by(Event.starts_at, Event.id)).all()
    items = [feed_event(e) for e in events]
    label = KINDS[kind] if kind else "All events"
    return _make_feed(
        f"{SITE_NAME}: {label}",
        f"{label} of the MLC community. Event pages: {absolute_url('events.index')}",
        f"calendar-{kind or 'all'}@mlc-events",
        absolute_url("feeds.kind_feed", kind=kind) if kind else absolute_url("feeds.public_feed"),
        items,
        f"mlc-{kind or 'events'}.ics",
    )


def user_for_token(token: str) -> User:
    """The member whose personal-feed token this is; NotFound otherwise, saying nothing more."""
    user_id, _, secret = (token or "").partition("-")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() and len(user_id) < 12 else None
    expected = user.calendar_secret if user else "x" * 43
    # Compare in constant time whether or not the member exists.
    if not hmac.compare_digest(expected.encode(), secret.encode()) or user is None:
        raise NotFound("There is no such calendar.")
    return user


def personal_feed(user: User) -> Feed:
    """Events the member hosts (CONFIRMED), is going to (CONFIRMED) or waits for (TENTATIVE)."""
    hosted = select(event_hosts.c.event_id).where(event_hosts.c.user_id == user.id)
    rows = db.session.execute(
        select(Event, RSVP)
        .outerjoin(RSVP, (RSVP.event_id == Event.id) & (RSVP.user_id == user.id))
        .where(_window())
        .where(or_(Event.id.in_(hosted), RSVP.status.in_(("going", "waitlisted"))))
        .order_by(Event.starts_at, Event.id)
    ).all()
    items = []
    for event, rsvp in rows:
        host = event.is_hosted_by(user)
        going = host or (rsvp is not None and rsvp.status == "going")
        items.append(
            feed_event(
                event,
                status="CONFIRMED" if going else "TENTATIVE",
                online=going,
                stamp=rsvp.updated_at if rsvp else None,
            )
        )
    return _make_feed(
        f"{SITE_NAME}: {user.display_name}",
        "The events you host, are going to, or are on the waitlist for.",
        f"calendar-user-{user.id}@mlc-events",
        absolute_url("feeds.personal_feed", token=user.calendar_token),
        items,
        "mlc-my-events.ics",
    )


def event_download(viewer, event: Event) -> Feed:
    """One event as .ics, with the online link if the viewer may see it."""
    rsvp = rsvp_of(viewer, event.id)
    status = "TENTATIVE" if rsvp is not None and rsvp.status == "waitlisted" else "CONFIRMED"
    item = feed_event(event, status=status, online=can_see_online_link(viewer, event))
    etag, last = _validators([item], f"event-{event.id}")
    return Feed(etag, last, lambda: ical.single(item), f"event-{event.id}.ics")


def rotate_token(user: User) -> str:
    """Give the member a new personal-feed secret; the old URL stops working at once."""
    from ..auth.models import new_calendar_secret

    user.calendar_secret = new_calendar_secret()
    db.session.commit()
    return user.calendar_token


# --- links for calendar apps ---------------------------------------------------------------


def subscribe_links(https_url: str) -> dict[str, str]:
    webcal = "webcal://" + https_url.split("://", 1)[1]
    return {
        "https": https_url,
        "webcal": webcal,
        "google": "https://calendar.google.com/calendar/r?" + urlencode({"cid": https_url}),
    }


def add_to_calendar_links(event: Event) -> dict[str, str]:
    """Prefilled links for Google and Outlook on the web: never with the online link."""
    tz = zone(event.timezone)
    page = absolute_url("events.show", event_id=event.id)
    details = f"{page}"
    location = event.location or "Online"
    google = "https://calendar.google.com/calendar/render?" + urlencode(
        {
            "action": "TEMPLATE",
            "text": event.title,
            "dates": f"{event.starts_at.astimezone(tz):%Y%m%dT%H%M%S}/"
            f"{event.ends_at.astimezone(tz):%Y%m%dT%H%M%S}",
            "ctz": event.timezone,
            "details": details,
            "location": location,
        },
        quote_via=quote,
    )
    outlook = "https://outlook.live.com/calendar/0/action/compose?" + urlencode(
        {
            "subject": event.title,
            "startdt": event.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "enddt": event.ends_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "body": details,
            "location": location,
            "path": "/calendar/action/compose",
            "rru": "addevent",
        },
        quote_via=quote,
    )
    return {"google": google, "outlook": outlook}

"""iCalendar output as pure functions: event data in, bytes out.

Each VEVENT and VTIMEZONE is rendered once and cached: an unchanged event renders to the
same bytes, so an unchanged feed is byte-identical and cheap to serve.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress, vDuration

from .vtimezone import vtimezone

PRODID = "-//mlc-events//mlc-events 1.0//EN"


@dataclass(frozen=True)
class FeedEvent:
    """What one reader may see of one event (the online link only if they may)."""

    uid: str
    summary: str
    start: datetime
    end: datetime
    timezone: str
    sequence: int
    created: datetime
    stamp: datetime
    status: str  # CONFIRMED, TENTATIVE or CANCELLED
    url: str
    description: str
    location: str
    online_url: str | None
    category: str


@dataclass(frozen=True)
class Invite:
    """Who sends an emailed invite and to whom."""

    method: str  # REQUEST or CANCEL
    organizer_email: str
    organizer_name: str
    attendee_email: str
    attendee_name: str
    partstat: str = "ACCEPTED"


def _description(item: FeedEvent) -> str:
    parts = [item.description.strip()] if item.description.strip() else []
    if item.online_url:
        parts.append(f"Join online: {item.online_url}")
    parts.append(f"Event page: {item.url}")
    return "\n\n".join(parts)


def _location(item: FeedEvent) -> str:
    if item.location:
        return item.location
    return item.online_url or ("Online" if item.online_url is None else "")


def build_vevent(item: FeedEvent, invite: Invite | None = None) -> Event:
    tz = ZoneInfo(item.timezone)
    event = Event.new(
        uid=item.uid,
        summary=item.summary,
        start=item.start.astimezone(tz),
        end=item.end.astimezone(tz),
        stamp=item.stamp,
        last_modified=item.stamp,
        created=item.created,
        sequence=item.sequence,
        status=item.status,
        url=item.url,
        description=_description(item),
        location=_location(item) or None,
        categories=[item.category],
    )
    if invite is not None:
        organizer = vCalAddress(f"mailto:{invite.organizer_email}")
        organizer.params["CN"] = invite.organizer_name
        event.add("organizer", organizer)
        attendee = vCalAddress(f"mailto:{invite.attendee_email}")
        attendee.params.update(
            {
                "CN": invite.attendee_name,
                "ROLE": "REQ-PARTICIPANT",
                "PARTSTAT": invite.partstat,
                "RSVP": "FALSE",
            }  # fmt: skip
        )
        event.add("attendee", attendee)
    return event


@lru_cache(maxsize=20_000)
def vevent_bytes(item: FeedEvent) -> bytes:
    """One VEVENT, rendered once per distinct state of the event."""
    return build_vevent(item).to_ical()


def _header(name: str, description: str, uid: str, url: str, method: str | None) -> bytes:
    calendar = Calendar.new(
        name=name, description=description, prodid=PRODID, uid=uid, url=url, method=method
    )
    if method is None:
        # RFC 7986 wants VALUE=DURATION, which icalendar's refresh_interval= leaves out.
        calendar.add("refresh-interval", vDuration(timedelta(hours=1)), {"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT1H")
    text = calendar.to_ical()
    return text[: text.rindex(b"END:VCALENDAR")]


def feed(name: str, description: str, uid: str, url: str, items: list[FeedEvent]) -> bytes:
    """A subscribable calendar: header, one VTIMEZONE per zone used, the events."""
    zones = sorted({i.timezone for i in items if i.timezone != "UTC"})
    parts = [_header(name, description, uid, url, None)]
    parts += [vtimezone(z) for z in zones]
    parts += [vevent_bytes(i) for i in items]
    parts.append(b"END:VCALENDAR\r\n")
    return b"".join(parts)


def single(item: FeedEvent, invite: Invite | None = None) -> bytes:
    """A one-event calendar: a download, or an emailed invite with METHOD and attendees."""
    method = invite.method if invite else "PUBLISH"
    calendar = Calendar.new(prodid=PRODID, method=method)
    if item.timezone != "UTC":
        calendar.add_component(Timezone.from_ical(vtimezone(item.timezone)))
    calendar.add_component(build_vevent(item, invite))
    return calendar.to_ical()

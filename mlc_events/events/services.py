"""Events and RSVPs: who may see and change what, the capacity and the waitlist."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import and_, func, or_, select

from ..auth.models import User
from ..database import utcnow
from ..errors import Conflict, NotFound, PermissionDenied, SignInRequired, ValidationFailed
from ..extensions import db
from ..feeds.invites import queue_invite
from ..markdown import render_markdown
from ..notices.services import notify
from ..timeutil import LocalTimeError, is_timezone, local_to_utc
from ..web import path_for
from .models import KINDS, RSVP, VISIBILITIES, Event

MAX_TITLE = 200
MAX_DESCRIPTION = 20_000
MAX_CAPACITY = 100_000


@dataclass
class EventInput:
    title: str
    kind: str
    starts_at: str
    ends_at: str
    timezone: str
    description: str = ""
    location: str = ""
    online_url: str = ""
    capacity: int | None = None
    visibility: str = "public"
    co_hosts: list[str] = field(default_factory=list)


@dataclass
class Attendance:
    going: int
    waitlisted: int


# --- seeing events -------------------------------------------------------------------------


def _signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def can_manage(user, event: Event) -> bool:
    return _signed_in(user) and (user.is_admin or event.is_hosted_by(user))


def get_visible_event(viewer, event_id: int) -> Event:
    """Return the event if the viewer may see it; raises NotFound or SignInRequired."""
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFound("There is no such event.")
    if event.visibility == "members" and not _signed_in(viewer):
        raise SignInRequired("Sign in to see this event.")
    return event


def get_managed_event(actor, event_id: int) -> Event:
    """Return the event if the actor hosts it or is an admin; raises otherwise."""
    if not _signed_in(actor):
        raise SignInRequired("Sign in first.")
    event = get_visible_event(actor, event_id)
    if not can_manage(actor, event):
        raise PermissionDenied("Only the event's hosts can do that.")
    return event


def _visible_filter(viewer):
    return True if _signed_in(viewer) else Event.visibility == "public"


def list_events(viewer, kind: str | None = None, past: bool = False, page: int = 1):
    """Upcoming (soonest first) or past (latest first) events the viewer may see."""
    if kind is not None and kind not in KINDS:
        raise NotFound("There is no such kind of event.")
    now = utcnow()
    query = select(Event).where(_visible_filter(viewer))
    if past:
        query = query.where(Event.ends_at <= now, Event.status != "cancelled").order_by(
            Event.starts_at.desc(), Event.id.desc()
        )
    else:
        query = query.where(Event.ends_at > now).order_by(Event.starts_at, Event.id)
    if kind:
        query = query.where(Event.kind == kind)
    return db.paginate(
        query, page=page, per_page=current_app.config["EVENTS_PER_PAGE"], error_out=False
    )


def upcoming(
    viewer, kind: str | None = None, limit: int = 8, exclude_kind: str | None = None
) -> list[Event]:
    query = (
        select(Event)
        .where(_visible_filter(viewer), Event.ends_at > utcnow(), Event.status != "cancelled")
        .order_by(Event.starts_at, Event.id)
        .limit(limit)
    )
    if kind:
        query = query.where(Event.kind == kind)
    if exclude_kind:
        query = query.where(Event.kind != exclude_kind)
    return list(db.session.scalars(query))


# --- creating and changing events ----------------------------------------------------------


def check_place_and_audience(data, errors: dict[str, str], going_now: int = 0) -> tuple[str, str]:
    """Check location, online link, capacity and visibility (events and series alike)."""
    location = (data.location or "").strip()
    online_url = (data.online_url or "").strip()
    if len(location) > 300:
        errors["location"] = "Keep the location under 300 characters."
    if online_url:
        parts = urlsplit(online_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(online_url) > 500:
            errors["online_url"] = "Enter a full web link, like https://meet.example.org/room"
    if not location and not online_url and "location" not in errors:
        errors["location"] = "Add a place, an online link, or both."
    capacity = data.capacity
    if capacity is not None:
        if capacity < 1:
            errors["capacity"] = "Capacity must be at least 1, or empty for no limit."
        elif capacity > MAX_CAPACITY:
            errors["capacity"] = f"Capacity must be at most {MAX_CAPACITY:,}."
        elif capacity < going_now:
            errors["capacity"] = (
                f"{going_now} members are already going: the capacity cannot be lower."
            )
    if data.visibility not in VISIBILITIES:
        errors["visibility"] = "Choose public or members only."
    return location, online_url


def _clean(data: EventInput, going_now: int = 0) -> dict:
    errors: dict[str, str] = {}
    title = (data.title or "").strip()
    if not title:
        errors["title"] = "Give the event a title."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Keep the title under {MAX_TITLE} characters."
    if data.kind not in KINDS:
        errors["kind"] = "Choose what kind of event this is."
    if len(data.description or "") > MAX_DESCRIPTION:
        errors["description"] = f"Keep the description under {MAX_DESCRIPTION:,} characters."
    tz = (data.timezone or "").strip()
    starts = ends = None
    if not is_timezone(tz):
        errors["timezone"] = "Choose a timezone from the list (for example Europe/London)."
    else:
        for name in ("starts_at", "ends_at"):
            try:
                value = local_to_utc(getattr(data, name) or "", tz)
            except LocalTimeError as exc:
                errors[name] = str(exc)
            else:
                if name == "starts_at":
                    starts = value
                else:
                    ends = value
        if starts and ends and ends <= starts:
            errors["ends_at"] = "The end must be after the start."
    location, online_url = check_place_and_audience(data, errors, going_now)
    capacity = data.capacity
    co_hosts: list[User] = []
    for email in data.co_hosts:
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            errors["co_hosts"] = f"No member has the email {email.strip()}."
            break
        co_hosts.append(user)
    if errors:
        raise ValidationFailed("Please correct the highlighted fields.", errors)
    return {
        "title": title,
        "kind": data.kind,
        "description": data.description or "",
        "description_html": render_markdown(data.description or ""),
        "starts_at": starts,
        "ends_at": ends,
        "timezone": tz,
        "location": location,
        "online_url": online_url,
        "capacity": capacity,
        "visibility": data.visibility,
        "co_hosts": co_hosts,
    }


def create_event(actor, data: EventInput) -> Event:
    """Create an event hosted by the actor (hosts and admins only)."""
    require_host(actor)
    values = _clean(data)
    co_hosts = values.pop("co_hosts")
    event = Event(**values)
    event.hosts = [actor] + [u for u in co_hosts if u.id != actor.id]
    db.session.add(event)
    db.session.commit()
    return event


SIGNIFICANT = ("starts_at", "ends_at", "timezone", "location", "online_url")


def _lock_event(event_id: int) -> Event:
    # PostgreSQL: a row lock serialises everything that changes one event's attendance.
    # SQLite: ignored, write transactions are already serialised (BEGIN IMMEDIATE).
    event = db.session.scalar(
        select(Event)
        .where(Event.id == event_id)
        .with_for_update(of=Event)
        .execution_options(populate_existing=True)
    )
    if event is None:
        raise NotFound("There is no such event.")
    return event


def update_event(actor, event_id: int, data: EventInput) -> Event:
    """Change an event; time and place changes bump its SEQUENCE; more room promotes."""
    get_managed_event(actor, event_id)
    event = _lock_event(event_id)
    if event.is_cancelled:
        raise Conflict("This event was cancelled; it can no longer be edited.")
    values = _clean(data, going_now=count_going(event.id))
    co_hosts = values.pop("co_hosts")
    significant = any(getattr(event, k) != values[k] for k in SIGNIFICANT)
    for key, value in values.items():
        setattr(event, key, value)
    hosts = {h.id: h for h in event.hosts}
    for user in co_hosts:
        hosts.setdefault(user.id, user)
    event.hosts = list(hosts.values())
    if significant:
        event.sequence += 1
    event.updated_at = utcnow()
    if significant:
        for rsvp in going_rsvps(event.id):
            queue_invite(event, rsvp.user, "updated")
    _promote_waitlisted(event)
    db.session.commit()
    return event


def cancel_event(actor, event_id: int) -> Event:
    """Cancel an event (hosts and admins); it stays visible as cancelled."""
    jam = get_managed_event(actor, event_id).kind == "research-jam"
    if jam:
        from ..jams.services import close_voting_for_cancel

        # Before the event's lock: the jam's settings row may not exist yet, and creating it
        # (as a first vote does too) checks the event's row; with the event locked first, a
        # first vote and the cancel would each wait for the other (PostgreSQL).
        close_voting_for_cancel(event_id)
    event = _lock_event(event_id)
    if event.is_cancelled:
        db.session.rollback()
        raise Conflict("This event was already cancelled.")
    now = utcnow()
    event.status = "cancelled"
    event.cancelled_at = now
    event.updated_at = now
    event.sequence += 1
    for rsvp in db.session.scalars(
        select(RSVP).where(RSVP.event_id == event.id, RSVP.status.in_(("going", "waitlisted")))
    ):
        notify(rsvp.user_id, f"{event.title} was cancelled.", _event_path(event))
        if rsvp.status == "going":
            queue_invite(event, rsvp.user, "cancelled")
    db.session.commit()
    if jam:
        from ..sessions.live import publish_session

        publish_session(event.id)  # every live screen says the jam was cancelled
    return event


# --- RSVPs ---------------------------------------------------------------------------------


def count_going(event_id: int) -> int:
    return db.session.scalar(
        select(func.count()).where(RSVP.event_id == event_id, RSVP.status == "going")
    )


def attendance(event_id: int) -> Attendance:
    rows = dict(
        db.session.execute(
            select(RSVP.status, func.count())
            .where(RSVP.event_id == event_id, RSVP.status.in_(("going", "waitlisted")))
            .group_by(RSVP.status)
        ).all()
    )
    return Attendance(going=rows.get("going", 0), waitlisted=rows.get("waitlisted", 0))


def rsvp_of(user, event_id: int) -> RSVP | None:
    if not _signed_in(user):
        return None
    return db.session.scalar(select(RSVP).where(RSVP.event_id == event_id, RSVP.user_id == user.id))


def waitlist_position(rsvp: RSVP) -> int:
    """1-based place of a waitlisted RSVP in the first-come queue."""
    ahead = db.session.scalar(
        select(func.count()).where(
            RSVP.event_id == rsvp.event_id,
            RSVP.status == "waitlisted",
            or_(
                RSVP.queued_at < rsvp.queued_at,
                and_(RSVP.queued_at == rsvp.queued_at, RSVP.id < rsvp.id),
            ),
        )
    )
    return ahead + 1


_UNKNOWN = object()


def can_see_online_link(user, event: Event, rsvp=_UNKNOWN) -> bool:
    """Hosts and going members see the online link; nobody else does.

    ``rsvp``: the user's RSVP to the event (or None) when the caller has it already.
    """
    if not _signed_in(user):
        return False
    if can_manage(user, event):
        return True
    if rsvp is _UNKNOWN:
        rsvp = rsvp_of(user, event.id)
    return rsvp is not None and rsvp.status == "going"


def attendees(actor, event_id: int) -> tuple[list[RSVP], list[RSVP]]:
    """Going and waitlisted RSVPs, in order (hosts and admins only)."""
    event = get_managed_event(actor, event_id)
    rows = list(
        db.session.scalars(
            select(RSVP)
            .where(RSVP.event_id == event.id, RSVP.status.in_(("going", "waitlisted")))
            .order_by(RSVP.queued_at, RSVP.id)
        )
    )
    return [r for r in rows if r.status == "going"], [r for r in rows if r.status == "waitlisted"]


def _promote_waitlisted(event: Event) -> list[RSVP]:
    if event.is_cancelled or event.is_past:
        return []
    going = count_going(event.id)
    room = None if event.capacity is None else event.capacity - going
    query = (
        select(RSVP)
        .where(RSVP.event_id == event.id, RSVP.status == "waitlisted")
        .order_by(RSVP.queued_at, RSVP.id)
    )
    if room is not None:
        if room <= 0:
            return []
        query = query.limit(room)
    promoted = list(db.session.scalars(query))
    now = utcnow()
    for rsvp in promoted:
        rsvp.status = "going"
        rsvp.updated_at = now
        notify(
            rsvp.user_id,
            f"A place opened up: you're going to {event.title}.",
            _event_path(event),
        )
        queue_invite(event, rsvp.user, "promoted")
    return promoted


def going_rsvps(event_id: int) -> list[RSVP]:
    return list(
        db.session.scalars(select(RSVP).where(RSVP.event_id == event_id, RSVP.status == "going"))
    )


def _event_path(event: Event) -> str:
    return path_for("events.show", event_id=event.id)


def set_rsvp(actor, event_id: int, status: str) -> RSVP:
    """Set the actor's RSVP. A full event puts ``going`` on the waitlist; leaving promotes."""
    rsvp = apply_rsvp(actor, event_id, status)
    db.session.commit()
    return rsvp


def apply_rsvp(actor, event_id: int, status: str, via_series: bool = False) -> RSVP:
    """``set_rsvp`` inside the caller's transaction (the caller commits)."""
    if not _signed_in(actor):
        raise SignInRequired("Sign in to RSVP.")
    if status not in ("going", "not_going"):
        raise ValidationFailed(
            "Choose going or not going.", {"status": "Choose going or not going."}
        )
    get_visible_event(actor, event_id)
    event = _lock_event(event_id)
    if event.is_cancelled:
        raise Conflict("This event was cancelled.")
    if event.is_past:
        raise Conflict("This event is over: RSVPs are closed.")
    rsvp = rsvp_of(actor, event.id)
    now = utcnow()
    if status == "going":
        if rsvp is not None and rsvp.status in ("going", "waitlisted"):
            return rsvp
        full = event.capacity is not None and count_going(event.id) >= event.capacity
        new_status = "waitlisted" if full else "going"
        if rsvp is None:
            rsvp = RSVP(event_id=event.id, user_id=actor.id, status=new_status, queued_at=now)
            db.session.add(rsvp)
        else:
            rsvp.status, rsvp.queued_at = new_status, now
        rsvp.via_series = via_series
        if new_status == "going":
            queue_invite(event, actor, "going")
    else:
        if rsvp is None:
            rsvp = RSVP(event_id=event.id, user_id=actor.id, status="not_going", queued_at=now)
            db.session.add(rsvp)
        elif rsvp.status != "not_going":
            was_going = rsvp.status == "going"
            rsvp.status, rsvp.via_series = "not_going", False
            db.session.flush()
            if was_going:
                queue_invite(event, actor, "left")
                _promote_waitlisted(event)
    rsvp.updated_at = now
    db.session.flush()
    return rsvp


def parse_co_hosts(raw: str | None) -> list[str]:
    return [e.strip() for e in (raw or "").replace(";", ",").split(",") if e.strip()]


def require_host(actor) -> None:
    """Raise unless the actor may create events."""
    if not _signed_in(actor):
        raise SignInRequired("Sign in first.")
    if not actor.is_host:
        raise PermissionDenied("Only hosts can create events. Ask an admin to make you a host.")

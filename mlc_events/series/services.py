"""Recurring series: the dates of a rule, instances generated ahead, standing RSVPs."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..database import utcnow
from ..errors import NotFound, PermissionDenied, SignInRequired, ValidationFailed
from ..events import services as events
from ..events.models import KINDS, RSVP, Event
from ..extensions import db
from ..feeds.invites import queue_invite
from ..markdown import render_markdown
from ..notices.services import notify
from ..timeutil import LocalTimeError, is_timezone, local_to_utc, zone
from .models import FREQUENCIES, Series, StandingRSVP

MAX_HORIZON_WEEKS = 52


@dataclass
class SeriesInput:
    title: str
    kind: str
    timezone: str
    start_time: str  # HH:MM, wall clock in the series' zone
    duration_minutes: int | None
    first_date: str  # YYYY-MM-DD: the first instance; gives the weekday
    frequency: str = "weekly"
    interval: int | None = 1
    monthly_week: str = ""  # 1-4 or "last"; empty: from the first date
    until: str = ""
    horizon_weeks: int | None = 8
    description: str = ""
    location: str = ""
    online_url: str = ""
    capacity: int | None = None
    visibility: str = "public"


# --- dates ---------------------------------------------------------------------------------


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    days = [
        d for d in range(1, calendar.monthrange(year, month)[1] + 1)
        if date(year, month, d).weekday() == weekday
    ]  # fmt: skip
    if nth == -1:
        return date(year, month, days[-1])
    return date(year, month, days[nth - 1]) if nth <= len(days) else None


def occurrences(series: Series, start: date, end: date) -> list[date]:
    """The rule's dates from ``start`` to ``end`` (inclusive), never before the first date."""
    end = min(end, series.until) if series.until else end
    result: list[date] = []
    if series.frequency == "weekly":
        step = timedelta(weeks=series.interval)
        day = series.first_date
        if start > day:
            day += step * ((start - day).days // step.days)
        while day <= end:
            if day >= start:
                result.append(day)
            day += step
        return result
    year, month = series.first_date.year, series.first_date.month
    while date(year, month, 1) <= end:
        day = _nth_weekday(year, month, series.weekday, series.nth or 1)
        if day and series.first_date <= day and start <= day <= end:
            result.append(day)
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return result


def instance_times(series: Series, day: date) -> tuple[datetime, datetime]:
    """UTC start and end of the instance on ``day``: the wall clock is fixed, DST or not."""
    hour, minute = (int(p) for p in series.start_time.split(":"))
    local = datetime(day.year, day.month, day.day, hour, minute)
    try:
        starts = local_to_utc(local, series.timezone)
    except LocalTimeError:
        # The clocks jump over this time that day: start when the clocks say that hour + 1.
        starts = local_to_utc(local + timedelta(hours=1), series.timezone)
    return starts, starts + timedelta(minutes=series.duration_minutes)


# --- validation ----------------------------------------------------------------------------


def _parse_date(raw: str, field: str, errors: dict) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        errors[field] = "Use the form YYYY-MM-DD."
        return None


def _clean(data: SeriesInput) -> dict:
    errors: dict[str, str] = {}
    title = (data.title or "").strip()
    if not title:
        errors["title"] = "Give the series a title."
    elif len(title) > 200:
        errors["title"] = "Keep the title under 200 characters."
    if data.kind not in KINDS:
        errors["kind"] = "Choose what kind of event this is."
    if not is_timezone(data.timezone):
        errors["timezone"] = "Choose a timezone from the list (for example Europe/London)."
    try:
        hour, minute = (int(p) for p in (data.start_time or "").split(":"))
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError
        start_time = f"{hour:02d}:{minute:02d}"
    except ValueError:
        errors["start_time"] = "Enter a time as HH:MM, for example 17:00."
        start_time = ""
    duration = data.duration_minutes
    if duration is None or not 5 <= duration <= 24 * 60:
        errors["duration_minutes"] = "Enter a length between 5 minutes and 24 hours."
    first = _parse_date(data.first_date, "first_date", errors)
    until = _parse_date(data.until, "until", errors) if (data.until or "").strip() else None
    if first and until and until < first:
        errors["until"] = "The last date must be after the first one."
    if data.frequency not in FREQUENCIES:
        errors["frequency"] = "Choose weekly or monthly."
    interval = data.interval if data.frequency == "weekly" else 1
    if interval is None or not 1 <= interval <= 8:
        errors["interval"] = "Repeat every 1 to 8 weeks."
    nth = None
    if data.frequency == "monthly" and first:
        week = (data.monthly_week or "").strip()
        if not week:
            nth = -1 if first.day + 7 > calendar.monthrange(first.year, first.month)[1] else (
                (first.day - 1) // 7 + 1
            )  # fmt: skip
        elif week == "last":
            nth = -1
        elif week in ("1", "2", "3", "4"):
            nth = int(week)
        else:
            errors["monthly_week"] = "Choose the first, second, third, fourth or last week."
        if nth and first:
            # Start on the first date that fits the rule, on or after the one given.
            year, month = first.year, first.month
            while (day := _nth_weekday(year, month, first.weekday(), nth)) is None or day < first:
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            first = day
    horizon = data.horizon_weeks
    if horizon is None or not 1 <= horizon <= MAX_HORIZON_WEEKS:
        errors["horizon_weeks"] = f"Plan 1 to {MAX_HORIZON_WEEKS} weeks ahead."
    location, online_url = events.check_place_and_audience(data, errors)
    if len(data.description or "") > events.MAX_DESCRIPTION:
        errors["description"] = "The description is too long."
    if errors:
        raise ValidationFailed("Please correct the highlighted fields.", errors)
    return {
        "title": title, "kind": data.kind, "description": data.description or "",
        "timezone": data.timezone, "start_time": start_time, "duration_minutes": duration,
        "location": location, "online_url": online_url, "capacity": data.capacity,
        "visibility": data.visibility, "frequency": data.frequency, "interval": interval,
        "weekday": first.weekday(), "nth": nth, "first_date": first, "until": until,
        "horizon_weeks": horizon,
    }  # fmt: skip


# --- permissions ---------------------------------------------------------------------------


def get_series(viewer, series_id: int) -> Series:
    series = db.session.get(Series, series_id)
    if series is None:
        raise NotFound("There is no such series.")
    if series.visibility == "members" and not getattr(viewer, "is_authenticated", False):
        raise SignInRequired("Sign in to see this series.")
    return series


def can_manage(user, series: Series) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_admin or series.is_hosted_by(user)
    )


def get_managed(actor, series_id: int) -> Series:
    if not getattr(actor, "is_authenticated", False):
        raise SignInRequired("Sign in first.")
    series = get_series(actor, series_id)
    if not can_manage(actor, series):
        raise PermissionDenied("Only the series' hosts can do that.")
    return series


# --- instances -----------------------------------------------------------------------------


def _instance_values(series: Series, day: date) -> dict:
    starts, ends = instance_times(series, day)
    return {
        "title": series.title, "kind": series.kind, "description": series.description,
        "description_html": render_markdown(series.description), "starts_at": starts,
        "ends_at": ends, "timezone": series.timezone, "location": series.location,
        "online_url": series.online_url, "capacity": series.capacity,
        "visibility": series.visibility,
    }  # fmt: skip


def _apply_standing(event: Event, standing: list[StandingRSVP]) -> None:
    going = 0
    now = utcnow()
    for offset, entry in enumerate(standing):
        full = event.capacity is not None and going >= event.capacity
        status = "waitlisted" if full else "going"
        db.session.add(
            RSVP(event_id=event.id, user_id=entry.user_id, status=status, via_series=True,
                 queued_at=now + timedelta(microseconds=offset), updated_at=now)
        )  # fmt: skip
        if status == "going":
            going += 1
            queue_invite(event, entry.user, "going")


def extend(series: Series, today: date | None = None) -> int:
    """Create the instances due within the series' horizon; returns how many were new."""
    if not series.active:
        return 0
    today = today or utcnow().astimezone(zone(series.timezone)).date()
    horizon = today + timedelta(weeks=series.horizon_weeks)
    existing = set(
        db.session.scalars(select(Event.series_date).where(Event.series_id == series.id))
    )
    standing = list(
        db.session.scalars(
            select(StandingRSVP)
            .where(StandingRSVP.series_id == series.id)
            .order_by(StandingRSVP.created_at, StandingRSVP.id)
        )
    )
    created = 0
    for day in occurrences(series, today, horizon):
        if day in existing:
            continue  # skipped and moved instances keep their date: never made again
        event = Event(**_instance_values(series, day), series_id=series.id, series_date=day)
        event.hosts = list(series.hosts)
        db.session.add(event)
        db.session.flush()
        _apply_standing(event, standing)
        created += 1
    return created


def extend_all(today: date | None = None) -> int:
    """Extend every active series (the running server does this hourly, and cron may)."""
    created = 0
    for series in db.session.scalars(select(Series).where(Series.active.is_(True))):
        created += extend(series, today)
    db.session.commit()
    return created


def create_series(actor, data: SeriesInput, today: date | None = None) -> Series:
    """Create a series hosted by the actor and its first instances."""
    events.require_host(actor)
    series = Series(**_clean(data))
    series.hosts = [actor]
    db.session.add(series)
    db.session.flush()
    extend(series, today)
    db.session.commit()
    return series


def upcoming_instances(series: Series, limit: int = 20) -> list[Event]:
    return list(
        db.session.scalars(
            select(Event)
            .where(Event.series_id == series.id, Event.ends_at > utcnow())
            .order_by(Event.starts_at)
            .limit(limit)
        )
    )


def update_series(actor, series_id: int, data: SeriesInput, today: date | None = None) -> Series:
    """Apply a change of the series to its future instances.

    A field changes on an instance only where the series changed it and the instance still
    had the series' old value: a week's own title, paper or moved time stays as it is.
    """
    series = get_managed(actor, series_id)
    values = _clean(data)
    now = utcnow()
    future = db.session.scalars(
        select(Event).where(
            Event.series_id == series.id, Event.starts_at > now, Event.status == "scheduled"
        )
    ).all()
    before = {e.id: _instance_values(series, e.series_date) for e in future}
    for key, value in values.items():
        setattr(series, key, value)
    series.updated_at = now
    db.session.flush()
    today = today or now.astimezone(zone(series.timezone)).date()
    keep = set(occurrences(series, today, today + timedelta(weeks=series.horizon_weeks)))
    for event in future:
        if event.series_date not in keep:
            # The rule no longer has this date (say, the weekday changed): cancel it.
            _cancel_instance(event, now)
            continue
        old, new = before[event.id], _instance_values(series, event.series_date)
        changes = {
            key: value for key, value in new.items()
            if value != old[key] and getattr(event, key) == old[key]
        }  # fmt: skip
        if "description" in changes:
            changes["description_html"] = new["description_html"]
        significant = any(key in changes for key in events.SIGNIFICANT)
        for key, value in changes.items():
            setattr(event, key, value)
        event.hosts = list({h.id: h for h in [*event.hosts, *series.hosts]}.values())
        event.updated_at = now
        if significant:
            event.sequence += 1
            for rsvp in events.going_rsvps(event.id):
                queue_invite(event, rsvp.user, "updated")
    extend(series, today)
    db.session.commit()
    return series


def _cancel_instance(event: Event, now: datetime) -> None:
    event.status, event.cancelled_at, event.updated_at = "cancelled", now, now
    event.sequence += 1
    for rsvp in events.going_rsvps(event.id):
        notify(rsvp.user_id, f"{event.title} was cancelled.", f"/events/{event.id}")
        queue_invite(event, rsvp.user, "cancelled")


def standing_of(user, series: Series) -> StandingRSVP | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(StandingRSVP).where(
            StandingRSVP.series_id == series.id, StandingRSVP.user_id == user.id
        )
    )


def set_standing(actor, series_id: int, on: bool) -> dict[str, int]:
    """Go to every event (on), or stop (off: only what the standing RSVP made is withdrawn).

    Returns how many upcoming events the member is now going to and waiting for.
    """
    if not getattr(actor, "is_authenticated", False):
        raise SignInRequired("Sign in to RSVP.")
    series = get_series(actor, series_id)
    current = standing_of(actor, series)
    upcoming = [e.id for e in upcoming_instances(series, limit=200) if not e.is_cancelled]
    if on and current is None:
        db.session.add(StandingRSVP(series_id=series.id, user_id=actor.id))
        for event_id in upcoming:
            if events.rsvp_of(actor, event_id) is None:  # "not this week" stays as it was
                events.apply_rsvp(actor, event_id, "going", via_series=True)
    elif not on and current is not None:
        db.session.delete(current)
        for event_id in upcoming:
            rsvp = events.rsvp_of(actor, event_id)
            if rsvp is not None and rsvp.via_series and rsvp.status != "not_going":
                events.apply_rsvp(actor, event_id, "not_going")
    db.session.commit()
    statuses = [events.rsvp_of(actor, event_id) for event_id in upcoming]
    return {
        "going": sum(1 for r in statuses if r is not None and r.status == "going"),
        "waitlisted": sum(1 for r in statuses if r is not None and r.status == "waitlisted"),
    }

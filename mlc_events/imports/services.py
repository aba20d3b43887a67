"""Import events from an iCalendar file: Google, Luma and Outlook exports.

Each occurrence becomes one :class:`Event`, found again on the next import by the source's
UID and RECURRENCE-ID (``source_uid``, ``source_recurrence_id``); our own ``uid`` stays ours.
Recurring events are expanded with ``recurring-ical-events`` (RRULE, RDATE, EXDATE and moved
instances) over a window around now. A bad event is skipped with a reason; the others go in.

Time zones, in order: a TZID that is an IANA name, a Windows name (``W. Europe Standard
Time``) or a vendor-prefixed IANA name (``/mozilla.org/.../Europe/Paris``); a VTIMEZONE's
``X-LIC-LOCATION``. Anything else is an unknown zone: the event is skipped. UTC times in a
calendar with ``X-WR-TIMEZONE`` (Google) are read in that zone, as Google means them. Floating
times (no zone) are read in ``X-WR-TIMEZONE`` if there is one, else as UTC (with a note).
All-day events run from midnight to midnight in the calendar's ``X-WR-TIMEZONE``, else the
host's profile zone, else UTC.
"""

from __future__ import annotations

import hashlib
import re
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..auth.models import User
from ..database import utcnow
from ..errors import ValidationFailed
from ..events.models import KINDS, RSVP, Event
from ..extensions import db
from ..markdown import render_markdown
from ..timeutil import is_timezone

MAX_TITLE = 200
MAX_DESCRIPTION = 20_000
MAX_LOCATION = 300
MAX_URL = 500
MAX_SOURCE_UID = 500
MAX_DOWNLOAD = 20 * 1024 * 1024
BATCH = 50
DEFAULT_DURATION = timedelta(hours=1)
PAST_DAYS = 90
NO_PLACE = "See description"
# Fields whose change bumps SEQUENCE (with the status), as in the events service.
SIGNIFICANT = ("starts_at", "ends_at", "timezone", "location", "online_url")
COMPARED = ("title", "description", *SIGNIFICANT)

# Hosts of video-call links: these become the (private) online link, never public text.
MEETING_HOSTS = (
    "zoom.us",
    "zoom.com",
    "meet.google.com",
    "hangouts.google.com",
    "teams.microsoft.com",
    "teams.live.com",
    "whereby.com",
    "meet.jit.si",
    "webex.com",
    "gotomeeting.com",
    "meet.goto.com",
    "bluejeans.com",
    "chime.aws",
)
_URL = re.compile(r"https?://[^\s<>\"'\])]+", re.IGNORECASE)
# Google appends a block with the Meet link and "Please do not edit this section."
_GOOGLE_BLOCK = re.compile(r"-::~:~::~:~[:~]*::-.*?-::~:~::~:~[:~]*::-", re.DOTALL)
_HTML_TAG = re.compile(r"<(br|p|div|a|b|i|u|strong|em|ul|ol|li|span|html|body)\b[^>]*>", re.I)


class NotICalendar(ValidationFailed):
    """The data is not an iCalendar file at all."""


class SourceUnavailable(ValidationFailed):
    """The file or URL could not be read."""


class _Skip(Exception):
    """This event (or series) cannot be imported; the message says why."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    calendar_name: str = ""

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def nothing_read(self) -> bool:
        """Nothing could be used although there were events: the import failed."""
        return self.imported == 0 and bool(self.skipped)

    def summary(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.skipped)} skipped."
        )


@dataclass
class _Outcome(ImportReport):
    """One UID's share of the report, and whom to tell about the changes."""

    changes: list[tuple[Event, str]] = field(default_factory=list)


@dataclass
class SourceCalendar:
    """A parsed file: its VEVENTs, VTIMEZONEs and calendar-wide zone."""

    events: list[icalendar.Event]
    timezones: dict[str, icalendar.Timezone]
    zone: ZoneInfo | None
    name: str = ""
    notes: list[str] = field(default_factory=list)


# --- reading the file ----------------------------------------------------------------------


def load_source(source: str, timeout: float = 30) -> bytes:
    """The bytes of a local file or an http(s) (or webcal) URL; SourceUnavailable otherwise."""
    if source.lower().startswith("webcal://"):
        source = "https://" + source[len("webcal://") :]
    if source.lower().startswith(("http://", "https://")):
        request = urllib.request.Request(
            source, headers={"User-Agent": "mlc-events-import", "Accept": "text/calendar, */*"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                data = response.read(MAX_DOWNLOAD + 1)
        except urllib.error.HTTPError as exc:
            raise SourceUnavailable(
                f"Could not download {source}: the server answered {exc.code} {exc.reason}."
            ) from exc
        except urllib.error.URLError as exc:
            raise SourceUnavailable(f"Could not download {source}: {exc.reason}.") from exc
        except (TimeoutError, OSError, ValueError) as exc:
            raise SourceUnavailable(f"Could not download {source}: {exc}.") from exc
        if len(data) > MAX_DOWNLOAD:
            raise SourceUnavailable(f"{source} is larger than {MAX_DOWNLOAD // 2**20} MB.")
        return data
    path = Path(source)
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise SourceUnavailable(f"There is no file {source}.") from exc
    except IsADirectoryError as exc:
        raise SourceUnavailable(f"{source} is a folder, not an .ics file.") from exc
    except OSError as exc:
        raise SourceUnavailable(f"Could not read {source}: {exc.strerror or exc}.") from exc


def read_calendar(data: bytes) -> SourceCalendar:
    """Parse iCalendar data; NotICalendar if it is not iCalendar at all."""
    not_ical = NotICalendar(
        "This file is not an iCalendar file: it should start with BEGIN:VCALENDAR "
        "(export the calendar as .ics)."
    )
    if isinstance(data, str):
        data = data.encode()
    data = data.removeprefix(b"\xef\xbb\xbf")
    if not data.strip():
        raise not_ical
    with warnings.catch_warnings():
        # icalendar warns when it guesses a vendor-prefixed TZID; the guess is what we want.
        warnings.simplefilter("ignore")
        try:
            components = icalendar.Calendar.from_ical(data, multiple=True)
        except Exception as exc:  # the parser raises ValueError and friends on non-iCalendar
            raise not_ical from exc
    events: list[icalendar.Event] = []
    timezones: dict[str, icalendar.Timezone] = {}
    name = zone_name = ""
    found = False
    for component in components:
        if component.name == "VCALENDAR":
            found = True
            name = name or str(component.get("X-WR-CALNAME", component.get("NAME", ""))).strip()
            zone_name = zone_name or str(component.get("X-WR-TIMEZONE", "")).strip()
            events.extend(component.walk("VEVENT"))
            for tz in component.walk("VTIMEZONE"):
                if tz.get("TZID"):
                    timezones.setdefault(str(tz["TZID"]), tz)
        elif component.name == "VEVENT":
            found = True
            events.append(component)
    if not found:
        raise not_ical
    notes = []
    zone = None
    if zone_name:
        iana = _iana_name(zone_name, timezones)
        if iana:
            zone = ZoneInfo(iana)
        else:
            notes.append(
                f"The calendar's time zone (X-WR-TIMEZONE) {zone_name!r} is unknown: ignored."
            )
    return SourceCalendar(events, timezones, zone, name, notes)


def _iana_name(tzid: str, timezones: dict[str, icalendar.Timezone]) -> str | None:
    """An IANA zone name for a TZID, or None when we cannot tell."""
    candidates = [tzid, tzid.strip("/"), WINDOWS_TO_OLSON.get(tzid.strip(), "")]
    vtimezone = timezones.get(tzid)
    if vtimezone is not None:
        candidates.append(str(vtimezone.get("X-LIC-LOCATION", "")))
    if tzid.startswith("/"):  # "globally unique" /vendor/Area/City
        parts = tzid.strip("/").split("/")
        candidates += ["/".join(parts[i:]) for i in range(1, len(parts))]
    for name in candidates:
        name = name.strip()
        if name and is_timezone(name):
            return name
    return None


# --- one VEVENT ----------------------------------------------------------------------------


def _text(component, name: str) -> str:
    value = component.get(name)
    if value is None:
        return ""
    if isinstance(value, list):  # a property given twice: take the first
        value = value[0]
    return str(value).replace("\x00", "").strip()


def _label(component, uid: str, when: date | None = None) -> str:
    title = " ".join(_text(component, "SUMMARY").split()) or "Untitled event"
    if len(title) > 60:
        title = title[:59] + "…"
    on = f" on {when:%Y-%m-%d}" if when else ""
    return f'"{title}"{on} (UID {uid})'


class _Normaliser:
    """Puts every date-time of a VEVENT into an IANA ZoneInfo (or keeps it a date)."""

    def __init__(self, source: SourceCalendar):
        self.source = source
        self.floating = 0
        self.floating_events: list[str] = []

    def value(self, value, tzid: str | None):
        if isinstance(value, tuple):  # RDATE;VALUE=PERIOD: (start, end or duration)
            start, rest = value
            start = self.value(start, tzid)
            return (start, self.value(rest, tzid) if isinstance(rest, datetime) else rest)
        if not isinstance(value, datetime):
            return value  # a date, or a duration
        tzinfo = value.tzinfo
        if tzinfo is None:
            if tzid:
                raise _Skip(
                    f"its time zone {tzid!r} is unknown (not an IANA zone such as "
                    "Europe/London, nor a Windows zone name)"
                )
            self.floating += 1
            return value.replace(tzinfo=self.source.zone or ZoneInfo("UTC"))
        key = getattr(tzinfo, "key", None)
        if key is None and value.utcoffset() == timedelta(0) and tzinfo.tzname(value) == "UTC":
            key = "UTC"
        if key and is_timezone(key):
            if key in ("UTC", "Etc/UTC") and self.source.zone is not None:
                # Google exports UTC times and means them in the calendar's zone.
                return value.astimezone(self.source.zone)
            return value.astimezone(ZoneInfo(key)) if tzinfo is not ZoneInfo(key) else value
        # A zone built from a VTIMEZONE (Outlook's Windows names, custom names): map it.
        name = tzid or str(tzinfo)
        iana = _iana_name(name, self.source.timezones) if tzid else None
        if iana is None:
            raise _Skip(
                f"its time zone {name!r} is unknown (not an IANA zone such as Europe/London, "
                "nor a Windows zone name)"
            )
        return value.replace(tzinfo=ZoneInfo(iana))

    def prop(self, component, name: str) -> None:
        if name not in component:
            return
        raw = component[name]
        props = raw if isinstance(raw, list) else [raw]
        values = []
        for prop in props:
            params = getattr(prop, "params", None) or {}
            tzid = params.get("TZID")
            if _readable(prop, "dts"):  # EXDATE, RDATE: lists
                values.extend(self.value(item.dt, tzid) for item in prop.dts)
            elif _readable(prop, "dt"):
                values.append(self.value(prop.dt, tzid))
            else:
                raise _Skip(f"its {name} {str(prop)!r} could not be read")
        del component[name]
        if name in ("EXDATE", "RDATE"):
            if values:
                component.add(name, values)
        else:
            component.add(name, values[0])


def _readable(prop, name: str) -> bool:
    """Whether the parsed property has this attribute (broken properties raise on access)."""
    try:
        getattr(prop, name)
    except Exception:  # AttributeError, icalendar's BrokenCalendarProperty
        return False
    return True


def _prepare(component, normaliser: _Normaliser, label: str) -> None:
    """Check and normalise one VEVENT in place; raises _Skip with the reason."""
    floating = normaliser.floating
    _check_and_normalise(component, normaliser)
    if normaliser.floating > floating:
        normaliser.floating_events.append(label)


def _check_and_normalise(component, normaliser: _Normaliser) -> None:
    start_prop = component.get("DTSTART")
    if start_prop is None:
        raise _Skip("it has no start time (DTSTART)")
    if isinstance(start_prop, list) or not _readable(start_prop, "dt"):
        raise _Skip(f"its start time (DTSTART) {str(start_prop)!r} could not be read")
    for name, problem in component.errors:
        if name in ("DTEND", "DURATION", "RECURRENCE-ID", "RRULE"):
            raise _Skip(f"its {name} could not be read ({problem})")
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE"):
        normaliser.prop(component, name)
    start = component["DTSTART"].dt
    all_day = not isinstance(start, datetime)
    if "DTEND" in component:
        end = component["DTEND"].dt
        if isinstance(end, datetime) != (not all_day):
            raise _Skip("its start and end mix a date with a date and time")
        del component["DTEND"]
    elif "DURATION" in component:
        duration = component["DURATION"].dt
        if not isinstance(duration, timedelta):
            raise _Skip("its DURATION could not be read")
        end = start + duration
        del component["DURATION"]
    else:
        end = start
    if end < start:
        raise _Skip(f"it ends ({_show(end)}) before it starts ({_show(start)})")
    if end == start:  # no end, or a zero-length event: give it the usual length
        end = start + (timedelta(days=1) if all_day else DEFAULT_DURATION)
    component.add("DTEND", end)


def _show(value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") + (f" {value.tzname()}" if value.tzinfo else "")
    return value.isoformat()


# --- turning an occurrence into event fields ------------------------------------------------


def _is_meeting_link(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in MEETING_HOSTS)


def _valid_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and len(url) <= MAX_URL


def _clean_url(url: str) -> str:
    return url.rstrip(".,;:!?")


class _HTMLToMarkdown(HTMLParser):
    """Google writes descriptions as HTML; we store Markdown."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.href: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self._emit("  \n")
        elif tag in ("p", "div") and self.out:
            self._emit("\n\n")
        elif tag == "li":
            self._emit("\n- ")
        elif tag in ("b", "strong"):
            self._emit("**")
        elif tag in ("i", "em"):
            self._emit("*")
        elif tag == "a":
            self.href = dict(attrs).get("href") or ""
            self.link_text = []

    def handle_endtag(self, tag):
        if tag in ("p", "div", "ul", "ol"):
            self._emit("\n\n")
        elif tag in ("b", "strong"):
            self._emit("**")
        elif tag in ("i", "em"):
            self._emit("*")
        elif tag == "a" and self.href is not None:
            text, href = "".join(self.link_text).strip(), self.href
            self.href = None
            if href.startswith(("http://", "https://", "mailto:")) and text and text != href:
                self.out.append(f"[{text}]({href})")
            else:
                self.out.append(text or href)

    def handle_data(self, data):
        self._emit(data)

    def _emit(self, text: str):
        (self.link_text if self.href is not None else self.out).append(text)

    def markdown(self) -> str:
        text = "".join(self.out)
        return re.sub(r"\n{3,}", "\n\n", text).strip()


def _description_text(raw: str) -> str:
    if _HTML_TAG.search(raw):
        parser = _HTMLToMarkdown()
        parser.feed(raw)
        parser.close()
        return parser.markdown()
    return unescape(raw) if "&amp;" in raw or "&lt;" in raw else raw


def _fields(component, zone_for_dates: ZoneInfo) -> dict:
    """Our event fields from one occurrence (already normalised and expanded)."""
    start, end = component["DTSTART"].dt, component["DTEND"].dt
    if isinstance(start, datetime):
        tz_name = start.tzinfo.key
        starts_at, ends_at = start.astimezone(UTC), end.astimezone(UTC)
    else:
        tz_name = zone_for_dates.key
        starts_at = datetime.combine(start, time(0), tzinfo=zone_for_dates).astimezone(UTC)
        ends_at = datetime.combine(end, time(0), tzinfo=zone_for_dates).astimezone(UTC)
    if ends_at <= starts_at:  # a DST change can squeeze an event to nothing
        ends_at = starts_at + DEFAULT_DURATION

    title = " ".join(_text(component, "SUMMARY").split()) or "Untitled event"
    if len(title) > MAX_TITLE:
        title = title[: MAX_TITLE - 1] + "…"

    description = _description_text(_text(component, "DESCRIPTION"))
    description = _GOOGLE_BLOCK.sub("", description).strip()
    location = _text(component, "LOCATION")
    page_url = _clean_url(_text(component, "URL"))

    # The online link, from the most to the least explicit place.
    candidates = [_text(component, "X-GOOGLE-CONFERENCE")]
    candidates += [u for u in [page_url] if _is_meeting_link(u)]
    candidates += [_clean_url(u) for u in _URL.findall(location) if _is_meeting_link(u)]
    candidates += [
        _clean_url(u) for u in _URL.findall(_text(component, "DESCRIPTION")) if _is_meeting_link(u)
    ]
    online_url = next((u for u in candidates if u and _valid_url(u)), "")

    # Meeting links are for the hosts and the members going: keep them out of public text.
    def hide(text: str) -> str:
        return _URL.sub(
            lambda m: "(online link)" if _is_meeting_link(_clean_url(m[0])) else m[0], text
        )

    description = hide(description)
    location = " ".join(hide(location).split())
    if location in ("(online link)", ""):
        location = ""
    if page_url and not _is_meeting_link(page_url) and page_url not in description:
        description = (description + "\n\n" if description else "") + f"Event page: {page_url}"
    if len(description) > MAX_DESCRIPTION:
        description = description[: MAX_DESCRIPTION - 1] + "…"
    if len(location) > MAX_LOCATION:
        location = location[: MAX_LOCATION - 1] + "…"
    if not location and not online_url:
        location = NO_PLACE
    if not is_timezone(tz_name):
        raise _Skip(f"its time zone {tz_name!r} is unknown")
    return {
        "title": title,
        "description": description,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "timezone": tz_name,
        "location": location,
        "online_url": online_url,
        "cancelled": _text(component, "STATUS").upper() == "CANCELLED",
    }


def _recurrence_key(value) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return value.strftime("%Y%m%d")


# --- the import ----------------------------------------------------------------------------


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationFailed(
            f"Unknown kind {kind!r}: choose one of {', '.join(KINDS)}.",
            {"kind": "Choose what kind of event this is."},
        )
    return kind


def find_host(email: str | None) -> User:
    """The member who will host imported events: by email, else the first admin."""
    if email:
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise ValidationFailed(
                f"No member has the email {email.strip()}.", {"host": "Unknown email."}
            )
        if not user.is_host:
            raise ValidationFailed(
                f"{user.email} is a member, not a host: make them a host first "
                "(or choose another --host).",
                {"host": "Not a host."},
            )
        return user
    user = db.session.scalar(select(User).where(User.role == "admin").order_by(User.id))
    if user is None:
        raise ValidationFailed(
            "There is no admin to host the imported events: pass --host EMAIL.",
            {"host": "Choose a host."},
        )
    return user


def _uid_of(component) -> str:
    uid = _text(component, "UID")
    if uid:
        return uid
    # No UID (invalid, but it happens): derive a stable one from what the event says.
    parts = []
    for name in ("SUMMARY", "DTSTART", "RECURRENCE-ID", "LOCATION"):
        prop = component.get(name)
        try:
            parts.append(prop.to_ical().decode() if prop is not None else "")
        except Exception:  # a broken value: its text will do
            parts.append(str(prop))
    basis = "|".join(parts)
    return "no-uid-" + hashlib.sha256(basis.encode()).hexdigest()[:32]


def _version(component) -> tuple:
    stamp = component.get("LAST-MODIFIED") or component.get("DTSTAMP")
    stamp = getattr(stamp, "dt", None)
    stamp = stamp.timestamp() if isinstance(stamp, datetime) and stamp.tzinfo else 0.0
    try:
        sequence = int(component.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        sequence = 0
    return (sequence, stamp)


def import_calendar(
    data: bytes | SourceCalendar,
    kind: str,
    host: User,
    now: datetime | None = None,
    horizon_days: int = 365,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Create or update one event per occurrence in the calendar; skip what cannot be read.

    Recurring events are expanded from ``PAST_DAYS`` before ``now`` to ``horizon_days``
    after it; single events are imported whatever their date. ``progress(n)`` is called as
    VEVENTs are done. Raises NotICalendar for data that is not iCalendar, ValidationFailed
    for a bad kind or host.
    """
    check_kind(kind)
    if host is None or not host.is_host:
        raise ValidationFailed("The imported events need a host.", {"host": "Choose a host."})
    source = data if isinstance(data, SourceCalendar) else read_calendar(data)
    now = now or utcnow()
    report = ImportReport(calendar_name=source.name, notes=list(source.notes))
    window = (now - timedelta(days=PAST_DAYS), now + timedelta(days=horizon_days))
    date_zone = source.zone or ZoneInfo(
        host.timezone if host.timezone and is_timezone(host.timezone) else "UTC"
    )
    normaliser = _Normaliser(source)

    groups: dict[str, list] = {}
    for component in source.events:
        groups.setdefault(_uid_of(component), []).append(component)

    for done, (uid, components) in enumerate(groups.items(), start=1):
        outcome = _import_group(uid, components, kind, host, now, window, date_zone, normaliser)
        report.created += outcome.created
        report.updated += outcome.updated
        report.unchanged += outcome.unchanged
        report.skipped += outcome.skipped
        if outcome.changes:
            # Told outside the savepoint, then committed at once: the mail queue delivers
            # after a commit, and must not be woken by a savepoint's release.
            _tell(outcome.changes)
            db.session.commit()
        elif done % BATCH == 0:
            db.session.commit()
        if progress:
            progress(len(components))
    db.session.commit()
    if normaliser.floating_events:
        zone = source.zone.key if source.zone else "UTC"
        names = ", ".join(normaliser.floating_events[:3])
        more = len(normaliser.floating_events) - 3
        names += f" and {more} more" if more > 0 else ""
        report.notes.append(f"Times without a time zone (floating) were read as {zone}: {names}.")
    if any(uid.startswith("no-uid-") for uid in groups):
        report.notes.append(
            "Some events had no UID: they are recognised by title and start on re-import."
        )
    return report


def _import_group(uid, components, kind, host, now, window, date_zone, normaliser):
    """Import one UID: a single event, or a series with its exceptions. Never raises."""
    outcome = _Outcome()
    masters = [c for c in components if "RECURRENCE-ID" not in c]
    overrides = [c for c in components if "RECURRENCE-ID" in c]
    if len(uid) > MAX_SOURCE_UID:
        outcome.skipped.append((_label(components[0], uid[:60] + "…"), "its UID is too long"))
        return outcome
    if len(masters) > 1:  # the same event twice: keep the latest version
        keep = max(enumerate(masters), key=lambda im: (_version(im[1]), im[0]))[1]
        for other in masters:
            if other is not keep:
                outcome.skipped.append(
                    (_label(other, uid), "another event with the same UID replaces it")
                )
        masters = [keep]

    good = []
    for component in masters + overrides:
        try:
            _prepare(component, normaliser, _label(component, uid))
        except _Skip as exc:
            if any(component is m for m in masters):
                extra = f" (with its {len(overrides)} changed instance(s))" if overrides else ""
                outcome.skipped.append((_label(component, uid), f"{exc}{extra}"))
                return outcome
            outcome.skipped.append((_label(component, uid), str(exc)))
        else:
            good.append(component)

    recurring = bool(overrides) or any(("RRULE" in c or "RDATE" in c) for c in masters)
    calendar = icalendar.Calendar()
    for component in good:
        calendar.add_component(component)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            query = recurring_ical_events.of(calendar)
            occurrences = list(query.between(*window) if recurring else query.all())
    except Exception as exc:  # the library's errors on bad rules vary
        reason = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        outcome.skipped.append(
            (_label(good[0], uid), f"its repetition could not be read: {reason}")
        )
        return outcome
    if recurring and not occurrences:
        outcome.skipped.append(
            (
                _label(good[0], uid),
                f"it has no occurrence between {window[0]:%Y-%m-%d} and {window[1]:%Y-%m-%d}",
            )
        )
        return outcome

    try:
        with db.session.begin_nested():
            _apply(uid, occurrences, recurring, kind, host, now, window, date_zone, outcome)
    except SQLAlchemyError as exc:
        outcome = _Outcome(skipped=outcome.skipped)
        outcome.skipped.append(
            (_label(good[0], uid), f"it could not be saved ({type(exc).__name__})")
        )
    return outcome


def _apply(uid, occurrences, recurring, kind, host, now, window, date_zone, outcome):
    existing = {
        e.source_recurrence_id: e
        for e in db.session.scalars(select(Event).where(Event.source_uid == uid))
    }
    seen: set[str] = set()
    for component in occurrences:
        start = component["DTSTART"].dt
        original = component.get("RECURRENCE-ID")
        key = _recurrence_key(original.dt if original is not None else start) if recurring else ""
        label = _label(component, uid, start if recurring else None)
        if key in seen:
            outcome.skipped.append((label, "it appears twice in the file"))
            continue
        seen.add(key)
        try:
            values = _fields(component, date_zone)
        except _Skip as exc:
            outcome.skipped.append((label, str(exc)))
            continue
        event = existing.get(key)
        if event is None:
            _create(uid, key, values, kind, host, now)
            outcome.created += 1
        else:
            result = _update(event, values, now, outcome.changes)
            if result == "updated":
                outcome.updated += 1
            elif result == "unchanged":
                outcome.unchanged += 1
            else:
                outcome.skipped.append((label, result))
    # Occurrences gone from the series (a new EXDATE, a shorter RRULE): cancel the future ones.
    for key, event in existing.items():
        if key in seen or event.is_cancelled:
            continue
        if now < event.starts_at <= window[1]:
            _cancel(event, now, outcome.changes)
            outcome.updated += 1


def _create(uid, key, values, kind, host, now) -> Event:
    cancelled = values.pop("cancelled")
    event = Event(
        **values,
        description_html=render_markdown(values["description"]),
        kind=kind,
        source_uid=uid,
        source_recurrence_id=key,
        status="cancelled" if cancelled else "scheduled",
        cancelled_at=now if cancelled else None,
        created_at=now,
        updated_at=now,
    )
    event.hosts = [host]
    db.session.add(event)
    return event


def _update(event: Event, values: dict, now: datetime, changes: list) -> str:
    """Apply the source's values: "updated", "unchanged", or a reason it was not changed."""
    cancelled = values.pop("cancelled")
    changed = [k for k in COMPARED if getattr(event, k) != values[k]]
    if event.is_cancelled:
        if changed and not cancelled:
            return "it was cancelled here, so the changes in the file were not applied"
        return "unchanged"
    if not changed and not cancelled:
        return "unchanged"
    significant = any(k in SIGNIFICANT for k in changed)
    for key in changed:
        setattr(event, key, values[key])
    if "description" in changed:
        event.description_html = render_markdown(event.description)
    if cancelled:
        _cancel(event, now, changes)
        return "updated"
    event.updated_at = now
    if significant:
        event.sequence += 1
        if event.ends_at > now:
            changes.append((event, "updated"))
    return "updated"


def _cancel(event: Event, now: datetime, changes: list) -> None:
    """Cancel as the events service does: SEQUENCE+1, then notices and CANCEL invites."""
    event.status = "cancelled"
    event.cancelled_at = now
    event.updated_at = now
    event.sequence += 1
    if event.ends_at > now:
        changes.append((event, "cancelled"))


def _tell(changes: list[tuple[Event, str]]) -> None:
    """Members going (or waiting) hear of changed and cancelled events, as from the web."""
    from ..feeds.invites import queue_invite
    from ..notices.services import notify
    from ..web import path_for

    for event, what in changes:
        statuses = ("going", "waitlisted") if what == "cancelled" else ("going",)
        rsvps = db.session.scalars(
            select(RSVP).where(RSVP.event_id == event.id, RSVP.status.in_(statuses))
        )
        for rsvp in rsvps:
            if what == "cancelled":
                path = path_for("events.show", event_id=event.id)
                notify(rsvp.user_id, f"{event.title} was cancelled.", path)
            if rsvp.status == "going":
                queue_invite(event, rsvp.user, what)

"""Three independent iCalendar parsers, normalised to the same shape for comparison."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import icalendar
import pytest
import vobject

ICALJS_DIR = Path(__file__).resolve().parent.parent / "icaljs"


def _utc(value) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(value)


def with_icalendar(data: bytes) -> list[dict]:
    cal = icalendar.Calendar.from_ical(data)
    out = []
    for ev in cal.walk("VEVENT"):
        start = ev.decoded("DTSTART")
        out.append(
            {
                "uid": str(ev["UID"]),
                "start": _utc(start),
                "end": _utc(ev.decoded("DTEND")),
                "tzid": ev["DTSTART"].params.get("TZID"),
                "status": str(ev.get("STATUS", "")),
                "sequence": int(ev.get("SEQUENCE", 0)),
                "description": str(ev.get("DESCRIPTION", "")),
                "location": str(ev.get("LOCATION", "")),
                "url": str(ev.get("URL", "")),
            }
        )
    return out


def _vobject_tzid(value) -> str | None:
    if not isinstance(value, datetime) or value.tzinfo is None:
        return None
    tzid = vobject.icalendar.TimezoneComponent.pickTzid(value.tzinfo)
    return None if tzid in ("UTC", None) else tzid


def with_vobject(data: bytes) -> list[dict]:
    cal = vobject.readOne(data.decode())
    out = []
    for ev in cal.contents.get("vevent", []):
        start = ev.dtstart.value
        out.append(
            {
                "uid": ev.uid.value,
                "start": _utc(start),
                "end": _utc(ev.dtend.value),
                "tzid": _vobject_tzid(start),
                "status": ev.status.value if hasattr(ev, "status") else "",
                "sequence": int(ev.sequence.value) if hasattr(ev, "sequence") else 0,
                "description": ev.description.value if hasattr(ev, "description") else "",
                "location": ev.location.value if hasattr(ev, "location") else "",
                "url": ev.url.value if hasattr(ev, "url") else "",
            }
        )
    return out


def icaljs_available() -> str | None:
    if not shutil.which("node"):
        return "node is not installed (apt-get install nodejs)"
    if not (ICALJS_DIR / "node_modules" / "ical.js").exists():
        return "ical.js is not installed: npm ci --prefix tests/icaljs"
    return None


def with_icaljs_raw(data: bytes) -> dict:
    reason = icaljs_available()
    if reason:
        pytest.skip(reason)
    result = subprocess.run(
        ["node", str(ICALJS_DIR / "parse.mjs")],
        input=data,
        capture_output=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def with_icaljs(data: bytes) -> list[dict]:
    out = []
    for ev in with_icaljs_raw(data)["events"]:
        out.append(
            {
                "uid": ev["uid"],
                "start": ev["start"].replace(".000Z", "Z"),
                "end": ev["end"].replace(".000Z", "Z"),
                "tzid": ev["tzid"] if ev["tzid"] not in ("floating", "UTC") else None,
                "status": ev["status"] or "",
                "sequence": ev["sequence"] or 0,
                "description": ev["description"] or "",
                "location": ev["location"] or "",
                "url": ev["url"] or "",
            }
        )
    return out


PARSERS = {"icalendar": with_icalendar, "vobject": with_vobject, "ical.js": with_icaljs}


def parse_all(data: bytes) -> list[dict]:
    """Parse with every parser, check they agree, return the events (by UID order)."""
    results = {name: sorted(parse(data), key=lambda e: e["uid"]) for name, parse in PARSERS.items()}
    reference = results["icalendar"]
    for name, events in results.items():
        assert events == reference, f"{name} reads the calendar differently from icalendar"
    return reference

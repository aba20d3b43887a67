"""Our RRULE-based VTIMEZONEs give the same instants as zoneinfo, in three parsers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mlc_events.feeds import ical
from mlc_events.feeds.vtimezone import vtimezone
from tests.feeds.parsers import parse_all

ZONES = [
    "Europe/London", "America/New_York", "Australia/Sydney", "America/Sao_Paulo",
    "Asia/Tokyo", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Auckland", "UTC",
    "America/Santiago", "Europe/Berlin", "Africa/Casablanca",
]  # fmt: skip


def sample_events(tzid: str) -> list[ical.FeedEvent]:
    tz = ZoneInfo(tzid)
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    items = []
    # Both sides of the usual switch-over days, in years of rule changes and after.
    for year in (*range(2004, 2012), 2016, 2022, 2026, 2030, 2039):
        for month in (3, 4, 5, 9, 10, 11):
            for day, hour in ((1, 12), (28, 3)):
                start = datetime(year, month, day, hour, 30, tzinfo=tz)
                items.append(
                    ical.FeedEvent(
                        uid=f"{tzid}-{year}-{month}-{day}@test",
                        summary="x",
                        start=start,
                        end=start + timedelta(hours=1),
                        timezone=tzid,
                        sequence=0,
                        created=stamp,
                        stamp=stamp,
                        status="CONFIRMED",
                        url="http://mlc.test/",
                        description="",
                        location="Here",
                        online_url=None,
                        category="Talk",
                    )  # fmt: skip
                )
    return items


@pytest.mark.parametrize("tzid", ZONES)
def test_every_parser_reads_the_zoneinfo_instant(tzid):
    items = sample_events(tzid)
    data = ical.feed("t", "t", "t@test", "http://mlc.test/t.ics", items)
    parsed = {e["uid"]: e for e in parse_all(data)}
    for item in items:
        expected = item.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert parsed[item.uid]["start"] == expected, item.uid


def test_rules_are_rrules_not_rdates():
    text = vtimezone("Europe/London").decode()
    assert "RDATE" not in text
    assert "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n" in text
    assert "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n" in text

"""VTIMEZONE components with yearly RRULEs, built from the system's zoneinfo.

icalendar writes a zone's transitions as long RDATE lists. Outlook ignores RDATE in
VTIMEZONE and vobject misreads it (both seen: an hour off in summer), so we compress the
transitions into yearly rules (``BYMONTH=3;BYDAY=-1SU``), the form every client reads.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

FIRST_YEAR, LAST_YEAR = 1990, 2040
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Transition:
    utc: datetime
    local: datetime  # wall clock at the moment of change, in the offset before it
    offset_from: timedelta
    offset_to: timedelta
    name: str
    dst: bool

    @property
    def kind(self) -> tuple:
        return (self.offset_from, self.offset_to, self.name, self.dst)

    @property
    def nth(self) -> int:
        return (self.local.day - 1) // 7 + 1

    @property
    def is_last(self) -> bool:
        return self.local.day + 7 > calendar.monthrange(self.local.year, self.local.month)[1]


def _offset(tz: ZoneInfo, moment: datetime) -> timedelta:
    return moment.astimezone(tz).utcoffset()


def transitions(tzid: str) -> list[Transition]:
    """Every change of UTC offset or name between FIRST_YEAR and LAST_YEAR."""
    tz = ZoneInfo(tzid)
    result = []
    moment = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
    end = datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC)
    step = timedelta(hours=12)

    def state(t):
        local = t.astimezone(tz)
        return local.utcoffset(), local.tzname(), bool(local.dst())

    current = state(moment)
    while moment < end:
        later = moment + step
        if state(later) != current:
            lo, hi = moment, later  # find the exact second of the change
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                lo, hi = (mid, hi) if state(mid) == current else (lo, mid)
            new = state(hi)
            result.append(
                Transition(
                    utc=hi,
                    local=(hi + current[0]).replace(tzinfo=None),
                    offset_from=current[0],
                    offset_to=new[0],
                    name=new[1] or "",
                    dst=new[2],
                )
            )
            current = new
        moment = later
    return result


def _fmt_offset(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{secs:02d}" if secs else "")


def _same_rule(a: Transition, b: Transition, by: str) -> bool:
    if b.local.year != a.local.year + 1 or b.kind != a.kind:
        return False
    if (b.local.month, b.local.weekday(), b.local.time()) != (
        a.local.month, a.local.weekday(), a.local.time()
    ):  # fmt: skip
        return False
    return b.is_last and a.is_last if by == "last" else b.nth == a.nth


def _runs(items: list[Transition]) -> list[tuple[list[Transition], str | None]]:
    runs = []
    i = 0
    while i < len(items):
        best: tuple[list[Transition], str | None] = ([items[i]], None)
        for by in ("last", "nth"):
            run = [items[i]]
            while i + len(run) < len(items) and _same_rule(run[-1], items[i + len(run)], by):
                run.append(items[i + len(run)])
            if len(run) > len(best[0]):
                best = (run, by)
        runs.append(best)
        i += len(best[0])
    return runs


def _component(run: list[Transition], by: str | None, open_ended: bool) -> list[str]:
    first = run[0]
    lines = [
        f"BEGIN:{'DAYLIGHT' if first.dst else 'STANDARD'}",
        f"DTSTART:{first.local:%Y%m%dT%H%M%S}",
    ]
    if by is not None:
        day = DAYS[first.local.weekday()]
        rule = f"RRULE:FREQ=YEARLY;BYMONTH={first.local.month};BYDAY="
        rule += f"-1{day}" if by == "last" else f"{first.nth}{day}"
        if not open_ended:
            # A day past the last onset: right whether a reader takes UNTIL as UTC (as RFC
            # 5545 says) or as local time (as dateutil, under vobject, does).
            rule += f";UNTIL={run[-1].utc + timedelta(days=1):%Y%m%dT%H%M%SZ}"
        lines.append(rule)
    lines += [
        f"TZNAME:{first.name}",
        f"TZOFFSETFROM:{_fmt_offset(first.offset_from)}",
        f"TZOFFSETTO:{_fmt_offset(first.offset_to)}",
        f"END:{'DAYLIGHT' if first.dst else 'STANDARD'}",
    ]
    return lines


@lru_cache(maxsize=512)
def vtimezone(tzid: str) -> bytes:
    """A VTIMEZONE for ``tzid``, valid from FIRST_YEAR on (the current rules continue)."""
    tz = ZoneInfo(tzid)
    start = datetime(FIRST_YEAR, 1, 1)
    start_offset = _offset(tz, start.replace(tzinfo=UTC))
    opening = start.replace(tzinfo=tz)
    items = transitions(tzid)
    # An opening component: the offset in force when our range begins.
    blocks: list[tuple[datetime, list[str]]] = [
        (
            start,
            _component(
                [
                    Transition(
                        start.replace(tzinfo=UTC),
                        start,
                        start_offset,
                        start_offset,
                        opening.tzname() or "",
                        bool(opening.dst()),
                    )
                ],  # fmt: skip
                None,
                False,
            ),
        )
    ]
    by_kind: dict[tuple, list[Transition]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    last_year = max((t.local.year for t in items), default=FIRST_YEAR)
    for group in by_kind.values():
        runs = _runs(group)
        for index, (run, by) in enumerate(runs):
            open_ended = (
                index == len(runs) - 1 and by is not None and run[-1].local.year >= LAST_YEAR - 1
                and last_year >= LAST_YEAR - 1
            )  # fmt: skip
            blocks.append((run[0].local, _component(run, by, open_ended)))
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tzid}"]
    for _, block in sorted(blocks, key=lambda b: b[0]):
        lines += block
    lines.append("END:VTIMEZONE")
    return ("\r\n".join(lines) + "\r\n").encode()

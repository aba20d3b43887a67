"""Timezones: validating IANA names, local wall-clock to UTC, display."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


@lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    return tuple(sorted(n for n in available_timezones() if "/" in n or n == "UTC"))


def is_timezone(name: str | None) -> bool:
    return bool(name) and name in _timezone_set()


@lru_cache(maxsize=1)
def _timezone_set() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


class LocalTimeError(ValueError):
    """A wall-clock time that cannot be read or does not exist in its zone."""


def local_to_utc(value: str | datetime, tz_name: str) -> datetime:
    """Turn a wall-clock ``YYYY-MM-DDTHH:MM`` in ``tz_name`` into an aware UTC datetime."""
    if isinstance(value, str):
        try:
            naive = datetime.strptime(value.strip(), LOCAL_FORMAT)
        except ValueError as exc:
            raise LocalTimeError("Use the form YYYY-MM-DD HH:MM.") from exc
    else:
        naive = value.replace(tzinfo=None)
    tz = zone(tz_name)
    aware = naive.replace(tzinfo=tz)
    # A time skipped by a DST change does not survive the round trip.
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise LocalTimeError(
            f"{naive:%H:%M} does not exist on that day in {tz_name} (the clocks change)."
        )
    return aware.astimezone(UTC)


def utc_to_local_input(value: datetime, tz_name: str) -> str:
    return value.astimezone(zone(tz_name)).strftime(LOCAL_FORMAT)


def iso_z(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_local(value: datetime, tz_name: str, with_date: bool = True) -> str:
    local = value.astimezone(zone(tz_name))
    time_part = f"{local:%H:%M} {local.tzname()}"
    if not with_date:
        return time_part
    return f"{local:%a} {local.day} {local:%b %Y}, {time_part}"

"""Template globals: the viewer's timezone, notices, time formatting."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import unquote

from flask import Flask, has_request_context, request
from flask_login import current_user

from .timeutil import format_local, is_timezone, iso_z, zone


def viewer_timezone() -> str | None:
    """The profile's zone, else the browser's (a cookie set by app.js), else None."""
    if not has_request_context():
        return None
    if current_user.is_authenticated and current_user.timezone:
        return current_user.timezone
    browser = unquote(request.cookies.get("tz") or "")
    return browser if is_timezone(browser) else None


def time_parts(value: datetime, tz_name: str) -> dict:
    local = value.astimezone(zone(tz_name))
    return {
        "iso": iso_z(value),
        "date": f"{local:%a} {local.day} {local:%b %Y}",
        "time": f"{local:%H:%M}",
        "abbr": local.tzname(),
        "day": local.date(),
    }


def unread_notices() -> list:
    """The viewer's unread notices, for the page layout (base.html asks; fragments never do)."""
    from .notices.services import unread_for

    # Live fragments are also rendered outside any request (no viewer at all).
    if has_request_context() and current_user.is_authenticated:
        return unread_for(current_user.id)
    return []


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals["unread_notices"] = unread_notices
    app.jinja_env.globals["time_parts"] = time_parts
    app.jinja_env.globals["viewer_timezone"] = viewer_timezone
    app.jinja_env.filters["iso_z"] = iso_z
    app.jinja_env.filters["local"] = format_local

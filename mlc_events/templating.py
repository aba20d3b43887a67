"""Template globals: the viewer's timezone, notices, time formatting."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import unquote

from flask import Flask, g, has_request_context, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

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


_SENTINEL_ID = 987654321


def url_for_id(endpoint: str, **values) -> str:
    """``url_for`` for templates, quicker for the common case of one id: the path is built once
    per request and endpoint, with a stand-in id that is then replaced (a jam page builds a few
    hundred links to votes, comments and pitches). Anything else goes to ``url_for``."""
    if len(values) == 1:
        ((name, value),) = values.items()
        if type(value) is int and value >= 0 and not name.startswith("_"):
            patterns = g.setdefault("url_patterns", {})
            pattern = patterns.get((endpoint, name))
            if pattern is None:
                pattern = patterns[(endpoint, name)] = url_for(endpoint, **{name: _SENTINEL_ID})
            return pattern.replace(str(_SENTINEL_ID), str(value), 1)
    return url_for(endpoint, **values)


def csrf_token() -> str:
    """Flask-WTF's token, looked up once per request: a jam page has a form per pitch."""
    token = g.get("csrf_form_token")
    if token is None:
        token = g.csrf_form_token = generate_csrf()
    return token


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals["unread_notices"] = unread_notices
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["url_for"] = url_for_id
    app.jinja_env.globals["time_parts"] = time_parts
    app.jinja_env.globals["viewer_timezone"] = viewer_timezone
    app.jinja_env.filters["iso_z"] = iso_z
    app.jinja_env.filters["local"] = format_local

"""Small helpers shared by the views: page-or-fragment, redirects, safe ``next``."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import (
    current_app,
    has_request_context,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

# C0 and C1 controls and the Unicode line breaks: browsers drop some of them from URLs
# (so "/\t/evil.com" would become "//evil.com"); none belongs in a path we redirect to.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def is_htmx() -> bool:
    return bool(request.headers.get("HX-Request"))


def wants_fragment() -> bool:
    """An htmx request for part of a page. htmx 4 says ``HX-Request-Type: full`` when it will
    pick regions out of a whole page itself (``select``, as static/js/jams.js reloads do)."""
    return is_htmx() and request.headers.get("HX-Request-Type") != "full"


def render(page: str, fragment: str | None = None, /, status: int = 200, **context):
    """Render the page, or only its fragment for an htmx request; always ``Vary``."""
    template = fragment if (fragment and wants_fragment()) else page
    response = make_response(render_template(template, **context), status)
    response.headers["Vary"] = "HX-Request, HX-Request-Type"
    return response


def redirect_to(url: str, status: int = 303):
    """Redirect after a POST; htmx requests get ``HX-Redirect`` instead of a followed 302."""
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, status)


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a same-site relative path, else None."""
    if not target or _CONTROL.search(target) or "\\" in target:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def attach_errors(form, exc) -> None:
    """Show a service's field errors beside the form's fields (or at the top)."""
    placed = False
    for name, message in exc.field_errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, message]
            placed = True
    if not placed:
        form.form_errors.append(exc.message)


def path_for(endpoint: str, **values) -> str:
    """``url_for`` that also works outside a request (CLI, background work)."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def absolute_url(endpoint: str, **values) -> str:
    """An absolute link on ``BASE_URL``, for mails, feeds and invites."""
    return current_app.config["BASE_URL"] + path_for(endpoint, **values)

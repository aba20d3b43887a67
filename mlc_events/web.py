"""Small helpers shared by the views: page-or-fragment, redirects, safe ``next``."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import make_response, redirect, render_template, request

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def is_htmx() -> bool:
    return bool(request.headers.get("HX-Request"))


def render(page: str, fragment: str | None = None, /, status: int = 200, **context):
    """Render the page, or only its fragment for an htmx request; always ``Vary: HX-Request``."""
    template = fragment if (fragment and is_htmx()) else page
    response = make_response(render_template(template, **context), status)
    response.headers["Vary"] = "HX-Request"
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

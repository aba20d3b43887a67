"""Errors the services raise, and how the web layer answers them."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class ServiceError(Exception):
    """Base class: a rule refused the request; the message is for members."""

    status = 400

    def __init__(self, message: str = "", field_errors: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class ValidationFailed(ServiceError):
    """Input broke a rule; ``field_errors`` maps form fields to messages."""

    status = 422


class SignInRequired(ServiceError):
    """Only signed-in members may do or see this."""

    status = 401


class PermissionDenied(ServiceError):
    """The actor may not do this."""

    status = 403


class NotFound(ServiceError):
    """No such thing, or the actor may not see it."""

    status = 404


class Conflict(ServiceError):
    """The request conflicts with the current state (cancelled, past, stale)."""

    status = 409


class TooManyAttempts(ServiceError):
    """Too many failed attempts; retry after ``retry_after`` seconds."""

    status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


TITLES = {
    400: "Bad request",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Please check the form",
    429: "Too many attempts",
    500: "Something went wrong",
}


# Said when the code that refused gave no reason of its own: a page never just shows a number.
MESSAGES = {
    400: "The request could not be understood. Reload the page and try again.",
    401: "Please sign in to continue.",
    403: "You are not allowed to do that.",
    404: "There is nothing at this address. It may have been removed, or the link is mistyped.",
    405: "This address does not accept that kind of request.",
    409: "That conflicts with what changed in the meantime. Reload the page and try again.",
    413: "What you sent is too large. Shorten it and try again.",
    422: "Some of what you entered is not valid.",
    429: "Too many attempts. Wait a few minutes and try again.",
    500: "We could not finish that. Nothing was changed; try again.",
}


def error_response(status: int, message: str):
    """Answer with a short error page, or a fragment for htmx requests."""
    message = message or MESSAGES.get(status) or MESSAGES[400 if status < 500 else 500]
    template = "errors/_error.html" if request.headers.get("HX-Request") else "errors/error.html"
    body = render_template(
        template, status=status, title=TITLES.get(status, "Error"), message=message
    )
    headers = {"Vary": "HX-Request"}
    if request.headers.get("HX-Request"):
        # htmx swaps 4xx answers too: put the message in the page's message area instead of
        # replacing the section (and the text the member typed) that made the request.
        headers.update({"HX-Retarget": "#messages", "HX-Reswap": "innerHTML"})
    return body, status, headers


def login_redirect():
    """Send an anonymous visitor to the login page, coming back here afterwards."""
    from .web import safe_next

    if request.method == "GET":
        target = request.full_path if request.query_string else request.path
    else:
        # After signing in, go back to the page the form was on, not to the POST URL.
        referrer = urlsplit(request.referrer or "")
        same_site = referrer.netloc == request.host
        target = safe_next(referrer.path) if same_site else None
    login_url = url_for("auth.login", next=target) if target else url_for("auth.login")
    if request.headers.get("HX-Request"):
        return "", 401, {"HX-Redirect": login_url, "Vary": "HX-Request"}
    return redirect(login_url, 302)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        if isinstance(exc, SignInRequired):
            return login_redirect()
        body, status, headers = error_response(exc.status, exc.message)
        if isinstance(exc, TooManyAttempts):
            headers["Retry-After"] = str(exc.retry_after)
        return body, status, headers

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        message = "Your session expired or the form was stale. Reload the page and try again."
        body, status, headers = error_response(400, message)
        if request.headers.get("HX-Request"):
            headers["HX-Refresh"] = "true"
        return body, status, headers

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        # Werkzeug's stock descriptions are written for developers ("The data value transmitted
        # exceeds the capacity limit."): say it in our words unless the code gave a reason.
        stock = exc.description == type(exc).description
        message = MESSAGES.get(status) if stock or status >= 500 else exc.description
        body, status, headers = error_response(status, message or exc.description or "")
        for name, value in exc.get_headers():
            if name in ("Allow", "Retry-After", "WWW-Authenticate"):
                headers[name] = value
        return body, status, headers

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("Unhandled error")
        from .extensions import db

        db.session.rollback()
        return error_response(500, MESSAGES[500])
